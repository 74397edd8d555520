/*
 * log - replymilter's one way to say something: syslog, stderr, or a sink
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sysexits.h>

/* Set by the main thread at start and on reload, read by every worker:
 * atomic, relaxed (a line logged at the old level around a reload is
 * harmless). */
static atomic_int current_level = LOG_LEVEL_INFO;
static atomic_int current_format = LOG_FORMAT_TEXT;
static bool use_stderr = true;
static const char *log_ident = "replymilter";
static log_sink_fn *sink_fn;
static void *sink_arg;

static const struct {
	const char *name;
	int priority;
} levels[] = {
	[LOG_LEVEL_ERROR] = { "error", LOG_ERR },
	[LOG_LEVEL_WARNING] = { "warning", LOG_WARNING },
	[LOG_LEVEL_NOTICE] = { "notice", LOG_NOTICE },
	[LOG_LEVEL_INFO] = { "info", LOG_INFO },
	[LOG_LEVEL_DEBUG] = { "debug", LOG_DEBUG },
};

void
log_open(const char *ident, int facility, bool to_stderr)
{
	log_ident = ident;
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, (int)level,
	    memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&current_level,
	    memory_order_relaxed);
}

void
log_set_sink(log_sink_fn *sink, void *arg)
{
	sink_fn = sink;
	sink_arg = arg;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_get_level() || sink_fn != NULL;
}

void
log_set_format(enum log_format format)
{
	atomic_store_explicit(&current_format, (int)format,
	    memory_order_relaxed);
}

int
log_format_parse(const char *text, enum log_format *out)
{
	if (strcmp(text, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(text, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

/* json - the format in use is JSON. */
static bool
json(void)
{
	return atomic_load_explicit(&current_format, memory_order_relaxed) ==
	    LOG_FORMAT_JSON;
}

/* emit - line (complete, one line) to the sink and the destination. */
static void
emit(enum log_level level, const char *line)
{
	if (sink_fn != NULL)
		sink_fn(sink_arg, level, line);
	if (level > log_get_level())
		return;
	if (!use_stderr) {
		syslog(levels[level].priority, "%s", line);
		return;
	}
	/* One call per line keeps the lines of threads whole. */
	if (json())
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "%s: %s%s%s\n", log_ident,
		    level <= LOG_LEVEL_WARNING ? levels[level].name : "",
		    level <= LOG_LEVEL_WARNING ? ": " : "", line);
}

/* sanitize - control bytes in line made '?'.  Values from the peer (a
 * client name, a HELO name) may hold CR, LF or others: one message stays
 * one line. */
static void
sanitize(char *line)
{
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* A JSON object being written; it keeps room to close itself. */
struct json_line {
	char text[LOG_LINE_MAX];
	size_t len;
	bool cut;
};

/* utf8_length - the length of the valid UTF-8 sequence at p (1 to 4), or
 * 0 when the bytes there are not one (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
static size_t
utf8_length(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xe0 && p[0] <= 0xef) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[0] == 0xe0 && p[1] < 0xa0) ||
		    (p[0] == 0xed && p[1] > 0x9f))
			return 0;
		return 3;
	}
	if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80 || (p[0] == 0xf0 && p[1] < 0x90) ||
		    (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* json_put - append n bytes when they fit with room to close; false when
 * they do not (the line is then cut). */
static bool
json_put(struct json_line *j, const char *bytes, size_t n)
{
	/* Room for '..."' and '}' and the NUL. */
	if (j->cut || j->len + n + 6 > sizeof(j->text)) {
		j->cut = true;
		return false;
	}
	memcpy(j->text + j->len, bytes, n);
	j->len += n;
	return true;
}

/* json_string - s as a JSON string: quotes, backslashes and control bytes
 * escaped, a byte that is not UTF-8 replaced by U+FFFD; a string cut for
 * length ends in "...". */
static void
json_string(struct json_line *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	if (!json_put(j, "\"", 1))
		return;
	while (*p != '\0') {
		size_t n = utf8_length(p);
		bool ok;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			ok = json_put(j, esc, 2);
			n = 1;
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			ok = json_put(j, esc, 6);
			n = 1;
		} else if (n == 0) {
			ok = json_put(j, "\\ufffd", 6);
			n = 1;
		} else {
			ok = json_put(j, (const char *)p, n);
		}
		if (!ok)
			break;
		p += n;
	}
	/* The room json_put keeps is for this. */
	if (j->cut) {
		memcpy(j->text + j->len, "...\"", 4);
		j->len += 4;
	} else {
		j->text[j->len++] = '"';
	}
}

/* json_member - ,"key":"value" (no comma first). */
static void
json_member(struct json_line *j, const char *key, const char *value)
{
	/* The comma, the key, the colon and the value's first quote go in
	 * whole, or the line ends before them: it stays an object. */
	if (j->cut || j->len + strlen(key) + 16 > sizeof(j->text)) {
		j->cut = true;
		return;
	}
	if (j->len > 1)
		j->text[j->len++] = ',';
	json_string(j, key);
	j->text[j->len++] = ':';
	json_string(j, value);
}

/* json_begin - {"level":"...": the start of every JSON line. */
static void
json_begin(struct json_line *j, enum log_level level)
{
	j->len = 0;
	j->cut = false;
	j->text[j->len++] = '{';
	json_member(j, "level", levels[level].name);
}

/* json_end - the closing brace; the line is complete. */
static const char *
json_end(struct json_line *j)
{
	j->text[j->len++] = '}';
	j->text[j->len] = '\0';
	return j->text;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int len;

	if (!log_enabled(level))
		return;
	len = vsnprintf(line, sizeof(line), fmt, ap);
	if (len >= (int)sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	if (json()) {
		struct json_line j;

		json_begin(&j, level);
		json_member(&j, "msg", line);
		emit(level, json_end(&j));
		return;
	}
	sanitize(line);
	emit(level, line);
}

void
log_record(enum log_level level, const char *event,
    const struct log_field *fields, unsigned n)
{
	if (!log_enabled(level))
		return;
	if (json()) {
		struct json_line j;

		json_begin(&j, level);
		json_member(&j, "event", event);
		for (unsigned i = 0; i < n; i++)
			if (fields[i].value != NULL)
				json_member(&j, fields[i].key,
				    fields[i].value);
		emit(level, json_end(&j));
	} else {
		char line[LOG_LINE_MAX];
		size_t used = 0;

		line[0] = '\0';
		for (unsigned i = 0; i < n && used < sizeof(line); i++) {
			const struct log_field *f = &fields[i];

			if (f->value == NULL)
				continue;
			if (f->how == LOG_FIELD_HEAD)
				used += (size_t)snprintf(line + used,
				    sizeof(line) - used, "%s:", f->value);
			else
				used += (size_t)snprintf(line + used,
				    sizeof(line) - used, " %s=%s%s%s", f->key,
				    f->how == LOG_FIELD_QUOTED ? "\"" : "",
				    f->value,
				    f->how == LOG_FIELD_QUOTED ? "\"" : "");
		}
		if (used >= sizeof(line))
			memcpy(line + sizeof(line) - 4, "...", 4);
		sanitize(line);
		emit(level, line);
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* log_at - log_vmsg with a trailing ": strerror(errno)" when with_errno. */
static void
log_at(enum log_level level, bool with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_at(enum log_level level, bool with_errno, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno)
		log_msg(level, "%s: %s", msg, strerror(saved));
	else
		log_msg(level, "%s", msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(LOG_LEVEL_WARNING, true, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_at(LOG_LEVEL_WARNING, false, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(EX_SOFTWARE);
}

int
log_level_parse(const char *text, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(text, levels[i].name) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

int
log_facility_parse(const char *text, int *out)
{
	static const struct {
		const char *name;
		int facility;
	} facilities[] = {
		{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
		{ "user", LOG_USER }, { "local0", LOG_LOCAL0 },
		{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
		{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
		{ "local7", LOG_LOCAL7 },
	};

	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcmp(text, facilities[i].name) == 0) {
			*out = facilities[i].facility;
			return 0;
		}
	return -1;
}
