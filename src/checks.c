/*
 * checks - the names and results of the built-in checks rules can test
 */
#include "config.h"

#include "checks.h"

#include <stdio.h>
#include <string.h>

/* SPF results are RFC 7208 section 2.6's; the authentication results are
 * RFC 8601's; "unknown" is ours: the check has not run (yet). */
static const struct check_def defs[CHECK_COUNT] = {
	[CHECK_SPF] = { "spf", STAGE_MAIL,
	    { "unknown", "pass", "fail", "softfail", "neutral", "none",
	    "temperror", "permerror" }, false,
	    "SPF of MAIL FROM (or HELO), RFC 7208" },
	[CHECK_DKIM] = { "dkim", STAGE_EOH,
	    { "unknown", "pass", "fail", "none", "policy", "neutral",
	    "temperror", "permerror" }, false,
	    "DKIM from a trusted Authentication-Results header" },
	[CHECK_DMARC] = { "dmarc", STAGE_EOH,
	    { "unknown", "pass", "fail", "none", "temperror", "permerror" },
	    false, "DMARC from a trusted Authentication-Results header" },
	[CHECK_ARC] = { "arc", STAGE_EOH,
	    { "unknown", "pass", "fail", "none" }, false,
	    "ARC from a trusted Authentication-Results header, RFC 8617" },
	[CHECK_IPREV] = { "iprev", STAGE_CONNECT,
	    { "unknown", "pass", "fail", "temperror", "permerror" }, false,
	    "forward-confirmed reverse DNS of the client, RFC 8601" },
	[CHECK_AUTH_MULTI] = { "auth_multi", STAGE_EOH,
	    { "unknown", "fail", "pass" }, false,
	    "more than one of SPF, DKIM and iprev failed, RFC 7372" },
	[CHECK_NULLMX_SENDER] = { "nullmx_sender", STAGE_MAIL,
	    { "unknown", "nullmx", "ok", "temperror" }, false,
	    "null MX of the sender's domain, RFC 7505" },
	[CHECK_NULLMX_RCPT] = { "nullmx_rcpt", STAGE_RCPT,
	    { "unknown", "nullmx", "ok", "temperror" }, false,
	    "null MX of the recipient's domain, RFC 7505" },
	[CHECK_DNSBL] = { "dnsbl", STAGE_CONNECT,
	    { "unknown", "listed", "notlisted", "temperror" }, false,
	    "the client in a DNS blocklist, RFC 5782" },
	[CHECK_STORAGE] = { "storage", STAGE_CONNECT,
	    { "unknown", "low", "ok", "temperror" }, false,
	    "free space and inodes of the spool" },
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

const char *
check_names(void)
{
	return "spf, dkim, dmarc, arc, iprev, auth_multi, nullmx_sender, "
	    "nullmx_rcpt, dnsbl, storage";
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
