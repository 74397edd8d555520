/*
 * registry - lookups in the built-in tables of SMTP reply codes and
 * enhanced status codes, and the validation of a pair
 *
 * The tables (registry_data.c) are data, transcribed from the IANA "SMTP
 * Enhanced Status Codes" registry (copy of 2020-09, 81 codes; the 2024-12
 * excerpts agree) and RFC 5321/7504.  tests/check_registry_data.c compares
 * them entry by entry with tests/data/registry/enhanced-codes.tsv.
 *
 * Our policy where the registry contradicts itself or an RFC
 * ---------------------------------------------------------
 * 1. A pair the registry lists is never an error.  Its listed basic codes
 *    win over its descriptive wording: the classes we accept for an entry
 *    are those its text states plus those of the basic codes it lists
 *    (registry_enhanced_classes).  So 451 4.1.1, 550 5.4.3, 430 4.5.1,
 *    451 4.5.4 and 451/454 4.7.1 are accepted, each with a note.
 * 2. X.2.2 "Mailbox full" is "a persistent transient failure" yet lists
 *    only 552: both 552 5.2.2 and 452 4.2.2 are accepted (452 by our
 *    amendment: RFC 5321's storage code, transient as the text says).
 * 3. X.5.3 "Too many recipients" lists 451, but RFC 5321 section
 *    4.5.3.1.10 says "the correct reply code for this condition is 452":
 *    452 4.5.3 is accepted (amendment), 451 4.5.3 warns and suggests 452.
 * 4. RFC 5321 pairs 450/550 (mailbox unavailable) and 452/552 (storage)
 *    as the transient and permanent forms of one condition: a basic code
 *    whose twin is listed counts as listed (so 450 4.7.1 is as good as the
 *    registered 550 5.7.1).  No other codes are twinned.
 * 5. X.7.28's basic-code column holds a lone "." (2020) or its own
 *    description (2017): read as "Not given".  X.6.10 has no sample text
 *    and is a deprecated duplicate of X.6.8: it warns.
 * 6. Basic codes the registry lists but RFC 5321/7504 do not define (235,
 *    422, 430, 432, 453, 454, 458, 459, 523, 524, 525, 530, 533, 534, 535,
 *    538 and the 2xx ones) are in the basic table as SUPPLEMENTARY so
 *    every pairing resolves; 4xx/5xx codes defined nowhere (the seeds' 510
 *    to 547, 571) are errors.
 * 7. Class 2 codes and 2xx/3xx basic codes exist in the tables (--codes
 *    prints them) but are errors as a milter's reply: libmilter sends only
 *    4xx and 5xx.
 * 8. The enhanced class must equal the basic code's first digit: RFC 3463
 *    implies it and Postfix enforces it ("malformed reply"), even though
 *    libmilter and Sendmail pass 550 4.7.1 through.
 */
#include "config.h"

#include "registry_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct registry_basic *
registry_basic_lookup(unsigned code)
{
	size_t lo = 0, hi = registry_nbasic;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (registry_basic_codes[mid].code == code)
			return &registry_basic_codes[mid];
		if (registry_basic_codes[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
registry_basic_count(void)
{
	return registry_nbasic;
}

const struct registry_basic *
registry_basic_at(size_t i)
{
	return i < registry_nbasic ? &registry_basic_codes[i] : NULL;
}

bool
registry_basic_syntax_ok(unsigned code)
{
	/* RFC 5321 section 4.2: Reply-code = %x32-35 %x30-35 %x30-39 */
	return code >= 200 && code <= 599 && (code / 10) % 10 <= 5;
}

bool
registry_basic_milter_ok(unsigned code)
{
	return registry_basic_syntax_ok(code) && code >= 400;
}

const struct registry_enhanced *
registry_enhanced_lookup(unsigned subject, unsigned detail)
{
	if (subject >= REGISTRY_SUBJECTS || detail >= registry_subject_count[subject])
		return NULL;
	return &registry_enhanced_codes[registry_subject_first[subject] + detail];
}

size_t
registry_enhanced_count(void)
{
	return registry_nenhanced;
}

const struct registry_enhanced *
registry_enhanced_at(size_t i)
{
	return i < registry_nenhanced ? &registry_enhanced_codes[i] : NULL;
}

/* class_bit - the mask bit of class digit cls. */
static unsigned
class_bit(unsigned cls)
{
	return cls < 8 ? 1u << cls : 0;
}

unsigned
registry_enhanced_classes(const struct registry_enhanced *e)
{
	unsigned classes = e->stated_classes | e->wildcard_classes;

	for (const unsigned short *b = e->basics; *b != 0; b++)
		classes |= class_bit(*b / 100);
	if (e->amended_basic != 0)
		classes |= class_bit(e->amended_basic / 100);
	return classes;
}

/* twin_of - RFC 5321's transient/permanent twin of basic, or 0. */
static unsigned
twin_of(unsigned basic)
{
	switch (basic) {
	case 450: return 550;
	case 550: return 450;
	case 452: return 552;
	case 552: return 452;
	default: return 0;
	}
}

/* lists_exactly - whether e names basic, by number, wildcard or amendment. */
static bool
lists_exactly(const struct registry_enhanced *e, unsigned basic)
{
	if (e->basic_kind == REGISTRY_BASIC_ANY)
		return true;
	if (e->amended_basic == basic)
		return true;
	if (e->wildcard_classes & class_bit(basic / 100))
		return true;
	for (const unsigned short *b = e->basics; *b != 0; b++)
		if (*b == basic)
			return true;
	return false;
}

bool
registry_enhanced_lists(const struct registry_enhanced *e, unsigned basic)
{
	unsigned twin = twin_of(basic);

	return lists_exactly(e, basic) || (twin != 0 && lists_exactly(e, twin));
}

unsigned
registry_enhanced_basic_for(const struct registry_enhanced *e, unsigned cls)
{
	/* The registry's lists are sets; a milter's usual codes come first. */
	static const unsigned short preferred[] = { 550, 451, 450 };

	for (size_t i = 0; i < NELEM(preferred); i++)
		if (preferred[i] / 100 == cls &&
		    preferred[i] != e->discouraged_basic &&
		    lists_exactly(e, preferred[i]))
			return preferred[i];
	for (const unsigned short *b = e->basics; *b != 0; b++)
		if (*b / 100 == cls && *b != e->discouraged_basic)
			return *b;
	if (e->amended_basic / 100 == cls)
		return e->amended_basic;
	/* A listed code's twin, e.g. 450 for X.1.1 (451, 550), but only in a
	 * class the entry is meant for. */
	if (!(registry_enhanced_classes(e) & class_bit(cls)))
		return 0;
	for (const unsigned short *b = e->basics; *b != 0; b++) {
		unsigned twin = twin_of(*b);

		if (twin / 100 == cls)
			return twin;
	}
	return 0;
}

char *
registry_format_basics(const struct registry_enhanced *e, char *buf,
    size_t size)
{
	size_t used = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	switch (e->basic_kind) {
	case REGISTRY_BASIC_ANY:
		snprintf(buf, size, "any");
		return buf;
	case REGISTRY_BASIC_NONE:
		snprintf(buf, size, "-");
		return buf;
	case REGISTRY_BASIC_LIST:
		break;
	}
	for (const unsigned short *b = e->basics; *b != 0 && used < size; b++)
		used += snprintf(buf + used, size - used, "%s%u",
		    used ? "," : "", *b);
	for (unsigned cls = 4; cls <= 5 && used < size; cls++)
		if (e->wildcard_classes & class_bit(cls))
			used += snprintf(buf + used, size - used, "%s%uXX",
			    used ? "," : "", cls);
	return buf;
}

const char *
registry_class_name(unsigned cls)
{
	return cls < REGISTRY_CLASSES ? registry_class_names[cls] : NULL;
}

const char *
registry_subject_name(unsigned subject)
{
	return subject < REGISTRY_SUBJECTS ? registry_subject_names[subject] : NULL;
}

/* parse_number - digits at *p (1 to max, no leading zero) into *out; the
 * position after them, or NULL. */
static const char *
parse_number(const char *p, unsigned max_digits, unsigned *out)
{
	unsigned n = 0, digits = 0;

	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return NULL;
	while (*p >= '0' && *p <= '9') {
		if (++digits > max_digits)
			return NULL;
		n = n * 10 + (unsigned)(*p++ - '0');
	}
	if (digits == 0)
		return NULL;
	*out = n;
	return p;
}

int
registry_parse_xcode(const char *text, struct registry_xcode *out)
{
	struct registry_xcode x;
	const char *p = text;

	/* RFC 3463 section 2: class "." subject "." detail */
	if (p == NULL || (*p != '2' && *p != '4' && *p != '5') || p[1] != '.')
		return -1;
	x.cls = (unsigned)(*p - '0');
	p += 2;
	if ((p = parse_number(p, 3, &x.subject)) == NULL || *p++ != '.')
		return -1;
	if ((p = parse_number(p, 3, &x.detail)) == NULL || *p != '\0')
		return -1;
	*out = x;
	return 0;
}

int
registry_parse_basic(const char *text)
{
	if (text == NULL || strlen(text) != 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (text[i] < '0' || text[i] > '9')
			return -1;
	return (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
}

char *
registry_format_xcode(const struct registry_xcode *x, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u", x->cls, x->subject, x->detail);
	return buf;
}

const char *
registry_severity_name(enum registry_severity s)
{
	switch (s) {
	case REGISTRY_OK: return "ok";
	case REGISTRY_WARNING: return "warning";
	case REGISTRY_ERROR: return "error";
	}
	return "?";
}

const struct registry_finding *
registry_verdict_worst(const struct registry_verdict *v)
{
	for (unsigned i = 0; i < v->nfindings; i++)
		if (v->findings[i].severity == v->severity)
			return &v->findings[i];
	return NULL;
}

/* add_finding - append a finding with a printf-style sentence to v; the
 * finding, or NULL when v is full (the verdict's severity still counts). */
static struct registry_finding *
add_finding(struct registry_verdict *v, enum registry_severity severity,
    enum registry_problem problem, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct registry_finding *
add_finding(struct registry_verdict *v, enum registry_severity severity,
    enum registry_problem problem, const char *fmt, ...)
{
	struct registry_finding *f;
	va_list ap;

	if (severity > v->severity)
		v->severity = severity;
	if (v->nfindings == REGISTRY_MAX_FINDINGS)
		return NULL;
	f = &v->findings[v->nfindings++];
	memset(f, 0, sizeof(*f));
	f->severity = severity;
	f->problem = problem;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return f;
}

/* suggest - add the pair (basic, cls.subject.detail) to f's suggestions
 * unless it is there already or f is NULL. */
static void
suggest(struct registry_finding *f, unsigned basic, unsigned cls,
    unsigned subject, unsigned detail)
{
	struct registry_pair pair = { basic, { cls, subject, detail } };

	if (f == NULL || basic == 0 || f->nsuggestions == REGISTRY_MAX_SUGGESTIONS)
		return;
	for (unsigned i = 0; i < f->nsuggestions; i++)
		if (memcmp(&f->suggestions[i], &pair, sizeof(pair)) == 0)
			return;
	f->suggestions[f->nsuggestions++] = pair;
}

/* close_findings - end each finding's sentence with its suggestions, as
 * "; did you mean 450 4.7.1 or 550 5.7.1?". */
static void
close_findings(struct registry_verdict *v)
{
	for (unsigned i = 0; i < v->nfindings; i++) {
		struct registry_finding *f = &v->findings[i];
		size_t len = strlen(f->text);

		for (unsigned k = 0; k < f->nsuggestions; k++) {
			const struct registry_pair *s = &f->suggestions[k];

			len += snprintf(f->text + len,
			    len < sizeof(f->text) ? sizeof(f->text) - len : 0,
			    "%s%u %u.%u.%u%s",
			    k == 0 ? "; did you mean " : " or ", s->basic,
			    s->xcode.cls, s->xcode.subject, s->xcode.detail,
			    k + 1 == f->nsuggestions ? "?" : "");
		}
	}
}

/* default_basic - a basic code to pair with X.subject.detail in class
 * cls: the registered one, else the class's "mailbox unavailable" or
 * "local error" code. */
static unsigned
default_basic(const struct registry_enhanced *e, unsigned cls)
{
	unsigned basic = e != NULL ? registry_enhanced_basic_for(e, cls) : 0;

	if (basic != 0)
		return basic;
	if (e != NULL && e->subject == 3)
		return cls == 4 ? 451 : 554;
	return cls == 4 ? 450 : cls == 5 ? 550 : 0;
}

/* check_basic - findings about the basic code alone; false when it is so
 * wrong that pairing checks would only add noise. */
static bool
check_basic(unsigned basic, const struct registry_xcode *x,
    struct registry_verdict *v)
{
	const struct registry_enhanced *e =
	    x != NULL ? registry_enhanced_lookup(x->subject, x->detail) : NULL;
	unsigned cls = x != NULL ? x->cls : basic / 100;
	struct registry_finding *f;

	if (!registry_basic_syntax_ok(basic)) {
		f = add_finding(v, REGISTRY_ERROR, REGISTRY_P_BASIC_SYNTAX,
		    "%u is not an SMTP reply code: RFC 5321 section 4.2 allows "
		    "2 to 5 as first digit and 0 to 5 as second", basic);
		if (x != NULL && (cls == 4 || cls == 5))
			suggest(f, default_basic(e, cls), cls, x->subject,
			    x->detail);
		return false;
	}
	if (basic < 400) {
		add_finding(v, REGISTRY_ERROR, REGISTRY_P_BASIC_NOT_MILTER,
		    "%u cannot be a milter reply: libmilter sends only 4xx and "
		    "5xx replies; a milter accepts by answering continue or "
		    "accept", basic);
		return false;
	}
	if (registry_basic_lookup(basic) == NULL) {
		f = add_finding(v, REGISTRY_ERROR, REGISTRY_P_BASIC_UNDEFINED,
		    "%u is not a reply code that RFC 5321, RFC 7504 or the "
		    "enhanced-code registry defines; clients would read it only "
		    "as a %uxx", basic, basic / 100);
		if (x != NULL && x->cls == basic / 100)
			suggest(f, default_basic(e, x->cls), x->cls,
			    x->subject, x->detail);
		return false;
	}
	if (basic == 421)
		add_finding(v, REGISTRY_OK, REGISTRY_P_NOTE,
		    "421 makes the MTA close the connection after this reply");
	return true;
}

/* check_stage - a stage-fit warning for addressing codes given at the
 * other party's command. */
static void
check_stage(unsigned basic, const struct registry_xcode *x,
    const struct registry_enhanced *e, enum registry_stage stage,
    struct registry_verdict *v)
{
	const struct registry_enhanced *other = NULL;
	struct registry_finding *f = NULL;

	if (e->counterpart[0] != 0 || e->counterpart[1] != 0)
		other = registry_enhanced_lookup(e->counterpart[0],
		    e->counterpart[1]);
	if (stage == REGISTRY_STAGE_RCPT && e->party == REGISTRY_PARTY_SENDER)
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_STAGE_FIT,
		    "X.%u.%u \"%s\" is about the sender, but this reply is "
		    "given at RCPT TO", x->subject, x->detail, e->summary);
	else if (stage == REGISTRY_STAGE_MAIL &&
	    e->party == REGISTRY_PARTY_RECIPIENT)
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_STAGE_FIT,
		    "X.%u.%u \"%s\" is about a recipient, but this reply is "
		    "given at MAIL FROM", x->subject, x->detail, e->summary);
	else if (stage == REGISTRY_STAGE_MAIL && basic == 556)
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_STAGE_FIT,
		    "556 \"Domain does not accept mail\" is for a recipient "
		    "domain, but this reply is given at MAIL FROM (RFC 7505 "
		    "section 4.2 uses 550 5.7.27 for the sender)");
	if (f != NULL && other != NULL)
		suggest(f, default_basic(other, x->cls), x->cls,
		    other->subject, other->detail);
	else if (f != NULL && basic == 556)
		suggest(f, 550, 5, 7, 27);
}

/* check_pairing - findings about an enhanced code the registry knows,
 * given with a basic code of its own class. */
static void
check_pairing(unsigned basic, const struct registry_xcode *x,
    const struct registry_enhanced *e, struct registry_verdict *v)
{
	unsigned classes = registry_enhanced_classes(e);
	struct registry_finding *f;
	char listed[64];

	registry_format_basics(e, listed, sizeof(listed));
	if (classes != 0 && !(classes & class_bit(x->cls))) {
		if (classes == REGISTRY_CLASS_2) {
			f = add_finding(v, REGISTRY_WARNING,
			    REGISTRY_P_SUCCESS_ONLY,
			    "X.%u.%u \"%s\" is a success code; in a rejection it "
			    "tells the client the opposite", x->subject,
			    x->detail, e->summary);
			/* X.1.5 "address valid" is most often meant as X.1.1. */
			suggest(f, basic, x->cls, x->subject,
			    x->subject == 1 ? 1 : 0);
			return;
		}
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_CLASS_NOT_MEANT,
		    "the registry means X.%u.%u \"%s\" for %s failures%s%s",
		    x->subject, x->detail, e->summary,
		    x->cls == 4 ? "permanent" : "transient",
		    e->basic_kind == REGISTRY_BASIC_LIST ?
		    " and pairs it with " : "",
		    e->basic_kind == REGISTRY_BASIC_LIST ? listed : "");
		for (unsigned cls = 4; cls <= 5; cls++)
			if (classes & class_bit(cls))
				suggest(f, default_basic(e, cls), cls,
				    x->subject, x->detail);
		return;
	}
	if (e->discouraged_basic == basic) {
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_UNLISTED_BASIC,
		    "%s", e->policy_note);
		suggest(f, e->amended_basic, x->cls, x->subject, x->detail);
		return;
	}
	if (e->basic_kind == REGISTRY_BASIC_LIST &&
	    !registry_enhanced_lists(e, basic)) {
		unsigned better = registry_enhanced_basic_for(e, x->cls);

		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_UNLISTED_BASIC,
		    "the registry pairs X.%u.%u \"%s\" with %s, not %u",
		    x->subject, x->detail, e->summary, listed, basic);
		suggest(f, better, x->cls, x->subject, x->detail);
		return;
	}
	/* A note only where the pair relies on our reading of the registry. */
	if (e->policy_note != NULL && !e->deprecated &&
	    (basic == e->amended_basic || (e->stated_classes != 0 &&
	    !(e->stated_classes & class_bit(x->cls)))))
		add_finding(v, REGISTRY_OK, REGISTRY_P_NOTE, "%s",
		    e->policy_note);
}

/* suggest_clean - suggest the pair to f only when it would itself pass
 * without a warning: advice that earns a warning is no advice. */
static void
suggest_clean(struct registry_finding *f, unsigned basic, unsigned cls,
    unsigned subject, unsigned detail, enum registry_stage stage)
{
	struct registry_xcode x = { cls, subject, detail };
	struct registry_verdict check;

	if (basic != 0 && registry_validate(basic, &x, stage, 0, &check) ==
	    REGISTRY_OK)
		suggest(f, basic, cls, subject, detail);
}

/*
 * The order of the checks: the basic code alone (syntax, milter, defined),
 * then class agreement, then the registry entry (registered, deprecated,
 * classes meant, listed basic codes), then stage fit.  A class mismatch
 * stops the pairing checks, whose advice would assume the wrong class.
 */
enum registry_severity
registry_validate(unsigned basic, const struct registry_xcode *x,
    enum registry_stage stage, unsigned flags, struct registry_verdict *v)
{
	const struct registry_enhanced *e;
	struct registry_finding *f;
	bool class_ok;

	memset(v, 0, sizeof(*v));
	if (!check_basic(basic, x, v) || x == NULL) {
		close_findings(v);
		return v->severity;
	}
	e = registry_enhanced_lookup(x->subject, x->detail);
	class_ok = x->cls == basic / 100;
	if (!class_ok) {
		f = add_finding(v, REGISTRY_ERROR, REGISTRY_P_CLASS_MISMATCH,
		    "class %u does not match reply %u", x->cls, basic);
		if (x->cls == 4 || x->cls == 5) {
			unsigned twin = twin_of(basic);

			suggest_clean(f, twin / 100 == x->cls ? twin :
			    default_basic(e, x->cls), x->cls, x->subject,
			    x->detail, stage);
		}
		suggest_clean(f, basic, basic / 100, x->subject, x->detail,
		    stage);
	}
	if (e == NULL) {
		if (flags & REGISTRY_F_PRIVATE) {
			add_finding(v, REGISTRY_OK, REGISTRY_P_NOTE,
			    "X.%u.%u is not in the registry; declared a private "
			    "extension", x->subject, x->detail);
		} else if (x->subject >= REGISTRY_SUBJECTS) {
			f = add_finding(v, REGISTRY_ERROR,
			    REGISTRY_P_UNREGISTERED,
			    "subject %u is not defined: RFC 3463 subjects run "
			    "from X.0 to X.7", x->subject);
			suggest(f, basic, basic / 100, 0, 0);
		} else {
			f = add_finding(v, REGISTRY_ERROR,
			    REGISTRY_P_UNREGISTERED,
			    "X.%u.%u is not in the IANA registry (its X.%u codes "
			    "end at X.%u.%u); use the subject's generic code, or "
			    "declare the code a private extension", x->subject,
			    x->detail, x->subject, x->subject,
			    registry_subject_count[x->subject] - 1u);
			suggest(f, basic, basic / 100, x->subject, 0);
		}
		close_findings(v);
		return v->severity;
	}
	if (e->deprecated) {
		f = add_finding(v, REGISTRY_WARNING, REGISTRY_P_DEPRECATED,
		    "%s", e->policy_note);
		suggest(f, class_ok ? default_basic(registry_enhanced_lookup(
		    6, 8), x->cls) : 0, x->cls, 6, 8);
	}
	if (class_ok && !e->deprecated)
		check_pairing(basic, x, e, v);
	if (class_ok)
		check_stage(basic, x, e, stage, v);
	close_findings(v);
	return v->severity;
}
