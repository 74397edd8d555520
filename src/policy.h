/*
 * policy - the rule engine: a loaded policy, and its evaluation at a stage
 *
 * A policy is what conf_load() builds from the config file: settings, named
 * lists, and rules compiled into condition trees, grouped by stage in file
 * order.  It is immutable once built and shared by reference count: each
 * connection holds the policy it started with (policy_ref/policy_unref), so
 * a reload never changes the rules under a connection in flight.
 *
 * policy_eval() walks a stage's rules in file order against a session; the
 * first decisive rule (reject, tempfail, discard, accept, continue) ends the
 * walk; add-header rules and dry-run rules are recorded on the way and the
 * walk goes on.  Matching is tri-state: a condition matches, does not, or
 * fails (a regex engine error), and a failure ends the walk with
 * POLICY_ERROR so the caller answers with the failure reply: never an
 * accidental accept.  Evaluation allocates nothing and takes no lock; the
 * per-rule hit counters are atomic.
 *
 * No libmilter and no syslog here: the caller turns a verdict into a reply.
 */
#ifndef REPLYMILTER_POLICY_H
#define REPLYMILTER_POLICY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "checks/runner.h"
#include "lists.h"
#include "log.h"
#include "reply.h"
#include "session.h"
#include "stage.h"

enum policy_action {
	POLICY_CONTINUE,	/* stop this stage's rules, go on */
	POLICY_ACCEPT,		/* accept; no further rules for it */
	POLICY_REJECT,
	POLICY_TEMPFAIL,
	POLICY_DISCARD,
	POLICY_ADD_HEADER	/* not decisive: add a header at eom */
};

enum policy_disclose {
	POLICY_DISCLOSE_SPECIFIC,
	POLICY_DISCLOSE_GENERIC
};

/* What a condition looks at. */
enum cond_field {
	COND_CLIENT_ADDR,
	COND_CLIENT_NAME,
	COND_HELO,
	COND_SENDER,
	COND_SENDER_DOMAIN,
	COND_RCPT,
	COND_RCPT_DOMAIN,
	COND_RCPT_COUNT,
	COND_SIZE,
	COND_HEADER,
	COND_BODY,
	COND_MACRO,
	COND_CHECK,
	COND_FIELD_COUNT
};

enum cond_type {
	COND_ALL,	/* every child matches (a rule's top level) */
	COND_ANY,	/* at least one child matches */
	COND_NOT,	/* no child matches */
	COND_MATCH	/* a field against a set of values */
};

enum cond_cmp {
	COND_LT, COND_LE, COND_GT, COND_GE, COND_EQ, COND_NE
};

#define COND_MAX_LISTS 8

struct cond {
	enum cond_type type;
	unsigned line;
	int memo;		/* shared by identical conditions, or -1 */
	/* COND_ALL, COND_ANY, COND_NOT */
	unsigned nchildren;
	struct cond **children;
	/* COND_MATCH */
	enum cond_field field;
	char *text;		/* the values as written, for messages */
	char *name;		/* header or macro name, or NULL */
	unsigned nlists;	/* any list matching is a match */
	struct list *lists[COND_MAX_LISTS];	/* named ones are borrowed */
	bool owns[COND_MAX_LISTS];
	unsigned nstrings;	/* exact, case-insensitive values */
	char **strings;
	bool null_sender;	/* "<>" was among the values */
	bool presence;		/* header/macro: being there is enough */
	enum cond_cmp cmp;	/* rcpt_count, size */
	unsigned long number;
	enum check_id check;
	unsigned check_results;	/* bit per result index */
};

struct rule {
	char *name;
	char *id;		/* the reply id: logged, optionally shown */
	enum stage stage;
	struct cond *cond;	/* a COND_ALL; no children matches always */
	enum policy_action action;
	bool dry_run;
	enum policy_disclose disclose;
	struct reply *reply;	/* the complete, specific reply: for logs */
	struct reply *wire;	/* what the MTA gets (generic, soft-bounced) */
	char *header_name;	/* add-header: the header to add */
	struct reply *header_value;	/* a template: one text line */
	const char *file;
	unsigned line;
	unsigned index;
	/* The fields whose plain conditions this rule needs, each checked
	 * first through its stage's gate (see struct policy): bit per
	 * field; any closed gate skips the rule. */
	unsigned gate_mask;
	/* The fields of one any {} of plain conditions: when every one of
	 * their gates is closed, the any cannot match, nor the rule. */
	unsigned gate_any;
	atomic_ulong hits;
};

struct policy_settings {
	char *socket;
	unsigned socket_mode;
	char *user;		/* NULL: do not change user */
	char *group;
	char *pidfile;
	int syslog_facility;
	enum log_level log_level;
	struct reply *failure_reply;	/* an internal error's answer */
	int timeout;		/* seconds libmilter waits for the MTA */
	bool soft_bounce;
	enum policy_disclose disclose;
	bool reply_id;		/* show the reply id at the end of texts */
	char *dry_run_header;
	size_t body_limit;
	unsigned nprivate;
	struct registry_xcode *private_codes;
};

struct policy_named_list {
	char *name;
	struct list *list;
	const char *file;
	unsigned line;
	bool used;
};

struct policy {
	atomic_uint refs;
	char *path;
	struct policy_settings settings;
	unsigned nlists;
	struct policy_named_list *lists;
	unsigned nrules;
	struct rule **rules;		/* file order */
	unsigned nstage_rules[STAGE_COUNT];
	struct rule **stage_rules[STAGE_COUNT];
	unsigned nmacros;		/* macros any condition reads */
	char **macros;
	char **files;			/* paths read, for messages */
	unsigned nfiles;
	struct checks_config *checks;	/* the built-in checks' settings */
	unsigned field_mask;		/* bit per cond_field any rule reads */
	/*
	 * Gates: per stage and field, the union of the inline literals of
	 * every rule gated on that field (struct rule's gate_field), and for
	 * header conditions the header names.  A value that passes no gate
	 * cannot match any of those rules, so one lookup skips them all:
	 * what keeps a thousand non-matching rules cheap.
	 */
	struct list *gates[STAGE_COUNT][COND_FIELD_COUNT];
	unsigned ngate_names[STAGE_COUNT];
	char **gate_names[STAGE_COUNT];	/* sorted, lower case */
	/* Identical conditions (same field and values as written) share a
	 * memo slot, so one evaluation asks each only once. */
	unsigned nmemo;
};

#define POLICY_MEMO_MAX 4096

enum policy_result {
	POLICY_NOMATCH,		/* no decisive rule matched */
	POLICY_MATCH,		/* verdict.rule decided */
	POLICY_ERROR		/* evaluation failed: answer the failure reply */
};

#define POLICY_MAX_EFFECTS 16

struct policy_verdict {
	enum policy_result result;
	const struct rule *rule;	/* the decisive rule, on POLICY_MATCH */
	/* Add-header and dry-run rules that matched on the way, in order. */
	unsigned neffects;
	const struct rule *effects[POLICY_MAX_EFFECTS];
	const struct rule *failed;	/* the rule whose condition failed */
};

/* policy_eval - evaluate stage's rules against s into *v; its result. */
enum policy_result policy_eval(const struct policy *p, enum stage stage,
    const struct session *s, struct policy_verdict *v);

/* policy_ref - take a reference to p; p. */
struct policy *policy_ref(struct policy *p);

/* policy_unref - drop a reference, freeing p with the last; NULL is
 * harmless. */
void policy_unref(struct policy *p);

/* policy_free - release p and everything it owns (conf.c's builder uses it
 * on a half-built policy); NULL is harmless. */
void policy_free(struct policy *p);

/* policy_cond_free - release a condition tree; NULL is harmless. */
void policy_cond_free(struct cond *c);

/* policy_build_gates - fill p's gates from its rules (after every rule is
 * built); 0, or -1 when out of memory. */
int policy_build_gates(struct policy *p);

/* policy_stage_mask - bit (1 << stage) for each stage some rule acts at. */
unsigned policy_stage_mask(const struct policy *p);

/* policy_needs - whether any rule's conditions look at field. */
bool policy_needs(const struct policy *p, enum cond_field field);

/* policy_field_name - "client_addr", ... as the config writes it. */
const char *policy_field_name(enum cond_field field);

/* policy_action_name - "reject", ... as the config writes it. */
const char *policy_action_name(enum policy_action action);

/* policy_rule_fingerprint - what a rule does, as text (stage, action,
 * mode, conditions as written, reply sent), for reload change reports;
 * returns buf. */
char *policy_rule_fingerprint(const struct rule *r, char *buf, size_t size);

/* policy_rule_find - the rule named name, or NULL. */
const struct rule *policy_rule_find(const struct policy *p,
    const char *name);

/* policy_rule_values - the template values of s for rule r. */
void policy_rule_values(const struct rule *r, const struct session *s,
    struct reply_values *out);

#endif
