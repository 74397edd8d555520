/*
 * conf_lint - the rules as a whole: grouping, macros, and the lint
 *
 * Once every rule is built: the per-stage arrays the engine walks, the
 * macros the milter must ask the MTA for, and warnings no single rule
 * shows: a rule that can never match (its own conditions rule it out, or
 * an earlier rule always decides first), and a list no rule uses.  The
 * lint runs only on a config without errors, and only warns.
 */
#include "config.h"

#include "conf_impl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "session.h"

/* Only known macros pass the loader, so a session always has room. */
_Static_assert(MACROS_KNOWN <= SESSION_MACROS_MAX,
    "a session keeps every macro a policy can read");

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

/* decides - what a shadowing rule does, as a verb for the message. */
static const char *
decides(const struct rule *r)
{
	switch (r->action) {
	case POLICY_ACCEPT:
		return "accepts";
	case POLICY_CONTINUE:
		return "ends the stage";
	case POLICY_DISCARD:
		return "discards";
	default:
		return "rejects";
	}
}

/* cond_hash - a hash of what same_cond compares. */
static size_t
cond_hash(const struct cond *c)
{
	size_t h = (size_t)c->field * 1000003u;

	if (c->field == COND_RCPT_COUNT || c->field == COND_SIZE)
		return h ^ ((size_t)c->cmp * 31u + c->number);
	for (const char *t = c->text; *t != '\0'; t++)
		h = (h ^ (unsigned char)*t) * 16777619u;
	return h ^ c->null_sender;
}

/* comparable - whether same_cond can be true of c and some condition. */
static bool
comparable(const struct cond *c)
{
	return c->type == COND_MATCH && (c->field == COND_RCPT_COUNT ||
	    c->field == COND_SIZE || c->text != NULL);
}

/*
 * The rules that may shadow a later one, found without comparing every
 * pair (10,000 rules are 50 million pairs): a rule with conditions can
 * shadow only a rule that has its first one, so rules are filed by the
 * hash of their first condition, and a later rule looks in the buckets of
 * its own conditions.  Rules without conditions are on their own list.
 * Each chain is in file order.
 */
struct shadow_index {
	size_t nbuckets;
	unsigned *head, *tail;	/* per bucket: rule + 1, 0 for none */
	unsigned *next;		/* per rule: the next in its chain + 1 */
	unsigned bare_head, bare_tail;	/* rules without conditions */
};

/* could_shadow - whether r can shadow any later rule at all (a rate or
 * a greylist holds only some events: no). */
static bool
could_shadow(const struct rule *r)
{
	return !r->dry_run && r->action != POLICY_ADD_HEADER &&
	    r->rate == NULL && r->grey == NULL &&
	    r->cond != NULL && (r->cond->nchildren == 0 ||
	    comparable(r->cond->children[0]));
}

/* index_add - file rule i of p. */
static void
index_add(struct shadow_index *ix, const struct policy *p, unsigned i)
{
	const struct rule *r = p->rules[i];
	unsigned *head, *tail;

	if (r->cond->nchildren == 0) {
		head = &ix->bare_head;
		tail = &ix->bare_tail;
	} else {
		size_t b = cond_hash(r->cond->children[0]) % ix->nbuckets;

		head = &ix->head[b];
		tail = &ix->tail[b];
	}
	ix->next[i] = 0;
	if (*tail != 0)
		ix->next[*tail - 1] = i + 1;
	else
		*head = i + 1;
	*tail = i + 1;
}

/* first_in_chain - the first rule of the chain at head that shadows r,
 * or UINT_MAX. */
static unsigned
first_in_chain(const struct shadow_index *ix, const struct policy *p,
    unsigned head, const struct rule *r)
{
	for (unsigned k = head; k != 0; k = ix->next[k - 1])
		if (shadows(p->rules[k - 1], r))
			return k - 1;
	return UINT_MAX;
}

/* first_shadow - the first rule before r (rule i) that shadows it, or
 * UINT_MAX. */
static unsigned
first_shadow(const struct shadow_index *ix, const struct policy *p,
    const struct rule *r)
{
	unsigned best = first_in_chain(ix, p, ix->bare_head, r);

	if (r->cond == NULL)
		return best;
	for (unsigned j = 0; j < r->cond->nchildren; j++) {
		const struct cond *c = r->cond->children[j];
		unsigned k;

		if (!comparable(c))
			continue;
		k = first_in_chain(ix, p, ix->head[cond_hash(c) %
		    ix->nbuckets], r);
		if (k < best)
			best = k;
	}
	return best;
}

/* conf_lint - warnings about p's rules and lists as a whole. */
void
conf_lint(struct conf_loader *ld, struct policy *p)
{
	struct shadow_index ix = { .nbuckets = p->nrules * 2 + 1 };

	for (unsigned i = 0; i < p->nlists; i++)
		if (!p->lists[i].used)
			conf_report(ld, REGISTRY_WARNING,
			    conf_at(ld, (int)p->lists[i].line), "list \"%s\" "
			    "is not used by any rule", p->lists[i].name);
	ix.head = calloc(ix.nbuckets, sizeof(*ix.head));
	ix.tail = calloc(ix.nbuckets, sizeof(*ix.tail));
	ix.next = calloc(p->nrules + 1, sizeof(*ix.next));
	if (ix.head == NULL || ix.tail == NULL || ix.next == NULL) {
		conf_oom(ld);
		goto out;
	}
	for (unsigned i = 0; i < p->nrules; i++) {
		const struct rule *r = p->rules[i];
		const char *why = r->cond != NULL ?
		    never_matches(r->cond, r->stage) : NULL;
		unsigned k;

		if (why != NULL)
			conf_report(ld, REGISTRY_WARNING,
			    conf_at(ld, (int)r->line), "rule \"%s\" can never "
			    "match: %s", r->name, why);
		if ((k = first_shadow(&ix, p, r)) != UINT_MAX) {
			const struct rule *first = p->rules[k];
			unsigned fline = conf_at(ld, (int)first->line).line;

			conf_report(ld, REGISTRY_WARNING,
			    conf_at(ld, (int)r->line), "rule \"%s\" can never "
			    "match: rule \"%s\" (line %u, stage %s) %s first "
			    "whenever it would match%s; move it above \"%s\" "
			    "or narrow \"%s\"", r->name, first->name, fline,
			    stage_name(first->stage), decides(first),
			    first->cond->nchildren == 0 ?
			    " (it has no conditions)" : "", first->name,
			    first->name);
		}
		if (could_shadow(r))
			index_add(&ix, p, i);
	}
out:
	free(ix.head);
	free(ix.tail);
	free(ix.next);
}

/* conf_group_by_stage - p's per-stage rule arrays, in file order. */
void
conf_group_by_stage(struct conf_loader *ld, struct policy *p)
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
			conf_oom(ld);
			return;
		}
		for (unsigned i = 0; i < p->nrules; i++)
			if (p->rules[i]->stage == (enum stage)s)
				p->stage_rules[s][p->nstage_rules[s]++] =
				    p->rules[i];
	}
}

/* conf_add_macro - make the milter ask for macro name. */
void
conf_add_macro(struct conf_loader *ld, struct policy *p, const char *name)
{
	char **n;

	for (unsigned i = 0; i < p->nmacros; i++)
		if (strcmp(p->macros[i], name) == 0)
			return;
	if ((n = realloc(p->macros, (p->nmacros + 1) * sizeof(*n))) == NULL ||
	    (n[p->nmacros] = strdup(name)) == NULL) {
		if (n != NULL)
			p->macros = n;
		conf_oom(ld);
		return;
	}
	p->macros = n;
	p->nmacros++;
}

/* cond_macros - add the macro names c reads to p->macros. */
static void
cond_macros(struct conf_loader *ld, struct policy *p, const struct cond *c)
{
	for (unsigned i = 0; i < c->nchildren; i++)
		cond_macros(ld, p, c->children[i]);
	if (c->type == COND_MATCH && c->field == COND_MACRO)
		conf_add_macro(ld, p, c->name);
}

/* conf_collect_macros - every macro p's conditions read, into p->macros. */
void
conf_collect_macros(struct conf_loader *ld, struct policy *p)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL)
			cond_macros(ld, p, p->rules[i]->cond);
}
