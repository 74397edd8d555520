/*
 * check_store_local - the store contract (tests/check_store.c) against the
 * in-process store, and what only it promises: bounded memory, the
 * oldest keys evicted first and counted, and one atomic step per
 * operation under concurrent threads.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <string.h>

#include "check_main.h"
#include "check_store.h"
#include "store.h"

struct store *
store_under_test(void)
{
	struct store *s = store_local_new(1000);

	ck_assert_ptr_nonnull(s);
	return s;
}

/* key_n - a digest for the number n, spread over the stripes. */
static struct store_key
key_n(unsigned n)
{
	struct store_key k;

	memset(k.digest, 0, sizeof(k.digest));
	memcpy(k.digest, &n, sizeof(n));
	k.digest[15] = 0xee;
	return k;
}

/* More keys than the bound: the oldest go, counted; the newest stay. */
START_TEST(test_evicts_oldest)
{
	struct store *s = store_local_new(160);
	struct store_stats st;
	struct store_rate r;
	double count;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < 1600; i++) {
		struct store_key k = key_n(i);

		ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, 60, &r), 0);
	}
	store_stats_read(s, &st);
	ck_assert_uint_le(st.keys, 160);
	ck_assert_uint_ge(st.keys, 150);
	ck_assert_uint_eq(st.evicted, 1600 - st.keys);
	ck_assert_uint_eq(st.errors, 0);
	{
		struct store_key newest = key_n(1599), oldest = key_n(0);

		ck_assert_int_eq(store_rate_peek(s, &newest, 60, 60, &count),
		    0);
		ck_assert_double_eq_tol(count, 1, 1e-9);
		ck_assert_int_eq(store_rate_peek(s, &oldest, 60, 60, &count),
		    0);
		ck_assert_double_eq_tol(count, 0, 1e-9);
	}
	ck_assert_str_eq(store_describe(s), "local");
	store_free(s);
	store_free(NULL);
}
END_TEST

struct racer {
	struct store *s;
	unsigned allowed;
};

/* race - 1,000 events on one key with a limit of 500. */
static void *
race(void *arg)
{
	struct racer *r = arg;
	struct store_key k = key_n(7);
	struct store_rate out;

	for (int i = 0; i < 1000; i++)
		if (store_rate(r->s, &k, 500, 3600, 1, 3600, &out) == 0 &&
		    !out.over)
			r->allowed++;
	return NULL;
}

/* Four threads on one counter: exactly the limit goes through. */
START_TEST(test_threads_one_counter)
{
	struct store *s = store_local_new(100);
	struct racer rs[4];
	pthread_t t[4];
	unsigned total = 0;

	for (int i = 0; i < 4; i++) {
		rs[i].s = s;
		rs[i].allowed = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += rs[i].allowed;
	}
	ck_assert_uint_eq(total, 500);
	store_free(s);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store_local");
	TCase *tc = tcase_create("contract");

	check_store_cases(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("local");
	tcase_add_test(tc, test_evicts_oldest);
	tcase_add_test(tc, test_threads_one_counter);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_main_run(store_suite());
}
