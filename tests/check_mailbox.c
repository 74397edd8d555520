/*
 * check_mailbox - the From: mailbox reader (checks/mailbox.h)
 *
 * One table: a From: header value, and the domains mailbox_domains must
 * find in it (in order), or NULL for a value it must refuse.  The forms
 * are RFC 5322 section 3.4's (and its obsolete ones, section 4.4), the
 * refusals the ones mailbox.h lists.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "checks/mailbox.h"

#define MAX_DOMAINS 4

static const struct mailbox_case {
	const char *label;
	const char *value;
	const char *want[MAX_DOMAINS + 1];	/* NULL-ended; { NULL }: refused */
	int refused;
} cases[] = {
	/* --- What it reads ----------------------------------------------- */
	{ "bare addr-spec", "user@example.com", { "example.com" }, 0 },
	{ "blanks around", "  user@example.com \t", { "example.com" }, 0 },
	{ "upper case domain", "User@EXAMPLE.Com", { "example.com" }, 0 },
	{ "display name and angle brackets",
	    "Jane Doe <jane@example.org>", { "example.org" }, 0 },
	{ "no display name, angle brackets", "<jane@example.org>",
	    { "example.org" }, 0 },
	{ "quoted display name with < and ,",
	    "\"Doe, Jane <boss>\" <jane@example.org>", { "example.org" }, 0 },
	{ "quoted display name with an escaped quote",
	    "\"Jane \\\"JD\\\" Doe\" <jane@example.org>", { "example.org" }, 0 },
	{ "quoted local part", "\"jane doe\"@example.org",
	    { "example.org" }, 0 },
	{ "quoted local part holding @", "\"a@b\"@example.org",
	    { "example.org" }, 0 },
	{ "comment after the address",
	    "jane@example.org (Jane Doe)", { "example.org" }, 0 },
	{ "nested comment with a fake address",
	    "(a (b@evil.example) c) jane@example.org", { "example.org" }, 0 },
	{ "comment in the domain", "jane@example.(x)org",
	    { "example.org" }, 0 },
	{ "folded across lines", "Jane Doe\r\n <jane@example.org>",
	    { "example.org" }, 0 },
	{ "two mailboxes", "a@one.example, B <b@two.example>",
	    { "one.example", "two.example" }, 0 },
	{ "empty members skipped", "a@one.example,, b@two.example",
	    { "one.example", "two.example" }, 0 },
	{ "a group's members count",
	    "Team: a@one.example, b@two.example;",
	    { "one.example", "two.example" }, 0 },
	{ "group then mailbox", "Team: a@one.example;, c@three.example",
	    { "one.example", "three.example" }, 0 },
	{ "obsolete route dropped",
	    "<@relay1.example,@relay2.example:jane@example.org>",
	    { "example.org" }, 0 },
	{ "domain-literal kept", "jane@[192.0.2.1]", { "[192.0.2.1]" }, 0 },
	{ "UTF-8 domain kept as bytes", "jane@b\xc3\xbc" "cher.example",
	    { "b\xc3\xbc" "cher.example" }, 0 },
	{ "four mailboxes: the maximum",
	    "a@1.example, b@2.example, c@3.example, d@4.example",
	    { "1.example", "2.example", "3.example", "4.example" }, 0 },

	/* --- What it refuses --------------------------------------------- */
	{ "empty value", "", { NULL }, 1 },
	{ "blank value", "   ", { NULL }, 1 },
	{ "only a comment", "(nobody)", { NULL }, 1 },
	{ "only an empty group", "undisclosed-recipients:;", { NULL }, 1 },
	{ "no @", "jane", { NULL }, 1 },
	{ "two @", "jane@x@example.org", { NULL }, 1 },
	{ "nothing before @", "@example.org", { NULL }, 1 },
	{ "nothing after @", "jane@", { NULL }, 1 },
	{ "empty label", "jane@example..org", { NULL }, 1 },
	{ "leading dot", "jane@.example.org", { NULL }, 1 },
	{ "trailing dot", "jane@example.org.", { NULL }, 1 },
	{ "quoted string in the domain", "jane@\"example\".org", { NULL }, 1 },
	{ "a byte that is not atext in the domain", "jane@exa,mple.org",
	    { NULL }, 1 },
	{ "unclosed comment", "jane@example.org (Jane", { NULL }, 1 },
	{ "unclosed quoted string", "\"Jane <jane@example.org>", { NULL }, 1 },
	{ "unclosed <", "Jane <jane@example.org", { NULL }, 1 },
	{ "> without <", "jane@example.org>", { NULL }, 1 },
	{ "< inside <>", "<a<b@example.org>>", { NULL }, 1 },
	{ "text after <addr>", "<jane@example.org> extra", { NULL }, 1 },
	{ "quoted word after <addr>", "<jane@example.org> \"x\"", { NULL }, 1 },
	{ "unclosed group", "Team: a@one.example", { NULL }, 1 },
	{ "nested group", "A: B: a@one.example;;", { NULL }, 1 },
	{ "; outside a group", "a@one.example;", { NULL }, 1 },
	{ "a bad member spoils the list", "a@one.example, nobody",
	    { NULL }, 1 },
	{ "five mailboxes: over the maximum",
	    "a@1.example, b@2.example, c@3.example, d@4.example, e@5.example",
	    { NULL }, 1 },
	{ "a domain of 256 bytes", "a@"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
	    "example", { NULL }, 1 },
};

START_TEST(test_mailbox)
{
	const struct mailbox_case *c = &cases[_i];
	char doms[MAX_DOMAINS][MAILBOX_DOMAIN_SIZE];
	int want = 0, got;

	while (c->want[want] != NULL)
		want++;
	memset(doms, 0, sizeof(doms));
	got = mailbox_domains(c->value, doms, MAX_DOMAINS);
	if (c->refused) {
		ck_assert_msg(got == -1, "%s: \"%s\" read as %d mailbox(es)",
		    c->label, c->value, got);
		return;
	}
	ck_assert_msg(got == want, "%s: \"%s\": %d mailbox(es), want %d",
	    c->label, c->value, got, want);
	for (int i = 0; i < want; i++)
		ck_assert_msg(strcmp(doms[i], c->want[i]) == 0,
		    "%s: domain %d is \"%s\", want \"%s\"", c->label, i,
		    doms[i], c->want[i]);
}
END_TEST

/* test_long_value - a 10 kB display name is read to its end, without
 * writing past the caller's storage. */
START_TEST(test_long_value)
{
	static char value[10240 + 64];
	char doms[2][MAILBOX_DOMAIN_SIZE];

	memset(value, 'x', 10240);
	snprintf(value + 10240, sizeof(value) - 10240, " <a@long.example>");
	memset(doms[1], 0x5a, sizeof(doms[1]));
	ck_assert_int_eq(mailbox_domains(value, doms, 1), 1);
	ck_assert_str_eq(doms[0], "long.example");
	for (size_t i = 0; i < sizeof(doms[1]); i++)
		ck_assert_int_eq((unsigned char)doms[1][i], 0x5a);
}
END_TEST

static Suite *
mailbox_suite(void)
{
	Suite *s = suite_create("mailbox");
	TCase *tc = tcase_create("domains");

	tcase_add_loop_test(tc, test_mailbox, 0, (int)NELEM(cases));
	tcase_add_test(tc, test_long_value);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_main_run(mailbox_suite());
}
