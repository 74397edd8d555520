/*
 * policy_impl - the bodies of a policy, its rules and their conditions
 *
 * Private to the rule engine (policy.c, and policy_gates.c, its index of
 * skippable rules) and the config loader (conf*.c), which builds them;
 * everyone else reads a policy through policy.h.  The loader fills these structures, calls policy_build_gates() once every rule
 * is in, and from then on nothing writes to them but the hit counters.
 */
#ifndef REPLYMILTER_POLICY_IMPL_H
#define REPLYMILTER_POLICY_IMPL_H

#include <stdatomic.h>
#include <stdint.h>
#include <strings.h>

#include "checks/runner.h"
#include "lists.h"
#include "policy.h"

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
	unsigned nnames;	/* a header gate: any of these names */
	char **names;		/* sorted, case-insensitively */
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
	/* The regex index (policy_regex.c): 1 + its key at its stage, or 0
	 * when it has none; the slot of its first regex list (the k-th
	 * regex list is slot rx_slot + k). */
	unsigned rx_key;
	unsigned rx_slot;
	unsigned rx_first;	/* its first pattern in the key's set */
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
	struct limit *rate;	/* rate = "KEY LIMIT/WINDOW", or NULL */
	struct grey *grey;	/* greylist = "DELAY EXPIRY", or NULL */
	char *limit_text;	/* what %{limit} says: "3/60s", "5m" */
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
	/* Decisions logged for it, by the stage they were answered at
	 * (a connect decision is answered later): sent, and dry runs. */
	atomic_ulong decided[STAGE_COUNT];
	atomic_ulong dry_runs[STAGE_COUNT];
};

#define POLICY_RX_NONE UINT32_MAX

/* One value the regex index scans at a stage: a field, and for header
 * and macro conditions the name. */
struct policy_rx_key {
	enum cond_field field;
	const char *name;	/* borrowed from a condition, or NULL */
	bool multi;		/* several values at this stage */
	struct regex_set *set;	/* every pattern; bit = slot */
	unsigned nslots;	/* one per regex list of each condition */
	uint32_t *slot_rule;	/* per slot: the stage rule whose trigger
				 * it is, or POLICY_RX_NONE */
	uint64_t *triggers;	/* bit per stage rule it triggers */
	size_t hits_off;	/* its bitmap in an evaluation's scratch */
};

/* A stage's regex index: no keys, no index. */
struct policy_rx_stage {
	unsigned nkeys;
	struct policy_rx_key *keys;
	unsigned nwords;	/* of a bitmap over the stage's rules */
	uint64_t *plain;	/* rules without a trigger: always candidates */
	size_t max_hits, tmp_off, cand_off;
	size_t scratch;		/* bytes an evaluation needs */
};

enum policy_rx_state {
	POLICY_RX_NOVALUE,	/* no value at this stage: no hits */
	POLICY_RX_SCANNED,	/* one value, its hits exact */
	POLICY_RX_UNION,	/* several values: hits select rules only */
	POLICY_RX_FAILED	/* the scan failed: ask the lists */
};

/* One evaluation's answers from the index (policy_rx_begin). */
struct policy_rx_eval {
	const struct policy_rx_stage *ix;	/* NULL: no index here */
	unsigned char *state;	/* per key: enum policy_rx_state */
	unsigned char *hits;	/* the keys' bitmaps, at hits_off */
	uint64_t *cand;		/* bit per stage rule that may match */
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
	 * Gates: per stage and field, one condition that matches what any
	 * rule gated on that field may match: the union of their inline
	 * literals, or for header conditions the set of header names.  A
	 * value the gate does not match cannot match those rules, so one
	 * lookup skips them all: what keeps a thousand non-matching rules
	 * cheap.  NULL: no rule is gated on the field.
	 */
	struct cond *gates[STAGE_COUNT][COND_FIELD_COUNT];
	/* Identical conditions (same field and values as written) share a
	 * memo slot, so one evaluation asks each only once. */
	unsigned nmemo;
	/* Per stage, every regex in one pass per value (policy_regex.c). */
	struct policy_rx_stage rx[STAGE_COUNT];
};

#define POLICY_MEMO_MAX 4096

/* policy_free - release p and everything it owns (the loader uses it on a
 * half-built policy); NULL is harmless. */
void policy_free(struct policy *p);

/* policy_cond_free - release a condition tree; NULL is harmless. */
void policy_cond_free(struct cond *c);

/* policy_compare_name - qsort/bsearch order of header names (char **),
 * case-insensitive, for the header gates. */
static inline int
policy_compare_name(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* policy_build_gates - fill p's gates and memo slots from its rules (after
 * every rule is built); 0, or -1 when out of memory. */
int policy_build_gates(struct policy *p);

/* policy_build_regex - build p's regex index (after the gates); 0, or -1
 * when out of memory. */
int policy_build_regex(struct policy *p);

/* policy_free_regex - release p's regex index. */
void policy_free_regex(struct policy *p);

/* policy_rx_begin - scan the values of stage's keys in s into *ev (the
 * calling thread's scratch, valid until its next call) and mark the
 * candidate rules; 0, or -1 when out of memory (the caller fails
 * closed).  With no index at stage, ev->ix is NULL. */
int policy_rx_begin(const struct policy *p, enum stage stage,
    const struct session *s, struct policy_rx_eval *ev);

/* policy_rx_answer - whether the k-th regex list of c matched the value
 * scanned: 1 or 0, or -2 when the index cannot say exactly (no index, a
 * multi key, a failed scan): then ask the list. */
int policy_rx_answer(const struct policy_rx_eval *ev, const struct cond *c,
    unsigned k);

#endif
