/*
 * reply - an SMTP reply as a value: basic code, enhanced code, text lines
 */
#include "config.h"

#include "reply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reply {
	unsigned basic;
	bool has_xcode;
	struct registry_xcode xcode;
	unsigned nlines;
	char *lines[REPLY_MAX_LINES];	/* templates, as the admin wrote them */
};

static const char *const var_names[REPLY_VAR_COUNT] = {
	[REPLY_VAR_CLIENT_ADDR] = "client_addr",
	[REPLY_VAR_CLIENT_NAME] = "client_name",
	[REPLY_VAR_HELO] = "helo",
	[REPLY_VAR_SENDER] = "sender",
	[REPLY_VAR_SENDER_DOMAIN] = "sender_domain",
	[REPLY_VAR_RCPT] = "rcpt",
	[REPLY_VAR_RCPT_DOMAIN] = "rcpt_domain",
	[REPLY_VAR_QUEUE_ID] = "queue_id",
	[REPLY_VAR_RULE] = "rule",
	[REPLY_VAR_REPLY_ID] = "reply_id",
	[REPLY_VAR_DNSBL_ZONE] = "dnsbl_zone",
	[REPLY_VAR_DNSBL_TEXT] = "dnsbl_text",
	[REPLY_VAR_LIMIT] = "limit",
	[REPLY_VAR_RETRY_AFTER] = "retry_after",
};

const char *
reply_var_name(enum reply_var var)
{
	return var < REPLY_VAR_COUNT ? var_names[var] : "?";
}

const char *
reply_var_list(void)
{
	return "client_addr, client_name, helo, sender, sender_domain, rcpt, "
	    "rcpt_domain, queue_id, rule, reply_id, dnsbl_zone, dnsbl_text, "
	    "limit, retry_after";
}

/* var_lookup - the variable named by the len bytes at name, or -1. */
static int
var_lookup(const char *name, size_t len)
{
	for (int i = 0; i < REPLY_VAR_COUNT; i++)
		if (strlen(var_names[i]) == len &&
		    memcmp(var_names[i], name, len) == 0)
			return i;
	return -1;
}

/*
 * template_scan - walk template t: call literal() for each run of literal
 * bytes (with '%%' and lone '%' already reduced to one '%') and var() for
 * each %{name}; 0, or -1 with err set when a %{ is unknown or unclosed or a
 * byte cannot appear in a reply.  Either callback may be NULL.
 */
static int
template_scan(const char *t,
    void (*literal)(void *arg, const char *text, size_t len),
    void (*var)(void *arg, enum reply_var v), void *arg, char *err,
    size_t errsize)
{
	const char *p = t;

	while (*p != '\0') {
		size_t run = strcspn(p, "%\r\n\t");
		int v;

		for (size_t i = 0; i < run; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f ||
			    (unsigned char)p[i] >= 0x80) {
				snprintf(err, errsize, "byte 0x%02x cannot appear "
				    "in a reply: SMTP replies are printable "
				    "ASCII", (unsigned char)p[i]);
				return -1;
			}
		if (run > 0 && literal != NULL)
			literal(arg, p, run);
		p += run;
		if (*p == '\0')
			break;
		if (*p == '\r' || *p == '\n') {
			snprintf(err, errsize, "a line break inside a reply "
			    "line: give each line as its own string, e.g. "
			    "reply = { \"550 5.7.1 first\", \"second\" }");
			return -1;
		}
		if (*p == '\t') {
			if (literal != NULL)
				literal(arg, " ", 1);
			p++;
			continue;
		}
		/* *p == '%' */
		if (p[1] != '{') {
			if (literal != NULL)
				literal(arg, "%", 1);
			p += p[1] == '%' ? 2 : 1;
			continue;
		}
		{
			const char *end = strchr(p + 2, '}');

			if (end == NULL) {
				snprintf(err, errsize, "\"%%{\" without a closing "
				    "\"}\"; write %%%% for a percent sign");
				return -1;
			}
			if ((v = var_lookup(p + 2, (size_t)(end - p - 2))) < 0) {
				snprintf(err, errsize, "unknown value %%{%.*s}; "
				    "known: %s", (int)(end - p - 2), p + 2,
				    reply_var_list());
				return -1;
			}
			if (var != NULL)
				var(arg, (enum reply_var)v);
			p = end + 1;
		}
	}
	return 0;
}

/* check_template - 0 when t is a valid template, else -1 with err. */
static int
check_template(const char *t, char *err, size_t errsize)
{
	return template_scan(t, NULL, NULL, NULL, err, errsize);
}

/* reply_alloc - an empty reply, or NULL. */
static struct reply *
reply_alloc(void)
{
	return calloc(1, sizeof(struct reply));
}

void
reply_free(struct reply *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r);
}

/* add_line - append a copy of template t to r; 0, or -1 with err. */
static int
add_line(struct reply *r, const char *t, char *err, size_t errsize)
{
	if (r->nlines == REPLY_MAX_LINES) {
		snprintf(err, errsize, "more than %d lines: libmilter sends at "
		    "most %d", REPLY_MAX_LINES, REPLY_MAX_LINES);
		return -1;
	}
	if (check_template(t, err, errsize) != 0)
		return -1;
	if ((r->lines[r->nlines] = strdup(t)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->nlines++;
	return 0;
}

/* skip_blanks - p after spaces and tabs. */
static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* take_word - copy the word at *p into buf and advance *p; the length. */
static size_t
take_word(const char **p, char *buf, size_t size)
{
	size_t len = strcspn(*p, " \t");

	snprintf(buf, size, "%.*s", (int)len, *p);
	*p += len;
	return len;
}

struct reply *
reply_parse(const char *const *lines, unsigned nlines, char *err,
    size_t errsize)
{
	struct reply *r;
	const char *p;
	char word[32];

	if (nlines == 0 || lines[0] == NULL) {
		snprintf(err, errsize, "empty reply");
		return NULL;
	}
	if ((r = reply_alloc()) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	p = skip_blanks(lines[0]);
	/* A basic code: three digits standing alone. */
	if (isdigit((unsigned char)p[0]) && strcspn(p, " \t") == 3 &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
		take_word(&p, word, sizeof(word));
		r->basic = (unsigned)registry_parse_basic(word);
		p = skip_blanks(p);
	} else if (isdigit((unsigned char)p[0]) && p[1] != '.') {
		take_word(&p, word, sizeof(word));
		snprintf(err, errsize, "\"%s\" is not a reply code: write three "
		    "digits, e.g. 550", word);
		goto fail;
	}
	/* An enhanced code: a word with dots that starts with a digit. */
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		take_word(&p, word, sizeof(word));
		if (registry_parse_xcode(word, &r->xcode) != 0) {
			snprintf(err, errsize, "\"%s\" is not an enhanced status "
			    "code: write class.subject.detail with class 2, 4 "
			    "or 5, e.g. 5.7.1", word);
			goto fail;
		}
		r->has_xcode = true;
		p = skip_blanks(p);
	}
	if (*p != '\0' && add_line(r, p, err, errsize) != 0)
		goto fail;
	for (unsigned i = 1; i < nlines; i++) {
		p = lines[i];
		if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1])
		    && isdigit((unsigned char)p[2]) && (p[3] == '-' ||
		    p[3] == ' ')) {
			snprintf(err, errsize, "line %u starts with a reply code: "
			    "give the codes once, on the first line; later lines "
			    "are text only", i + 1);
			goto fail;
		}
		if (add_line(r, p, err, errsize) != 0)
			goto fail;
	}
	return r;
fail:
	reply_free(r);
	return NULL;
}

struct reply *
reply_new(unsigned basic, const struct registry_xcode *xcode,
    const char *text, char *err, size_t errsize)
{
	struct reply *r = reply_alloc();

	if (r == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	reply_set_codes(r, basic, xcode);
	if (text != NULL && add_line(r, text, err, errsize) != 0) {
		reply_free(r);
		return NULL;
	}
	return r;
}

struct reply *
reply_copy_with_codes(const struct reply *r, unsigned basic,
    const struct registry_xcode *xcode)
{
	struct reply *c = reply_alloc();

	if (c == NULL)
		return NULL;
	reply_set_codes(c, basic, xcode);
	for (unsigned i = 0; i < r->nlines; i++) {
		if ((c->lines[i] = strdup(r->lines[i])) == NULL) {
			reply_free(c);
			return NULL;
		}
		c->nlines = i + 1;
	}
	return c;
}

unsigned
reply_basic(const struct reply *r)
{
	return r->basic;
}

const struct registry_xcode *
reply_xcode(const struct reply *r)
{
	return r->has_xcode ? &r->xcode : NULL;
}

unsigned
reply_nlines(const struct reply *r)
{
	return r->nlines;
}

const char *
reply_line(const struct reply *r, unsigned i)
{
	return i < r->nlines ? r->lines[i] : NULL;
}

char *
reply_describe(const struct reply *r, char *buf, size_t size)
{
	size_t used;

	used = (size_t)snprintf(buf, size, "%03u", r->basic);
	if (r->has_xcode && used < size)
		used += (size_t)snprintf(buf + used, size - used, " %u.%u.%u",
		    r->xcode.cls, r->xcode.subject, r->xcode.detail);
	for (unsigned i = 0; i < r->nlines && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
		    i == 0 ? " " : " / ", r->lines[i]);
	return buf;
}

void
reply_set_codes(struct reply *r, unsigned basic,
    const struct registry_xcode *xcode)
{
	r->basic = basic;
	r->has_xcode = xcode != NULL;
	if (xcode != NULL)
		r->xcode = *xcode;
}

int
reply_set_text(struct reply *r, const char *text, char *err, size_t errsize)
{
	char *copy;

	if (check_template(text, err, errsize) != 0)
		return -1;
	if ((copy = strdup(text)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	r->lines[0] = copy;
	r->nlines = 1;
	return 0;
}

int
reply_append_text(struct reply *r, const char *text, char *err,
    size_t errsize)
{
	size_t have, add = strlen(text);
	char *grown;

	if (r->nlines == 0)
		return reply_set_text(r, text, err, errsize);
	if (check_template(text, err, errsize) != 0)
		return -1;
	have = strlen(r->lines[r->nlines - 1]);
	if ((grown = realloc(r->lines[r->nlines - 1], have + add + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	memcpy(grown + have, text, add + 1);
	r->lines[r->nlines - 1] = grown;
	return 0;
}

/* Accumulates which variables a template names. */
struct uses {
	enum reply_var want;
	bool found;
};

/* note_use - a template_scan var callback for reply_uses. */
static void
note_use(void *arg, enum reply_var v)
{
	struct uses *u = arg;

	if (v == u->want)
		u->found = true;
}

bool
reply_uses(const struct reply *r, enum reply_var var)
{
	struct uses u = { var, false };
	char err[8];

	for (unsigned i = 0; i < r->nlines; i++)
		(void)template_scan(r->lines[i], NULL, note_use, &u, err,
		    sizeof(err));
	return u.found;
}

/* Accumulates a template's longest rendering. */
struct measure {
	size_t len;
};

/* measure_literal - a literal run costs its length, '%' twice. */
static void
measure_literal(void *arg, const char *text, size_t len)
{
	struct measure *m = arg;

	m->len += len;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '%')
			m->len++;
}

/* measure_var - a value costs its rendered maximum. */
static void
measure_var(void *arg, enum reply_var v)
{
	struct measure *m = arg;

	(void)v;
	m->len += REPLY_VALUE_RENDERED_MAX;
}

enum registry_severity
reply_check_mta(const struct reply *r,
    void (*report)(void *arg, enum registry_severity, const char *message),
    void *arg)
{
	enum registry_severity worst = REGISTRY_OK;
	char msg[256], err[8];
	/* "550-5.7.23 " before the text on the wire. */
	size_t prefix = 4 + (r->has_xcode ? 1 + (size_t)snprintf(msg,
	    sizeof(msg), "%u.%u.%u", r->xcode.cls, r->xcode.subject,
	    r->xcode.detail) : 0);

	for (unsigned i = 0; i < r->nlines; i++) {
		struct measure m = { 0 };

		(void)template_scan(r->lines[i], measure_literal, measure_var,
		    &m, err, sizeof(err));
		if (m.len > REPLY_TEXT_MAX) {
			snprintf(msg, sizeof(msg), "line %u can reach %zu "
			    "characters once its values are filled in; "
			    "libmilter refuses more than %d: shorten the text "
			    "or use fewer %%{values}", i + 1, m.len,
			    REPLY_TEXT_MAX);
			report(arg, REGISTRY_ERROR, msg);
			worst = REGISTRY_ERROR;
		} else if (m.len + prefix > REPLY_RFC_LINE_MAX) {
			snprintf(msg, sizeof(msg), "line %u can reach %zu "
			    "octets with its codes; RFC 5321 section 4.5.3.1.5 "
			    "limits a reply line to 512 with CRLF: some clients "
			    "will cut it", i + 1, m.len + prefix);
			report(arg, REGISTRY_WARNING, msg);
			if (worst < REGISTRY_WARNING)
				worst = REGISTRY_WARNING;
		}
	}
	return worst;
}

size_t
reply_sanitize(const char *src, char *dst)
{
	size_t in = 0, out = 0;

	for (; src[in] != '\0' && in < REPLY_VALUE_MAX; in++) {
		unsigned char c = (unsigned char)src[in];

		if (c == '%') {
			dst[out++] = '%';
			dst[out++] = '%';
		} else if (c < 0x20 || c >= 0x7f) {
			dst[out++] = '?';
		} else {
			dst[out++] = (char)c;
		}
	}
	if (src[in] != '\0') {
		memcpy(dst + out, "...", 3);
		out += 3;
	}
	dst[out] = '\0';
	return out;
}

/* The rendering of one line into a bounded buffer. */
struct render {
	char *buf;
	size_t len, size;
	const struct reply_values *values;
};

/* render_put - append len bytes to the rendering, as far as they fit. */
static void
render_put(struct render *rd, const char *text, size_t len)
{
	if (len > rd->size - 1 - rd->len)
		len = rd->size - 1 - rd->len;
	memcpy(rd->buf + rd->len, text, len);
	rd->len += len;
	rd->buf[rd->len] = '\0';
}

/* render_literal - literal text with '%' doubled for libmilter. */
static void
render_literal(void *arg, const char *text, size_t len)
{
	struct render *rd = arg;

	for (size_t i = 0; i < len; i++)
		render_put(rd, text[i] == '%' ? "%%" : text + i,
		    text[i] == '%' ? 2 : 1);
}

/* render_var - a sanitised value. */
static void
render_var(void *arg, enum reply_var v)
{
	struct render *rd = arg;
	const char *value = rd->values != NULL ? rd->values->v[v] : NULL;
	char safe[REPLY_VALUE_RENDERED_MAX + 1];
	size_t len = reply_sanitize(value != NULL ? value : "unknown", safe);

	render_put(rd, safe, len);
}

void
reply_render(const struct reply *r, const struct reply_values *values,
    struct reply_rendered *out)
{
	size_t used = 0;
	char err[8];

	snprintf(out->basic, sizeof(out->basic), "%03u", r->basic);
	out->xcode[0] = '\0';
	if (r->has_xcode)
		snprintf(out->xcode, sizeof(out->xcode), "%u.%u.%u",
		    r->xcode.cls, r->xcode.subject, r->xcode.detail);
	out->nlines = 0;
	for (unsigned i = 0; i < r->nlines; i++) {
		/* Each line gets at most REPLY_TEXT_MAX: what libmilter takes. */
		size_t room = sizeof(out->buf) - used;
		struct render rd = { out->buf + used, 0,
		    room < REPLY_TEXT_MAX + 1 ? room : REPLY_TEXT_MAX + 1,
		    values };

		if (rd.size < 2)
			break;
		rd.buf[0] = '\0';
		(void)template_scan(r->lines[i], render_literal, render_var,
		    &rd, err, sizeof(err));
		out->lines[out->nlines++] = rd.buf;
		used += rd.len + 1;
	}
}

char *
reply_format(const struct reply_rendered *rr, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < rr->nlines || (i == 0 && rr->nlines == 0);
	    i++) {
		const char *text = rr->nlines > 0 ? rr->lines[i] : "";
		bool last = i + 1 >= rr->nlines;

		if (used >= size)
			break;
		used += (size_t)snprintf(buf + used, size - used,
		    "%s%s%s%s%s", i > 0 ? "\n" : "", rr->basic,
		    last ? " " : "-", rr->xcode, rr->xcode[0] != '\0' &&
		    text[0] != '\0' ? " " : "");
		/* Show '%%' as the client will see it: '%'. */
		for (const char *p = text; *p != '\0' && used + 1 < size; p++) {
			buf[used++] = *p;
			if (p[0] == '%' && p[1] == '%')
				p++;
		}
		if (used < size)
			buf[used] = '\0';
		if (rr->nlines == 0)
			break;
	}
	if (size > 0)
		buf[size - 1] = '\0';
	return buf;
}
