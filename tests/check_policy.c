/*
 * check_policy - unit tests of the rule engine and the per-connection flow
 *
 * Policies come from small configs through conf_load(), so what is tested
 * is what an admin writes.  Three tables:
 *   - matchers: one rule, the facts of a session (client, HELO, sender,
 *     recipients, headers, body, macros, check results), the stage, and
 *     whether policy_eval() must find the rule matching;
 *   - flows: a policy and a sequence of stages through flow_stage(), each
 *     with the outcome, the deciding rule and the text the client must
 *     read, then the headers to add and the recipients kept;
 * plus single tests of what tables do not show well: hostile values in
 * the wire text, the failure reply, and reference counting.
 *
 * Facts are written one a line:
 *   client NAME ADDR     ADDR "-" for a connection not over IP
 *   helo NAME
 *   mail ADDR [SIZE]     a new message; SIZE is SIZE= when given
 *   rcpt ADDR
 *   header Name: value   the value as the MTA hands it over
 *   body TEXT            one body line
 *   bytes N              N more body bytes
 *   macro NAME [VALUE]
 *   check NAME RESULT
 *   end                  the message is over
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "conf.h"
#include "flow.h"
#include "log.h"
/* The reference counts, white-box: this is the engine's own test. */
#include "policy_impl.h"
#include "regexec_fail.h"

#define DIAG_TEXT 4096
#define MAX_STEPS 8
#define STEP_END (-1)		/* no more steps */
#define STEP_FACTS (-2)		/* facts only, no stage */

/* What conf_load() said, one "severity line: message" a line. */
struct diags {
	unsigned n;
	char text[DIAG_TEXT];
	struct conf_counts counts;
};

/* diag_note - nothing; a conf_diag_fn appending to the diags arg. */
static void
diag_note(void *arg, enum registry_severity sev, const char *file,
    unsigned line, const char *message)
{
	struct diags *d = arg;
	size_t used = strlen(d->text);

	(void)file;
	if (used < sizeof(d->text))
		snprintf(d->text + used, sizeof(d->text) - used, "\n  %s %u: %s",
		    registry_severity_name(sev), line, message);
	d->n++;
}

/* load - the policy of text, written to a temporary file; d says what the
 * load reported. */
static struct policy *
load(const char *text, struct diags *d)
{
	char path[] = "/tmp/check_policy.XXXXXX";
	int fd = mkstemp(path);
	size_t len = strlen(text);
	struct policy *p;

	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write: %s",
	    strerror(errno));
	ck_assert_int_eq(close(fd), 0);
	memset(d, 0, sizeof(*d));
	p = conf_load(path, diag_note, d, &d->counts);
	unlink(path);
	return p;
}

/* load_ok - the policy of text, which must load without an error. */
static struct policy *
load_ok(const char *text)
{
	struct diags d;
	struct policy *p = load(text, &d);

	ck_assert_msg(p != NULL, "config refused:%s\n--\n%s", d.text, text);
	return p;
}

/* next_word - the word at *p (up to a blank) copied into buf, *p after
 * it and the blanks that follow. */
static const char *
next_word(const char **p, char *buf, size_t size)
{
	size_t len = strcspn(*p, " ");

	snprintf(buf, size, "%.*s", (int)len, *p);
	*p += len;
	while (**p == ' ')
		(*p)++;
	return buf;
}

/* apply_line - record one fact line in s (through f, when there is one,
 * for the message's start and end). */
static void
apply_line(struct flow *f, struct session *s, const char *line)
{
	char verb[16], a[256], b[256];
	const char *p = line;

	next_word(&p, verb, sizeof(verb));
	if (strcmp(verb, "client") == 0) {
		next_word(&p, a, sizeof(a));
		next_word(&p, b, sizeof(b));
		ck_assert_int_eq(session_set_client(s, a, strcmp(b, "-") == 0 ?
		    NULL : b), 0);
	} else if (strcmp(verb, "helo") == 0) {
		ck_assert_int_eq(session_set_helo(s, p), 0);
	} else if (strcmp(verb, "mail") == 0) {
		next_word(&p, a, sizeof(a));
		if (f != NULL)
			flow_begin_message(f);
		else
			session_begin_message(s);
		ck_assert_int_eq(session_set_sender(s, a, *p != '\0',
		    strtoul(p, NULL, 10)), 0);
	} else if (strcmp(verb, "rcpt") == 0) {
		ck_assert_int_eq(session_add_rcpt(s, p), 0);
	} else if (strcmp(verb, "header") == 0) {
		const char *colon = strchr(p, ':');

		ck_assert_ptr_nonnull(colon);
		snprintf(a, sizeof(a), "%.*s", (int)(colon - p), p);
		ck_assert_int_eq(session_add_header(s, a, colon + 1), 0);
	} else if (strcmp(verb, "body") == 0) {
		ck_assert_int_eq(session_add_body(s, (const unsigned char *)p,
		    strlen(p)), 0);
		ck_assert_int_eq(session_add_body(s,
		    (const unsigned char *)"\r\n", 2), 0);
	} else if (strcmp(verb, "bytes") == 0) {
		unsigned long n = strtoul(p, NULL, 10);

		for (unsigned long i = 0; i < n; i++)
			ck_assert_int_eq(session_add_body(s,
			    (const unsigned char *)"x", 1), 0);
	} else if (strcmp(verb, "macro") == 0) {
		next_word(&p, a, sizeof(a));
		ck_assert_int_eq(session_set_macro(s, a, p, s->in_message), 0);
	} else if (strcmp(verb, "check") == 0) {
		enum check_id id;
		int result;

		next_word(&p, a, sizeof(a));
		ck_assert_int_eq(check_lookup(a, &id), 0);
		result = check_result_lookup(id, p);
		ck_assert_int_ge(result, 0);
		session_set_check(s, id, (unsigned)result);
	} else if (strcmp(verb, "end") == 0) {
		if (f != NULL)
			flow_end_message(f);
		else
			session_reset_message(s);
	} else {
		ck_abort_msg("unknown fact \"%s\"", line);
	}
}

/* apply - record the fact lines of facts in s. */
static void
apply(struct flow *f, struct session *s, const char *facts)
{
	char line[512];

	for (const char *p = facts; *p != '\0'; ) {
		size_t len = strcspn(p, "\n");

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		if (len > 0)
			apply_line(f, s, line);
		p += len + (p[len] == '\n');
	}
}

/* -------------------------------------------------------------------------
 * Matchers: policy_eval() of one rule against one session.
 */

/*
 * One row: lists or settings before the rule, the rule's stage and
 * conditions (action reject), the facts, and whether the rule matches.
 */
static const struct match_case {
	const char *label;
	const char *prelude;
	const char *stage;
	const char *conds;
	const char *facts;
	int want;
} match_cases[] = {
	/* client_addr: CIDR, v4 and v6. */
	{ "v4 in range", "", "connect", "client_addr = \"192.0.2.0/24\"",
	    "client mx 192.0.2.7", 1 },
	{ "v4 out of range", "", "connect", "client_addr = \"192.0.2.0/24\"",
	    "client mx 192.0.3.7", 0 },
	{ "v4 host", "", "connect", "client_addr = \"192.0.2.7\"",
	    "client mx 192.0.2.7", 1 },
	{ "v4 host, other", "", "connect", "client_addr = \"192.0.2.7\"",
	    "client mx 192.0.2.8", 0 },
	{ "v6 in range", "", "connect", "client_addr = \"2001:db8::/32\"",
	    "client mx 2001:db8:1::5", 1 },
	{ "v6 out of range", "", "connect", "client_addr = \"2001:db8::/32\"",
	    "client mx 2001:db9::1", 0 },
	{ "v6 range, v4 client", "", "connect", "client_addr = \"::/0\"",
	    "client mx 192.0.2.1", 0 },
	{ "v4-mapped client", "", "connect",
	    "client_addr = \"192.0.2.0/24\"", "client mx ::ffff:192.0.2.9", 1 },
	{ "not over IP", "", "connect",
	    "client_addr = { \"0.0.0.0/0\", \"::/0\" }", "client localhost -",
	    0 },
	{ "several values", "", "connect",
	    "client_addr = { \"10.0.0.0/8\", \"192.0.2.1\" }",
	    "client mx 192.0.2.1", 1 },
	{ "named list v4", "list \"nets\" { type = cidr\n"
	    "entries = { \"10.0.0.0/8\", \"2001:db8::/32\" } }\n", "connect",
	    "client_addr = \"list:nets\"", "client x 10.1.2.3", 1 },
	{ "named list v6", "list \"nets\" { type = cidr\n"
	    "entries = { \"10.0.0.0/8\", \"2001:db8::/32\" } }\n", "connect",
	    "client_addr = \"list:nets\"", "client x 2001:db8::25", 1 },
	{ "named list miss", "list \"nets\" { type = cidr\n"
	    "entries = { \"10.0.0.0/8\", \"2001:db8::/32\" } }\n", "connect",
	    "client_addr = \"list:nets\"", "client x 11.0.0.1", 0 },
	{ "client_addr at a later stage", "", "rcpt",
	    "client_addr = \"192.0.2.0/24\"",
	    "client mx 192.0.2.7\nmail a@b.example\nrcpt c@d.example", 1 },

	/* client_name and helo: domains exact or ".parent", regexes. */
	{ "name exact, any case", "", "connect",
	    "client_name = \"mx.example.com\"", "client MX.Example.COM 192.0.2.1",
	    1 },
	{ "name exact is not a parent", "", "connect",
	    "client_name = \"mx.example.com\"",
	    "client a.mx.example.com 192.0.2.1", 0 },
	{ "name parent", "", "connect", "client_name = \".example.com\"",
	    "client mx.example.com 192.0.2.1", 1 },
	{ "name parent is not the name", "", "connect",
	    "client_name = \".example.com\"", "client example.com 192.0.2.1", 0 },
	{ "name parent is not a suffix", "", "connect",
	    "client_name = \".example.com\"", "client badexample.com 192.0.2.1",
	    0 },
	{ "name regex", "", "connect", "client_name = \"/^mail[0-9]+[.]/\"",
	    "client mail12.example.net 192.0.2.1", 1 },
	{ "name regex /i", "", "connect", "client_name = \"/^MAIL/i\"",
	    "client mail.example.net 192.0.2.1", 1 },
	{ "name regex is case-sensitive", "", "connect",
	    "client_name = \"/^MAIL/\"", "client mail.example.net 192.0.2.1", 0 },
	{ "name unknown", "", "connect", "client_name = \"unknown\"",
	    "client unknown 192.0.2.1", 1 },
	{ "helo exact, any case", "", "helo", "helo = \"localhost\"",
	    "client x 192.0.2.1\nhelo LOCALHOST", 1 },
	{ "helo trailing dot", "", "helo", "helo = \"localhost\"",
	    "client x 192.0.2.1\nhelo localhost.", 1 },
	{ "helo other", "", "helo", "helo = \"localhost\"",
	    "client x 192.0.2.1\nhelo mx.example.net", 0 },
	{ "helo regex", "", "helo", "helo = \"/^[0-9.]+$/\"",
	    "client x 192.0.2.1\nhelo 192.0.2.1", 1 },
	{ "helo regex miss", "", "helo", "helo = \"/^[0-9.]+$/\"",
	    "client x 192.0.2.1\nhelo mx.example.net", 0 },
	{ "helo named domain list", "list \"h\" { type = domain\n"
	    "entries = { \".example.net\" } }\n", "helo", "helo = \"list:h\"",
	    "client x 192.0.2.1\nhelo mx.example.net", 1 },
	{ "helo named regex list", "list \"h\" { type = regex\n"
	    "entries = { \"/^user-[0-9]+/i\" } }\n", "helo", "helo = \"list:h\"",
	    "client x 192.0.2.1\nhelo USER-42.example.net", 1 },

	/* sender: address forms, the null sender, regexes, domain lists. */
	{ "sender exact, any case, brackets", "", "mail",
	    "sender = \"user@example.com\"", "mail <User@Example.COM>", 1 },
	{ "sender without brackets", "", "mail",
	    "sender = \"user@example.com\"", "mail user@example.com", 1 },
	{ "sender other", "", "mail", "sender = \"user@example.com\"",
	    "mail other@example.com", 0 },
	{ "sender @domain", "", "mail", "sender = \"@example.com\"",
	    "mail a@example.com", 1 },
	{ "sender @domain is not its subdomains", "", "mail",
	    "sender = \"@example.com\"", "mail a@sub.example.com", 0 },
	{ "sender local@", "", "mail", "sender = \"postmaster@\"",
	    "mail postmaster@x.example", 1 },
	{ "null sender", "", "mail", "sender = \"<>\"", "mail <>", 1 },
	{ "null sender is not an address", "", "mail", "sender = \"<>\"",
	    "mail a@b.example", 0 },
	{ "an address is not the null sender", "", "mail",
	    "sender = \"@example.com\"", "mail <>", 0 },
	{ "null sender or an address", "", "mail",
	    "sender = { \"<>\", \"a@b.example\" }", "mail a@b.example", 1 },
	{ "sender regex /i", "", "mail", "sender = \"/^bounce-/i\"",
	    "mail Bounce-123@x.example", 1 },
	{ "sender against a domain list", "list \"d\" { type = domain\n"
	    "entries = { \".example.com\" } }\n", "mail", "sender = \"list:d\"",
	    "mail a@mx.example.com", 1 },
	{ "sender against a domain list, miss", "list \"d\" { type = domain\n"
	    "entries = { \".example.com\" } }\n", "mail", "sender = \"list:d\"",
	    "mail a@example.com", 0 },
	{ "sender named address list", "list \"a\" { type = address\n"
	    "entries = { \"@example.org\", \"x@example.com\" } }\n", "mail",
	    "sender = \"list:a\"", "mail y@example.org", 1 },
	/* "<>" in a named address list matches the null sender. */
	{ "null sender in a named address list",
	    "list \"n\" { type = address\nentries = { \"<>\" } }\n", "mail",
	    "sender = \"list:n\"", "mail <>", 1 },

	/* sender_domain. */
	{ "sender_domain exact", "", "mail",
	    "sender_domain = \"example.com\"", "mail a@example.com", 1 },
	{ "sender_domain exact is not a parent", "", "mail",
	    "sender_domain = \"example.com\"", "mail a@sub.example.com", 0 },
	{ "sender_domain parent", "", "mail",
	    "sender_domain = \".example.com\"", "mail a@sub.example.com", 1 },
	{ "sender_domain of the null sender", "", "mail",
	    "sender_domain = \"/.*/\"", "mail <>", 0 },

	/* rcpt and rcpt_domain: the current recipient at rcpt, any later. */
	{ "rcpt at rcpt: not an earlier one", "", "rcpt",
	    "rcpt = \"a@x.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt b@y.example", 0 },
	{ "rcpt at rcpt: the current one", "", "rcpt",
	    "rcpt = \"b@y.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt <B@Y.example>", 1 },
	{ "rcpt at eom: any", "", "eom", "rcpt = \"a@x.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt b@y.example", 1 },
	{ "rcpt at eom: none", "", "eom", "rcpt = \"c@x.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt b@y.example", 0 },
	{ "rcpt_domain at rcpt: the current one only", "", "rcpt",
	    "rcpt_domain = \"x.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt b@y.example", 0 },
	{ "rcpt_domain at eoh: any", "", "eoh", "rcpt_domain = \"x.example\"",
	    "mail s@y.example\nrcpt a@x.example\nrcpt b@y.example", 1 },
	{ "rcpt_domain parent", "", "rcpt", "rcpt_domain = \".example\"",
	    "mail s@y.example\nrcpt b@y.example", 1 },
	{ "rcpt local@", "", "rcpt", "rcpt = \"postmaster@\"",
	    "mail s@y.example\nrcpt postmaster@y.example", 1 },

	/* rcpt_count. */
	{ "rcpt_count > 2 of 3", "", "rcpt", "rcpt_count = \"> 2\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },
	{ "rcpt_count > 3 of 3", "", "rcpt", "rcpt_count = \"> 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 0 },
	{ "rcpt_count >= 3 of 3", "", "rcpt", "rcpt_count = \">= 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },
	{ "rcpt_count < 3 of 3", "", "rcpt", "rcpt_count = \"< 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 0 },
	{ "rcpt_count <= 3 of 3", "", "rcpt", "rcpt_count = \"<= 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },
	{ "rcpt_count = 3 of 3", "", "rcpt", "rcpt_count = \"= 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },
	{ "rcpt_count == 3 of 3", "", "rcpt", "rcpt_count = \"==3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },
	{ "rcpt_count != 3 of 3", "", "rcpt", "rcpt_count = \"!= 3\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 0 },
	{ "rcpt_count at eom", "", "eom", "rcpt_count = \"> 2\"",
	    "mail s@y\nrcpt a@x\nrcpt b@x\nrcpt c@x", 1 },

	/* size: SIZE= before the body, the bytes seen at eom. */
	{ "SIZE= above 10M", "", "mail", "size = \"> 10M\"",
	    "mail a@b.example 10485761", 1 },
	{ "SIZE= at 10M", "", "mail", "size = \"> 10M\"",
	    "mail a@b.example 10485760", 0 },
	{ "SIZE= >= 10M", "", "mail", "size = \">= 10M\"",
	    "mail a@b.example 10485760", 1 },
	{ "K suffix", "", "mail", "size = \"> 512K\"",
	    "mail a@b.example 524289", 1 },
	{ "k and B", "", "mail", "size = \"> 512kb\"",
	    "mail a@b.example 524289", 1 },
	{ "K suffix boundary", "", "mail", "size = \"> 512K\"",
	    "mail a@b.example 524288", 0 },
	{ "G suffix", "", "mail", "size = \">= 1G\"",
	    "mail a@b.example 1073741824", 1 },
	{ "plain number", "", "mail", "size = \"= 100\"",
	    "mail a@b.example 100", 1 },
	{ "no SIZE=", "", "mail", "size = \"< 1M\"", "mail a@b.example", 0 },
	{ "SIZE= at rcpt", "", "rcpt", "size = \"> 1K\"",
	    "mail a@b.example 2000\nrcpt c@d.example", 1 },
	{ "actual size at eom", "", "eom", "size = \"> 1K\"",
	    "mail a@b.example 10\nrcpt c@d.example\nbytes 1025", 1 },
	{ "at eom the actual size, not SIZE=", "", "eom", "size = \"> 1K\"",
	    "mail a@b.example 100000\nrcpt c@d.example\nbytes 10", 0 },
	{ "actual size counts past body_limit", "body_limit = 10\n", "eom",
	    "size = \"> 1K\"", "mail a@b.example\nrcpt c@d.example\nbytes 5000",
	    1 },

	/* header: the current header at header, any header later. */
	{ "header stage: the current header", "", "header",
	    "header = \"Subject\"",
	    "mail a@b\nrcpt c@d\nheader From: x\nheader Subject: hi", 1 },
	{ "header stage: not an earlier header", "", "header",
	    "header = \"Subject\"",
	    "mail a@b\nrcpt c@d\nheader Subject: hi\nheader From: x", 0 },
	{ "eoh: any header", "", "eoh", "header = \"Subject\"",
	    "mail a@b\nrcpt c@d\nheader Subject: hi\nheader From: x", 1 },
	{ "eom: any header", "", "eom", "header = \"X-A: /^yes$/\"",
	    "mail a@b\nrcpt c@d\nheader X-A: yes\nheader From: x", 1 },
	{ "name any case", "", "eoh", "header = \"subject\"",
	    "mail a@b\nrcpt c@d\nheader SUBJECT: x", 1 },
	{ "absent", "", "eoh", "header = \"X-Spam\"",
	    "mail a@b\nrcpt c@d\nheader Subject: x", 0 },
	{ "value exact, any case", "", "eoh", "header = \"Precedence: bulk\"",
	    "mail a@b\nrcpt c@d\nheader Precedence: BULK", 1 },
	{ "value exact is not a prefix", "", "eoh",
	    "header = \"Precedence: bulk\"",
	    "mail a@b\nrcpt c@d\nheader Precedence: bulky", 0 },
	{ "value after blanks", "", "eoh", "header = \"Precedence: bulk\"",
	    "mail a@b\nrcpt c@d\nheader Precedence: \t bulk", 1 },
	{ "value of another header", "", "eoh",
	    "header = \"Precedence: bulk\"",
	    "mail a@b\nrcpt c@d\nheader X-Precedence: bulk", 0 },
	{ "value regex /i", "", "eoh", "header = \"Subject: /viagra/i\"",
	    "mail a@b\nrcpt c@d\nheader Subject: Buy VIAGRA now", 1 },
	{ "value regex is case-sensitive", "", "eoh",
	    "header = \"Subject: /viagra/\"",
	    "mail a@b\nrcpt c@d\nheader Subject: Buy VIAGRA now", 0 },
	{ "several headers: any", "", "eoh", "header = { \"X-A\", \"X-B\" }",
	    "mail a@b\nrcpt c@d\nheader X-B: 1", 1 },
	{ "several headers: none", "", "eoh", "header = { \"X-A\", \"X-B\" }",
	    "mail a@b\nrcpt c@d\nheader X-C: 1", 0 },

	/* body. */
	{ "body regex /i", "", "body", "body = \"/lottery/i\"",
	    "mail a@b\nrcpt c@d\nbody You won the LOTTERY", 1 },
	{ "body miss", "", "body", "body = \"/lottery/i\"",
	    "mail a@b\nrcpt c@d\nbody Hello", 0 },
	{ "no body", "", "eom", "body = \"/./\"", "mail a@b\nrcpt c@d", 0 },
	{ "body past body_limit is not seen", "body_limit = 10\n", "eom",
	    "body = \"/SECRET/\"", "mail a@b\nrcpt c@d\nbody 0123456789SECRET",
	    0 },
	{ "body within body_limit", "body_limit = 20\n", "eom",
	    "body = \"/SECRET/\"", "mail a@b\nrcpt c@d\nbody 0123456789SECRET",
	    1 },
	{ "body named regex list", "list \"r\" { type = regex\n"
	    "entries = { \"/casino/i\" } }\n", "body", "body = \"list:r\"",
	    "mail a@b\nrcpt c@d\nbody Online CASINO", 1 },

	/* macro: presence, value, regex. */
	{ "macro present", "", "mail", "macro = \"{auth_authen}\"",
	    "macro {auth_authen} alice\nmail a@b", 1 },
	{ "macro absent", "", "mail", "macro = \"{auth_authen}\"",
	    "mail a@b", 0 },
	{ "macro empty", "", "mail", "macro = \"{auth_authen}\"",
	    "macro {auth_authen}\nmail a@b", 0 },
	{ "macro value, any case", "", "mail",
	    "macro = \"{auth_authen}: alice\"",
	    "macro {auth_authen} ALICE\nmail a@b", 1 },
	{ "macro other value", "", "mail", "macro = \"{auth_authen}: alice\"",
	    "macro {auth_authen} bob\nmail a@b", 0 },
	{ "macro regex", "", "mail", "macro = \"{auth_authen}: /^al/\"",
	    "macro {auth_authen} alice\nmail a@b", 1 },
	{ "single-letter macro", "", "mail", "macro = \"i\"",
	    "mail a@b\nmacro i 4XyzQ1", 1 },
	{ "connect macro", "", "connect",
	    "macro = \"{daemon_name}: ORIGINATING\"",
	    "client x 192.0.2.1\nmacro {daemon_name} originating", 1 },
	{ "message macro gone with the message", "", "mail",
	    "macro = \"i\"", "mail a@b\nmacro i 4XyzQ1\nend\nmail c@d", 0 },

	/* check results. */
	{ "spf fail", "", "mail", "check = \"spf: fail\"",
	    "mail a@b\ncheck spf fail", 1 },
	{ "spf pass", "", "mail", "check = \"spf: fail\"",
	    "mail a@b\ncheck spf pass", 0 },
	{ "spf fail|softfail", "", "mail", "check = \"spf: fail|softfail\"",
	    "mail a@b\ncheck spf softfail", 1 },
	{ "spf fail, softfail", "", "mail", "check = \"spf: fail, softfail\"",
	    "mail a@b\ncheck spf softfail", 1 },
	{ "spf not known", "", "mail", "check = \"spf: fail\"", "mail a@b", 0 },
	{ "spf of the last message is forgotten", "", "mail",
	    "check = \"spf: fail\"", "mail a@b\ncheck spf fail\nmail c@d", 0 },
	{ "iprev holds for the connection", "", "mail",
	    "check = \"iprev: fail\"",
	    "client x 192.0.2.1\ncheck iprev fail\nmail a@b\nend\nmail c@d", 1 },
	{ "dnsbl listed", "dnsbl \"z\" { zone = \"bl.example\" }\n", "connect",
	    "check = \"dnsbl: listed\"\nreply = \"550 5.7.1 listed\"",
	    "client x 192.0.2.1\ncheck dnsbl listed", 1 },
	{ "two checks: either", "", "eoh",
	    "check = { \"spf: fail\", \"dkim: fail\" }",
	    "mail a@b\ncheck dkim fail\nrcpt c@d", 1 },

	/* any, all, not. */
	{ "all: both", "", "helo",
	    "helo = \"a.example\"\nclient_name = \"b.example\"",
	    "client b.example 192.0.2.1\nhelo a.example", 1 },
	{ "all: one only", "", "helo",
	    "helo = \"a.example\"\nclient_name = \"b.example\"",
	    "client c.example 192.0.2.1\nhelo a.example", 0 },
	{ "any: one", "", "helo",
	    "any {\nhelo = \"a.example\"\nclient_name = \"c.example\"\n}",
	    "client b.example 192.0.2.1\nhelo a.example", 1 },
	{ "any: none", "", "helo",
	    "any {\nhelo = \"a.example\"\nclient_name = \"c.example\"\n}",
	    "client b.example 192.0.2.1\nhelo x.example", 0 },
	{ "not: no child", "", "helo", "not {\nhelo = \"localhost\"\n}",
	    "client b.example 192.0.2.1\nhelo mx.example", 1 },
	{ "not: the child", "", "helo", "not {\nhelo = \"localhost\"\n}",
	    "client b.example 192.0.2.1\nhelo localhost", 0 },
	{ "not: one of several", "", "helo",
	    "not {\nhelo = \"a.example\"\nclient_name = \"b.example\"\n}",
	    "client b.example 192.0.2.1\nhelo x.example", 0 },
	{ "two anys are both needed", "", "helo",
	    "any {\nhelo = \"a.example\"\n}\nany {\nhelo = \"b.example\"\n}",
	    "client b.example 192.0.2.1\nhelo a.example", 0 },
	{ "nested: the all", "", "helo",
	    "any {\nnot {\nhelo = \"/[.]/\"\n}\nall {\nhelo = \"a.example\"\n"
	    "client_name = \"b.example\"\n}\n}",
	    "client b.example 192.0.2.1\nhelo a.example", 1 },
	{ "nested: neither", "", "helo",
	    "any {\nnot {\nhelo = \"/[.]/\"\n}\nall {\nhelo = \"a.example\"\n"
	    "client_name = \"b.example\"\n}\n}",
	    "client c.example 192.0.2.1\nhelo a.example", 0 },
	{ "nested: the not", "", "helo",
	    "any {\nnot {\nhelo = \"/[.]/\"\n}\nall {\nhelo = \"a.example\"\n"
	    "client_name = \"b.example\"\n}\n}",
	    "client c.example 192.0.2.1\nhelo localhost", 1 },
	{ "conditions beside a nested any", "", "mail",
	    "sender = \"@example.com\"\nany {\nhelo = \"a.example\"\n"
	    "client_name = \"b.example\"\n}",
	    "client b.example 192.0.2.1\nhelo x\nmail u@example.org", 0 },
	{ "no conditions: always", "", "rcpt", "",
	    "mail a@b\nrcpt c@d", 1 },
};

/* test_match - one row of match_cases. */
START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	char config[2048];
	struct policy_verdict v;
	enum policy_result got;
	struct policy *p;
	struct session *s;
	enum stage st;
	bool ok;

	ck_assert_int_eq(stage_parse(c->stage, &st), 0);
	snprintf(config, sizeof(config), "%srule \"r\" {\nstage = %s\n%s\n"
	    "action = reject\n}\n", c->prelude, c->stage, c->conds);
	p = load_ok(config);
	s = session_new(policy_settings(p)->body_limit);
	ck_assert_ptr_nonnull(s);
	apply(NULL, s, c->facts);
	got = policy_eval(p, st, s, &v);
	ok = got == (c->want ? POLICY_MATCH : POLICY_NOMATCH) &&
	    (c->want ? v.rule == policy_rule_find(p, "r") : v.rule == NULL) &&
	    v.neffects == 0;
	/* Released first, so a failing row leaks nothing under valgrind. */
	session_free(s);
	policy_unref(p);
	ck_assert_msg(ok, "%s: want %s", c->label, c->want ? "a match" :
	    "no match");
}
END_TEST

/* -------------------------------------------------------------------------
 * Flows: stages in sequence through flow_stage().
 */

struct step {
	int stage;		/* enum stage, STEP_FACTS or STEP_END */
	const char *facts;
	enum flow_outcome want;
	const char *rule;	/* the deciding rule, or NULL: not checked */
	const char *text;	/* as the client reads it, or NULL */
	int deferred;		/* -1: not checked */
};

/*
 * One row: the config, the steps, then the headers the flow must hold
 * after the last step ("Name: value", in order) and how many recipients
 * the session must keep (-1: not checked).
 */
static const struct flow_case {
	const char *label;
	const char *config;
	struct step steps[MAX_STEPS];
	const char *headers[4];
	int nrcpts;
} flow_cases[] = {
	/* --- Order and the decisive actions ------------------------------ */
	{ "first decisive match in file order",
	    "rule \"skip\" {\nstage = helo\nhelo = \"other.example\"\n"
	    "reply = \"550 5.7.1 skip\"\n}\n"
	    "rule \"first\" {\nstage = helo\nhelo = \"x.example\"\n"
	    "reply = \"550 5.7.1 first\"\n}\n"
	    "rule \"second\" {\nstage = helo\nhelo = \"x.example\"\n"
	    "reply = \"451 4.7.1 second\"\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_HELO, "helo x.example", FLOW_REJECT, "first",
	    "550 5.7.1 first", 0 }, { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { NULL }, -1 },
	{ "no match continues",
	    "rule \"r\" {\nstage = helo\nhelo = \"x.example\"\n"
	    "action = reject\n}\n",
	    { { STAGE_HELO, "client c 192.0.2.1\nhelo y.example",
	    FLOW_CONTINUE, NULL, "", 0 }, { STEP_END, NULL, 0, NULL, NULL,
	    0 } }, { NULL }, -1 },
	{ "continue ends the stage only",
	    "rule \"pass\" {\nstage = helo\nhelo = \"x.example\"\n"
	    "action = continue\n}\n"
	    "rule \"blocked\" {\nstage = helo\nhelo = \"/example/\"\n"
	    "action = reject\n}\n"
	    "rule \"later\" {\nstage = mail\naction = tempfail\n}\n",
	    { { STAGE_HELO, "client c 192.0.2.1\nhelo x.example",
	    FLOW_CONTINUE, "pass", "", 0 },
	    { STAGE_MAIL, "mail a@b.example", FLOW_TEMPFAIL, "later",
	    "451 4.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "discard",
	    "rule \"d\" {\nstage = rcpt\nrcpt = \"trap@x.example\"\n"
	    "action = discard\n}\n",
	    { { STAGE_RCPT, "mail a@b.example\nrcpt trap@x.example",
	    FLOW_DISCARD, "d", "", 0 }, { STEP_END, NULL, 0, NULL, NULL,
	    0 } }, { NULL }, -1 },
	{ "accept at connect ends the connection",
	    "rule \"local\" {\nstage = connect\n"
	    "client_addr = \"192.0.2.0/24\"\naction = accept\n}\n"
	    "rule \"h\" {\nstage = helo\naction = reject\n}\n"
	    "rule \"m\" {\nstage = mail\naction = reject\n}\n"
	    "rule \"r\" {\nstage = rcpt\naction = reject\n}\n"
	    "rule \"e\" {\nstage = eom\naction = reject\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_ACCEPT, "local", "",
	    0 },
	    { STAGE_HELO, "helo x", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_MAIL, "mail a@b", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt c@d", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_EOM, "", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_MAIL, "end\nmail e@f", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 0 },
	{ "accept at connect for others: rules run",
	    "rule \"local\" {\nstage = connect\n"
	    "client_addr = \"192.0.2.0/24\"\naction = accept\n}\n"
	    "rule \"m\" {\nstage = mail\naction = reject\n}\n",
	    { { STAGE_CONNECT, "client c 198.51.100.1", FLOW_CONTINUE, NULL,
	    "", 0 },
	    { STAGE_MAIL, "mail a@b", FLOW_REJECT, "m", NULL, 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "accept at helo ends the connection",
	    "rule \"ok\" {\nstage = helo\nhelo = \"trusted.example\"\n"
	    "action = accept\n}\n"
	    "rule \"m\" {\nstage = mail\naction = reject\n}\n",
	    { { STAGE_HELO, "client c 192.0.2.1\nhelo trusted.example",
	    FLOW_ACCEPT, "ok", "", 0 },
	    { STAGE_MAIL, "mail a@b", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_MAIL, "end\nmail c@d", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "accept at mail ends the message",
	    "rule \"ok\" {\nstage = mail\nsender = \"@trusted.example\"\n"
	    "action = accept\n}\n"
	    "rule \"r\" {\nstage = rcpt\nreply = \"550 5.7.1 no\"\n}\n"
	    "rule \"e\" {\nstage = eom\naction = reject\n}\n",
	    { { STAGE_MAIL, "client c 192.0.2.1\nmail a@trusted.example",
	    FLOW_ACCEPT, "ok", "", 0 },
	    { STAGE_RCPT, "rcpt x@y", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_EOM, "", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_MAIL, "end\nmail a@other.example", FLOW_CONTINUE, NULL,
	    "", 0 },
	    { STAGE_RCPT, "rcpt x@y", FLOW_REJECT, "r", "550 5.7.1 no", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 0 },

	/* --- A decision at connect is delivered at the next stage -------- */
	{ "connect reject delivered at helo",
	    "rule \"bl\" {\nstage = connect\nclient_addr = \"192.0.2.0/24\"\n"
	    "reply = \"550 5.7.1 Go away, %{client_addr}\"\n}\n"
	    "rule \"ok\" {\nstage = helo\naction = accept\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_HELO, "helo x", FLOW_REJECT, "bl",
	    "550 5.7.1 Go away, 192.0.2.1", 1 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "connect reject delivered at mail without helo",
	    "rule \"bl\" {\nstage = connect\nclient_addr = \"192.0.2.0/24\"\n"
	    "action = reject\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_MAIL, "mail a@b", FLOW_REJECT, "bl",
	    "550 5.7.1 Delivery not authorized, message refused", 1 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "connect tempfail delivered at helo",
	    "rule \"busy\" {\nstage = connect\n"
	    "reply = \"421 4.3.2 Not now\"\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_HELO, "helo x", FLOW_TEMPFAIL, "busy", "421 4.3.2 Not now",
	    1 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },

	/*
	 * A connect decision holds for the connection: a client that skipped
	 * HELO gets it at every MAIL FROM, not only the first.
	 */
	{ "a connect reject holds for the next MAIL FROM without HELO",
	    "rule \"bl\" {\nstage = connect\nclient_addr = \"192.0.2.0/24\"\n"
	    "reply = \"550 5.7.1 Blocked\"\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_MAIL, "mail a@b", FLOW_REJECT, "bl", "550 5.7.1 Blocked",
	    1 },
	    { STAGE_MAIL, "end\nmail a@b", FLOW_REJECT, "bl",
	    "550 5.7.1 Blocked", -1 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },

	/* --- Recipients refused are not part of the message -------------- */
	{ "a refused recipient is dropped",
	    "rule \"bad\" {\nstage = rcpt\nrcpt_domain = \"x.example\"\n"
	    "reply = \"550 5.1.1 No such user %{rcpt}\"\n}\n"
	    "rule \"many\" {\nstage = eom\nrcpt_count = \"> 1\"\n"
	    "reply = \"550 5.7.1 many\"\n}\n"
	    "rule \"dom\" {\nstage = eom\nrcpt_domain = \"x.example\"\n"
	    "reply = \"550 5.7.1 x\"\n}\n",
	    { { STAGE_MAIL, "client c 192.0.2.1\nmail a@b.example",
	    FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt good@y.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt bad@x.example", FLOW_REJECT, "bad",
	    "550 5.1.1 No such user bad@x.example", 0 },
	    { STAGE_EOM, "", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 1 },
	{ "a tempfailed recipient is dropped",
	    "rule \"later\" {\nstage = rcpt\nrcpt = \"b@x.example\"\n"
	    "reply = \"450 4.2.0 Mailbox busy\"\n}\n"
	    "rule \"count\" {\nstage = rcpt\nrcpt_count = \">= 3\"\n"
	    "reply = \"452 4.5.3 Too many recipients\"\n}\n",
	    { { STAGE_MAIL, "mail a@b.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt a@x.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt b@x.example", FLOW_TEMPFAIL, "later",
	    "450 4.2.0 Mailbox busy", 0 },
	    { STAGE_RCPT, "rcpt c@x.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STAGE_RCPT, "rcpt d@x.example", FLOW_TEMPFAIL, "count", NULL,
	    0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 2 },

	/* --- Rules that do not decide ------------------------------------ */
	{ "add-header and dry-run go on to the decisive rule",
	    "rule \"tag\" {\nstage = mail\n"
	    "add_header = \"X-Tag: from %{sender}\"\n}\n"
	    "rule \"dry\" {\nstage = mail\nmode = dry-run\n"
	    "reply = \"550 5.7.1 dry %{sender}\"\n}\n"
	    "rule \"real\" {\nstage = mail\nreply = \"550 5.7.1 real\"\n}\n",
	    { { STAGE_MAIL, "client c 192.0.2.1\nmail a@b.example",
	    FLOW_REJECT, "real", "550 5.7.1 real", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-Tag: from a@b.example",
	    "X-Replymilter-Dry-Run: rule=dry; id=dry; stage=mail; "
	    "would=reject 550 5.7.1 dry a@b.example", NULL }, -1 },
	{ "a dry run alone continues",
	    "dry_run_header = \"X-Test\"\n"
	    "rule \"dry\" {\nstage = rcpt\nmode = dry-run\nid = \"D-1\"\n"
	    "reply = { \"550 5.7.1 one\", \"two\" }\n}\n",
	    { { STAGE_RCPT, "mail a@b.example\nrcpt c@d.example",
	    FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-Test: rule=dry; id=D-1; stage=rcpt; would=reject "
	    "550-5.7.1 one 550 5.7.1 two", NULL }, 1 },
	{ "a dry-run accept",
	    "rule \"dry\" {\nstage = eom\nmode = dry-run\naction = accept\n}\n"
	    "rule \"e\" {\nstage = eom\nreply = \"550 5.7.1 e\"\n}\n",
	    { { STAGE_EOM, "mail a@b.example\nrcpt c@d.example", FLOW_REJECT,
	    "e", "550 5.7.1 e", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-Replymilter-Dry-Run: rule=dry; id=dry; stage=eom; "
	    "would=accept", NULL }, -1 },
	{ "headers at eom, values filled, '%' kept single",
	    "rule \"h1\" {\nstage = eom\n"
	    "add_header = \"X-Score: 100% %{rcpt_domain}\"\n}\n"
	    "rule \"h2\" {\nstage = eom\nadd_header = \"X-Q: %{sender}\"\n}\n",
	    { { STAGE_EOM, "mail a%b@x.example\nrcpt c@d.example",
	    FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-Score: 100% d.example", "X-Q: a%b@x.example", NULL }, -1 },
	{ "headers go with the message",
	    "rule \"h\" {\nstage = mail\nadd_header = \"X-A: %{sender}\"\n}\n",
	    { { STAGE_MAIL, "mail a@b.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_FACTS, "end", 0, NULL, NULL, 0 },
	    { STAGE_MAIL, "mail c@d.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-A: c@d.example", NULL }, -1 },
	/* A dry-run header shows a value's '%' as sent: "%%" stays "%%". */
	{ "a dry-run header keeps '%%' in a value",
	    "rule \"dry\" {\nstage = mail\nmode = dry-run\n"
	    "reply = \"550 5.7.1 from %{sender}\"\n}\n",
	    { { STAGE_MAIL, "mail a%%b@x.example", FLOW_CONTINUE, NULL, "", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } },
	    { "X-Replymilter-Dry-Run: rule=dry; id=dry; stage=mail; "
	    "would=reject 550 5.7.1 from a%%b@x.example", NULL }, -1 },

	/* --- Replies completed from the registry ------------------------- */
	{ "reply = \"5.7.23\"",
	    "rule \"r\" {\nstage = mail\nreply = \"5.7.23\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "r",
	    "550 5.7.23 SPF validation failed", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "action = reject alone",
	    "rule \"r\" {\nstage = mail\naction = reject\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "r",
	    "550 5.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "action = tempfail alone",
	    "rule \"r\" {\nstage = mail\naction = tempfail\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "reply = \"452 4.3.1\" alone is a tempfail",
	    "rule \"r\" {\nstage = mail\nreply = \"452 4.3.1\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "452 4.3.1 Mail system full", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "reply = \"4.3.1\" takes its registered basic code",
	    "rule \"r\" {\nstage = mail\nreply = \"4.3.1\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "452 4.3.1 Mail system full", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "codes only take the registry's text",
	    "rule \"r\" {\nstage = rcpt\nreply = \"550 5.1.1\"\n}\n",
	    { { STAGE_RCPT, "mail a@b\nrcpt c@d", FLOW_REJECT, "r",
	    "550 5.1.1 Bad destination mailbox address", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 0 },
	{ "a check's own reply",
	    "rule \"r\" {\nstage = mail\ncheck = \"spf: fail\"\n}\n",
	    { { STAGE_MAIL, "mail a@b\ncheck spf fail", FLOW_REJECT, "r",
	    "550 5.7.23 SPF validation failed", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "a check's own temporary reply",
	    "rule \"r\" {\nstage = mail\ncheck = \"spf: temperror\"\n}\n",
	    { { STAGE_MAIL, "mail a@b\ncheck spf temperror", FLOW_TEMPFAIL,
	    "r", "451 4.7.24 SPF validation error, please try again later",
	    0 }, { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "a check's reply yields to the action's class",
	    "rule \"r\" {\nstage = mail\ncheck = \"spf: fail\"\n"
	    "action = tempfail\n}\n",
	    { { STAGE_MAIL, "mail a@b\ncheck spf fail", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "rcpt_count's own reply",
	    "rule \"r\" {\nstage = rcpt\nrcpt_count = \"> 1\"\n}\n",
	    { { STAGE_RCPT, "mail a@b\nrcpt c@d\nrcpt e@f", FLOW_TEMPFAIL, "r",
	    "452 4.5.3 Too many recipients", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 1 },
	{ "size's own reply",
	    "rule \"r\" {\nstage = mail\nsize = \"> 1M\"\n}\n",
	    { { STAGE_MAIL, "mail a@b 2000000", FLOW_REJECT, "r",
	    "552 5.3.4 Message too big for system", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "values in a text",
	    "rule \"r\" {\nstage = rcpt\nid = \"R-7\"\n"
	    "reply = { \"550 5.7.1 %{rcpt} (%{rcpt_domain}) from %{sender}\","
	    " \"rule %{rule}, id %{reply_id}\","
	    " \"%{client_name} [%{client_addr}] %{helo}\","
	    " \"%{queue_id} %{dnsbl_zone}\" }\n}\n",
	    { { STAGE_RCPT, "client mx.example 192.0.2.1\nhelo h.example\n"
	    "mail <>\nrcpt <c@d.example>", FLOW_REJECT, "r",
	    "550-5.7.1 c@d.example (d.example) from <>\n"
	    "550-5.7.1 rule r, id R-7\n"
	    "550-5.7.1 mx.example [192.0.2.1] h.example\n"
	    "550 5.7.1 unknown unknown", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 0 },

	/* --- disclose = generic ------------------------------------------ */
	{ "generic 5.7.23",
	    "disclose = generic\n"
	    "rule \"r\" {\nstage = mail\n"
	    "reply = \"550 5.7.23 SPF failed\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "r",
	    "550 5.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "generic 452 4.3.1",
	    "disclose = generic\n"
	    "rule \"r\" {\nstage = mail\nreply = \"452 4.3.1 Disk full\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "451 4.3.0 Other or undefined mail system status", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "generic, but this rule is specific",
	    "disclose = generic\n"
	    "rule \"r\" {\nstage = mail\ndisclose = specific\n"
	    "reply = \"550 5.7.23 SPF failed\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "r",
	    "550 5.7.23 SPF failed", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "specific, but this rule is generic",
	    "rule \"r\" {\nstage = rcpt\ndisclose = generic\n"
	    "reply = \"550 5.1.1 No such user\"\n}\n",
	    { { STAGE_RCPT, "mail a@b\nrcpt c@d", FLOW_REJECT, "r",
	    "550 5.1.0 Other address status", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, 0 },

	/* --- soft_bounce ------------------------------------------------- */
	{ "soft_bounce 550 5.7.1",
	    "soft_bounce = true\n"
	    "rule \"r\" {\nstage = mail\nreply = \"550 5.7.1 Go away\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Go away", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "soft_bounce 550 5.7.23 falls back to 4.7.0",
	    "soft_bounce = true\n"
	    "rule \"r\" {\nstage = mail\nreply = \"5.7.23\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "450 4.7.0 SPF validation failed", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "soft_bounce leaves a 4xx",
	    "soft_bounce = true\n"
	    "rule \"r\" {\nstage = mail\nreply = \"452 4.3.1 Disk full\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "452 4.3.1 Disk full", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	/* disclose = generic with soft_bounce: one wire copy (valgrind-clean). */
	{ "soft_bounce and generic",
	    "soft_bounce = true\ndisclose = generic\n"
	    "rule \"r\" {\nstage = mail\nreply = \"5.7.23\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Delivery not authorized, message refused", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "soft_bounce at connect, deferred",
	    "soft_bounce = true\n"
	    "rule \"r\" {\nstage = connect\naction = reject\n}\n",
	    { { STAGE_CONNECT, "client c 192.0.2.1", FLOW_CONTINUE, NULL, "",
	    0 },
	    { STAGE_HELO, "helo x", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Delivery not authorized, message refused", 1 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },

	/* --- reply_id ---------------------------------------------------- */
	{ "reply_id",
	    "reply_id = true\n"
	    "rule \"spf-fail\" {\nstage = mail\nreply = \"5.7.23\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "spf-fail",
	    "550 5.7.23 SPF validation failed [spf-fail]", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "reply_id with an id, on the last line",
	    "reply_id = true\n"
	    "rule \"r\" {\nstage = mail\nid = \"RM-12\"\n"
	    "reply = { \"550 5.7.1 one\", \"two\" }\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_REJECT, "r",
	    "550-5.7.1 one\n550 5.7.1 two [RM-12]", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
	{ "reply_id, generic and soft_bounce",
	    "reply_id = true\nsoft_bounce = true\ndisclose = generic\n"
	    "rule \"r\" {\nstage = mail\nreply = \"5.7.23\"\n}\n",
	    { { STAGE_MAIL, "mail a@b", FLOW_TEMPFAIL, "r",
	    "451 4.7.1 Delivery not authorized, message refused [r]", 0 },
	    { STEP_END, NULL, 0, NULL, NULL, 0 } }, { NULL }, -1 },
};

/* step_problem - what is wrong with step i's outcome o and result out,
 * into why; whether anything is. */
static bool
step_problem(const struct flow_case *c, unsigned i, enum flow_outcome o,
    const struct flow_result *out, bool pending, char *why, size_t size)
{
	const struct step *st = &c->steps[i];
	/* A connect decision holds for the connection once taken. */
	bool want_pending = out->deferred || (st->stage == STAGE_CONNECT &&
	    out->rule != NULL && (policy_rule_action(out->rule) ==
	    POLICY_REJECT || policy_rule_action(out->rule) == POLICY_TEMPFAIL)
	    && !policy_rule_dry_run(out->rule));

	if (o != st->want || out->outcome != st->want)
		snprintf(why, size, "%s, step %u (%s): %s, want %s", c->label,
		    i + 1, stage_name((enum stage)st->stage),
		    flow_outcome_name(o), flow_outcome_name(st->want));
	else if (st->rule != NULL && (out->rule == NULL ||
	    strcmp(policy_rule_name(out->rule), st->rule) != 0))
		snprintf(why, size, "%s, step %u: rule %s, want %s", c->label,
		    i + 1, out->rule != NULL ? policy_rule_name(out->rule) : "none",
		    st->rule);
	else if (st->text != NULL && strcmp(out->text, st->text) != 0)
		snprintf(why, size, "%s, step %u: text \"%s\", want \"%s\"",
		    c->label, i + 1, out->text, st->text);
	else if (st->deferred >= 0 && out->deferred != st->deferred)
		snprintf(why, size, "%s, step %u: deferred %d, want %d",
		    c->label, i + 1, out->deferred, st->deferred);
	else if ((o == FLOW_REJECT || o == FLOW_TEMPFAIL) &&
	    (out->reply == NULL || out->rendered == NULL ||
	    out->rendered->basic[0] != (o == FLOW_REJECT ? '5' : '4')))
		snprintf(why, size, "%s, step %u: no reply of the outcome's "
		    "class", c->label, i + 1);
	else if (pending != want_pending)
		/* A decision at connect waits for the next stage. */
		snprintf(why, size, "%s, step %u: pending %d, want %d",
		    c->label, i + 1, pending, want_pending);
	return why[0] != '\0';
}

/* headers_problem - what is wrong with the headers f holds, into why;
 * whether anything is. */
static bool
headers_problem(const struct flow_case *c, const struct flow *f, char *why,
    size_t size)
{
	unsigned n;
	const struct flow_header *h = flow_headers(f, &n);

	for (unsigned i = 0; i < NELEM(c->headers); i++) {
		char got[2048];

		if (c->headers[i] == NULL) {
			if (n != i)
				snprintf(why, size, "%s: %u headers, want %u",
				    c->label, n, i);
			break;
		}
		if (i >= n) {
			snprintf(why, size, "%s: header %u missing", c->label,
			    i + 1);
			break;
		}
		snprintf(got, sizeof(got), "%s: %s", h[i].name, h[i].value);
		if (strcmp(got, c->headers[i]) != 0) {
			snprintf(why, size, "%s: header %u is \"%s\", want "
			    "\"%s\"", c->label, i + 1, got, c->headers[i]);
			break;
		}
	}
	return why[0] != '\0';
}

/* test_flow - one row of flow_cases; everything is released before a
 * failure is reported, so valgrind sees no leak from a failing row. */
START_TEST(test_flow)
{
	const struct flow_case *c = &flow_cases[_i];
	struct policy *p = load_ok(c->config);
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	char why[4096] = "";
	struct session *s;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	flow_run_checks(f, false);
	s = flow_session(f);
	for (unsigned i = 0; i < MAX_STEPS && c->steps[i].stage != STEP_END;
	    i++) {
		const struct step *st = &c->steps[i];
		enum flow_outcome o;

		apply(f, s, st->facts);
		if (st->stage == STEP_FACTS)
			continue;
		o = flow_stage(f, (enum stage)st->stage, out);
		if (step_problem(c, i, o, out, flow_pending(f), why,
		    sizeof(why)))
			break;
	}
	if (why[0] == '\0')
		(void)headers_problem(c, f, why, sizeof(why));
	if (why[0] == '\0' && c->nrcpts >= 0 &&
	    s->nrcpts != (unsigned)c->nrcpts)
		snprintf(why, sizeof(why), "%s: %u recipients, want %d",
		    c->label, s->nrcpts, c->nrcpts);
	free(out);
	flow_free(f);
	policy_unref(p);
	ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

/* -------------------------------------------------------------------------
 * Single tests.
 */

/* test_effects_in_order - policy_eval notes add-header and dry-run rules
 * in file order, counts hits, and stops at the decisive rule. */
START_TEST(test_effects_in_order)
{
	struct policy *p = load_ok(
	    "rule \"a\" {\nstage = mail\nadd_header = \"X-A: 1\"\n}\n"
	    "rule \"b\" {\nstage = mail\nmode = dry-run\naction = reject\n}\n"
	    "rule \"c\" {\nstage = mail\nsender = \"x@y\"\naction = reject\n}\n"
	    "rule \"d\" {\nstage = mail\nadd_header = \"X-D: 1\"\n}\n"
	    "rule \"e\" {\nstage = mail\naction = tempfail\n}\n"
	    "rule \"f\" {\nstage = mail\nadd_header = \"X-F: 1\"\n}\n");
	struct session *s = session_new(0);
	struct policy_verdict v;

	ck_assert_ptr_nonnull(s);
	apply(NULL, s, "mail a@b");
	ck_assert_int_eq(policy_eval(p, STAGE_MAIL, s, &v), POLICY_MATCH);
	ck_assert_str_eq(policy_rule_name(v.rule), "e");
	ck_assert_uint_eq(v.neffects, 3);
	ck_assert_str_eq(policy_rule_name(v.effects[0]), "a");
	ck_assert_str_eq(policy_rule_name(v.effects[1]), "b");
	ck_assert_str_eq(policy_rule_name(v.effects[2]), "d");
	ck_assert_ptr_null(v.failed);
	ck_assert_uint_eq(policy_rule_hits(policy_rule_find(p, "a")), 1);
	ck_assert_uint_eq(policy_rule_hits(policy_rule_find(p, "c")), 0);
	ck_assert_uint_eq(policy_rule_hits(policy_rule_find(p, "e")), 1);
	ck_assert_uint_eq(policy_rule_hits(policy_rule_find(p, "f")), 0);
	/* Another stage has no rules: nothing. */
	ck_assert_int_eq(policy_eval(p, STAGE_RCPT, s, &v), POLICY_NOMATCH);
	ck_assert_uint_eq(v.neffects, 0);
	ck_assert_ptr_null(v.rule);
	session_free(s);
	policy_unref(p);
}
END_TEST

/* test_hostile_values - a peer's values cannot shape the wire reply: no
 * line breaks, no lone '%', bounded. */
START_TEST(test_hostile_values)
{
	struct policy *p = load_ok(
	    "rule \"r\" {\nstage = rcpt\n"
	    "reply = \"550 5.7.1 Sender %{sender} to %{rcpt} via %{helo}\"\n"
	    "}\n");
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	struct session *s;
	char helo[400];

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	flow_run_checks(f, false);
	s = flow_session(f);
	memset(helo, 'h', sizeof(helo) - 1);
	helo[sizeof(helo) - 1] = '\0';
	ck_assert_int_eq(session_set_client(s, "c", "192.0.2.1"), 0);
	ck_assert_int_eq(session_set_helo(s, helo), 0);
	flow_begin_message(f);
	ck_assert_int_eq(session_set_sender(s, "<evil%n%s\r\n250 2.0.0 Ok@x>",
	    false, 0), 0);
	ck_assert_int_eq(session_add_rcpt(s, "<\033[1m\xc3\xa9\177@y>"), 0);
	ck_assert_int_eq(flow_stage(f, STAGE_RCPT, out), FLOW_REJECT);
	ck_assert_uint_eq(out->rendered->nlines, 1);
	ck_assert_ptr_null(strpbrk(out->rendered->lines[0], "\r\n"));
	ck_assert_int_eq(strncmp(out->rendered->lines[0],
	    "Sender evil%%n%%s??250 2.0.0 Ok@x to ?[1m???@y via hhh", 52), 0);
	ck_assert_str_eq(out->rendered->lines[0] +
	    strlen(out->rendered->lines[0]) - 3, "...");
	/* helo cut at REPLY_VALUE_MAX. */
	ck_assert_uint_eq(strlen(out->rendered->lines[0]),
	    strlen("Sender evil%%n%%s??250 2.0.0 Ok@x to ?[1m???@y via ") +
	    REPLY_VALUE_MAX + 3);
	ck_assert_int_eq(strncmp(out->text, "550 5.7.1 Sender evil%n%s??250 "
	    "2.0.0 Ok@x to ?[1m???@y via hhh", 54), 0);
	ck_assert_ptr_null(strchr(out->text, '\n'));
	/* A lone '%' never reaches libmilter. */
	for (const char *q = out->rendered->lines[0]; *q != '\0'; q++)
		if (*q == '%') {
			ck_assert_int_eq(q[1], '%');
			q++;
		}
	free(out);
	flow_free(f);
	policy_unref(p);
}
END_TEST

/* A NUL byte in the body does not hide what follows from body rules. */
START_TEST(test_bug_body_after_nul)
{
	static const unsigned char chunk[] = "hello\0buy casino chips";
	struct policy *p = load_ok("rule \"r\" {\nstage = eom\n"
	    "body = \"/casino/\"\naction = reject\n}\n");
	struct session *s = session_new(policy_settings(p)->body_limit);
	struct policy_verdict v;
	enum policy_result got;

	ck_assert_ptr_nonnull(s);
	apply(NULL, s, "mail a@b\nrcpt c@d");
	ck_assert_int_eq(session_add_body(s, chunk, sizeof(chunk) - 1), 0);
	got = policy_eval(p, STAGE_EOM, s, &v);
	session_free(s);
	policy_unref(p);
	ck_assert_msg(got == POLICY_MATCH,
	    "a NUL byte hides the rest of the body from body rules");
}
END_TEST

/* test_fail - the failure reply; a recipient it refuses is dropped. */
START_TEST(test_fail)
{
	struct policy *p = load_ok("on_failure = \"451 4.3.0 Try later, "
	    "%{client_addr}\"\n");
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	struct session *s;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	s = flow_session(f);
	apply(f, s, "client c 192.0.2.1\nmail a@b\nrcpt c@d\nrcpt e@f");
	ck_assert_int_eq(flow_fail(f, STAGE_RCPT, FLOW_FAIL_MEMORY, "test", out), FLOW_FAIL);
	ck_assert_int_eq(out->outcome, FLOW_FAIL);
	ck_assert_str_eq(out->text, "451 4.3.0 Try later, 192.0.2.1");
	ck_assert_ptr_null(out->rule);
	ck_assert_uint_eq(s->nrcpts, 1);
	ck_assert_str_eq(s->rcpt, "c@d");
	ck_assert_int_eq(flow_fail(f, STAGE_MAIL, FLOW_FAIL_MEMORY, "test", out), FLOW_FAIL);
	ck_assert_uint_eq(s->nrcpts, 1);
	ck_assert_str_eq(flow_outcome_name(FLOW_FAIL), "failure");
	free(out);
	flow_free(f);
	policy_unref(p);
}
END_TEST

/* A Subject rule at end of message, behind padding headers. */
#define CASINO_RULE "rule \"casino\" {\nstage = eom\n" \
	"header = \"Subject: /casino/\"\nreply = \"550 5.7.1 No casinos\"\n}\n"

/* test_header_padding - headers that pass the limit do not hide a Subject
 * from an end-of-message rule: the message is refused with the limit's
 * reply (the default 552 5.3.4), at end of headers and at end of message,
 * and logged; the next message on the connection starts afresh. */
START_TEST(test_header_padding)
{
	struct policy *p = load_ok(CASINO_RULE);
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	struct session *s;
	char *pad = malloc(64 * 1024);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(pad);
	memset(pad, 'x', 64 * 1024 - 1);
	pad[64 * 1024 - 1] = '\0';
	s = flow_session(f);
	apply(f, s, "client c 192.0.2.1\nmail a@b\nrcpt c@d");
	/* 5 x 64 KiB: past the default 256 KiB. */
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(session_add_header(s, "X-Pad", pad), 0);
		flow_stage(f, STAGE_HEADER, out);
	}
	ck_assert_int_eq(session_add_header(s, "Subject", "casino night"), 0);
	ck_assert_int_eq(flow_stage(f, STAGE_HEADER, out), FLOW_REJECT);
	ck_assert_str_eq(out->text, "552 5.3.4 Message header exceeds the "
	    "limit of this server");
	ck_assert_str_eq(s->headers_over_limit, "header_limit");
	ck_assert_int_eq(flow_stage(f, STAGE_EOH, out), FLOW_REJECT);
	ck_assert_int_eq(flow_stage(f, STAGE_EOM, out), FLOW_REJECT);
	ck_assert_str_eq(out->text, "552 5.3.4 Message header exceeds the "
	    "limit of this server");
	ck_assert_ptr_null(out->rule);
	/* The next message is judged on its own headers. */
	flow_end_message(f);
	apply(f, s, "mail a@b\nrcpt c@d\nheader Subject: casino night");
	ck_assert_int_eq(flow_stage(f, STAGE_EOM, out), FLOW_REJECT);
	ck_assert_str_eq(out->text, "550 5.7.1 No casinos");
	flow_end_message(f);
	apply(f, s, "mail a@b\nrcpt c@d\nheader Subject: hello");
	ck_assert_int_eq(flow_stage(f, STAGE_EOM, out), FLOW_CONTINUE);
	free(pad);
	free(out);
	flow_free(f);
	policy_unref(p);
}
END_TEST

/* test_header_limits - header_count_limit, header_limit and
 * header_limit_reply as configured; a 4xx reply is a tempfail. */
START_TEST(test_header_limits)
{
	struct policy *p = load_ok("header_count_limit = 3\n"
	    "header_limit_reply = \"452 4.3.1 Too many headers for now\"\n"
	    CASINO_RULE);
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	struct session *s;
	char big[2048];

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	s = flow_session(f);
	apply(f, s, "client c 192.0.2.1\nmail a@b\nrcpt c@d\n"
	    "header A: 1\nheader B: 2\nheader C: 3");
	ck_assert_ptr_null(s->headers_over_limit);
	ck_assert_int_eq(flow_stage(f, STAGE_EOH, out), FLOW_CONTINUE);
	apply(f, s, "header Subject: casino");
	ck_assert_str_eq(s->headers_over_limit, "header_count_limit");
	ck_assert_uint_eq(s->nheaders, 3);
	ck_assert_int_eq(flow_stage(f, STAGE_EOM, out), FLOW_TEMPFAIL);
	ck_assert_str_eq(out->text, "452 4.3.1 Too many headers for now");
	flow_free(f);
	policy_unref(p);

	p = load_ok("header_limit = 1024\n" CASINO_RULE);
	f = flow_new(p);
	ck_assert_ptr_nonnull(f);
	s = flow_session(f);
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	apply(f, s, "client c 192.0.2.1\nmail a@b\nrcpt c@d");
	ck_assert_int_eq(session_add_header(s, "X-Big", big), 0);
	ck_assert_str_eq(s->headers_over_limit, "header_limit");
	ck_assert_uint_eq(s->nheaders, 0);
	ck_assert_int_eq(flow_stage(f, STAGE_EOH, out), FLOW_REJECT);
	ck_assert_str_eq(out->text, "552 5.3.4 Message header exceeds the "
	    "limit of this server");
	free(out);
	flow_free(f);
	policy_unref(p);
}
END_TEST

/* add_header_rules - n add-header rules at stage, into buf. */
static void
add_header_rules(char *buf, size_t size, const char *stage, int n)
{
	size_t used = strlen(buf);

	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, "rule "
		    "\"tag-%s-%d\" {\nstage = %s\naction = add-header\n"
		    "add_header = \"X-Tag-%d: %s\"\n}\n", stage, i, stage, i,
		    stage);
	ck_assert_uint_lt(used, size);
}

/* test_effects_overflow - more add-header or dry-run rules at one stage
 * than a verdict holds (16), or more headers to add than a message keeps
 * (32), fail the message with on_failure: none is dropped. */
START_TEST(test_effects_overflow)
{
	static const struct {
		const char *stages[3];
		int per_stage;
		enum stage fails_at;
	} cases[] = {
		{ { "eom" }, 16, STAGE_COUNT },		/* the most: fine */
		{ { "eom" }, 17, STAGE_EOM },
		{ { "mail", "rcpt", "eom" }, 10, STAGE_COUNT },	/* 30 */
		{ { "mail", "rcpt", "eom" }, 11, STAGE_EOM },	/* 33 */
	};
	static const enum stage walk[] = { STAGE_MAIL, STAGE_RCPT, STAGE_EOM };

	for (size_t i = 0; i < NELEM(cases); i++) {
		char *config = calloc(1, 64 * 1024);
		struct flow_result *out = malloc(sizeof(*out));
		enum flow_outcome want, got = FLOW_CONTINUE;
		struct policy *p;
		struct flow *f;
		unsigned n;

		ck_assert_ptr_nonnull(config);
		ck_assert_ptr_nonnull(out);
		strcpy(config, "on_failure = \"451 4.3.0 Too much to do\"\n");
		for (int k = 0; k < 3 && cases[i].stages[k] != NULL; k++)
			add_header_rules(config, 64 * 1024,
			    cases[i].stages[k], cases[i].per_stage);
		p = load_ok(config);
		f = flow_new(p);
		ck_assert_ptr_nonnull(f);
		apply(f, flow_session(f), "client c 192.0.2.1\nmail a@b\n"
		    "rcpt c@d");
		for (size_t k = 0; k < NELEM(walk); k++) {
			got = flow_stage(f, walk[k], out);
			want = walk[k] == cases[i].fails_at ? FLOW_FAIL :
			    FLOW_CONTINUE;
			ck_assert_msg(got == want, "case %zu at %s: %s, want %s",
			    i, stage_name(walk[k]), flow_outcome_name(got),
			    flow_outcome_name(want));
		}
		if (cases[i].fails_at != STAGE_COUNT)
			ck_assert_str_eq(out->text, "451 4.3.0 Too much to do");
		else {
			(void)flow_headers(f, &n);
			ck_assert_uint_eq(n, (unsigned)cases[i].per_stage *
			    (cases[i].stages[1] != NULL ? 3 : 1));
		}
		free(config);
		free(out);
		flow_free(f);
		policy_unref(p);
	}
}
END_TEST

/* test_regex_error - a regex engine error fails the evaluation: under a
 * "not" it must not turn into a match (here an accept), and the flow
 * answers the policy's on_failure, at every field a regex reads. */
START_TEST(test_regex_error)
{
	static const struct {
		const char *stage, *cond, *facts;
	} cases[] = {
		{ "helo", "not { helo = \"/^bad/\" }", "helo good.example" },
		{ "mail", "not { sender = \"/^spam@/\" }", "mail a@b" },
		{ "rcpt", "not { rcpt = \"/^x@/\" }", "mail a@b\nrcpt c@d" },
		{ "eoh", "not { header = \"Subject: /casino/\" }",
		    "mail a@b\nrcpt c@d\nheader Subject: hello" },
		{ "eom", "not { body = \"/casino/\" }",
		    "mail a@b\nrcpt c@d\nbody hello" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char config[1024];
		struct policy_verdict v;
		struct flow_result *out = malloc(sizeof(*out));
		struct policy *p;
		struct flow *f;
		enum stage st;

		ck_assert_ptr_nonnull(out);
		ck_assert_int_eq(stage_parse(cases[i].stage, &st), 0);
		snprintf(config, sizeof(config), "on_failure = \"451 4.3.0 "
		    "Regex trouble\"\nrule \"r\" {\nstage = %s\n%s\n"
		    "action = accept\n}\n", cases[i].stage, cases[i].cond);
		p = load_ok(config);
		f = flow_new(p);
		ck_assert_ptr_nonnull(f);
		apply(f, flow_session(f), "client c 192.0.2.1");
		apply(f, flow_session(f), cases[i].facts);
		/* The engine works: the "not" matches, the rule accepts. */
		ck_assert_int_eq(policy_eval(p, st, flow_session(f), &v),
		    POLICY_MATCH);
		regexec_fail_with = REG_ESPACE;
		ck_assert_msg(policy_eval(p, st, flow_session(f), &v) ==
		    POLICY_ERROR, "%s: an engine error is not an error",
		    cases[i].stage);
		ck_assert_ptr_eq(v.failed, policy_rule_find(p, "r"));
		flow_stage(f, st, out);
		regexec_fail_with = 0;
		ck_assert_int_eq(out->outcome, FLOW_FAIL);
		ck_assert_str_eq(out->text, "451 4.3.0 Regex trouble");
		free(out);
		flow_free(f);
		policy_unref(p);
	}
}
END_TEST

/* test_refcount - policy_ref/unref, and a flow holding its policy after
 * the loader's reference is gone (valgrind sees the last release). */
START_TEST(test_refcount)
{
	struct policy *p = load_ok("rule \"r\" {\nstage = helo\n"
	    "helo = \"x.example\"\nreply = \"550 5.7.1 no\"\n}\n");
	struct flow *f1, *f2;
	struct flow_result *out = malloc(sizeof(*out));

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(atomic_load(&p->refs), 1);
	ck_assert_ptr_eq(policy_ref(p), p);
	ck_assert_uint_eq(atomic_load(&p->refs), 2);
	policy_unref(p);
	ck_assert_uint_eq(atomic_load(&p->refs), 1);
	f1 = flow_new(p);
	f2 = flow_new(p);
	ck_assert_ptr_nonnull(f1);
	ck_assert_ptr_nonnull(f2);
	ck_assert_uint_eq(atomic_load(&p->refs), 3);
	ck_assert_ptr_eq(flow_policy(f1), p);
	/* A reload drops the old policy: the flows keep theirs. */
	policy_unref(p);
	ck_assert_uint_eq(atomic_load(&flow_policy(f1)->refs), 2);
	flow_run_checks(f1, false);
	apply(f1, flow_session(f1), "client c 192.0.2.1\nhelo x.example");
	ck_assert_int_eq(flow_stage(f1, STAGE_HELO, out), FLOW_REJECT);
	ck_assert_str_eq(out->text, "550 5.7.1 no");
	flow_free(f1);
	ck_assert_uint_eq(atomic_load(&flow_policy(f2)->refs), 1);
	flow_free(f2);
	policy_unref(NULL);
	policy_free(NULL);
	flow_free(NULL);
	free(out);
}
END_TEST

/* Log lines the flow wrote. */
struct log_lines {
	unsigned n;
	char last[LOG_LINE_MAX];
};

/* log_note - nothing; a log sink keeping the last line. */
static void
log_note(void *arg, enum log_level level, const char *line)
{
	struct log_lines *l = arg;

	(void)level;
	snprintf(l->last, sizeof(l->last), "%s", line);
	l->n++;
}

/* rcpt_logged - the RCPT stage of config's policy for client
 * mx.example[192.0.2.1], sender a@b and recipient x@y.example, with
 * regexec(3) failing with regex_error (0: not) and the log caught in *l;
 * the outcome. */
static enum flow_outcome
rcpt_logged(const char *config, int regex_error, struct log_lines *l)
{
	struct policy *p = load_ok(config);
	struct flow *f = flow_new(p);
	struct flow_result *out = malloc(sizeof(*out));
	enum flow_outcome outcome;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(out);
	flow_run_checks(f, false);
	apply(f, flow_session(f), "client mx.example 192.0.2.1\nmail a@b\n"
	    "rcpt x@y.example");
	l->n = 0;
	l->last[0] = '\0';
	log_set_sink(log_note, l);
	regexec_fail_with = regex_error;
	outcome = flow_stage(f, STAGE_RCPT, out);
	regexec_fail_with = 0;
	log_set_sink(NULL, NULL);
	free(out);
	flow_free(f);
	policy_unref(p);
	return outcome;
}

/* test_failure_names_rule - a condition that cannot be evaluated (a regex
 * engine error) is logged with the rule's name, so the admin knows which
 * rule to look at. */
START_TEST(test_failure_names_rule)
{
	struct log_lines l;

	ck_assert_int_eq(rcpt_logged("rule \"casino-subject\" {\n"
	    "stage = rcpt\nrcpt = \"/^x@/\"\nreply = \"550 5.7.1 no\"\n}\n",
	    REG_ESPACE, &l), FLOW_FAIL);
	ck_assert_uint_ge(l.n, 1);
	ck_assert_msg(strstr(l.last, "cause=condition failure=\"rule "
	    "casino-subject: a condition could not be evaluated\"") != NULL,
	    "%s", l.last);
}
END_TEST

/* test_decision_logged - a decision is one log line with the rule, its
 * id, the stage and the reply. */
START_TEST(test_decision_logged)
{
	struct log_lines l;

	ck_assert_int_eq(rcpt_logged("rule \"r\" {\nstage = rcpt\n"
	    "id = \"R-1\"\nreply = \"550 5.1.1 No such user %{rcpt}\"\n}\n",
	    0, &l), FLOW_REJECT);
	ck_assert_uint_ge(l.n, 1);
	ck_assert_str_eq(l.last, "NOQUEUE: client=mx.example[192.0.2.1] "
	    "stage=rcpt rule=r id=R-1 action=reject reply=\"550 5.1.1 No such "
	    "user x@y.example\"");
}
END_TEST

/* test_specific_logged - with disclose = generic or soft_bounce, the
 * decision line keeps the rule's own reply as specific="...", next to the
 * reply the client read; a plain reply has no specific field. */
START_TEST(test_specific_logged)
{
	static const struct {
		const char *config, *line;
	} cases[] = {
		{ "disclose = generic\nrule \"r\" {\nstage = rcpt\n"
		    "reply = \"550 5.7.23 SPF failed for %{rcpt}\"\n}\n",
		    "NOQUEUE: client=mx.example[192.0.2.1] stage=rcpt rule=r "
		    "id=r action=reject reply=\"550 5.7.1 Delivery not "
		    "authorized, message refused\" specific=\"550 5.7.23 SPF "
		    "failed for x@y.example\"" },
		{ "soft_bounce = true\nrule \"r\" {\nstage = rcpt\n"
		    "reply = \"550 5.1.1 No such user\"\n}\n",
		    "NOQUEUE: client=mx.example[192.0.2.1] stage=rcpt rule=r "
		    "id=r action=tempfail reply=\"451 4.1.1 No such user\" "
		    "specific=\"550 5.1.1 No such user\"" },
		{ "reply_id = true\nrule \"r\" {\nstage = rcpt\n"
		    "reply = \"550 5.1.1 No such user\"\n}\n",
		    "NOQUEUE: client=mx.example[192.0.2.1] stage=rcpt rule=r "
		    "id=r action=reject reply=\"550 5.1.1 No such user [r]\"" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct log_lines l;

		(void)rcpt_logged(cases[i].config, 0, &l);
		ck_assert_str_eq(l.last, cases[i].line);
	}
}
END_TEST

/* test_log_control_bytes - a CR, LF or other control byte from the peer
 * (here a client name, as a milter at the protocol level can send it) must
 * not split a log line or forge another one: each becomes '?'. */
START_TEST(test_log_control_bytes)
{
	struct log_lines l = { 0 };

	log_set_sink(log_note, &l);
	log_msg(LOG_LEVEL_INFO, "client=%s[192.0.2.1] stage=rcpt",
	    "c-\r\nreplymilter: warning: forged\t\x1b\x7f\xc3\xa9");
	log_set_sink(NULL, NULL);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.last, "client=c-??replymilter: warning: forged"
	    "???\xc3\xa9[192.0.2.1] stage=rcpt");
}
END_TEST

/* test_log_json - log_format = json: the decision line and the failure
 * line are JSON objects with the text line's fields; a peer's control
 * bytes are \u escapes, bytes that are not UTF-8 U+FFFD, quotes and
 * backslashes escaped, so the line parses and says what was sent. */
START_TEST(test_log_json)
{
	struct log_lines l;

	log_set_format(LOG_FORMAT_JSON);
	ck_assert_int_eq(rcpt_logged("disclose = generic\nrule \"r\" {\n"
	    "stage = rcpt\nid = \"R-1\"\nmode = dry-run\n"
	    "reply = \"550 5.7.23 SPF failed\"\n}\n", 0, &l), FLOW_CONTINUE);
	ck_assert_str_eq(l.last, "{\"level\":\"info\",\"event\":\"decision\","
	    "\"queue_id\":\"NOQUEUE\",\"client\":\"mx.example[192.0.2.1]\","
	    "\"stage\":\"rcpt\",\"rule\":\"r\",\"id\":\"R-1\",\"action\":"
	    "\"reject\",\"reply\":\"550 5.7.1 Delivery not authorized, "
	    "message refused\",\"mode\":\"dry-run\"}");
	ck_assert_int_eq(rcpt_logged("disclose = generic\nrule \"r\" {\n"
	    "stage = rcpt\nreply = \"550 5.7.23 SPF failed\"\n}\n", 0, &l),
	    FLOW_REJECT);
	ck_assert_msg(strstr(l.last, ",\"reply\":\"550 5.7.1 Delivery not "
	    "authorized, message refused\",\"specific\":\"550 5.7.23 SPF "
	    "failed\"}") != NULL, "%s", l.last);
	ck_assert_int_eq(rcpt_logged("rule \"casino\" {\nstage = rcpt\n"
	    "rcpt = \"/^x@/\"\nreply = \"550 5.7.1 no\"\n}\n", REG_ESPACE,
	    &l), FLOW_FAIL);
	ck_assert_msg(strncmp(l.last, "{\"level\":\"warning\",\"event\":"
	    "\"failure\",\"queue_id\":\"NOQUEUE\",", 50) == 0 && strstr(l.last,
	    "\"cause\":\"condition\",\"failure\":\"rule casino: a condition "
	    "could not be evaluated\",\"reply\":\"451 4.3.0 ") != NULL, "%s",
	    l.last);

	l.n = 0;
	log_set_sink(log_note, &l);
	log_msg(LOG_LEVEL_INFO, "client=%s", "c-\r\n\"x\"\\\t\x1b\x7f\xc3\xa9"
	    "\xff\xc3(\xed\xa0\x80\xf0\x9f\x93\xa7");
	ck_assert_str_eq(l.last, "{\"level\":\"info\",\"msg\":\"client=c-"
	    "\\u000d\\u000a\\\"x\\\"\\\\\\u0009\\u001b\\u007f\xc3\xa9"
	    "\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\xf0\x9f\x93\xa7\"}");
	log_set_sink(NULL, NULL);
	log_set_format(LOG_FORMAT_TEXT);
}
END_TEST

/* test_log_json_cut - a line longer than the log takes is cut inside a
 * string, marked "...", and still closed as an object. */
START_TEST(test_log_json_cut)
{
	static char quotes[LOG_LINE_MAX];
	struct log_lines l = { 0 };
	size_t len;

	memset(quotes, '"', sizeof(quotes) - 1);
	log_set_format(LOG_FORMAT_JSON);
	log_set_sink(log_note, &l);
	log_msg(LOG_LEVEL_INFO, "%s", quotes);
	log_set_sink(NULL, NULL);
	log_set_format(LOG_FORMAT_TEXT);
	len = strlen(l.last);
	ck_assert_uint_gt(len, LOG_LINE_MAX / 2);
	ck_assert_str_eq(l.last + len - 7, "\\\"...\"}");
	ck_assert_int_eq(strncmp(l.last, "{\"level\":\"info\",\"msg\":\"\\\"", 25),
	    0);
}
END_TEST

/* -------------------------------------------------------------------------
 * The regex index (policy_regex.c): every regex of a stage and value in one
 * scan, and only the rules it leaves possible evaluated, in file order.
 */

/* verdict_of - the name of the deciding rule after evaluating stage on s,
 * "-" when none decided, "ERROR" on a failure. */
static const char *
verdict_of(const struct policy *p, enum stage st, const struct session *s)
{
	struct policy_verdict v;

	switch (policy_eval(p, st, s, &v)) {
	case POLICY_MATCH:
		return policy_rule_name(v.rule);
	case POLICY_NOMATCH:
		return "-";
	case POLICY_ERROR:
		break;
	}
	return "ERROR";
}

/* Many rules on one value: the first whose regex matches decides, however
 * many there are after it, and a later catch-all only when none does. */
START_TEST(test_index_first_match)
{
	static char config[200 * 96];
	size_t used = 0;
	struct policy *p;
	struct flow *f;
	size_t engine;
	static const struct { const char *helo, *want; } cases[] = {
		{ "h37.example", "r37" }, { "h150.example", "r150" },
		{ "h0.example", "r0" }, { "H37.EXAMPLE", "r37" },
		{ "zzz.example", "catch-all" }, { "zzz", "-" },
		{ "xh37.example", "catch-all" },
	};

	for (int i = 0; i < 199; i++)
		used += (size_t)snprintf(config + used, sizeof(config) - used,
		    "rule \"r%d\" {\nstage = helo\nhelo = \"/^h%d\\\\./i\"\n"
		    "reply = \"550 5.7.1 rule %d\"\n}\n", i, i, i);
	snprintf(config + used, sizeof(config) - used, "rule \"catch-all\" "
	    "{\nstage = helo\nhelo = \"/\\\\.example$/\"\nreply = \"550 "
	    "5.7.1 all\"\n}\n");
	p = load_ok(config);
	ck_assert_uint_eq(policy_regex_patterns(p, &engine), 200);
#ifdef HAVE_HYPERSCAN
	ck_assert_uint_eq(engine, 200);
#else
	ck_assert_uint_eq(engine, 0);
#endif
	for (size_t i = 0; i < NELEM(cases); i++) {
		f = flow_new(p);
		ck_assert_ptr_nonnull(f);
		apply(f, flow_session(f), "client c 192.0.2.1");
		apply(f, flow_session(f), "helo ");
		ck_assert_int_eq(session_set_helo(flow_session(f),
		    cases[i].helo), 0);
		ck_assert_str_eq(verdict_of(p, STAGE_HELO, flow_session(f)),
		    cases[i].want);
		flow_free(f);
	}
	policy_unref(p);
}
END_TEST

/* The shapes the index must answer exactly: several values (recipients
 * and headers after their stage), strings and regexes in one condition,
 * named lists of many patterns, not and any, '$' before a final newline,
 * GNU escapes left to regexec, a macro, no value at all. */
static const struct index_case {
	const char *stage, *prelude, *conds, *facts;
	int want;
} index_cases[] = {
	{ "eom", "", "rcpt = \"/^bob@/\"", "mail a@b\nrcpt alice@x\n"
	    "rcpt bob@x", 1 },
	{ "eom", "", "rcpt = \"/^carol@/\"", "mail a@b\nrcpt alice@x\n"
	    "rcpt bob@x", 0 },
	{ "eom", "", "rcpt_domain = \"/^y$/\"", "mail a@b\nrcpt alice@x\n"
	    "rcpt bob@y", 1 },
	{ "eom", "", "header = \"Subject: /casino/\"", "mail a@b\nrcpt c@d\n"
	    "header Subject: hello\nheader X-A: casino\n"
	    "header Subject: casino", 1 },
	{ "eom", "", "header = \"Subject: /casino/\"", "mail a@b\nrcpt c@d\n"
	    "header Subject: hello\nheader X-A: casino", 0 },
	{ "header", "", "header = \"Subject: /^casino/\"", "mail a@b\n"
	    "rcpt c@d\nheader Subject:   casino", 1 },
	{ "header", "", "header = \"Subject: /^casino/\"", "mail a@b\n"
	    "rcpt c@d\nheader X-Subject: casino", 0 },
	{ "helo", "", "helo = { \"exact.example\", \"/^re/\" }",
	    "helo exact.example", 1 },
	{ "helo", "", "helo = { \"exact.example\", \"/^re/\" }",
	    "helo remote", 1 },
	{ "helo", "", "helo = { \"exact.example\", \"/^re/\" }",
	    "helo other", 0 },
	{ "helo", "list \"bad\" { type = regex\nentries = { \"/^a1$/\", "
	    "\"/^a2$/\", \"/^a3$/\", \"/b\\\\w/\" } }\n",
	    "helo = \"list:bad\"", "helo a3", 1 },
	{ "helo", "list \"bad\" { type = regex\nentries = { \"/^a1$/\", "
	    "\"/^a2$/\", \"/^a3$/\", \"/b\\\\w/\" } }\n",
	    "helo = \"list:bad\"", "helo xbz", 1 },
	{ "helo", "list \"bad\" { type = regex\nentries = { \"/^a1$/\", "
	    "\"/^a2$/\", \"/^a3$/\", \"/b\\\\w/\" } }\n",
	    "helo = \"list:bad\"", "helo a4", 0 },
	{ "mail", "", "not { sender = \"/^spam@/\" }", "mail a@b", 1 },
	{ "mail", "", "not { sender = \"/^spam@/\" }", "mail spam@b", 0 },
	{ "mail", "", "any { sender = \"/^x@/\"\nhelo = \"/^h/\" }",
	    "helo hh\nmail a@b", 1 },
	{ "mail", "", "any { sender = \"/^x@/\"\nhelo = \"/^h/\" }",
	    "helo gg\nmail a@b", 0 },
	{ "mail", "", "helo = \"/^h/\"\nsender = \"/^x@/\"",
	    "helo hh\nmail x@b", 1 },
	{ "mail", "", "helo = \"/^h/\"\nsender = \"/^x@/\"",
	    "helo hh\nmail a@b", 0 },
	{ "eom", "", "body = \"/soon\\\\.$/\"", "mail a@b\nrcpt c@d\n"
	    "body see you soon.", 0 },
	{ "eom", "", "body = \"/soon\\\\./\"", "mail a@b\nrcpt c@d\n"
	    "body see you soon.", 1 },
	{ "eom", "", "body = \"/casino/\"", "mail a@b\nrcpt c@d", 0 },
	{ "mail", "", "macro = \"{auth_authen}: /^al/\"",
	    "mail a@b\nmacro {auth_authen} alice", 1 },
	{ "mail", "", "macro = \"{auth_authen}: /^al/\"", "mail a@b", 0 },
	{ "mail", "", "sender_domain = \"/^b$/\"", "mail <>", 0 },
	{ "mail", "", "sender = \"/^$/\"", "mail <>", 1 },
};

/* index_policy - the policy of index_cases[i]: its rule, then one that
 * matches everything at that stage, so that a wrong skip shows. */
static struct policy *
index_policy(const struct index_case *c)
{
	char config[2048];

	snprintf(config, sizeof(config), "%srule \"r\" {\nstage = %s\n%s\n"
	    "reply = \"550 5.7.1 r\"\n}\nrule \"later\" {\nstage = %s\n"
	    "reply = \"550 5.7.1 later\"\n}\n", c->prelude, c->stage,
	    c->conds, c->stage);
	return load_ok(config);
}

START_TEST(test_index_shapes)
{
	const struct index_case *c = &index_cases[_i];
	struct policy *p = index_policy(c);
	struct flow *f = flow_new(p);
	enum stage st;
	const char *want = c->want ? "r" : "later";

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(stage_parse(c->stage, &st), 0);
	apply(f, flow_session(f), "client c 192.0.2.1\nhelo h.example");
	apply(f, flow_session(f), c->facts);
	ck_assert_msg(strcmp(verdict_of(p, st, flow_session(f)), want) == 0,
	    "%s / %s: %s, not %s", c->conds, c->facts,
	    verdict_of(p, st, flow_session(f)), want);
#ifdef HAVE_HYPERSCAN
	/* With the scan failing, the lists answer: the same verdict. */
	hs_scan_fail_with = HS_NOMEM;
	ck_assert_str_eq(verdict_of(p, st, flow_session(f)), want);
	hs_scan_fail_with = HS_SUCCESS;
#endif
	flow_free(f);
	policy_unref(p);
}
END_TEST

#ifdef HAVE_HYPERSCAN
/* rnd - the next of a small deterministic sequence (xorshift). */
static unsigned
rnd(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* rnd_pattern - a short ERE over the letters a, b, c and '.', into buf. */
static const char *
rnd_pattern(unsigned *st, char *buf, size_t size)
{
	static const char *const atoms[] = {
		"a", "b", "c", "\\\\.", ".", "[ab]", "[^a]", "(a|bc)", "a+",
		"b*", "c?", "[[:alpha:]]{2}", "\\\\w", "(ab)+"
	};
	size_t used = 0;
	unsigned n = 1 + rnd(st) % 3;

	if (rnd(st) % 3 == 0)
		used += (size_t)snprintf(buf + used, size - used, "^");
	for (unsigned i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s",
		    atoms[rnd(st) % NELEM(atoms)]);
	if (rnd(st) % 3 == 0)
		snprintf(buf + used, size - used, "$");
	return buf;
}

/* rnd_value - a short value over a, b, c, '.', 'A', into buf. */
static const char *
rnd_value(unsigned *st, char *buf, size_t size)
{
	static const char letters[] = "abc.A";
	unsigned n = 1 + rnd(st) % 6;

	for (unsigned i = 0; i < n && i + 1 < size; i++)
		buf[i] = letters[rnd(st) % (sizeof(letters) - 1)];
	buf[n < size ? n : size - 1] = '\0';
	return buf;
}

/* Random policies of regex rules at every stage that reads values, on
 * random sessions: the verdicts with the index are those without it (the
 * scan failing sends every rule and regex to the lists: the engine as it
 * was before the index). */
START_TEST(test_index_differential)
{
	static const char *const stages[] = {
		"helo", "mail", "rcpt", "header", "eoh", "eom"
	};
	/* Each shape with the first stage (index in stages[]) it may be
	 * at; @ stands for a random pattern. */
	static const struct { const char *text; unsigned from; } shapes[] = {
		{ "helo = \"/@/\"", 0 }, { "helo = \"/@/i\"", 0 },
		{ "not { helo = \"/@/\" }", 0 },
		{ "helo = { \"ab\", \"/@/\" }", 0 },
		{ "sender = \"/@/\"", 1 },
		{ "any { sender = \"/@/\"\nhelo = \"/@/\" }", 1 },
		{ "rcpt = \"/@/\"", 2 }, { "rcpt_domain = \"/@/i\"", 2 },
		{ "not { rcpt = \"/@/\" }", 2 },
		{ "header = \"Subject: /@/\"", 3 },
		{ "helo = \"/@/\"\nheader = \"Subject: /@/\"", 3 },
		{ "body = \"/@/\"", 5 }, { "not { body = \"/@/i\" }", 5 },
	};
	unsigned st = 0x2545f491u;
	static char config[64 * 1024];
	unsigned compared = 0, decided = 0;

	for (int round = 0; round < 12; round++) {
		size_t used = 0;
		struct policy *p;

		for (int r = 0; r < 60; r++) {
			unsigned sg = rnd(&st) % NELEM(stages), k;
			char cond[512], pat[64];
			size_t n = 0;

			do
				k = rnd(&st) % NELEM(shapes);
			while (shapes[k].from > sg);
			for (const char *c = shapes[k].text; *c != '\0' &&
			    n + 64 < sizeof(cond); c++) {
				if (*c != '@') {
					cond[n++] = *c;
					continue;
				}
				rnd_pattern(&st, pat, sizeof(pat));
				memcpy(cond + n, pat, strlen(pat));
				n += strlen(pat);
			}
			cond[n] = '\0';
			used += (size_t)snprintf(config + used,
			    sizeof(config) - used, "rule \"r%d\" {\nstage = "
			    "%s\n%s\n%s\n}\n", r, stages[sg], cond,
			    rnd(&st) % 4 ? "reply = \"550 5.7.1 no\"" :
			    "action = continue");
		}
		p = load_ok(config);
		for (int sess = 0; sess < 20; sess++) {
			struct flow *f = flow_new(p);
			struct session *s = flow_session(f);
			char v[32], facts[512];

			ck_assert_ptr_nonnull(f);
			apply(f, s, "client c 192.0.2.1");
			ck_assert_int_eq(session_set_helo(s, rnd_value(&st, v,
			    sizeof(v))), 0);
			snprintf(facts, sizeof(facts), "mail %s@%s",
			    rnd_value(&st, v, sizeof(v)), "b.c");
			apply(f, s, facts);
			for (unsigned k = 0, n = 1 + rnd(&st) % 3; k < n;
			    k++) {
				char u[32], d[32];

				snprintf(facts, sizeof(facts), "rcpt %s@%s",
				    rnd_value(&st, u, sizeof(u)),
				    rnd_value(&st, d, sizeof(d)));
				apply(f, s, facts);
			}
			snprintf(facts, sizeof(facts), "header Subject: %s\n"
			    "body %s", rnd_value(&st, v, sizeof(v)),
			    rnd_value(&st, v, sizeof(v)));
			apply(f, s, facts);
			for (size_t k = 0; k < NELEM(stages); k++) {
				enum stage sg;
				char with[64];

				ck_assert_int_eq(stage_parse(stages[k], &sg), 0);
				snprintf(with, sizeof(with), "%s",
				    verdict_of(p, sg, s));
				hs_scan_fail_with = HS_NOMEM;
				ck_assert_msg(strcmp(with, verdict_of(p, sg, s))
				    == 0, "round %d, %s: %s with the index, "
				    "%s without\n%s", round, stages[k], with,
				    verdict_of(p, sg, s), config);
				hs_scan_fail_with = HS_SUCCESS;
				compared++;
				decided += strcmp(with, "-") != 0;
			}
			flow_free(f);
		}
		policy_unref(p);
	}
	/* Both kinds of answer were compared, not only "no rule". */
	ck_assert_uint_gt(decided, compared / 10);
	ck_assert_uint_lt(decided, compared);
}
END_TEST
#endif

/* policy_suite - the cases above. */
static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, test_match, 0, NELEM(match_cases));
	tcase_add_test(tc, test_effects_in_order);
	tcase_add_test(tc, test_bug_body_after_nul);
	suite_add_tcase(s, tc);
	tc = tcase_create("flow");
	/* The differential test of the regex index takes seconds under ASan. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_flow, 0, NELEM(flow_cases));
	tcase_add_test(tc, test_hostile_values);
	tcase_add_test(tc, test_log_control_bytes);
	tcase_add_test(tc, test_log_json);
	tcase_add_test(tc, test_log_json_cut);
	tcase_add_test(tc, test_fail);
	tcase_add_test(tc, test_regex_error);
	tcase_add_test(tc, test_header_padding);
	tcase_add_test(tc, test_header_limits);
	tcase_add_test(tc, test_effects_overflow);
	tcase_add_test(tc, test_specific_logged);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_decision_logged);
	tcase_add_test(tc, test_failure_names_rule);
	tcase_add_test(tc, test_index_first_match);
	tcase_add_loop_test(tc, test_index_shapes, 0, NELEM(index_cases));
#ifdef HAVE_HYPERSCAN
	tcase_add_test(tc, test_index_differential);
#endif
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite quietly; 0 when every case passed. */
int
main(void)
{
	/* Decisions are logged at info: keep them off the test's output. */
	log_set_level(LOG_LEVEL_ERROR);
	return check_main_run(policy_suite());
}
