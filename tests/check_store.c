/*
 * check_store - the store contract (store.h) against the local store
 *
 * Each test runs on a fresh store from store_under_test(): the local one
 * here; the same cases run against Redis in check_store_redis (which
 * starts a redis-server of its own).  Time is the test's own: every call
 * passes "now", so windows and delays are crossed without sleeping.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_store.h"
#include "store.h"

/* key - a digest whose bytes are all b (distinct b: distinct keys). */
static struct store_key
key(unsigned char b)
{
	struct store_key k;

	memset(k.digest, b, sizeof(k.digest));
	return k;
}

#define T0 1699999980LL	/* a time on a minute's boundary */

/* Within one window: limit events go, the next is over and not counted. */
START_TEST(test_rate_limit)
{
	struct store *s = store_under_test();
	struct store_key k = key(1);
	struct store_rate r;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(store_rate(s, &k, 3, 60, 1, T0 + i, &r), 0);
		ck_assert_msg(!r.over, "event %d over", i);
		ck_assert_double_eq_tol(r.count, i, 1e-9);
	}
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(store_rate(s, &k, 3, 60, 1, T0 + 10, &r), 0);
		ck_assert(r.over);
		/* Refused events are not counted. */
		ck_assert_double_eq_tol(r.count, 3, 1e-9);
		/* 3 in this bucket: it must become the previous one (50 s)
		 * and lose a third of its weight (20 s more). */
		ck_assert_uint_eq(r.retry_after, 70);
	}
	store_free(s);
}
END_TEST

/* The window slides: the previous bucket's count weighs less as the
 * current one ages, and retry_after is when the event fits. */
START_TEST(test_rate_slides)
{
	struct store *s = store_under_test();
	struct store_key k = key(2);
	struct store_rate r;
	double count;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(store_rate(s, &k, 4, 60, 1, T0 + 30, &r), 0);
	ck_assert(!r.over);
	/* 15 s into the next bucket: 4 * 45/60 = 3 still count. */
	ck_assert_int_eq(store_rate_peek(s, &k, 60, T0 + 75, &count), 0);
	ck_assert_double_eq_tol(count, 3, 1e-9);
	ck_assert_int_eq(store_rate(s, &k, 4, 60, 1, T0 + 75, &r), 0);
	ck_assert(!r.over);
	ck_assert_double_eq_tol(r.count, 3, 1e-9);
	/* Now 3 + 1 = 4: over; fits once 4 * (1 - e/60) + 1 <= 3 ... */
	ck_assert_int_eq(store_rate(s, &k, 4, 60, 1, T0 + 75, &r), 0);
	ck_assert(r.over);
	ck_assert_double_eq_tol(r.count, 4, 1e-9);
	/* prev 4, cur 1: 4 * (1 - (15 + t)/60) <= 2 at t = 15. */
	ck_assert_uint_eq(r.retry_after, 15);
	ck_assert_int_eq(store_rate(s, &k, 4, 60, 1, T0 + 90, &r), 0);
	ck_assert(!r.over);
	/* Two windows later nothing is left. */
	ck_assert_int_eq(store_rate_peek(s, &k, 60, T0 + 240, &count), 0);
	ck_assert_double_eq_tol(count, 0, 1e-9);
	store_free(s);
}
END_TEST

/* retry_after is the least whole second that fits, even where the
 * formula's floating-point error lands a hair above a whole number
 * (60 x (1 - 2/3) - 19 = 1.0000000000000036), and the event then fits. */
START_TEST(test_rate_retry_exact)
{
	struct store *s = store_under_test();
	struct store_key k = key(9);
	struct store_rate r;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(store_rate(s, &k, 3, 60, 1, T0, &r), 0);
	ck_assert_int_eq(store_rate(s, &k, 3, 60, 1, T0 + 79, &r), 0);
	ck_assert(r.over);
	ck_assert_uint_eq(r.retry_after, 1);
	ck_assert_int_eq(store_rate(s, &k, 3, 60, 1, T0 + 80, &r), 0);
	ck_assert(!r.over);
	store_free(s);
}
END_TEST

/* Costs (bytes): one event bigger than the limit never fits; keys and
 * limits are independent; reset forgets. */
START_TEST(test_rate_cost_and_keys)
{
	struct store *s = store_under_test();
	struct store_key a = key(3), b = key(4);
	struct store_rate r;
	double count;

	ck_assert_int_eq(store_rate(s, &a, 1000, 3600, 600, T0, &r), 0);
	ck_assert(!r.over);
	ck_assert_int_eq(store_rate(s, &a, 1000, 3600, 600, T0, &r), 0);
	ck_assert(r.over);
	ck_assert_int_eq(store_rate(s, &a, 1000, 3600, 5000, T0, &r), 0);
	ck_assert(r.over);
	ck_assert_uint_eq(r.retry_after, 3600);
	ck_assert_int_eq(store_rate(s, &b, 1, 3600, 1, T0, &r), 0);
	ck_assert(!r.over);
	ck_assert_int_eq(store_rate_peek(s, &a, 3600, T0, &count), 0);
	ck_assert_double_eq_tol(count, 600, 1e-9);
	ck_assert_int_eq(store_rate_reset(s, &a), 0);
	ck_assert_int_eq(store_rate_peek(s, &a, 3600, T0, &count), 0);
	ck_assert_double_eq_tol(count, 0, 1e-9);
	ck_assert_int_eq(store_rate_peek(s, &b, 3600, T0, &count), 0);
	ck_assert_double_eq_tol(count, 1, 1e-9);
	store_free(s);
}
END_TEST

/* Greylisting: new, early, passed (with the delay), known; a triplet that
 * never came back is forgotten after the retry window; a passed one after
 * expiry. */
START_TEST(test_grey)
{
	struct store *s = store_under_test();
	struct store_key t = key(5), c = key(6), t2 = key(7);
	struct store_grey g;

	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0, T0, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	ck_assert_uint_eq(g.retry_after, 300);
	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0, T0 + 100, &g),
	    0);
	ck_assert_int_eq(g.state, STORE_GREY_EARLY);
	ck_assert_uint_eq(g.retry_after, 200);
	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0, T0 + 400, &g),
	    0);
	ck_assert_int_eq(g.state, STORE_GREY_PASSED);
	ck_assert_uint_eq(g.delayed, 400);
	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0, T0 + 500, &g),
	    0);
	ck_assert_int_eq(g.state, STORE_GREY_KNOWN);
	/* Known is kept for expiry after the last pass... */
	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0,
	    T0 + 500 + 86000, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_KNOWN);
	/* ... and forgotten after. */
	ck_assert_int_eq(store_grey(s, &t, &c, 300, 86400, 0,
	    T0 + 500 + 86000 + 86401, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	/* A first attempt never retried is forgotten after the window. */
	ck_assert_int_eq(store_grey(s, &t2, &c, 300, 86400, 0, T0, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	ck_assert_int_eq(store_grey(s, &t2, &c, 300, 86400, 0,
	    T0 + STORE_GREY_RETRY_WINDOW + 1, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	store_free(s);
}
END_TEST

/* Auto-allow: after N passed triplets, a client's new triplet goes
 * through at once. */
START_TEST(test_grey_auto_allow)
{
	struct store *s = store_under_test();
	struct store_key c = key(8);
	struct store_grey g;

	for (unsigned char i = 0; i < 2; i++) {
		struct store_key t = key((unsigned char)(20 + i));

		ck_assert_int_eq(store_grey(s, &t, &c, 60, 86400, 2, T0, &g),
		    0);
		ck_assert_int_eq(g.state, STORE_GREY_NEW);
		ck_assert_int_eq(store_grey(s, &t, &c, 60, 86400, 2, T0 + 61,
		    &g), 0);
		ck_assert_int_eq(g.state, STORE_GREY_PASSED);
	}
	{
		struct store_key t = key(30);

		ck_assert_int_eq(store_grey(s, &t, &c, 60, 86400, 2, T0 + 62,
		    &g), 0);
		ck_assert_int_eq(g.state, STORE_GREY_AUTO);
	}
	store_free(s);
}
END_TEST

/* check_store_cases - the contract's cases, for both suites. */
void
check_store_cases(TCase *tc)
{
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_rate_slides);
	tcase_add_test(tc, test_rate_retry_exact);
	tcase_add_test(tc, test_rate_cost_and_keys);
	tcase_add_test(tc, test_grey);
	tcase_add_test(tc, test_grey_auto_allow);
}
