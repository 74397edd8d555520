/*
 * conf_schema - the libconfuse schema, the recorder of option lines, and
 * libconfuse's error function
 *
 * Pass 2 of the load: the option arrays are built once per process; a
 * parse binds the load in progress (libconfuse's callbacks carry no
 * argument), records the buffer line of every option as libconfuse
 * validates it, and reports libconfuse's own errors at the file's line,
 * with a hint for a misspelt option.  The schema is the shallowest that
 * the text's nesting of any/all/not needs (see root_opts).  The integer
 * options come from conf_settings.c's table, so their defaults live in
 * one row with their ranges.
 */
#include "config.h"

#include "conf_impl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spell.h"

#define DEFAULT_SOCKET "unix:/run/replymilter/replymilter.sock"
#define DEFAULT_PIDFILE "/run/replymilter/replymilter.pid"
#define DEFAULT_DRY_RUN_HEADER "X-Replymilter-Dry-Run"
#define ROOT_OPTS_MAX 64

/* The line of one option in one section, from the validate callbacks. */
struct conf_opt_line {
	const cfg_t *sec;
	const char *name;
	int line;		/* buffer line */
};

/* The load in progress: libconfuse's callbacks carry no argument. */
static _Thread_local struct conf_loader *current;

/* Set while parsing with a shallow schema: libconfuse's errors are not
 * reported, since the text is parsed again with the full one. */
static _Thread_local bool quiet;

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

/* field_at - spell_nearest's name_at over the condition fields. */
static const char *
field_at(const void *arg, size_t i)
{
	(void)arg;
	return field_name((enum cond_field)i);
}

/* The other options of a rule, and the root's: for hints only. */
static const char *const rule_options[] = {
	"stage", "action", "reply", "mode", "disclose", "id", "add_header",
	"any", "all", "not",
};

static const char *const root_options[] = {
	"socket", "socket_mode", "user", "pidfile", "syslog_facility",
	"log_level", "log_format", "on_failure", "timeout", "disclose", "soft_bounce",
	"reply_id", "dry_run_header", "body_limit", "header_limit",
	"header_count_limit", "header_limit_reply", "private_codes", "list",
	"rule", "dns_server", "dns_timeout", "dns_tries", "dns_budget", "authserv_id",
	"trusted_authserv_ids", "add_received_spf",
	"add_authentication_results", "strip_authres", "spool_path", "spool_min_free",
	"spool_min_inodes", "message_size_limit", "dnsbl", "metrics_listen",
	"metrics_allow_remote", "ratelimit_store", "ratelimit_on_error",
	"ratelimit_timeout", "ratelimit_max_keys", "greylist_prefix_v4",
	"greylist_prefix_v6", "greylist_auto_allow",
};

/* nearest - the candidate closest to word, or NULL when none is close. */
static const char *
nearest(const char *word, const char *const *candidates, size_t n)
{
	return spell_nearest(word, spell_in_array, candidates, n);
}

/* record_line - validate callback: remember where each option was set. */
static int
record_line(cfg_t *cfg, cfg_opt_t *opt)
{
	struct conf_loader *ld = current;

	if (ld == NULL)
		return 0;
	for (size_t i = ld->nlines; i > 0; i--)
		if (ld->lines[i - 1].sec == cfg &&
		    strcmp(ld->lines[i - 1].name, opt->name) == 0)
			return 0;	/* the first line of a list stays */
	if (ld->nlines == ld->lines_cap) {
		size_t cap = ld->lines_cap ? ld->lines_cap * 2 : 256;
		struct conf_opt_line *n = realloc(ld->lines, cap * sizeof(*n));

		if (n == NULL) {
			conf_oom(ld);
			return 0;
		}
		ld->lines = n;
		ld->lines_cap = cap;
	}
	ld->lines[ld->nlines++] = (struct conf_opt_line){ cfg, opt->name,
	    cfg->line };
	return 0;
}

/* compare_lines - qsort order of conf_opt_line: section, then name. */
static int
compare_lines(const void *a, const void *b)
{
	const struct conf_opt_line *x = a, *y = b;

	if (x->sec != y->sec)
		return (uintptr_t)x->sec < (uintptr_t)y->sec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* conf_opt_line - the buffer line where sec's option name was set, or
 * fallback. */
int
conf_opt_line(struct conf_loader *ld, const cfg_t *sec, const char *name,
    int fallback)
{
	struct conf_opt_line key = { sec, name, 0 }, *hit;

	/* qsort and bsearch take no NULL array, even of 0 elements. */
	if (ld->nlines == 0)
		return fallback;
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
	struct conf_loader *ld = current;
	char msg[CONF_MSG_MAX], hint[128] = "";
	const char *p;
	int line = cfg != NULL ? cfg->line : 0;

	if (quiet)
		return;
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
				conf_report(ld, REGISTRY_ERROR,
				    conf_at(ld, line), "any, all and not nest "
				    "at most %d deep: flatten the conditions",
				    CONF_COND_DEPTH);
			return;
		}
		best = spell_nearest(word, field_at, NULL, COND_FIELD_COUNT);
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
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line), "%s%s", msg,
		    hint);
}

/* set_recorder - make every option of opts (and its subsections) record
 * its line. */
static void
set_recorder(cfg_opt_t *opts)
{
	for (cfg_opt_t *o = opts; o->name != NULL; o++)
		o->validcb = record_line;
}

/*
 * Option arrays: libconfuse copies them at cfg_init, so static storage
 * built once is fine.  It also copies a section's whole schema, nested
 * sections included, for every section it parses: with any, all and not
 * nested CONF_COND_DEPTH deep that is 3 + 9 + 27 + 81 option arrays, about
 * 330 KB, for each rule.  So there is a schema for each nesting depth
 * (rule_opts[g] and root_opts[g]: g levels of any/all/not), and a parse
 * uses the shallowest one the text needs.
 */
static cfg_opt_t cond_opts[CONF_COND_DEPTH + 1][COND_FIELD_COUNT + 4];
static cfg_opt_t rule_opts[CONF_COND_DEPTH + 1][COND_FIELD_COUNT + 16];
static cfg_opt_t list_opts[4];
static cfg_opt_t dnsbl_opts[3];
static cfg_opt_t root_opts[CONF_COND_DEPTH + 1][ROOT_OPTS_MAX];

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

	/* cond_opts[CONF_COND_DEPTH] has no nested sections. */
	for (int depth = CONF_COND_DEPTH; depth >= 0; depth--) {
		n = 0;
		for (int f = 0; f < COND_FIELD_COUNT; f++)
			cond_opts[depth][n++] = str_list(field_name((enum cond_field)f));
		if (depth < CONF_COND_DEPTH) {
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
	for (int g = 0; g <= CONF_COND_DEPTH; g++) {
		/* cond_opts[k] nests down to cond_opts[CONF_COND_DEPTH], so
		 * g levels start at CONF_COND_DEPTH - g + 1 (g == 0: none). */
		cfg_opt_t *groups = cond_opts[g > 0 ? CONF_COND_DEPTH - g + 1 :
		    CONF_COND_DEPTH];
		cfg_opt_t opts[] = {
			CFG_SEC("any", groups, CFGF_MULTI),
			CFG_SEC("all", groups, CFGF_MULTI),
			CFG_SEC("not", groups, CFGF_MULTI),
			CFG_STR("stage", NULL, CFGF_NODEFAULT),
			CFG_STR("action", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("reply", NULL, CFGF_NODEFAULT),
			CFG_STR("mode", "enforce", CFGF_NONE),
			CFG_STR("disclose", NULL, CFGF_NODEFAULT),
			CFG_STR("id", NULL, CFGF_NODEFAULT),
			CFG_STR("add_header", NULL, CFGF_NODEFAULT),
			CFG_STR("rate", NULL, CFGF_NODEFAULT),
			CFG_STR("rate_unit", "events", CFGF_NONE),
			CFG_STR("greylist", NULL, CFGF_NODEFAULT),
		};
		size_t first = g > 0 ? 0 : 3;	/* no groups at g == 0 */

		n = 0;
		for (int f = 0; f < COND_FIELD_COUNT; f++)
			rule_opts[g][n++] = str_list(field_name((enum cond_field)f));
		for (size_t i = first; i < sizeof(opts) / sizeof(opts[0]); i++)
			rule_opts[g][n++] = opts[i];
		rule_opts[g][n] = end;
		set_recorder(rule_opts[g]);
	}
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
			CFG_STR("log_format", "text", CFGF_NONE),
			CFG_STR("on_failure", POLICY_DEFAULT_FAILURE, CFGF_NONE),
			CFG_STR("header_limit_reply",
			    POLICY_DEFAULT_HEADER_LIMIT_REPLY, CFGF_NONE),
			CFG_STR("disclose", "specific", CFGF_NONE),
			CFG_BOOL("soft_bounce", cfg_false, CFGF_NONE),
			CFG_BOOL("reply_id", cfg_false, CFGF_NONE),
			CFG_STR("dry_run_header", DEFAULT_DRY_RUN_HEADER,
			    CFGF_NONE),
			CFG_STR_LIST("private_codes", NULL, CFGF_NODEFAULT),
			CFG_STR("dns_server", "", CFGF_NONE),
			CFG_STR("authserv_id", NULL, CFGF_NODEFAULT),
			CFG_STR_LIST("trusted_authserv_ids", NULL,
			    CFGF_NODEFAULT),
			CFG_BOOL("add_received_spf", cfg_false, CFGF_NONE),
			CFG_BOOL("add_authentication_results", cfg_false,
			    CFGF_NONE),
			CFG_STR("strip_authres", "auto", CFGF_NONE),
			CFG_STR("spool_path", NULL, CFGF_NODEFAULT),
			CFG_STR("spool_min_free", "100M", CFGF_NONE),
			CFG_STR("message_size_limit", "0", CFGF_NONE),
			CFG_STR("metrics_listen", "", CFGF_NONE),
			CFG_BOOL("metrics_allow_remote", cfg_false, CFGF_NONE),
			CFG_STR("ratelimit_store", "local", CFGF_NONE),
			CFG_STR("ratelimit_on_error", "tempfail", CFGF_NONE),
			CFG_SEC("dnsbl", dnsbl_opts, CFGF_MULTI | CFGF_TITLE |
			    CFGF_NO_TITLE_DUPES),
			CFG_SEC("list", list_opts, CFGF_MULTI | CFGF_TITLE |
			    CFGF_NO_TITLE_DUPES),
			CFG_SEC("rule", rule_opts[CONF_COND_DEPTH], CFGF_MULTI |
			    CFGF_TITLE | CFGF_NO_TITLE_DUPES),
			CFG_END(),
		};

		n = 0;
		for (const struct conf_int_option *o = conf_int_options;
		    o->name != NULL; o++) {
			cfg_opt_t io = CFG_INT((char *)o->name, o->def,
			    CFGF_NONE);

			root_opts[CONF_COND_DEPTH][n++] = io;
		}
		if (n + sizeof(ropts) / sizeof(ropts[0]) > ROOT_OPTS_MAX)
			fatalx("%s: root_opts has room for %d options only",
			    __func__, ROOT_OPTS_MAX);
		memcpy(root_opts[CONF_COND_DEPTH] + n, ropts, sizeof(ropts));
		set_recorder(root_opts[CONF_COND_DEPTH]);
		for (int g = 0; g < CONF_COND_DEPTH; g++) {
			memcpy(root_opts[g], root_opts[CONF_COND_DEPTH],
			    sizeof(root_opts[g]));
			for (cfg_opt_t *o = root_opts[g]; o->name != NULL; o++)
				if (strcmp(o->name, "rule") == 0)
					o->subopts = rule_opts[g];
		}
	}
}

/* group_depth - the any/all/not levels the text seems to nest: section
 * braces deeper than a rule's.  A guess only: a parse with a schema too
 * shallow fails, and is done again with the full one. */
static int
group_depth(const struct confread *text)
{
	unsigned depth = confread_section_depth(text);

	/* The root is 0 deep and a rule 1: groups begin at 2. */
	depth = depth > 1 ? depth - 1 : 0;
	return depth < CONF_COND_DEPTH ? (int)depth : CONF_COND_DEPTH;
}

/* parse_with - ld's buffer parsed with the schema of g group levels, or
 * NULL (reported unless quiet). */
static cfg_t *
parse_with(struct conf_loader *ld, int g)
{
	cfg_t *cfg;

	ld->cond_depth = g;
	if ((cfg = cfg_init(root_opts[g], CFGF_NONE)) == NULL)
		return conf_oom(ld);
	cfg_set_error_function(cfg, confuse_error);
	if (cfg_parse_buf(cfg, confread_buffer(ld->text)) != CFG_SUCCESS) {
		if (!quiet && ld->counts.errors == 0)
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, 0),
			    "cannot be parsed");
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

/* conf_schema_parse - ld's buffer parsed by libconfuse, every option's
 * line recorded in ld; NULL after reporting. */
cfg_t *
conf_schema_parse(struct conf_loader *ld)
{
	cfg_t *cfg;

	int g;

	pthread_once(&schema_once, build_schema);
	current = ld;
	g = group_depth(ld->text);
	if (g < CONF_COND_DEPTH) {
		quiet = true;
		cfg = parse_with(ld, g);
		quiet = false;
		if (cfg != NULL)
			return cfg;
		/* Forget the lines of the failed parse. */
		free(ld->lines);
		ld->lines = NULL;
		ld->nlines = ld->lines_cap = 0;
		ld->sorted = false;
	}
	return parse_with(ld, CONF_COND_DEPTH);
}

/* conf_schema_free - release cfg and ld's recorded lines, and unbind ld. */
void
conf_schema_free(struct conf_loader *ld, cfg_t *cfg)
{
	if (cfg != NULL)
		cfg_free(cfg);
	current = NULL;
	free(ld->lines);
	ld->lines = NULL;
	ld->nlines = ld->lines_cap = 0;
	ld->sorted = false;
}
