/*
 * check_main - what every tests/check_*.c program shares
 *
 * NELEM, running a suite to an automake exit status, and the LIVE_TESTS
 * switch for the programs that start a real server (unbound, an MTA).
 *
 * Exit statuses are automake's: 0 pass, 1 fail, 77 skip, 99 hard error.
 * LIVE_TESTS=no skips a live test before it starts anything, and says so
 * on stderr; unset or any other value runs it (.ci/run sets yes).
 */
#ifndef REPLYMILTER_CHECK_MAIN_H
#define REPLYMILTER_CHECK_MAIN_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* check_main_run - run every test of s (then freed); 0 when all passed. */
static inline int
check_main_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* check_main_live - 77 (skip, said on stderr with why) when LIVE_TESTS=no,
 * else 0: the caller goes on.  why says what makes the test live. */
static inline int
check_main_live(const char *why)
{
	const char *live = getenv("LIVE_TESTS");

	if (live != NULL && strcmp(live, "no") == 0) {
		fprintf(stderr, "SKIP: LIVE_TESTS=no, and this test is live: "
		    "%s\n", why);
		return 77;
	}
	return 0;
}

#endif
