/*
 * confread - the config file as one buffer, with its true line numbers
 */
#include "config.h"

#include "confread.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct line_origin {
	unsigned file;		/* index into files */
	unsigned line;
};

/* Where a non-blank line begins in the buffer. */
struct line_start {
	const char *text;
	unsigned line;
};

struct confread {
	char *buf;
	size_t len, cap;
	struct line_origin *map;	/* map[i]: buffer line i + 1 */
	unsigned nmap, map_cap;
	char **files;
	unsigned nfiles;
	const char *stack[CONFREAD_MAX_DEPTH + 2];	/* files being read */
	struct line_start *starts;	/* of lines that may open a section */
	unsigned nstarts;
	unsigned cursor;		/* where the last section was found */
};

/* append - add n bytes to the buffer; 0, or -1. */
static int
append(struct confread *c, const char *text, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *b;

		while (cap < c->len + n + 1)
			cap *= 2;
		if ((b = realloc(c->buf, cap)) == NULL)
			return -1;
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, text, n);
	c->len += n;
	c->buf[c->len] = '\0';
	return 0;
}

/* map_line - note that the next buffer line comes from (file, line). */
static int
map_line(struct confread *c, unsigned file, unsigned line)
{
	if (c->nmap == c->map_cap) {
		unsigned cap = c->map_cap ? c->map_cap * 2 : 256;
		struct line_origin *m = realloc(c->map, cap * sizeof(*m));

		if (m == NULL)
			return -1;
		c->map = m;
		c->map_cap = cap;
	}
	c->map[c->nmap++] = (struct line_origin){ file, line };
	return 0;
}

/* slurp - the whole file at path, NUL-terminated, or NULL (errno set). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *data = NULL;
	size_t cap = 0, used = 0, got;

	if (fp == NULL)
		return NULL;
	do {
		if (used + 4096 + 1 > cap) {
			char *d;

			cap = cap ? cap * 2 : 8192;
			if ((d = realloc(data, cap)) == NULL) {
				free(data);
				fclose(fp);
				errno = ENOMEM;
				return NULL;
			}
			data = d;
		}
		got = fread(data + used, 1, 4096, fp);
		used += got;
	} while (got > 0);
	if (ferror(fp)) {
		free(data);
		fclose(fp);
		errno = EIO;
		return NULL;
	}
	fclose(fp);
	data[used] = '\0';
	*len = used;
	return data;
}

/*
 * blank_comments - overwrite '#' and '//' comments to the end of their line
 * and '/ * ... * /' comments with spaces, outside quoted strings, keeping
 * newlines.
 */
static void
blank_comments(char *s, size_t len)
{
	char quote = 0;

	for (size_t i = 0; i < len; i++) {
		if (quote != 0) {
			if (s[i] == '\\' && i + 1 < len && s[i + 1] != '\n')
				i++;
			else if (s[i] == quote)
				quote = 0;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
		} else if (s[i] == '#' || (s[i] == '/' && i + 1 < len &&
		    s[i + 1] == '/')) {
			while (i < len && s[i] != '\n')
				s[i++] = ' ';
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			s[i] = s[i + 1] = ' ';
			for (i += 2; i < len; i++) {
				if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
					s[i] = s[i + 1] = ' ';
					i++;
					break;
				}
				if (s[i] != '\n')
					s[i] = ' ';
			}
		}
	}
}

/* include_target - the path of an include line, copied into out; true when
 * line is one. */
static bool
include_target(const char *line, size_t len, char *out, size_t size)
{
	const char *p = line, *end = line + len, *q;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if ((size_t)(end - p) < 8 || strncmp(p, "include", 7) != 0 ||
	    !(isspace((unsigned char)p[7]) || p[7] == '('))
		return false;
	p += 7;
	while (p < end && (isspace((unsigned char)*p) || *p == '('))
		p++;
	if (p >= end || *p != '"')
		return false;
	q = memchr(p + 1, '"', (size_t)(end - p - 1));
	if (q == NULL || (size_t)(q - p - 1) >= size)
		return false;
	snprintf(out, size, "%.*s", (int)(q - p - 1), p + 1);
	for (q++; q < end; q++)
		if (!isspace((unsigned char)*q) && *q != ')' && *q != ';')
			return false;
	return true;
}

/* resolve - path relative to the folder of base, into out; 0, or -1 when
 * it does not fit. */
static int
resolve(const char *base, const char *path, char *out, size_t size)
{
	const char *slash = strrchr(base, '/');
	int n;

	if (path[0] == '/' || slash == NULL)
		n = snprintf(out, size, "%s", path);
	else
		n = snprintf(out, size, "%.*s/%s", (int)(slash - base), base,
		    path);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* fail_at - fill err: the problem is at file:line; -1, for returning. */
static int
fail_at(struct confread_error *err, const char *file, unsigned line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail_at(struct confread_error *err, const char *file, unsigned line,
    const char *fmt, ...)
{
	va_list ap;

	snprintf(err->file, sizeof(err->file), "%s", file);
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

/* read_file - append path's lines (depth: include nesting); 0, or -1. */
static int
read_file(struct confread *c, const char *path, unsigned depth,
    const char *from, unsigned from_line, struct confread_error *err)
{
	char *data, **files;
	size_t len, start = 0;
	unsigned index, lineno = 0;

	for (unsigned i = 0; i < depth && i <= CONFREAD_MAX_DEPTH; i++)
		if (strcmp(c->stack[i], path) == 0) {
			return fail_at(err, from, from_line, "include loop: %s "
			    "is already being read", path);
		}
	if (depth > CONFREAD_MAX_DEPTH) {
		return fail_at(err, from, from_line, "includes nested deeper "
		    "than %d", CONFREAD_MAX_DEPTH);
	}
	if ((data = slurp(path, &len)) == NULL) {
		if (from != NULL)
			return fail_at(err, from, from_line, "cannot read "
			    "included file %s: %s", path, strerror(errno));
		return fail_at(err, path, 0, "%s", strerror(errno));
	}
	if (memchr(data, '\0', len) != NULL) {
		free(data);
		return fail_at(err, path, 0, "holds a NUL byte: not a text "
		    "file");
	}
	if ((files = realloc(c->files, (c->nfiles + 1) * sizeof(*files))) ==
	    NULL || (files[c->nfiles] = strdup(path)) == NULL) {
		if (files != NULL)
			c->files = files;
		free(data);
		return fail_at(err, path, 0, "out of memory");
	}
	c->files = files;
	index = c->nfiles++;
	c->stack[depth] = c->files[index];
	blank_comments(data, len);
	while (start < len) {
		char *nl = memchr(data + start, '\n', len - start);
		size_t llen = nl != NULL ? (size_t)(nl - data - start) :
		    len - start;
		char target[4096], full[4096];

		lineno++;
		if (include_target(data + start, llen, target, sizeof(target))) {
			if (resolve(path, target, full, sizeof(full)) != 0) {
				free(data);
				return fail_at(err, path, lineno, "include path "
				    "too long");
			}
			if (read_file(c, full, depth + 1, path, lineno, err)
			    != 0) {
				free(data);
				return -1;
			}
		} else if (append(c, data + start, llen) != 0 ||
		    append(c, "\n", 1) != 0 || map_line(c, index, lineno) != 0) {
			free(data);
			return fail_at(err, path, lineno, "out of memory");
		}
		start += llen + 1;
	}
	free(data);
	return 0;
}

/* index_lines - note where each non-blank line starts (its first
 * non-blank byte) once, so section lookups need not rescan the buffer;
 * 0, or -1 when out of memory. */
static int
index_lines(struct confread *c)
{
	const char *p = confread_buffer(c);
	unsigned line = 1, cap = 0;

	for (; *p != '\0'; line++) {
		const char *q = p, *nl = strchr(p, '\n');

		while (*q == ' ' || *q == '\t')
			q++;
		if (isalpha((unsigned char)*q)) {
			if (c->nstarts == cap) {
				struct line_start *n;

				cap = cap ? cap * 2 : 64;
				if ((n = realloc(c->starts, cap * sizeof(*n))) ==
				    NULL)
					return -1;
				c->starts = n;
			}
			c->starts[c->nstarts++] = (struct line_start){ q, line };
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

struct confread *
confread_open(const char *path, struct confread_error *err)
{
	struct confread *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		fail_at(err, path, 0, "out of memory");
		return NULL;
	}
	if (read_file(c, path, 0, NULL, 0, err) != 0 ||
	    append(c, "", 0) != 0) {
		confread_free(c);
		return NULL;
	}
	if (index_lines(c) != 0) {
		fail_at(err, path, 0, "out of memory");
		confread_free(c);
		return NULL;
	}
	return c;
}

void
confread_free(struct confread *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->map);
	free(c->starts);
	free(c->buf);
	free(c);
}

const char *
confread_buffer(const struct confread *c)
{
	return c->buf != NULL ? c->buf : "";
}

const char *
confread_path(const struct confread *c)
{
	return c->nfiles > 0 ? c->files[0] : "?";
}

void
confread_where(const struct confread *c, unsigned bufline,
    const char **file, unsigned *line)
{
	if (bufline == 0 || c->nmap == 0) {
		*file = confread_path(c);
		*line = 0;
		return;
	}
	if (bufline > c->nmap)
		bufline = c->nmap;
	*file = c->files[c->map[bufline - 1].file];
	*line = c->map[bufline - 1].line;
}

/* section_matches - whether the text at q opens section kind "title". */
static bool
section_matches(const char *q, const char *kind, size_t klen,
    const char *title, size_t tlen)
{
	if (strncmp(q, kind, klen) != 0 || !isspace((unsigned char)q[klen]))
		return false;
	q += klen;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '"' || *q == '\'')
		q++;
	return strncmp(q, title, tlen) == 0 && (q[tlen] == '"' ||
	    q[tlen] == '\'' || isspace((unsigned char)q[tlen]) ||
	    q[tlen] == '{');
}

unsigned
confread_section_line(struct confread *c, const char *kind,
    const char *title)
{
	size_t klen = strlen(kind), tlen = strlen(title);

	/* Sections are asked for in file order: start where the last one
	 * was found, and wrap round once. */
	for (unsigned k = 0; k < c->nstarts; k++) {
		unsigned i = (c->cursor + k) % c->nstarts;

		if (section_matches(c->starts[i].text, kind, klen, title,
		    tlen)) {
			c->cursor = i;
			return c->starts[i].line;
		}
	}
	return 0;
}

size_t
confread_nfiles(const struct confread *c)
{
	return c->nfiles;
}

const char *
confread_file(const struct confread *c, size_t i)
{
	return i < c->nfiles ? c->files[i] : NULL;
}

unsigned
confread_unclosed(const struct confread *c, bool *in_string)
{
	unsigned stack[64], depth = 0, line = 1, quote_line = 0;
	char quote = 0;

	for (const char *p = confread_buffer(c); *p != '\0'; p++) {
		if (*p == '\n')
			line++;
		if (quote != 0) {
			if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
				p++;
			else if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
			quote_line = line;
		} else if (*p == '{') {
			if (depth < sizeof(stack) / sizeof(stack[0]))
				stack[depth] = line;
			depth++;
		} else if (*p == '}' && depth > 0) {
			depth--;
		}
	}
	*in_string = quote != 0;
	if (quote != 0)
		return quote_line;
	if (depth == 0)
		return 0;
	return depth <= sizeof(stack) / sizeof(stack[0]) ?
	    stack[depth - 1] : stack[0];
}

unsigned
confread_section_depth(const struct confread *c)
{
	unsigned open = 0, deepest = 0, lists = 0;
	char quote = 0, last = 0;	/* last: the last byte outside blanks */

	for (const char *p = confread_buffer(c); *p != '\0'; p++) {
		if (quote != 0) {
			if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			continue;
		if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '{' && last == '=')
			lists++;
		else if (*p == '{' && ++open > deepest)
			deepest = open;
		else if (*p == '}' && lists > 0)
			lists--;
		else if (*p == '}' && open > 0)
			open--;
		last = *p;
	}
	return deepest;
}
