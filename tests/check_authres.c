/*
 * check_authres - unit tests of the Authentication-Results module
 *
 * Table-driven: header values that must parse, each with what the parser
 * must make of it (written as one line: "authserv-id/version: method=result
 * reason=... d=... from=...; ..."); values that must be rejected, each with
 * the whole message; and messages (header lists) with the trusted ids and
 * the check results authres_collect must derive from them.
 *
 * The RFC 8601 Appendix B cases use the Authentication-Results values and
 * From: lines of B.1 to B.7 (B.4 and B.5 also as RFC 7601 had them, with
 * sender-id); the other headers of those messages (Received:,
 * DKIM-Signature:, ...) play no part here and are left out.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "checks.h"
#include "checks/authres.h"
#include "session.h"

#define SUMMARY_MAX 2048
#define HEADERS_MAX 8
#define TRUSTED_MAX 4

/* summarize - what ar holds, as one line, into buf. */
static const char *
summarize(const struct authres *ar, char *buf, size_t size)
{
	size_t n;

	n = (size_t)snprintf(buf, size, "%s/%u:", ar->authserv_id,
	    ar->version);
	if (ar->nresults == 0)
		snprintf(buf + n, size - n, " none");
	for (unsigned i = 0; i < ar->nresults && n < size; i++) {
		const struct authres_result *r = &ar->results[i];

		n += (size_t)snprintf(buf + n, size - n, "%s %s=%s",
		    i > 0 ? ";" : "", r->method, r->result);
		if (r->reason[0] != '\0' && n < size)
			n += (size_t)snprintf(buf + n, size - n, " reason=%s",
			    r->reason);
		if (r->header_d[0] != '\0' && n < size)
			n += (size_t)snprintf(buf + n, size - n, " d=%s",
			    r->header_d);
		if (r->header_from[0] != '\0' && n < size)
			n += (size_t)snprintf(buf + n, size - n, " from=%s",
			    r->header_from);
	}
	return buf;
}

/* repeat - buf holding prefix, count copies of unit, then suffix. */
static const char *
repeat(char *buf, size_t size, const char *prefix, const char *unit,
    unsigned count, const char *suffix)
{
	size_t n = (size_t)snprintf(buf, size, "%s", prefix);

	for (unsigned i = 0; i < count && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s", unit);
	if (n < size)
		snprintf(buf + n, size - n, "%s", suffix);
	return buf;
}

/* --- authres_parse: good values ------------------------------------- */

struct parse_case {
	const char *label;
	const char *value;
	const char *want;
};

static const struct parse_case parse_cases[] = {
	/* RFC 8601 Appendix B (B.1 has no Authentication-Results header;
	 * it is a collect case below). */
	{ "B.2 nearly trivial: none",
	    "example.org 1; none",
	    "example.org/1: none" },
	{ "B.3 authentication done",
	    "example.com;\r\n          spf=pass smtp.mailfrom=example.net",
	    "example.com/1: spf=pass" },
	{ "B.4 several methods, single MTA",
	    "example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "          spf=pass smtp.mailfrom=example.net",
	    "example.com/1: auth=pass; spf=pass" },
	{ "B.4 second header: iprev",
	    "example.com; iprev=pass\r\n          policy.iprev=192.0.2.200",
	    "example.com/1: iprev=pass" },
	{ "B.4 as RFC 7601 had it: sender-id",
	    "example.com;\r\n          sender-id=pass header.from=example.net",
	    "example.com/1: sender-id=pass from=example.net" },
	{ "B.5 different MTAs: the upper header",
	    "example.com;\r\n"
	    "          dkim=pass (good signature) header.d=example.com",
	    "example.com/1: dkim=pass d=example.com" },
	{ "B.5 different MTAs: the lower header",
	    "example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
	    "          spf=fail smtp.mailfrom=example.com",
	    "example.com/1: auth=pass; spf=fail" },
	{ "B.5 as RFC 7601 had it",
	    "example.com;\r\n"
	    "          sender-id=fail header.from=example.com;\r\n"
	    "          dkim=pass (good signature) header.d=example.com",
	    "example.com/1: sender-id=fail from=example.com; dkim=pass "
	    "d=example.com" },
	{ "B.6 multi-tiered: the upper header",
	    "example.com;\r\n"
	    "      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com",
	    "example.com/1: dkim=pass reason=good signature "
	    "d=mail-router.example.net; dkim=fail reason=bad signature "
	    "d=newyork.example.com" },
	{ "B.6 multi-tiered: the lower header",
	    "example.net;\r\n"
	    "      dkim=pass (good signature) header.i=@newyork.example.com",
	    "example.net/1: dkim=pass d=newyork.example.com" },
	{ "B.7 comment-heavy",
	    "foo.example.net (foobar) 1 (baz);\r\n"
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it) "
	    "fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462",
	    "foo.example.net/1: dkim=fail" },

	/* Comments. */
	{ "nested comments everywhere",
	    "example.com (outer (inner (innermost)) done); dkim (a (b) c)"
	    "=pass (x) header.d=(y)example.com(z)",
	    "example.com/1: dkim=pass d=example.com" },
	{ "escaped parentheses in comments",
	    "example.com (a \\) b \\( c); spf=pass (it's \\(really\\) fine) "
	    "smtp.mailfrom=example.net",
	    "example.com/1: spf=pass" },
	{ "a comment holding ; \" and =",
	    "example.com; auth=pass (cram-md5; \"odd\" a=b) "
	    "smtp.auth=a@example.com; spf=pass",
	    "example.com/1: auth=pass; spf=pass" },
	{ "a comment right after the authserv-id",
	    "example.com(comment); none",
	    "example.com/1: none" },
	{ "comments and blanks around none",
	    "example.org (x) 1 (y) ; (z) NONE (end) ",
	    "example.org/1: none" },
	{ "UTF-8 in a comment and a quoted-string",
	    "example.net (\xc3\xa9xampl\xc3\xa9); dkim=fail "
	    "reason=\"T\xc3\xa9st\"",
	    "example.net/1: dkim=fail reason=T\xc3\xa9st" },

	/* Quoted strings. */
	{ "quoted authserv-id",
	    "\"example.org\"; none",
	    "example.org/1: none" },
	{ "quoted authserv-id with ; and / in it",
	    "\"mx.example.org/4A2B; x\" 1; spf=pass",
	    "mx.example.org/4A2B; x/1: spf=pass" },
	{ "escapes in a quoted reason",
	    "example.com; dkim=fail reason=\"say \\\"hi\\\" \\\\ (bye); ok\"",
	    "example.com/1: dkim=fail reason=say \"hi\" \\ (bye); ok" },
	{ "a folded quoted reason is unfolded",
	    "example.com; dkim=fail reason=\"key\r\n not found\"",
	    "example.com/1: dkim=fail reason=key not found" },
	{ "a token reason",
	    "example.com; dkim=fail reason=nokey header.d=example.com",
	    "example.com/1: dkim=fail reason=nokey d=example.com" },
	{ "quoted property values",
	    "example.net; dkim=pass header.d=\"github.com\" "
	    "header.i=\"dkim+foo-bar@example.github.com\"; dmarc=pass "
	    "header.from=\"github.com\"",
	    "example.net/1: dkim=pass d=github.com; dmarc=pass "
	    "from=github.com" },
	{ "a quoted local-part in header.i",
	    "example.net; dkim=pass header.i=\"john @doe\"@example.com",
	    "example.net/1: dkim=pass d=example.com" },
	{ "a quoted value followed at once by the next property",
	    "example.net; dkim=pass header.d=\"example.com\"header.s=sel",
	    "example.net/1: dkim=pass d=example.com" },

	/* Several results, case, properties. */
	{ "five methods in one header",
	    "mx.example.com; spf=pass smtp.mailfrom=a@example.com;\r\n"
	    "\tdkim=pass header.d=example.com header.s=sel "
	    "header.b=AbC/dE+f;\r\n"
	    "\tdmarc=pass (p=reject dis=none) header.from=example.com;\r\n"
	    "\tarc=none;\r\n\tiprev=pass policy.iprev=192.0.2.1",
	    "mx.example.com/1: spf=pass; dkim=pass d=example.com; dmarc=pass "
	    "from=example.com; arc=none; iprev=pass" },
	{ "methods, results and properties in any case",
	    "MX.Example.COM; DKIM=PASS Header.D=Example.COM; "
	    "DMARC=Fail HEADER.FROM=Example.COM",
	    "MX.Example.COM/1: dkim=pass d=Example.COM; dmarc=fail "
	    "from=Example.COM" },
	{ "blanks around = and .",
	    "example.com ; spf = pass smtp . mailfrom = example.net ; "
	    "dkim\t=\tpass\theader\t.\td\t=\texample.net",
	    "example.com/1: spf=pass; dkim=pass d=example.net" },
	{ "folded with bare LF and tabs",
	    "example.com;\n\tspf=pass\n\t smtp.mailfrom=example.net;\n\t"
	    "dkim=none",
	    "example.com/1: spf=pass; dkim=none" },
	{ "header.i with a local part gives its domain",
	    "example.net; dkim=pass header.i=user+tag@sub.example.com",
	    "example.net/1: dkim=pass d=sub.example.com" },
	{ "header.d wins over header.i, either order",
	    "example.net; dkim=pass header.i=@a.example header.d=b.example; "
	    "dkim=pass header.d=c.example header.i=@d.example",
	    "example.net/1: dkim=pass d=b.example; dkim=pass d=c.example" },
	{ "header.i without @ names no domain",
	    "example.net; dkim=pass header.i=example.com",
	    "example.net/1: dkim=pass" },
	{ "the first header.d and header.from count",
	    "example.net; dkim=pass header.d=a.example header.d=b.example; "
	    "dmarc=pass header.from=a.example header.from=b.example",
	    "example.net/1: dkim=pass d=a.example; dmarc=pass from=a.example" },
	{ "unquoted IPv6 addresses and base64 values",
	    "example.net; iprev=pass smtp.remote-ip=2001:db8::1 "
	    "policy.iprev=2001:db8::1; dkim=pass header.b=ab/c+d==",
	    "example.net/1: iprev=pass; dkim=pass" },
	{ "an unregistered ptype",
	    "example.net; dmarc=pass polrec.p=reject header.from=example.com",
	    "example.net/1: dmarc=pass from=example.com" },
	{ "method versions",
	    "example.com; dkim/1=pass header.d=example.com; "
	    "spf (x) / (y) 2 (z) = pass",
	    "example.com/1: dkim=pass d=example.com; spf=pass" },
	{ "a version other than 1 is read",
	    "example.org 2; none",
	    "example.org/2: none" },
	{ "a version with leading zeros",
	    "example.org 0001; spf=pass",
	    "example.org/1: spf=pass" },
	{ "unknown methods and result words",
	    "example.org; x-tls=pass smtp.version=TLSv1.3; dkim-atps=neutral; "
	    "spf=hardfail",
	    "example.org/1: x-tls=pass; dkim-atps=neutral; spf=hardfail" },
	{ "a ptype named reason",
	    "example.org; spf=pass reason=\"r\" reason.code=7",
	    "example.org/1: spf=pass reason=r" },
	{ "a method named none",
	    "example.org; none=pass",
	    "example.org/1: none=pass" },
	{ "leading blanks and a trailing comment",
	    "  \r\n\t example.org; spf=pass (done)\r\n",
	    "example.org/1: spf=pass" },
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	char err[256], got[SUMMARY_MAX];
	struct authres ar;

	ck_assert_msg(authres_parse(c->value, &ar, err, sizeof(err)) == 0,
	    "%s: rejected: %s", c->label, err);
	ck_assert_msg(err[0] == '\0', "%s: message on success: %s", c->label,
	    err);
	summarize(&ar, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s:\n got  %s\n want %s",
	    c->label, got, c->want);
}
END_TEST

/* The limits: 16 results and 127-byte fields fit; one more does not. */
START_TEST(test_parse_limits)
{
	char value[4096], err[256];
	struct authres ar;
	char id[AUTHRES_TOKEN_MAX];

	repeat(value, sizeof(value), "example.com", "; spf=pass", 16, "");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), 0);
	ck_assert_uint_eq(ar.nresults, 16);
	repeat(value, sizeof(value), "example.com", "; spf=pass", 17, "");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "more than 16 results at offset 171");

	repeat(id, sizeof(id), "", "x", AUTHRES_TOKEN_MAX - 1, "");
	repeat(value, sizeof(value), id, "", 0, "; none");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), 0);
	ck_assert_str_eq(ar.authserv_id, id);
	repeat(value, sizeof(value), id, "", 0, "x; none");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "authserv-id longer than 127 bytes at offset 0");

	repeat(value, sizeof(value), "e; dkim=pass header.d=", "d", 127, "");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(ar.results[0].header_d), 127);
	repeat(value, sizeof(value), "e; dkim=pass header.d=", "d", 128, "");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the value of header.d longer than 127 bytes "
	    "at offset 22");
	repeat(value, sizeof(value), "e; dkim=pass header.i=@", "d", 128, "");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "the domain of header.i longer than 127 bytes "
	    "at offset 22");
	/* A long value we do not keep is fine. */
	repeat(value, sizeof(value), "e; dkim=pass header.b=", "b", 1000,
	    " header.d=example.com");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), 0);
	ck_assert_str_eq(ar.results[0].header_d, "example.com");
	repeat(value, sizeof(value), "e; dkim=fail reason=\"", "r", 128, "\"");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "reason longer than 127 bytes at offset 20");
	repeat(value, sizeof(value), "e; ", "m", 128, "=pass");
	ck_assert_int_eq(authres_parse(value, &ar, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "method longer than 127 bytes at offset 3");
}
END_TEST

/* A small or absent error buffer is never overrun. */
START_TEST(test_parse_error_buffer)
{
	char err[12];
	struct authres ar;

	memset(err, 'z', sizeof(err));
	ck_assert_int_eq(authres_parse("example.com; dkim pass", &ar, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "missing \"=\"");
	ck_assert_int_eq(authres_parse("example.com; dkim pass", &ar, NULL,
	    0), -1);
	ck_assert_int_eq(authres_parse("example.com; none", &ar, NULL, 0), 0);
}
END_TEST

/* --- authres_parse: bad values -------------------------------------- */

struct bad_case {
	const char *label;
	const char *value;
	const char *want;
};

static const struct bad_case bad_cases[] = {
	{ "empty", "",
	    "missing authserv-id at offset 0" },
	{ "only a comment", "   (only a comment)  ",
	    "missing authserv-id at offset 21" },
	{ "starts with ;", "; spf=pass",
	    "unexpected \";\" where the authserv-id should be at offset 0" },
	{ "UTF-8 authserv-id unquoted", "\xc3\xa9xample.org; none",
	    "unexpected \"\\xc3\" where the authserv-id should be at "
	    "offset 0" },
	{ "no results", "example.com",
	    "missing \";\" and results (or \"none\") after the authserv-id at "
	    "offset 11" },
	{ "no ; after the authserv-id", "example.com spf=pass",
	    "unexpected \"s\" after the authserv-id at offset 12" },
	{ "unquoted / in the authserv-id", "mx.example.org/0C5B13F980; none",
	    "unexpected \"/\" after the authserv-id at offset 14" },
	{ "two versions", "example.com 1 2; none",
	    "unexpected \"2\" after the authserv-id at offset 14" },
	{ "version glued to a quoted id", "\"example.com\"1; none",
	    "missing space between the authserv-id and its version at "
	    "offset 13" },
	{ "version too long", "example.com 1234567890; none",
	    "version longer than 9 digits at offset 12" },
	{ "nothing after ;", "example.com;",
	    "missing method after \";\" at offset 12" },
	{ "trailing ;", "example.com; spf=pass;",
	    "missing method after \";\" at offset 22" },
	{ "trailing ; and blanks", "example.com; spf=pass; (x) ",
	    "missing method after \";\" at offset 27" },
	{ "empty result set between ;", "example.com; spf=pass;; dkim=pass",
	    "unexpected \";\" where a method should be at offset 22" },
	{ "no method", "example.com; =pass",
	    "unexpected \"=\" where a method should be at offset 13" },
	{ "no = after the method", "example.com; dkim pass",
	    "missing \"=\" after method \"dkim\" at offset 18" },
	{ "method alone", "example.com; spf=pass; dkim",
	    "missing \"=\" after method \"dkim\" at offset 27" },
	{ "no result", "example.com; dkim=",
	    "missing result after \"dkim=\" at offset 18" },
	{ "no result before ;", "example.com; dkim= ; spf=pass",
	    "missing result after \"dkim=\" at offset 19" },
	{ "method ends in -", "example.com; dkim-=pass",
	    "method \"dkim-\" ends in \"-\" at offset 13" },
	{ "result ends in -", "example.com; dkim=pass-",
	    "result \"pass-\" ends in \"-\" at offset 18" },
	{ "method with _", "example.com; x_tls=pass",
	    "missing \"=\" after method \"x\" at offset 14" },
	{ "no method version", "example.com; dkim/=pass",
	    "missing version after \"dkim/\" at offset 18" },
	{ "none with other results", "example.com; none; spf=pass",
	    "\"none\" must be the only result at offset 13" },
	{ "none after results", "example.com; spf=pass; none",
	    "\"none\" must be the only result at offset 23" },
	{ "none with a trailing ;", "example.com; none;",
	    "\"none\" must be the only result at offset 13" },
	{ "unclosed comment", "example.com (unclosed; spf=pass",
	    "unclosed comment at offset 12" },
	{ "unclosed nested comment", "example.com; spf=pass (a (b) c",
	    "unclosed comment at offset 22" },
	{ "escaped ) does not close", "example.com; spf=pass (a \\) b",
	    "unclosed comment at offset 22" },
	{ "backslash at the end of a comment", "example.com (a\\",
	    "unclosed comment at offset 12" },
	{ "unclosed comment after a value",
	    "example.com; spf=pass smtp.mailfrom=a(b",
	    "unclosed comment at offset 37" },
	{ "unclosed quoted authserv-id", "\"example.com; none",
	    "unclosed quoted-string in authserv-id at offset 0" },
	{ "escaped quote does not close", "\"example.com\\\"; none",
	    "unclosed quoted-string in authserv-id at offset 0" },
	{ "unclosed quoted reason", "example.com; dkim=fail reason=\"bad",
	    "unclosed quoted-string in reason at offset 30" },
	{ "unclosed quoted value",
	    "example.com; dkim=pass header.d=\"example.com",
	    "unclosed quoted-string in the value of header.d at offset 32" },
	{ "no value for reason", "example.com; dkim=pass reason=",
	    "missing value after \"reason=\" at offset 30" },
	{ "reason after a property",
	    "example.com; dkim=pass header.d=x reason=y",
	    "\"reason\" must come before the properties of \"dkim\" at offset "
	    "34" },
	{ "two reasons", "example.com; dkim=pass reason=a reason=b",
	    "second \"reason\" for \"dkim\" at offset 32" },
	{ "reason glued to a property",
	    "example.com; dkim=pass reason=\"x\"header.d=y",
	    "unexpected \"h\" after the reason of \"dkim\" at offset 33" },
	{ "a property without a dot", "example.com; dkim=pass header=x",
	    "missing \".\" after ptype \"header\" at offset 29" },
	{ "Microsoft's action=none",
	    "example.com; dmarc=pass action=none header.from=example.com",
	    "missing \".\" after ptype \"action\" at offset 30" },
	{ "a property without a name", "example.com; dkim=pass header.=x",
	    "missing property after \"header.\" at offset 30" },
	{ "a property without =", "example.com; dkim=pass header.d",
	    "missing \"=\" after property \"header.d\" at offset 31" },
	{ "a property without a value", "example.com; dkim=pass header.d=",
	    "missing value after \"header.d=\" at offset 32" },
	{ "a property without a value before ;",
	    "example.com; dkim=pass header.d= ; spf=pass",
	    "missing value after \"header.d=\" at offset 33" },
	{ "something glued to the result", "example.com; dkim=pass\"x\"",
	    "unexpected \"\"\" after the result of \"dkim\" at offset 22" },
	{ "a control character", "example.com; spf=pass\x01",
	    "unexpected \"\\x01\" after the result of \"spf\" at offset 21" },
	{ "@ where a property should be", "example.com; dkim=pass @x",
	    "unexpected \"@\" where a property (ptype.property=value) should "
	    "be at offset 23" },
	{ "a stray )", "example.com; dkim=pass header.d=x )",
	    "unexpected \")\" where a property (ptype.property=value) should "
	    "be at offset 34" },
};

START_TEST(test_parse_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char err[256];
	struct authres ar;

	ck_assert_msg(authres_parse(c->value, &ar, err, sizeof(err)) == -1,
	    "%s: accepted", c->label);
	ck_assert_msg(strcmp(err, c->want) == 0, "%s:\n got  %s\n want %s",
	    c->label, err, c->want);
}
END_TEST

/* --- authres_collect ------------------------------------------------ */

struct collect_case {
	const char *label;
	const char *headers[HEADERS_MAX];	/* "Name: value", NULL-ended */
	const char *trusted[TRUSTED_MAX];	/* NULL-ended */
	const char *want;	/* the known results, then t= and i= */
};

/* The checks authres_collect derives, in the order want lists them. */
static const enum check_id derived[] = {
	CHECK_SPF, CHECK_DKIM, CHECK_DKIM_AUTHOR, CHECK_DMARC, CHECK_ARC,
	CHECK_IPREV,
};

#define NDERIVED NELEM(derived)

#define MX "mx.example.com"
#define AR "Authentication-Results: "
#define AR_MX AR MX "; "

/* A trusted "dkim=pass header.d=example.com" with this From: value. */
#define AUTHOR(label, from, want) \
	{ label, { AR_MX "dkim=pass header.d=example.com", "From: " from }, \
	    { MX }, "dkim=pass dkim_author=" want " t=1 i=0" }

static const struct collect_case collect_cases[] = {
	/* RFC 8601 Appendix B, as if we were the receiving host. */
	{ "B.1 trivial: no header",
	    { "From: sender@example.net", "Subject: here's a sample" },
	    { "example.com" }, "t=0 i=0" },
	{ "B.2 none from a trusted host",
	    { AR "example.org 1; none", "From: sender@example.net" },
	    { "example.org" }, "t=1 i=0" },
	{ "B.2 none from another host",
	    { AR "example.org 1; none", "From: sender@example.net" },
	    { "example.com" }, "t=0 i=1" },
	{ "B.3 spf",
	    { AR "example.com;\r\n          spf=pass smtp.mailfrom=example.net",
	    "From: sender@example.net" },
	    { "example.com" }, "spf=pass t=1 i=0" },
	{ "B.4 auth, spf and iprev in two headers",
	    { AR "example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "          spf=pass smtp.mailfrom=example.net",
	    AR "example.com; iprev=pass\r\n          policy.iprev=192.0.2.200",
	    "From: sender@example.net" },
	    { "example.com" }, "spf=pass iprev=pass t=2 i=0" },
	{ "B.5 two MTAs of one domain",
	    { AR "example.com;\r\n"
	    "          dkim=pass (good signature) header.d=example.com",
	    AR "example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
	    "          spf=fail smtp.mailfrom=example.com",
	    "From: sender@example.com" },
	    { "example.com" },
	    "spf=fail dkim=pass dkim_author=pass t=2 i=0" },
	{ "B.6 trusting the final MTA: a relay's signature only",
	    { AR "example.com;\r\n"
	    "      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com",
	    AR "example.net;\r\n"
	    "      dkim=pass (good signature) header.i=@newyork.example.com",
	    "From: sender@newyork.example.com" },
	    { "example.com" }, "dkim=pass dkim_author=fail t=1 i=1" },
	{ "B.6 trusting the relay: the author's signature",
	    { AR "example.com;\r\n"
	    "      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com",
	    AR "example.net;\r\n"
	    "      dkim=pass (good signature) header.i=@newyork.example.com",
	    "From: sender@newyork.example.com" },
	    { "example.net" }, "dkim=pass dkim_author=pass t=1 i=1" },
	{ "B.6 trusting both: the topmost wins",
	    { AR "example.com;\r\n"
	    "      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com",
	    AR "example.net;\r\n"
	    "      dkim=pass (good signature) header.i=@newyork.example.com",
	    "From: sender@newyork.example.com" },
	    { "example.com", "example.net" },
	    "dkim=pass dkim_author=fail t=2 i=0" },
	{ "B.7 comment-heavy",
	    { AR "foo.example.net (foobar) 1 (baz);\r\n"
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it) "
	    "fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462",
	    "From: sender@example.com" },
	    { "foo.example.net" }, "dkim=fail dkim_author=fail t=1 i=0" },

	/* Which headers count. */
	{ "an untrusted header is ignored",
	    { AR "evil.example; dkim=pass header.d=example.com; spf=pass; "
	    "dmarc=pass", "From: a@example.com" },
	    { MX }, "t=0 i=1" },
	{ "a look-alike id is not trusted",
	    { AR "mx.example.com.evil.example; spf=pass",
	    AR "\"mx.example.com \"; spf=pass" },
	    { MX }, "t=0 i=2" },
	{ "the trusted id is matched without case",
	    { AR "MX.Example.Com; spf=pass" },
	    { MX }, "spf=pass t=1 i=0" },
	{ "the trusted list is matched without case",
	    { AR "mx.example.com; spf=pass" },
	    { "MX.EXAMPLE.COM" }, "spf=pass t=1 i=0" },
	{ "a quoted authserv-id is trusted",
	    { AR "\"mx.example.com\"; spf=pass" },
	    { MX }, "spf=pass t=1 i=0" },
	{ "the header name is matched without case",
	    { "authentication-results: " MX "; spf=pass",
	    "AUTHENTICATION-RESULTS: " MX "; dmarc=pass" },
	    { MX }, "spf=pass dmarc=pass t=2 i=0" },
	{ "other headers are not read",
	    { "X-Authentication-Results: " MX "; spf=pass",
	    "ARC-Authentication-Results: i=1; " MX "; dkim=pass" },
	    { MX }, "t=0 i=0" },
	{ "several trusted ids",
	    { AR "a.example; spf=fail", AR "b.example; dmarc=pass",
	    AR "c.example; arc=pass" },
	    { "x.example", "b.example", "a.example" },
	    "spf=fail dmarc=pass t=2 i=1" },
	{ "no trusted ids: nothing counts",
	    { AR_MX "spf=pass" }, { NULL }, "t=0 i=1" },
	{ "an unparsable trusted header is ignored",
	    { AR_MX "spf=fail;", AR_MX "spf=pass" },
	    { MX }, "spf=pass t=1 i=1" },
	{ "a header of version 2 is ignored",
	    { AR MX " 2; spf=fail", AR MX " 1; spf=pass" },
	    { MX }, "spf=pass t=1 i=1" },

	/* Several headers: per method, the topmost trusted one wins. */
	{ "the topmost trusted header wins",
	    { AR_MX "spf=fail; dmarc=fail", AR_MX "spf=pass; dmarc=pass" },
	    { MX }, "spf=fail dmarc=fail t=2 i=0" },
	{ "an untrusted header above does not win",
	    { AR "evil.example; spf=pass", AR_MX "spf=fail" },
	    { MX }, "spf=fail t=1 i=1" },
	{ "each method from the topmost header that has it",
	    { AR_MX "dkim=pass header.d=example.com", AR_MX "spf=pass; "
	    "dkim=fail; iprev=fail", AR_MX "iprev=pass; arc=pass",
	    "From: a@example.com" },
	    { MX }, "spf=pass dkim=pass dkim_author=pass arc=pass iprev=fail "
	    "t=3 i=0" },
	{ "a none header does not speak for any method",
	    { AR_MX "none", AR_MX "spf=pass" },
	    { MX }, "spf=pass t=2 i=0" },
	{ "DKIM below the winning header is not merged",
	    { AR_MX "dkim=fail header.d=example.com",
	    AR_MX "dkim=pass header.d=example.com", "From: a@example.com" },
	    { MX }, "dkim=fail dkim_author=fail t=2 i=0" },
	{ "within a header, the first result of a method",
	    { AR_MX "spf=none smtp.helo=mx.example.net; "
	    "spf=pass smtp.mailfrom=example.net" },
	    { MX }, "spf=none t=1 i=0" },
	{ "an unknown word still wins, as unknown",
	    { AR_MX "spf=hardfail", AR_MX "spf=pass" },
	    { MX }, "t=2 i=0" },

	/* spf: every result, and words it does not have. */
	{ "spf pass", { AR_MX "spf=pass" }, { MX }, "spf=pass t=1 i=0" },
	{ "spf fail", { AR_MX "spf=fail" }, { MX }, "spf=fail t=1 i=0" },
	{ "spf softfail", { AR_MX "spf=softfail" }, { MX },
	    "spf=softfail t=1 i=0" },
	{ "spf neutral", { AR_MX "spf=neutral" }, { MX },
	    "spf=neutral t=1 i=0" },
	{ "spf none", { AR_MX "spf=none" }, { MX }, "spf=none t=1 i=0" },
	{ "spf temperror", { AR_MX "spf=temperror" }, { MX },
	    "spf=temperror t=1 i=0" },
	{ "spf permerror", { AR_MX "spf=permerror" }, { MX },
	    "spf=permerror t=1 i=0" },
	{ "spf in upper case", { AR_MX "SPF=SoftFail" }, { MX },
	    "spf=softfail t=1 i=0" },
	{ "spf policy: unknown", { AR_MX "spf=policy" }, { MX }, "t=1 i=0" },
	{ "spf hardfail: unknown", { AR_MX "spf=hardfail" }, { MX },
	    "t=1 i=0" },
	{ "spf unknown: unknown", { AR_MX "spf=unknown" }, { MX }, "t=1 i=0" },

	/* dmarc. */
	{ "dmarc pass", { AR_MX "dmarc=pass header.from=example.com" },
	    { MX }, "dmarc=pass t=1 i=0" },
	{ "dmarc fail", { AR_MX "dmarc=fail (p=reject) "
	    "header.from=example.com" }, { MX }, "dmarc=fail t=1 i=0" },
	{ "dmarc none", { AR_MX "dmarc=none" }, { MX }, "dmarc=none t=1 i=0" },
	{ "dmarc temperror", { AR_MX "dmarc=temperror" }, { MX },
	    "dmarc=temperror t=1 i=0" },
	{ "dmarc permerror", { AR_MX "dmarc=permerror" }, { MX },
	    "dmarc=permerror t=1 i=0" },
	{ "dmarc bestguesspass: unknown", { AR_MX "dmarc=bestguesspass" },
	    { MX }, "t=1 i=0" },

	/* arc. */
	{ "arc pass", { AR_MX "arc=pass (i=1)" }, { MX }, "arc=pass t=1 i=0" },
	{ "arc fail", { AR_MX "arc=fail" }, { MX }, "arc=fail t=1 i=0" },
	{ "arc none", { AR_MX "arc=none" }, { MX }, "arc=none t=1 i=0" },
	{ "arc permerror: unknown", { AR_MX "arc=permerror" }, { MX },
	    "t=1 i=0" },

	/* iprev. */
	{ "iprev pass", { AR_MX "iprev=pass policy.iprev=192.0.2.1" }, { MX },
	    "iprev=pass t=1 i=0" },
	{ "iprev fail", { AR_MX "iprev=fail" }, { MX }, "iprev=fail t=1 i=0" },
	{ "iprev temperror", { AR_MX "iprev=temperror" }, { MX },
	    "iprev=temperror t=1 i=0" },
	{ "iprev permerror", { AR_MX "iprev=permerror" }, { MX },
	    "iprev=permerror t=1 i=0" },
	{ "iprev none: unknown", { AR_MX "iprev=none" }, { MX }, "t=1 i=0" },

	/* dkim: pass wins, then policy > fail > temperror > permerror >
	 * neutral > none. */
	{ "dkim pass", { AR_MX "dkim=pass header.d=example.com",
	    "From: a@example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "dkim pass among failures",
	    { AR_MX "dkim=fail header.d=a.example; dkim=policy; "
	    "dkim=pass header.d=example.com; dkim=temperror",
	    "From: a@example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "dkim policy over fail",
	    { AR_MX "dkim=fail; dkim=policy; dkim=fail" }, { MX },
	    "dkim=policy dkim_author=fail t=1 i=0" },
	{ "dkim fail over temperror",
	    { AR_MX "dkim=temperror; dkim=fail" }, { MX },
	    "dkim=fail dkim_author=fail t=1 i=0" },
	{ "dkim temperror over permerror",
	    { AR_MX "dkim=permerror; dkim=temperror; dkim=none" }, { MX },
	    "dkim=temperror dkim_author=fail t=1 i=0" },
	{ "dkim permerror over neutral",
	    { AR_MX "dkim=neutral; dkim=permerror" }, { MX },
	    "dkim=permerror dkim_author=fail t=1 i=0" },
	{ "dkim neutral over none",
	    { AR_MX "dkim=none; dkim=neutral" }, { MX },
	    "dkim=neutral dkim_author=fail t=1 i=0" },
	{ "dkim none: not signed",
	    { AR_MX "dkim=none (no signatures)", "From: a@example.com" },
	    { MX }, "dkim=none dkim_author=fail t=1 i=0" },
	{ "dkim with a word of its own: unknown",
	    { AR_MX "dkim=hardfail header.d=example.com",
	    "From: a@example.com" }, { MX }, "dkim_author=fail t=1 i=0" },
	{ "dkim unknown words do not outrank known ones",
	    { AR_MX "dkim=hardfail; dkim=neutral" }, { MX },
	    "dkim=neutral dkim_author=fail t=1 i=0" },
	{ "no DKIM result: dkim_author unknown",
	    { AR_MX "spf=pass", "From: a@example.com" }, { MX },
	    "spf=pass t=1 i=0" },
	{ "dkim-atps is not dkim",
	    { AR_MX "dkim-atps=pass", "From: a@example.com" }, { MX },
	    "t=1 i=0" },

	/* dkim_author: the signing domain against the From: domain. */
	{ "author: d= is the From: domain", { AR_MX "dkim=pass "
	    "header.d=example.com", "From: a@example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: d= is a parent of the From: domain",
	    { AR_MX "dkim=pass header.d=example.com",
	    "From: a@mail.example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: d= a grandparent", { AR_MX "dkim=pass "
	    "header.d=example.com", "From: a@x.y.example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: d= is a subdomain of the From: domain",
	    { AR_MX "dkim=pass header.d=mail.example.com",
	    "From: a@example.com" }, { MX },
	    "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: d= only ends like the From: domain",
	    { AR_MX "dkim=pass header.d=ample.com", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: a top-level domain vouches for nothing",
	    { AR_MX "dkim=pass header.d=com", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: a single-label author signed by itself",
	    { AR_MX "dkim=pass header.d=localhost", "From: root@localhost" },
	    { MX }, "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: case and a trailing dot do not count",
	    { AR_MX "dkim=pass header.d=EXAMPLE.Com.", "From: a@example.COM" },
	    { MX }, "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: header.i's domain",
	    { AR_MX "dkim=pass header.i=@example.com", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: a quoted header.d",
	    { AR_MX "dkim=pass header.d=\"example.com\"",
	    "From: a@example.com" }, { MX },
	    "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: the author's signature failed",
	    { AR_MX "dkim=fail header.d=example.com; "
	    "dkim=pass header.d=relay.example", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: the author's passed beside a failure",
	    { AR_MX "dkim=fail header.d=relay.example; "
	    "dkim=pass header.d=example.com", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=pass t=1 i=0" },
	{ "author: a pass without header.d",
	    { AR_MX "dkim=pass", "From: a@example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: no From: header",
	    { AR_MX "dkim=pass header.d=example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: two From: headers",
	    { AR_MX "dkim=pass header.d=example.com", "From: a@example.com",
	    "from: b@example.com" },
	    { MX }, "dkim=pass dkim_author=fail t=1 i=0" },
	{ "author: the From: header name in any case",
	    { AR_MX "dkim=pass header.d=example.com", "FROM: a@example.com" },
	    { MX }, "dkim=pass dkim_author=pass t=1 i=0" },

	/* From: values. */
	AUTHOR("from: display name and angle brackets",
	    "Name <a@example.com>", "pass"),
	AUTHOR("from: a bare address", "a@example.com", "pass"),
	AUTHOR("from: angle brackets alone", "<a@example.com>", "pass"),
	AUTHOR("from: a comment after", "a@example.com (Name)", "pass"),
	AUTHOR("from: comments around", "(x) a@example.com (y (z))", "pass"),
	AUTHOR("from: a comment in the domain", "a@example(x).com", "pass"),
	AUTHOR("from: a comment holding an address",
	    "Name <a@evil.example> (<b@example.com>)", "fail"),
	AUTHOR("from: a quoted display name with a comma",
	    "\"Doe, John\" <a@example.com>", "pass"),
	AUTHOR("from: a quoted display name with @",
	    "\"b@evil.example\" <a@example.com>", "pass"),
	AUTHOR("from: an unquoted display name with @",
	    "b@example.com <a@evil.example>", "fail"),
	AUTHOR("from: the address counts, not the display name",
	    "b@evil.example <a@example.com>", "pass"),
	AUTHOR("from: a quoted local part with @",
	    "\"john@evil.example\"@example.com", "pass"),
	AUTHOR("from: a quoted local part with an address in it",
	    "\"a@example.com\"@evil.example", "fail"),
	AUTHOR("from: a quoted local part with <",
	    "Name <\"a<b>\"@example.com>", "pass"),
	AUTHOR("from: escapes in a quoted display name",
	    "\"a \\\" <b@evil.example>\" <a@example.com>", "pass"),
	AUTHOR("from: an obsolete route", "Name <@relay.example,"
	    "@relay2.example:a@example.com>", "pass"),
	AUTHOR("from: an encoded-word display name",
	    "=?utf-8?q?J=C3=B6rg?= <a@example.com>", "pass"),
	AUTHOR("from: a UTF-8 display name",
	    "J\xc3\xb6rg <a@example.com>", "pass"),
	AUTHOR("from: the domain in upper case", "A <a@EXAMPLE.COM>", "pass"),
	AUTHOR("from: blanks in the address", "a @ example . com", "pass"),
	AUTHOR("from: folded", "Name\r\n <a@example.com>", "pass"),
	AUTHOR("from: two authors, both covered",
	    "a@example.com, B <b@sub.example.com>", "pass"),
	AUTHOR("from: two authors, one not covered",
	    "a@example.com, b@evil.example", "fail"),
	AUTHOR("from: a group", "Team: a@example.com, b@example.com;", "pass"),
	AUTHOR("from: an empty group", "undisclosed-recipients:;", "fail"),
	AUTHOR("from: a group left open", "Team: a@example.com", "fail"),
	AUTHOR("from: empty", "", "fail"),
	AUTHOR("from: no @", "example.com", "fail"),
	AUTHOR("from: no domain", "a@", "fail"),
	AUTHOR("from: no local part", "@example.com", "fail"),
	AUTHOR("from: two @", "a@b@example.com", "fail"),
	AUTHOR("from: angle brackets left open", "Name <a@example.com",
	    "fail"),
	AUTHOR("from: > alone", "Name a@example.com>", "fail"),
	AUTHOR("from: nested angle brackets", "<<a@example.com>>", "fail"),
	AUTHOR("from: words after the address",
	    "Name <a@example.com> junk", "fail"),
	AUTHOR("from: a quoted word after the address",
	    "Name <a@example.com> \"junk\"", "fail"),
	AUTHOR("from: a comment left open", "(Name a@example.com", "fail"),
	AUTHOR("from: a quoted-string left open", "\"Name <a@example.com>",
	    "fail"),
	AUTHOR("from: a domain literal", "a@[192.0.2.1]", "fail"),
	AUTHOR("from: a trailing dot", "a@example.com.", "fail"),
	AUTHOR("from: an empty label", "a@example..com", "fail"),
	AUTHOR("from: a quoted domain", "a@\"example.com\"", "fail"),
	AUTHOR("from: a bad character in the domain", "a@exa,mple.com",
	    "fail"),
	AUTHOR("from: nine authors is too many",
	    "a@example.com, a@example.com, a@example.com, a@example.com, "
	    "a@example.com, a@example.com, a@example.com, a@example.com, "
	    "a@example.com", "fail"),
	AUTHOR("from: eight authors and a trailing comma",
	    "a@example.com, a@example.com, a@example.com, a@example.com, "
	    "a@example.com, a@example.com, a@example.com, a@example.com,",
	    "pass"),
};

/* add_headers - s, a message holding the "Name: value" headers. */
static struct session *
add_headers(const char *const *headers)
{
	struct session *s = session_new(0);

	ck_assert_ptr_nonnull(s);
	session_begin_message(s);
	for (unsigned i = 0; i < HEADERS_MAX && headers[i] != NULL; i++) {
		const char *colon = strchr(headers[i], ':');
		char name[64];

		ck_assert_ptr_nonnull(colon);
		ck_assert_uint_lt((size_t)(colon - headers[i]), sizeof(name));
		memcpy(name, headers[i], (size_t)(colon - headers[i]));
		name[colon - headers[i]] = '\0';
		colon++;
		if (*colon == ' ')
			colon++;
		ck_assert_int_eq(session_add_header(s, name, colon), 0);
	}
	return s;
}

/* facts_summary - the known derived results of f, then its counts. */
static const char *
facts_summary(const struct authres_facts *f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NDERIVED; i++) {
		const struct check_def *d = check_def(derived[i]);
		unsigned r = f->result[derived[i]];

		if (r != CHECK_RESULT_UNKNOWN)
			n += (size_t)snprintf(buf + n, size - n, "%s=%s ",
			    d->name, d->results[r]);
	}
	snprintf(buf + n, size - n, "t=%u i=%u", f->trusted_headers,
	    f->ignored_headers);
	return buf;
}

START_TEST(test_collect)
{
	const struct collect_case *c = &collect_cases[_i];
	struct session *s = add_headers(c->headers);
	struct authres_facts f;
	unsigned ntrusted = 0;
	char got[SUMMARY_MAX];

	while (ntrusted < TRUSTED_MAX && c->trusted[ntrusted] != NULL)
		ntrusted++;
	memset(&f, 0xa5, sizeof(f));
	authres_collect(s->headers, s->nheaders, c->trusted, ntrusted, &f);
	facts_summary(&f, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->want) == 0, "%s:\n got  %s\n want %s",
	    c->label, got, c->want);
	/* Checks that do not come from these headers stay unknown. */
	for (int id = 0; id < CHECK_COUNT; id++) {
		bool ours = false;

		for (size_t i = 0; i < NDERIVED; i++)
			ours = ours || derived[i] == (enum check_id)id;
		if (!ours)
			ck_assert_msg(f.result[id] == CHECK_RESULT_UNKNOWN,
			    "%s: %s set", c->label,
			    check_def((enum check_id)id)->name);
	}
	session_free(s);
}
END_TEST

/* A session is read again from scratch for the next message. */
START_TEST(test_collect_next_message)
{
	const char *const trusted[] = { MX };
	struct session *s = session_new(0);
	struct authres_facts f;

	session_begin_message(s);
	ck_assert_int_eq(session_add_header(s, "Authentication-Results",
	    MX "; spf=fail"), 0);
	authres_collect(s->headers, s->nheaders, trusted, 1, &f);
	ck_assert_uint_eq(f.result[CHECK_SPF],
	    (unsigned)check_result_lookup(CHECK_SPF, "fail"));
	session_begin_message(s);
	authres_collect(s->headers, s->nheaders, trusted, 1, &f);
	ck_assert_uint_eq(f.result[CHECK_SPF], CHECK_RESULT_UNKNOWN);
	ck_assert_uint_eq(f.trusted_headers, 0);
	ck_assert_int_eq(session_add_header(s, "Authentication-Results",
	    MX "; spf=softfail"), 0);
	authres_collect(s->headers, s->nheaders, trusted, 1, &f);
	ck_assert_uint_eq(f.result[CHECK_SPF],
	    (unsigned)check_result_lookup(CHECK_SPF, "softfail"));
	session_free(s);
}
END_TEST

/* authres_suite - the suite. */
/* test_claiming - which A-R headers claim an id: by their position among
 * the A-R headers only, case ignored, comments skipped, unparsable ones
 * included; more than max is -1. */
START_TEST(test_claiming)
{
	static const struct session_header h[] = {
		{ "Subject", "hello" },
		{ "Authentication-Results", "mx.example.org; dkim=pass" },
		{ "authentication-results", "other.example; spf=pass" },
		{ "Authentication-Results", " (forged) MX.Example.ORG; dkim=pass" },
		{ "Authentication-Results", "mx.example.org;;; not parsable" },
		{ "Authentication-Results", "mx.example.org.evil; dkim=pass" },
		{ "X-Authentication-Results", "mx.example.org; dkim=pass" },
		{ "Authentication-Results", "mx.example.org" },
	};
	unsigned idx[8];

	ck_assert_int_eq(authres_claiming(h, NELEM(h), "mx.example.org", idx,
	    8), 4);
	ck_assert_uint_eq(idx[0], 1);
	ck_assert_uint_eq(idx[1], 3);
	ck_assert_uint_eq(idx[2], 4);
	ck_assert_uint_eq(idx[3], 6);
	ck_assert_int_eq(authres_claiming(h, NELEM(h), "mx.example.org", idx,
	    3), -1);
	ck_assert_int_eq(authres_claiming(h, NELEM(h), "none.example", idx,
	    8), 0);
	ck_assert_int_eq(authres_claiming(h, 0, "mx.example.org", idx, 8), 0);
}
END_TEST

static Suite *
authres_suite(void)
{
	Suite *s = suite_create("authres");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0,
	    NELEM(parse_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    NELEM(bad_cases));
	tcase_add_test(tc, test_parse_limits);
	tcase_add_test(tc, test_parse_error_buffer);
	suite_add_tcase(s, tc);
	tc = tcase_create("collect");
	tcase_add_loop_test(tc, test_collect, 0,
	    NELEM(collect_cases));
	tcase_add_test(tc, test_collect_next_message);
	tcase_add_test(tc, test_claiming);
	suite_add_tcase(s, tc);
	return s;
}

/* main - 0 when every test passed. */
int
main(void)
{
	return check_main_run(authres_suite());
}
