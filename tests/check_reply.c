/*
 * check_reply - unit tests of the reply module
 *
 * Table-driven: replies as the admin writes them (codes, text, lines,
 * templates) with what reply_parse() makes of them or the sentence it
 * refuses them with; renderings with the peer's values, hostile ones
 * included, as libmilter gets them and as the client reads them;
 * sanitising one value; the MTA model's verdict on line lengths (and that
 * a reply it passes never renders past libmilter's limit); which values a
 * reply names; and the editing functions the config loader uses.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "reply.h"


/* A buffer of n copies of c, for long lines and values; freed by caller. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* xcode_text - "5.7.1" for r's enhanced code, or "" when it has none. */
static const char *
xcode_text(const struct reply *r, char *buf, size_t size)
{
	const struct registry_xcode *x = reply_xcode(r);

	if (x == NULL)
		snprintf(buf, size, "%s", "");
	else
		snprintf(buf, size, "%u.%u.%u", x->cls, x->subject, x->detail);
	return buf;
}

/* parse1 - reply_parse() of one line, which must succeed. */
static struct reply *
parse1(const char *line)
{
	char err[256] = "";
	struct reply *r = reply_parse(&line, 1, err, sizeof(err));

	ck_assert_msg(r != NULL, "\"%s\" refused: %s", line, err);
	return r;
}

/* -------------------------------------------------------------------------
 * reply_parse
 */

/*
 * One row: the lines as written (NULL-ended), then either the codes and
 * lines the reply must hold (ok) or a text the error must contain.
 */
static const struct parse_case {
	const char *label;
	const char *lines[6];
	int ok;
	unsigned basic;
	const char *xcode;	/* "" when none */
	unsigned nlines;
	const char *line0;	/* the first text line, or NULL */
	const char *err;	/* ok == 0: in the error sentence */
} parse_cases[] = {
	/* The parts the admin may give or leave out. */
	{ "codes and text", { "550 5.7.1 Go away", NULL }, 1, 550, "5.7.1", 1,
	    "Go away", NULL },
	{ "codes only", { "550 5.7.1", NULL }, 1, 550, "5.7.1", 0, NULL,
	    NULL },
	{ "basic only", { "550", NULL }, 1, 550, "", 0, NULL, NULL },
	{ "basic and text", { "550 Go away", NULL }, 1, 550, "", 1, "Go away",
	    NULL },
	{ "xcode only", { "5.7.23", NULL }, 1, 0, "5.7.23", 0, NULL, NULL },
	{ "xcode and text", { "4.3.1 Disk full", NULL }, 1, 0, "4.3.1", 1,
	    "Disk full", NULL },
	{ "text only", { "Go away", NULL }, 1, 0, "", 1, "Go away", NULL },
	{ "blanks between", { "  550 \t 5.7.1   spaced  out", NULL }, 1, 550,
	    "5.7.1", 1, "spaced  out", NULL },
	{ "three-digit xcode parts", { "550 5.999.999 x", NULL }, 1, 550,
	    "5.999.999", 1, "x", NULL },
	{ "tab kept as written", { "550 5.7.1 a\tb", NULL }, 1, 550, "5.7.1",
	    1, "a\tb", NULL },
	{ "percent literal", { "550 5.7.1 100% sure, 50%% off", NULL }, 1,
	    550, "5.7.1", 1, "100% sure, 50%% off", NULL },
	{ "every value", { "550 5.7.1 %{client_addr} %{client_name} %{helo} "
	    "%{sender} %{sender_domain} %{rcpt} %{rcpt_domain} %{queue_id} "
	    "%{rule} %{reply_id} %{dnsbl_zone} %{dnsbl_text}", NULL }, 1, 550,
	    "5.7.1", 1, NULL, NULL },
	{ "escaped template", { "550 5.7.1 %%{nope}", NULL }, 1, 550, "5.7.1",
	    1, "%%{nope}", NULL },

	/* Several lines: codes once, then text. */
	{ "multi-line", { "550 5.7.1 first", "second", "third", NULL }, 1,
	    550, "5.7.1", 3, "first", NULL },
	{ "codes, then text lines", { "550 5.7.1", "first", "second", NULL },
	    1, 550, "5.7.1", 2, "first", NULL },
	{ "later line digits not codes", { "550 5.7.1 a", "5.7.1 is text",
	    "55 too", "5500 too", NULL }, 1, 550, "5.7.1", 4, "a", NULL },
	{ "codes on a later line", { "550 5.7.1 a", "550 5.7.1 b", NULL }, 0,
	    0, "", 0, NULL, "line 2 starts with a reply code" },
	{ "continuation on a later line", { "550 5.7.1 a", "b", "550-c",
	    NULL }, 0, 0, "", 0, NULL, "line 3 starts with a reply code" },

	/* Bad codes. */
	{ "empty", { NULL }, 0, 0, "", 0, NULL, "empty reply" },
	{ "two digits", { "55 text", NULL }, 0, 0, "", 0, NULL,
	    "\"55\" is not a reply code" },
	{ "four digits", { "5500 5.7.1 text", NULL }, 0, 0, "", 0, NULL,
	    "\"5500\" is not a reply code" },
	{ "continuation hyphen", { "550-5.7.1 text", NULL }, 0, 0, "", 0,
	    NULL, "is not a reply code" },
	{ "digit then letters", { "5xx 5.7.1 text", NULL }, 0, 0, "", 0, NULL,
	    "\"5xx\" is not a reply code" },
	{ "xcode two parts", { "550 5.7 text", NULL }, 0, 0, "", 0, NULL,
	    "\"5.7\" is not an enhanced status code" },
	{ "xcode class 3", { "550 3.1.1 text", NULL }, 0, 0, "", 0, NULL,
	    "\"3.1.1\" is not an enhanced status code" },
	{ "xcode detail too big", { "550 5.7.1000 text", NULL }, 0, 0, "", 0,
	    NULL, "\"5.7.1000\" is not an enhanced status code" },
	{ "xcode four parts", { "4.16.55.1 text", NULL }, 0, 0, "", 0, NULL,
	    "\"4.16.55.1\" is not an enhanced status code" },
	{ "xcode leading zero", { "550 5.07.1 text", NULL }, 0, 0, "", 0, NULL,
	    "is not an enhanced status code" },

	/* Templates. */
	{ "unknown value", { "550 5.7.1 hi %{nope} there", NULL }, 0, 0, "", 0,
	    NULL, "unknown value %{nope}; known: client_addr" },
	{ "empty value name", { "550 5.7.1 %{}", NULL }, 0, 0, "", 0, NULL,
	    "unknown value %{}" },
	{ "value name case", { "550 5.7.1 %{Sender}", NULL }, 0, 0, "", 0,
	    NULL, "unknown value %{Sender}" },
	{ "unknown value on line 2", { "550 5.7.1 a", "b %{sendr}", NULL }, 0,
	    0, "", 0, NULL, "unknown value %{sendr}" },
	{ "unclosed", { "550 5.7.1 from %{sender", NULL }, 0, 0, "", 0, NULL,
	    "\"%{\" without a closing \"}\"" },

	/* Bytes that cannot be in a reply line. */
	{ "CR", { "550 5.7.1 a\rb", NULL }, 0, 0, "", 0, NULL,
	    "a line break inside a reply line" },
	{ "LF", { "550 5.7.1 a\nb", NULL }, 0, 0, "", 0, NULL,
	    "a line break inside a reply line" },
	{ "CRLF then a fake line", { "550 5.7.1 a\r\n250 2.0.0 ok", NULL }, 0,
	    0, "", 0, NULL, "a line break" },
	{ "LF on line 2", { "550 5.7.1 a", "b\nc", NULL }, 0, 0, "", 0, NULL,
	    "a line break" },
	{ "control byte", { "550 5.7.1 a\001b", NULL }, 0, 0, "", 0, NULL,
	    "byte 0x01 cannot appear in a reply" },
	{ "escape byte", { "550 5.7.1 \033[31mred", NULL }, 0, 0, "", 0, NULL,
	    "byte 0x1b cannot appear" },
	{ "DEL", { "550 5.7.1 a\177", NULL }, 0, 0, "", 0, NULL,
	    "byte 0x7f cannot appear" },
	{ "UTF-8", { "550 5.7.1 caf\xc3\xa9", NULL }, 0, 0, "", 0, NULL,
	    "byte 0xc3 cannot appear" },
	{ "Latin-1", { "550 5.7.1 caf\xe9", NULL }, 0, 0, "", 0, NULL,
	    "byte 0xe9 cannot appear" },
};

/* test_parse - one row of parse_cases. */
START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	unsigned n = 0;
	char err[512] = "", x[16];
	struct reply *r;

	while (c->lines[n] != NULL)
		n++;
	r = reply_parse(c->lines, n, err, sizeof(err));
	if (!c->ok) {
		ck_assert_msg(r == NULL, "%s: accepted", c->label);
		ck_assert_msg(strstr(err, c->err) != NULL,
		    "%s: error \"%s\" lacks \"%s\"", c->label, err, c->err);
		return;
	}
	ck_assert_msg(r != NULL, "%s: refused: %s", c->label, err);
	ck_assert_uint_eq(reply_basic(r), c->basic);
	ck_assert_str_eq(xcode_text(r, x, sizeof(x)), c->xcode);
	ck_assert_uint_eq(reply_nlines(r), c->nlines);
	if (c->line0 != NULL)
		ck_assert_str_eq(reply_line(r, 0), c->line0);
	ck_assert_ptr_null(reply_line(r, reply_nlines(r)));
	reply_free(r);
}
END_TEST

/* test_parse_line_count - 32 lines are libmilter's most; 33 are refused. */
START_TEST(test_parse_line_count)
{
	const char *lines[REPLY_MAX_LINES + 1];
	char text[REPLY_MAX_LINES + 1][16], err[256] = "";
	struct reply *r;

	for (unsigned i = 0; i <= REPLY_MAX_LINES; i++) {
		snprintf(text[i], sizeof(text[i]), i == 0 ? "550 5.7.1 l%u" :
		    "l%u", i);
		lines[i] = text[i];
	}
	r = reply_parse(lines, REPLY_MAX_LINES, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_uint_eq(reply_nlines(r), REPLY_MAX_LINES);
	ck_assert_str_eq(reply_line(r, REPLY_MAX_LINES - 1), "l31");
	reply_free(r);
	r = reply_parse(lines, REPLY_MAX_LINES + 1, err, sizeof(err));
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err, "more than 32 lines"));
}
END_TEST

/* test_parse_err_bounded - a small err buffer is cut, not overrun. */
START_TEST(test_parse_err_bounded)
{
	const char *line = "550 5.7.1 %{an_unknown_value_with_a_long_name}";
	char err[16];

	memset(err, 'X', sizeof(err));
	ck_assert_ptr_null(reply_parse(&line, 1, err, 8));
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'X');
	reply_free(NULL);
}
END_TEST

/* -------------------------------------------------------------------------
 * reply_render and reply_format
 */

/* A value for one rendering: which, and its text (NULL stays NULL). */
struct value_set {
	enum reply_var var;
	const char *text;
};

/*
 * One row: the reply's lines; up to three values; the first rendered line
 * as libmilter gets it ('%' doubled); the reply as the client reads it.
 */
static const struct render_case {
	const char *label;
	const char *lines[4];
	struct value_set values[3];
	const char *wire0;
	const char *shown;
} render_cases[] = {
	{ "plain", { "550 5.7.1 Go away", NULL }, { { REPLY_VAR_COUNT, NULL } },
	    "Go away", "550 5.7.1 Go away" },
	{ "values filled", { "550 5.7.1 %{helo} from %{client_addr} says "
	    "%{sender}", NULL }, { { REPLY_VAR_HELO, "mx.example.net" },
	    { REPLY_VAR_CLIENT_ADDR, "192.0.2.1" }, { REPLY_VAR_SENDER,
	    "a@example.net" } }, "mx.example.net from 192.0.2.1 says "
	    "a@example.net", "550 5.7.1 mx.example.net from 192.0.2.1 says "
	    "a@example.net" },
	{ "same value twice", { "550 5.7.1 %{rule}/%{rule}", NULL },
	    { { REPLY_VAR_RULE, "r1" } }, "r1/r1", "550 5.7.1 r1/r1" },
	{ "NULL value", { "550 5.7.1 rcpt %{rcpt}", NULL },
	    { { REPLY_VAR_RCPT, NULL } }, "rcpt unknown",
	    "550 5.7.1 rcpt unknown" },
	{ "empty value", { "550 5.7.1 [%{rcpt}]", NULL },
	    { { REPLY_VAR_RCPT, "" } }, "[]", "550 5.7.1 []" },
	{ "literal percent", { "550 5.7.1 100% sure", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "100%% sure",
	    "550 5.7.1 100% sure" },
	{ "escaped percent", { "550 5.7.1 50%% off", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "50%% off", "550 5.7.1 50% off" },
	{ "trailing percent", { "550 5.7.1 100%", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "100%%", "550 5.7.1 100%" },
	{ "escaped template", { "550 5.7.1 %%{sender}", NULL },
	    { { REPLY_VAR_SENDER, "x" } }, "%%{sender}",
	    "550 5.7.1 %{sender}" },
	{ "percent in a value", { "550 5.7.1 from %{sender}", NULL },
	    { { REPLY_VAR_SENDER, "a%b@example.net" } },
	    "from a%%b@example.net", "550 5.7.1 from a%b@example.net" },
	{ "format directives in a value", { "550 5.7.1 %{helo}", NULL },
	    { { REPLY_VAR_HELO, "%s%n%x%%" } }, "%%s%%n%%x%%%%",
	    "550 5.7.1 %s%n%x%%" },
	{ "CR LF in a value", { "550 5.7.1 helo %{helo} refused", NULL },
	    { { REPLY_VAR_HELO, "evil\r\n250 2.0.0 Ok" } },
	    "helo evil??250 2.0.0 Ok refused",
	    "550 5.7.1 helo evil??250 2.0.0 Ok refused" },
	{ "lone LF in a value", { "550 5.7.1 %{helo}", NULL },
	    { { REPLY_VAR_HELO, "a\nb" } }, "a?b", "550 5.7.1 a?b" },
	{ "control bytes in a value", { "550 5.7.1 %{helo}", NULL },
	    { { REPLY_VAR_HELO, "\001\033[31mred\t" } }, "??[31mred?",
	    "550 5.7.1 ??[31mred?" },
	{ "DEL in a value", { "550 5.7.1 %{helo}", NULL },
	    { { REPLY_VAR_HELO, "a\177b" } }, "a?b", "550 5.7.1 a?b" },
	{ "UTF-8 in a value", { "550 5.7.1 %{sender}", NULL },
	    { { REPLY_VAR_SENDER, "j\xc3\xbcrgen@b\xc3\xbc" "cher.example" } },
	    "j??rgen@b??cher.example", "550 5.7.1 j??rgen@b??cher.example" },
	{ "tab in the template", { "550 5.7.1 a\tb", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "a b", "550 5.7.1 a b" },
	{ "two lines", { "550 5.7.1 first", "second", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "first",
	    "550-5.7.1 first\n550 5.7.1 second" },
	{ "three lines with values", { "451 4.7.1 %{client_addr}", "is",
	    "%{helo}", NULL }, { { REPLY_VAR_CLIENT_ADDR, "2001:db8::1" },
	    { REPLY_VAR_HELO, "h%" } }, "2001:db8::1",
	    "451-4.7.1 2001:db8::1\n451-4.7.1 is\n451 4.7.1 h%" },
	{ "no enhanced code", { "550 Go away", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "Go away", "550 Go away" },
	{ "no enhanced code, two lines", { "550 a", "b", NULL },
	    { { REPLY_VAR_COUNT, NULL } }, "a", "550-a\n550 b" },
	{ "codes only", { "550 5.7.1", NULL }, { { REPLY_VAR_COUNT, NULL } },
	    NULL, "550 5.7.1" },
};

/* fill_values - the values of a row (unused slots are { 0, NULL }); NULL
 * pointers elsewhere. */
static void
fill_values(const struct value_set *set, size_t n, struct reply_values *v)
{
	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (set[i].var < REPLY_VAR_COUNT && set[i].text != NULL)
			v->v[set[i].var] = set[i].text;
}

/* test_render - one row of render_cases. */
START_TEST(test_render)
{
	const struct render_case *c = &render_cases[_i];
	struct reply_rendered *rr = malloc(sizeof(*rr));
	struct reply_values v;
	unsigned n = 0;
	char err[256], shown[4096];
	struct reply *r;

	ck_assert_ptr_nonnull(rr);
	while (c->lines[n] != NULL)
		n++;
	r = reply_parse(c->lines, n, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s: %s", c->label, err);
	fill_values(c->values, NELEM(c->values), &v);
	reply_render(r, &v, rr);
	ck_assert_int_eq(strncmp(rr->basic, c->shown, 3), 0);
	ck_assert_uint_eq(rr->nlines, reply_nlines(r));
	if (c->wire0 != NULL)
		ck_assert_str_eq(rr->lines[0], c->wire0);
	for (unsigned i = 0; i < rr->nlines; i++)
		ck_assert_msg(strpbrk(rr->lines[i], "\r\n") == NULL,
		    "%s: line %u has a line break", c->label, i + 1);
	ck_assert_str_eq(reply_format(rr, shown, sizeof(shown)), c->shown);
	reply_free(r);
	free(rr);
}
END_TEST

/* test_render_codes - the codes as libmilter takes them. */
START_TEST(test_render_codes)
{
	struct reply_rendered *rr = malloc(sizeof(*rr));
	struct reply *r = parse1("452 4.3.1 Disk full");

	ck_assert_ptr_nonnull(rr);
	reply_render(r, NULL, rr);
	ck_assert_str_eq(rr->basic, "452");
	ck_assert_str_eq(rr->xcode, "4.3.1");
	reply_free(r);
	r = parse1("550 text only");
	reply_render(r, NULL, rr);
	ck_assert_str_eq(rr->basic, "550");
	ck_assert_str_eq(rr->xcode, "");
	reply_free(r);
	free(rr);
}
END_TEST

/* test_render_no_values - no value set at all renders every value
 * "unknown". */
START_TEST(test_render_no_values)
{
	struct reply_rendered *rr = malloc(sizeof(*rr));
	struct reply *r = parse1("550 5.7.1 %{sender} at %{client_addr}");
	char shown[256];

	ck_assert_ptr_nonnull(rr);
	reply_render(r, NULL, rr);
	ck_assert_str_eq(rr->lines[0], "unknown at unknown");
	ck_assert_str_eq(reply_format(rr, shown, sizeof(shown)),
	    "550 5.7.1 unknown at unknown");
	reply_free(r);
	free(rr);
}
END_TEST

/*
 * Long values: cut at REPLY_VALUE_MAX bytes of input, marked "...".  One
 * row: the byte the value repeats, its length, and the rendered length of
 * the value alone as libmilter gets it and as the client reads it.
 */
static const struct long_case {
	const char *label;
	char fill;
	size_t len;
	size_t wire_len;
	size_t shown_len;
	int cut;
} long_cases[] = {
	{ "below the limit", 'a', REPLY_VALUE_MAX - 1, REPLY_VALUE_MAX - 1,
	    REPLY_VALUE_MAX - 1, 0 },
	{ "at the limit", 'a', REPLY_VALUE_MAX, REPLY_VALUE_MAX,
	    REPLY_VALUE_MAX, 0 },
	{ "one past", 'a', REPLY_VALUE_MAX + 1, REPLY_VALUE_MAX + 3,
	    REPLY_VALUE_MAX + 3, 1 },
	{ "very long", 'a', 100000, REPLY_VALUE_MAX + 3, REPLY_VALUE_MAX + 3,
	    1 },
	{ "all percent", '%', 5000, REPLY_VALUE_RENDERED_MAX,
	    REPLY_VALUE_MAX + 3, 1 },
	{ "all LF", '\n', 5000, REPLY_VALUE_MAX + 3, REPLY_VALUE_MAX + 3, 1 },
};

/* test_render_long - one row of long_cases. */
START_TEST(test_render_long)
{
	const struct long_case *c = &long_cases[_i];
	struct reply_rendered *rr = malloc(sizeof(*rr));
	struct reply *r = parse1("550 5.7.1 <%{dnsbl_text}>");
	char *value = repeat(c->fill, c->len), *shown = malloc(4096);
	struct reply_values v;
	size_t len;

	ck_assert_ptr_nonnull(rr);
	ck_assert_ptr_nonnull(shown);
	memset(&v, 0, sizeof(v));
	v.v[REPLY_VAR_DNSBL_TEXT] = value;
	reply_render(r, &v, rr);
	len = strlen(rr->lines[0]);
	ck_assert_uint_eq(len, c->wire_len + 2);
	ck_assert_int_eq(rr->lines[0][0], '<');
	ck_assert_int_eq(rr->lines[0][len - 1], '>');
	ck_assert_int_eq(strncmp(rr->lines[0] + len - 4, "...>", 4) == 0,
	    c->cut);
	ck_assert_ptr_null(strpbrk(rr->lines[0], "\r\n"));
	reply_format(rr, shown, 4096);
	ck_assert_uint_eq(strlen(shown), strlen("550 5.7.1 <>") +
	    c->shown_len);
	free(shown);
	free(value);
	reply_free(r);
	free(rr);
}
END_TEST

/* test_format_bounded - reply_format cuts to its buffer and ends it. */
START_TEST(test_format_bounded)
{
	const char *lines[] = { "550 5.7.1 first line", "second line" };
	struct reply_rendered *rr = malloc(sizeof(*rr));
	char err[128], buf[32];
	struct reply *r = reply_parse(lines, 2, err, sizeof(err));

	ck_assert_ptr_nonnull(rr);
	ck_assert_ptr_nonnull(r);
	reply_render(r, NULL, rr);
	memset(buf, 'X', sizeof(buf));
	reply_format(rr, buf, 20);
	ck_assert_uint_eq(strlen(buf), 19);
	ck_assert_str_eq(buf, "550-5.7.1 first lin");
	ck_assert_int_eq(buf[20], 'X');
	/* A buffer that ends inside the second line's codes. */
	memset(buf, 'X', sizeof(buf));
	reply_format(rr, buf, 24);
	ck_assert_uint_lt(strlen(buf), 24);
	ck_assert_int_eq(strncmp(buf, "550-5.7.1 first line\n55", 23), 0);
	ck_assert_int_eq(buf[24], 'X');
	reply_free(r);
	free(rr);
}
END_TEST

/* -------------------------------------------------------------------------
 * reply_sanitize
 */

static const struct sanitize_case {
	const char *label;
	const char *in;
	const char *out;
} sanitize_cases[] = {
	{ "empty", "", "" },
	{ "plain", "mx.example.net", "mx.example.net" },
	{ "blank kept", "a b", "a b" },
	{ "percent doubled", "100%", "100%%" },
	{ "format string", "%s%n", "%%s%%n" },
	{ "CR LF", "a\r\nb", "a??b" },
	{ "tab", "a\tb", "a?b" },
	{ "control", "\001\002\037", "???" },
	{ "DEL", "\177", "?" },
	{ "UTF-8 two bytes", "\xc3\xa9", "??" },
	{ "high byte", "\xff", "?" },
	{ "printable edge", " ~", " ~" },
	{ "braces", "%{sender}", "%%{sender}" },
};

/* test_sanitize - one row of sanitize_cases. */
START_TEST(test_sanitize)
{
	const struct sanitize_case *c = &sanitize_cases[_i];
	char dst[REPLY_VALUE_RENDERED_MAX + 1];
	size_t n = reply_sanitize(c->in, dst);

	ck_assert_str_eq(dst, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
}
END_TEST

/* test_sanitize_bounds - the worst case fills dst exactly. */
START_TEST(test_sanitize_bounds)
{
	char dst[REPLY_VALUE_RENDERED_MAX + 2];
	char *in = repeat('%', REPLY_VALUE_MAX * 3);
	size_t n;

	dst[REPLY_VALUE_RENDERED_MAX + 1] = 'X';
	n = reply_sanitize(in, dst);
	ck_assert_uint_eq(n, REPLY_VALUE_RENDERED_MAX);
	ck_assert_uint_eq(strlen(dst), REPLY_VALUE_RENDERED_MAX);
	ck_assert_str_eq(dst + n - 3, "...");
	ck_assert_int_eq(dst[REPLY_VALUE_RENDERED_MAX + 1], 'X');
	in[REPLY_VALUE_MAX] = '\0';
	ck_assert_uint_eq(reply_sanitize(in, dst), 2 * REPLY_VALUE_MAX);
	ck_assert_ptr_null(strstr(dst, "..."));
	free(in);
}
END_TEST

/* -------------------------------------------------------------------------
 * reply_check_mta
 */

/* What reply_check_mta reported. */
struct mta_sink {
	unsigned n;
	enum registry_severity sev[8];
	char msg[8][256];
};

/* mta_note - nothing; records one report in the mta_sink arg. */
static void
mta_note(void *arg, enum registry_severity sev, const char *message)
{
	struct mta_sink *s = arg;

	if (s->n < NELEM(s->sev)) {
		s->sev[s->n] = sev;
		snprintf(s->msg[s->n], sizeof(s->msg[0]), "%s", message);
	}
	s->n++;
}

/*
 * One row: a first line made of a prefix, a run of fill units and a
 * suffix (so lengths sit exactly at the limits), optional further lines,
 * the verdict, the number of reports and a text of the first one.  The
 * codes "550 5.7.1 " take 10 octets on the wire; a value counts as
 * REPLY_VALUE_RENDERED_MAX (203).
 */
static const struct mta_case {
	const char *label;
	const char *prefix;
	const char *fill;	/* repeated nfill times */
	size_t nfill;
	const char *suffix;
	const char *more[3];
	enum registry_severity want;
	unsigned nreports;
	const char *text;
} mta_cases[] = {
	{ "short", "550 5.7.1 ", "a", 20, "", { NULL }, REGISTRY_OK, 0, NULL },
	{ "500 of text: 510 octets", "550 5.7.1 ", "a", 500, "", { NULL },
	    REGISTRY_OK, 0, NULL },
	{ "501 of text: 511 octets", "550 5.7.1 ", "a", 501, "", { NULL },
	    REGISTRY_WARNING, 1, "line 1 can reach 511 octets" },
	{ "without xcode: 506", "550 ", "a", 506, "", { NULL }, REGISTRY_OK,
	    0, NULL },
	{ "without xcode: 507", "550 ", "a", 507, "", { NULL },
	    REGISTRY_WARNING, 1, "511 octets" },
	{ "longer xcode counts", "550 5.7.23 ", "a", 500, "", { NULL },
	    REGISTRY_WARNING, 1, "511 octets" },
	{ "980 of text", "550 5.7.1 ", "a", 980, "", { NULL },
	    REGISTRY_WARNING, 1, "RFC 5321" },
	{ "981 of text", "550 5.7.1 ", "a", 981, "", { NULL }, REGISTRY_ERROR,
	    1, "line 1 can reach 981 characters" },
	{ "lone percent counts twice: 326", "550 5.7.1 ", "%x", 326, "",
	    { NULL }, REGISTRY_WARNING, 1, "988 octets" },
	{ "lone percent counts twice: 327", "550 5.7.1 ", "%x", 327, "",
	    { NULL }, REGISTRY_ERROR, 1, "981 characters" },
	{ "escaped percent counts twice: 250", "550 5.7.1 ", "%%", 250, "",
	    { NULL }, REGISTRY_OK, 0, NULL },
	{ "escaped percent counts twice: 251", "550 5.7.1 ", "%%", 251, "",
	    { NULL }, REGISTRY_WARNING, 1, "512 octets" },
	{ "two values", "550 5.7.1 %{sender} %{helo}", "a", 0, "", { NULL },
	    REGISTRY_OK, 0, NULL },
	{ "three values", "550 5.7.1 %{sender}%{helo}%{rcpt}", "a", 0, "",
	    { NULL }, REGISTRY_WARNING, 1, "can reach 619 octets" },
	{ "four values", "550 5.7.1 %{sender}%{helo}%{rcpt}%{rule}", "a", 0,
	    "", { NULL }, REGISTRY_WARNING, 1, "822 octets" },
	{ "five values", "550 5.7.1 %{sender}%{helo}%{rcpt}%{rule}%{queue_id}",
	    "a", 0, "", { NULL }, REGISTRY_ERROR, 1,
	    "line 1 can reach 1015 characters once its values are filled in; "
	    "libmilter refuses more than 980" },
	{ "four values and text", "550 5.7.1 %{sender}%{helo}%{rcpt}%{rule}",
	    "a", 169, "", { NULL }, REGISTRY_ERROR, 1, "981 characters" },
	{ "four values and less text", "550 5.7.1 %{sender}%{helo}%{rcpt}"
	    "%{rule}", "a", 168, "", { NULL }, REGISTRY_WARNING, 1, "octets" },
	{ "bad second line", "550 5.7.1 ok", "a", 0, "",
	    { "%{sender}%{sender}%{sender}%{sender}%{sender}", NULL },
	    REGISTRY_ERROR, 1, "line 2 can reach" },
	{ "each line once", "550 5.7.1 ", "a", 600, "",
	    { "fine", "%{sender}%{sender}%{sender}%{sender}%{sender}", NULL },
	    REGISTRY_ERROR, 2, "line 1 can reach 610 octets" },
};

/* test_check_mta - one row of mta_cases. */
START_TEST(test_check_mta)
{
	const struct mta_case *c = &mta_cases[_i];
	size_t unit = strlen(c->fill);
	size_t len = strlen(c->prefix) + c->nfill * unit +
	    strlen(c->suffix) + 1;
	char *first = malloc(len), err[256];
	const char *lines[4];
	struct mta_sink sink = { 0 };
	unsigned n = 1;
	size_t used;
	struct reply *r;

	ck_assert_ptr_nonnull(first);
	used = (size_t)snprintf(first, len, "%s", c->prefix);
	for (size_t i = 0; i < c->nfill; i++, used += unit)
		memcpy(first + used, c->fill, unit);
	snprintf(first + used, len - used, "%s", c->suffix);
	lines[0] = first;
	for (unsigned i = 0; c->more[i] != NULL; i++)
		lines[n++] = c->more[i];
	r = reply_parse(lines, n, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s: %s", c->label, err);
	ck_assert_int_eq(reply_check_mta(r, mta_note, &sink), c->want);
	ck_assert_msg(sink.n == c->nreports, "%s: %u reports, first \"%s\"",
	    c->label, sink.n, sink.n > 0 ? sink.msg[0] : "");
	if (c->nreports > 0) {
		ck_assert_int_eq(sink.sev[c->nreports - 1], c->want);
		ck_assert_msg(strstr(sink.msg[0], c->text) != NULL,
		    "%s: \"%s\" lacks \"%s\"", c->label, sink.msg[0], c->text);
	}
	reply_free(r);
	free(first);
}
END_TEST

/*
 * test_check_mta_bound - what reply_check_mta passes renders within
 * libmilter's limit even with the worst values, and the worst values fill
 * it as predicted (so the model and the renderer agree).
 */
START_TEST(test_check_mta_bound)
{
	/* 4 values (812) + 168 literal bytes = 980: the most that passes. */
	char *text = repeat('x', 168), line[1200];
	const char *lines[2] = { line, "%{dnsbl_text}%{dnsbl_zone}" };
	struct reply_rendered *rr = malloc(sizeof(*rr));
	char *worst = repeat('%', 500), err[256];
	struct reply_values v;
	struct mta_sink sink = { 0 };
	struct reply *r;

	ck_assert_ptr_nonnull(rr);
	snprintf(line, sizeof(line), "550 5.7.1 %%{sender}%%{helo}%s%%{rcpt}"
	    "%%{client_name}", text);
	r = reply_parse(lines, 2, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	ck_assert_int_ne(reply_check_mta(r, mta_note, &sink), REGISTRY_ERROR);
	for (int i = 0; i < REPLY_VAR_COUNT; i++)
		v.v[i] = worst;
	reply_render(r, &v, rr);
	ck_assert_uint_eq(rr->nlines, 2);
	ck_assert_uint_eq(strlen(rr->lines[0]), REPLY_TEXT_MAX);
	ck_assert_uint_eq(strlen(rr->lines[1]), 2 * REPLY_VALUE_RENDERED_MAX);
	ck_assert_str_eq(rr->lines[0] + REPLY_TEXT_MAX - 3, "...");
	reply_free(r);
	free(rr);
	free(worst);
	free(text);
}
END_TEST

/* test_render_max_lines - 32 lines of worst-case values fit the render
 * buffer, each line whole. */
START_TEST(test_render_max_lines)
{
	const char *lines[REPLY_MAX_LINES];
	char first[64];
	const char *body = "%{sender}%{helo}%{rcpt}%{rule}";
	struct reply_rendered *rr = malloc(sizeof(*rr));
	char *worst = repeat('%', 300), err[256];
	struct reply_values v;
	struct reply *r;

	ck_assert_ptr_nonnull(rr);
	snprintf(first, sizeof(first), "550 5.7.1 %s", body);
	lines[0] = first;
	for (unsigned i = 1; i < REPLY_MAX_LINES; i++)
		lines[i] = body;
	r = reply_parse(lines, REPLY_MAX_LINES, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	for (int i = 0; i < REPLY_VAR_COUNT; i++)
		v.v[i] = worst;
	reply_render(r, &v, rr);
	ck_assert_uint_eq(rr->nlines, REPLY_MAX_LINES);
	for (unsigned i = 0; i < rr->nlines; i++)
		ck_assert_uint_eq(strlen(rr->lines[i]),
		    4 * REPLY_VALUE_RENDERED_MAX);
	reply_free(r);
	free(rr);
	free(worst);
}
END_TEST

/* -------------------------------------------------------------------------
 * reply_uses
 */

static const struct uses_case {
	const char *label;
	const char *lines[3];
	enum reply_var var;
	bool want;
} uses_cases[] = {
	{ "named", { "550 5.7.1 %{sender}", NULL }, REPLY_VAR_SENDER, true },
	{ "other", { "550 5.7.1 %{sender}", NULL }, REPLY_VAR_HELO, false },
	{ "prefix of a name", { "550 5.7.1 %{sender_domain}", NULL },
	    REPLY_VAR_SENDER, false },
	{ "on line 2", { "550 5.7.1 a", "b %{rcpt}", NULL }, REPLY_VAR_RCPT,
	    true },
	{ "escaped", { "550 5.7.1 %%{sender}", NULL }, REPLY_VAR_SENDER,
	    false },
	{ "no text", { "550 5.7.1", NULL }, REPLY_VAR_SENDER, false },
	{ "last value", { "%{dnsbl_text}", NULL }, REPLY_VAR_DNSBL_TEXT,
	    true },
};

/* test_uses - one row of uses_cases. */
START_TEST(test_uses)
{
	const struct uses_case *c = &uses_cases[_i];
	unsigned n = 0;
	char err[256];
	struct reply *r;

	while (c->lines[n] != NULL)
		n++;
	r = reply_parse(c->lines, n, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s: %s", c->label, err);
	ck_assert_msg(reply_uses(r, c->var) == c->want, "%s", c->label);
	reply_free(r);
}
END_TEST

/* test_var_names - every value's name, and the list naming them all. */
START_TEST(test_var_names)
{
	for (int i = 0; i < REPLY_VAR_COUNT; i++) {
		char tmpl[64];
		struct reply *r;

		ck_assert_ptr_nonnull(strstr(reply_var_list(),
		    reply_var_name((enum reply_var)i)));
		snprintf(tmpl, sizeof(tmpl), "%%{%s}",
		    reply_var_name((enum reply_var)i));
		r = parse1(tmpl);
		ck_assert(reply_uses(r, (enum reply_var)i));
		reply_free(r);
	}
	ck_assert_str_eq(reply_var_name(REPLY_VAR_CLIENT_ADDR), "client_addr");
	ck_assert_str_eq(reply_var_name(REPLY_VAR_DNSBL_TEXT), "dnsbl_text");
	ck_assert_str_eq(reply_var_name(REPLY_VAR_COUNT), "?");
}
END_TEST

/* -------------------------------------------------------------------------
 * Editing: reply_new, set_text, append_text, copy_with_codes, describe
 */

/*
 * One row: a reply, an operation ('a' append, 's' set) with its text,
 * whether it succeeds, and the reply described afterwards (unchanged on
 * failure).
 */
static const struct edit_case {
	const char *label;
	const char *lines[4];
	char op;
	const char *text;
	int ok;
	const char *want;
} edit_cases[] = {
	{ "append id", { "550 5.7.1 Go away", NULL }, 'a', " [spf-fail]", 1,
	    "550 5.7.1 Go away [spf-fail]" },
	{ "append to the last line", { "550 5.7.1 a", "b", NULL }, 'a',
	    " [id]", 1, "550 5.7.1 a / b [id]" },
	{ "append to no text", { "550 5.7.1", NULL }, 'a', "[id]", 1,
	    "550 5.7.1 [id]" },
	{ "append a template", { "550 5.7.1 a", NULL }, 'a', " %{rule}", 1,
	    "550 5.7.1 a %{rule}" },
	{ "append unknown value", { "550 5.7.1 a", NULL }, 'a', " %{x}", 0,
	    "550 5.7.1 a" },
	{ "append a line break", { "550 5.7.1 a", NULL }, 'a', "\r\nb", 0,
	    "550 5.7.1 a" },
	{ "set replaces all lines", { "550 5.7.1 a", "b", "c", NULL }, 's',
	    "one", 1, "550 5.7.1 one" },
	{ "set on no text", { "550 5.7.1", NULL }, 's', "one", 1,
	    "550 5.7.1 one" },
	{ "set unknown value", { "550 5.7.1 a", "b", NULL }, 's', "%{x}", 0,
	    "550 5.7.1 a / b" },
	{ "set unclosed", { "550 5.7.1 a", NULL }, 's', "%{sender", 0,
	    "550 5.7.1 a" },
	{ "set non-ASCII", { "550 5.7.1 a", NULL }, 's', "\xc3\xa9", 0,
	    "550 5.7.1 a" },
};

/* test_edit - one row of edit_cases. */
START_TEST(test_edit)
{
	const struct edit_case *c = &edit_cases[_i];
	unsigned n = 0;
	char err[256] = "", buf[512];
	struct reply *r;
	int rc;

	while (c->lines[n] != NULL)
		n++;
	r = reply_parse(c->lines, n, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s: %s", c->label, err);
	rc = c->op == 'a' ? reply_append_text(r, c->text, err, sizeof(err)) :
	    reply_set_text(r, c->text, err, sizeof(err));
	ck_assert_msg((rc == 0) == c->ok, "%s: rc %d (%s)", c->label, rc, err);
	if (!c->ok)
		ck_assert_msg(err[0] != '\0', "%s: no error text", c->label);
	ck_assert_str_eq(reply_describe(r, buf, sizeof(buf)), c->want);
	reply_free(r);
}
END_TEST

/* test_copy_with_codes - a deep copy with other codes. */
START_TEST(test_copy_with_codes)
{
	const char *lines[] = { "550 5.7.23 SPF failed for %{sender_domain}",
	    "see the policy" };
	struct registry_xcode g = { 4, 7, 0 };
	char err[256], buf[512], x[16];
	struct reply *r = reply_parse(lines, 2, err, sizeof(err)), *c, *d;

	ck_assert_ptr_nonnull(r);
	c = reply_copy_with_codes(r, 450, &g);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(reply_describe(c, buf, sizeof(buf)),
	    "450 4.7.0 SPF failed for %{sender_domain} / see the policy");
	ck_assert(reply_uses(c, REPLY_VAR_SENDER_DOMAIN));
	/* The copy is independent: editing it leaves the original. */
	ck_assert_int_eq(reply_append_text(c, " [id]", err, sizeof(err)), 0);
	ck_assert_int_eq(reply_set_text(c, "other", err, sizeof(err)), 0);
	ck_assert_str_eq(reply_describe(r, buf, sizeof(buf)),
	    "550 5.7.23 SPF failed for %{sender_domain} / see the policy");
	ck_assert_str_eq(xcode_text(r, x, sizeof(x)), "5.7.23");
	/* NULL removes the enhanced code. */
	d = reply_copy_with_codes(r, 550, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(reply_xcode(d));
	ck_assert_uint_eq(reply_nlines(d), 2);
	ck_assert_str_eq(reply_line(d, 1), "see the policy");
	reply_free(c);
	reply_free(d);
	/* A reply without text copies to one without text. */
	reply_free(r);
	r = parse1("452 4.3.1");
	c = reply_copy_with_codes(r, 451, &g);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(reply_nlines(c), 0);
	ck_assert_uint_eq(reply_basic(c), 451);
	reply_free(c);
	reply_free(r);
}
END_TEST

/* test_new_and_set_codes - reply_new from parts, and reply_set_codes. */
START_TEST(test_new_and_set_codes)
{
	struct registry_xcode x = { 5, 7, 23 };
	char err[256] = "", buf[256];
	struct reply *r = reply_new(550, &x, NULL, err, sizeof(err));

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(reply_nlines(r), 0);
	ck_assert_str_eq(reply_describe(r, buf, sizeof(buf)), "550 5.7.23");
	reply_set_codes(r, 451, NULL);
	ck_assert_ptr_null(reply_xcode(r));
	ck_assert_str_eq(reply_describe(r, buf, sizeof(buf)), "451");
	reply_free(r);
	r = reply_new(0, NULL, "%{helo} said %{sender}", err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(reply_basic(r), 0);
	ck_assert_str_eq(reply_line(r, 0), "%{helo} said %{sender}");
	reply_free(r);
	ck_assert_ptr_null(reply_new(550, &x, "%{nope}", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "unknown value %{nope}"));
	/* reply_describe is bounded too. */
	r = parse1("550 5.7.1 a long enough text");
	memset(buf, 'X', sizeof(buf));
	reply_describe(r, buf, 12);
	ck_assert_str_eq(buf, "550 5.7.1 a");
	ck_assert_int_eq(buf[12], 'X');
	reply_free(r);
}
END_TEST

/* reply_suite - the cases above. */
static Suite *
reply_suite(void)
{
	Suite *s = suite_create("reply");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse, 0, NELEM(parse_cases));
	tcase_add_test(tc, test_parse_line_count);
	tcase_add_test(tc, test_parse_err_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("render");
	tcase_add_loop_test(tc, test_render, 0, NELEM(render_cases));
	tcase_add_test(tc, test_render_codes);
	tcase_add_test(tc, test_render_no_values);
	tcase_add_loop_test(tc, test_render_long, 0, NELEM(long_cases));
	tcase_add_test(tc, test_format_bounded);
	tcase_add_loop_test(tc, test_sanitize, 0, NELEM(sanitize_cases));
	tcase_add_test(tc, test_sanitize_bounds);
	suite_add_tcase(s, tc);
	tc = tcase_create("mta");
	tcase_add_loop_test(tc, test_check_mta, 0, NELEM(mta_cases));
	tcase_add_test(tc, test_check_mta_bound);
	tcase_add_test(tc, test_render_max_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("edit");
	tcase_add_loop_test(tc, test_uses, 0, NELEM(uses_cases));
	tcase_add_test(tc, test_var_names);
	tcase_add_loop_test(tc, test_edit, 0, NELEM(edit_cases));
	tcase_add_test(tc, test_copy_with_codes);
	tcase_add_test(tc, test_new_and_set_codes);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; 0 when every case passed. */
int
main(void)
{
	return check_main_run(reply_suite());
}
