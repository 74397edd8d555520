/*
 * check_checks - the built-in checks as rules see them: the default reply
 * of every (check, result) that has one, through the config loader, the
 * registry and the flow; the RFC 7372 escalation to 5.7.26; the storage
 * check against a real file system; the settings' validation.
 *
 * DNS-backed checks are driven against a real server in check_dns.c and
 * tests/e2e/checks.sh; here their results are set in the session, as
 * --test's "check" lines do.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "checks.h"
#include "checks/runner.h"
#include "checks/storage.h"
#include "conf.h"
#include "flow.h"

/* Diagnostics of one load, as text. */
struct diags {
	char text[8192];
	unsigned errors;
};

/* note - a conf_diag_fn appending to a struct diags. */
static void
note(void *arg, enum registry_severity sev, const char *file, unsigned line,
    const char *message)
{
	struct diags *d = arg;
	size_t used = strlen(d->text);

	(void)file;
	if (sev == REGISTRY_ERROR)
		d->errors++;
	snprintf(d->text + used, sizeof(d->text) - used, "%u: %s: %s\n", line,
	    registry_severity_name(sev), message);
}

/* load - the policy in text (written to a temp file), diagnostics in d. */
static struct policy *
load(const char *text, struct diags *d)
{
	char path[] = "/tmp/check_checks.XXXXXX";
	int fd = mkstemp(path);
	struct policy *p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	memset(d, 0, sizeof(*d));
	p = conf_load(path, note, d, NULL);
	unlink(path);
	return p;
}

/*
 * Each row: a check, a result, the stage to act at, and the reply the rule
 * must send when it names none: the registry's code and the RFC's words.
 */
static const struct default_case {
	const char *check;
	const char *result;
	const char *stage;
	const char *settings;
	const char *want;	/* as the client reads it */
} defaults[] = {
	{ "spf", "fail", "mail", "", "550 5.7.23 SPF validation failed" },
	{ "spf", "permerror", "mail", "", "550 5.7.24 SPF validation error" },
	{ "spf", "temperror", "mail", "",
	    "451 4.7.24 SPF validation error, please try again later" },
	{ "dkim", "fail", "eoh", "",
	    "550 5.7.20 No passing DKIM signature found" },
	{ "dkim", "policy", "eoh", "",
	    "550 5.7.21 No acceptable DKIM signature found" },
	{ "dkim_author", "fail", "eoh", "",
	    "550 5.7.22 No valid author-matched DKIM signature found" },
	{ "arc", "fail", "eoh", "", "550 5.7.29 ARC validation failure" },
	{ "iprev", "fail", "rcpt", "",
	    "550 5.7.25 Reverse DNS validation failed" },
	{ "iprev", "temperror", "rcpt", "",
	    "451 4.4.3 Directory server failure, please try again later" },
	{ "auth_multi", "fail", "eoh", "",
	    "550 5.7.26 Multiple authentication checks failed" },
	{ "nullmx_sender", "nullmx", "mail", "",
	    "550 5.7.27 Sender address has null MX" },
	{ "nullmx_rcpt", "nullmx", "rcpt", "",
	    "556 5.1.10 Recipient address has null MX" },
	{ "storage", "low", "mail", "spool_path = \"/\"\n",
	    "452 4.3.1 Insufficient system storage" },
	{ "size", "toobig", "mail", "message_size_limit = \"10M\"\n",
	    "552 5.3.4 Message too big for system" },
	{ "tls", "no", "mail", "",
	    "530 5.7.0 Must issue a STARTTLS command first" },
	{ "auth", "no", "mail", "", "530 5.7.0 Authentication required" },
	{ "dnsbl", "listed", "rcpt",
	    "dnsbl \"bl\" { zone = \"bl.example.org\" }\n",
	    "550 5.7.1 Listed by unknown: unknown" },
};

/* drive - run a message through the flow up to stage with check id set to
 * result; the outcome, the text into out. */
static enum flow_outcome
drive(struct policy *p, enum check_id id, unsigned result, enum stage stage,
    struct flow_result *out)
{
	struct flow *f = flow_new(p);
	struct session *s;
	enum flow_outcome o = FLOW_CONTINUE;

	ck_assert_ptr_nonnull(f);
	flow_run_checks(f, false);	/* results come from the test */
	s = flow_session(f);
	ck_assert_int_eq(session_set_client(s, "client.example.net",
	    "192.0.2.1"), 0);
	for (int st = STAGE_CONNECT; st <= (int)stage; st++) {
		if (st == STAGE_MAIL) {
			flow_begin_message(f);
			ck_assert_int_eq(session_set_sender(s,
			    "<a@example.net>", false, 0), 0);
		}
		if (st == STAGE_RCPT)
			ck_assert_int_eq(session_add_rcpt(s, "<b@example.org>"),
			    0);
		if (st == STAGE_HEADER)
			ck_assert_int_eq(session_add_header(s, "From",
			    "a@example.net"), 0);
		session_set_check(s, id, result);
		o = flow_stage(f, (enum stage)st, out);
		if (o != FLOW_CONTINUE)
			break;
	}
	flow_free(f);
	return o;
}

START_TEST(test_default_reply)
{
	const struct default_case *c = &defaults[_i];
	char text[1024];
	struct diags d;
	struct policy *p;
	struct flow_result res;
	enum check_id id;
	enum stage stage;
	int result;

	ck_assert_int_eq(check_lookup(c->check, &id), 0);
	ck_assert_int_ge(result = check_result_lookup(id, c->result), 1);
	ck_assert_int_eq(stage_parse(c->stage, &stage), 0);
	snprintf(text, sizeof(text), "%srule \"r\" {\n\tstage = %s\n"
	    "\tcheck = \"%s: %s\"\n}\n", c->settings, c->stage, c->check,
	    c->result);
	p = load(text, &d);
	ck_assert_msg(p != NULL, "%s: %s", c->check, d.text);
	ck_assert_msg(drive(p, id, (unsigned)result, stage, &res) != FLOW_CONTINUE,
	    "%s %s: the rule did not decide", c->check, c->result);
	ck_assert_str_eq(res.text, c->want);
	/* The default's class decides the action, as libmilter needs. */
	ck_assert_int_eq(res.outcome, c->want[0] == '5' ? FLOW_REJECT :
	    FLOW_TEMPFAIL);
	/* And the registry had nothing to say against it. */
	ck_assert_msg(strstr(d.text, "error") == NULL, "%s", d.text);
	policy_unref(p);
}
END_TEST

/* Every result with a default validates against the registry at its
 * check's stage. */
START_TEST(test_every_default_is_registry_clean)
{
	for (int id = 0; id < CHECK_COUNT; id++) {
		const struct check_def *def = check_def((enum check_id)id);

		for (int r = 1; r < CHECK_MAX_RESULTS && def->results[r]; r++) {
			struct registry_xcode x;
			struct registry_verdict v;
			char basic[4], xcode[16];
			const char *d = def->defaults[r];

			if (d == NULL)
				continue;
			ck_assert_int_eq(sscanf(d, "%3s %15s", basic, xcode), 2);
			ck_assert_int_eq(registry_parse_xcode(xcode, &x), 0);
			ck_assert_msg(registry_validate((unsigned)atoi(basic),
			    &x, stage_registry(def->stage), 0, &v) ==
			    REGISTRY_OK, "%s %s: %s: %s", def->name,
			    def->results[r], d, v.findings[0].text);
		}
	}
}
END_TEST

/* RFC 7372 section 3.4: more than one of SPF, DKIM, iprev failed. */
START_TEST(test_escalation)
{
	static const struct {
		const char *spf, *dkim, *iprev;
		const char *want;
	} cases[] = {
		{ "fail", "fail", "pass", "fail" },
		{ "fail", "pass", "fail", "fail" },
		{ "pass", "fail", "fail", "fail" },
		{ "permerror", "fail", "pass", "fail" },
		{ "fail", "pass", "pass", "pass" },
		{ "softfail", "none", "pass", "pass" },
		{ "pass", "pass", "pass", "pass" },
	};
	struct checks_config cfg = { .needed = 1u << CHECK_AUTH_MULTI };
	struct checks_state *st = checks_state_new();

	ck_assert_ptr_nonnull(st);
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct session *s = session_new(0);

		ck_assert_ptr_nonnull(s);
		session_set_check(s, CHECK_SPF, (unsigned)check_result_lookup(
		    CHECK_SPF, cases[i].spf));
		session_set_check(s, CHECK_DKIM, (unsigned)check_result_lookup(
		    CHECK_DKIM, cases[i].dkim));
		session_set_check(s, CHECK_IPREV, (unsigned)check_result_lookup(
		    CHECK_IPREV, cases[i].iprev));
		ck_assert_int_eq(checks_run(&cfg, st, STAGE_EOH, s), 0);
		ck_assert_msg(s->checks[CHECK_AUTH_MULTI] ==
		    (unsigned)check_result_lookup(CHECK_AUTH_MULTI,
		    cases[i].want), "spf=%s dkim=%s iprev=%s: want %s",
		    cases[i].spf, cases[i].dkim, cases[i].iprev, cases[i].want);
		session_free(s);
	}
	checks_state_free(st);
}
END_TEST

/* Each result the runner gives is counted once by check and result; one
 * set by someone else (here the test, as a transcript would) is not. */
START_TEST(test_result_counts)
{
	struct checks_config cfg = { .needed = 1u << CHECK_AUTH_MULTI };
	struct checks_state *st = checks_state_new();
	unsigned fail = check_result(CHECK_AUTH_MULTI, "fail");
	unsigned pass = check_result(CHECK_AUTH_MULTI, "pass");
	unsigned spf_fail = check_result(CHECK_SPF, "fail");
	unsigned long fails = checks_result_count(CHECK_AUTH_MULTI, fail);
	unsigned long passes = checks_result_count(CHECK_AUTH_MULTI, pass);
	unsigned long spf = checks_result_count(CHECK_SPF, spf_fail);

	ck_assert_ptr_nonnull(st);
	for (int i = 0; i < 3; i++) {
		struct session *s = session_new(0);

		ck_assert_ptr_nonnull(s);
		session_set_check(s, CHECK_SPF, spf_fail);
		if (i > 0)
			session_set_check(s, CHECK_DKIM, check_result(
			    CHECK_DKIM, "fail"));
		ck_assert_int_eq(checks_run(&cfg, st, STAGE_EOH, s), 0);
		session_free(s);
	}
	ck_assert_uint_eq(checks_result_count(CHECK_AUTH_MULTI, fail) - fails,
	    2);
	ck_assert_uint_eq(checks_result_count(CHECK_AUTH_MULTI, pass) -
	    passes, 1);
	ck_assert_uint_eq(checks_result_count(CHECK_SPF, spf_fail) - spf, 0);
	/* Out of range asks count nothing. */
	ck_assert_uint_eq(checks_result_count(CHECK_COUNT, 1), 0);
	ck_assert_uint_eq(checks_result_count(CHECK_SPF, CHECK_MAX_RESULTS),
	    0);
	checks_state_free(st);
}
END_TEST

/* The storage check against a real file system: "/" has some space, and
 * no file system has 2^60 bytes free. */
START_TEST(test_storage)
{
	struct storage *ok = storage_new("/", 1, 1);
	struct storage *low = storage_new("/", 1ULL << 60, 1);
	struct storage *gone = storage_new("/nonexistent/spool", 1, 1);
	unsigned long long bytes = 0, inodes = 0;

	ck_assert_ptr_nonnull(ok);
	ck_assert_ptr_nonnull(low);
	ck_assert_ptr_nonnull(gone);
	ck_assert_str_eq(check_def(CHECK_STORAGE)->results[storage_evaluate(
	    ok, &bytes, &inodes)], "ok");
	ck_assert_uint_gt(bytes, 0);
	ck_assert_str_eq(check_def(CHECK_STORAGE)->results[storage_evaluate(
	    low, NULL, NULL)], "low");
	/* statvfs failing is a temporary result, never "ok". */
	ck_assert_str_eq(check_def(CHECK_STORAGE)->results[storage_evaluate(
	    gone, NULL, NULL)], "temperror");
	storage_free(ok);
	storage_free(low);
	storage_free(gone);
	storage_free(NULL);
}
END_TEST

/* Settings a check needs are demanded at load, not discovered at run. */
START_TEST(test_settings)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "rule \"r\" {\n stage = mail\n check = \"storage: low\"\n}\n",
		    "check storage needs spool_path" },
		{ "rule \"r\" {\n stage = mail\n check = \"size: toobig\"\n}\n",
		    "check size needs message_size_limit" },
		{ "rule \"r\" {\n stage = connect\n check = \"dnsbl: listed\"\n}\n",
		    "check dnsbl needs zones" },
		{ "dns_server = \"not an address\"\n", "dns_server" },
		{ "dns_timeout = 0\n", "dns_timeout 0" },
		{ "dnsbl \"z\" { zone = \"bl.example\"\n returns = { \"x\" } }\n",
		    "returns \"x\"" },
		{ "rule \"r\" {\n stage = mail\n check = \"spf: fial\"\n}\n",
		    "did you mean \"fail\"?" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct diags d;
		struct policy *p = load(cases[i].text, &d);

		ck_assert_msg(p == NULL, "loaded: %s", cases[i].text);
		ck_assert_msg(strstr(d.text, cases[i].want) != NULL,
		    "want \"%s\" in:\n%s", cases[i].want, d.text);
	}
}
END_TEST

/* rcpt_outcome - the rule deciding RCPT TO rcpt on policy p ("" for
 * none). */
static const char *
rcpt_outcome(struct policy *p, const char *rcpt, const char *header)
{
	static char name[64];
	struct flow *f = flow_new(p);
	struct session *s;
	struct flow_result res;
	enum stage last = header != NULL ? STAGE_HEADER : STAGE_RCPT;

	ck_assert_ptr_nonnull(f);
	s = flow_session(f);
	ck_assert_int_eq(session_set_client(s, "c.example", "192.0.2.1"), 0);
	flow_begin_message(f);
	ck_assert_int_eq(session_set_sender(s, "<a@example.net>", false, 0), 0);
	ck_assert_int_eq(session_add_rcpt(s, rcpt), 0);
	name[0] = '\0';
	for (int st = STAGE_CONNECT; st <= (int)last; st++) {
		if (st == STAGE_HEADER)
			ck_assert_int_eq(session_add_header(s, header, "x"), 0);
		if (flow_stage(f, (enum stage)st, &res) != FLOW_CONTINUE) {
			snprintf(name, sizeof(name), "%s", policy_rule_name(res.rule));
			break;
		}
	}
	flow_free(f);
	return name;
}

/* The gates that let many rules cost one lookup decide exactly as the
 * rules themselves: the matching rule among many, none when none
 * matches, and a value the gate cannot hold (a quoted local part with a
 * ',') still matching its rule. */
START_TEST(test_gates)
{
	static char text[65536];
	size_t used = 0;
	struct diags d;
	struct policy *p;

	for (int i = 0; i < 200; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    "rule \"r%d\" {\n stage = rcpt\n rcpt = { \"n%d@example.org\", "
		    "\"@d%d.example\" }\n reply = \"550 5.7.1 r%d\"\n}\n"
		    "rule \"h%d\" {\n stage = header\n header = \"X-H%d: x\"\n"
		    " reply = \"550 5.7.1 h%d\"\n}\n", i, i, i, i, i, i, i);
	used += (size_t)snprintf(text + used, sizeof(text) - used,
	    "rule \"quoted\" {\n"
	    " stage = rcpt\n rcpt = \"\\\"a,b\\\"@example.org\"\n"
	    " reply = \"550 5.7.1 q\"\n}\n");
	snprintf(text + used, sizeof(text) - used, "rule \"either\" {\n"
	    " stage = rcpt\n any {\n  sender = \"s@any.example\"\n"
	    "  rcpt = \"r@any.example\"\n }\n reply = \"550 5.7.1 e\"\n}\n");
	p = load(text, &d);
	ck_assert_msg(p != NULL, "%s", d.text);
	ck_assert_str_eq(rcpt_outcome(p, "<n137@example.org>", NULL), "r137");
	ck_assert_str_eq(rcpt_outcome(p, "<N137@Example.ORG>", NULL), "r137");
	ck_assert_str_eq(rcpt_outcome(p, "<x@d42.example>", NULL), "r42");
	ck_assert_str_eq(rcpt_outcome(p, "<n1370@example.org>", NULL), "");
	ck_assert_str_eq(rcpt_outcome(p, "<\"a,b\"@example.org>", NULL),
	    "quoted");
	ck_assert_str_eq(rcpt_outcome(p, "<r@any.example>", NULL), "either");
	ck_assert_str_eq(rcpt_outcome(p, "<s@any.example>", NULL), "");
	ck_assert_str_eq(rcpt_outcome(p, "<ok@example.org>", "X-H77"), "h77");
	ck_assert_str_eq(rcpt_outcome(p, "<ok@example.org>", "x-h77"), "h77");
	ck_assert_str_eq(rcpt_outcome(p, "<ok@example.org>", "X-H777"), "");
	policy_unref(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("checks");
	TCase *tc = tcase_create("defaults");

	tcase_add_loop_test(tc, test_default_reply, 0,
	    (int)NELEM(defaults));
	tcase_add_test(tc, test_every_default_is_registry_clean);
	tcase_add_test(tc, test_escalation);
	tcase_add_test(tc, test_result_counts);
	tcase_add_test(tc, test_storage);
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_gates);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
