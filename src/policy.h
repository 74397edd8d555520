/*
 * policy - the rule engine: a loaded policy, and its evaluation at a stage
 *
 * A policy is what conf_load() builds from the config file: settings, named
 * lists, and rules compiled into condition trees, grouped by stage in file
 * order.  It is immutable once built and shared by reference count: each
 * connection holds the policy it started with (policy_ref/policy_unref), so
 * a reload never changes the rules under a connection in flight.  Outside
 * the engine and the loader, a policy, its rules and their conditions are
 * opaque: read them through the accessors below (policy_impl.h holds the
 * bodies, for policy.c and the conf*.c loader only).
 *
 * policy_eval() walks a stage's rules in file order against a session; the
 * first decisive rule (reject, tempfail, discard, accept, continue) ends the
 * walk; add-header and dry-run rules are recorded on the way and the walk
 * goes on.  Matching is tri-state: a condition matches, does not, or fails
 * (a regex engine error: list_match_regex's -1), and a failure ends
 * the walk with POLICY_ERROR so the caller answers with the failure reply:
 * never an accidental accept.  Evaluation allocates nothing and takes no
 * lock; the per-rule hit counters are relaxed atomics.
 *
 * No libmilter and no syslog here: the caller turns a verdict into a reply.
 * The accessors return pointers into the policy, valid while the caller
 * holds a reference.
 */
#ifndef REPLYMILTER_POLICY_H
#define REPLYMILTER_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "field.h"
#include "log.h"
#include "registry.h"
#include "reply.h"
#include "stage.h"

struct checks_config;
struct session;
struct policy;
struct rule;

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

/* The global settings, as the loader checked them. */
struct policy_settings {
	char *socket;
	unsigned socket_mode;
	char *user;		/* NULL: do not change user */
	char *group;
	char *pidfile;
	int syslog_facility;
	enum log_level log_level;
	enum log_format log_format;	/* text or json lines */
	struct reply *failure_reply;	/* an internal error's answer */
	int timeout;		/* seconds libmilter waits for the MTA */
	bool soft_bounce;
	enum policy_disclose disclose;
	bool reply_id;		/* show the reply id at the end of texts */
	char *dry_run_header;
	size_t body_limit;
	/* A message whose headers pass either limit gets this reply. */
	size_t header_limit;		/* bytes */
	unsigned header_count_limit;
	struct reply *header_limit_reply;
	unsigned nprivate;
	struct registry_xcode *private_codes;
	char *metrics_listen;	/* "" when off, else HOST:PORT (numeric) */
	bool metrics_allow_remote;
	char *ratelimit_store;	/* "local" or a Redis URL */
	bool ratelimit_tempfail;	/* on_error: tempfail, else local */
	unsigned ratelimit_timeout_ms;
	size_t ratelimit_max_keys;
	unsigned greylist_prefix_v4, greylist_prefix_v6, greylist_auto_allow;
};

enum policy_result {
	POLICY_NOMATCH,		/* no decisive rule matched */
	POLICY_MATCH,		/* verdict.rule decided */
	POLICY_ERROR		/* evaluation failed: answer the failure reply */
};

#define POLICY_MAX_EFFECTS 16
#define POLICY_MAX_EFFECTS_TEXT "16"

/* The failure reply when the config sets no on_failure, and the one the
 * milter answers when no policy is loaded at all. */
#define POLICY_BUILTIN_FAILURE_BASIC "451"
#define POLICY_BUILTIN_FAILURE_XCODE "4.3.0"
#define POLICY_BUILTIN_FAILURE_TEXT \
	"Temporary local problem, please try again later"
#define POLICY_DEFAULT_FAILURE POLICY_BUILTIN_FAILURE_BASIC " " \
	POLICY_BUILTIN_FAILURE_XCODE " " POLICY_BUILTIN_FAILURE_TEXT

/* The reply to a message whose headers pass header_limit or
 * header_count_limit, when the config sets no header_limit_reply. */
#define POLICY_DEFAULT_HEADER_LIMIT_REPLY "552 5.3.4 Message header " \
	"exceeds the limit of this server"

struct policy_verdict {
	enum policy_result result;
	const struct rule *rule;	/* the decisive rule, on POLICY_MATCH */
	/* Add-header and dry-run rules that matched on the way, in order. */
	unsigned neffects;
	const struct rule *effects[POLICY_MAX_EFFECTS];
	const struct rule *failed;	/* the rule whose condition failed, or
					 * the effect that found no room */
	bool too_many_effects;		/* POLICY_ERROR: more than
					 * POLICY_MAX_EFFECTS matched */
	bool store_failed;		/* POLICY_ERROR: the rate limits'
					 * store did not answer */
	unsigned retry_after;		/* a rate or greylist rule held the
					 * event: seconds until it may go */
	unsigned grey_delayed;		/* a greylisted triplet passed now,
					 * after this many seconds */
};

/* policy_thread_done - nothing; frees the calling thread's evaluation
 * scratch now rather than when the thread ends (the next evaluation on the
 * thread makes it again). */
void policy_thread_done(void);

/* policy_regex_patterns - how many regex patterns the policy's one-pass
 * index holds, and in *engine how many of them the multi-pattern engine
 * scans (the rest run on regexec; see regex_set.h). */
size_t policy_regex_patterns(const struct policy *p, size_t *engine);

/* A pattern the one-pass engine left to regexec: the rule whose condition
 * holds it, the list it is in (NULL: written in the rule), the pattern
 * without slashes, and whether it was written /.../i. */
typedef void policy_slow_fn(void *arg, const char *rule, const char *list,
    const char *pattern, bool icase);

/* policy_regex_slow - the number of patterns of p's index that run on
 * regexec, each reported once through fn (a named list's once, whatever
 * the number of rules using it); 0, without a call, when the index has no
 * multi-pattern engine (see regex_set_engine). */
size_t policy_regex_slow(const struct policy *p, policy_slow_fn *fn,
    void *arg);

/* policy_eval - evaluate stage's rules against s into *v; its result. */
enum policy_result policy_eval(const struct policy *p, enum stage stage,
    const struct session *s, struct policy_verdict *v);

/* policy_ref - take a reference to p; p. */
struct policy *policy_ref(struct policy *p);

/* policy_unref - drop a reference, freeing p with the last; NULL is
 * harmless. */
void policy_unref(struct policy *p);

/* policy_settings - p's global settings. */
const struct policy_settings *policy_settings(const struct policy *p);

/* policy_path - the config file p was loaded from. */
const char *policy_path(const struct policy *p);

/* policy_checks - the built-in checks' settings (checks/runner.h), or NULL
 * when no rule reads a check. */
const struct checks_config *policy_checks(const struct policy *p);

/* policy_strips_authres - whether incoming Authentication-Results headers
 * that claim replymilter's own authserv-id are deleted at end of message
 * (the checks' authserv_id, strip_authres). */
bool policy_strips_authres(const struct policy *p);

/* policy_checks_needed - bit (1 << check_id) for each check a rule reads
 * or a trace header needs. */
unsigned policy_checks_needed(const struct policy *p);

/* policy_nmacros - how many milter macros the rules read. */
unsigned policy_nmacros(const struct policy *p);

/* policy_macro - the i-th of them ("{auth_authen}", "j"). */
const char *policy_macro(const struct policy *p, unsigned i);

/* policy_nlists - how many named lists p has. */
unsigned policy_nlists(const struct policy *p);

/* policy_nrules - how many rules p has. */
unsigned policy_nrules(const struct policy *p);

/* policy_rule - the i-th rule in file order. */
const struct rule *policy_rule(const struct policy *p, unsigned i);

/* policy_nstage_rules - how many rules act at stage. */
unsigned policy_nstage_rules(const struct policy *p, enum stage stage);

/* policy_stage_rule - the i-th rule of stage, in file order. */
const struct rule *policy_stage_rule(const struct policy *p,
    enum stage stage, unsigned i);

/* policy_stage_mask - bit (1 << stage) for each stage some rule acts at. */
unsigned policy_stage_mask(const struct policy *p);

/* policy_needs - whether any rule's conditions look at field. */
bool policy_needs(const struct policy *p, enum cond_field field);

/* policy_action_name - "reject", ... as the config writes it. */
const char *policy_action_name(enum policy_action action);

/* policy_rule_find - the rule named name, or NULL. */
const struct rule *policy_rule_find(const struct policy *p,
    const char *name);

/* policy_rule_name - the rule's name. */
const char *policy_rule_name(const struct rule *r);

/* policy_rule_id - the rule's reply id (its name unless the config gives
 * one). */
const char *policy_rule_id(const struct rule *r);

/* policy_rule_stage - the stage the rule acts at. */
enum stage policy_rule_stage(const struct rule *r);

/* policy_rule_action - what the rule does when it matches. */
enum policy_action policy_rule_action(const struct rule *r);

/* policy_rule_dry_run - whether the rule only logs and tags. */
bool policy_rule_dry_run(const struct rule *r);

/* policy_rule_reply - the complete, specific reply (for logs), or NULL. */
const struct reply *policy_rule_reply(const struct rule *r);

/* policy_rule_wire - the reply the MTA gets (generic, soft-bounced), or
 * NULL when the rule sends none. */
const struct reply *policy_rule_wire(const struct rule *r);

/* policy_rule_header_name - an add-header rule's header name, or NULL. */
const char *policy_rule_header_name(const struct rule *r);

/* policy_rule_header_value - an add-header rule's value template, or NULL. */
const struct reply *policy_rule_header_value(const struct rule *r);

/* policy_rule_count_decision - nothing; counts one decision of r answered
 * at stage (dry_run: only logged).  Lock-free; any thread. */
void policy_rule_count_decision(const struct rule *r, enum stage stage,
    bool dry_run);

/* policy_rule_decisions - the decisions of r answered at stage since the
 * policy loaded (dry_run: the dry runs). */
unsigned long policy_rule_decisions(const struct rule *r, enum stage stage,
    bool dry_run);

/* policy_carry_counts - nothing; each rule of p that old has by name
 * starts from old's counts (hits and decisions), so a reload keeps them.
 * Call before p serves; what old counts after the call is not carried. */
void policy_carry_counts(struct policy *p, const struct policy *old);

/* policy_rule_rate - r's rate (limiter.h), or NULL. */
const struct limit *policy_rule_rate(const struct rule *r);

/* policy_rule_hits - how often the rule matched since the policy loaded. */
unsigned long policy_rule_hits(const struct rule *r);

/* policy_rule_fingerprint - what a rule does, as text (stage, action,
 * mode, conditions as written, reply sent), for reload change reports;
 * returns buf. */
char *policy_rule_fingerprint(const struct rule *r, char *buf, size_t size);

/* policy_rule_values - the template values of s for rule r (r may be NULL:
 * the failure reply). */
void policy_rule_values(const struct rule *r, const struct session *s,
    struct reply_values *out);

#endif
