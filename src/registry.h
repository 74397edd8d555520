/*
 * registry - the built-in tables of SMTP reply codes and enhanced status codes
 *
 * What it holds:
 *   - every basic reply code of RFC 5321 section 4.2.3, 521 and 556 of
 *     RFC 7504, and the further basic codes that the IANA enhanced-code
 *     registry pairs with its entries (RFC 4954, RFC 3207, ...);
 *   - the class (2, 4, 5) and subject (X.0 to X.7) sub-codes of RFC 3463;
 *   - all 81 enumerated codes of the IANA "SMTP Enhanced Status Codes"
 *     registry (RFC 5248 and later), X.0.0 to X.7.30, with sample text,
 *     associated basic codes, the classes the registry says each is meant
 *     for, and its reference.
 *
 * How to use it: look codes up with registry_basic_lookup() and
 * registry_enhanced_lookup(); check a pair with registry_validate(), which
 * fills a caller-supplied verdict with findings, human sentences and
 * suggested corrections.
 *
 * Ownership: everything returned points into static, read-only tables; the
 * module allocates nothing and keeps no state, so it is safe in any thread.
 *
 * Failure: lookups return NULL for codes that are not in the tables;
 * parsers return -1 on bad syntax.  Nothing here aborts.
 *
 * Where the registry contradicts itself or RFC 5321, the policy we chose is
 * written beside the entry in registry.c (field policy_note) and summarised
 * above registry_validate() there.
 */
#ifndef REPLYMILTER_REGISTRY_H
#define REPLYMILTER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

/* The most basic codes that one registry entry lists (X.5.0 has 14). */
#define REGISTRY_MAX_BASICS 16

/* Classes as bits: (1u << class digit), so masks read naturally. */
#define REGISTRY_CLASS_2 (1u << 2)
#define REGISTRY_CLASS_4 (1u << 4)
#define REGISTRY_CLASS_5 (1u << 5)

/* How the registry states an entry's associated basic codes. */
enum registry_basic_kind {
	REGISTRY_BASIC_NONE,	/* "Not given" */
	REGISTRY_BASIC_ANY,	/* "Any" (X.0.0 only) */
	REGISTRY_BASIC_LIST	/* a list, possibly with 4XX/5XX wildcards */
};

/* Which envelope party an addressing code speaks about, for stage fit. */
enum registry_party {
	REGISTRY_PARTY_NONE,
	REGISTRY_PARTY_SENDER,
	REGISTRY_PARTY_RECIPIENT
};

/* Where a basic code is defined. */
enum registry_origin {
	REGISTRY_ORIGIN_RFC5321,
	REGISTRY_ORIGIN_RFC7504,
	REGISTRY_ORIGIN_SUPPLEMENTARY	/* only through a registry pairing */
};

struct registry_basic {
	unsigned short code;
	const char *meaning;
	const char *reference;
	enum registry_origin origin;
};

struct registry_enhanced {
	unsigned char subject;
	unsigned char detail;
	const char *summary;		/* the registry's sample text */
	enum registry_basic_kind basic_kind;
	unsigned short basics[REGISTRY_MAX_BASICS];	/* 0-terminated */
	unsigned wildcard_classes;	/* 4XX / 5XX as class bits */
	unsigned stated_classes;	/* classes the registry's text names */
	const char *reference;
	/* Our policy, not the registry's: */
	unsigned short amended_basic;	/* also accepted, with policy_note */
	unsigned short discouraged_basic;	/* listed, but an RFC says otherwise */
	enum registry_party party;
	unsigned char counterpart[2];	/* the other party's code: subject, detail */
	bool deprecated;
	const char *policy_note;	/* how we read a contradiction, or NULL */
};

/* An enhanced status code as parsed: class.subject.detail. */
struct registry_xcode {
	unsigned cls;
	unsigned subject;
	unsigned detail;
};

/* The SMTP stage a reply is given at, for stage-fit checks. */
enum registry_stage {
	REGISTRY_STAGE_ANY,
	REGISTRY_STAGE_CONNECT,
	REGISTRY_STAGE_HELO,
	REGISTRY_STAGE_MAIL,
	REGISTRY_STAGE_RCPT,
	REGISTRY_STAGE_DATA	/* header, end of headers, body, end of message */
};

enum registry_severity {
	REGISTRY_OK = 0,
	REGISTRY_WARNING = 1,
	REGISTRY_ERROR = 2
};

/* What a finding is about; tests and the config loader key on these. */
enum registry_problem {
	REGISTRY_P_NOTE,		/* OK, with something worth knowing */
	REGISTRY_P_BASIC_SYNTAX,	/* not an SMTP reply code at all */
	REGISTRY_P_BASIC_NOT_MILTER,	/* 2xx/3xx: a milter cannot send it */
	REGISTRY_P_BASIC_UNDEFINED,	/* 4xx/5xx that nothing defines */
	REGISTRY_P_CLASS_MISMATCH,	/* 550 with 4.7.1 */
	REGISTRY_P_UNREGISTERED,	/* subject.detail not in the registry */
	REGISTRY_P_UNLISTED_BASIC,	/* 550 5.3.1 when X.3.1 goes with 452 */
	REGISTRY_P_CLASS_NOT_MEANT,	/* a permanent-only code as 4xx, ... */
	REGISTRY_P_SUCCESS_ONLY,	/* X.1.5, X.3.6 in a rejection */
	REGISTRY_P_DEPRECATED,		/* X.6.10 */
	REGISTRY_P_STAGE_FIT		/* sender code at RCPT, ... */
};

#define REGISTRY_MAX_FINDINGS 6
#define REGISTRY_TEXT_MAX 320
#define REGISTRY_MAX_SUGGESTIONS 2

/* A suggested correction: a basic code and an enhanced code. */
struct registry_pair {
	unsigned basic;
	struct registry_xcode xcode;
};

struct registry_finding {
	enum registry_severity severity;
	enum registry_problem problem;
	char text[REGISTRY_TEXT_MAX];	/* one sentence, ends with the fix */
	unsigned nsuggestions;
	struct registry_pair suggestions[REGISTRY_MAX_SUGGESTIONS];
};

struct registry_verdict {
	enum registry_severity severity;	/* the worst finding */
	unsigned nfindings;
	struct registry_finding findings[REGISTRY_MAX_FINDINGS];
};

/* Flags for registry_validate(). */
#define REGISTRY_F_PRIVATE 0x1u	/* the admin declared the xcode private */

/* registry_basic_lookup - the basic code's entry, or NULL. O(log n). */
const struct registry_basic *registry_basic_lookup(unsigned code);

/* registry_basic_count - how many basic codes the table holds. */
size_t registry_basic_count(void);

/* registry_basic_at - the i-th basic code in ascending order. */
const struct registry_basic *registry_basic_at(size_t i);

/* registry_basic_syntax_ok - whether RFC 5321's Reply-code grammar allows
 * code: first digit 2-5, second digit 0-5. */
bool registry_basic_syntax_ok(unsigned code);

/* registry_basic_milter_ok - whether libmilter may send code: 4xx or 5xx
 * and valid SMTP. */
bool registry_basic_milter_ok(unsigned code);

/* registry_enhanced_lookup - the registry entry for X.subject.detail, or
 * NULL. O(1). */
const struct registry_enhanced *registry_enhanced_lookup(unsigned subject,
    unsigned detail);

/* registry_enhanced_count - how many enumerated codes the table holds. */
size_t registry_enhanced_count(void);

/* registry_enhanced_at - the i-th enumerated code in registry order. */
const struct registry_enhanced *registry_enhanced_at(size_t i);

/* registry_enhanced_classes - the classes we accept for an entry: those the
 * registry states, those of the basic codes it lists, and our amendments. */
unsigned registry_enhanced_classes(const struct registry_enhanced *e);

/* registry_enhanced_lists - whether the entry lists basic (exactly, by
 * wildcard, or by our amendment). */
bool registry_enhanced_lists(const struct registry_enhanced *e,
    unsigned basic);

/* registry_enhanced_basic_for - the basic code to pair with the entry in
 * class cls (the first registered one of that class), or 0 when the
 * registry gives none of that class. */
unsigned registry_enhanced_basic_for(const struct registry_enhanced *e,
    unsigned cls);

/* registry_format_basics - the entry's basic codes as --codes prints them
 * ("451,550", "any", "-"); returns buf. */
char *registry_format_basics(const struct registry_enhanced *e, char *buf,
    size_t size);

/* registry_class_name - "Success", "Persistent Transient Failure",
 * "Permanent Failure", or NULL. */
const char *registry_class_name(unsigned cls);

/* registry_subject_name - "Addressing Status" etc. for X.0 to X.7, or
 * NULL. */
const char *registry_subject_name(unsigned subject);

/* registry_parse_xcode - parse "5.7.23" into out; 0, or -1 on bad syntax
 * (class 2, 4 or 5; subject and detail 1 to 3 digits, no leading zero). */
int registry_parse_xcode(const char *text, struct registry_xcode *out);

/* registry_parse_basic - parse a three-digit basic code; the code, or -1. */
int registry_parse_basic(const char *text);

/* registry_format_xcode - "5.7.23" into buf; returns buf. */
char *registry_format_xcode(const struct registry_xcode *x, char *buf,
    size_t size);

/* registry_validate - judge the pair (basic, xcode) given at stage: fills
 * *out and returns its severity.  xcode may be NULL (a reply without an
 * enhanced code). */
enum registry_severity registry_validate(unsigned basic,
    const struct registry_xcode *xcode, enum registry_stage stage,
    unsigned flags, struct registry_verdict *out);

/* registry_verdict_worst - the first finding of the verdict's severity, or
 * NULL when there are none; it points into v. */
const struct registry_finding *registry_verdict_worst(
    const struct registry_verdict *v);

/* registry_severity_name - "ok", "warning" or "error". */
const char *registry_severity_name(enum registry_severity s);

#endif
