/*
 * log - replymilter's one way to say something: syslog, stderr, or a sink
 *
 * log_open() chooses the destination once at start-up; every message below
 * the configured level is dropped here, so callers never test a level
 * themselves.  log_warn() appends strerror(errno), log_warnx() does not
 * (OpenSMTPD's convention).  Tests install a sink with log_set_sink() to
 * read what would have been logged.  Thread-safe: syslog(3) and stdio are;
 * the level is atomic, as the main thread changes it on reload while the
 * workers log; the destination and the sink are set only at start-up (and
 * by tests, before any thread logs).
 * Lines are bounded (LOG_LINE_MAX); a longer message is cut and marked with
 * "..." rather than dropped.  Control bytes (CR, LF, TAB, ESC, DEL...)
 * become '?' in text, \u00XX in JSON, so that a value from the peer
 * cannot split a line or forge one; 8-bit bytes are kept in text, and in
 * JSON when they are UTF-8 (U+FFFD otherwise, so the line parses).
 */
#ifndef REPLYMILTER_LOG_H
#define REPLYMILTER_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#define LOG_LINE_MAX 2048

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* A test's reader of log lines. */
typedef void log_sink_fn(void *arg, enum log_level level, const char *line);

/* How a line is written: "text" (today's "key=value" lines) or "json"
 * (one JSON object a line: {"level":...,"msg":...}, and for a record,
 * {"level":...,"event":...} then its fields). */
enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON
};

/* A field of a record: key=value in text, "key":"value" in JSON; NULL
 * values are left out of both. */
struct log_field {
	const char *key;
	const char *value;
	enum {
		LOG_FIELD_PLAIN,	/* key=value */
		LOG_FIELD_QUOTED,	/* key="value" */
		LOG_FIELD_HEAD		/* value: (the text line's start) */
	} how;
};

/* log_open - log as ident to syslog facility (LOG_MAIL, ...), or to stderr
 * when to_stderr. */
void log_open(const char *ident, int facility, bool to_stderr);

/* log_set_level - drop messages less important than level from now on. */
void log_set_level(enum log_level level);

/* log_set_format - write lines as text or JSON from now on. */
void log_set_format(enum log_format format);

/* log_format_parse - the format named by text ("text", "json"); 0, or -1
 * when unknown. */
int log_format_parse(const char *text, enum log_format *out);

/* log_get_level - the current level. */
enum log_level log_get_level(void);

/* log_set_sink - send every line to sink as well (NULL removes it). */
void log_set_sink(log_sink_fn *sink, void *arg);

/* log_enabled - whether a message at level would be written. */
bool log_enabled(enum log_level level);

/* log_msg - write a printf-style line at level. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* log_vmsg - log_msg with a va_list. */
void log_vmsg(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* log_record - one line of n fields about event (JSON's "event"; text
 * lines do not name it), e.g. the decision line: in text
 * "QUEUEID: client=... reply=\"...\"", in JSON every field a member. */
void log_record(enum log_level level, const char *event,
    const struct log_field *fields, unsigned n);

/* log_warn - a warning ending in ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_warnx - a warning. */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_info - an informational line. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_debug - a debugging line. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fatalx - log at error level and exit 70 (EX_SOFTWARE); for programmer
 * errors and start-up failures only, never from a milter callback. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* log_level_parse - the level named by text ("error" ... "debug"); 0, or
 * -1 when unknown. */
int log_level_parse(const char *text, enum log_level *out);

/* log_facility_parse - the syslog facility named by text ("mail",
 * "local0"...); 0, or -1 when unknown. */
int log_facility_parse(const char *text, int *out);

#endif
