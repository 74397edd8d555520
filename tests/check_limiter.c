/*
 * check_limiter - rate limits and greylisting (limiter.c): what a rule's
 * rate and greylist accept and refuse with which message, how events of
 * a session are counted and keyed, the key --ratelimit-show computes,
 * and the store's failure under on_error local and tempfail
 *
 * The clock is the test's (limiter_set_clock, limiter_wait); judgements
 * go to a fresh local store (limiter_open "local") in each test.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "limiter.h"
#include "session.h"
#include "store.h"

#define T0 1767225600LL	/* 2026-01-01 00:00 UTC: every window's start */

/* fresh - a new local store and the clock at T0. */
static void
fresh(void)
{
	char err[128];

	ck_assert_int_eq(limiter_open("local", LIMITER_ON_ERROR_TEMPFAIL,
	    1000, 100, err, sizeof(err)), 0);
	limiter_set_clock(T0);
	limiter_configure(24, 64, 2);
}

/* client - a session from addr, with sender and recipient (NULL: none). */
static struct session *
client(const char *addr, const char *sender, const char *rcpt)
{
	struct session *s = session_new(0);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(session_set_client(s, "c.example", addr), 0);
	if (sender != NULL) {
		session_begin_message(s);
		ck_assert_int_eq(session_set_sender(s, sender, false, 0), 0);
	}
	if (rcpt != NULL)
		ck_assert_int_eq(session_add_rcpt(s, rcpt), 0);
	return s;
}

static const struct {
	const char *text;
	enum stage stage;
	bool bytes;
	const char *error;	/* NULL: parses */
} parse_cases[] = {
	{ "client_addr 3/60s", STAGE_CONNECT, false, NULL },
	{ "client_addr/24 3/60", STAGE_CONNECT, false, NULL },
	{ "client_addr/24/56,client_name 1000/1d", STAGE_CONNECT, false,
	    NULL },
	{ "auth_authen 200/1h", STAGE_RCPT, false, NULL },
	{ "sender_domain,{daemon_name} 5/5m", STAGE_MAIL, false, NULL },
	{ "client_addr 10000000/1d", STAGE_EOM, true, NULL },
	{ "client_addr 3", STAGE_CONNECT, false, "write \"KEY LIMIT/WINDOW\"" },
	{ "3/60s", STAGE_CONNECT, false, "write \"KEY LIMIT/WINDOW\"" },
	{ "client_addr 0/60s", STAGE_CONNECT, false, "LIMIT \"0\"" },
	{ "client_addr 3/60y", STAGE_CONNECT, false, "WINDOW \"60y\"" },
	{ "client_addr 3/400d", STAGE_CONNECT, false, "at most 366d" },
	{ "client_addr/33 3/60s", STAGE_CONNECT, false, "client_addr/V4" },
	{ "client_adr 3/60s", STAGE_CONNECT, false, "unknown key" },
	{ "rcpt 3/60s", STAGE_MAIL, false, "no value at the mail stage" },
	{ "client_addr 3/60s", STAGE_MAIL, true, "use stage = eom" },
	{ "{bad 3/60s", STAGE_MAIL, false, "a macro is written {name}" },
};

/* Each rate text parses, or fails with a message that names the fix. */
START_TEST(test_parse)
{
	for (size_t i = 0; i < NELEM(parse_cases); i++) {
		char err[300] = "";
		struct limit *l = limit_parse(parse_cases[i].text,
		    parse_cases[i].stage, parse_cases[i].bytes, err,
		    sizeof(err));

		if (parse_cases[i].error == NULL)
			ck_assert_msg(l != NULL, "%s: %s", parse_cases[i].text,
			    err);
		else
			ck_assert_msg(l == NULL && strstr(err,
			    parse_cases[i].error) != NULL, "%s: got \"%s\"",
			    parse_cases[i].text, err);
		limit_free(l);
	}
}
END_TEST

/* A rate: LIMIT events pass, the next is held with when to retry; two
 * rules on one key keep two counts; a /24 key joins a network. */
START_TEST(test_rate)
{
	char err[200];
	struct limit *l = limit_parse("client_addr/24 2/60s", STAGE_CONNECT,
	    false, err, sizeof(err));
	struct session *a = client("192.0.2.7", NULL, NULL);
	struct session *b = client("192.0.2.200", NULL, NULL);
	struct session *other = client("198.51.100.1", NULL, NULL);
	struct limiter_answer ans;
	struct limiter_stats st;

	fresh();
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(limit_describe(l), "2/60s");
	ck_assert_int_eq(limit_judge(l, "r1", a, &ans), LIMITER_PASS);
	ck_assert_int_eq(limit_judge(l, "r1", b, &ans), LIMITER_PASS);
	ck_assert_int_eq(limit_judge(l, "r1", a, &ans), LIMITER_HOLD);
	ck_assert_uint_eq(ans.retry_after, 90);
	/* Another rule, another counter; another network, another key. */
	ck_assert_int_eq(limit_judge(l, "r2", a, &ans), LIMITER_PASS);
	ck_assert_int_eq(limit_judge(l, "r1", other, &ans), LIMITER_PASS);
	limiter_wait(120);
	ck_assert_int_eq(limit_judge(l, "r1", a, &ans), LIMITER_PASS);
	limiter_stats_read(&st);
	ck_assert_uint_eq(st.keys, 3);
	ck_assert_uint_ge(st.held, 1);
	session_free(a);
	session_free(b);
	session_free(other);
	limit_free(l);
}
END_TEST

/* The key --ratelimit-show computes from typed values is the one the
 * daemon counts under: an address is masked as the key says, and case
 * does not matter. */
START_TEST(test_key_digest)
{
	char err[200];
	struct limit *l = limit_parse("sender_domain,client_addr/24 5/1h",
	    STAGE_MAIL, false, err, sizeof(err));
	struct session *s = client("192.0.2.7", "a@Example.ORG", NULL);
	struct limiter_answer ans;
	struct store_key k;
	double count = -1;

	fresh();
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(limit_judge(l, "per-domain", s, &ans), LIMITER_PASS);
	ck_assert_int_eq(limit_judge(l, "per-domain", s, &ans), LIMITER_PASS);
	ck_assert_int_eq(limiter_key_digest(l, "per-domain",
	    "example.org,192.0.2.99", k.digest), 0);
	ck_assert_int_eq(store_rate_peek(limiter_store(), &k, 3600,
	    limiter_now(), &count), 0);
	ck_assert_double_eq_tol(count, 2, 1e-9);
	ck_assert_int_eq(limiter_key_digest(l, "per-domain", "example.org",
	    k.digest), -1);
	session_free(s);
	limit_free(l);
}
END_TEST

/* Greylisting through the judge: held, held for what is left, passed with
 * the delay; the client network's auto-allow after two passes. */
START_TEST(test_grey)
{
	char err[200];
	struct grey *g = grey_parse("5m 36d", err, sizeof(err));
	struct session *s = client("203.0.113.5", "news@sender.example",
	    "bob@example.net");
	struct limiter_answer ans;

	fresh();
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_HOLD);
	ck_assert_uint_eq(ans.retry_after, 300);
	limiter_wait(100);
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_HOLD);
	ck_assert_uint_eq(ans.retry_after, 200);
	limiter_wait(250);
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_PASS);
	ck_assert_uint_eq(ans.delayed, 350);
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_PASS);
	ck_assert_uint_eq(ans.delayed, 0);
	session_free(s);
	/* A second triplet from the network passes: two passes; the third
	 * is allowed at once. */
	s = client("203.0.113.9", "news@sender.example", "carol@example.net");
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_HOLD);
	limiter_wait(301);
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_PASS);
	session_free(s);
	s = client("203.0.113.10", "other@sender.example", "dave@example.net");
	ck_assert_int_eq(grey_judge(g, s, &ans), LIMITER_PASS);
	ck_assert_uint_eq(ans.delayed, 0);
	session_free(s);
	ck_assert_ptr_null(grey_parse("5m", err, sizeof(err)));
	ck_assert_ptr_null(grey_parse("36d 5m", err, sizeof(err)));
	ck_assert(strstr(err, "not longer than DELAY") != NULL);
	grey_free(g);
}
END_TEST

/* A shared store that does not answer: tempfail is an error (the caller
 * answers on_failure), local counts here; both are counted. */
START_TEST(test_store_down)
{
	char err[200];
	struct limit *l = limit_parse("client_addr 1/60s", STAGE_CONNECT,
	    false, err, sizeof(err));
	struct session *s = client("192.0.2.7", NULL, NULL);
	struct limiter_answer ans;
	struct limiter_stats st;
	int rc;

	ck_assert_ptr_nonnull(l);
	/* Port 1 on loopback: nothing listens, the connection is refused. */
	rc = limiter_open("redis://127.0.0.1:1/0", LIMITER_ON_ERROR_TEMPFAIL,
	    1000, 100, err, sizeof(err));
	if (rc != 0 && strstr(err, "built without Redis") != NULL) {
		/* This build has no Redis store to fail: said, not hidden. */
		fprintf(stderr, "test_store_down: not run: %s\n", err);
		limit_free(l);
		session_free(s);
		return;
	}
	ck_assert_msg(rc == 0, "%s", err);
	limiter_set_clock(T0);
	ck_assert_int_eq(limit_judge(l, "r", s, &ans), LIMITER_ERROR);
	ck_assert_int_eq(limiter_open("redis://127.0.0.1:1/0",
	    LIMITER_ON_ERROR_LOCAL, 1000, 100, err, sizeof(err)), 0);
	ck_assert_int_eq(limit_judge(l, "r", s, &ans), LIMITER_PASS);
	ck_assert_int_eq(limit_judge(l, "r", s, &ans), LIMITER_HOLD);
	limiter_stats_read(&st);
	ck_assert_uint_ge(st.fell_back, 2);
	ck_assert_uint_ge(st.store_errors, 1);
	session_free(s);
	limit_free(l);
}
END_TEST

static Suite *
limiter_suite(void)
{
	Suite *s = suite_create("limiter");
	TCase *tc = tcase_create("limiter");

	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_rate);
	tcase_add_test(tc, test_key_digest);
	tcase_add_test(tc, test_grey);
	tcase_add_test(tc, test_store_down);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc = check_main_run(limiter_suite());

	limiter_close();
	return rc;
}
