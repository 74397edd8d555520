/*
 * spf - the SPF check (RFC 7208), evaluated in-process with libspf2
 *
 * spf_evaluate() checks the MAIL FROM identity of a client, or its HELO
 * identity when MAIL FROM is the null sender (RFC 7208 section 2.4), with
 * libspf2; libspf2's DNS queries go through our resolver (dns.h) by a DNS
 * layer of our own, so they use the configured server, timeouts and the
 * connection's cache.  The result is one of checks.h's SPF results; a DNS
 * failure is temperror, never pass or fail.  It also renders the
 * Received-SPF header value of RFC 7208 section 9.1.
 *
 * Thread-safe: each call builds what it needs; nothing is shared but the
 * immutable resolver settings.  Failure: out of memory or a libspf2 error
 * yields temperror with the reason in out->comment.
 */
#ifndef REPLYMILTER_CHECKS_SPF_H
#define REPLYMILTER_CHECKS_SPF_H

#include "checks/dns.h"

#define SPF_TEXT_MAX 512

struct spf_outcome {
	unsigned result;	/* an index of check_def(CHECK_SPF)->results */
	char identity[16];	/* "mailfrom" or "helo" */
	char domain[256];	/* the domain checked */
	char comment[SPF_TEXT_MAX];	/* libspf2's explanation/comment */
	char received_spf[SPF_TEXT_MAX * 2];	/* the header's value */
};

/* spf_evaluate - the SPF result for a client address ("192.0.2.1" or
 * "2001:db8::1"), its HELO name and MAIL FROM (without <>, "" for the null
 * sender); receiver names this host in Received-SPF; 0, or -1 when out of
 * memory (out->result is then temperror). */
int spf_evaluate(const struct dns *d, struct dns_cache *c,
    const char *client_addr, const char *helo, const char *sender,
    const char *receiver, struct spf_outcome *out);

#endif
