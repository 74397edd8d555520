/*
 * authres - Authentication-Results headers (RFC 8601): parse them, and
 * turn those from trusted verifiers into check results
 *
 * The parser reads RFC 8601 section 2.2's grammar from left to right:
 *
 *   [CFWS] authserv-id [CFWS authres-version]
 *       ( [CFWS] ";" [CFWS] "none"
 *       / 1*( [CFWS] ";" [CFWS] method [[CFWS] "/" [CFWS] 1*DIGIT]
 *             [CFWS] "=" [CFWS] result
 *             [CFWS "reason" [CFWS] "=" [CFWS] value]
 *             [CFWS 1*(ptype [CFWS] "." [CFWS] property [CFWS] "="
 *                      [CFWS] pvalue [CFWS])] ) ) [CFWS]
 *
 * where method, result, ptype and property are keywords (RFC 5321's
 * Ldh-str, compared in lower case), a value is an RFC 2045 token or a
 * quoted-string (backslash escapes honoured, the quotes and backslashes
 * removed), and CFWS is blanks, line breaks and RFC 5322 comments, nested,
 * with quoted-pairs (a bare CR or LF counts as a blank: milters see
 * folded headers both ways).  Where the RFC leaves a choice open, or
 * where its letter would lose what real verifiers write, this module
 * decides so:
 *   - a pvalue is a quoted-string, a quoted local-part followed by "@" and
 *     a domain, or a bare run of visible characters other than ; ( ) " and
 *     backslash.  That is wider than the RFC's token / [local-part] "@"
 *     domain: verifiers commonly write IPv6 addresses (OpenARC, Exim) and
 *     base64 header.b values unquoted, and since such a run ends at a
 *     blank, ";" or "(", nothing in it can be read two ways.  Everything
 *     else (authserv-id, method, result, reason) is held to the grammar.
 *   - any keyword is a ptype (the ABNF's Keyword), not just the registered
 *     smtp, header, body and policy, so that a newly registered ptype does
 *     not make a whole header unreadable;
 *   - a method version is read and checked for syntax but not kept;
 *   - a field we keep (authserv-id, method, result, reason, header.d,
 *     header.i's domain, header.from) longer than AUTHRES_TOKEN_MAX - 1
 *     bytes, or more than AUTHRES_MAX_RESULTS results, is an error: a
 *     truncated name would be another name;
 *   - a trailing ";" with nothing after it is an error, as the ABNF says.
 *
 * authres_collect() then, for each of spf, dkim, dmarc, arc and iprev,
 * takes the first (topmost) trusted header that has a result for that
 * method, the nearest verifier's view, and within it:
 *   - dkim: pass when any signature passed, else the most telling of the
 *     others present: policy, fail, temperror, permerror, neutral, none;
 *   - dkim_author: pass when every domain of the (one) From: header is
 *     equal to, or a subdomain of, the header.d (or header.i domain) of a
 *     passing signature, fail otherwise, including when there is no From:
 *     header, more than one, or one we cannot read.  A parent domain must
 *     have two labels at least, so that a signature by a top-level domain
 *     vouches for nothing; there is no public suffix list here.  It
 *     stays unknown when no trusted header has a DKIM result;
 *   - spf, dmarc, arc, iprev: the first result for the method.
 * A result word that the check does not know (spf=policy, dkim=hardfail,
 * arc=temperror) leaves that check unknown rather than being mapped to
 * permerror: arc has no permerror, and "we cannot read the verifier" is
 * not "the verifier found the record broken".  The header still wins for
 * that method.  A header whose version is not 1 (the only one RFC 8601
 * defines) is ignored, as is one that does not parse.
 */
#include "config.h"

#include "checks/authres.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks/mailbox.h"
#include "checks/rfc5322.h"

#define AUTHRES_HEADER "Authentication-Results"
#define AUTHRES_VERSION_DIGITS 9	/* fits an unsigned */
#define AUTHRES_PVALUE_MAX 512		/* header.i, before its domain */
#define AUTHRES_AUTHORS_MAX 8		/* From: mailboxes we look at */
#define AUTHRES_ERR_MAX 256

/* Where the parser is in one header value, and where it reports. */
struct cursor {
	const char *base;	/* the start of the value, for offsets */
	const char *p;
	char *err;
	size_t errsize;
};

/* A bounded copy being built: len counts every byte offered, so that
 * len >= size afterwards means it did not fit. */
struct sink {
	char *buf;		/* NULL: only count */
	size_t size;
	size_t len;
};

/* The methods authres_collect reads, with the check each one feeds. */
static const struct {
	const char *method;
	enum check_id id;
} methods[] = {
	{ "spf", CHECK_SPF },
	{ "dkim", CHECK_DKIM },
	{ "dmarc", CHECK_DMARC },
	{ "arc", CHECK_ARC },
	{ "iprev", CHECK_IPREV },
};

#define AUTHRES_NMETHODS (sizeof(methods) / sizeof(methods[0]))

/* DKIM results other than pass, least telling first: the derived result
 * is the last of these present. */
static const char *const dkim_rank[] = {
	"none", "neutral", "permerror", "temperror", "fail", "policy",
};

/* lower - c in lower case, for ASCII letters; other bytes unchanged. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* ieq - whether a and b are equal, ASCII letters compared without case. */
static bool
ieq(const char *a, const char *b)
{
	while (*a != '\0' && lower(*a) == lower(*b)) {
		a++;
		b++;
	}
	return lower(*a) == lower(*b);
}

/* ieqn - whether the n bytes at a and b are equal without ASCII case. */
static bool
ieqn(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* is_alnum - whether c is an ASCII letter or digit. */
static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* is_digit - whether c is an ASCII digit. */
static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_token - whether c may appear in an RFC 2045 token. */
static bool
is_token(char c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* is_bare - whether c may appear in an unquoted pvalue as we read it:
 * visible, or UTF-8 (RFC 8616), but not ; ( ) " or backslash. */
static bool
is_bare(char c)
{
	unsigned char u = (unsigned char)c;

	return u > ' ' && u != 0x7f && strchr(";()\"\\", c) == NULL;
}

/* sink_put - nothing; offers c to s. */
static void
sink_put(struct sink *s, char c)
{
	if (s->buf != NULL && s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
	if (s->buf != NULL && s->size > 0)
		s->buf[s->len < s->size ? s->len : s->size - 1] = '\0';
}

/* sink_quoted - just past the quoted-string at p, its content unescaped
 * and unfolded offered to s; NULL when it is not closed. */
static const char *
sink_quoted(struct sink *s, const char *p)
{
	const char *end = rfc5322_quoted_end(p);

	if (end == NULL)
		return NULL;
	for (p++; p < end - 1; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '\r' || *p == '\n')
			continue;
		sink_put(s, *p);
	}
	return end;
}

/* show_char - c as a message shows it, written into buf: itself when it
 * is visible ASCII, else \xNN. */
static const char *
show_char(char c, char buf[8])
{
	if (c > ' ' && c < 0x7f)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", (unsigned)(unsigned char)c);
	return buf;
}

/* fail - -1, with the message and " at offset N" (N: at's offset in the
 * value) in c's error buffer. */
static int __attribute__((format(printf, 3, 4)))
fail(struct cursor *c, const char *at, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (c->err == NULL || c->errsize == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errsize, fmt, ap);
	va_end(ap);
	n = strlen(c->err);
	snprintf(c->err + n, c->errsize - n, " at offset %zu",
	    (size_t)(at - c->base));
	return -1;
}

/* skip_cfws - 0 past the blanks, line breaks and comments at c->p (moved,
 * when not NULL, says whether there were any); -1 on an unclosed comment. */
static int
skip_cfws(struct cursor *c, bool *moved)
{
	const char *from = c->p;

	for (;;) {
		if (rfc5322_is_wsp(*c->p))
			c->p++;
		else if (*c->p == '(') {
			const char *end = rfc5322_comment_end(c->p);

			if (end == NULL)
				return fail(c, c->p, "unclosed comment");
			c->p = end;
		} else
			break;
	}
	if (moved != NULL)
		*moved = c->p != from;
	return 0;
}

/* read_keyword - 1 with the keyword (RFC 5321 Ldh-str) at c->p copied in
 * lower case into buf, 0 when none starts there, -1 when it is too long
 * or ends in "-"; what names it in messages. */
static int
read_keyword(struct cursor *c, const char *what, char *buf, size_t size)
{
	const char *start = c->p;
	size_t len = 0;

	while (is_alnum(*c->p) || *c->p == '-') {
		if (len + 1 < size)
			buf[len] = lower(*c->p);
		len++;
		c->p++;
	}
	if (len == 0)
		return 0;
	if (len >= size)
		return fail(c, start, "%s longer than %zu bytes", what,
		    size - 1);
	buf[len] = '\0';
	if (buf[len - 1] == '-')
		return fail(c, start, "%s \"%s\" ends in \"-\"", what, buf);
	return 1;
}

/* read_value - 1 with the value (token or quoted-string) at c->p copied
 * unquoted into buf (NULL: not kept), 0 when none starts there, -1 when it
 * is too long or not closed; what names it in messages. */
static int
read_value(struct cursor *c, const char *what, char *buf, size_t size)
{
	struct sink s = { buf, size, 0 };
	const char *start = c->p;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	if (*c->p == '"') {
		if ((c->p = sink_quoted(&s, c->p)) == NULL) {
			c->p = start;
			return fail(c, start, "unclosed quoted-string in %s",
			    what);
		}
	} else {
		while (is_token(*c->p))
			sink_put(&s, *c->p++);
		if (s.len == 0)
			return 0;
	}
	if (buf != NULL && s.len >= size)
		return fail(c, start, "%s longer than %zu bytes", what,
		    size - 1);
	return 1;
}

/* read_pvalue - like read_value, for a property's value: a quoted-string,
 * a quoted local-part with "@" and a domain, or a bare run (see the top of
 * this file). */
static int
read_pvalue(struct cursor *c, const char *what, char *buf, size_t size)
{
	struct sink s = { buf, size, 0 };
	const char *start = c->p;

	if (buf != NULL && size > 0)
		buf[0] = '\0';
	if (*c->p == '"') {
		if ((c->p = sink_quoted(&s, c->p)) == NULL) {
			c->p = start;
			return fail(c, start, "unclosed quoted-string in %s",
			    what);
		}
		if (*c->p != '@')
			goto done;
	}
	while (is_bare(*c->p))
		sink_put(&s, *c->p++);
	if (s.len == 0 && c->p == start)
		return 0;
done:
	if (buf != NULL && s.len >= size)
		return fail(c, start, "%s longer than %zu bytes", what,
		    size - 1);
	return 1;
}

/* read_property_value - 0 after reading the value of ptype.property at
 * c->p, noting header.d, header.i's domain (when there is no header.d)
 * and header.from in r (the first of each); -1 when it is missing, too
 * long or bad.  Other properties are read and dropped. */
static int
read_property_value(struct cursor *c, struct authres_result *r,
    const char *ptype, const char *property, bool *have_d)
{
	char what[2 * AUTHRES_TOKEN_MAX + 16];
	char value[AUTHRES_PVALUE_MAX];
	const char *start = c->p, *at;
	bool header = strcmp(ptype, "header") == 0;
	int got;

	snprintf(what, sizeof(what), "the value of %s.%s", ptype, property);
	if (header && strcmp(property, "d") == 0)
		got = read_pvalue(c, what, *have_d ? NULL : r->header_d,
		    sizeof(r->header_d));
	else if (header && strcmp(property, "from") == 0)
		got = read_pvalue(c, what, r->header_from[0] != '\0' ? NULL :
		    r->header_from, sizeof(r->header_from));
	else if (header && strcmp(property, "i") == 0 && !*have_d &&
	    r->header_d[0] == '\0') {
		if ((got = read_pvalue(c, what, value, sizeof(value))) != 1)
			goto out;
		/* The domain of an AUID ("[local]@domain", RFC 6376 3.5); a
		 * value without "@" names no domain. */
		if ((at = strrchr(value, '@')) == NULL)
			return 0;
		if (strlen(at + 1) >= sizeof(r->header_d))
			return fail(c, start, "the domain of header.i longer "
			    "than %zu bytes", sizeof(r->header_d) - 1);
		memcpy(r->header_d, at + 1, strlen(at + 1) + 1);
		return 0;
	} else
		got = read_pvalue(c, what, NULL, 0);
	if (got == 1 && header && strcmp(property, "d") == 0)
		*have_d = true;
out:
	if (got == 0)
		return fail(c, c->p, "missing value after \"%s.%s=\"", ptype,
		    property);
	return got == 1 ? 0 : -1;
}

/* parse_resinfo - 0 after reading one "method=result ..." at c->p (just
 * past its ";") into r; 1 when it is the "none" of a header without
 * results (first says whether it may be); -1 on bad syntax. */
static int
parse_resinfo(struct cursor *c, struct authres_result *r, bool first)
{
	char ptype[AUTHRES_TOKEN_MAX], property[AUTHRES_TOKEN_MAX], ch[8];
	const char *at;
	bool moved, have_d = false, have_props = false, have_reason = false;
	const char *after = "result";
	int got;

	if (skip_cfws(c, NULL) != 0)
		return -1;
	at = c->p;
	if ((got = read_keyword(c, "method", r->method, sizeof(r->method))) < 0)
		return -1;
	if (got == 0 && *at == '\0')
		return fail(c, at, "missing method after \";\"");
	if (got == 0)
		return fail(c, at, "unexpected \"%s\" where a method should be",
		    show_char(*at, ch));
	if (skip_cfws(c, NULL) != 0)
		return -1;
	if (strcmp(r->method, "none") == 0 && (*c->p == '\0' || *c->p == ';')) {
		if (!first || *c->p == ';')
			return fail(c, at, "\"none\" must be the only result");
		return 1;
	}
	if (*c->p == '/') {
		c->p++;
		if (skip_cfws(c, NULL) != 0)
			return -1;
		at = c->p;
		while (is_digit(*c->p))
			c->p++;
		if (c->p == at)
			return fail(c, at, "missing version after \"%s/\"",
			    r->method);
		if (skip_cfws(c, NULL) != 0)
			return -1;
	}
	if (*c->p != '=')
		return fail(c, c->p, "missing \"=\" after method \"%s\"",
		    r->method);
	c->p++;
	if (skip_cfws(c, NULL) != 0)
		return -1;
	at = c->p;
	if ((got = read_keyword(c, "result", r->result, sizeof(r->result))) < 0)
		return -1;
	if (got == 0)
		return fail(c, at, "missing result after \"%s=\"", r->method);
	if (skip_cfws(c, &moved) != 0)
		return -1;
	while (*c->p != ';' && *c->p != '\0') {
		at = c->p;
		if (!moved)
			return fail(c, at, "unexpected \"%s\" after the %s "
			    "of \"%s\"", show_char(*at, ch), after, r->method);
		if ((got = read_keyword(c, "ptype", ptype, sizeof(ptype))) < 0)
			return -1;
		if (got == 0)
			return fail(c, at, "unexpected \"%s\" where a property "
			    "(ptype.property=value) should be",
			    show_char(*at, ch));
		if (skip_cfws(c, NULL) != 0)
			return -1;
		if (strcmp(ptype, "reason") == 0 && *c->p == '=') {
			if (have_props || have_reason)
				return fail(c, at, have_reason ? "second "
				    "\"reason\" for \"%s\"" : "\"reason\" must "
				    "come before the properties of \"%s\"",
				    r->method);
			have_reason = true;
			c->p++;
			if (skip_cfws(c, NULL) != 0)
				return -1;
			at = c->p;
			if ((got = read_value(c, "reason", r->reason,
			    sizeof(r->reason))) < 0)
				return -1;
			if (got == 0)
				return fail(c, at, "missing value after "
				    "\"reason=\"");
			if (skip_cfws(c, &moved) != 0)
				return -1;
			after = "reason";
			continue;
		}
		if (*c->p != '.')
			return fail(c, c->p, "missing \".\" after ptype \"%s\"",
			    ptype);
		c->p++;
		if (skip_cfws(c, NULL) != 0)
			return -1;
		at = c->p;
		if ((got = read_keyword(c, "property", property,
		    sizeof(property))) < 0)
			return -1;
		if (got == 0)
			return fail(c, at, "missing property after \"%s.\"",
			    ptype);
		if (skip_cfws(c, NULL) != 0)
			return -1;
		if (*c->p != '=')
			return fail(c, c->p, "missing \"=\" after property "
			    "\"%s.%s\"", ptype, property);
		c->p++;
		if (skip_cfws(c, NULL) != 0 ||
		    read_property_value(c, r, ptype, property, &have_d) != 0)
			return -1;
		have_props = true;
		/* A quoted-string may be followed at once by the next
		 * property: pvalue's own [CFWS] is optional. */
		if (skip_cfws(c, &moved) != 0)
			return -1;
		moved = moved || c->p[-1] == '"';
	}
	return 0;
}

int
authres_parse(const char *value, struct authres *out, char *err,
    size_t errsize)
{
	struct cursor c = { value, value, err, errsize };
	const char *at;
	char ch[8];
	bool moved;
	int got;

	memset(out, 0, sizeof(*out));
	out->version = 1;
	if (err != NULL && errsize > 0)
		err[0] = '\0';
	if (skip_cfws(&c, NULL) != 0)
		return -1;
	at = c.p;
	if ((got = read_value(&c, "authserv-id", out->authserv_id,
	    sizeof(out->authserv_id))) < 0)
		return -1;
	if (got == 0 && *at == '\0')
		return fail(&c, at, "missing authserv-id");
	if (got == 0)
		return fail(&c, at, "unexpected \"%s\" where the authserv-id "
		    "should be", show_char(*at, ch));
	if (skip_cfws(&c, &moved) != 0)
		return -1;
	if (is_digit(*c.p)) {
		unsigned v = 0, n = 0;

		at = c.p;
		if (!moved)
			return fail(&c, at, "missing space between the "
			    "authserv-id and its version");
		for (; is_digit(*c.p); c.p++)
			if (++n <= AUTHRES_VERSION_DIGITS)
				v = v * 10 + (unsigned)(*c.p - '0');
		if (n > AUTHRES_VERSION_DIGITS)
			return fail(&c, at, "version longer than %d digits",
			    AUTHRES_VERSION_DIGITS);
		out->version = v;
		if (skip_cfws(&c, NULL) != 0)
			return -1;
	}
	if (*c.p == '\0')
		return fail(&c, c.p, "missing \";\" and results (or \"none\") "
		    "after the authserv-id");
	if (*c.p != ';')
		return fail(&c, c.p, "unexpected \"%s\" after the authserv-id",
		    show_char(*c.p, ch));
	while (*c.p == ';') {
		if (out->nresults == AUTHRES_MAX_RESULTS)
			return fail(&c, c.p, "more than %d results",
			    AUTHRES_MAX_RESULTS);
		c.p++;
		got = parse_resinfo(&c, &out->results[out->nresults],
		    out->nresults == 0);
		if (got < 0)
			return -1;
		if (got == 1) {
			memset(&out->results[0], 0, sizeof(out->results[0]));
			break;
		}
		out->nresults++;
	}
	return 0;
}

/* domain_covers - whether signing domain d is author, or a parent domain
 * of it with two labels at least; case and a trailing dot do not count. */
static bool
domain_covers(const char *d, const char *author)
{
	size_t dl = strlen(d), al = strlen(author);

	if (dl > 0 && d[dl - 1] == '.')
		dl--;
	if (al > 0 && author[al - 1] == '.')
		al--;
	if (dl == 0 || dl > al)
		return false;
	if (dl == al)
		return ieqn(d, author, dl);
	return author[al - dl - 1] == '.' && ieqn(d, author + al - dl, dl) &&
	    memchr(d, '.', dl) != NULL;
}

/* dkim_author - the dkim_author result for ar's DKIM results, given the
 * message's From: header among headers. */
static unsigned
dkim_author(const struct session_header *headers, size_t nheaders,
    const struct authres *ar)
{
	char doms[AUTHRES_AUTHORS_MAX][MAILBOX_DOMAIN_SIZE];
	const char *from = NULL;
	unsigned nfrom = 0;
	int n;

	for (size_t i = 0; i < nheaders; i++)
		if (ieq(headers[i].name, "From")) {
			from = headers[i].value;
			nfrom++;
		}
	if (nfrom != 1 || (n = mailbox_domains(from, doms,
	    AUTHRES_AUTHORS_MAX)) < 0)
		return check_result(CHECK_DKIM_AUTHOR, "fail");
	for (int k = 0; k < n; k++) {
		bool matched = false;

		for (unsigned i = 0; i < ar->nresults && !matched; i++) {
			const struct authres_result *r = &ar->results[i];

			matched = strcmp(r->method, "dkim") == 0 &&
			    strcmp(r->result, "pass") == 0 &&
			    domain_covers(r->header_d, doms[k]);
		}
		if (!matched)
			return check_result(CHECK_DKIM_AUTHOR,
			    "fail");
	}
	return check_result(CHECK_DKIM_AUTHOR, "pass");
}

/* dkim_result - the dkim result for ar's DKIM results: pass when one
 * passed, else the most telling of the others. */
static unsigned
dkim_result(const struct authres *ar)
{
	const char *best = NULL;
	int best_rank = -1;

	for (unsigned i = 0; i < ar->nresults; i++) {
		const struct authres_result *r = &ar->results[i];

		if (strcmp(r->method, "dkim") != 0)
			continue;
		if (strcmp(r->result, "pass") == 0) {
			best = "pass";
			break;
		}
		for (int k = 0; k < (int)(sizeof(dkim_rank) /
		    sizeof(dkim_rank[0])); k++)
			if (strcmp(r->result, dkim_rank[k]) == 0 &&
			    k > best_rank) {
				best_rank = k;
				best = dkim_rank[k];
			}
	}
	return best == NULL ? CHECK_RESULT_UNKNOWN :
	    check_result(CHECK_DKIM, best);
}

/* leading_id - the authserv-id at the start of an A-R value, read as the
 * parser does its first token (CFWS skipped), into buf; buf, or NULL when
 * there is none. */
static const char *
leading_id(const char *v, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		while (rfc5322_is_wsp(*v))
			v++;
		if (*v != '(')
			break;
		if ((v = rfc5322_comment_end(v)) == NULL)
			return NULL;
	}
	while (*v != '\0' && *v != ';' && *v != '(' && !rfc5322_is_wsp(*v)) {
		if (n + 1 >= size)
			return NULL;
		buf[n++] = *v++;
	}
	buf[n] = '\0';
	return n > 0 ? buf : NULL;
}

int
authres_claiming(const struct session_header *headers, size_t nheaders,
    const char *id, unsigned *idx, unsigned max)
{
	char buf[AUTHRES_TOKEN_MAX];
	unsigned occurrence = 0, n = 0;

	for (size_t i = 0; i < nheaders; i++) {
		const char *got;

		if (!ieq(headers[i].name, AUTHRES_HEADER))
			continue;
		occurrence++;
		if ((got = leading_id(headers[i].value, buf, sizeof(buf))) ==
		    NULL || !ieq(got, id))
			continue;
		if (n == max)
			return -1;
		idx[n++] = occurrence;
	}
	return (int)n;
}

/* is_trusted - whether id is one of the ntrusted ids, without case. */
static bool
is_trusted(const char *id, const char *const *trusted, unsigned ntrusted)
{
	for (unsigned i = 0; i < ntrusted; i++)
		if (trusted[i] != NULL && ieq(id, trusted[i]))
			return true;
	return false;
}

/* first_result - the first result in ar for method, or NULL. */
static const struct authres_result *
first_result(const struct authres *ar, const char *method)
{
	for (unsigned i = 0; i < ar->nresults; i++)
		if (strcmp(ar->results[i].method, method) == 0)
			return &ar->results[i];
	return NULL;
}

void
authres_collect(const struct session_header *headers, size_t nheaders,
    const char *const *trusted, unsigned ntrusted, struct authres_facts *out)
{
	bool done[AUTHRES_NMETHODS] = { false };
	char err[AUTHRES_ERR_MAX];
	struct authres ar;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nheaders; i++) {
		if (!ieq(headers[i].name, AUTHRES_HEADER))
			continue;
		if (authres_parse(headers[i].value, &ar, err,
		    sizeof(err)) != 0 || ar.version != 1 ||
		    !is_trusted(ar.authserv_id, trusted, ntrusted)) {
			out->ignored_headers++;
			continue;
		}
		out->trusted_headers++;
		for (unsigned m = 0; m < AUTHRES_NMETHODS; m++) {
			const struct authres_result *r;
			int idx;

			if (done[m] || (r = first_result(&ar,
			    methods[m].method)) == NULL)
				continue;
			done[m] = true;
			if (methods[m].id == CHECK_DKIM) {
				out->result[CHECK_DKIM] = dkim_result(&ar);
				out->result[CHECK_DKIM_AUTHOR] =
				    dkim_author(headers,
				    nheaders, &ar);
				continue;
			}
			idx = check_result_lookup(methods[m].id, r->result);
			out->result[methods[m].id] = idx < 0 ?
			    CHECK_RESULT_UNKNOWN : (unsigned)idx;
		}
	}
}
