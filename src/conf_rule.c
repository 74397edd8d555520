/*
 * conf_rule - one rule: its stage, mode, action and replies
 *
 * A rule section becomes a struct rule: the stage and mode, the conditions
 * (conf_cond.c), the action, and the reply.  A reply the admin leaves out
 * or leaves incomplete is completed from the registry (the basic code from
 * the enhanced one, the text from its summary, a check's own code); each
 * reply is checked against the registry and the MTA model at the rule's
 * stage.  Then the wire reply, what the MTA gets, is derived from it:
 * made generic when the rule discloses less, soft-bounced when the site
 * asks, with the reply id at the end; each step checked again.
 */
#include "config.h"

#include "conf_impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limiter.h"
#include "spell.h"

/* stage_at, action_at - spell_nearest's views of the names of stages and
 * actions. */
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

/* dup_trimmed - a copy of text without blanks at either end, or NULL. */
static char *
dup_trimmed(struct conf_loader *ld, const char *text)
{
	size_t len;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	{
		char *c = strndup(text, len);

		return c != NULL ? c : conf_oom(ld);
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

/* report_verdict - every warning and error of a registry verdict on the
 * rule's pair. */
static void
report_verdict(struct conf_rule_ctx *rc, int line, const char *what,
    const struct reply *reply, const struct registry_verdict *v)
{
	char x[16] = "";

	if (reply_xcode(reply) != NULL)
		registry_format_xcode(reply_xcode(reply), x, sizeof(x));
	for (unsigned i = 0; i < v->nfindings; i++)
		if (v->findings[i].severity != REGISTRY_OK)
			conf_report(rc->ld, v->findings[i].severity,
			    conf_at(rc->ld, line), "rule \"%s\": %s%u%s%s: %s",
			    rc->rule->name, what, reply_basic(reply),
			    x[0] ? " " : "", x, v->findings[i].text);
}

/* Where reply_check_mta's findings go. */
struct mta_ctx {
	struct conf_rule_ctx *rc;
	int line;
	const char *what;
};

/* report_mta - one finding of reply_check_mta. */
static void
report_mta(void *arg, enum registry_severity sev, const char *message)
{
	struct mta_ctx *mc = arg;

	conf_report(mc->rc->ld, sev, conf_at(mc->rc->ld, mc->line), "rule "
	    "\"%s\": %s%s", mc->rc->rule->name, mc->what, message);
}

/* check_reply - the registry's and the MTA model's verdict on reply, as
 * the rule would send it; the worst severity. */
static enum registry_severity
check_reply(struct conf_rule_ctx *rc, const struct reply *reply, int line,
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
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": %saction %s with a %uxx reply: libmilter "
		    "sends a custom reply only when its class matches the "
		    "action (5xx with reject, 4xx with tempfail) and would "
		    "drop this text; use action = %s or a %dxx reply",
		    rc->rule->name, what, policy_action_name(rc->rule->action),
		    cls, cls == 5 ? "reject" : "tempfail",
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
complete_reply(struct conf_rule_ctx *rc, struct reply *reply, int line)
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
		conf_report(rc->ld, REGISTRY_WARNING, conf_at(rc->ld, line),
		    "rule \"%s\": reply %u has no enhanced status code: "
		    "Sendmail will add %u.0.0; give one, e.g. %u %u.7.1",
		    rc->rule->name, reply_basic(reply),
		    reply_basic(reply) / 100, reply_basic(reply),
		    reply_basic(reply) / 100);
	if (reply_nlines(reply) == 0 && reply_set_text(reply, e != NULL ?
	    e->summary : reply_basic(reply) / 100 == 4 ? "Try again later" :
	    "Command rejected", err, sizeof(err)) != 0) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line),
		    "rule \"%s\": %s", rc->rule->name, err);
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
	if (r->grey != NULL)
		return "451 4.7.1 Greylisted: please try again in "
		    "%{retry_after} seconds";
	if (r->rate != NULL && r->stage == STAGE_CONNECT)
		/* 421 closes the connection.  The registry pairs 421 with
		 * X.3.0 and X.4.2 only, not with X.7.0. */
		return "421 4.3.0 Too many connections: try again in "
		    "%{retry_after} seconds";
	if (r->rate != NULL && r->stage == STAGE_RCPT)
		return "452 4.5.3 Too many recipients (limit %{limit}): try "
		    "again in %{retry_after} seconds";
	if (r->rate != NULL)
		return "450 4.7.1 Rate limit %{limit} reached: try again in "
		    "%{retry_after} seconds";
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
build_action_reply(struct conf_rule_ctx *rc, cfg_t *sec, int line)
{
	struct rule *r = rc->rule;
	const char *action = cfg_getstr(sec, "action");
	const char *header = cfg_getstr(sec, "add_header");
	unsigned nreply = cfg_size(sec, "reply");
	int aline = conf_opt_line(rc->ld, sec, "action", line);
	int rline = conf_opt_line(rc->ld, sec, "reply", line);
	const char *lines[REPLY_MAX_LINES + 1];
	struct reply *reply = NULL;
	char err[512];

	if (action != NULL && parse_action(action, &r->action) != 0) {
		char hint[128];

		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, aline),
		    "rule \"%s\": unknown action \"%s\"%s (actions: reject, "
		    "tempfail, discard, accept, continue, add-header)", r->name,
		    action, conf_did_you_mean(spell_nearest(action, action_at,
		    NULL, POLICY_ADD_HEADER + 1), hint, sizeof(hint)));
		return;
	}
	if (nreply > REPLY_MAX_LINES) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, rline),
		    "rule \"%s\": %u reply lines: libmilter sends at most %d",
		    r->name, nreply, REPLY_MAX_LINES);
		return;
	}
	for (unsigned i = 0; i < nreply; i++)
		lines[i] = cfg_getnstr(sec, "reply", i);
	if (nreply > 0 && (reply = reply_parse(lines, nreply, err,
	    sizeof(err))) == NULL) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, rline),
		    "rule \"%s\": reply: %s", r->name, err);
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
			conf_report(rc->ld, REGISTRY_ERROR,
			    conf_at(rc->ld, line), "rule \"%s\": default "
			    "reply: %s", r->name, err);
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
			conf_report(rc->ld, REGISTRY_ERROR,
			    conf_at(rc->ld, line), "rule \"%s\" does nothing: "
			    "give an action (reject, tempfail, discard, "
			    "accept, continue, add-header) or a reply with its "
			    "codes, e.g. reply = \"550 5.7.1 ...\"", r->name);
			reply_free(reply);
			return;
		}
	}
	if (reply != NULL && r->action != POLICY_REJECT &&
	    r->action != POLICY_TEMPFAIL) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, rline),
		    "rule \"%s\": a reply is sent only with action reject or "
		    "tempfail, not %s: remove the reply or change the action",
		    r->name, policy_action_name(r->action));
		reply_free(reply);
		return;
	}
	if ((header != NULL) != (r->action == POLICY_ADD_HEADER)) {
		int at = header != NULL ?
		    conf_opt_line(rc->ld, sec, "add_header", line) : aline;

		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, at),
		    "rule \"%s\": %s", r->name, header != NULL ?
		    "add_header goes with action = add-header" :
		    "action add-header needs add_header = \"Name: value\"");
		reply_free(reply);
		return;
	}
	if (r->stage <= STAGE_HELO && (r->action == POLICY_DISCARD ||
	    r->action == POLICY_ADD_HEADER)) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, aline),
		    "rule \"%s\": %s acts on a message, and there is none at "
		    "stage %s: move the rule to stage mail or later", r->name,
		    policy_action_name(r->action), stage_name(r->stage));
		reply_free(reply);
		return;
	}
	if (header != NULL) {
		const char *colon = strchr(header, ':');
		char *value;

		if (colon == NULL || !conf_header_name_ok(header,
		    (size_t)(colon - header))) {
			conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
			    conf_opt_line(rc->ld, sec, "add_header", line)),
			    "rule \"%s\": add_header \"%s\": write \"Name: "
			    "value\"", r->name, header);
			return;
		}
		r->header_name = strndup(header, (size_t)(colon - header));
		value = dup_trimmed(rc->ld, colon + 1);
		if (r->header_name == NULL || value == NULL) {
			free(value);
			conf_oom(rc->ld);
			return;
		}
		/* The value is a template, rendered as reply texts are. */
		if ((r->header_value = reply_new(0, NULL, value, err,
		    sizeof(err))) == NULL)
			conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
			    conf_opt_line(rc->ld, sec, "add_header", line)),
			    "rule \"%s\": add_header: %s", r->name, err);
		free(value);
	}
	if (r->action != POLICY_REJECT && r->action != POLICY_TEMPFAIL)
		return;
	if (reply == NULL) {
		struct registry_xcode x = { r->action == POLICY_TEMPFAIL ? 4u :
		    5u, 7, 1 };

		reply = reply_new(0, &x, NULL, err, sizeof(err));
		if (reply == NULL) {
			conf_oom(rc->ld);
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
with_codes(struct conf_loader *ld, struct reply *r, const struct reply *keep,
    unsigned basic, const struct registry_xcode *x)
{
	struct reply *c = reply_copy_with_codes(r, basic, x);

	if (r != keep)
		reply_free(r);
	return c != NULL ? c : conf_oom(ld);
}

/* build_wire - what the MTA gets: the specific reply, made generic when
 * disclosure says so, soft-bounced when the site says so, with the reply
 * id at the end when asked; each step re-checked. */
static void
build_wire(struct conf_rule_ctx *rc, int line)
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
			basic = e != NULL ?
			    registry_enhanced_basic_for(e, 4) : 0;
			if (basic == 0) {
				const struct registry_enhanced *g;

				t.detail = 0;
				g = registry_enhanced_lookup(t.subject, 0);
				basic = g != NULL ?
				    registry_enhanced_basic_for(g, 4) : 0;
				if (basic == 0)
					basic = 451;
				conf_report(rc->ld, REGISTRY_WARNING,
				    conf_at(rc->ld, line), "rule \"%s\": "
				    "soft_bounce: X.%u.%u has no registered "
				    "4xx form, so the rule answers %u 4.%u.0 "
				    "instead of %u %u.%u.%u", r->name,
				    x->subject, x->detail, basic, x->subject,
				    reply_basic(wire), x->cls, x->subject,
				    x->detail);
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
	conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, line), "rule "
	    "\"%s\": %s", r->name, err[0] ? err : "out of memory");
}

/* build_limits - the rule's rate (with rate_unit) or greylist, parsed and
 * checked against its stage; the macros a rate's key reads asked for. */
static void
build_limits(struct conf_rule_ctx *rc, cfg_t *sec, int line)
{
	struct rule *r = rc->rule;
	const char *rate = cfg_getstr(sec, "rate");
	const char *grey = cfg_getstr(sec, "greylist");
	const char *unit = cfg_getstr(sec, "rate_unit");
	int rline = conf_opt_line(rc->ld, sec, "rate", line);
	int gline = conf_opt_line(rc->ld, sec, "greylist", line);
	char err[300];

	if (strcmp(unit, "events") != 0 && strcmp(unit, "bytes") != 0) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
		    conf_opt_line(rc->ld, sec, "rate_unit", line)), "rule "
		    "\"%s\": rate_unit \"%s\": use events (the default) or "
		    "bytes", r->name, unit);
		return;
	}
	if (rate != NULL && grey != NULL) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld, gline),
		    "rule \"%s\": a rule has a rate or a greylist, not both: "
		    "write two rules", r->name);
		return;
	}
	if (rate != NULL) {
		if ((r->rate = limit_parse(rate, r->stage, strcmp(unit,
		    "bytes") == 0, err, sizeof(err))) == NULL) {
			conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
			    rline), "rule \"%s\": rate \"%s\": %s", r->name,
			    rate, err);
			return;
		}
		r->limit_text = conf_strdup(rc->ld, limit_describe(r->rate));
		for (unsigned i = 0; limit_macro(r->rate, i) != NULL; i++)
			conf_add_macro(rc->ld, rc->p, limit_macro(r->rate, i));
	} else if (strcmp(unit, "bytes") == 0) {
		conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
		    conf_opt_line(rc->ld, sec, "rate_unit", line)), "rule "
		    "\"%s\": rate_unit without a rate", r->name);
	}
	if (grey != NULL) {
		if (r->stage != STAGE_RCPT) {
			conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
			    gline), "rule \"%s\": greylist works on the "
			    "triplet client, sender, recipient: use stage = "
			    "rcpt", r->name);
			return;
		}
		if ((r->grey = grey_parse(grey, err, sizeof(err))) == NULL) {
			conf_report(rc->ld, REGISTRY_ERROR, conf_at(rc->ld,
			    gline), "rule \"%s\": greylist \"%s\": %s",
			    r->name, grey, err);
			return;
		}
		snprintf(err, sizeof(err), "%.*s", (int)strcspn(grey, " "),
		    grey);
		r->limit_text = conf_strdup(rc->ld, err);
	}
}

/* conf_build_rule - rule section sec, appended to p->rules. */
void
conf_build_rule(struct conf_loader *ld, struct policy *p, cfg_t *sec)
{
	const char *name = cfg_title(sec), *text;
	int line = (int)confread_section_line(ld->text, "rule", name);
	struct conf_rule_ctx rc = { ld, p, NULL, { false } };
	struct rule *r = calloc(1, sizeof(*r));
	unsigned before = ld->counts.errors;

	if (r == NULL || (r->name = strdup(name)) == NULL) {
		free(r);
		conf_oom(ld);
		return;
	}
	rc.rule = r;
	r->line = (unsigned)line;
	r->index = p->nrules;
	p->rules[p->nrules++] = r;
	if (!conf_name_ok(name))
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line), "rule "
		    "\"%s\": a name has letters, digits, '.', '_', ':' and '-' "
		    "only", name);
	text = cfg_getstr(sec, "stage");
	if (text == NULL) {
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line), "rule "
		    "\"%s\": give its stage: one of %s", name, stage_names());
		return;
	}
	if (stage_parse(text, &r->stage) != 0) {
		char hint[128];

		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, conf_opt_line(ld, sec, "stage", line)), "rule "
		    "\"%s\": unknown stage \"%s\"%s (stages: %s)", name, text,
		    conf_did_you_mean(spell_nearest(text, stage_at, NULL,
		    STAGE_COUNT), hint, sizeof(hint)), stage_names());
		return;
	}
	text = cfg_getstr(sec, "mode");
	if (strcmp(text, "dry-run") == 0)
		r->dry_run = true;
	else if (strcmp(text, "enforce") != 0)
		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, conf_opt_line(ld, sec, "mode", line)), "rule "
		    "\"%s\": mode \"%s\": use enforce or dry-run", name, text);
	r->disclose = p->settings.disclose;
	if ((text = cfg_getstr(sec, "disclose")) != NULL) {
		if (strcmp(text, "generic") == 0)
			r->disclose = POLICY_DISCLOSE_GENERIC;
		else if (strcmp(text, "specific") == 0)
			r->disclose = POLICY_DISCLOSE_SPECIFIC;
		else
			conf_report(ld, REGISTRY_ERROR, conf_at(ld,
			    conf_opt_line(ld, sec, "disclose", line)), "rule "
			    "\"%s\": disclose \"%s\": use specific or generic",
			    name, text);
	}
	text = cfg_getstr(sec, "id");
	if (text != NULL && !conf_name_ok(text))
		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, conf_opt_line(ld, sec, "id", line)), "rule "
		    "\"%s\": id \"%s\": an id has letters, digits, '.', '_', "
		    "':' and '-' only", name, text);
	r->id = conf_strdup(ld, text != NULL ? text : name);
	r->cond = conf_build_conds(&rc, sec, line);
	build_limits(&rc, sec, line);
	if (ld->counts.errors == before)
		build_action_reply(&rc, sec, line);
	if (ld->counts.errors == before)
		build_wire(&rc, conf_opt_line(ld, sec, "reply", line));
	if (r->wire == NULL)
		r->wire = r->reply;
}
