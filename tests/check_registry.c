/*
 * check_registry - unit tests of the built-in code registry
 *
 * Table-driven: the shape of the tables, lookups, xcode syntax, every
 * validation rule and every registry contradiction's policy, and the seed
 * pages' inventions.  The entry-by-entry comparison with the registry as
 * data lives in check_registry_data.c.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "registry.h"

START_TEST(test_enhanced_table_shape)
{
	size_t n = registry_enhanced_count();
	unsigned last_subject = 0, next_detail = 0;

	ck_assert_uint_eq(n, 81);
	/* Details run from 0 without a gap in each subject: what O(1) lookup
	 * relies on. */
	for (size_t i = 0; i < n; i++) {
		const struct registry_enhanced *e = registry_enhanced_at(i);

		if (e->subject != last_subject) {
			ck_assert_uint_eq(e->subject, last_subject + 1);
			last_subject = e->subject;
			next_detail = 0;
		}
		ck_assert_uint_eq(e->detail, next_detail);
		next_detail++;
		ck_assert_ptr_eq(registry_enhanced_lookup(e->subject, e->detail),
		    e);
		ck_assert_ptr_nonnull(e->summary);
		ck_assert_ptr_nonnull(e->reference);
	}
	ck_assert_uint_eq(last_subject, 7);
	ck_assert_ptr_null(registry_enhanced_at(n));
	ck_assert_ptr_null(registry_enhanced_lookup(7, 31));
	ck_assert_ptr_null(registry_enhanced_lookup(1, 11));
	ck_assert_ptr_null(registry_enhanced_lookup(8, 0));
	ck_assert_ptr_null(registry_enhanced_lookup(999, 999));
}
END_TEST

START_TEST(test_brief_examples)
{
	static const struct {
		unsigned subject, detail;
		const char *basics, *summary;
	} cases[] = {
		{ 7, 23, "550", "SPF validation failed" },
		{ 3, 1, "452", "Mail system full" },
		{ 1, 10, "556", "Recipient address has null MX" },
		{ 7, 27, "550", "Sender address has null MX" },
		{ 0, 0, "any", "Other undefined Status" },
		{ 2, 2, "552", "Mailbox full" },
		{ 7, 24, "451,550", "SPF validation error" },
		{ 7, 15, "450,550,4XX,5XX", "Priority Level is too low" },
		{ 7, 17, "5XX", "Mailbox owner has changed" },
		{ 7, 28, "-", "Mail flood detected" },
		{ 7, 29, "550", "ARC validation failure" },
		{ 7, 30, "550", "REQUIRETLS support required" },
		{ 6, 8, "252,553,550", "UTF-8 string reply is required, but "
		    "not permitted by the SMTP client" },
	};
	char buf[80];

	for (size_t i = 0; i < NELEM(cases); i++) {
		const struct registry_enhanced *e =
		    registry_enhanced_lookup(cases[i].subject, cases[i].detail);

		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(registry_format_basics(e, buf, sizeof(buf)),
		    cases[i].basics);
		ck_assert_str_eq(e->summary, cases[i].summary);
	}
}
END_TEST

START_TEST(test_basic_table)
{
	/* RFC 5321 section 4.2.3, and RFC 7504's 521 and 556. */
	static const unsigned standard[] = {
		211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452,
		455, 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555,
		521, 556,
	};
	unsigned prev = 0;

	for (size_t i = 0; i < NELEM(standard); i++) {
		const struct registry_basic *b =
		    registry_basic_lookup(standard[i]);

		ck_assert_msg(b != NULL, "%u missing", standard[i]);
		ck_assert_uint_eq(b->code, standard[i]);
		ck_assert_int_ne(b->origin, REGISTRY_ORIGIN_SUPPLEMENTARY);
		ck_assert_int_eq(registry_basic_milter_ok(standard[i]),
		    standard[i] >= 400);
	}
	ck_assert_uint_eq(registry_basic_count(), 43);
	for (size_t i = 0; i < registry_basic_count(); i++) {
		ck_assert_uint_gt(registry_basic_at(i)->code, prev);
		prev = registry_basic_at(i)->code;
	}
	ck_assert_int_eq(registry_basic_lookup(521)->origin,
	    REGISTRY_ORIGIN_RFC7504);
	ck_assert_str_eq(registry_basic_lookup(521)->meaning,
	    "Host does not accept mail");
	ck_assert_str_eq(registry_basic_lookup(556)->meaning,
	    "Domain does not accept mail");
	ck_assert_ptr_null(registry_basic_lookup(471));
	ck_assert_ptr_null(registry_basic_lookup(0));
}
END_TEST

START_TEST(test_basic_syntax)
{
	ck_assert(registry_basic_syntax_ok(250));
	ck_assert(registry_basic_syntax_ok(555));
	ck_assert(!registry_basic_syntax_ok(471));	/* second digit 7 */
	ck_assert(!registry_basic_syntax_ok(571));
	ck_assert(!registry_basic_syntax_ok(101));	/* no 1yz in SMTP */
	ck_assert(!registry_basic_syntax_ok(600));
	ck_assert(registry_basic_milter_ok(421));
	ck_assert(!registry_basic_milter_ok(250));
	ck_assert(!registry_basic_milter_ok(354));
	ck_assert(!registry_basic_milter_ok(471));
	ck_assert_int_eq(registry_parse_basic("550"), 550);
	ck_assert_int_eq(registry_parse_basic("55"), -1);
	ck_assert_int_eq(registry_parse_basic("5500"), -1);
	ck_assert_int_eq(registry_parse_basic("5a0"), -1);
	ck_assert_int_eq(registry_parse_basic(NULL), -1);
}
END_TEST

START_TEST(test_xcode_syntax)
{
	static const struct {
		const char *text;
		int ok;
		unsigned cls, subject, detail;
	} cases[] = {
		{ "5.7.23", 1, 5, 7, 23 },
		{ "4.3.1", 1, 4, 3, 1 },
		{ "2.1.5", 1, 2, 1, 5 },
		{ "5.999.999", 1, 5, 999, 999 },
		{ "5.0.0", 1, 5, 0, 0 },
		{ "3.1.1", 0, 0, 0, 0 },
		{ "X.7.1", 0, 0, 0, 0 },
		{ "5.7", 0, 0, 0, 0 },
		{ "5.7.1000", 0, 0, 0, 0 },
		{ "5.1000.1", 0, 0, 0, 0 },
		{ "9.9.9", 0, 0, 0, 0 },
		{ "5.07.001", 0, 0, 0, 0 },
		{ "4.16.55.1", 0, 0, 0, 0 },
		{ "5.7.1 ", 0, 0, 0, 0 },
		{ "", 0, 0, 0, 0 },
		{ "5..1", 0, 0, 0, 0 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct registry_xcode x = { 0, 0, 0 };
		int rc = registry_parse_xcode(cases[i].text, &x);

		ck_assert_msg((rc == 0) == cases[i].ok, "%s", cases[i].text);
		if (cases[i].ok) {
			ck_assert_uint_eq(x.cls, cases[i].cls);
			ck_assert_uint_eq(x.subject, cases[i].subject);
			ck_assert_uint_eq(x.detail, cases[i].detail);
		}
	}
}
END_TEST

/*
 * The validation rules, one row each: the pair, the stage, flags, the
 * verdict's severity, the problem of its worst finding, and a text the
 * findings must contain ("" when there must be no findings at all).
 */
static const struct validate_case {
	const char *label;
	unsigned basic;
	const char *xcode;	/* NULL: a reply without an enhanced code */
	enum registry_stage stage;
	unsigned flags;
	enum registry_severity want;
	enum registry_problem problem;
	const char *text;
} validate_cases[] = {
	/* Registered pairs are fine. */
	{ "spf fail", 550, "5.7.23", REGISTRY_STAGE_RCPT, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "storage", 452, "4.3.1", REGISTRY_STAGE_MAIL, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "null mx rcpt", 556, "5.1.10", REGISTRY_STAGE_RCPT, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "policy", 550, "5.7.1", REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "no list given", 550, "5.1.2", REGISTRY_STAGE_RCPT, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "any", 451, "4.0.0", REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "wildcard 5XX", 554, "5.7.17", REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "wildcard 4XX", 451, "4.7.15", REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "spf error transient", 451, "4.7.24", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "" },
	{ "no enhanced code", 550, NULL, REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "" },
	{ "mail flood, none given", 550, "5.7.28", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "" },
	{ "421 closes", 421, "4.3.0", REGISTRY_STAGE_ANY, 0, REGISTRY_OK,
	    REGISTRY_P_NOTE, "close the connection" },

	/* Class mismatch: an error, with both corrections. */
	{ "class mismatch", 550, "4.7.1", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_ERROR, REGISTRY_P_CLASS_MISMATCH,
	    "class 4 does not match reply 550; did you mean 450 4.7.1 or "
	    "550 5.7.1?" },
	{ "class mismatch other way", 452, "5.3.1", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_ERROR, REGISTRY_P_CLASS_MISMATCH,
	    "class 5 does not match reply 452; did you mean 452 4.3.1?" },
	{ "success class in rejection", 550, "2.1.5", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_ERROR, REGISTRY_P_CLASS_MISMATCH,
	    "class 2 does not match reply 550" },

	/* Unregistered subject.detail, unless declared private. */
	{ "unregistered", 550, "5.7.99", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_UNREGISTERED,
	    "X.7.99 is not in the IANA registry (its X.7 codes end at X.7.30)"
	    "; use the subject's generic code, or declare the code a private "
	    "extension; did you mean 550 5.7.0?" },
	{ "unregistered private", 550, "5.7.99", REGISTRY_STAGE_ANY,
	    REGISTRY_F_PRIVATE, REGISTRY_OK, REGISTRY_P_NOTE,
	    "private extension" },
	{ "unknown subject", 550, "5.9.1", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_UNREGISTERED,
	    "subject 9 is not defined" },
	{ "x.7.31 does not exist", 550, "5.7.31", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_UNREGISTERED, "X.7.31" },

	/* A basic code outside the registered list: a warning naming it. */
	{ "550 with mail system full", 550, "5.3.1", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_WARNING, REGISTRY_P_CLASS_NOT_MEANT,
	    "the registry means X.3.1 \"Mail system full\" for transient "
	    "failures and pairs it with 452; did you mean 452 4.3.1?" },
	{ "unlisted basic", 550, "5.3.4", REGISTRY_STAGE_DATA, 0,
	    REGISTRY_WARNING, REGISTRY_P_UNLISTED_BASIC,
	    "the registry pairs X.3.4 \"Message too big for system\" with "
	    "552,554, not 550; did you mean 552 5.3.4?" },
	{ "permanent-only as transient", 450, "4.1.2", REGISTRY_STAGE_RCPT,
	    0, REGISTRY_WARNING, REGISTRY_P_CLASS_NOT_MEANT,
	    "for permanent failures" },

	/* Success-only codes in a rejection. */
	{ "address valid in rejection", 550, "5.1.5", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_WARNING, REGISTRY_P_SUCCESS_ONLY,
	    "is a success code; in a rejection it tells the client the "
	    "opposite; did you mean 550 5.1.1?" },
	{ "priority changed in rejection", 550, "5.3.6", REGISTRY_STAGE_ANY,
	    0, REGISTRY_WARNING, REGISTRY_P_SUCCESS_ONLY, "success code" },

	/* Basic codes a milter cannot send, or that are not SMTP. */
	{ "2xx", 250, "2.1.5", REGISTRY_STAGE_RCPT, 0, REGISTRY_ERROR,
	    REGISTRY_P_BASIC_NOT_MILTER, "cannot be a milter reply" },
	{ "3xx", 354, NULL, REGISTRY_STAGE_DATA, 0, REGISTRY_ERROR,
	    REGISTRY_P_BASIC_NOT_MILTER, "354 cannot be a milter reply" },
	{ "471 is not smtp", 471, "4.7.1", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_BASIC_SYNTAX,
	    "471 is not an SMTP reply code: RFC 5321 section 4.2 allows 2 to 5"
	    " as first digit and 0 to 5 as second; did you mean 451 4.7.1?" },
	{ "101 is not smtp", 101, NULL, REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_BASIC_SYNTAX, "101 is not an SMTP" },
	{ "571 is not smtp", 571, "5.7.1", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_ERROR, REGISTRY_P_BASIC_SYNTAX, "did you mean 550 5.7.1?" },
	{ "seed's 547", 547, "5.4.7", REGISTRY_STAGE_ANY, 0, REGISTRY_ERROR,
	    REGISTRY_P_BASIC_UNDEFINED, "547 is not a reply code that" },

	/* The registry's contradictions, as our policy reads them. */
	{ "X.1.1 lists 451", 451, "4.1.1", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "listed pairs are accepted" },
	{ "X.1.1 twin 450", 450, "4.1.1", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "listed pairs are accepted" },
	{ "X.2.2 listed 552", 552, "5.2.2", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "452 4.2.2 are both accepted" },
	{ "X.2.2 amended 452", 452, "4.2.2", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "persistent transient" },
	{ "X.4.3 lists 550", 550, "5.4.3", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "lists 550" },
	{ "X.5.1 lists 430", 430, "4.5.1", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "lists 430" },
	{ "X.5.4 lists 451", 451, "4.5.4", REGISTRY_STAGE_ANY, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "lists 451" },
	{ "X.7.1 lists 451", 451, "4.7.1", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "451 and 454" },
	{ "X.7.1 twin 450", 450, "4.7.1", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "451 and 454" },
	{ "X.5.3 RFC 5321's 452", 452, "4.5.3", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "4.5.3.1.10" },
	{ "X.5.3 registry's 451", 451, "4.5.3", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_WARNING, REGISTRY_P_UNLISTED_BASIC,
	    "correct reply is 452; did you mean 452 4.5.3?" },
	{ "X.5.3 as permanent", 552, "5.5.3", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_WARNING, REGISTRY_P_CLASS_NOT_MEANT,
	    "did you mean 452 4.5.3?" },
	{ "X.6.10 deprecated", 550, "5.6.10", REGISTRY_STAGE_DATA, 0,
	    REGISTRY_WARNING, REGISTRY_P_DEPRECATED,
	    "deprecated; did you mean 550 5.6.8?" },

	/* Stage fit. */
	{ "sender code at rcpt", 550, "5.1.7", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_WARNING, REGISTRY_P_STAGE_FIT,
	    "is about the sender, but this reply is given at RCPT TO; did you "
	    "mean 501 5.1.3?" },
	{ "sender null mx at rcpt", 550, "5.7.27", REGISTRY_STAGE_RCPT, 0,
	    REGISTRY_WARNING, REGISTRY_P_STAGE_FIT, "did you mean 556 5.1.10?" },
	{ "recipient code at mail", 550, "5.1.1", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_WARNING, REGISTRY_P_STAGE_FIT,
	    "is about a recipient, but this reply is given at MAIL FROM" },
	{ "recipient null mx at mail", 556, "5.1.10", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_WARNING, REGISTRY_P_STAGE_FIT, "did you mean 550 5.7.27?" },
	{ "sender code at mail", 501, "5.1.7", REGISTRY_STAGE_MAIL, 0,
	    REGISTRY_OK, REGISTRY_P_NOTE, "" },
};

START_TEST(test_validate)
{
	const struct validate_case *c = &validate_cases[_i];
	struct registry_xcode x, *xp = NULL;
	struct registry_verdict v;
	const struct registry_finding *worst;
	enum registry_severity got;

	if (c->xcode != NULL) {
		ck_assert_int_eq(registry_parse_xcode(c->xcode, &x), 0);
		xp = &x;
	}
	got = registry_validate(c->basic, xp, c->stage, c->flags, &v);
	ck_assert_msg(got == c->want, "%s: severity %s, want %s", c->label,
	    registry_severity_name(got), registry_severity_name(c->want));
	ck_assert_int_eq(v.severity, got);
	if (c->text[0] == '\0') {
		ck_assert_msg(v.nfindings == 0, "%s: unexpected finding: %s",
		    c->label, v.findings[0].text);
		return;
	}
	worst = registry_verdict_worst(&v);
	ck_assert_msg(worst != NULL, "%s: no finding", c->label);
	ck_assert_msg(worst->problem == c->problem, "%s: problem %d, want %d "
	    "(%s)", c->label, worst->problem, c->problem, worst->text);
	ck_assert_msg(strstr(worst->text, c->text) != NULL,
	    "%s: \"%s\" lacks \"%s\"", c->label, worst->text, c->text);
}
END_TEST

/* Every suggestion the registry makes must itself validate cleanly. */
START_TEST(test_suggestions_are_sound)
{
	const struct validate_case *c = &validate_cases[_i];
	struct registry_xcode x, *xp = NULL;
	struct registry_verdict v, again;

	if (c->xcode != NULL) {
		ck_assert_int_eq(registry_parse_xcode(c->xcode, &x), 0);
		xp = &x;
	}
	registry_validate(c->basic, xp, c->stage, c->flags, &v);
	for (unsigned i = 0; i < v.nfindings; i++)
		for (unsigned k = 0; k < v.findings[i].nsuggestions; k++) {
			const struct registry_pair *p =
			    &v.findings[i].suggestions[k];

			ck_assert_msg(registry_validate(p->basic, &p->xcode,
			    c->stage, 0, &again) == REGISTRY_OK,
			    "%s: suggestion %u %u.%u.%u is not ok: %s",
			    c->label, p->basic, p->xcode.cls,
			    p->xcode.subject, p->xcode.detail,
			    again.findings[0].text);
		}
}
END_TEST

/* Every registered pair is accepted: never an error. */
START_TEST(test_registered_pairs_never_error)
{
	for (size_t i = 0; i < registry_enhanced_count(); i++) {
		const struct registry_enhanced *e = registry_enhanced_at(i);

		for (const unsigned short *b = e->basics; *b != 0; b++) {
			struct registry_xcode x = { *b / 100u, e->subject,
			    e->detail };
			struct registry_verdict v;

			if (!registry_basic_milter_ok(*b))
				continue;
			ck_assert_msg(registry_validate(*b, &x,
			    REGISTRY_STAGE_ANY, 0, &v) != REGISTRY_ERROR,
			    "%u %u.%u.%u: %s", *b, x.cls, x.subject, x.detail,
			    v.findings[0].text);
		}
	}
}
END_TEST

START_TEST(test_basic_for)
{
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(7, 23), 5), 550);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(7, 23), 4), 0);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(3, 1), 4), 452);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(7, 24), 4), 451);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(7, 1), 4), 451);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(5, 3), 4), 452);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(2, 2), 4), 452);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(1, 1), 4), 451);
	ck_assert_uint_eq(registry_enhanced_basic_for(
	    registry_enhanced_lookup(1, 10), 5), 556);
}
END_TEST

/*
 * The seed pages' inventions and mistakes are not taken as registered:
 * each row is a seed's claim that the registry must not repeat.
 */
START_TEST(test_seed_inventions_rejected)
{
	static const unsigned invented_basic[] = {
		101, 111, 200, 420, 431, 441, 442, 446, 447, 449, 471, 510,
		511, 512, 513, 515, 517, 522, 531, 540, 541, 542, 543, 546,
		547,
	};
	static const struct {
		unsigned subject, detail;
		const char *seed_text;
	} wrong_texts[] = {
		{ 1, 5, "Destination mailbox address invalid" },
		{ 1, 6, "Mailbox has moved" },
		{ 0, 0, "Address does not exist" },
		{ 3, 0, "Mail has been accepted normally" },
		{ 4, 3, "Routing server failure" },
		{ 4, 5, "Network congestion" },
		{ 7, 1, "Authentication was not successful" },
		{ 7, 8, "Trust relationship required" },
		{ 7, 16, "Future release per-user message quota exceeded" },
		{ 7, 17, "Future release system message quota exceeded" },
	};
	struct registry_xcode x;
	struct registry_verdict v;

	for (size_t i = 0; i < sizeof(invented_basic) /
	    sizeof(invented_basic[0]); i++) {
		ck_assert_msg(registry_basic_lookup(invented_basic[i]) == NULL,
		    "%u", invented_basic[i]);
		ck_assert_int_eq(registry_validate(invented_basic[i], NULL,
		    REGISTRY_STAGE_ANY, 0, &v), REGISTRY_ERROR);
	}
	for (size_t i = 0; i < NELEM(wrong_texts);
	    i++) {
		const struct registry_enhanced *e = registry_enhanced_lookup(
		    wrong_texts[i].subject, wrong_texts[i].detail);

		ck_assert_ptr_nonnull(e);
		ck_assert_str_ne(e->summary, wrong_texts[i].seed_text);
	}
	/* 5.1.5 is "Destination address valid", a success code. */
	ck_assert_uint_eq(registry_enhanced_classes(
	    registry_enhanced_lookup(1, 5)), REGISTRY_CLASS_2);
	ck_assert_int_eq(registry_parse_xcode("5.1.5", &x), 0);
	ck_assert_int_eq(registry_validate(550, &x, REGISTRY_STAGE_RCPT, 0,
	    &v), REGISTRY_WARNING);
	/* 521 is "Host", 556 "Domain" does not accept mail (RFC 7504). */
	ck_assert_str_ne(registry_basic_lookup(521)->meaning,
	    "Domain does not accept mail");
	/* 523 is X.7.10's "Encryption Needed", not a size limit. */
	ck_assert_ptr_null(strstr(registry_basic_lookup(523)->meaning, "large"));
	/* The seeds' "4.16.55.1" is not an enhanced status code. */
	ck_assert_int_eq(registry_parse_xcode("4.16.55.1", &x), -1);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(registry_class_name(2), "Success");
	ck_assert_str_eq(registry_class_name(4), "Persistent Transient Failure");
	ck_assert_str_eq(registry_class_name(5), "Permanent Failure");
	ck_assert_ptr_null(registry_class_name(3));
	ck_assert_str_eq(registry_subject_name(7), "Security or Policy Status");
	ck_assert_ptr_null(registry_subject_name(8));
}
END_TEST

static Suite *
registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_enhanced_table_shape);
	tcase_add_test(tc, test_brief_examples);
	tcase_add_test(tc, test_basic_table);
	tcase_add_test(tc, test_basic_syntax);
	tcase_add_test(tc, test_xcode_syntax);
	tcase_add_test(tc, test_basic_for);
	tcase_add_test(tc, test_seed_inventions_rejected);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("validate");
	tcase_add_loop_test(tc, test_validate, 0,
	    NELEM(validate_cases));
	tcase_add_loop_test(tc, test_suggestions_are_sound, 0,
	    NELEM(validate_cases));
	tcase_add_test(tc, test_registered_pairs_never_error);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_main_run(registry_suite());
}
