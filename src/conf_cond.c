/*
 * conf_cond - a rule's conditions, as a tree of struct cond
 *
 * A rule section's field options (client_addr, helo, sender, header,
 * check, ...) and its nested any {}, all {} and not {} become one COND_ALL
 * tree.  Each value is checked here: a list:NAME must exist and suit the
 * field, a literal must be of the field's kind (it goes into a list of
 * the condition's own), a comparison must parse, a header, macro or check
 * must be known, and the field must be known at the rule's stage.  A bad
 * value is reported and left out; the rest of the tree is still built.
 */
#include "config.h"

#include "conf_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "spell.h"

/* check_at - spell_nearest's view of the names of the checks. */
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
			return conf_parse_size(trim(p + strlen(ops[i].op)),
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

/* cond_new - an empty condition node, or NULL. */
static struct cond *
cond_new(struct conf_loader *ld, enum cond_type type, int line)
{
	struct cond *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return conf_oom(ld);
	c->type = type;
	c->line = (unsigned)line;
	c->memo = -1;
	return c;
}

/* cond_add_child - append child to parent; 0, or -1 (child freed). */
static int
cond_add_child(struct conf_loader *ld, struct cond *parent, struct cond *child)
{
	struct cond **n = realloc(parent->children,
	    (parent->nchildren + 1) * sizeof(*n));

	if (n == NULL) {
		policy_cond_free(child);
		conf_oom(ld);
		return -1;
	}
	parent->children = n;
	parent->children[parent->nchildren++] = child;
	return 0;
}

/* stage_fits - report an error when what is not known at the rule's stage;
 * whether it fits. */
static bool
stage_fits(struct conf_rule_ctx *rc, int line, const char *what,
    enum stage known)
{
	if (rc->rule->stage >= known)
		return true;
	conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line), "rule "
	    "\"%s\": %s is not known at stage %s (the MTA tells it from stage "
	    "%s on): move the rule to stage %s or later", rc->rule->name, what,
	    stage_name(rc->rule->stage), stage_name(known), stage_name(known));
	return false;
}

/* add_list - attach list to c (borrowed or owned); 0, or -1. */
static int
add_list(struct conf_rule_ctx *rc, struct cond *c, struct list *l, bool owned,
    int line)
{
	for (unsigned i = 0; i < c->nlists; i++)
		if (c->lists[i] == l)
			return 0;
	if (c->nlists == COND_MAX_LISTS) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": more than %d lists in one condition: merge "
		    "them", rc->rule->name, COND_MAX_LISTS);
		return -1;
	}
	c->lists[c->nlists] = l;
	c->owns[c->nlists++] = owned;
	return 0;
}

/* own_list - c's own list of kind for inline values, made on first use. */
static struct list *
own_list(struct conf_rule_ctx *rc, struct cond *c, enum list_kind kind,
    int line)
{
	char name[128];
	struct list *l;

	for (unsigned i = 0; i < c->nlists; i++)
		if (c->owns[i] && list_kind(c->lists[i]) == kind)
			return c->lists[i];
	snprintf(name, sizeof(name), "%s:%s", rc->rule->name,
	    field_name(c->field));
	if ((l = list_new(name, kind)) == NULL)
		return conf_oom(rc->ld);
	if (add_list(rc, c, l, true, line) != 0) {
		list_free(l);
		return NULL;
	}
	return l;
}

/* add_string - an exact value for c; 0, or -1. */
static int
add_string(struct conf_rule_ctx *rc, struct cond *c, const char *value)
{
	char **n = realloc(c->strings, (c->nstrings + 1) * sizeof(*n));

	if (n == NULL || (n[c->nstrings] = strdup(value)) == NULL) {
		if (n != NULL)
			c->strings = n;
		conf_oom(rc->ld);
		return -1;
	}
	c->strings = n;
	c->nstrings++;
	return 0;
}

/* add_value - one value of a condition: list:NAME, /regex/, or a literal
 * of the field's kind; 0, or -1 after reporting. */
static int
add_value(struct conf_rule_ctx *rc, struct cond *c, const char *value, int line)
{
	struct conf_loader *ld = rc->ld;
	const struct field_def *def = field_def(c->field);
	char what[160];
	struct conf_list_ctx lc = { ld, line, what };
	struct list *l;

	snprintf(what, sizeof(what), "rule \"%s\": %s", rc->rule->name,
	    field_name(c->field));
	if (strncmp(value, "list:", 5) == 0) {
		struct policy_named_list *nl = conf_find_list(rc->p, value + 5);

		if (nl == NULL) {
			char hint[128];

			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "%s: unknown list \"%s\"%s", what, value + 5,
			    conf_did_you_mean(conf_nearest_list(rc->p,
			    value + 5), hint, sizeof(hint)));
			return -1;
		}
		nl->used = true;
		if (!field_takes_list(c->field, list_kind(nl->list))) {
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "%s: list \"%s\" is a %s list, which cannot match "
			    "%s", what, nl->name,
			    list_kind_name(list_kind(nl->list)),
			    field_name(c->field));
			return -1;
		}
		return add_list(rc, c, nl->list, false, line);
	}
	if (is_regex(value)) {
		if (!field_takes_list(c->field, LIST_REGEX)) {
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "%s: %s", what, def->literal ==
			    FIELD_LITERAL_NUMBER ? "a number is compared, not "
			    "matched: write OPERATOR NUMBER, e.g. \"> 10\"" :
			    "a client address is matched by CIDR ranges, not "
			    "regular expressions");
			return -1;
		}
		if ((l = own_list(rc, c, LIST_REGEX, line)) == NULL)
			return -1;
		return list_add(l, value, conf_list_error, &lc);
	}
	switch (def->literal) {
	case FIELD_LITERAL_LIST:
		if (def->literal_kind == LIST_ADDRESS &&
		    strcmp(value, "<>") == 0) {
			if (c->field == COND_RCPT) {
				conf_report(ld, REGISTRY_ERROR,
				    conf_at(ld, line), "%s: a recipient is "
				    "never the null address <>", what);
				return -1;
			}
			c->null_sender = true;
			return 0;
		}
		if ((l = own_list(rc, c, def->literal_kind, line)) == NULL)
			return -1;
		return list_add(l, value, conf_list_error, &lc);
	case FIELD_LITERAL_NUMBER:
		if (c->presence) {
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "%s: give one comparison, e.g. \"> 10M\"", what);
			return -1;
		}
		if (parse_comparison(value, c) != 0) {
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line), "%s "
			    "\"%s\": write OPERATOR NUMBER, e.g. \">= 50\" or "
			    "\"> 10M\" (operators < <= > >= = !=)", what,
			    value);
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
freeze_own_lists(struct conf_rule_ctx *rc, struct cond *c)
{
	for (unsigned i = 0; i < c->nlists; i++)
		if (c->owns[i] && list_freeze(c->lists[i]) != 0)
			conf_oom(rc->ld);
}

/* split_named - "Name: value" into name and trimmed value (NULL when there
 * is no ':'); the copy to free, or NULL. */
static char *
split_named(struct conf_loader *ld, const char *text, char **name, char **value)
{
	char *copy = conf_strdup(ld, text), *colon;

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
named_cond(struct conf_rule_ctx *rc, enum cond_field field, const char *name,
    const char *text, const char *value, int line)
{
	struct cond *c = cond_new(rc->ld, COND_MATCH, line);

	if (c == NULL)
		return NULL;
	c->field = field;
	c->text = conf_strdup(rc->ld, text);
	c->name = conf_strdup(rc->ld, name);
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
build_header_cond(struct conf_rule_ctx *rc, const char *text, int line)
{
	char *name, *value, *copy = split_named(rc->ld, text, &name, &value);
	struct cond *c;

	if (copy == NULL)
		return NULL;
	if (!conf_header_name_ok(name, strlen(name))) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": header \"%s\": write \"Name\" or \"Name: "
		    "value\" or \"Name: /regex/\"", rc->rule->name, text);
		free(copy);
		return NULL;
	}
	c = named_cond(rc, COND_HEADER, name, text, value, line);
	free(copy);
	return c;
}

/* build_macro_cond - one macro = "{name}[: value]" condition. */
static struct cond *
build_macro_cond(struct conf_rule_ctx *rc, const char *text, int line)
{
	char *name, *value, *copy = split_named(rc->ld, text, &name, &value);
	struct cond *c = NULL;
	enum stage known;

	if (copy == NULL)
		return NULL;
	if (macro_stage(name, &known) != 0) {
		char hint[128];

		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": unknown macro \"%s\"%s (macros are written "
		    "{name}, or a single letter such as i)", rc->rule->name,
		    name, conf_did_you_mean(macro_nearest(name), hint,
		    sizeof(hint)));
	} else if (stage_fits(rc, line, name, known)) {
		c = named_cond(rc, COND_MACRO, name, text, value, line);
	}
	free(copy);
	return c;
}

/* build_check_cond - one check = "name: result[|result...]" condition. */
static struct cond *
build_check_cond(struct conf_rule_ctx *rc, const char *text, int line)
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

		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": unknown check \"%s\"%s (known: %s)",
		    rc->rule->name, name, conf_did_you_mean(spell_nearest(name,
		    check_at, NULL, CHECK_COUNT), hint, sizeof(hint)),
		    check_names());
		goto out;
	}
	def = check_def(id);
	check_result_names(id, results, sizeof(results));
	if (value == NULL || *value == '\0') {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": check \"%s\": name the results, e.g. \"%s: "
		    "%s\"", rc->rule->name, text, name, results);
		goto out;
	}
	if (!stage_fits(rc, line, name, def->stage) ||
	    (c = cond_new(rc->ld, COND_MATCH, line)) == NULL)
		goto out;
	c->field = COND_CHECK;
	c->check = id;
	c->text = conf_strdup(rc->ld, text);
	for (char *save = NULL, *tok = strtok_r(value, "|, ", &save);
	    tok != NULL; tok = strtok_r(NULL, "|, ", &save)) {
		int result = check_result_lookup(id, tok);

		if (result <= 0) {
			size_t n = 0;
			char hint[128];

			while (n + 1 < CHECK_MAX_RESULTS &&
			    def->results[n + 1] != NULL)
				n++;
			conf_report(rc->ld, REGISTRY_ERROR,
			    conf_at(rc->ld, line), "rule \"%s\": check %s has "
			    "no result \"%s\"%s (results: %s)", rc->rule->name,
			    name, tok, conf_did_you_mean(spell_nearest(tok,
			    result_at, def, n), hint, sizeof(hint)), results);
			policy_cond_free(c);
			c = NULL;
			goto out;
		}
		c->check_results |= 1u << result;
	}
	if (!def->performed && !rc->warned_check[id]) {
		rc->warned_check[id] = true;
		conf_report(rc->ld, REGISTRY_WARNING, conf_at(rc->ld, line),
		    "rule \"%s\": check %s (%s) is not performed by this "
		    "build: in the daemon its result stays unknown and the "
		    "condition never matches; --test can stand in for it with "
		    "\"check %s RESULT\"", rc->rule->name, name, def->what,
		    name);
	}
out:
	free(copy);
	return c;
}

/* build_field - the conditions of one field option of sec, added to
 * parent: one node for most fields, one per value for header, macro and
 * check (under an any when there are several). */
static void
build_field(struct conf_rule_ctx *rc, struct cond *parent, cfg_t *sec,
    enum cond_field field, int line)
{
	const char *opt = field_name(field);
	unsigned n = cfg_size(sec, opt);
	struct cond *c, *group = parent;

	if (!stage_fits(rc, line, opt, field_def(field)->stage))
		return;
	if (field == COND_HEADER || field == COND_MACRO ||
	    field == COND_CHECK) {
		if (n > 1) {
			group = cond_new(rc->ld, COND_ANY, line);
			if (group == NULL ||
			    cond_add_child(rc->ld, parent, group) != 0)
				return;
		}
		for (unsigned i = 0; i < n; i++) {
			const char *v = cfg_getnstr(sec, opt, i);

			if (field == COND_HEADER)
				c = build_header_cond(rc, v, line);
			else if (field == COND_MACRO)
				c = build_macro_cond(rc, v, line);
			else
				c = build_check_cond(rc, v, line);
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
		const char *v = cfg_getnstr(sec, opt, i);
		size_t used = c->text ? strlen(c->text) : 0;
		char *t = realloc(c->text, used + strlen(v) + 3);

		if (t == NULL) {
			conf_oom(rc->ld);
			break;
		}
		c->text = t;
		snprintf(t + used, strlen(v) + 3, "%s%s", used ? ", " : "", v);
		if (field == COND_BODY && !is_regex(v) &&
		    strncmp(v, "list:", 5) != 0) {
			conf_report(rc->ld, REGISTRY_ERROR,
			    conf_at(rc->ld, line), "rule \"%s\": body \"%s\": "
			    "the body is matched by regular expressions: write "
			    "\"/%s/\"", rc->rule->name, v, v);
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
first_line(struct conf_loader *ld, cfg_t *sec, int fallback)
{
	int best = 0;

	for (int f = 0; f < COND_FIELD_COUNT; f++) {
		int l = conf_opt_line(ld, sec, field_name((enum cond_field)f), 0);

		if (l > 0 && (best == 0 || l < best))
			best = l;
	}
	return best > 0 ? best : fallback;
}

/* build_tree - the condition tree of section sec as a node of type. */
static struct cond *
build_tree(struct conf_rule_ctx *rc, cfg_t *sec, enum cond_type type, int line,
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
	for (int f = 0; f < COND_FIELD_COUNT; f++) {
		const char *opt = field_name((enum cond_field)f);

		if (cfg_size(sec, opt) > 0)
			build_field(rc, c, sec, (enum cond_field)f,
			    conf_opt_line(rc->ld, sec, opt, line));
	}
	if (depth >= rc->ld->cond_depth)
		return c;
	for (size_t k = 0; k < sizeof(nested) / sizeof(nested[0]); k++)
		for (unsigned i = 0; i < cfg_size(sec, nested[k].name); i++) {
			cfg_t *sub = cfg_getnsec(sec, nested[k].name, i);
			int subline = first_line(rc->ld, sub, line);
			struct cond *child = build_tree(rc, sub, nested[k].type,
			    subline, depth + 1);

			if (child == NULL)
				continue;
			if (child->nchildren == 0)
				conf_report(rc->ld, REGISTRY_WARNING,
				    conf_at(rc->ld, subline), "rule \"%s\": an "
				    "empty %s {} %s", rc->rule->name,
				    nested[k].name, nested[k].type == COND_ANY ?
				    "never matches, so the rule never does" :
				    "always matches");
			(void)cond_add_child(rc->ld, c, child);
		}
	return c;
}

/* conf_build_conds - the condition tree of rule section sec (a COND_ALL),
 * or NULL when out of memory; line is the rule's. */
struct cond *
conf_build_conds(struct conf_rule_ctx *rc, cfg_t *sec, int line)
{
	return build_tree(rc, sec, COND_ALL, line, 0);
}
