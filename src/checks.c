/*
 * checks - the names and results of the built-in checks rules can test
 */
#include "config.h"

#include "checks.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/*
 * SPF results are RFC 7208 section 2.6's; the authentication results are
 * RFC 8601's; "unknown" is ours: the check has not run (yet).  Default
 * replies: RFC 7372 section 3 for the authentication codes, RFC 7505
 * section 4 for null MX, RFC 3463 for storage and size, RFC 3207 and RFC
 * 4954 for TLS and AUTH.  A DNS failure is the registry's "directory server
 * failure", 451 4.4.3, except where an RFC names its own (SPF's 4.7.24).
 */
#define DNS_TEMPFAIL "451 4.4.3 Directory server failure, please try again later"
static const struct check_def defs[CHECK_COUNT] = {
	[CHECK_SPF] = { "spf", STAGE_MAIL,
	    { "unknown", "pass", "fail", "softfail", "neutral", "none",
	    "temperror", "permerror" }, true,
	    "SPF of MAIL FROM (or HELO), RFC 7208",
	    { [2] = "550 5.7.23 SPF validation failed",
	    [6] = "451 4.7.24 SPF validation error, please try again later",
	    [7] = "550 5.7.24 SPF validation error" } },
	[CHECK_DKIM] = { "dkim", STAGE_EOH,
	    { "unknown", "pass", "fail", "none", "policy", "neutral",
	    "temperror", "permerror" }, true,
	    "DKIM from a trusted Authentication-Results header",
	    { [2] = "550 5.7.20 No passing DKIM signature found",
	    [3] = "550 5.7.20 No passing DKIM signature found",
	    [4] = "550 5.7.21 No acceptable DKIM signature found",
	    [6] = DNS_TEMPFAIL } },
	[CHECK_DKIM_AUTHOR] = { "dkim_author", STAGE_EOH,
	    { "unknown", "pass", "fail" }, true,
	    "a passing DKIM signature from the author's (From:) domain",
	    { [2] = "550 5.7.22 No valid author-matched DKIM signature "
	    "found" } },
	[CHECK_DMARC] = { "dmarc", STAGE_EOH,
	    { "unknown", "pass", "fail", "none", "temperror", "permerror" },
	    true, "DMARC from a trusted Authentication-Results header",
	    { [2] = "550 5.7.1 Rejected by the sender domain's DMARC policy",
	    [4] = DNS_TEMPFAIL } },
	[CHECK_ARC] = { "arc", STAGE_EOH,
	    { "unknown", "pass", "fail", "none" }, true,
	    "ARC from a trusted Authentication-Results header, RFC 8617",
	    { [2] = "550 5.7.29 ARC validation failure" } },
	[CHECK_IPREV] = { "iprev", STAGE_CONNECT,
	    { "unknown", "pass", "fail", "temperror", "permerror" }, true,
	    "forward-confirmed reverse DNS of the client, RFC 8601",
	    { [2] = "550 5.7.25 Reverse DNS validation failed",
	    [3] = DNS_TEMPFAIL,
	    [4] = "550 5.7.25 Reverse DNS validation failed" } },
	[CHECK_AUTH_MULTI] = { "auth_multi", STAGE_EOH,
	    { "unknown", "fail", "pass" }, true,
	    "more than one of SPF, DKIM and iprev failed, RFC 7372",
	    { [1] = "550 5.7.26 Multiple authentication checks failed" } },
	[CHECK_NULLMX_SENDER] = { "nullmx_sender", STAGE_MAIL,
	    { "unknown", "nullmx", "ok", "temperror" }, true,
	    "null MX of the sender's domain, RFC 7505",
	    { [1] = "550 5.7.27 Sender address has null MX",
	    [3] = DNS_TEMPFAIL } },
	[CHECK_NULLMX_RCPT] = { "nullmx_rcpt", STAGE_RCPT,
	    { "unknown", "nullmx", "ok", "temperror" }, true,
	    "null MX of the recipient's domain, RFC 7505",
	    { [1] = "556 5.1.10 Recipient address has null MX",
	    [3] = DNS_TEMPFAIL } },
	[CHECK_DNSBL] = { "dnsbl", STAGE_CONNECT,
	    { "unknown", "listed", "notlisted", "temperror" }, true,
	    "the client in a DNS blocklist, RFC 5782",
	    { [1] = "550 5.7.1 Listed by %{dnsbl_zone}: %{dnsbl_text}",
	    [3] = DNS_TEMPFAIL } },
	[CHECK_STORAGE] = { "storage", STAGE_CONNECT,
	    { "unknown", "low", "ok", "temperror" }, true,
	    "free space and inodes of the spool",
	    { [1] = "452 4.3.1 Insufficient system storage",
	    [3] = "451 4.3.0 Temporary local problem, please try again "
	    "later" } },
	[CHECK_SIZE] = { "size", STAGE_MAIL,
	    { "unknown", "ok", "toobig" }, true,
	    "SIZE= at MAIL FROM, and the actual size at end of message, "
	    "against message_size_limit, RFC 1870",
	    { [2] = "552 5.3.4 Message too big for system" } },
	[CHECK_TLS] = { "tls", STAGE_HELO,
	    { "unknown", "yes", "no" }, true,
	    "TLS in use, from the {tls_version} macro, RFC 3207",
	    { [2] = "530 5.7.0 Must issue a STARTTLS command first" } },
	[CHECK_AUTH] = { "auth", STAGE_MAIL,
	    { "unknown", "yes", "no" }, true,
	    "an authenticated client, from the {auth_authen} macro, RFC 4954",
	    { [2] = "530 5.7.0 Authentication required" } },
};

const struct check_def *
check_def(enum check_id id)
{
	return id < CHECK_COUNT ? &defs[id] : NULL;
}

int
check_lookup(const char *name, enum check_id *out)
{
	for (int i = 0; i < CHECK_COUNT; i++)
		if (strcmp(defs[i].name, name) == 0) {
			*out = (enum check_id)i;
			return 0;
		}
	return -1;
}

int
check_result_lookup(enum check_id id, const char *name)
{
	for (int i = 0; i < CHECK_MAX_RESULTS && defs[id].results[i] != NULL;
	    i++)
		if (strcmp(defs[id].results[i], name) == 0)
			return i;
	return -1;
}

unsigned
check_result(enum check_id id, const char *name)
{
	int i = check_result_lookup(id, name);

	if (i < 0)
		fatalx("check_result: check %s has no result \"%s\"",
		    defs[id].name, name);
	return (unsigned)i;
}

const char *
check_names(void)
{
	return "spf, dkim, dkim_author, dmarc, arc, iprev, auth_multi, "
	    "nullmx_sender, nullmx_rcpt, dnsbl, storage, size, tls, auth";
}

char *
check_result_names(enum check_id id, char *buf, unsigned size)
{
	unsigned used = 0;

	buf[0] = '\0';
	for (int i = 1; i < CHECK_MAX_RESULTS && defs[id].results[i] != NULL &&
	    used < size; i++)
		used += (unsigned)snprintf(buf + used, size - used, "%s%s",
		    i > 1 ? "|" : "", defs[id].results[i]);
	return buf;
}
