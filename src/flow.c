/*
 * flow - what happens at each stage of a connection: evaluate the policy,
 * carry decisions forward, and say what to answer
 */
#include "config.h"

#include "flow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FLOW_MAX_HEADERS 32

struct flow {
	struct policy *policy;
	struct session *session;
	struct checks_state *checks;
	bool run_checks;
	const struct rule *pending;	/* decided at connect */
	bool conn_accepted;
	bool msg_accepted;
	unsigned nheaders;
	struct flow_header headers[FLOW_MAX_HEADERS];
};

/*
 * The rendering of the last reply, per thread: a result is read in the
 * callback that asked for it, before the thread serves another, so one
 * 31 KiB buffer a thread does instead of one a connection.
 */
static _Thread_local struct reply_rendered rendered;

struct flow *
flow_new(struct policy *p)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	/* The body is kept only when a rule reads it. */
	if ((f->session = session_new(policy_needs(p, COND_BODY) ?
	    p->settings.body_limit : 0)) == NULL ||
	    (f->checks = checks_state_new()) == NULL) {
		session_free(f->session);
		free(f);
		return NULL;
	}
	f->policy = policy_ref(p);
	f->run_checks = true;
	return f;
}

void
flow_free(struct flow *f)
{
	if (f == NULL)
		return;
	checks_state_free(f->checks);
	session_free(f->session);
	policy_unref(f->policy);
	free(f);
}

struct session *
flow_session(struct flow *f)
{
	return f->session;
}

const struct policy *
flow_policy(const struct flow *f)
{
	return f->policy;
}

bool
flow_pending(const struct flow *f)
{
	return f->pending != NULL;
}

const char *
flow_outcome_name(enum flow_outcome o)
{
	switch (o) {
	case FLOW_CONTINUE: return "continue";
	case FLOW_ACCEPT: return "accept";
	case FLOW_REJECT: return "reject";
	case FLOW_TEMPFAIL: return "tempfail";
	case FLOW_DISCARD: return "discard";
	case FLOW_FAIL: return "failure";
	}
	return "?";
}

void
flow_run_checks(struct flow *f, bool on)
{
	f->run_checks = on;
}

void
flow_begin_message(struct flow *f)
{
	session_begin_message(f->session);
	checks_begin_message(f->checks);
	f->msg_accepted = false;
	f->nheaders = 0;
}

void
flow_end_message(struct flow *f)
{
	session_reset_message(f->session);
	f->msg_accepted = false;
	f->nheaders = 0;
}

const struct flow_header *
flow_headers(const struct flow *f, unsigned *n)
{
	*n = f->nheaders;
	return f->headers;
}

/* render - r rendered for rule into the flow, and as the client reads it
 * into out->text. */
static void
render(struct flow *f, const struct reply *r, const struct rule *rule,
    struct flow_result *out)
{
	struct reply_values values;

	policy_rule_values(rule, f->session, &values);
	reply_render(r, &values, &rendered);
	out->reply = r;
	out->rendered = &rendered;
	reply_format(&rendered, out->text, sizeof(out->text));
}

/* add_header - remember a header for end of message (value copied, as it
 * is: no '%' escaping applies to headers). */
static void
add_header(struct flow *f, const char *name, const char *value, bool prepend)
{
	char *copy;

	if (f->nheaders == FLOW_MAX_HEADERS) {
		log_warnx("%s: more than %d headers to add; \"%s\" dropped",
		    f->session->queue_id, FLOW_MAX_HEADERS, name);
		return;
	}
	if ((copy = session_strdup(f->session, value)) == NULL) {
		log_warnx("out of memory: header \"%s\" dropped", name);
		return;
	}

	f->headers[f->nheaders].name = name;
	f->headers[f->nheaders].prepend = prepend;
	f->headers[f->nheaders++].value = copy;
}

/* client_text - "name[addr]" for log lines, into buf. */
static const char *
client_text(const struct session *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s[%s]", s->client_name, s->client_addr);
	return buf;
}

/* queue_id - the queue id for log lines ("NOQUEUE" before there is one). */
static const char *
queue_id(const struct session *s)
{
	return s->queue_id[0] != '\0' ? s->queue_id : "NOQUEUE";
}

/* undouble - text with each "%%" (libmilter's escape) made "%", into
 * buf; returns buf. */
static const char *
undouble(const char *text, char *buf, size_t size)
{
	size_t used = 0;

	for (; *text != '\0' && used + 1 < size; text++) {
		buf[used++] = *text;
		if (text[0] == '%' && text[1] == '%')
			text++;
	}
	buf[used] = '\0';
	return buf;
}

/* one_line - text with its line breaks shown as " / ", into buf, so a
 * multi-line reply stays one log line; returns buf. */
static const char *
one_line(const char *text, char *buf, size_t size)
{
	size_t used = 0;

	for (; *text != '\0' && used + 4 < size; text++) {
		if (*text == '\n') {
			memcpy(buf + used, " / ", 3);
			used += 3;
		} else {
			buf[used++] = *text;
		}
	}
	buf[used] = '\0';
	return buf;
}

/* log_decision - the one log line of a decision. */
static void
log_decision(struct flow *f, enum stage stage, const struct rule *r,
    const char *action, const char *reply, const char *extra)
{
	char client[300], line[REPLY_TEXT_MAX * 2 + 64];

	if (reply != NULL)
		reply = one_line(reply, line, sizeof(line));
	log_info("%s: client=%s stage=%s rule=%s id=%s action=%s%s%s%s%s",
	    queue_id(f->session), client_text(f->session, client,
	    sizeof(client)), stage_name(stage), r->name, r->id, action,
	    reply != NULL ? " reply=\"" : "", reply != NULL ? reply : "",
	    reply != NULL ? "\"" : "", extra);
}

/* effects - the add-header and dry-run rules that matched on the way,
 * noted in out. */
static void
effects(struct flow *f, enum stage stage, const struct policy_verdict *v,
    struct flow_result *out)
{
	out->neffects = v->neffects;
	memcpy(out->effects, v->effects, v->neffects * sizeof(v->effects[0]));
	for (unsigned i = 0; i < v->neffects; i++) {
		const struct rule *r = v->effects[i];
		struct flow_result tmp;
		char value[REPLY_TEXT_MAX * 2 + 128];

		if (r->action == POLICY_ADD_HEADER && !r->dry_run) {
			/* Rendered as reply text is; a header needs no '%'
			 * escape, so '%%' goes back to '%'. */
			render(f, r->header_value, r, &tmp);
			add_header(f, r->header_name, undouble(
			    rendered.nlines > 0 ? rendered.lines[0] : "",
			    value, sizeof(value)), false);
			log_decision(f, stage, r, "add-header", NULL, "");
			continue;
		}
		/* A dry run: log and mark what the rule would have done. */
		if (r->wire != NULL) {
			render(f, r->wire, r, &tmp);
			log_decision(f, stage, r, policy_action_name(r->action),
			    tmp.text, " mode=dry-run");
			snprintf(value, sizeof(value), "rule=%s; id=%s; "
			    "stage=%s; would=%s %s", r->name, r->id,
			    stage_name(stage), policy_action_name(r->action),
			    tmp.text);
		} else {
			log_decision(f, stage, r, policy_action_name(r->action),
			    NULL, " mode=dry-run");
			snprintf(value, sizeof(value), "rule=%s; id=%s; "
			    "stage=%s; would=%s", r->name, r->id,
			    stage_name(stage), policy_action_name(r->action));
		}
		/* Multi-line replies join into one header line. */
		for (char *p = value; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		if (stage >= STAGE_MAIL)
			add_header(f, f->policy->settings.dry_run_header, value,
			    false);
	}
}

/* trace_headers - Received-SPF and Authentication-Results for what
 * replymilter checked itself, when the config asks for them. */
static void
trace_headers(struct flow *f)
{
	struct checks_header h[2];
	unsigned n;

	if (f->policy->checks == NULL)
		return;
	n = checks_trace_headers(f->policy->checks, f->checks, f->session, h);
	for (unsigned i = 0; i < n; i++)
		add_header(f, h[i].name, h[i].value, true);
}

/* clear_result - an empty result: continue, no rule, no text. */
static void
clear_result(struct flow_result *out)
{
	out->outcome = FLOW_CONTINUE;
	out->rule = NULL;
	out->deferred = false;
	out->reply = NULL;
	out->rendered = NULL;
	out->neffects = 0;
	out->text[0] = '\0';
}

/* deliver - the answer for a reject/tempfail rule r. */
static enum flow_outcome
deliver(struct flow *f, enum stage stage, const struct rule *r,
    bool deferred, struct flow_result *out)
{
	out->rule = r;
	out->deferred = deferred;
	out->outcome = r->action == POLICY_REJECT ? FLOW_REJECT :
	    FLOW_TEMPFAIL;
	render(f, r->wire, r, out);
	log_decision(f, stage, r, policy_action_name(r->action), out->text,
	    deferred ? " decided=connect" : "");
	if (stage == STAGE_RCPT)
		session_drop_last_rcpt(f->session);
	return out->outcome;
}

enum flow_outcome
flow_fail(struct flow *f, enum stage stage, const char *why,
    struct flow_result *out)
{
	char client[300], line[REPLY_TEXT_MAX * 2 + 64];

	clear_result(out);
	out->outcome = FLOW_FAIL;
	render(f, f->policy->settings.failure_reply, NULL, out);
	log_msg(LOG_LEVEL_WARNING, "%s: client=%s stage=%s failure=\"%s\" "
	    "reply=\"%s\"", queue_id(f->session), client_text(f->session,
	    client, sizeof(client)), stage_name(stage), why,
	    one_line(out->text, line, sizeof(line)));
	if (stage == STAGE_RCPT)
		session_drop_last_rcpt(f->session);
	return FLOW_FAIL;
}

enum flow_outcome
flow_stage(struct flow *f, enum stage stage, struct flow_result *out)
{
	struct policy_verdict v;
	const struct rule *r;

	clear_result(out);
	if (f->conn_accepted || (stage >= STAGE_MAIL && f->msg_accepted))
		return FLOW_CONTINUE;
	/* A connect decision holds for the whole connection: the MTA
	 * remembers a HELO-stage refusal, but not one given at MAIL FROM to a
	 * client that skipped HELO, so every later stage answers it again. */
	if (f->pending != NULL && stage > STAGE_CONNECT)
		return deliver(f, stage, f->pending, true, out);
	if (f->run_checks &&
	    checks_run(f->policy->checks, f->checks, stage, f->session) != 0)
		return flow_fail(f, stage, "out of memory in a check", out);
	if (stage == STAGE_EOM)
		trace_headers(f);
	switch (policy_eval(f->policy, stage, f->session, &v)) {
	case POLICY_ERROR:
		effects(f, stage, &v, out);
		return flow_fail(f, stage, v.failed != NULL ?
		    "a condition could not be evaluated" : "evaluation failed",
		    out);
	case POLICY_NOMATCH:
		effects(f, stage, &v, out);
		return FLOW_CONTINUE;
	case POLICY_MATCH:
		break;
	}
	effects(f, stage, &v, out);
	r = v.rule;
	out->rule = r;
	switch (r->action) {
	case POLICY_CONTINUE:
		log_debug("%s: stage=%s rule=%s action=continue",
		    queue_id(f->session), stage_name(stage), r->name);
		return FLOW_CONTINUE;
	case POLICY_ACCEPT:
		if (stage <= STAGE_HELO)
			f->conn_accepted = true;
		else
			f->msg_accepted = true;
		log_decision(f, stage, r, "accept", NULL, "");
		out->outcome = FLOW_ACCEPT;
		return FLOW_ACCEPT;
	case POLICY_DISCARD:
		log_decision(f, stage, r, "discard", NULL, "");
		out->outcome = FLOW_DISCARD;
		return FLOW_DISCARD;
	case POLICY_REJECT:
	case POLICY_TEMPFAIL:
		if (stage == STAGE_CONNECT) {
			/* libmilter cannot reply at connect: answer later. */
			f->pending = r;
			log_debug("%s: stage=connect rule=%s: decided, answered "
			    "at the next stage", queue_id(f->session), r->name);
			return FLOW_CONTINUE;
		}
		return deliver(f, stage, r, false, out);
	case POLICY_ADD_HEADER:
		break;
	}
	return FLOW_CONTINUE;
}
