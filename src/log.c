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
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int len;

	if (!log_enabled(level))
		return;
	len = vsnprintf(line, sizeof(line), fmt, ap);
	if (len >= (int)sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	/* Values from the peer (a client name, a HELO name) may hold CR, LF
	 * or other control bytes: one message stays one line. */
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (sink_fn != NULL)
		sink_fn(sink_arg, level, line);
	if (level > log_get_level())
		return;
	if (!use_stderr) {
		syslog(levels[level].priority, "%s", line);
		return;
	}
	/* One call per line keeps the lines of threads whole. */
	fprintf(stderr, "%s: %s%s%s\n", log_ident,
	    level <= LOG_LEVEL_WARNING ? levels[level].name : "",
	    level <= LOG_LEVEL_WARNING ? ": " : "", line);
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
