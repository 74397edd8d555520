/*
 * conf_impl - what the files of the config loader share, and nothing else
 *
 * conf_load() (conf.c) runs the passes; each other file builds one part of
 * the policy from the parsed sections:
 *   conf_schema.c    the libconfuse schema, the recorder of option lines,
 *                    libconfuse's error function
 *   conf_settings.c  the global settings and the checks' settings, with the
 *                    table of integer options
 *   conf_lists.c     the list sections
 *   conf_cond.c      a rule's conditions
 *   conf_rule.c      a rule: stage, mode, action, reply, wire reply
 *   conf_lint.c      the rules as a whole: grouping, macros, the lint
 * Only conf.c, conf_*.c include this header; conf.h stays the contract
 * for everyone else.
 *
 * Lines: a "buffer line" (an int) is a line of confread's expanded buffer,
 * which is what libconfuse and the line recorder see, and what the policy
 * keeps in its rules and lists; conf_at() turns one into the file's own
 * file:line for a message.  Buffer line 0 means no line: the top file as a
 * whole.
 *
 * Ownership: struct conf_loader lives on conf_load()'s stack for one load.
 * What the builders make goes into the policy being built, and is freed
 * with it (policy_free) when the load fails; strings from a cfg_t are
 * copied (conf_strdup), since the cfg_t is freed at the end of the load.
 *
 * Failure: a builder never stops at the first problem.  It reports it
 * through conf_report(), which counts it, leaves that part unset and goes
 * on, so that one run reports every problem it can find; any error makes
 * conf_load() return NULL.  Running out of memory is reported once
 * (conf_oom) and counts as an error.
 */
#ifndef REPLYMILTER_CONF_IMPL_H
#define REPLYMILTER_CONF_IMPL_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "confread.h"
#include "policy_impl.h"

#define CONF_COND_DEPTH 4	/* any/all/not nesting levels */
#define CONF_MSG_MAX 1024	/* a diagnostic's text */

/* The recorded line of one option; conf_schema.c's. */
struct conf_opt_line;

/* One load in progress. */
struct conf_loader {
	struct confread *text;
	conf_diag_fn *diag;
	void *arg;
	struct conf_counts counts;
	bool oom;			/* "out of memory" was reported */
	/* The lines of options, recorded while libconfuse parses. */
	struct conf_opt_line *lines;
	size_t nlines, lines_cap;
	bool sorted;
	/* The any/all/not levels of the schema the text was parsed with
	 * (CONF_COND_DEPTH, or fewer when the text nests less). */
	int cond_depth;
};

/* Where a diagnostic points: a file (NULL: none) and its own line (0: the
 * file as a whole). */
struct conf_where {
	const char *file;
	unsigned line;
};

/* The rule being built, for conf_rule.c and conf_cond.c. */
struct conf_rule_ctx {
	struct conf_loader *ld;
	struct policy *p;
	struct rule *rule;
	bool warned_check[CHECK_COUNT];	/* "not performed" said once */
};

/* Where list entries come from, for conf_list_error. */
struct conf_list_ctx {
	struct conf_loader *ld;
	int bufline;		/* inline entries: the option's line */
	const char *what;	/* "list \"x\"" or "rule \"r\": helo" */
};

/* One integer option: its default and range, and what it counts. */
struct conf_int_option {
	const char *name;
	long def;
	long min;
	long max;
	const char *unit;	/* "seconds"; NULL: the message names none */
};

/* --- conf.c: the loader and small helpers every builder uses --------- */

/* conf_at - the file and line of buffer line bufline (0: the top file). */
struct conf_where conf_at(const struct conf_loader *ld, int bufline);

/* conf_report - one diagnostic at where, counted by severity. */
void conf_report(struct conf_loader *ld, enum registry_severity sev,
    struct conf_where where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* conf_oom - report running out of memory, once; NULL, for returning. */
void *conf_oom(struct conf_loader *ld);

/* conf_strdup - a copy of s ("" for NULL), or NULL after conf_oom. */
char *conf_strdup(struct conf_loader *ld, const char *s);

/* conf_warn_writable - a warning at where when path (a config or list
 * file the policy comes from) or its folder lets any local user change it. */
void conf_warn_writable(struct conf_loader *ld, struct conf_where where,
    const char *path);

/* conf_did_you_mean - "; did you mean \"best\"?" into buf, or "" when best
 * is NULL; returns buf. */
const char *conf_did_you_mean(const char *best, char *buf, size_t size);

/* conf_name_ok - whether text suits a rule, list or reply id name. */
bool conf_name_ok(const char *text);

/* conf_header_name_ok - whether text[0..len) is a header field name. */
bool conf_header_name_ok(const char *text, size_t len);

/* conf_parse_size - "10M", "512K", "1G", "1000" into *out; 0, or -1. */
int conf_parse_size(const char *text, unsigned long *out);

/* --- conf_schema.c ---------------------------------------------------- */

/* conf_schema_parse - ld's buffer parsed by libconfuse, every option's
 * line recorded in ld, libconfuse's errors reported through ld; NULL after
 * reporting.  Until conf_schema_free, errors libconfuse raises on the cfg
 * are ld's. */
cfg_t *conf_schema_parse(struct conf_loader *ld);

/* conf_schema_free - release cfg (NULL is harmless) and ld's recorded
 * lines, and unbind ld from libconfuse's callbacks. */
void conf_schema_free(struct conf_loader *ld, cfg_t *cfg);

/* conf_opt_line - the buffer line where sec's option name was set, or
 * fallback when it was not. */
int conf_opt_line(struct conf_loader *ld, const cfg_t *sec,
    const char *name, int fallback);

/* --- conf_settings.c -------------------------------------------------- */

/* The integer options, ended by a row with a NULL name. */
extern const struct conf_int_option conf_int_options[];

/* conf_build_settings - p's global settings from the root section. */
void conf_build_settings(struct conf_loader *ld, cfg_t *cfg,
    struct policy *p);

/* conf_build_checks - p's checks' settings, and which checks its rules
 * read (after the rules are built). */
void conf_build_checks(struct conf_loader *ld, cfg_t *cfg, struct policy *p);

/* --- conf_lists.c ----------------------------------------------------- */

/* conf_build_lists - every list section into p, loaded and frozen. */
void conf_build_lists(struct conf_loader *ld, cfg_t *cfg, struct policy *p);

/* conf_find_list - p's list named name, or NULL. */
struct policy_named_list *conf_find_list(struct policy *p, const char *name);

/* conf_nearest_list - the name of p's list closest to name, or NULL. */
const char *conf_nearest_list(const struct policy *p, const char *name);

/* conf_list_error - a list_error_fn reporting a bad entry at its file's
 * line, or at the option's; arg is a struct conf_list_ctx. */
void conf_list_error(void *arg, const char *file, unsigned line,
    const char *message);

/* --- conf_cond.c ------------------------------------------------------ */

/* conf_build_conds - the condition tree of rule section sec (a COND_ALL),
 * or NULL when out of memory; line is the rule's. */
struct cond *conf_build_conds(struct conf_rule_ctx *rc, cfg_t *sec, int line);

/* --- conf_rule.c ------------------------------------------------------ */

/* conf_build_rule - rule section sec, appended to p->rules. */
void conf_build_rule(struct conf_loader *ld, struct policy *p, cfg_t *sec);

/* --- conf_lint.c ------------------------------------------------------ */

/* conf_group_by_stage - p's per-stage rule arrays, in file order. */
void conf_group_by_stage(struct conf_loader *ld, struct policy *p);

/* conf_add_macro - make the milter ask for macro name. */
void conf_add_macro(struct conf_loader *ld, struct policy *p,
    const char *name);

/* conf_collect_macros - every macro p's conditions read, into p->macros. */
void conf_collect_macros(struct conf_loader *ld, struct policy *p);

/* conf_lint - warnings about p's rules and lists as a whole. */
void conf_lint(struct conf_loader *ld, struct policy *p);

#endif
