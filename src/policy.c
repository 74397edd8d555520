/*
 * policy - the rule engine: a loaded policy, and its evaluation at a stage
 */
#include "config.h"

#include "policy_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limiter.h"
#include "session.h"

/* Tri-state matching, as OpenSMTPD's ruleset does it. */
enum match {
	MATCH_NO,
	MATCH_YES,
	MATCH_ERROR
};

const char *
policy_action_name(enum policy_action action)
{
	switch (action) {
	case POLICY_CONTINUE: return "continue";
	case POLICY_ACCEPT: return "accept";
	case POLICY_REJECT: return "reject";
	case POLICY_TEMPFAIL: return "tempfail";
	case POLICY_DISCARD: return "discard";
	case POLICY_ADD_HEADER: return "add-header";
	}
	return "?";
}

/* match_text - whether text matches one of c's strings or lists; an
 * error of the regex engine is MATCH_ERROR, never MATCH_NO.  A regex list
 * is answered by the stage's scan (rx) where it can be, else by the list. */
static enum match
match_text(const struct cond *c, const char *text,
    const struct policy_rx_eval *rx)
{
	unsigned nregex = 0;

	for (unsigned i = 0; i < c->nstrings; i++)
		if (strcasecmp(c->strings[i], text) == 0)
			return MATCH_YES;
	for (unsigned i = 0; i < c->nlists; i++) {
		const struct list *l = c->lists[i];
		int hit = 0;

		switch (list_kind(l)) {
		case LIST_CIDR:
			hit = list_match_ip(l, text);
			break;
		case LIST_DOMAIN:
			/* A domain list tested against an address field looks
			 * at the address's domain. */
			hit = list_match_domain(l, field_literal_kind(c->field)
			    == LIST_ADDRESS ? session_domain_of(text) : text);
			break;
		case LIST_ADDRESS:
			hit = list_match_address(l, text);
			break;
		case LIST_REGEX:
			if ((hit = policy_rx_answer(rx, c, nregex++)) == -2)
				hit = list_match_regex(l, text);
			break;
		}
		if (hit < 0)
			return MATCH_ERROR;
		if (hit)
			return MATCH_YES;
	}
	return MATCH_NO;
}

/* compare - the numeric comparison of a condition. */
static enum match
compare(const struct cond *c, unsigned long value)
{
	bool r = false;

	switch (c->cmp) {
	case COND_LT: r = value < c->number; break;
	case COND_LE: r = value <= c->number; break;
	case COND_GT: r = value > c->number; break;
	case COND_GE: r = value >= c->number; break;
	case COND_EQ: r = value == c->number; break;
	case COND_NE: r = value != c->number; break;
	}
	return r ? MATCH_YES : MATCH_NO;
}

/* header_named - whether h has c's name (a gate: one of c's names). */
static bool
header_named(const struct cond *c, const struct session_header *h)
{
	if (c->name != NULL)
		return strcasecmp(h->name, c->name) == 0;
	return bsearch(&h->name, c->names, c->nnames, sizeof(char *),
	    policy_compare_name) != NULL;
}

/* match_header - whether header h satisfies c (name, then value). */
static enum match
match_header(const struct cond *c, const struct session_header *h,
    const struct policy_rx_eval *rx)
{
	if (!header_named(c, h))
		return MATCH_NO;
	if (c->presence)
		return MATCH_YES;
	return match_text(c, session_header_text(h), rx);
}

/* match_rcpts - at rcpt the current recipient; later, any recipient. */
static enum match
match_rcpts(const struct cond *c, const struct session *s, enum stage stage,
    bool domain, const struct policy_rx_eval *rx)
{
	if (c->null_sender)
		return MATCH_NO;
	if (stage == STAGE_RCPT)
		return match_text(c, domain ? s->rcpt_domain : s->rcpt, rx);
	for (unsigned i = 0; i < s->nrcpts; i++) {
		enum match m = match_text(c, domain ? s->rcpt_domains[i] :
		    s->rcpts[i], rx);

		if (m != MATCH_NO)
			return m;
	}
	return MATCH_NO;
}

/* match_field - whether the session's value of c's field matches c (rx:
 * the stage's regex scan, or NULL). */
static enum match
match_field(const struct cond *c, const struct session *s, enum stage stage,
    const struct policy_rx_eval *rx)
{
	switch (c->field) {
	case COND_CLIENT_ADDR:
		if (s->family == 0)
			return MATCH_NO;
		for (unsigned i = 0; i < c->nlists; i++)
			if (list_match_ip_bytes(c->lists[i], s->family, s->addr))
				return MATCH_YES;
		return MATCH_NO;
	case COND_CLIENT_NAME:
		return match_text(c, s->client_name, rx);
	case COND_HELO:
		return match_text(c, s->helo, rx);
	case COND_SENDER:
		/* The null sender: "<>" written inline, or in a list. */
		if (s->sender[0] == '\0' && c->null_sender)
			return MATCH_YES;
		return match_text(c, s->sender, rx);
	case COND_SENDER_DOMAIN:
		return s->sender_domain[0] != '\0' ?
		    match_text(c, s->sender_domain, rx) : MATCH_NO;
	case COND_RCPT:
		return match_rcpts(c, s, stage, false, rx);
	case COND_RCPT_DOMAIN:
		return match_rcpts(c, s, stage, true, rx);
	case COND_RCPT_COUNT:
		return compare(c, s->nrcpts);
	case COND_SIZE:
		if (stage == STAGE_EOM)
			return compare(c, s->size_actual);
		return s->has_size_declared ? compare(c, s->size_declared) :
		    MATCH_NO;
	case COND_HEADER:
		if (stage == STAGE_HEADER) {
			const struct session_header *h =
			    session_current_header(s);

			return h != NULL ? match_header(c, h, rx) :
			    MATCH_NO;
		}
		for (unsigned i = 0; i < s->nheaders; i++) {
			enum match m = match_header(c, &s->headers[i],
			    rx);

			if (m != MATCH_NO)
				return m;
		}
		return MATCH_NO;
	case COND_BODY:
		return s->body_len > 0 ? match_text(c, s->body, rx) :
		    MATCH_NO;
	case COND_MACRO: {
		const char *value = session_macro(s, c->name);

		if (value == NULL)
			return MATCH_NO;
		if (c->presence)
			return value[0] != '\0' ? MATCH_YES : MATCH_NO;
		return match_text(c, value, rx);
	}
	case COND_CHECK:
		return (c->check_results & (1u << s->checks[c->check])) ?
		    MATCH_YES : MATCH_NO;
	case COND_FIELD_COUNT:
		break;
	}
	return MATCH_ERROR;
}

/* match_cond - evaluate the condition tree c. */
static enum match
match_cond(const struct cond *c, const struct session *s, enum stage stage,
    signed char *memo, const struct policy_rx_eval *rx)
{
	enum match m;

	switch (c->type) {
	case COND_MATCH:
		if (c->memo < 0)
			return match_field(c, s, stage, rx);
		if (memo[c->memo] < 0 &&
		    (m = match_field(c, s, stage, rx)) != MATCH_ERROR)
			memo[c->memo] = (signed char)m;
		return memo[c->memo] < 0 ? MATCH_ERROR : (enum match)
		    memo[c->memo];
	case COND_ALL:
		for (unsigned i = 0; i < c->nchildren; i++)
			if ((m = match_cond(c->children[i], s, stage, memo,
			    rx)) != MATCH_YES)
				return m;
		return MATCH_YES;
	case COND_ANY:
		for (unsigned i = 0; i < c->nchildren; i++)
			if ((m = match_cond(c->children[i], s, stage, memo,
			    rx)) != MATCH_NO)
				return m;
		return MATCH_NO;
	case COND_NOT:
		for (unsigned i = 0; i < c->nchildren; i++)
			if ((m = match_cond(c->children[i], s, stage, memo,
			    rx)) != MATCH_NO)
				return m == MATCH_YES ? MATCH_NO : m;
		return MATCH_YES;
	}
	return MATCH_ERROR;
}

/* gate_open - whether the session's value of field may pass some rule
 * gated on field at stage: the gate is a condition like theirs, matched as
 * theirs are (a gate holds literals only, so it cannot fail). */
static bool
gate_open(const struct policy *p, enum stage stage, enum cond_field field,
    const struct session *s)
{
	const struct cond *g = p->gates[stage][field];

	return g == NULL || match_field(g, s, stage, NULL) != MATCH_NO;
}

/* gates_open - whether every gate in mask is open for the session; each
 * gate is asked once per evaluation (cache: -1 not yet, 0, 1). */
static bool
gates_open(const struct policy *p, enum stage stage, const struct session *s,
    unsigned mask, signed char cache[COND_FIELD_COUNT])
{
	for (; mask != 0; mask &= mask - 1) {
		int f = __builtin_ctz(mask);

		if (cache[f] < 0)
			cache[f] = gate_open(p, stage, (enum cond_field)f, s);
		if (cache[f] == 0)
			return false;
	}
	return true;
}

/* any_gate_open - whether at least one gate in mask is open. */
static bool
any_gate_open(const struct policy *p, enum stage stage,
    const struct session *s, unsigned mask, signed char cache[COND_FIELD_COUNT])
{
	for (; mask != 0; mask &= mask - 1) {
		int f = __builtin_ctz(mask);

		if (cache[f] < 0)
			cache[f] = gate_open(p, stage, (enum cond_field)f, s);
		if (cache[f] != 0)
			return true;
	}
	return false;
}

/* What one evaluation of a stage carries from rule to rule. */
struct eval_state {
	const struct policy *p;
	enum stage stage;
	const struct session *s;
	struct policy_verdict *v;
	/* Each gate, and each shared condition, is asked at most once. */
	signed char gate[COND_FIELD_COUNT], memo[POLICY_MEMO_MAX];
	struct policy_rx_eval rx;
};

/* held - whether r's rate is over or its greylist holds the event (the
 * rule then matches); false with POLICY_ERROR in e->v when the store
 * failed. */
static bool
held(struct eval_state *e, const struct rule *r)
{
	struct policy_verdict *v = e->v;
	struct limiter_answer a;
	enum limiter_outcome o = r->rate != NULL ? limit_judge(r->rate,
	    r->name, e->s, &a) : grey_judge(r->grey, e->s, &a);

	switch (o) {
	case LIMITER_HOLD:
		v->retry_after = a.retry_after;
		return true;
	case LIMITER_ERROR:
		v->failed = r;
		v->store_failed = true;
		v->result = POLICY_ERROR;
		return false;
	case LIMITER_PASS:
		if (a.delayed > v->grey_delayed)
			v->grey_delayed = a.delayed;
		break;
	}
	return false;
}

/* eval_rule - whether the walk goes on after rule r (false: the verdict
 * in e->v is final). */
static bool
eval_rule(struct eval_state *e, struct rule *r)
{
	struct policy_verdict *v = e->v;

	if (r->gate_mask != 0 && !gates_open(e->p, e->stage, e->s,
	    r->gate_mask, e->gate))
		return true;
	if (r->gate_any != 0 && !any_gate_open(e->p, e->stage, e->s,
	    r->gate_any, e->gate))
		return true;
	switch (match_cond(r->cond, e->s, e->stage, e->memo, &e->rx)) {
	case MATCH_NO:
		return true;
	case MATCH_ERROR:
		v->failed = r;
		v->result = POLICY_ERROR;
		return false;
	case MATCH_YES:
		break;
	}
	/* Rate and greylist last: they count only what reached them. */
	if ((r->rate != NULL || r->grey != NULL) && !held(e, r))
		return v->result != POLICY_ERROR;
	atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed);
	if (r->dry_run || r->action == POLICY_ADD_HEADER) {
		/* One more could not be honoured: fail rather than drop a
		 * header or a dry run's record. */
		if (v->neffects == POLICY_MAX_EFFECTS) {
			v->failed = r;
			v->too_many_effects = true;
			v->result = POLICY_ERROR;
			return false;
		}
		v->effects[v->neffects++] = r;
		return true;
	}
	v->rule = r;
	v->result = POLICY_MATCH;
	return false;
}

enum policy_result
policy_eval(const struct policy *p, enum stage stage,
    const struct session *s, struct policy_verdict *v)
{
	struct eval_state e;
	unsigned n = p->nstage_rules[stage];

	e.p = p;
	e.stage = stage;
	e.s = s;
	e.v = v;
	memset(e.gate, -1, sizeof(e.gate));
	memset(e.memo, -1, p->nmemo);
	v->result = POLICY_NOMATCH;
	v->rule = NULL;
	v->failed = NULL;
	v->too_many_effects = false;
	v->store_failed = false;
	v->retry_after = 0;
	v->grey_delayed = 0;
	v->neffects = 0;
	if (policy_rx_begin(p, stage, s, &e.rx) != 0) {
		/* No room to scan: nothing can be judged. */
		v->failed = n > 0 ? p->stage_rules[stage][0] : NULL;
		v->result = POLICY_ERROR;
		return v->result;
	}
	if (e.rx.ix == NULL) {
		for (unsigned i = 0; i < n; i++)
			if (!eval_rule(&e, p->stage_rules[stage][i]))
				break;
		return v->result;
	}
	/* Only the rules the scan left possible, in file order. */
	for (unsigned w = 0; w < e.rx.ix->nwords; w++)
		for (uint64_t bits = e.rx.cand[w]; bits != 0;
		    bits &= bits - 1) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);

			if (!eval_rule(&e, p->stage_rules[stage][i]))
				return v->result;
		}
	return v->result;
}

void
policy_rule_values(const struct rule *r, const struct session *s,
    struct reply_values *out)
{
	out->v[REPLY_VAR_CLIENT_ADDR] = s->client_addr;
	out->v[REPLY_VAR_CLIENT_NAME] = s->client_name;
	out->v[REPLY_VAR_HELO] = s->helo;
	out->v[REPLY_VAR_SENDER] = s->in_message ?
	    (s->sender[0] != '\0' ? s->sender : "<>") : NULL;
	out->v[REPLY_VAR_SENDER_DOMAIN] = s->sender_domain[0] != '\0' ?
	    s->sender_domain : NULL;
	out->v[REPLY_VAR_RCPT] = s->rcpt[0] != '\0' ? s->rcpt : NULL;
	out->v[REPLY_VAR_RCPT_DOMAIN] = s->rcpt_domain[0] != '\0' ?
	    s->rcpt_domain : NULL;
	out->v[REPLY_VAR_QUEUE_ID] = s->queue_id[0] != '\0' ? s->queue_id :
	    NULL;
	out->v[REPLY_VAR_RULE] = r != NULL ? r->name : NULL;
	out->v[REPLY_VAR_REPLY_ID] = r != NULL ? r->id : NULL;
	out->v[REPLY_VAR_DNSBL_ZONE] = s->dnsbl_zone;
	out->v[REPLY_VAR_DNSBL_TEXT] = s->dnsbl_text;
	out->v[REPLY_VAR_LIMIT] = r != NULL ? r->limit_text : NULL;
	out->v[REPLY_VAR_RETRY_AFTER] = s->retry_after[0] != '\0' ?
	    s->retry_after : NULL;
}

struct policy *
policy_ref(struct policy *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void
policy_unref(struct policy *p)
{
	if (p != NULL && atomic_fetch_sub(&p->refs, 1) == 1)
		policy_free(p);
}

void
policy_cond_free(struct cond *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->nchildren; i++)
		policy_cond_free(c->children[i]);
	free(c->children);
	for (unsigned i = 0; i < c->nlists; i++)
		if (c->owns[i])
			list_free(c->lists[i]);
	for (unsigned i = 0; i < c->nstrings; i++)
		free(c->strings[i]);
	free(c->strings);
	for (unsigned i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c->text);
	free(c->name);
	free(c);
}

/* rule_free - release r. */
static void
rule_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->id);
	policy_cond_free(r->cond);
	if (r->wire != r->reply)
		reply_free(r->wire);
	reply_free(r->reply);
	free(r->header_name);
	reply_free(r->header_value);
	limit_free(r->rate);
	grey_free(r->grey);
	free(r->limit_text);
	free(r);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->nrules; i++)
		rule_free(p->rules[i]);
	free(p->rules);
	for (int i = 0; i < STAGE_COUNT; i++)
		free(p->stage_rules[i]);
	for (unsigned i = 0; i < p->nlists; i++) {
		free(p->lists[i].name);
		list_free(p->lists[i].list);
	}
	free(p->lists);
	for (unsigned i = 0; i < p->nmacros; i++)
		free(p->macros[i]);
	free(p->macros);
	for (unsigned i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->path);
	free(p->settings.socket);
	free(p->settings.user);
	free(p->settings.group);
	free(p->settings.pidfile);
	reply_free(p->settings.failure_reply);
	reply_free(p->settings.header_limit_reply);
	free(p->settings.dry_run_header);
	free(p->settings.metrics_listen);
	free(p->settings.ratelimit_store);
	free(p->settings.private_codes);
	checks_config_free(p->checks);
	for (int st = 0; st < STAGE_COUNT; st++)
		for (int f = 0; f < COND_FIELD_COUNT; f++)
			policy_cond_free(p->gates[st][f]);
	policy_free_regex(p);
	free(p);
}

unsigned
policy_stage_mask(const struct policy *p)
{
	unsigned mask = 0;

	for (int i = 0; i < STAGE_COUNT; i++)
		if (p->nstage_rules[i] > 0)
			mask |= 1u << i;
	return mask;
}

bool
policy_needs(const struct policy *p, enum cond_field field)
{
	return (p->field_mask & (1u << field)) != 0;
}

/* cond_describe - the condition tree c as text, appended at buf + *used. */
static void
cond_describe(const struct cond *c, char *buf, size_t size, size_t *used)
{
	static const char *const types[] = { "all", "any", "not", "" };

	if (*used >= size)
		return;
	if (c->type == COND_MATCH) {
		*used += (size_t)snprintf(buf + *used, size - *used, "%s=%s;",
		    field_name(c->field), c->text != NULL ? c->text :
		    "");
		return;
	}
	*used += (size_t)snprintf(buf + *used, size - *used, "%s(",
	    types[c->type]);
	for (unsigned i = 0; i < c->nchildren; i++)
		cond_describe(c->children[i], buf, size, used);
	if (*used < size)
		*used += (size_t)snprintf(buf + *used, size - *used, ")");
}

char *
policy_rule_fingerprint(const struct rule *r, char *buf, size_t size)
{
	char reply[1024] = "";
	size_t used;

	if (r->wire != NULL)
		reply_describe(r->wire, reply, sizeof(reply));
	used = (size_t)snprintf(buf, size, "stage=%s action=%s%s reply=%s "
	    "when=", stage_name(r->stage), policy_action_name(r->action),
	    r->dry_run ? " dry-run" : "", reply);
	if (r->cond != NULL)
		cond_describe(r->cond, buf, size, &used);
	return buf;
}

const struct rule *
policy_rule_find(const struct policy *p, const char *name)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (strcmp(p->rules[i]->name, name) == 0)
			return p->rules[i];
	return NULL;
}

const struct policy_settings *
policy_settings(const struct policy *p)
{
	return &p->settings;
}

const char *
policy_path(const struct policy *p)
{
	return p->path;
}

const struct checks_config *
policy_checks(const struct policy *p)
{
	return p->checks;
}

bool
policy_strips_authres(const struct policy *p)
{
	return p->checks != NULL && p->checks->strip_authres;
}

unsigned
policy_checks_needed(const struct policy *p)
{
	return p->checks != NULL ? p->checks->needed : 0;
}

unsigned
policy_nmacros(const struct policy *p)
{
	return p->nmacros;
}

const char *
policy_macro(const struct policy *p, unsigned i)
{
	return i < p->nmacros ? p->macros[i] : NULL;
}

unsigned
policy_nlists(const struct policy *p)
{
	return p->nlists;
}

unsigned
policy_nrules(const struct policy *p)
{
	return p->nrules;
}

const struct rule *
policy_rule(const struct policy *p, unsigned i)
{
	return i < p->nrules ? p->rules[i] : NULL;
}

unsigned
policy_nstage_rules(const struct policy *p, enum stage stage)
{
	return stage < STAGE_COUNT ? p->nstage_rules[stage] : 0;
}

const struct rule *
policy_stage_rule(const struct policy *p, enum stage stage, unsigned i)
{
	return i < policy_nstage_rules(p, stage) ? p->stage_rules[stage][i] :
	    NULL;
}

const char *
policy_rule_name(const struct rule *r)
{
	return r->name;
}

const char *
policy_rule_id(const struct rule *r)
{
	return r->id;
}

enum stage
policy_rule_stage(const struct rule *r)
{
	return r->stage;
}

enum policy_action
policy_rule_action(const struct rule *r)
{
	return r->action;
}

bool
policy_rule_dry_run(const struct rule *r)
{
	return r->dry_run;
}

const struct reply *
policy_rule_reply(const struct rule *r)
{
	return r->reply;
}

const struct reply *
policy_rule_wire(const struct rule *r)
{
	return r->wire;
}

const char *
policy_rule_header_name(const struct rule *r)
{
	return r->header_name;
}

const struct reply *
policy_rule_header_value(const struct rule *r)
{
	return r->header_value;
}

void
policy_rule_count_decision(const struct rule *r, enum stage stage,
    bool dry_run)
{
	/* The counters are not part of the rule's value: the rule is
	 * shared read-only, its counters are atomics. */
	struct rule *w = (struct rule *)r;

	if (stage >= STAGE_COUNT)
		return;
	atomic_fetch_add_explicit(dry_run ? &w->dry_runs[stage] :
	    &w->decided[stage], 1, memory_order_relaxed);
}

unsigned long
policy_rule_decisions(const struct rule *r, enum stage stage, bool dry_run)
{
	if (stage >= STAGE_COUNT)
		return 0;
	return atomic_load_explicit(dry_run ? &r->dry_runs[stage] :
	    &r->decided[stage], memory_order_relaxed);
}

/* by_name - qsort and bsearch order of rule pointers: by name. */
static int
by_name(const void *a, const void *b)
{
	const struct rule *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

void
policy_carry_counts(struct policy *p, const struct policy *old)
{
	const struct rule **sorted;

	if (old == NULL || old->nrules == 0 ||
	    (sorted = malloc(old->nrules * sizeof(*sorted))) == NULL)
		return;
	memcpy(sorted, old->rules, old->nrules * sizeof(*sorted));
	qsort(sorted, old->nrules, sizeof(*sorted), by_name);
	for (unsigned i = 0; i < p->nrules; i++) {
		struct rule *r = p->rules[i];
		const struct rule *key = r, **hit;

		hit = bsearch(&key, sorted, old->nrules, sizeof(*sorted),
		    by_name);
		if (hit == NULL)
			continue;
		atomic_store_explicit(&r->hits, atomic_load_explicit(
		    &(*hit)->hits, memory_order_relaxed), memory_order_relaxed);
		for (int st = 0; st < STAGE_COUNT; st++) {
			atomic_store_explicit(&r->decided[st],
			    atomic_load_explicit(&(*hit)->decided[st],
			    memory_order_relaxed), memory_order_relaxed);
			atomic_store_explicit(&r->dry_runs[st],
			    atomic_load_explicit(&(*hit)->dry_runs[st],
			    memory_order_relaxed), memory_order_relaxed);
		}
	}
	free(sorted);
}

const struct limit *
policy_rule_rate(const struct rule *r)
{
	return r->rate;
}

unsigned long
policy_rule_hits(const struct rule *r)
{
	return atomic_load_explicit(&r->hits, memory_order_relaxed);
}
