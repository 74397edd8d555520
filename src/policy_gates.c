/*
 * policy_gates - the index that lets the engine skip rules unread
 *
 * Built once per load (policy_build_gates, called by the loader): for each
 * stage and field, one synthetic condition holding every value that some
 * rule at that stage requires of that field as a top-level literal (or
 * every header name it requires).  When the session's value misses the
 * gate, none of those rules can match, and policy_eval skips them without
 * evaluating their trees.  Also assigns the memo slots of conditions that
 * several rules repeat, so each is evaluated once per stage.
 */
#include "config.h"

#include "policy_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* cond_fields - bit per field the tree c looks at. */
static unsigned
cond_fields(const struct cond *c)
{
	unsigned mask = 0;

	if (c->type == COND_MATCH)
		return 1u << c->field;
	for (unsigned i = 0; i < c->nchildren; i++)
		mask |= cond_fields(c->children[i]);
	return mask;
}

/* gateable - whether c, a top-level condition of a rule, may gate it: a
 * header condition (its name), or inline literals of the field's kind
 * only (no named list, regex, exact string or "<>"). */
static bool
gateable(const struct cond *c)
{
	if (c->type != COND_MATCH)
		return false;
	if (c->field == COND_HEADER)
		return c->name != NULL;
	if (field_literal_kind(c->field) < 0 || c->nstrings > 0 ||
	    c->null_sender || c->nlists != 1 || !c->owns[0] || c->text == NULL)
		return false;
	return (int)list_kind(c->lists[0]) == field_literal_kind(c->field);
}

/* gate_of - the gate condition of field at st, made on first use (a
 * header gate matches by name alone; a value gate owns one list of the
 * field's literal kind); NULL when out of memory. */
static struct cond *
gate_of(struct policy *p, enum stage st, enum cond_field field)
{
	struct cond *g = p->gates[st][field];

	if (g != NULL)
		return g;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->type = COND_MATCH;
	g->field = field;
	g->memo = -1;
	if (field == COND_HEADER) {
		g->presence = true;
	} else {
		if ((g->lists[0] = list_new("gate", (enum list_kind)
		    field_literal_kind(field))) == NULL) {
			free(g);
			return NULL;
		}
		g->owns[0] = true;
		g->nlists = 1;
	}
	return p->gates[st][field] = g;
}

/* add_gate_name - add header name to g's names; 0, or -1. */
static int
add_gate_name(struct cond *g, const char *name)
{
	char **n = realloc(g->names, (g->nnames + 1) * sizeof(*n));

	if (n == NULL)
		return -1;
	g->names = n;
	if ((n[g->nnames] = strdup(name)) == NULL)
		return -1;
	g->nnames++;
	return 0;
}

/* add_gate_values - add c's literals (its text, ", "-separated as the
 * loader wrote it) to gate g; 0, 1 when one could not be added, or -1. */
static int
add_gate_values(struct cond *g, const struct cond *c)
{
	char *copy, *save = NULL;

	if ((copy = strdup(c->text)) == NULL)
		return -1;
	for (char *v = strtok_r(copy, ",", &save); v != NULL;
	    v = strtok_r(NULL, ",", &save)) {
		while (*v == ' ')
			v++;
		/* Each value passed its rule's own list; one that does not
		 * pass here (a quoted local part with a ',', split) leaves
		 * the rule ungated, never wrongly skipped. */
		if (list_add(g->lists[0], v, NULL, NULL) != 0) {
			free(copy);
			return errno == ENOMEM ? -1 : 1;
		}
	}
	free(copy);
	return 0;
}

/* add_gate - add c's values (or header name) to its field's gate at st;
 * 0, 1 when a value could not be added (c cannot gate), -1 when out of
 * memory. */
static int
add_gate(struct policy *p, enum stage st, const struct cond *c)
{
	struct cond *g = gate_of(p, st, c->field);

	if (g == NULL)
		return -1;
	return c->field == COND_HEADER ? add_gate_name(g, c->name) :
	    add_gate_values(g, c);
}

/* gate_any_group - the fields of an any {} whose children are all plain
 * gateable conditions, into *mask (left 0 otherwise); 0, or -1. */
static int
gate_any_group(struct policy *p, enum stage st, const struct cond *any,
    unsigned *mask)
{
	unsigned m = 0;

	if (any->nchildren == 0)
		return 0;
	for (unsigned i = 0; i < any->nchildren; i++)
		if (!gateable(any->children[i]))
			return 0;
	for (unsigned i = 0; i < any->nchildren; i++) {
		int rc = add_gate(p, st, any->children[i]);

		if (rc < 0)
			return -1;
		if (rc > 0)
			return 0;	/* one child cannot gate: none does */
		m |= 1u << any->children[i]->field;
	}
	*mask = m;
	return 0;
}

/* same_values - whether a and b are the same condition as written (only
 * for fields whose meaning is their text and name). */
static bool
same_values(const struct cond *a, const struct cond *b)
{
	return a->field == b->field && a->null_sender == b->null_sender &&
	    strcmp(a->text, b->text) == 0 && (a->name == NULL) ==
	    (b->name == NULL) && (a->name == NULL ||
	    strcmp(a->name, b->name) == 0);
}

/* memoizable - whether c's result depends on nothing but its field's
 * value and its text (not counts, sizes, checks or macros). */
static bool
memoizable(const struct cond *c)
{
	return c->type == COND_MATCH && c->text != NULL &&
	    c->field != COND_RCPT_COUNT && c->field != COND_SIZE &&
	    c->field != COND_CHECK && c->field != COND_MACRO;
}

/* assign_memo - give c (and its children) memo slots shared with earlier
 * identical conditions, kept in seen[] (up to POLICY_MEMO_MAX). */
static void
assign_memo(struct policy *p, struct cond *c, struct cond **seen)
{
	c->memo = -1;
	for (unsigned i = 0; i < c->nchildren; i++)
		assign_memo(p, c->children[i], seen);
	if (!memoizable(c))
		return;
	for (unsigned i = 0; i < p->nmemo; i++)
		if (same_values(seen[i], c)) {
			c->memo = (int)i;
			return;
		}
	if (p->nmemo < POLICY_MEMO_MAX) {
		seen[p->nmemo] = c;
		c->memo = (int)p->nmemo++;
	}
}

int
policy_build_gates(struct policy *p)
{
	struct cond **seen = calloc(POLICY_MEMO_MAX, sizeof(*seen));

	if (seen == NULL)
		return -1;
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL)
			assign_memo(p, p->rules[i]->cond, seen);
	free(seen);
	for (unsigned i = 0; i < p->nrules; i++) {
		struct rule *r = p->rules[i];

		r->gate_mask = r->gate_any = 0;
		if (r->cond != NULL)
			p->field_mask |= cond_fields(r->cond);
		if (r->cond == NULL)
			continue;
		for (unsigned k = 0; k < r->cond->nchildren; k++) {
			const struct cond *c = r->cond->children[k];
			int rc;

			if (c->type == COND_ANY && r->gate_any == 0) {
				if ((rc = gate_any_group(p, r->stage, c,
				    &r->gate_any)) < 0)
					return -1;
				continue;
			}
			if (!gateable(c))
				continue;
			if ((rc = add_gate(p, r->stage, c)) < 0)
				return -1;
			if (rc == 0)
				r->gate_mask |= 1u << c->field;
		}
	}
	for (int st = 0; st < STAGE_COUNT; st++)
		for (int f = 0; f < COND_FIELD_COUNT; f++) {
			struct cond *g = p->gates[st][f];

			if (g == NULL)
				continue;
			if (g->nlists > 0 && list_freeze(g->lists[0]) != 0)
				return -1;
			/* qsort(NULL, 0, ...) is undefined: a value gate has
			 * no names. */
			if (g->nnames > 1)
				qsort(g->names, g->nnames, sizeof(char *),
				    policy_compare_name);
		}
	return 0;
}
