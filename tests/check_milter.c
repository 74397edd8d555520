/*
 * check_milter - the libmilter callbacks, driven as an MTA drives them,
 * against a link-time stub of the smfi_* calls (milter_stub.c)
 *
 * The point is the failure path.  Each scenario is a whole SMTP
 * transaction (negotiate, connect, HELO, MAIL, two RCPT, headers, body,
 * end of message, close) on a policy whose rules all miss; it runs once to
 * count the allocations the callbacks make, then once for each of them
 * with that allocation failing (failalloc.c).  Every such run must answer
 * the loaded policy's on_failure reply at some stage, never accept or
 * discard, log the failure exactly once, and leave nothing allocated
 * once the connection is closed.  Without a policy the built-in 451 4.3.0
 * answers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "check_main.h"
#include "conf.h"
#include "failalloc.h"
#include "log.h"
#include "milter.h"
#include "milter_stub.h"

/* Every rule misses the transaction below; together they make the
 * callbacks record each kind of fact (macros, addresses, headers, body)
 * and keep a header to add. */
#define RULES \
	"on_failure = \"451 4.3.0 Local trouble for %{client_addr}, try " \
	"later\"\n" \
	"rule \"bad-helo\" {\n stage = helo\n helo = \"bad.example\"\n" \
	" reply = \"550 5.7.1 Go away\"\n}\n" \
	"rule \"nobody\" {\n stage = mail\n" \
	" macro = \"{auth_authen}: /^nobody$/\"\n" \
	" reply = \"550 5.7.1 Not you\"\n}\n" \
	"rule \"unauthenticated\" {\n stage = mail\n check = \"auth: no\"\n}\n" \
	"rule \"blocked-sender\" {\n stage = mail\n" \
	" sender = \"blocked@example.net\"\n" \
	" reply = \"550 5.7.1 Sender blocked\"\n}\n" \
	"rule \"blocked-rcpt\" {\n stage = rcpt\n" \
	" rcpt = \"blocked@example.org\"\n" \
	" reply = \"550 5.1.1 No such user\"\n}\n" \
	"rule \"would-refuse\" {\n stage = rcpt\n" \
	" rcpt_domain = \"example.com\"\n mode = dry-run\n" \
	" reply = \"550 5.7.1 Would refuse\"\n}\n" \
	"rule \"casino-subject-eoh\" {\n stage = eoh\n" \
	" header = \"Subject: /casino/\"\n reply = \"550 5.7.1 No casinos\"\n}\n" \
	"rule \"casino-body\" {\n stage = eom\n body = \"/casino/\"\n" \
	" reply = \"550 5.7.1 No casinos\"\n}\n" \
	"rule \"tag\" {\n stage = eom\n action = add-header\n" \
	" add_header = \"X-Checked: %{client_addr}\"\n}\n"

/* With a header-stage rule, header replies are negotiated. */
#define HEADER_RULE \
	"rule \"casino-subject\" {\n stage = header\n" \
	" header = \"Subject: /casino/\"\n reply = \"550 5.7.1 No casinos\"\n}\n"

static const char *const macros[] = {
	"j", "mx.example.org",
	"{daemon_name}", "smtpd",
	"i", "4QUEUE1",
	"{auth_authen}", "alice",
	"{tls_version}", "TLSv1.3",
	NULL,
};

/* One answer a callback gave. */
struct answer {
	enum stage stage;
	sfsistat rc;
	char basic[8];
	char xcode[16];
	char text[STUB_TEXT_MAX];
};

/* What one transaction saw. */
struct run {
	unsigned nanswers;
	struct answer answers[16];
	unsigned headers_added;
	unsigned failure_logs;		/* warning lines with "cause=" */
	char failure_log[LOG_LINE_MAX];
};

static struct run *current_run;

/* sink - count the failure lines of the run in progress. */
static void
sink(void *arg, enum log_level level, const char *line)
{
	(void)arg;
	if (current_run == NULL || level != LOG_LEVEL_WARNING ||
	    strstr(line, " cause=") == NULL)
		return;
	current_run->failure_logs++;
	snprintf(current_run->failure_log, sizeof(current_run->failure_log),
	    "%s", line);
}

/* note - keep what a callback at stage answered, when it was not a plain
 * continue; whether the transaction goes on past it. */
static bool
note(struct run *r, SMFICTX *ctx, enum stage stage, sfsistat rc)
{
	struct answer *a;

	if (rc == SMFIS_CONTINUE || rc == SMFIS_NOREPLY || rc == SMFIS_SKIP)
		return true;
	ck_assert_uint_lt(r->nanswers, NELEM(r->answers));
	a = &r->answers[r->nanswers++];
	a->stage = stage;
	a->rc = rc;
	snprintf(a->basic, sizeof(a->basic), "%s", ctx->basic);
	snprintf(a->xcode, sizeof(a->xcode), "%s", ctx->xcode);
	snprintf(a->text, sizeof(a->text), "%s", ctx->text);
	/* A refused recipient ends only itself. */
	return stage == STAGE_RCPT && (rc == SMFIS_TEMPFAIL ||
	    rc == SMFIS_REJECT);
}

/* The size of a transaction: a small one allocates only when the
 * connection starts (the arenas' first blocks hold it all); a big one
 * grows every table and arena the callbacks write to. */
struct transaction {
	unsigned nrcpts;
	unsigned nheaders;	/* besides Subject and From */
	size_t value_len;	/* of each further header's value */
};

static const struct transaction small = { 2, 0, 0 };
static const struct transaction big = { 200, 60, 700 };

/* drive - transaction t through the callbacks, as Postfix sends it,
 * skipping the steps the milter negotiated away, and ending it where a
 * refusal would; what it saw in *r.  Only the callbacks' allocations are
 * numbered (Check's assertions allocate too). */
static void
drive(const struct transaction *t, struct run *r)
{
	static char *from[] = { "<alice@example.net>", "SIZE=1200", NULL };
	static unsigned char body[] = "Hello Bob,\r\nsee you soon.\r\n";
	struct smfiDesc *d = milter_desc();
	SMFICTX ctx;
	struct sockaddr_in sin;
	unsigned long f0, f1, f2, f3;
	unsigned rcpts_ok = 0;
	char addr[64], name[32], *value, *rcpt[2] = { addr, NULL };
	sfsistat rc;
	bool all;

	failalloc_pause();
	memset(r, 0, sizeof(*r));
	current_run = r;
	stub_init(&ctx, macros);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr), 1);
	value = malloc(t->value_len + 1);
	ck_assert_ptr_nonnull(value);
	memset(value, 'v', t->value_len);
	value[t->value_len] = '\0';

	f1 = 0;
	failalloc_resume();
	rc = d->xxfi_negotiate(&ctx, SMFIF_ADDHDRS | SMFIF_CHGHDRS |
	    SMFIF_SETSYMLIST, 0x1fffff, 0, 0, &f0, &f1, &f2, &f3);
	failalloc_pause();
	ck_assert(rc == SMFIS_CONTINUE || rc == SMFIS_ALL_OPTS);
	all = rc == SMFIS_ALL_OPTS;
#define WANTS(flag) (all || !(f1 & (flag)))
#define STEP(stage, call) \
	(stub_forget_reply(&ctx), failalloc_resume(), rc = (call), \
	failalloc_pause(), note(r, &ctx, (stage), rc))

	if (!STEP(STAGE_CONNECT, d->xxfi_connect(&ctx, "client.example",
	    (struct sockaddr *)&sin)))
		goto close;
	if (WANTS(SMFIP_NOHELO) && !STEP(STAGE_HELO, d->xxfi_helo(&ctx,
	    "client.example")))
		goto close;
	if (!STEP(STAGE_MAIL, d->xxfi_envfrom(&ctx, from)))
		goto close;
	if (WANTS(SMFIP_NORCPT)) {
		for (unsigned i = 0; i < t->nrcpts; i++) {
			unsigned before = r->nanswers;

			snprintf(addr, sizeof(addr), "<user%u@example.org>", i);
			rcpts_ok += STEP(STAGE_RCPT, d->xxfi_envrcpt(&ctx,
			    rcpt)) && r->nanswers == before;
		}
		if (rcpts_ok == 0)
			goto abort;
	}
	if (WANTS(SMFIP_NOHDRS)) {
		if (!STEP(STAGE_HEADER, d->xxfi_header(&ctx, "Subject",
		    "lunch")) || !STEP(STAGE_HEADER, d->xxfi_header(&ctx,
		    "From", "Alice <alice@example.net>")))
			goto abort;
		for (unsigned i = 0; i < t->nheaders; i++) {
			snprintf(name, sizeof(name), "X-Extra-%u", i);
			if (!STEP(STAGE_HEADER, d->xxfi_header(&ctx, name,
			    value)))
				goto abort;
		}
	}
	if (WANTS(SMFIP_NOEOH) && !STEP(STAGE_EOH, d->xxfi_eoh(&ctx)))
		goto abort;
	if (WANTS(SMFIP_NOBODY) && !STEP(STAGE_BODY, d->xxfi_body(&ctx, body,
	    sizeof(body) - 1)))
		goto abort;
	(void)STEP(STAGE_EOM, d->xxfi_eom(&ctx));
	r->headers_added = ctx.headers_added;
	goto close;
abort:
	failalloc_resume();
	(void)d->xxfi_abort(&ctx);
	failalloc_pause();
close:
	failalloc_resume();
	(void)d->xxfi_close(&ctx);
	/* What a worker thread frees when it ends: each run starts as on a
	 * new thread, so each allocation is numbered the same. */
	policy_thread_done();
	failalloc_pause();
	free(value);
	ck_assert_ptr_null(ctx.priv);
	current_run = NULL;
#undef STEP
#undef WANTS
}

/* install - load text as the milter's policy (NULL: none). */
static void
install(const char *text)
{
	char path[] = "/tmp/check_milter.XXXXXX";
	int fd;
	size_t len;
	struct policy *p;

	if (text == NULL) {
		milter_set_policy(NULL);
		return;
	}
	fd = mkstemp(path);
	len = strlen(text);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert_msg(write(fd, text, len) == (ssize_t)len, "write: %s",
	    strerror(errno));
	ck_assert_int_eq(close(fd), 0);
	p = conf_load(path, conf_print_diag, stderr, NULL);
	unlink(path);
	ck_assert_msg(p != NULL, "the test policy does not load");
	milter_set_policy(p);
}

/* failure_problem - what is wrong with run r, made with the allocation
 * fail_at failing, when the policy's failure reply starts with text;
 * NULL when nothing is. */
static const char *
failure_problem(const struct run *r, const char *text, char *why,
    size_t size)
{
	bool answered = false;

	for (unsigned i = 0; i < r->nanswers; i++) {
		const struct answer *a = &r->answers[i];

		if (a->rc == SMFIS_ACCEPT || a->rc == SMFIS_DISCARD) {
			snprintf(why, size, "stage %s accepted or discarded",
			    stage_name(a->stage));
			return why;
		}
		if (a->rc == SMFIS_TEMPFAIL && strcmp(a->basic, "451") == 0 &&
		    strcmp(a->xcode, "4.3.0") == 0 &&
		    strncmp(a->text, text, strlen(text)) == 0)
			answered = true;
	}
	if (!answered) {
		snprintf(why, size, "no stage answered \"451 4.3.0 %s...\" "
		    "(%u answers; the first: %s %s %s)", text, r->nanswers,
		    r->nanswers > 0 ? r->answers[0].basic : "-",
		    r->nanswers > 0 ? r->answers[0].xcode : "-",
		    r->nanswers > 0 ? r->answers[0].text : "-");
		return why;
	}
	if (r->failure_logs != 1) {
		snprintf(why, size, "%u failure log lines, want 1 (last: %s)",
		    r->failure_logs, r->failure_log);
		return why;
	}
	if (strstr(r->failure_log, " stage=") == NULL ||
	    (strncmp(r->failure_log, "4QUEUE1: ", 9) != 0 &&
	    strncmp(r->failure_log, "NOQUEUE: ", 9) != 0)) {
		snprintf(why, size, "the failure line lacks the queue id or "
		    "the stage: %s", r->failure_log);
		return why;
	}
	return NULL;
}

/* sweep - run t on text's policy failing each allocation in turn, and
 * count in stages[] the stages whose failure was logged; how many
 * allocations the clean run made. */
static unsigned long
sweep(const char *text, const struct transaction *t,
    unsigned stages[STAGE_COUNT])
{
	struct run *r = calloc(1, sizeof(*r));
	unsigned long n;
	char why[LOG_LINE_MAX + 256];

	ck_assert_ptr_nonnull(r);
	install(text);
	log_set_sink(sink, NULL);
	/* Quiet on stderr; the sink still reads every line. */
	log_set_level(LOG_LEVEL_ERROR);

	/* The clean run: no refusal, the header added, nothing logged. */
	failalloc_start(0);
	drive(t, r);
	n = failalloc_stop();
	ck_assert_msg(r->nanswers == 0, "the clean run was answered at %s: "
	    "%s %s %s", stage_name(r->answers[0].stage), r->answers[0].basic,
	    r->answers[0].xcode, r->answers[0].text);
	ck_assert_uint_eq(r->headers_added, 1);
	ck_assert_uint_eq(r->failure_logs, 0);
	ck_assert_uint_eq(failalloc_live(), 0);
	ck_assert_uint_gt(n, 10);

	memset(stages, 0, STAGE_COUNT * sizeof(stages[0]));
	for (unsigned long k = 1; k <= n; k++) {
		const char *problem, *at;
		unsigned long live;
		enum stage st;

		failalloc_start(k);
		drive(t, r);
		(void)failalloc_stop();
		live = failalloc_live();
		ck_assert_msg(failalloc_failed(), "allocation %lu of %lu was "
		    "never asked for", k, n);
		problem = failure_problem(r, "Local trouble for ", why,
		    sizeof(why));
		ck_assert_msg(problem == NULL, "allocation %lu of %lu failing: "
		    "%s", k, n, problem);
		ck_assert_msg(live == 0, "allocation %lu of %lu failing: %lu "
		    "blocks leaked", k, n, live);
		if ((at = strstr(r->failure_log, " stage=")) != NULL) {
			char word[16];

			if (sscanf(at, " stage=%15[a-z]", word) == 1 &&
			    stage_parse(word, &st) == 0)
				stages[st]++;
		}
		if (getenv("CHECK_MILTER_VERBOSE") != NULL)
			fprintf(stderr, "allocation %lu of %lu: %s\n", k, n,
			    r->failure_log);
	}
	log_set_level(LOG_LEVEL_INFO);
	log_set_sink(NULL, NULL);
	milter_set_policy(NULL);
	free(r);
	return n;
}

/* A small transaction allocates only when the connection starts. */
/* test_header_refused - when libmilter refuses a header to add at end of
 * message, the message is not passed on without it: on_failure, logged
 * once with the queue id. */
START_TEST(test_header_refused)
{
	struct run *r = calloc(1, sizeof(*r));
	char why[LOG_LINE_MAX + 256];
	const char *problem;

	ck_assert_ptr_nonnull(r);
	install(RULES);
	log_set_sink(sink, NULL);
	log_set_level(LOG_LEVEL_ERROR);
	stub_refuse_headers = true;
	drive(&small, r);
	stub_refuse_headers = false;
	problem = failure_problem(r, "Local trouble for 192.0.2.1", why,
	    sizeof(why));
	ck_assert_msg(problem == NULL, "%s", problem);
	ck_assert_uint_eq(r->answers[r->nanswers - 1].stage, STAGE_EOM);
	ck_assert_ptr_nonnull(strstr(r->failure_log, "cause=milter"));
	ck_assert_ptr_nonnull(strstr(r->failure_log, "X-Checked"));
	log_set_sink(NULL, NULL);
	install(NULL);
	free(r);
}
END_TEST

START_TEST(test_oom_small)
{
	unsigned stages[STAGE_COUNT];

	sweep(RULES HEADER_RULE, &small, stages);
	ck_assert_uint_gt(stages[STAGE_CONNECT], 0);
}
END_TEST

/* A big one allocates in the callbacks of every stage that records; with
 * header replies a failure to record a header is answered at it. */
START_TEST(test_oom_with_header_replies)
{
	unsigned stages[STAGE_COUNT];

	sweep(RULES HEADER_RULE, &big, stages);
	ck_assert_uint_gt(stages[STAGE_CONNECT], 0);
	ck_assert_uint_gt(stages[STAGE_RCPT], 0);
	ck_assert_uint_gt(stages[STAGE_HEADER], 0);
}
END_TEST

/* Without them the flow holds the failure, and the end of headers
 * answers it. */
START_TEST(test_oom_without_header_replies)
{
	unsigned stages[STAGE_COUNT];

	sweep(RULES, &big, stages);
	ck_assert_uint_gt(stages[STAGE_RCPT], 0);
	ck_assert_uint_gt(stages[STAGE_HEADER], 0);
}
END_TEST

/* No policy at all: the built-in reply, at the first stage that can carry
 * it, logged once; nothing kept. */
START_TEST(test_no_policy)
{
	struct run *r = calloc(1, sizeof(*r));
	char why[LOG_LINE_MAX + 256];
	const char *problem;

	ck_assert_ptr_nonnull(r);
	install(NULL);
	log_set_sink(sink, NULL);
	failalloc_start(0);
	drive(&small, r);
	(void)failalloc_stop();
	log_set_sink(NULL, NULL);
	problem = failure_problem(r, POLICY_BUILTIN_FAILURE_TEXT, why,
	    sizeof(why));
	ck_assert_msg(problem == NULL, "%s", problem);
	ck_assert_int_eq(r->answers[0].stage, STAGE_HELO);
	ck_assert_ptr_nonnull(strstr(r->failure_log, "cause=state"));
	ck_assert_ptr_nonnull(strstr(r->failure_log, "no policy loaded"));
	ck_assert_uint_eq(failalloc_live(), 0);
	free(r);
}
END_TEST

/* The loaded policy's reply, not the built-in one, answers a missing
 * connection state; the connect failure waits for HELO. */
START_TEST(test_no_state_answers_policy)
{
	struct run *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	install(RULES);
	log_set_sink(sink, NULL);
	failalloc_start(1);	/* the connection state itself */
	drive(&small, r);
	(void)failalloc_stop();
	log_set_sink(NULL, NULL);
	ck_assert(failalloc_failed());
	ck_assert_uint_ge(r->nanswers, 1);
	ck_assert_int_eq(r->answers[0].stage, STAGE_HELO);
	ck_assert_int_eq(r->answers[0].rc, SMFIS_TEMPFAIL);
	ck_assert_str_eq(r->answers[0].basic, "451");
	ck_assert_str_eq(r->answers[0].xcode, "4.3.0");
	/* No session: the template's value renders as "unknown". */
	ck_assert_str_eq(r->answers[0].text,
	    "Local trouble for unknown, try later");
	ck_assert_uint_eq(r->failure_logs, 1);
	ck_assert_ptr_nonnull(strstr(r->failure_log, "stage=connect"));
	ck_assert_uint_eq(failalloc_live(), 0);
	milter_set_policy(NULL);
	free(r);
}
END_TEST

static Suite *
milter_suite(void)
{
	Suite *s = suite_create("milter");
	TCase *tc = tcase_create("failure");

	/* A sweep runs the transaction a few hundred times. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_oom_small);
	tcase_add_test(tc, test_header_refused);
	tcase_add_test(tc, test_oom_with_header_replies);
	tcase_add_test(tc, test_oom_without_header_replies);
	tcase_add_test(tc, test_no_policy);
	tcase_add_test(tc, test_no_state_answers_policy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_main_run(milter_suite());
}
