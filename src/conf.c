/*
 * conf - the config file: read, check, and turn into a policy
 *
 * Three passes:
 *   1. the reader (confread.c) gives one buffer with comments blanked and
 *      includes expanded, and a map from its lines to (file, line);
 *   2. libconfuse parses the buffer; validate callbacks record the line of
 *      each option, and our error function reports libconfuse's own errors
 *      with the file's line;
 *   3. the builder turns sections into lists, rules and replies, checking
 *      each against the registry and the MTA model, then lints the rules as
 *      a whole (shadowing, rules that can never match, unused lists).
 */
#include "config.h"

#include "conf.h"

#include <confuse.h>
#include <pthread.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "confread.h"
#include "policy_impl.h"
#include "macros.h"
#include "spell.h"

#define DEFAULT_SOCKET "unix:/run/replymilter/replymilter.sock"
#define DEFAULT_PIDFILE "/run/replymilter/replymilter.pid"
#define DEFAULT_FAILURE "451 4.3.0 Temporary local problem, please try " \
	"again later"
#define DEFAULT_DRY_RUN_HEADER "X-Replymilter-Dry-Run"
#define DEFAULT_BODY_LIMIT 65536
#define COND_DEPTH 4		/* any/all/not nesting levels */
#define MSG_MAX 1024

/* The line of one option in one section, from the validate callbacks. */
struct opt_line {
	const cfg_t *sec;
	const char *name;
	int line;		/* buffer line */
};

/* One load in progress. */
struct loader {
	struct confread *text;
	conf_diag_fn *diag;
	void *arg;
	struct conf_counts counts;
	struct opt_line *lines;
	size_t nlines, lines_cap;
	bool sorted;
	bool oom;
	struct policy *p;
};

/* libconfuse's callbacks carry no argument: the load in progress. */
static _Thread_local struct loader *current;

/* report_at - a diagnostic at a buffer line (0: no line). */
static void
report_at(struct loader *ld, enum registry_severity sev, int bufline,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
report_at(struct loader *ld, enum registry_severity sev, int bufline,
    const char *fmt, ...)
{
	char msg[MSG_MAX];
	const char *file = NULL;
	unsigned line = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (bufline > 0)
		confread_where(ld->text, (unsigned)bufline, &file, &line);
	else if (ld->text != NULL)
		file = confread_path(ld->text);
	if (sev == REGISTRY_ERROR)
		ld->counts.errors++;
	else if (sev == REGISTRY_WARNING)
		ld->counts.warnings++;
	ld->diag(ld->arg, sev, file, line, msg);
}

/* oom - report running out of memory once; NULL, for returning. */
static void *
oom(struct loader *ld)
{
	if (!ld->oom)
		report_at(ld, REGISTRY_ERROR, 0, "out of memory");
	ld->oom = true;
	return NULL;
}

/* nearest - the candidate closest to word, or NULL when none is close. */
static const char *
nearest(const char *word, const char *const *candidates, size_t n)
{
	return spell_nearest(word, spell_in_array, candidates, n);
}

/* did_you_mean - "; did you mean \"best\"?" into buf, or "" when best is
 * NULL; returns buf. */
static const char *
did_you_mean(const char *best, char *buf, size_t size)
{
	if (best == NULL)
		buf[0] = '\0';
	else
		snprintf(buf, size, "; did you mean \"%s\"?", best);
	return buf;
}

/* stage_at, action_at, check_at - spell_nearest's views of the names of
 * stages, actions and checks. */
static const char *
stage_at(const void *arg, size_t i)
{
	(void)arg;
	return stage_name((enum stage)i);
}

static const char *
action_at(const void *arg, size_t i)
{
	(void)arg;
	return policy_action_name((enum policy_action)i);
}

static const char *
check_at(const void *arg, size_t i)
{
	(void)arg;
	return check_def((enum check_id)i)->name;
}

/* result_at - spell_nearest's view of a check's results, from index 1
 * (index 0 is "unknown", never written). */
static const char *
result_at(const void *arg, size_t i)
{
	return ((const struct check_def *)arg)->results[i + 1];
}

/* -------------------------------------------------------------------------
 * The libconfuse schema.
 */

/* Condition options, in the order they are listed in messages. */
static const char *const cond_options[COND_FIELD_COUNT] = {
	"client_addr", "client_name", "helo", "sender", "sender_domain",
	"rcpt", "rcpt_domain", "rcpt_count", "size", "header", "body",
	"macro", "check",
};

static const char *const rule_options[] = {
	"stage", "action", "reply", "mode", "disclose", "id", "add_header",
	"any", "all", "not",
};

static const char *const root_options[] = {
	"socket", "socket_mode", "user", "pidfile", "syslog_facility",
	"log_level", "on_failure", "timeout", "disclose", "soft_bounce",
	"reply_id", "dry_run_header", "body_limit", "private_codes", "list",
	"rule", "dns_server", "dns_timeout", "dns_tries", "authserv_id",
	"trusted_authserv_ids", "add_received_spf",
	"add_authentication_results", "spool_path", "spool_min_free",
	"spool_min_inodes", "message_size_limit", "dnsbl",
};

/* record_line - validate callback: remember where each option was set. */
static int
record_line(cfg_t *cfg, cfg_opt_t *opt)
{
	struct loader *ld = current;

	if (ld == NULL)
		return 0;
	for (size_t i = ld->nlines; i > 0; i--)
		if (ld->lines[i - 1].sec == cfg &&
		    strcmp(ld->lines[i - 1].name, opt->name) == 0)
			return 0;	/* the first line of a list stays */
	if (ld->nlines == ld->lines_cap) {
		size_t cap = ld->lines_cap ? ld->lines_cap * 2 : 256;
		struct opt_line *n = realloc(ld->lines, cap * sizeof(*n));

		if (n == NULL) {
			oom(ld);
			return 0;
		}
		ld->lines = n;
		ld->lines_cap = cap;
	}
	ld->lines[ld->nlines++] = (struct opt_line){ cfg, opt->name,
	    cfg->line };
	return 0;
}

/* compare_lines - qsort order of opt_line: section, then name. */
static int
compare_lines(const void *a, const void *b)
{
	const struct opt_line *x = a, *y = b;

	if (x->sec != y->sec)
		return (uintptr_t)x->sec < (uintptr_t)y->sec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* opt_line - the buffer line where sec's option name was set, or fallback. */
static int
opt_line(struct loader *ld, const cfg_t *sec, const char *name, int fallback)
{
	struct opt_line key = { sec, name, 0 }, *hit;

	if (!ld->sorted) {
		qsort(ld->lines, ld->nlines, sizeof(*ld->lines), compare_lines);
		ld->sorted = true;
	}
	hit = bsearch(&key, ld->lines, ld->nlines, sizeof(*ld->lines),
	    compare_lines);
	return hit != NULL ? hit->line : fallback;
}

/* confuse_error - libconfuse's error function: the file's own line, and a
 * hint for misspelt options. */
static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct loader *ld = current;
	char msg[MSG_MAX], hint[128] = "";
	const char *p;
	int line = cfg != NULL ? cfg->line : 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* libconfuse puts its own "file:line: " in front of some messages. */
	if ((p = strstr(msg, ": ")) != NULL && strncmp(msg, "<buf>", 5) == 0) {
		const char *q = strstr(p + 2, ": ");

		memmove(msg, q != NULL ? q + 2 : p + 2,
		    strlen(q != NULL ? q + 2 : p + 2) + 1);
	}
	if ((p = strstr(msg, "no such option '")) != NULL) {
		char word[64];
		const char *best;

		snprintf(word, sizeof(word), "%.*s",
		    (int)strcspn(p + 16, "'"), p + 16);
		if (strcmp(word, "any") == 0 || strcmp(word, "all") == 0 ||
		    strcmp(word, "not") == 0) {
			if (ld != NULL)
				report_at(ld, REGISTRY_ERROR, line, "any, all and "
				    "not nest at most %d deep: flatten the "
				    "conditions", COND_DEPTH);
			return;
		}
		best = nearest(word, cond_options, COND_FIELD_COUNT);
		if (best == NULL)
			best = nearest(word, rule_options,
			    sizeof(rule_options) / sizeof(rule_options[0]));
		if (best == NULL)
			best = nearest(word, root_options,
			    sizeof(root_options) / sizeof(root_options[0]));
		if (best != NULL)
			snprintf(hint, sizeof(hint), "; did you mean '%s'?",
			    best);
	}
	if (ld != NULL)
		report_at(ld, REGISTRY_ERROR, line, "%s%s", msg, hint);
}

/* set_recorder - make every option of opts (and its subsections) record
 * its line. */
static void
set_recorder(cfg_opt_t *opts)
{
	for (cfg_opt_t *o = opts; o->name != NULL; o++)
		o->validcb = record_line;
}

/* Option arrays: libconfuse copies them at cfg_init, so static storage
 * built once is fine. */
static cfg_opt_t cond_opts[COND_DEPTH + 1][COND_FIELD_COUNT + 4];
static cfg_opt_t rule_opts[COND_FIELD_COUNT + 12];
static cfg_opt_t list_opts[4];
static cfg_opt_t dnsbl_opts[3];
static cfg_opt_t root_opts[36];

/* str_list - a string-list option definition. */
static cfg_opt_t
str_list(const char *name)
{
	cfg_opt_t o = CFG_STR_LIST((char *)name, NULL, CFGF_NODEFAULT);

	return o;
}

/* build_schema - fill the option arrays. */
static void
build_schema(void)
{
	static const cfg_opt_t end = CFG_END();
	size_t n;

	/* cond_opts[COND_DEPTH] has no nested sections. */
	for (int depth = COND_DEPTH; depth >= 0; depth--) {
		n = 0;
		for (int f = 0; f < COND_FIELD_COUNT; f++)
			cond_opts[depth][n++] = str_list(cond_options[f]);
		if (depth < COND_DEPTH) {
			cfg_opt_t any = CFG_SEC("any", cond_opts[depth + 1],
			    CFGF_MULTI);
			cfg_opt_t all = CFG_SEC("all", cond_opts[depth + 1],
			    CFGF_MULTI);
			cfg_opt_t not = CFG_SEC("not", cond_opts[depth + 1],
			    CFGF_MULTI);

			cond_opts[depth][n++] = any;
			cond_opts[depth][n++] = all;
			cond_opts[depth][n++] = not;
		}
		cond_opts[depth][n] = end;
		set_recorder(cond_opts[depth]);
	}
	n = 0;
	for (int f = 0; f < COND_FIELD_COUNT; f++)
		rule_opts[n++] = str_list(cond_options[f]);
	{
		cfg_opt_t opts[] = {
			CFG_SEC("any", cond_opts[1], CFGF_MULTI),
			CFG_SEC("all", cond_opts[1], CFGF_MULTI),
			CFG_SEC("not", cond_opts[1], CFGF_MULTI),
			CFG_STR("stage", NULL, CFGF_NODEFAULT),
			CFG_STR("action", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("reply", NULL, CFGF_NODEFAULT),
			CFG_STR("mode", "enforce", CFGF_NONE),
			CFG_STR("disclose", NULL, CFGF_NODEFAULT),
			CFG_STR("id", NULL, CFGF_NODEFAULT),
			CFG_STR("add_header", NULL, CFGF_NODEFAULT),
		};

		for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			rule_opts[n++] = opts[i];
	}
	rule_opts[n] = end;
	set_recorder(rule_opts);
	{
		cfg_opt_t lopts[] = {
			CFG_STR("type", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("entries", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("file", NULL, CFGF_NODEFAULT),
			CFG_END(),
		};

		memcpy(list_opts, lopts, sizeof(lopts));
		set_recorder(list_opts);
	}
	{
		cfg_opt_t zopts[] = {
			CFG_STR("zone", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("returns", NULL, CFGF_NODEFAULT),
			CFG_END(),
		};

		memcpy(dnsbl_opts, zopts, sizeof(zopts));
		set_recorder(dnsbl_opts);
	}
	{
		cfg_opt_t ropts[] = {
			CFG_STR("socket", DEFAULT_SOCKET, CFGF_NONE),
			CFG_STR("socket_mode", "0660", CFGF_NONE),
			CFG_STR("user", NULL, CFGF_NODEFAULT),
			CFG_STR("pidfile", DEFAULT_PIDFILE, CFGF_NONE),
			CFG_STR("syslog_facility", "mail", CFGF_NONE),
			CFG_STR("log_level", "info", CFGF_NONE),
			CFG_STR("on_failure", DEFAULT_FAILURE, CFGF_NONE),
			CFG_INT("timeout", 30, CFGF_NONE),
			CFG_STR("disclose", "specific", CFGF_NONE),
			CFG_BOOL("soft_bounce", cfg_false, CFGF_NONE),
			CFG_BOOL("reply_id", cfg_false, CFGF_NONE),
			CFG_STR("dry_run_header", DEFAULT_DRY_RUN_HEADER,
			    CFGF_NONE),
			CFG_INT("body_limit", DEFAULT_BODY_LIMIT, CFGF_NONE),
			CFG_STR_LIST("private_codes", NULL, CFGF_NODEFAULT),
			CFG_STR("dns_server", "", CFGF_NONE),
			CFG_INT("dns_timeout", 5, CFGF_NONE),
			CFG_INT("dns_tries", 2, CFGF_NONE),
			CFG_STR("authserv_id", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("trusted_authserv_ids", NULL,
			    CFGF_NODEFAULT),
			CFG_BOOL("add_received_spf", cfg_false, CFGF_NONE),
			CFG_BOOL("add_authentication_results", cfg_false,
			    CFGF_NONE),
			CFG_STR("spool_path", NULL, CFGF_NODEFAULT),
			CFG_STR("spool_min_free", "100M", CFGF_NONE),
			CFG_INT("spool_min_inodes", 1000, CFGF_NONE),
			CFG_STR("message_size_limit", "0", CFGF_NONE),
			CFG_SEC("dnsbl", dnsbl_opts, CFGF_MULTI | CFGF_TITLE |
			    CFGF_NO_TITLE_DUPES),
			CFG_SEC("list", list_opts, CFGF_MULTI | CFGF_TITLE |
			    CFGF_NO_TITLE_DUPES),
			CFG_SEC("rule", rule_opts, CFGF_MULTI | CFGF_TITLE |
			    CFGF_NO_TITLE_DUPES),
			CFG_END(),
		};

		memcpy(root_opts, ropts, sizeof(ropts));
		set_recorder(root_opts);
	}
}

/* -------------------------------------------------------------------------
 * Small parsers.
 */

/* report_file - a diagnostic at a file's own line (list files). */
static void
report_file(struct loader *ld, enum registry_severity sev, const char *file,
    unsigned line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
report_file(struct loader *ld, enum registry_severity sev, const char *file,
    unsigned line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev == REGISTRY_ERROR)
		ld->counts.errors++;
	else if (sev == REGISTRY_WARNING)
		ld->counts.warnings++;
	ld->diag(ld->arg, sev, file, line, msg);
}

/* name_ok - whether text suits a rule, list or reply id name: letters,
 * digits, '.', '_', ':' and '-'. */
static bool
name_ok(const char *text)
{
	if (text == NULL || *text == '\0' || strlen(text) > 64)
		return false;
	for (const char *p = text; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._:-", *p) == NULL)
			return false;
	return true;
}

/* header_name_ok - whether text is a header field name (RFC 5322 ftext). */
static bool
header_name_ok(const char *text, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] < 33 || text[i] > 126 || text[i] == ':')
			return false;
	return true;
}

/* xstrdup - strdup that reports running out of memory. */
static char *
xstrdup(struct loader *ld, const char *s)
{
	char *c = strdup(s != NULL ? s : "");

	return c != NULL ? c : oom(ld);
}

/* dup_trimmed - a copy of text without blanks at either end, or NULL. */
static char *
dup_trimmed(struct loader *ld, const char *text)
{
	size_t len;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	{
		char *c = strndup(text, len);

		return c != NULL ? c : oom(ld);
	}
}

/* trim - s without blanks at either end, in place. */
static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* parse_size - "10M", "512K", "1G", "1000" into *out; 0, or -1. */
static int
parse_size(const char *text, unsigned long *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (!isdigit((unsigned char)*text))
		return -1;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': n *= 1024ULL; end++; break;
	case 'M': n *= 1024ULL * 1024; end++; break;
	case 'G': n *= 1024ULL * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || n > ULONG_MAX)
		return -1;
	*out = (unsigned long)n;
	return 0;
}

/* parse_comparison - "OP NUMBER" into c; 0, or -1. */
static int
parse_comparison(const char *text, struct cond *c)
{
	static const struct {
		const char *op;
		enum cond_cmp cmp;
	} ops[] = {
		{ "<=", COND_LE }, { ">=", COND_GE }, { "!=", COND_NE },
		{ "==", COND_EQ }, { "<", COND_LT }, { ">", COND_GT },
		{ "=", COND_EQ },
	};
	char buf[64], *p;

	snprintf(buf, sizeof(buf), "%s", text);
	p = trim(buf);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(p, ops[i].op, strlen(ops[i].op)) == 0) {
			c->cmp = ops[i].cmp;
			return parse_size(trim(p + strlen(ops[i].op)),
			    &c->number);
		}
	return -1;
}

/* is_regex - whether v is written /pattern/ or /pattern/i. */
static bool
is_regex(const char *v)
{
	size_t len = strlen(v);

	return len >= 2 && v[0] == '/' && (v[len - 1] == '/' ||
	    (len >= 3 && v[len - 1] == 'i' && v[len - 2] == '/'));
}

/* -------------------------------------------------------------------------
 * Settings.
 */

/* socket_ok - whether spec is a milter socket libmilter understands. */
static bool
socket_ok(const char *spec)
{
	const char *at;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return strchr(spec, '/') != NULL;
	if (spec[0] == '/')
		return true;
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		const char *port = strchr(spec, ':') + 1;
		char *end;
		long n = strtol(port, &end, 10);

		at = strchr(port, '@');
		return n > 0 && n < 65536 && (*end == '\0' || end == at);
	}
	return false;
}

/* build_failure_reply - the on_failure setting as a reply. */
static struct reply *
build_failure_reply(struct loader *ld, const char *text, int line)
{
	const char *spec = text;
	struct registry_verdict v;
	struct reply *r;
	char err[256];

	if (strcmp(text, "tempfail") == 0)
		spec = DEFAULT_FAILURE;
	else if (strcmp(text, "reject") == 0)
		spec = "554 5.3.0 Local problem, message refused";
	else if (strcmp(text, "accept") == 0 || strcmp(text, "discard") == 0) {
		report_at(ld, REGISTRY_ERROR, line, "on_failure = %s: an "
		    "internal failure must never let mail through unchecked or "
		    "lose it; use tempfail (the default) or a 4xx reply", text);
		return NULL;
	}
	if ((r = reply_parse(&spec, 1, err, sizeof(err))) == NULL) {
		report_at(ld, REGISTRY_ERROR, line, "on_failure: %s", err);
		return NULL;
	}
	if (reply_basic(r) == 0 || reply_xcode(r) == NULL ||
	    reply_nlines(r) == 0) {
		report_at(ld, REGISTRY_ERROR, line, "on_failure: give a basic "
		    "code, an enhanced code and a text, e.g. \"%s\"",
		    DEFAULT_FAILURE);
		reply_free(r);
		return NULL;
	}
	if (registry_validate(reply_basic(r), reply_xcode(r),
	    REGISTRY_STAGE_ANY, 0, &v) != REGISTRY_OK) {
		const struct registry_finding *f = registry_verdict_worst(&v);
		char x[16];

		report_at(ld, v.severity, line, "on_failure: %u %s: %s",
		    reply_basic(r), registry_format_xcode(reply_xcode(r), x,
		    sizeof(x)), f->text);
		if (v.severity == REGISTRY_ERROR) {
			reply_free(r);
			return NULL;
		}
	}
	return r;
}

/* build_settings - the global settings from the root section. */
static void
build_settings(struct loader *ld, cfg_t *cfg, struct policy *p)
{
	struct policy_settings *s = &p->settings;
	const char *text;
	char *end;
	long n;

	text = cfg_getstr(cfg, "socket");
	if (!socket_ok(text))
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "socket", 0),
		    "socket \"%s\": write unix:/path/to/socket, "
		    "inet:PORT@HOST or inet6:PORT@HOST", text);
	s->socket = xstrdup(ld, text);

	text = cfg_getstr(cfg, "socket_mode");
	n = strtol(text, &end, 8);
	if (*text == '\0' || *end != '\0' || n < 0 || n > 0777)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "socket_mode",
		    0), "socket_mode \"%s\": write an octal mode such as "
		    "\"0660\"", text);
	s->socket_mode = (unsigned)n;

	if ((text = cfg_getstr(cfg, "user")) != NULL) {
		const char *colon = strchr(text, ':');

		if (*text == '\0' || colon == text || (colon != NULL &&
		    colon[1] == '\0'))
			report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "user",
			    0), "user \"%s\": write USER or USER:GROUP", text);
		s->user = xstrdup(ld, text);
		if (s->user != NULL && (end = strchr(s->user, ':')) != NULL) {
			*end = '\0';
			s->group = xstrdup(ld, end + 1);
		}
	}
	s->pidfile = xstrdup(ld, cfg_getstr(cfg, "pidfile"));

	text = cfg_getstr(cfg, "syslog_facility");
	if (log_facility_parse(text, &s->syslog_facility) != 0)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg,
		    "syslog_facility", 0), "syslog_facility \"%s\": use mail, "
		    "daemon, user or local0 to local7", text);
	text = cfg_getstr(cfg, "log_level");
	if (log_level_parse(text, &s->log_level) != 0)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "log_level", 0),
		    "log_level \"%s\": use error, warning, notice, info or "
		    "debug", text);

	s->failure_reply = build_failure_reply(ld, cfg_getstr(cfg,
	    "on_failure"), opt_line(ld, cfg, "on_failure", 0));

	n = cfg_getint(cfg, "timeout");
	if (n < 1 || n > 3600)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "timeout", 0),
		    "timeout %ld: give seconds from 1 to 3600", n);
	s->timeout = (int)n;

	text = cfg_getstr(cfg, "disclose");
	if (strcmp(text, "specific") == 0)
		s->disclose = POLICY_DISCLOSE_SPECIFIC;
	else if (strcmp(text, "generic") == 0)
		s->disclose = POLICY_DISCLOSE_GENERIC;
	else
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "disclose", 0),
		    "disclose \"%s\": use specific or generic", text);
	s->soft_bounce = cfg_getbool(cfg, "soft_bounce");
	s->reply_id = cfg_getbool(cfg, "reply_id");

	text = cfg_getstr(cfg, "dry_run_header");
	if (!header_name_ok(text, strlen(text)))
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg,
		    "dry_run_header", 0), "dry_run_header \"%s\" is not a "
		    "header name", text);
	s->dry_run_header = xstrdup(ld, text);

	n = cfg_getint(cfg, "body_limit");
	if (n < 0 || n > 64L * 1024 * 1024)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "body_limit",
		    0), "body_limit %ld: give bytes from 0 to 67108864", n);
	s->body_limit = n < 0 ? 0 : (size_t)n;

	s->nprivate = cfg_size(cfg, "private_codes");
	if (s->nprivate > 0 && (s->private_codes = calloc(s->nprivate,
	    sizeof(*s->private_codes))) == NULL) {
		oom(ld);
		s->nprivate = 0;
	}
	for (unsigned i = 0; i < s->nprivate; i++) {
		const char *code = cfg_getnstr(cfg, "private_codes", i);
		int line = opt_line(ld, cfg, "private_codes", 0);
		struct registry_xcode *x = &s->private_codes[i];

		if (registry_parse_xcode(code, x) != 0)
			report_at(ld, REGISTRY_ERROR, line, "private_codes: "
			    "\"%s\" is not an enhanced status code", code);
		else if (registry_enhanced_lookup(x->subject, x->detail))
			report_at(ld, REGISTRY_WARNING, line, "private_codes: "
			    "X.%u.%u is in the registry; it needs no private "
			    "declaration", x->subject, x->detail);
	}
}

/* is_private - whether the admin declared x's subject.detail private. */
static bool
is_private(const struct policy *p, const struct registry_xcode *x)
{
	for (unsigned i = 0; i < p->settings.nprivate; i++)
		if (p->settings.private_codes[i].subject == x->subject &&
		    p->settings.private_codes[i].detail == x->detail)
			return true;
	return false;
}

/* -------------------------------------------------------------------------
 * Lists.
 */

/* Where list entries come from, for list_error_fn. */
struct list_ctx {
	struct loader *ld;
	int bufline;		/* inline entries: the option's line */
	const char *what;	/* "list \"x\"" or "rule \"r\": helo" */
};

/* list_error - a bad list entry, at its file's line or the option's. */
static void
list_error(void *arg, const char *file, unsigned line, const char *message)
{
	struct list_ctx *lc = arg;

	if (file != NULL)
		report_file(lc->ld, REGISTRY_ERROR, file, line, "%s: %s",
		    lc->what, message);
	else
		report_at(lc->ld, REGISTRY_ERROR, lc->bufline, "%s: %s",
		    lc->what, message);
}

/* find_list - the named list, or NULL. */
static struct policy_named_list *
find_list(struct policy *p, const char *name)
{
	for (unsigned i = 0; i < p->nlists; i++)
		if (strcmp(p->lists[i].name, name) == 0)
			return &p->lists[i];
	return NULL;
}

/* list_name_at - spell_nearest's view of the named lists. */
static const char *
list_name_at(const void *arg, size_t i)
{
	return ((const struct policy *)arg)->lists[i].name;
}

/* build_lists - every list section, loaded and frozen. */
static void
build_lists(struct loader *ld, cfg_t *cfg, struct policy *p)
{
	unsigned n = cfg_size(cfg, "list");

	if (n > 0 && (p->lists = calloc(n, sizeof(*p->lists))) == NULL) {
		oom(ld);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "list", i);
		const char *name = cfg_title(sec), *type;
		int line = (int)confread_section_line(ld->text, "list", name);
		struct policy_named_list *nl = &p->lists[p->nlists];
		enum list_kind kind;
		char what[128];
		struct list_ctx lc = { ld, line, what };

		snprintf(what, sizeof(what), "list \"%s\"", name);
		if (!name_ok(name))
			report_at(ld, REGISTRY_ERROR, line, "list \"%s\": a name "
			    "has letters, digits, '.', '_', ':' and '-' only",
			    name);
		type = cfg_getstr(sec, "type");
		if (type == NULL) {
			report_at(ld, REGISTRY_ERROR, line, "%s: give its type: "
			    "type = cidr, domain, address or regex", what);
			continue;
		}
		if (list_kind_parse(type, &kind) != 0) {
			report_at(ld, REGISTRY_ERROR, opt_line(ld, sec, "type",
			    line), "%s: unknown type \"%s\": use cidr, domain, "
			    "address or regex", what, type);
			continue;
		}
		if (cfg_size(sec, "entries") == 0 && cfg_size(sec, "file") == 0)
			report_at(ld, REGISTRY_WARNING, line, "%s has neither "
			    "entries nor file: it is empty, so rules using it "
			    "never match", what);
		if ((nl->list = list_new(name, kind)) == NULL ||
		    (nl->name = strdup(name)) == NULL) {
			list_free(nl->list);
			oom(ld);
			return;
		}
		nl->line = (unsigned)line;
		p->nlists++;
		lc.bufline = opt_line(ld, sec, "entries", line);
		for (unsigned k = 0; k < cfg_size(sec, "entries"); k++)
			(void)list_add(nl->list, cfg_getnstr(sec, "entries", k),
			    list_error, &lc);
		for (unsigned k = 0; k < cfg_size(sec, "file"); k++) {
			const char *file = cfg_getnstr(sec, "file", k), *from;
			int fline = opt_line(ld, sec, "file", line);
			unsigned from_line;
			char full[4096];

			confread_where(ld->text, (unsigned)fline, &from,
			    &from_line);
			if (file[0] == '/' || strrchr(from, '/') == NULL)
				snprintf(full, sizeof(full), "%s", file);
			else
				snprintf(full, sizeof(full), "%.*s/%s",
				    (int)(strrchr(from, '/') - from), from, file);
			errno = 0;
			/* list_error reports bad lines (errno EINVAL); a file
			 * that cannot be read only sets errno. */
			if (list_load_file(nl->list, full, list_error, &lc) != 0 &&
			    errno != EINVAL)
				report_at(ld, REGISTRY_ERROR, fline, "%s: cannot "
				    "read %s: %s", what, full, errno != 0 ?
				    strerror(errno) : "unknown error");
		}
		if (list_freeze(nl->list) != 0)
			oom(ld);
	}
}

/* -------------------------------------------------------------------------
 * Conditions.
 */

/* The rule being built. */
struct rule_ctx {
	struct loader *ld;
	struct policy *p;
	struct rule *rule;
	bool warned_check[CHECK_COUNT];
};

/* The first stage each field is known at (macro and check: per name). */
static const enum stage field_stage[COND_FIELD_COUNT] = {
	[COND_CLIENT_ADDR] = STAGE_CONNECT,
	[COND_CLIENT_NAME] = STAGE_CONNECT,
	[COND_HELO] = STAGE_HELO,
	[COND_SENDER] = STAGE_MAIL,
	[COND_SENDER_DOMAIN] = STAGE_MAIL,
	[COND_RCPT] = STAGE_RCPT,
	[COND_RCPT_DOMAIN] = STAGE_RCPT,
	[COND_RCPT_COUNT] = STAGE_RCPT,
	[COND_SIZE] = STAGE_MAIL,
	[COND_HEADER] = STAGE_HEADER,
	[COND_BODY] = STAGE_BODY,
	[COND_MACRO] = STAGE_CONNECT,
	[COND_CHECK] = STAGE_CONNECT,
};

/* cond_new - an empty condition node, or NULL. */
static struct cond *
cond_new(struct loader *ld, enum cond_type type, int line)
{
	struct cond *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return oom(ld);
	c->type = type;
	c->line = (unsigned)line;
	c->memo = -1;
	return c;
}

/* cond_add_child - append child to parent; 0, or -1 (child freed). */
static int
cond_add_child(struct loader *ld, struct cond *parent, struct cond *child)
{
	struct cond **n = realloc(parent->children,
	    (parent->nchildren + 1) * sizeof(*n));

	if (n == NULL) {
		policy_cond_free(child);
		oom(ld);
		return -1;
	}
	parent->children = n;
	parent->children[parent->nchildren++] = child;
	return 0;
}

/* stage_fits - report an error when what is not known at the rule's stage;
 * whether it fits. */
static bool
stage_fits(struct rule_ctx *rc, int line, const char *what, enum stage known)
{
	if (rc->rule->stage >= known)
		return true;
	report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": %s is not known "
	    "at stage %s (the MTA tells it from stage %s on): move the rule to "
	    "stage %s or later", rc->rule->name, what,
	    stage_name(rc->rule->stage), stage_name(known), stage_name(known));
	return false;
}

/* kind_allowed - whether a list of kind may be matched against field. */
static bool
kind_allowed(enum cond_field field, enum list_kind kind)
{
	switch (field) {
	case COND_CLIENT_ADDR:
		return kind == LIST_CIDR;
	case COND_CLIENT_NAME:
	case COND_HELO:
	case COND_SENDER_DOMAIN:
	case COND_RCPT_DOMAIN:
		return kind == LIST_DOMAIN || kind == LIST_REGEX;
	case COND_SENDER:
	case COND_RCPT:
		return kind != LIST_CIDR;
	default:
		return kind == LIST_REGEX;
	}
}

/* add_list - attach list to c (borrowed or owned); 0, or -1. */
static int
add_list(struct rule_ctx *rc, struct cond *c, struct list *l, bool owned,
    int line)
{
	for (unsigned i = 0; i < c->nlists; i++)
		if (c->lists[i] == l)
			return 0;
	if (c->nlists == COND_MAX_LISTS) {
		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": more than "
		    "%d lists in one condition: merge them", rc->rule->name,
		    COND_MAX_LISTS);
		return -1;
	}
	c->lists[c->nlists] = l;
	c->owns[c->nlists++] = owned;
	return 0;
}

/* own_list - c's own list of kind for inline values, made on first use. */
static struct list *
own_list(struct rule_ctx *rc, struct cond *c, enum list_kind kind, int line)
{
	char name[128];
	struct list *l;

	for (unsigned i = 0; i < c->nlists; i++)
		if (c->owns[i] && list_kind(c->lists[i]) == kind)
			return c->lists[i];
	snprintf(name, sizeof(name), "%s:%s", rc->rule->name,
	    policy_field_name(c->field));
	if ((l = list_new(name, kind)) == NULL)
		return oom(rc->ld);
	if (add_list(rc, c, l, true, line) != 0) {
		list_free(l);
		return NULL;
	}
	return l;
}

/* add_string - an exact value for c; 0, or -1. */
static int
add_string(struct rule_ctx *rc, struct cond *c, const char *value)
{
	char **n = realloc(c->strings, (c->nstrings + 1) * sizeof(*n));

	if (n == NULL || (n[c->nstrings] = strdup(value)) == NULL) {
		if (n != NULL)
			c->strings = n;
		oom(rc->ld);
		return -1;
	}
	c->strings = n;
	c->nstrings++;
	return 0;
}

/* add_value - one value of a condition: list:NAME, /regex/, or a literal
 * of the field's kind; 0, or -1 after reporting. */
static int
add_value(struct rule_ctx *rc, struct cond *c, const char *value, int line)
{
	struct loader *ld = rc->ld;
	char what[160];
	struct list_ctx lc = { ld, line, what };
	struct list *l;

	snprintf(what, sizeof(what), "rule \"%s\": %s", rc->rule->name,
	    policy_field_name(c->field));
	if (strncmp(value, "list:", 5) == 0) {
		struct policy_named_list *nl = find_list(rc->p, value + 5);

		if (nl == NULL) {
			char hint[128];

			report_at(ld, REGISTRY_ERROR, line, "%s: unknown list "
			    "\"%s\"%s", what, value + 5, did_you_mean(
			    spell_nearest(value + 5, list_name_at, rc->p,
			    rc->p->nlists), hint, sizeof(hint)));
			return -1;
		}
		nl->used = true;
		if (!kind_allowed(c->field, list_kind(nl->list))) {
			report_at(ld, REGISTRY_ERROR, line, "%s: list \"%s\" is "
			    "a %s list, which cannot match %s", what, nl->name,
			    list_kind_name(list_kind(nl->list)),
			    policy_field_name(c->field));
			return -1;
		}
		return add_list(rc, c, nl->list, false, line);
	}
	if (is_regex(value)) {
		if (!kind_allowed(c->field, LIST_REGEX)) {
			report_at(ld, REGISTRY_ERROR, line, "%s: a client address "
			    "is matched by CIDR ranges, not regular expressions",
			    what);
			return -1;
		}
		if ((l = own_list(rc, c, LIST_REGEX, line)) == NULL)
			return -1;
		return list_add(l, value, list_error, &lc);
	}
	switch (c->field) {
	case COND_CLIENT_ADDR:
		if ((l = own_list(rc, c, LIST_CIDR, line)) == NULL)
			return -1;
		return list_add(l, value, list_error, &lc);
	case COND_CLIENT_NAME:
	case COND_HELO:
	case COND_SENDER_DOMAIN:
	case COND_RCPT_DOMAIN:
		if ((l = own_list(rc, c, LIST_DOMAIN, line)) == NULL)
			return -1;
		return list_add(l, value, list_error, &lc);
	case COND_SENDER:
	case COND_RCPT:
		if (strcmp(value, "<>") == 0) {
			if (c->field == COND_RCPT) {
				report_at(ld, REGISTRY_ERROR, line, "%s: a "
				    "recipient is never the null address <>",
				    what);
				return -1;
			}
			c->null_sender = true;
			return 0;
		}
		if ((l = own_list(rc, c, LIST_ADDRESS, line)) == NULL)
			return -1;
		return list_add(l, value, list_error, &lc);
	case COND_RCPT_COUNT:
	case COND_SIZE:
		if (c->presence) {
			report_at(ld, REGISTRY_ERROR, line, "%s: give one "
			    "comparison, e.g. \"> 10M\"", what);
			return -1;
		}
		if (parse_comparison(value, c) != 0) {
			report_at(ld, REGISTRY_ERROR, line, "%s \"%s\": write "
			    "OPERATOR NUMBER, e.g. \">= 50\" or \"> 10M\" "
			    "(operators < <= > >= = !=)", what, value);
			return -1;
		}
		/* Marks the comparison as given, so a second one is caught. */
		c->presence = true;
		return 0;
	default:
		return add_string(rc, c, value);
	}
}

/* freeze_own_lists - finish the lists made for c's inline values. */
static void
freeze_own_lists(struct rule_ctx *rc, struct cond *c)
{
	for (unsigned i = 0; i < c->nlists; i++)
		if (c->owns[i] && list_freeze(c->lists[i]) != 0)
			oom(rc->ld);
}

/* split_named - "Name: value" into name and trimmed value (NULL when there
 * is no ':'); the copy to free, or NULL. */
static char *
split_named(struct loader *ld, const char *text, char **name, char **value)
{
	char *copy = xstrdup(ld, text), *colon;

	if (copy == NULL)
		return NULL;
	/* A macro name is "{...}": its ':' comes after the brace. */
	colon = strchr(copy[0] == '{' && strchr(copy, '}') != NULL ?
	    strchr(copy, '}') : copy, ':');
	if (colon != NULL) {
		*colon = '\0';
		*value = trim(colon + 1);
	} else {
		*value = NULL;
	}
	*name = trim(copy);
	return copy;
}

/* named_cond - a header or macro condition: name present (value NULL or
 * empty) or with a value; NULL after reporting, or when out of memory. */
static struct cond *
named_cond(struct rule_ctx *rc, enum cond_field field, const char *name,
    const char *text, const char *value, int line)
{
	struct cond *c = cond_new(rc->ld, COND_MATCH, line);

	if (c == NULL)
		return NULL;
	c->field = field;
	c->text = xstrdup(rc->ld, text);
	c->name = xstrdup(rc->ld, name);
	c->presence = value == NULL || *value == '\0';
	if (c->text == NULL || c->name == NULL ||
	    (!c->presence && add_value(rc, c, value, line) != 0)) {
		policy_cond_free(c);
		return NULL;
	}
	freeze_own_lists(rc, c);
	return c;
}

/* build_header_cond - one header = "Name[: value]" condition. */
static struct cond *
build_header_cond(struct rule_ctx *rc, const char *text, int line)
{
	char *name, *value, *copy = split_named(rc->ld, text, &name, &value);
	struct cond *c;

	if (copy == NULL)
		return NULL;
	if (!header_name_ok(name, strlen(name))) {
		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": header "
		    "\"%s\": write \"Name\" or \"Name: value\" or "
		    "\"Name: /regex/\"", rc->rule->name, text);
		free(copy);
		return NULL;
	}
	c = named_cond(rc, COND_HEADER, name, text, value, line);
	free(copy);
	return c;
}

/* build_macro_cond - one macro = "{name}[: value]" condition. */
static struct cond *
build_macro_cond(struct rule_ctx *rc, const char *text, int line)
{
	char *name, *value, *copy = split_named(rc->ld, text, &name, &value);
	struct cond *c = NULL;
	enum stage known;

	if (copy == NULL)
		return NULL;
	if (macro_stage(name, &known) != 0) {
		char hint[128];

		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": unknown "
		    "macro \"%s\"%s (macros are written {name}, or a single "
		    "letter such as i)", rc->rule->name, name,
		    did_you_mean(macro_nearest(name), hint, sizeof(hint)));
	} else if (stage_fits(rc, line, name, known)) {
		c = named_cond(rc, COND_MACRO, name, text, value, line);
	}
	free(copy);
	return c;
}

/* build_check_cond - one check = "name: result[|result...]" condition. */
static struct cond *
build_check_cond(struct rule_ctx *rc, const char *text, int line)
{
	char *name, *value, *copy = split_named(rc->ld, text, &name, &value);
	const struct check_def *def;
	struct cond *c = NULL;
	enum check_id id;
	char results[160];

	if (copy == NULL)
		return NULL;
	if (check_lookup(name, &id) != 0) {
		char hint[128];

		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": unknown "
		    "check \"%s\"%s (known: %s)", rc->rule->name, name,
		    did_you_mean(spell_nearest(name, check_at, NULL,
		    CHECK_COUNT), hint, sizeof(hint)), check_names());
		goto out;
	}
	def = check_def(id);
	check_result_names(id, results, sizeof(results));
	if (value == NULL || *value == '\0') {
		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": check "
		    "\"%s\": name the results, e.g. \"%s: %s\"", rc->rule->name,
		    text, name, results);
		goto out;
	}
	if (!stage_fits(rc, line, name, def->stage) ||
	    (c = cond_new(rc->ld, COND_MATCH, line)) == NULL)
		goto out;
	c->field = COND_CHECK;
	c->check = id;
	c->text = xstrdup(rc->ld, text);
	for (char *save = NULL, *tok = strtok_r(value, "|, ", &save);
	    tok != NULL; tok = strtok_r(NULL, "|, ", &save)) {
		int result = check_result_lookup(id, tok);

		if (result <= 0) {
			size_t n = 0;
			char hint[128];

			while (n + 1 < CHECK_MAX_RESULTS &&
			    def->results[n + 1] != NULL)
				n++;
			report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": "
			    "check %s has no result \"%s\"%s (results: %s)",
			    rc->rule->name, name, tok, did_you_mean(
			    spell_nearest(tok, result_at, def, n), hint,
			    sizeof(hint)), results);
			policy_cond_free(c);
			c = NULL;
			goto out;
		}
		c->check_results |= 1u << result;
	}
	if (!def->performed && !rc->warned_check[id]) {
		rc->warned_check[id] = true;
		report_at(rc->ld, REGISTRY_WARNING, line, "rule \"%s\": check "
		    "%s (%s) is not performed by this build: in the daemon its "
		    "result stays unknown and the condition never matches; "
		    "--test can stand in for it with \"check %s RESULT\"",
		    rc->rule->name, name, def->what, name);
	}
out:
	free(copy);
	return c;
}

/* build_field - the conditions of one field option of sec, added to
 * parent: one node for most fields, one per value for header, macro and
 * check (under an any when there are several). */
static void
build_field(struct rule_ctx *rc, struct cond *parent, cfg_t *sec,
    enum cond_field field, int line)
{
	unsigned n = cfg_size(sec, cond_options[field]);
	struct cond *c, *group = parent;

	if (!stage_fits(rc, line, cond_options[field], field_stage[field]))
		return;
	if (field == COND_HEADER || field == COND_MACRO || field == COND_CHECK) {
		if (n > 1) {
			if ((group = cond_new(rc->ld, COND_ANY, line)) == NULL ||
			    cond_add_child(rc->ld, parent, group) != 0)
				return;
		}
		for (unsigned i = 0; i < n; i++) {
			const char *v = cfg_getnstr(sec, cond_options[field], i);

			c = field == COND_HEADER ? build_header_cond(rc, v, line) :
			    field == COND_MACRO ? build_macro_cond(rc, v, line) :
			    build_check_cond(rc, v, line);
			if (c != NULL)
				(void)cond_add_child(rc->ld, group, c);
		}
		return;
	}
	if ((c = cond_new(rc->ld, COND_MATCH, line)) == NULL)
		return;
	c->field = field;
	c->cmp = COND_LT;
	for (unsigned i = 0; i < n; i++) {
		const char *v = cfg_getnstr(sec, cond_options[field], i);
		size_t used = c->text ? strlen(c->text) : 0;
		char *t = realloc(c->text, used + strlen(v) + 3);

		if (t == NULL) {
			oom(rc->ld);
			break;
		}
		c->text = t;
		snprintf(t + used, strlen(v) + 3, "%s%s", used ? ", " : "", v);
		if (field == COND_BODY && !is_regex(v) &&
		    strncmp(v, "list:", 5) != 0) {
			report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": "
			    "body \"%s\": the body is matched by regular "
			    "expressions: write \"/%s/\"", rc->rule->name, v, v);
			continue;
		}
		(void)add_value(rc, c, v, line);
	}
	freeze_own_lists(rc, c);
	(void)cond_add_child(rc->ld, parent, c);
}

/* first_line - the earliest recorded line of any option in sec, or
 * fallback (a nested section's own line is not recorded). */
static int
first_line(struct loader *ld, cfg_t *sec, int fallback)
{
	int best = 0;

	for (int f = 0; f < COND_FIELD_COUNT; f++) {
		int l = opt_line(ld, sec, cond_options[f], 0);

		if (l > 0 && (best == 0 || l < best))
			best = l;
	}
	return best > 0 ? best : fallback;
}

/* build_conds - the condition tree of section sec as a node of type. */
static struct cond *
build_conds(struct rule_ctx *rc, cfg_t *sec, enum cond_type type, int line,
    int depth)
{
	static const struct {
		const char *name;
		enum cond_type type;
	} nested[] = {
		{ "any", COND_ANY }, { "all", COND_ALL }, { "not", COND_NOT },
	};
	struct cond *c = cond_new(rc->ld, type, line);

	if (c == NULL)
		return NULL;
	for (int f = 0; f < COND_FIELD_COUNT; f++)
		if (cfg_size(sec, cond_options[f]) > 0)
			build_field(rc, c, sec, (enum cond_field)f,
			    opt_line(rc->ld, sec, cond_options[f], line));
	if (depth >= COND_DEPTH)
		return c;
	for (size_t k = 0; k < sizeof(nested) / sizeof(nested[0]); k++)
		for (unsigned i = 0; i < cfg_size(sec, nested[k].name); i++) {
			cfg_t *sub = cfg_getnsec(sec, nested[k].name, i);
			int subline = first_line(rc->ld, sub, line);
			struct cond *child = build_conds(rc, sub, nested[k].type,
			    subline, depth + 1);

			if (child == NULL)
				continue;
			if (child->nchildren == 0)
				report_at(rc->ld, REGISTRY_WARNING, subline,
				    "rule \"%s\": an empty %s {} %s",
				    rc->rule->name, nested[k].name,
				    nested[k].type == COND_ANY ? "never matches, "
				    "so the rule never does" :
				    nested[k].type == COND_NOT ? "always matches"
				    : "always matches");
			(void)cond_add_child(rc->ld, c, child);
		}
	return c;
}

/* -------------------------------------------------------------------------
 * Rules and their replies.
 */

/* report_verdict - every warning and error of a registry verdict on the
 * rule's pair. */
static void
report_verdict(struct rule_ctx *rc, int line, const char *what,
    const struct reply *reply, const struct registry_verdict *v)
{
	char x[16] = "";

	if (reply_xcode(reply) != NULL)
		registry_format_xcode(reply_xcode(reply), x, sizeof(x));
	for (unsigned i = 0; i < v->nfindings; i++)
		if (v->findings[i].severity != REGISTRY_OK)
			report_at(rc->ld, v->findings[i].severity, line,
			    "rule \"%s\": %s%u%s%s: %s", rc->rule->name, what,
			    reply_basic(reply), x[0] ? " " : "", x,
			    v->findings[i].text);
}

/* Where reply_check_mta's findings go. */
struct mta_ctx {
	struct rule_ctx *rc;
	int line;
	const char *what;
};

/* report_mta - one finding of reply_check_mta. */
static void
report_mta(void *arg, enum registry_severity sev, const char *message)
{
	struct mta_ctx *mc = arg;

	report_at(mc->rc->ld, sev, mc->line, "rule \"%s\": %s%s",
	    mc->rc->rule->name, mc->what, message);
}

/* check_reply - the registry's and the MTA model's verdict on reply, as
 * the rule would send it; the worst severity. */
static enum registry_severity
check_reply(struct rule_ctx *rc, const struct reply *reply, int line,
    const char *what)
{
	const struct registry_xcode *x = reply_xcode(reply);
	struct mta_ctx mc = { rc, line, what };
	struct registry_verdict v;
	enum registry_severity worst, mta;
	unsigned cls = reply_basic(reply) / 100;

	worst = registry_validate(reply_basic(reply), x,
	    stage_registry(rc->rule->stage),
	    x != NULL && is_private(rc->p, x) ? REGISTRY_F_PRIVATE : 0, &v);
	report_verdict(rc, line, what, reply, &v);
	if ((rc->rule->action == POLICY_REJECT && cls != 5) ||
	    (rc->rule->action == POLICY_TEMPFAIL && cls != 4)) {
		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": %saction "
		    "%s with a %uxx reply: libmilter sends a custom reply only "
		    "when its class matches the action (5xx with reject, 4xx "
		    "with tempfail) and would drop this text; use action = %s "
		    "or a %dxx reply", rc->rule->name, what,
		    policy_action_name(rc->rule->action), cls,
		    cls == 5 ? "reject" : "tempfail",
		    rc->rule->action == POLICY_REJECT ? 5 : 4);
		worst = REGISTRY_ERROR;
	}
	mta = reply_check_mta(reply, report_mta, &mc);
	return mta > worst ? mta : worst;
}

/* parse_action - the action named by text; 0, or -1. */
static int
parse_action(const char *text, enum policy_action *out)
{
	for (int i = POLICY_CONTINUE; i <= POLICY_ADD_HEADER; i++)
		if (strcmp(text, policy_action_name((enum policy_action)i)) ==
		    0) {
			*out = (enum policy_action)i;
			return 0;
		}
	return -1;
}

/* complete_reply - fill in what the admin left out, from the registry:
 * the basic code from the enhanced one, the text from its sample text. */
static int
complete_reply(struct rule_ctx *rc, struct reply *reply, int line)
{
	const struct registry_xcode *x = reply_xcode(reply);
	const struct registry_enhanced *e =
	    x != NULL ? registry_enhanced_lookup(x->subject, x->detail) : NULL;
	unsigned cls = rc->rule->action == POLICY_TEMPFAIL ? 4 : 5;
	char err[256];

	if (reply_basic(reply) == 0 && x == NULL) {
		/* Text only: the action's policy code, as with no reply. */
		struct registry_xcode policy = { cls, 7, 1 };

		reply_set_codes(reply, 0, &policy);
		x = reply_xcode(reply);
		e = registry_enhanced_lookup(7, 1);
	}
	if (reply_basic(reply) == 0) {
		unsigned basic = 0;

		if (x != NULL)
			cls = x->cls;
		if (e != NULL)
			basic = registry_enhanced_basic_for(e, cls);
		if (basic == 0)
			basic = cls == 4 ? 451 : 550;
		reply_set_codes(reply, basic, x);
	}
	if (x == NULL)
		report_at(rc->ld, REGISTRY_WARNING, line, "rule \"%s\": reply "
		    "%u has no enhanced status code: Sendmail will add %u.0.0; "
		    "give one, e.g. %u %u.7.1", rc->rule->name,
		    reply_basic(reply), reply_basic(reply) / 100,
		    reply_basic(reply), reply_basic(reply) / 100);
	if (reply_nlines(reply) == 0 && reply_set_text(reply, e != NULL ?
	    e->summary : reply_basic(reply) / 100 == 4 ? "Try again later" :
	    "Command rejected", err, sizeof(err)) != 0) {
		report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": %s",
		    rc->rule->name, err);
		return -1;
	}
	return 0;
}

/* default_reply_text - the reply a rule gets when it names none, from
 * what it tests: a check's result (its registered code), a recipient
 * count or a size; NULL when nothing says. */
static const char *
default_reply_text(const struct rule *r)
{
	if (r->cond == NULL)
		return NULL;
	for (unsigned i = 0; i < r->cond->nchildren; i++) {
		const struct cond *c = r->cond->children[i];

		if (c->type != COND_MATCH)
			continue;
		if (c->field == COND_RCPT_COUNT)
			return "452 4.5.3 Too many recipients";
		if (c->field == COND_SIZE)
			return "552 5.3.4 Message too big for system";
		if (c->field == COND_CHECK &&
		    __builtin_popcount(c->check_results) == 1) {
			unsigned result =
			    (unsigned)__builtin_ctz(c->check_results);

			if (check_def(c->check)->defaults[result] != NULL)
				return check_def(c->check)->defaults[result];
		}
	}
	return NULL;
}

/* build_action_reply - the rule's action, reply and header, completed and
 * checked. */
static void
build_action_reply(struct rule_ctx *rc, cfg_t *sec, int line)
{
	struct rule *r = rc->rule;
	const char *action = cfg_getstr(sec, "action");
	const char *header = cfg_getstr(sec, "add_header");
	unsigned nreply = cfg_size(sec, "reply");
	int aline = opt_line(rc->ld, sec, "action", line);
	int rline = opt_line(rc->ld, sec, "reply", line);
	const char *lines[REPLY_MAX_LINES + 1];
	struct reply *reply = NULL;
	char err[512];

	if (action != NULL && parse_action(action, &r->action) != 0) {
		char hint[128];

		report_at(rc->ld, REGISTRY_ERROR, aline, "rule \"%s\": unknown "
		    "action \"%s\"%s (actions: reject, tempfail, discard, "
		    "accept, continue, add-header)", r->name, action,
		    did_you_mean(spell_nearest(action, action_at, NULL,
		    POLICY_ADD_HEADER + 1), hint, sizeof(hint)));
		return;
	}
	if (nreply > REPLY_MAX_LINES) {
		report_at(rc->ld, REGISTRY_ERROR, rline, "rule \"%s\": %u reply "
		    "lines: libmilter sends at most %d", r->name, nreply,
		    REPLY_MAX_LINES);
		return;
	}
	for (unsigned i = 0; i < nreply; i++)
		lines[i] = cfg_getnstr(sec, "reply", i);
	if (nreply > 0 && (reply = reply_parse(lines, nreply, err,
	    sizeof(err))) == NULL) {
		report_at(rc->ld, REGISTRY_ERROR, rline, "rule \"%s\": reply: %s",
		    r->name, err);
		return;
	}
	if (reply == NULL && header == NULL) {
		const char *def = default_reply_text(r);
		unsigned cls = def != NULL ? (unsigned)(def[0] - '0') : 0;

		/* The check's own code, when the action agrees with it. */
		if (def != NULL && (action == NULL ||
		    (r->action == POLICY_REJECT && cls == 5) ||
		    (r->action == POLICY_TEMPFAIL && cls == 4)) &&
		    (reply = reply_parse(&def, 1, err, sizeof(err))) == NULL) {
			report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": "
			    "default reply: %s", r->name, err);
			return;
		}
	}
	if (action == NULL) {
		unsigned cls = 0;

		if (reply != NULL)
			cls = reply_basic(reply) != 0 ? reply_basic(reply) / 100
			    : reply_xcode(reply) != NULL ?
			    reply_xcode(reply)->cls : 0;
		if (header != NULL && reply == NULL) {
			r->action = POLICY_ADD_HEADER;
		} else if (cls == 5 || cls == 4) {
			r->action = cls == 5 ? POLICY_REJECT : POLICY_TEMPFAIL;
		} else {
			report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\" does "
			    "nothing: give an action (reject, tempfail, discard, "
			    "accept, continue, add-header) or a reply with its "
			    "codes, e.g. reply = \"550 5.7.1 ...\"", r->name);
			reply_free(reply);
			return;
		}
	}
	if (reply != NULL && r->action != POLICY_REJECT &&
	    r->action != POLICY_TEMPFAIL) {
		report_at(rc->ld, REGISTRY_ERROR, rline, "rule \"%s\": a reply "
		    "is sent only with action reject or tempfail, not %s: "
		    "remove the reply or change the action", r->name,
		    policy_action_name(r->action));
		reply_free(reply);
		return;
	}
	if ((header != NULL) != (r->action == POLICY_ADD_HEADER)) {
		report_at(rc->ld, REGISTRY_ERROR, header != NULL ?
		    opt_line(rc->ld, sec, "add_header", line) : aline,
		    "rule \"%s\": %s", r->name, header != NULL ?
		    "add_header goes with action = add-header" :
		    "action add-header needs add_header = \"Name: value\"");
		reply_free(reply);
		return;
	}
	if (r->stage <= STAGE_HELO && (r->action == POLICY_DISCARD ||
	    r->action == POLICY_ADD_HEADER)) {
		report_at(rc->ld, REGISTRY_ERROR, aline, "rule \"%s\": %s acts "
		    "on a message, and there is none at stage %s: move the rule "
		    "to stage mail or later", r->name,
		    policy_action_name(r->action), stage_name(r->stage));
		reply_free(reply);
		return;
	}
	if (header != NULL) {
		const char *colon = strchr(header, ':');
		char *value;

		if (colon == NULL || !header_name_ok(header,
		    (size_t)(colon - header))) {
			report_at(rc->ld, REGISTRY_ERROR, opt_line(rc->ld, sec,
			    "add_header", line), "rule \"%s\": add_header "
			    "\"%s\": write \"Name: value\"", r->name, header);
			return;
		}
		r->header_name = strndup(header, (size_t)(colon - header));
		value = dup_trimmed(rc->ld, colon + 1);
		if (r->header_name == NULL || value == NULL) {
			free(value);
			oom(rc->ld);
			return;
		}
		/* The value is a template, rendered as reply texts are. */
		if ((r->header_value = reply_new(0, NULL, value, err,
		    sizeof(err))) == NULL)
			report_at(rc->ld, REGISTRY_ERROR, opt_line(rc->ld, sec,
			    "add_header", line), "rule \"%s\": add_header: %s",
			    r->name, err);
		free(value);
	}
	if (r->action != POLICY_REJECT && r->action != POLICY_TEMPFAIL)
		return;
	if (reply == NULL) {
		struct registry_xcode x = { r->action == POLICY_TEMPFAIL ? 4u :
		    5u, 7, 1 };

		if ((reply = reply_new(0, &x, NULL, err, sizeof(err))) == NULL) {
			oom(rc->ld);
			return;
		}
	}
	if (complete_reply(rc, reply, rline) != 0) {
		reply_free(reply);
		return;
	}
	r->reply = reply;
	(void)check_reply(rc, reply, nreply > 0 ? rline : aline, "");
}

/* generic_of - the enhanced code that discloses less than x: its subject's
 * generic one (X.7.1 for policy, as RFC 7372 section 5 suggests; X.s.0
 * for the other subjects). */
static struct registry_xcode
generic_of(const struct registry_xcode *x)
{
	struct registry_xcode g = { x->cls, x->subject,
	    x->subject == 7 ? 1u : 0u };

	return g;
}

/* with_codes - a copy of r with these codes (text kept); r itself is
 * freed unless it is keep (the rule's specific reply), so a chain of
 * steps leaves one copy; NULL when out of memory. */
static struct reply *
with_codes(struct loader *ld, struct reply *r, const struct reply *keep,
    unsigned basic, const struct registry_xcode *x)
{
	struct reply *c = reply_copy_with_codes(r, basic, x);

	if (r != keep)
		reply_free(r);
	return c != NULL ? c : oom(ld);
}

/* build_wire - what the MTA gets: the specific reply, made generic when
 * disclosure says so, soft-bounced when the site says so, with the reply
 * id at the end when asked; each step re-checked. */
static void
build_wire(struct rule_ctx *rc, int line)
{
	struct rule *r = rc->rule;
	const struct policy_settings *s = &rc->p->settings;
	struct reply *wire = r->reply;
	const struct registry_xcode *x;
	char err[256];

	err[0] = '\0';
	if (r->reply == NULL)
		return;
	x = reply_xcode(wire);
	if (r->disclose == POLICY_DISCLOSE_GENERIC && x != NULL &&
	    registry_enhanced_lookup(x->subject, x->detail) != NULL) {
		struct registry_xcode g = generic_of(x);
		const struct registry_enhanced *ge =
		    registry_enhanced_lookup(g.subject, g.detail);
		unsigned basic = reply_basic(wire);

		if (!registry_enhanced_lists(ge, basic) &&
		    registry_enhanced_basic_for(ge, g.cls) != 0)
			basic = registry_enhanced_basic_for(ge, g.cls);
		if ((wire = with_codes(rc->ld, wire, r->reply, basic, &g)) ==
		    NULL ||
		    reply_set_text(wire, ge->summary, err, sizeof(err)) != 0)
			goto fail;
		x = reply_xcode(wire);
		(void)check_reply(rc, wire, line, "generic reply: ");
	}
	if (s->soft_bounce && reply_basic(wire) / 100 == 5) {
		struct registry_xcode t = { 4, 0, 0 };
		unsigned basic = 451;

		if (x != NULL) {
			const struct registry_enhanced *e =
			    registry_enhanced_lookup(x->subject, x->detail);

			t = *x;
			t.cls = 4;
			basic = e != NULL ? registry_enhanced_basic_for(e, 4) : 0;
			if (basic == 0) {
				const struct registry_enhanced *g;

				t.detail = 0;
				g = registry_enhanced_lookup(t.subject, 0);
				basic = g != NULL ?
				    registry_enhanced_basic_for(g, 4) : 0;
				if (basic == 0)
					basic = 451;
				report_at(rc->ld, REGISTRY_WARNING, line, "rule "
				    "\"%s\": soft_bounce: X.%u.%u has no "
				    "registered 4xx form, so the rule answers "
				    "%u 4.%u.0 instead of %u %u.%u.%u",
				    r->name, x->subject, x->detail, basic,
				    x->subject, reply_basic(wire), x->cls,
				    x->subject, x->detail);
			}
		} else if (reply_basic(wire) == 550 ||
		    reply_basic(wire) == 552) {
			basic = reply_basic(wire) - 100;
		}
		if ((wire = with_codes(rc->ld, wire, r->reply, basic,
		    x != NULL ? &t : NULL)) == NULL)
			goto fail;
		x = reply_xcode(wire);
		r->action = POLICY_TEMPFAIL;
		(void)check_reply(rc, wire, line, "soft-bounced reply: ");
	}
	if (s->reply_id) {
		char suffix[80];

		snprintf(suffix, sizeof(suffix), " [%s]", r->id);
		if (wire == r->reply && (wire = with_codes(rc->ld, wire,
		    r->reply, reply_basic(wire), x)) == NULL)
			goto fail;
		if (reply_append_text(wire, suffix, err, sizeof(err)) != 0)
			goto fail;
		(void)check_reply(rc, wire, line, "reply with its id: ");
	}
	r->wire = wire;
	return;
fail:
	if (wire != NULL && wire != r->reply)
		reply_free(wire);
	r->wire = r->reply;
	report_at(rc->ld, REGISTRY_ERROR, line, "rule \"%s\": %s", r->name,
	    err[0] ? err : "out of memory");
}

/* build_rule - one rule section, appended to p->rules. */
static void
build_rule(struct loader *ld, struct policy *p, cfg_t *sec)
{
	const char *name = cfg_title(sec), *text;
	int line = (int)confread_section_line(ld->text, "rule", name);
	struct rule_ctx rc = { ld, p, NULL, { false } };
	struct rule *r = calloc(1, sizeof(*r));
	unsigned before = ld->counts.errors;

	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		oom(ld);
		return;
	}
	rc.rule = r;
	r->line = (unsigned)line;
	r->index = p->nrules;
	p->rules[p->nrules++] = r;
	if (!name_ok(name))
		report_at(ld, REGISTRY_ERROR, line, "rule \"%s\": a name has "
		    "letters, digits, '.', '_', ':' and '-' only", name);
	text = cfg_getstr(sec, "stage");
	if (text == NULL) {
		report_at(ld, REGISTRY_ERROR, line, "rule \"%s\": give its "
		    "stage: one of %s", name, stage_names());
		return;
	}
	if (stage_parse(text, &r->stage) != 0) {
		char hint[128];

		report_at(ld, REGISTRY_ERROR, opt_line(ld, sec, "stage", line),
		    "rule \"%s\": unknown stage \"%s\"%s (stages: %s)",
		    name, text, did_you_mean(spell_nearest(text, stage_at, NULL,
		    STAGE_COUNT), hint, sizeof(hint)), stage_names());
		return;
	}
	text = cfg_getstr(sec, "mode");
	if (strcmp(text, "dry-run") == 0)
		r->dry_run = true;
	else if (strcmp(text, "enforce") != 0)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, sec, "mode", line),
		    "rule \"%s\": mode \"%s\": use enforce or dry-run", name,
		    text);
	r->disclose = p->settings.disclose;
	if ((text = cfg_getstr(sec, "disclose")) != NULL) {
		if (strcmp(text, "generic") == 0)
			r->disclose = POLICY_DISCLOSE_GENERIC;
		else if (strcmp(text, "specific") == 0)
			r->disclose = POLICY_DISCLOSE_SPECIFIC;
		else
			report_at(ld, REGISTRY_ERROR, opt_line(ld, sec,
			    "disclose", line), "rule \"%s\": disclose \"%s\": "
			    "use specific or generic", name, text);
	}
	text = cfg_getstr(sec, "id");
	if (text != NULL && !name_ok(text))
		report_at(ld, REGISTRY_ERROR, opt_line(ld, sec, "id", line),
		    "rule \"%s\": id \"%s\": an id has letters, digits, '.', "
		    "'_', ':' and '-' only", name, text);
	r->id = xstrdup(ld, text != NULL ? text : name);
	r->cond = build_conds(&rc, sec, COND_ALL, line, 0);
	build_action_reply(&rc, sec, line);
	if (ld->counts.errors == before)
		build_wire(&rc, opt_line(ld, sec, "reply", line));
	if (r->wire == NULL)
		r->wire = r->reply;
}

/* -------------------------------------------------------------------------
 * The rules as a whole: rule order, rules that can never match.
 */

/* same_cond - whether a and b are the same plain condition as written. */
static bool
same_cond(const struct cond *a, const struct cond *b)
{
	if (a->type != COND_MATCH || b->type != COND_MATCH ||
	    a->field != b->field)
		return false;
	if (a->field == COND_RCPT_COUNT || a->field == COND_SIZE)
		return a->cmp == b->cmp && a->number == b->number;
	return a->text != NULL && b->text != NULL &&
	    strcmp(a->text, b->text) == 0 && a->null_sender == b->null_sender;
}

/* stable_field - whether a field's value stays the same for the rest of
 * the connection or message once known (so an earlier stage's decision
 * on it holds at later stages). */
static bool
stable_field(enum cond_field f)
{
	return f == COND_CLIENT_ADDR || f == COND_CLIENT_NAME ||
	    f == COND_HELO || f == COND_SENDER || f == COND_SENDER_DOMAIN;
}

/* ends_later_stages - whether r's action, when it matches, keeps every
 * later stage's rules from running for this message. */
static bool
ends_later_stages(const struct rule *r)
{
	switch (r->action) {
	case POLICY_ACCEPT:
	case POLICY_REJECT:
	case POLICY_TEMPFAIL:
		return r->stage <= STAGE_MAIL;
	case POLICY_DISCARD:
		return true;
	default:
		return false;
	}
}

/* shadows - whether first, when it matches, always keeps later from
 * running: first is decisive, its conditions are plain and each is also
 * one of later's, and the stages allow it. */
static bool
shadows(const struct rule *first, const struct rule *later)
{
	bool same_stage = first->stage == later->stage;

	if (first->dry_run || first->action == POLICY_ADD_HEADER ||
	    first->cond == NULL || later->cond == NULL ||
	    first->stage > later->stage)
		return false;
	if (!same_stage && !ends_later_stages(first))
		return false;
	for (unsigned i = 0; i < first->cond->nchildren; i++) {
		const struct cond *c = first->cond->children[i];
		bool found = false;

		if (c->type != COND_MATCH || (!same_stage &&
		    !stable_field(c->field)))
			return false;
		for (unsigned k = 0; k < later->cond->nchildren && !found; k++)
			found = same_cond(c, later->cond->children[k]);
		if (!found)
			return false;
	}
	return true;
}

/* never_matches - a reason the condition c can never match, or NULL. */
static const char *
never_matches(const struct cond *c, enum stage stage)
{
	if (c->type != COND_MATCH) {
		if (c->type == COND_ALL)
			for (unsigned i = 0; i < c->nchildren; i++) {
				const char *why = never_matches(c->children[i],
				    stage);

				if (why != NULL)
					return why;
			}
		return NULL;
	}
	if ((c->field == COND_RCPT_COUNT || c->field == COND_SIZE) &&
	    c->cmp == COND_LT && c->number == 0)
		return "nothing is less than 0";
	if (c->field == COND_RCPT_COUNT && stage >= STAGE_RCPT &&
	    ((c->cmp == COND_LT && c->number <= 1) ||
	    ((c->cmp == COND_LE || c->cmp == COND_EQ) && c->number == 0)))
		return "there is at least one recipient from stage rcpt on";
	for (unsigned i = 0; i < c->nlists; i++)
		if (!c->owns[i] && list_count(c->lists[i]) == 0 &&
		    c->nlists == 1 && c->nstrings == 0 && !c->null_sender)
			return "its list is empty";
	return NULL;
}

/* lint - warnings about the rules as a whole. */
static void
lint(struct loader *ld, struct policy *p)
{
	for (unsigned i = 0; i < p->nlists; i++)
		if (!p->lists[i].used)
			report_at(ld, REGISTRY_WARNING, (int)p->lists[i].line,
			    "list \"%s\" is not used by any rule",
			    p->lists[i].name);
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *r = p->rules[i];
		const char *why = r->cond != NULL ?
		    never_matches(r->cond, r->stage) : NULL;

		if (why != NULL)
			report_at(ld, REGISTRY_WARNING, (int)r->line, "rule "
			    "\"%s\" can never match: %s", r->name, why);
		for (unsigned k = 0; k < i; k++) {
			const struct rule *first = p->rules[k];
			const char *file;
			unsigned fline;

			if (!shadows(first, r))
				continue;
			confread_where(ld->text, first->line, &file, &fline);
			report_at(ld, REGISTRY_WARNING, (int)r->line, "rule "
			    "\"%s\" can never match: rule \"%s\" (line %u, stage "
			    "%s) %s first whenever it would match%s; move it "
			    "above \"%s\" or narrow \"%s\"", r->name,
			    first->name, fline, stage_name(first->stage),
			    first->action == POLICY_ACCEPT ? "accepts" :
			    first->action == POLICY_CONTINUE ? "ends the stage" :
			    first->action == POLICY_DISCARD ? "discards" :
			    "rejects", first->cond->nchildren == 0 ?
			    " (it has no conditions)" : "", first->name,
			    first->name);
			break;
		}
	}
}

/* group_by_stage - the per-stage rule arrays, in file order. */
static void
group_by_stage(struct loader *ld, struct policy *p)
{
	for (int s = 0; s < STAGE_COUNT; s++) {
		unsigned n = 0;

		for (unsigned i = 0; i < p->nrules; i++)
			if (p->rules[i]->stage == (enum stage)s)
				n++;
		if (n == 0)
			continue;
		if ((p->stage_rules[s] = calloc(n, sizeof(struct rule *))) ==
		    NULL) {
			oom(ld);
			return;
		}
		for (unsigned i = 0; i < p->nrules; i++)
			if (p->rules[i]->stage == (enum stage)s)
				p->stage_rules[s][p->nstage_rules[s]++] =
				    p->rules[i];
	}
}

/* add_macro - make the milter ask for macro name. */
static void
add_macro(struct loader *ld, struct policy *p, const char *name)
{
	char **n;

	for (unsigned i = 0; i < p->nmacros; i++)
		if (strcmp(p->macros[i], name) == 0)
			return;
	if ((n = realloc(p->macros, (p->nmacros + 1) * sizeof(*n))) == NULL ||
	    (n[p->nmacros] = strdup(name)) == NULL) {
		if (n != NULL)
			p->macros = n;
		oom(ld);
		return;
	}
	p->macros = n;
	p->nmacros++;
}

/* collect_macros - add the macro names c reads to p->macros. */
static void
collect_macros(struct loader *ld, struct policy *p, const struct cond *c)
{
	for (unsigned i = 0; i < c->nchildren; i++)
		collect_macros(ld, p, c->children[i]);
	if (c->type == COND_MATCH && c->field == COND_MACRO)
		add_macro(ld, p, c->name);
}

/* -------------------------------------------------------------------------
 * The built-in checks' settings.
 */

/* cond_checks - the bit set of check ids the tree c reads. */
static unsigned
cond_checks(const struct cond *c)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < c->nchildren; i++)
		mask |= cond_checks(c->children[i]);
	if (c->type == COND_MATCH && c->field == COND_CHECK)
		mask |= 1u << c->check;
	return mask;
}

/* first_check_line - the line of the first rule reading check id. */
static int
first_check_line(const struct policy *p, enum check_id id)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL &&
		    (cond_checks(p->rules[i]->cond) & (1u << id)))
			return (int)p->rules[i]->line;
	return 0;
}

/* build_dnsbl - the dnsbl sections as zones. */
static void
build_dnsbl(struct loader *ld, cfg_t *cfg, struct checks_config *c)
{
	unsigned n = cfg_size(cfg, "dnsbl");

	if (n > 0 && (c->zones = calloc(n, sizeof(*c->zones))) == NULL) {
		oom(ld);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "dnsbl", i);
		const char *zone = cfg_getstr(sec, "zone");
		int line = (int)confread_section_line(ld->text, "dnsbl",
		    cfg_title(sec));
		struct dnsbl_zone *z = &c->zones[c->nzones];

		if (zone == NULL)
			zone = cfg_title(sec);
		if ((z->zone = strdup(zone)) == NULL) {
			oom(ld);
			return;
		}
		c->nzones++;
		for (unsigned k = 0; k < cfg_size(sec, "returns"); k++) {
			const char *code = cfg_getnstr(sec, "returns", k);

			if (z->ncodes == DNSBL_MAX_CODES ||
			    inet_pton(AF_INET, code, &z->codes[z->ncodes]) != 1) {
				report_at(ld, REGISTRY_ERROR, opt_line(ld, sec,
				    "returns", line), "dnsbl \"%s\": returns "
				    "\"%s\": give up to %d IPv4 answers such as "
				    "127.0.0.2", cfg_title(sec), code,
				    DNSBL_MAX_CODES);
				continue;
			}
			z->ncodes++;
		}
	}
}

/* build_checks - the checks' settings, and which checks the rules read. */
static void
build_checks(struct loader *ld, cfg_t *cfg, struct policy *p)
{
	struct checks_config *c = calloc(1, sizeof(*c));
	const char *server = cfg_getstr(cfg, "dns_server"), *text;
	long timeout = cfg_getint(cfg, "dns_timeout");
	long tries = cfg_getint(cfg, "dns_tries");
	unsigned long size;
	char err[256];

	if ((p->checks = c) == NULL) {
		oom(ld);
		return;
	}
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL)
			c->needed |= cond_checks(p->rules[i]->cond);
	c->received_spf = cfg_getbool(cfg, "add_received_spf");
	c->authentication_results = cfg_getbool(cfg,
	    "add_authentication_results");
	if (c->received_spf || c->authentication_results)
		c->needed |= 1u << CHECK_SPF;
	if (c->authentication_results)
		c->needed |= 1u << CHECK_IPREV;
	if (c->needed & (1u << CHECK_AUTH_MULTI))
		c->needed |= (1u << CHECK_SPF) | (1u << CHECK_IPREV) |
		    (1u << CHECK_DKIM);
	if (timeout < 1 || timeout > 60)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "dns_timeout",
		    0), "dns_timeout %ld: give seconds from 1 to 60", timeout);
	if (tries < 1 || tries > 5)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "dns_tries", 0),
		    "dns_tries %ld: give 1 to 5", tries);
	if ((c->dns = dns_new(server, (unsigned)(timeout < 1 ? 1 : timeout) *
	    1000u, (unsigned)(tries < 1 ? 1 : tries), err, sizeof(err))) ==
	    NULL)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg, "dns_server",
		    0), "dns_server \"%s\": %s", server, err);
	if ((text = cfg_getstr(cfg, "authserv_id")) != NULL) {
		c->authserv_id = xstrdup(ld, text);
	} else {
		char host[256] = "localhost";

		(void)gethostname(host, sizeof(host) - 1);
		c->authserv_id = xstrdup(ld, host);
	}
	c->ntrusted = cfg_size(cfg, "trusted_authserv_ids");
	if (c->ntrusted > 0 && (c->trusted = calloc(c->ntrusted,
	    sizeof(char *))) == NULL) {
		c->ntrusted = 0;
		oom(ld);
	}
	for (unsigned i = 0; i < c->ntrusted; i++)
		c->trusted[i] = xstrdup(ld, cfg_getnstr(cfg,
		    "trusted_authserv_ids", i));
	build_dnsbl(ld, cfg, c);
	if ((text = cfg_getstr(cfg, "spool_path")) != NULL) {
		unsigned long min_free = 0;
		long min_inodes = cfg_getint(cfg, "spool_min_inodes");

		if (parse_size(cfg_getstr(cfg, "spool_min_free"), &min_free) !=
		    0)
			report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg,
			    "spool_min_free", 0), "spool_min_free \"%s\": give "
			    "a size such as \"100M\"", cfg_getstr(cfg,
			    "spool_min_free"));
		if ((c->storage = storage_new(text, min_free, min_inodes < 0 ?
		    0 : (unsigned long long)min_inodes)) == NULL)
			oom(ld);
	}
	if (parse_size(cfg_getstr(cfg, "message_size_limit"), &size) != 0)
		report_at(ld, REGISTRY_ERROR, opt_line(ld, cfg,
		    "message_size_limit", 0), "message_size_limit \"%s\": "
		    "give a size such as \"50M\", or 0 for none",
		    cfg_getstr(cfg, "message_size_limit"));
	else
		c->size_limit = size;
	/* A check with nothing to work on is a mistake, not a quiet "never". */
	if ((c->needed & (1u << CHECK_DNSBL)) && c->nzones == 0)
		report_at(ld, REGISTRY_ERROR, first_check_line(p, CHECK_DNSBL),
		    "check dnsbl needs zones: add a dnsbl \"NAME\" { zone = "
		    "\"bl.example.org\" } section");
	if ((c->needed & (1u << CHECK_STORAGE)) && c->storage == NULL)
		report_at(ld, REGISTRY_ERROR, first_check_line(p,
		    CHECK_STORAGE), "check storage needs spool_path, e.g. "
		    "spool_path = \"/var/spool/postfix\"");
	if ((c->needed & (1u << CHECK_SIZE)) && c->size_limit == 0)
		report_at(ld, REGISTRY_ERROR, first_check_line(p, CHECK_SIZE),
		    "check size needs message_size_limit, e.g. "
		    "message_size_limit = \"50M\"");
	if (((c->needed >> CHECK_DKIM) & 1u) + ((c->needed >> CHECK_DMARC) &
	    1u) + ((c->needed >> CHECK_ARC) & 1u) +
	    ((c->needed >> CHECK_DKIM_AUTHOR) & 1u) > 0 && c->ntrusted == 0)
		report_at(ld, REGISTRY_WARNING, 0, "DKIM, DMARC and ARC results "
		    "come from Authentication-Results headers of trusted "
		    "verifiers, and trusted_authserv_ids names none: those "
		    "results stay unknown (--test can stand in for them)");
	if (c->needed & (1u << CHECK_TLS))
		add_macro(ld, p, "{tls_version}");
	if (c->needed & (1u << CHECK_AUTH))
		add_macro(ld, p, "{auth_authen}");
}

/* -------------------------------------------------------------------------
 * The load.
 */

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

struct policy *
conf_load(const char *path, conf_diag_fn *diag, void *arg,
    struct conf_counts *counts)
{
	struct loader ld = { .diag = diag, .arg = arg };
	struct confread_error rerr;
	struct policy *p = NULL;
	cfg_t *cfg = NULL;
	unsigned nrules, unclosed;
	bool in_string;

	pthread_once(&schema_once, build_schema);
	if ((ld.text = confread_open(path, &rerr)) == NULL) {
		ld.counts.errors++;
		diag(arg, REGISTRY_ERROR, rerr.file, rerr.line, rerr.message);
		goto out;
	}
	if ((unclosed = confread_unclosed(ld.text, &in_string)) != 0) {
		/* libconfuse would take the end of the file for the '}'. */
		report_at(&ld, REGISTRY_ERROR, (int)unclosed, "%s", in_string ?
		    "this quoted string is never closed: the file ends inside "
		    "it" : "this section's '{' is never closed: the file ends "
		    "first (cut short?)");
		goto out;
	}
	current = &ld;
	if ((cfg = cfg_init(root_opts, CFGF_NONE)) == NULL) {
		oom(&ld);
		goto out;
	}
	cfg_set_error_function(cfg, confuse_error);
	if (cfg_parse_buf(cfg, confread_buffer(ld.text)) != CFG_SUCCESS) {
		if (ld.counts.errors == 0)
			report_at(&ld, REGISTRY_ERROR, 0, "cannot be parsed");
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		oom(&ld);
		goto out;
	}
	atomic_init(&p->refs, 1);
	p->path = xstrdup(&ld, path);
	p->nfiles = (unsigned)confread_nfiles(ld.text);
	if ((p->files = calloc(p->nfiles + 1, sizeof(char *))) != NULL)
		for (unsigned i = 0; i < p->nfiles; i++)
			p->files[i] = xstrdup(&ld, confread_file(ld.text, i));
	build_settings(&ld, cfg, p);
	build_lists(&ld, cfg, p);
	nrules = cfg_size(cfg, "rule");
	if (nrules > 0 && (p->rules = calloc(nrules, sizeof(*p->rules))) ==
	    NULL)
		oom(&ld);
	for (unsigned i = 0; p->rules != NULL && i < nrules; i++)
		build_rule(&ld, p, cfg_getnsec(cfg, "rule", i));
	group_by_stage(&ld, p);
	if (policy_build_gates(p) != 0)
		oom(&ld);
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL)
			collect_macros(&ld, p, p->rules[i]->cond);
	build_checks(&ld, cfg, p);
	if (ld.counts.errors == 0)
		lint(&ld, p);
out:
	current = NULL;
	if (cfg != NULL)
		cfg_free(cfg);
	confread_free(ld.text);
	free(ld.lines);
	if (counts != NULL)
		*counts = ld.counts;
	if (ld.counts.errors > 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void
conf_print_diag(void *arg, enum registry_severity severity, const char *file,
    unsigned line, const char *message)
{
	FILE *out = arg;

	if (severity == REGISTRY_OK)
		return;
	if (file != NULL && line > 0)
		fprintf(out, "%s:%u: %s: %s\n", file, line,
		    registry_severity_name(severity), message);
	else if (file != NULL)
		fprintf(out, "%s: %s: %s\n", file,
		    registry_severity_name(severity), message);
	else
		fprintf(out, "%s: %s\n", registry_severity_name(severity),
		    message);
}
