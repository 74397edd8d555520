/*
 * check_regex_set - unit tests of the regex_set module
 *
 * The matcher against regexec(3): every pattern of a corpus (case,
 * anchors, classes, alternation, repetition, 8-bit bytes, newlines, the
 * GNU escapes) against every input of a corpus, one pattern a set and
 * all patterns in one set, must give regexec's answer.  Then which
 * patterns stay on regexec, bad patterns, and engine errors (-1, never
 * "no match").
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "regex_set.h"
#include "regexec_fail.h"


/* One pattern of the corpus: the ERE and whether it is /i. */
struct pat {
	const char *re;
	unsigned flags;
};

#define I REGEX_SET_ICASE

static const struct pat pats[] = {
	{ "abc", 0 }, { "abc", I }, { "ABC", 0 }, { "ABC", I },
	{ "^abc", 0 }, { "abc$", 0 }, { "^abc$", 0 }, { "^abc$", I },
	{ "^$", 0 }, { "^", 0 }, { "$", 0 }, { "x*", 0 },
	{ "a.c", 0 }, { "a.c", I }, { "^.$", 0 }, { "^..$", 0 },
	{ ".", 0 }, { "^.*$", 0 }, { "a.*c", 0 }, { "a.+c", 0 },
	{ "[abc]", 0 }, { "[^abc]", 0 }, { "^[^abc]+$", 0 },
	{ "[a-z]+", 0 }, { "^[a-z]+$", 0 }, { "^[a-z]+$", I },
	{ "[A-Z]", 0 }, { "[A-Z]", I }, { "[0-9]{3}", 0 },
	{ "^[0-9]{2,4}$", 0 }, { "^[0-9]{2,}$", 0 }, { "^a{0}b", 0 },
	{ "^(ab){2}$", 0 }, { "^(ab){1,2}$", 0 }, { "(ab)+c", 0 },
	{ "[[:alpha:]]", 0 }, { "^[[:alpha:]]+$", 0 }, { "[[:digit:]]", 0 },
	{ "[[:space:]]", 0 }, { "[[:upper:]]", 0 }, { "[[:upper:]]", I },
	{ "[[:lower:]]", I }, { "[[:punct:]]", 0 }, { "[[:alnum:]_]+$", 0 },
	{ "^[[:xdigit:]]+$", 0 }, { "[[:cntrl:]]", 0 }, { "[[:print:]]", 0 },
	{ "[[:blank:]]", 0 }, { "[[:graph:]]", 0 },
	{ "[]a]", 0 }, { "[^]a]", 0 }, { "[a-]", 0 }, { "[]-a]", 0 },
	{ "a|b", 0 }, { "^(a|b)$", 0 }, { "^(abc|def)$", I },
	{ "foo|bar|baz", 0 }, { "(foo|)bar", 0 }, { "^(a|ab)(c|bcd)$", 0 },
	{ "colou?r", 0 }, { "^https?://", I }, { "a+", 0 }, { "^a+$", 0 },
	{ "ab?c", 0 }, { "(a*)*b", 0 }, { "(a|b)*c", 0 },
	{ "\\.", 0 }, { "\\.com$", 0 }, { "\\.example\\.com$", I },
	{ "a\\+b", 0 }, { "\\(x\\)", 0 }, { "\\$", 0 }, { "\\^", 0 },
	{ "\\[", 0 }, { "\\*", 0 }, { "a\\|b", 0 },
	{ "\\w+", 0 }, { "\\W", 0 }, { "\\bfoo\\b", 0 }, { "\\<foo\\>", 0 },
	{ "\\s", 0 }, { "\\S+", 0 }, { "(a)\\1", 0 }, { "\\d", 0 },
	{ "\\`a", 0 }, { "a\\'", 0 },
	{ "[\\d]", 0 }, { "[a\\]]", 0 }, { "[[.a.]]", 0 }, { "[[=a=]]", 0 },
	{ "a{,2}b", 0 }, { "a**", 0 }, { "a+?", 0 }, { "a*?b", 0 },
	{ "\xe9", 0 }, { "\xc3\xa9", 0 }, { "[\x80-\xff]", 0 },
	{ "^[^\x80-\xff]*$", 0 }, { "caf\xc3\xa9", I }, { "\xc9", I },
	{ "\n", 0 }, { "a\nb", 0 }, { "^b", 0 }, { "a$", 0 },
	{ "^a.b$", 0 }, { "[^x]b", 0 }, { "\r", 0 },
	{ "^Subject: .*viagra", I }, { "^[A-Za-z0-9._%+-]+@example\\.org$", 0 },
	{ "(^| )spam( |$)", I }, { "^.{5}$", 0 }, { "^.{0,3}$", 0 },
	{ "ab|^cd$|ef$", 0 }, { "(a$|b)c", 0 }, { "^(.*)$", 0 },
};

static const char *const inputs[] = {
	"", "abc", "ABC", "aBc", "xabcx", "abcabc", "ab", "a", "b", "c",
	"x", "xx", "xxx", "ac", "abbc", "a\nc", "abc\n", "\n", "\nabc",
	"a\nb", "a\nb\n", "ab\n", "123", "12", "12345", "1", "abab", "ababab",
	"abc\r\n", "colour", "color", "HTTP://x", "https://example",
	"mail.example.com", "mail.EXAMPLE.COM", "example.com\n", "x.com",
	"foo", "foo bar", "foobar", "bar", "baz", "a+b", "(x)", "$", "^",
	"[", "*", "a|b", "aa", "aaab", "b", "hello world", "hello_world",
	"  ", "\t", "caf\xc3\xa9", "CAF\xc3\xa9", "\xe9", "\xc9", "\xff",
	"abcd", "abd", "ad", "def", "DEF", "]", "-", "]a",
	"Subject: cheap VIAGRA now", "Subject: hi",
	"john.doe@example.org", "john@example.org\n", "this is SPAM here",
	"spam", "nospamx", "12345\n", "ac\n", "cd", "cd\n", "ef\n", "cdx",
	"\x01", "~", "A1_", "deadBEEF", "dead beef",
};

/* rx - regexec's answer for pattern p on s: 1 match, 0 none. */
static int
rx(const struct pat *p, const char *s)
{
	regex_t re;
	int rc;

	rc = regcomp(&re, p->re, REG_EXTENDED | REG_NOSUB |
	    ((p->flags & REGEX_SET_ICASE) ? REG_ICASE : 0));
	ck_assert_msg(rc == 0, "regcomp refused corpus pattern /%s/", p->re);
	rc = regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	ck_assert(rc == 0 || rc == REG_NOMATCH);
	return rc == 0;
}

/* Each pattern in a set of its own, against every input. */
START_TEST(test_one_by_one)
{
	char err[256];

	for (size_t i = 0; i < NELEM(pats); i++) {
		struct regex_set_entry e = { pats[i].re, pats[i].flags, 0 };
		struct regex_set *set = regex_set_new(&e, 1, err, sizeof(err));
		unsigned char hits[1];

		ck_assert_msg(set != NULL, "/%s/: %s", pats[i].re, err);
		ck_assert_uint_eq(regex_set_bitmap_size(set), 1);
		for (size_t k = 0; k < NELEM(inputs); k++) {
			const char *s = inputs[k];

			ck_assert_int_eq(regex_set_scan(set, s, strlen(s),
			    hits), 0);
			ck_assert_msg(regex_set_hit(hits, 0) == rx(&pats[i], s),
			    "/%s/%s on \"%s\": set %d, regexec %d", pats[i].re,
			    pats[i].flags ? "i" : "", s, regex_set_hit(hits, 0),
			    rx(&pats[i], s));
		}
		regex_set_free(set);
	}
	regex_set_thread_done();
}
END_TEST

/* The whole corpus in one set: one scan, every bit as regexec says. */
START_TEST(test_all_in_one)
{
	struct regex_set_entry e[NELEM(pats)];
	struct regex_set *set;
	unsigned char *hits;
	char err[256];

	for (size_t i = 0; i < NELEM(pats); i++) {
		e[i].pattern = pats[i].re;
		e[i].flags = pats[i].flags;
	}
	set = regex_set_new(e, NELEM(pats), err, sizeof(err));
	ck_assert_msg(set != NULL, "%s", err);
	ck_assert_uint_eq(regex_set_count(set), NELEM(pats));
	hits = malloc(regex_set_bitmap_size(set));
	ck_assert_ptr_nonnull(hits);
	for (size_t k = 0; k < NELEM(inputs); k++) {
		const char *s = inputs[k];

		ck_assert_int_eq(regex_set_scan(set, s, strlen(s), hits), 0);
		for (size_t i = 0; i < NELEM(pats); i++)
			ck_assert_msg(regex_set_hit(hits, i) ==
			    rx(&pats[i], s), "/%s/%s on \"%s\" in the set: "
			    "set %d, regexec %d", pats[i].re,
			    pats[i].flags ? "i" : "", s,
			    regex_set_hit(hits, i), rx(&pats[i], s));
	}
	free(hits);
	regex_set_free(set);
	regex_set_thread_done();
}
END_TEST

/* Which patterns the engine takes, and which stay on regexec. */
START_TEST(test_engine_took)
{
	static const struct {
		const char *re;
		bool portable;
	} cases[] = {
		{ "abc", true }, { "^a[[:alpha:]]+b{2,3}$", true },
		{ "\\.com$", true }, { "(a|b)*c", true },
		{ "\\w", false }, { "(a)\\1", false }, { "[\\d]", false },
		{ "[[.a.]]", false }, { "a{,2}", false }, { "a**", false },
		{ "a+?", false }, { "\\<a", false },
	};
	struct regex_set_entry e[NELEM(cases)];
	struct regex_set *set;
	size_t want = 0;
	char err[256];

	for (size_t i = 0; i < NELEM(cases); i++) {
		e[i].pattern = cases[i].re;
		e[i].flags = 0;
	}
	set = regex_set_new(e, NELEM(cases), err, sizeof(err));
	ck_assert_msg(set != NULL, "%s", err);
	for (size_t i = 0; i < NELEM(cases); i++) {
#ifdef HAVE_HYPERSCAN
		ck_assert_msg(regex_set_engine_took(set, i) ==
		    cases[i].portable, "/%s/", cases[i].re);
		want += cases[i].portable;
#else
		ck_assert(!regex_set_engine_took(set, i));
#endif
	}
	ck_assert_uint_eq(regex_set_engine_count(set), want);
	ck_assert(!regex_set_engine_took(set, NELEM(cases)));
	regex_set_free(set);
	regex_set_thread_done();
}
END_TEST

/* A pattern regcomp refuses: NULL, naming its index. */
START_TEST(test_bad_pattern)
{
	struct regex_set_entry e[] = { { "ok", 0, 0 }, { "a(b", 0, 0 } };
	char err[256] = "";

	ck_assert_ptr_null(regex_set_new(e, NELEM(e), err, sizeof(err)));
	ck_assert_msg(strstr(err, "pattern 1 is not a valid regular "
	    "expression") != NULL, "%s", err);
	regex_set_free(NULL);
}
END_TEST

/* Ids: patterns sharing an id answer together, in both engines; an id
 * out of range is refused. */
START_TEST(test_ids)
{
	struct regex_set_entry e[] = {
		{ "^abc", 0, 2 }, { "\\wz", 0, 2 }, { "c$", 0, 0 },
		{ "^x", 0, 9 }
	};
	const struct { const char *text; unsigned want; } in[] = {
		{ "abc", 1u << 2 | 1u << 0 }, { "yz", 1u << 2 },
		{ "abc\n", 1u << 2 }, { "xc", 1u << 9 | 1u << 0 },
		{ "q", 0 }
	};
	char err[256];
	struct regex_set *set = regex_set_new_ids(e, NELEM(e), 10, err,
	    sizeof(err));
	unsigned char hits[2];

	ck_assert_msg(set != NULL, "%s", err);
	ck_assert_uint_eq(regex_set_bitmap_size(set), 2);
	for (size_t i = 0; i < NELEM(in); i++) {
		ck_assert_int_eq(regex_set_scan(set, in[i].text,
		    strlen(in[i].text), hits), 0);
		ck_assert_msg((unsigned)(hits[0] | hits[1] << 8) ==
		    in[i].want, "%s: %#x, not %#x", in[i].text,
		    (unsigned)(hits[0] | hits[1] << 8), in[i].want);
	}
	regex_set_free(set);
	ck_assert_ptr_null(regex_set_new_ids(e, NELEM(e), 9, err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "pattern 3 has the id 9") != NULL, "%s",
	    err);
	regex_set_thread_done();
}
END_TEST

/* No patterns: a set that never matches. */
START_TEST(test_empty_set)
{
	char err[256];
	struct regex_set *set = regex_set_new(NULL, 0, err, sizeof(err));
	unsigned char hits[1];

	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(regex_set_scan(set, "abc", 3, hits), 0);
	ck_assert_uint_eq(hits[0], 0);
	regex_set_free(set);
}
END_TEST

/* regexec failing on a pattern left to it: -1, not "no match". */
START_TEST(test_regexec_error)
{
	struct regex_set_entry e[] = { { "\\w+", 0, 0 } };
	char err[256];
	struct regex_set *set = regex_set_new(e, 1, err, sizeof(err));
	unsigned char hits[1];

	ck_assert_ptr_nonnull(set);
	regexec_fail_with = REG_ESPACE;
	ck_assert_int_eq(regex_set_scan(set, "abc", 3, hits), -1);
	regexec_fail_with = 0;
	ck_assert_int_eq(regex_set_scan(set, "abc", 3, hits), 0);
	ck_assert(regex_set_hit(hits, 0));
	regex_set_free(set);
}
END_TEST

/* The confirmation of a '$' hit failing: -1 as well. */
START_TEST(test_dollar_confirm_error)
{
	struct regex_set_entry e[] = { { "c$", 0, 0 } };
	char err[256];
	struct regex_set *set = regex_set_new(e, 1, err, sizeof(err));
	unsigned char hits[1];

	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(regex_set_scan(set, "abc\n", 4, hits), 0);
	ck_assert(!regex_set_hit(hits, 0));
	regexec_fail_with = REG_ESPACE;
	ck_assert_int_eq(regex_set_scan(set, "abc\n", 4, hits), -1);
	regexec_fail_with = 0;
	regex_set_free(set);
	regex_set_thread_done();
}
END_TEST

#ifdef HAVE_HYPERSCAN
/* Hyperscan failing (e.g. bad scratch): -1, not "no match". */
START_TEST(test_hs_error)
{
	struct regex_set_entry e[] = { { "abc", 0, 0 } };
	char err[256];
	struct regex_set *set = regex_set_new(e, 1, err, sizeof(err));
	unsigned char hits[1];

	ck_assert_ptr_nonnull(set);
	ck_assert(regex_set_engine_took(set, 0));
	hs_scan_fail_with = HS_SCRATCH_IN_USE;
	ck_assert_int_eq(regex_set_scan(set, "abc", 3, hits), -1);
	hs_scan_fail_with = HS_SUCCESS;
	ck_assert_int_eq(regex_set_scan(set, "abc", 3, hits), 0);
	ck_assert(regex_set_hit(hits, 0));
	regex_set_free(set);
	regex_set_thread_done();
}
END_TEST
#endif

#define THREADS 4

/* scan_thread - NULL; scans the shared set many times, asserting. */
static void *
scan_thread(void *arg)
{
	const struct regex_set *set = arg;
	unsigned char hits[1];
	int bad = 0;

	for (int round = 0; round < 2000; round++) {
		bad |= regex_set_scan(set, "xabcx", 5, hits) != 0 ||
		    !regex_set_hit(hits, 0) || regex_set_hit(hits, 1);
		bad |= regex_set_scan(set, "zzz", 3, hits) != 0 ||
		    regex_set_hit(hits, 0) || !regex_set_hit(hits, 1);
	}
	return bad ? (void *)1 : NULL;
}

/* Threads scanning one set at once, each with its own scratch. */
START_TEST(test_threads)
{
	struct regex_set_entry e[] = { { "abc", 0, 0 }, { "^z+$", 0, 0 } };
	char err[256];
	struct regex_set *set = regex_set_new(e, 2, err, sizeof(err));
	pthread_t t[THREADS];

	ck_assert_ptr_nonnull(set);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, scan_thread,
		    set), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;

		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
	regex_set_free(set);
}
END_TEST

/* A thread that scanned a small set, then scans a set built later that
 * needs more scratch space: its copy is refreshed, the answers stay right
 * (a stale, too small copy would make hs_scan fail: -1). */
START_TEST(test_scratch_grows)
{
	struct regex_set_entry small[] = { { "abc", 0, 0 } };
	enum { NBIG = 300 };
	struct regex_set_entry big[NBIG];
	char pat[NBIG][64], err[256];
	struct regex_set *a, *b;
	unsigned char hits[NBIG / 8 + 1];

	a = regex_set_new(small, 1, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(regex_set_scan(a, "xabc", 4, hits), 0);
	ck_assert(regex_set_hit(hits, 0));
	for (int i = 0; i < NBIG; i++) {
		snprintf(pat[i], sizeof(pat[i]), "(^|[^a-z])w%d(x|y[0-9]+)"
		    "?[a-z]{2,9}z.*q%d$", i, i % 7);
		big[i] = (struct regex_set_entry){ pat[i], 0, 0 };
	}
	b = regex_set_new(big, NBIG, err, sizeof(err));
	ck_assert_msg(b != NULL, "%s", err);
#ifdef HAVE_HYPERSCAN
	ck_assert_int_gt(regex_set_engine_count(b), NBIG / 2);
#endif
	ck_assert_int_eq(regex_set_scan(b, "-w123yabcdzq4", 13, hits), 0);
	for (int i = 0; i < NBIG; i++)
		ck_assert_msg(regex_set_hit(hits, i) == (i == 123),
		    "pattern %d", i);
	ck_assert_int_eq(regex_set_scan(a, "abd", 3, hits), 0);
	ck_assert(!regex_set_hit(hits, 0));
	regex_set_free(a);
	regex_set_free(b);
	regex_set_thread_done();
}
END_TEST

/* The engine's name. */
START_TEST(test_engine_name)
{
#ifdef HAVE_HYPERSCAN
	ck_assert(strncmp(regex_set_engine(), "hyperscan ", 10) == 0);
#else
	ck_assert(strncmp(regex_set_engine(), "regexec", 7) == 0);
#endif
}
END_TEST

/* regex_set_suite - the suite. */
static Suite *
regex_set_suite(void)
{
	Suite *s = suite_create("regex_set");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_by_one);
	tcase_add_test(tc, test_all_in_one);
	tcase_add_test(tc, test_engine_took);
	tcase_add_test(tc, test_bad_pattern);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_empty_set);
	tcase_add_test(tc, test_regexec_error);
	tcase_add_test(tc, test_dollar_confirm_error);
#ifdef HAVE_HYPERSCAN
	tcase_add_test(tc, test_hs_error);
#endif
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_scratch_grows);
	tcase_add_test(tc, test_engine_name);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_main_run(regex_set_suite());
}
