/*
 * check_registry_data - the built-in registry against the registry as data
 *
 * Compares every row of enhanced-codes.tsv (sample text, basic codes,
 * stated classes, reference) and basic-codes.tsv (meaning, milter
 * validity) with the built-in tables, both ways, entry by entry.
 *
 * The data is part of the tree: tests/data/registry under $top_srcdir
 * (which make check sets; "." when unset), its sources in NOTES.md there.
 * REGISTRY_DATA, when set, names another folder holding the two files,
 * to compare the built-in tables with a newer copy.  The test never
 * skips: a missing file is a hard error (exit 99).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "registry.h"

#define MAX_COLUMNS 8

static char enhanced_path[4096], basic_path[4096];

/* split_tsv - cut line at tabs into cols; the number of columns. */
static int
split_tsv(char *line, char *cols[MAX_COLUMNS])
{
	int n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	cols[n++] = line;
	for (char *p = line; *p != '\0' && n < MAX_COLUMNS; p++)
		if (*p == '\t') {
			*p = '\0';
			cols[n++] = p + 1;
		}
	return n;
}

/* classes_text - the stated classes of e as the TSV writes them ("4,5"). */
static void
classes_text(const struct registry_enhanced *e, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned cls = 2; cls <= 5; cls++)
		if (e->stated_classes & (1u << cls))
			used += (size_t)snprintf(buf + used, size - used, "%s%u",
			    used ? "," : "", cls);
}

START_TEST(test_enhanced_rows)
{
	FILE *fp = fopen(enhanced_path, "r");
	char line[2048], *cols[MAX_COLUMNS], buf[128];
	int seen[8][32] = { { 0 } };
	unsigned rows = 0;

	ck_assert_msg(fp != NULL, "%s: cannot open", enhanced_path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));	/* header */
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct registry_enhanced *e;
		unsigned subject, detail;
		const char *want_basics;

		ck_assert_int_ge(split_tsv(line, cols), 5);
		if (sscanf(cols[0], "X.%u.%u", &subject, &detail) != 2 ||
		    strstr(cols[0], "YYY") != NULL)
			continue;	/* class and subject rows */
		rows++;
		e = registry_enhanced_lookup(subject, detail);
		ck_assert_msg(e != NULL, "%s missing from the built-in table",
		    cols[0]);
		ck_assert_msg(subject < 8 && detail < 32, "%s", cols[0]);
		seen[subject][detail] = 1;
		ck_assert_msg(strcmp(e->summary, cols[1]) == 0,
		    "%s summary: built-in \"%s\", data \"%s\"", cols[0],
		    e->summary, cols[1]);
		want_basics = cols[2][0] == '\0' ? "-" : cols[2];
		registry_format_basics(e, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, want_basics) == 0,
		    "%s basic codes: built-in %s, data %s", cols[0], buf,
		    want_basics);
		classes_text(e, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, cols[3]) == 0,
		    "%s classes: built-in \"%s\", data \"%s\"", cols[0], buf,
		    cols[3]);
		ck_assert_msg(strcmp(e->reference, cols[4]) == 0,
		    "%s reference: built-in \"%s\", data \"%s\"", cols[0],
		    e->reference, cols[4]);
	}
	fclose(fp);
	ck_assert_uint_eq(rows, registry_enhanced_count());
	/* And the other way: nothing built in that the data lacks. */
	for (size_t i = 0; i < registry_enhanced_count(); i++) {
		const struct registry_enhanced *e = registry_enhanced_at(i);

		ck_assert_msg(seen[e->subject][e->detail],
		    "X.%u.%u is built in but not in the data", e->subject,
		    e->detail);
	}
}
END_TEST

START_TEST(test_basic_rows)
{
	FILE *fp = fopen(basic_path, "r");
	char line[2048], *cols[MAX_COLUMNS];
	unsigned rows = 0;

	ck_assert_msg(fp != NULL, "%s: cannot open", basic_path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	while (fgets(line, sizeof(line), fp) != NULL) {
		const struct registry_basic *b;
		int code;

		ck_assert_int_ge(split_tsv(line, cols), 4);
		code = registry_parse_basic(cols[0]);
		ck_assert_int_gt(code, 0);
		rows++;
		b = registry_basic_lookup((unsigned)code);
		ck_assert_msg(b != NULL, "%d missing", code);
		ck_assert_str_eq(b->meaning, cols[1]);
		ck_assert_str_eq(b->reference, cols[2]);
		ck_assert_msg(registry_basic_milter_ok((unsigned)code) ==
		    (strcmp(cols[3], "yes") == 0), "%d milter validity", code);
	}
	fclose(fp);
	ck_assert_uint_eq(rows, registry_basic_count());
}
END_TEST

int
main(void)
{
	const char *dir = getenv("REGISTRY_DATA");
	const char *srcdir = getenv("top_srcdir");
	char data_dir[4000];
	Suite *s;
	TCase *tc;

	if (dir == NULL || *dir == '\0') {
		snprintf(data_dir, sizeof(data_dir), "%s/tests/data/registry",
		    srcdir != NULL && *srcdir != '\0' ? srcdir : ".");
		dir = data_dir;
	}
	snprintf(enhanced_path, sizeof(enhanced_path), "%s/enhanced-codes.tsv",
	    dir);
	snprintf(basic_path, sizeof(basic_path), "%s/basic-codes.tsv", dir);
	if (access(enhanced_path, R_OK) != 0 || access(basic_path, R_OK) != 0) {
		fprintf(stderr, "ERROR: cannot read %s and %s: the registry "
		    "data is part of the tree (tests/data/registry)\n",
		    enhanced_path, basic_path);
		return 99;
	}
	s = suite_create("registry-data");
	tc = tcase_create("tsv");
	tcase_add_test(tc, test_enhanced_rows);
	tcase_add_test(tc, test_basic_rows);
	suite_add_tcase(s, tc);
	return check_main_run(s);
}
