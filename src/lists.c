/*
 * lists - a list's life: new, add, load from a file, freeze, free; the
 * helpers every kind reports bad entries through
 *
 * Each kind's structure and matching is its own file (lists_impl.h says
 * which); this one dispatches to them.
 */
#include "config.h"

#include "lists_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log.h"

static const char *const list_kind_names[] = {
	[LIST_CIDR] = "cidr",
	[LIST_DOMAIN] = "domain",
	[LIST_ADDRESS] = "address",
	[LIST_REGEX] = "regex",
};

/* list_is_blank - whether c is white space around an entry. */
bool
list_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* list_quote - s (len bytes) in double quotes with unprintable bytes
 * escaped, in buf; a long entry is cut and marked with "...". */
const char *
list_quote(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	buf[n++] = '"';
	for (size_t i = 0; i < len && i < LIST_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c == '\t') {
			buf[n++] = '\\';
			buf[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 0xf];
		} else
			buf[n++] = (char)c;
	}
	if (len > LIST_QUOTE_MAX) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* list_report - nothing; tells w's callback, if any, what is wrong, with
 * errno kept. */
void
list_report(const struct list_where *w, const char *fmt, ...)
{
	char msg[LIST_MSG_SIZE];
	int saved = errno, n;
	va_list ap;

	if (w->err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "cannot format a message");
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	w->err(w->arg, w->file, w->line, msg);
	errno = saved;
}

/* list_no_memory - -1, after reporting that memory ran out. */
int
list_no_memory(const struct list_where *w)
{
	list_report(w, "out of memory");
	errno = ENOMEM;
	return -1;
}

/* list_bad - -1 with errno EINVAL: the end of every bad-entry report. */
int
list_bad(void)
{
	errno = EINVAL;
	return -1;
}

/* list_check - nothing; stops the process when a caller misuses list. */
void
list_check(const struct list *list, enum list_kind kind, bool frozen,
    const char *func)
{
	if (list == NULL)
		fatalx("%s: NULL list", func);
	if (list->kind != kind)
		fatalx("%s: list %s is a %s list, not a %s list", func,
		    list->name, list_kind_name(list->kind),
		    list_kind_name(kind));
	if (list->frozen != frozen)
		fatalx("%s: list %s is %s", func, list->name, frozen ?
		    "not frozen yet (call list_freeze first)" :
		    "frozen already (add entries before list_freeze)");
}

/* list_char_name - a printable description of byte c, in buf. */
const char *
list_char_name(char *buf, size_t size, unsigned char c)
{
	if (c == ' ')
		snprintf(buf, size, "a space");
	else if (c == '\t')
		snprintf(buf, size, "a tab");
	else if (c < 0x20 || c == 0x7f)
		snprintf(buf, size, "the control byte \\x%02x", c);
	else
		snprintf(buf, size, "'%c'", c);
	return buf;
}

/*
 * The interface.
 */

/* list_new - an empty list of kind, or NULL when out of memory. */
struct list *
list_new(const char *name, enum list_kind kind)
{
	struct list *list;

	if ((unsigned)kind > LIST_REGEX)
		fatalx("list_new: unknown list kind %d", (int)kind);
	if ((list = calloc(1, sizeof(*list))) == NULL)
		return NULL;
	if ((list->name = strdup(name != NULL ? name : "")) == NULL) {
		free(list);
		return NULL;
	}
	list->kind = kind;
	return list;
}

/* list_free - nothing; releases list and everything in it. */
void
list_free(struct list *list)
{
	if (list == NULL)
		return;
	list_cidr_free(list);
	list_table_free(&list->table);
	list_regexes_free(&list->regexes);
	free(list->name);
	free(list);
}

/* list_add_entry - 0 once entry e (len bytes, blanks around it allowed)
 * is in list, or -1 after reporting why it cannot be. */
static int
list_add_entry(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	int rc = -1;

	while (len > 0 && list_is_blank(e[0])) {
		e++;
		len--;
	}
	while (len > 0 && list_is_blank(e[len - 1]))
		len--;
	if (len == 0) {
		list_report(w, "an empty entry is not allowed in a %s list",
		    list_kind_name(list->kind));
		return list_bad();
	}
	switch (list->kind) {
	case LIST_CIDR:
		rc = list_add_cidr(list, e, len, w);
		break;
	case LIST_DOMAIN:
		rc = list_add_domain(list, e, len, w);
		break;
	case LIST_ADDRESS:
		rc = list_add_address(list, e, len, w);
		break;
	case LIST_REGEX:
		rc = list_add_regex(list, e, len, w);
		break;
	}
	if (rc == 0)
		list->count++;
	return rc;
}

/* list_add - 0, or -1 after reporting a bad entry through err. */
int
list_add(struct list *list, const char *entry, list_error_fn *err,
    void *arg)
{
	struct list_where w = { err, arg, NULL, 0 };

	if (list == NULL || entry == NULL)
		fatalx("list_add: NULL %s", list == NULL ? "list" : "entry");
	list_check(list, list->kind, false, "list_add");
	return list_add_entry(list, entry, strlen(entry), &w);
}

/* list_load_file - 0, or -1 when path cannot be read or a line was bad. */
int
list_load_file(struct list *list, const char *path, list_error_fn *err,
    void *arg)
{
	struct list_where w = { err, arg, path, 0 };
	char *line = NULL, *p;
	size_t size = 0, len;
	ssize_t n;
	int failed = 0;
	FILE *fp;

	if (list == NULL || path == NULL)
		fatalx("list_load_file: NULL %s", list == NULL ? "list" :
		    "path");
	list_check(list, list->kind, false, "list_load_file");
	/* A file that cannot be read is the caller's to report, with the
	 * config line that names it: only errno says why. */
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while ((n = getline(&line, &size, fp)) != -1) {
		w.line++;
		p = line;
		len = (size_t)n;
		if (memchr(p, '\0', len) != NULL) {
			list_report(&w, "the line holds a NUL byte (is this a "
			    "text file?)");
			failed = EINVAL;
			continue;
		}
		while (len > 0 && list_is_blank(p[0])) {
			p++;
			len--;
		}
		while (len > 0 && list_is_blank(p[len - 1]))
			len--;
		if (len == 0 || p[0] == '#')
			continue;
		if (list_add_entry(list, p, len, &w) == -1) {
			failed = errno;
			if (failed == ENOMEM)
				break;
		}
	}
	if (failed != ENOMEM && !feof(fp))
		failed = errno != 0 ? errno : EIO;
	free(line);
	fclose(fp);
	if (failed != 0) {
		errno = failed;
		return -1;
	}
	return 0;
}

/* list_freeze - 0, or -1 when out of memory (the list is then unfrozen). */
int
list_freeze(struct list *list)
{
	if (list == NULL)
		fatalx("list_freeze: NULL list");
	if (list->frozen)
		return 0;
	switch (list->kind) {
	case LIST_CIDR:
		if (list_cidr_freeze(list) == -1)
			return -1;
		break;
	case LIST_DOMAIN:
	case LIST_ADDRESS:
		if (list_table_build(&list->table) == -1) {
			errno = ENOMEM;
			return -1;
		}
		break;
	case LIST_REGEX:
		break;
	}
	list->frozen = true;
	return 0;
}






/* list_name - the name given to list_new. */
const char *
list_name(const struct list *list)
{
	return list->name;
}

/* list_kind - the list's kind. */
enum list_kind
list_kind(const struct list *list)
{
	return list->kind;
}

/* list_count - how many entries were added, duplicates included. */
size_t
list_count(const struct list *list)
{
	return list->count;
}

/* list_kind_name - the name of kind, or "unknown". */
const char *
list_kind_name(enum list_kind kind)
{
	if ((unsigned)kind >= sizeof(list_kind_names) /
	    sizeof(list_kind_names[0]))
		return "unknown";
	return list_kind_names[kind];
}

/* list_kind_parse - 0 with the kind named by text in out, or -1. */
int
list_kind_parse(const char *text, enum list_kind *out)
{
	if (text == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(list_kind_names) /
	    sizeof(list_kind_names[0]); i++)
		if (strcmp(text, list_kind_names[i]) == 0) {
			*out = (enum list_kind)i;
			return 0;
		}
	return -1;
}

