/*
 * authres - Authentication-Results headers (RFC 8601): parse them, and
 * turn those from trusted verifiers into check results
 *
 * authres_parse() reads one header value: the authserv-id, an optional
 * version, and each "method=result" with its reason and properties,
 * skipping RFC 5322 comments (nested) and honouring quoted strings; "none"
 * as the only result set is allowed.  Bad syntax is reported, never
 * guessed at.
 *
 * authres_collect() walks a message's headers (the caller's array): only
 * headers whose authserv-id is in the trusted list count (an A-R header
 * from anyone else is ignored, RFC 8601 section 5), and from them it
 * derives results for
 *   dkim         pass when any DKIM signature passed; otherwise the most
 *                telling of the others: policy (signatures, none
 *                acceptable), fail, temperror, permerror, neutral, none;
 *   dkim_author  pass when a passing signature's header.d is the From:
 *                domain or a parent of it, fail when DKIM was checked and
 *                none is (RFC 7372's "no valid author-matched signature");
 *   dmarc, arc, iprev, spf   as the header gives them;
 * as indexes of checks.h's results for each check.
 *
 * Pure functions over caller storage; no allocation.
 */
#ifndef REPLYMILTER_CHECKS_AUTHRES_H
#define REPLYMILTER_CHECKS_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "session.h"	/* struct session_header only */

#define AUTHRES_MAX_RESULTS 16
#define AUTHRES_TOKEN_MAX 128

struct authres_result {
	char method[AUTHRES_TOKEN_MAX];		/* "dkim", lower case */
	char result[AUTHRES_TOKEN_MAX];		/* "pass", lower case */
	char reason[AUTHRES_TOKEN_MAX];
	char header_d[AUTHRES_TOKEN_MAX];	/* header.d / header.i, if any */
	char header_from[AUTHRES_TOKEN_MAX];	/* header.from, if any */
};

struct authres {
	char authserv_id[AUTHRES_TOKEN_MAX];
	unsigned version;			/* 1 when absent */
	unsigned nresults;
	struct authres_result results[AUTHRES_MAX_RESULTS];
};

/* authres_parse - one header value into *out; 0, or -1 with where and what
 * went wrong in err. */
int authres_parse(const char *value, struct authres *out, char *err,
    size_t errsize);

/* The results authres_collect derives, per check (CHECK_RESULT_UNKNOWN when
 * no trusted header spoke about it). */
struct authres_facts {
	unsigned result[CHECK_COUNT];
	unsigned trusted_headers;	/* how many headers counted */
	unsigned ignored_headers;	/* untrusted or unparsable */
};

/* authres_collect - the results of the trusted Authentication-Results
 * headers among headers[0..nheaders), in order (the From: mailboxes read
 * with checks/mailbox.h). */
void authres_collect(const struct session_header *headers, size_t nheaders,
    const char *const *trusted, unsigned ntrusted, struct authres_facts *out);

/* authres_claiming - the 1-based indexes, among the Authentication-Results
 * headers of headers[0..nheaders), of those whose authserv-id is id
 * (ASCII case ignored; read lexically, so a header that does not parse
 * but claims id counts too), into idx; how many, or -1 when more than
 * max do. */
int authres_claiming(const struct session_header *headers, size_t nheaders,
    const char *id, unsigned *idx, unsigned max);

#endif
