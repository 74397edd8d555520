/*
 * flow - what happens at each stage of a connection: evaluate the policy,
 * carry decisions forward, and say what to answer
 */
#include "config.h"

#include "flow.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/authres.h"
#include "checks/runner.h"
#include "limiter.h"
#include "log.h"
#include "store.h"

#define FLOW_MAX_HEADERS 32
#define FLOW_MAX_HEADERS_TEXT "32"

struct flow {
	struct policy *policy;
	struct session *session;
	struct checks_state *checks;
	bool run_checks;
	const struct rule *pending;	/* decided at connect */
	/* A failure where no reply could be sent, answered at every later
	 * stage: of the connection (at connect), or of the message (a header
	 * recorded without header replies). */
	bool failed_connection;
	bool failed_message;
	bool conn_accepted;
	bool msg_accepted;
	bool limit_logged;		/* the header limit's line, once */
	bool grey_noted;		/* X-Greylist added to this message */
	unsigned nheaders;
	struct flow_header headers[FLOW_MAX_HEADERS];
};

/*
 * The rendering of the last reply, per thread: a result is read in the
 * callback that asked for it, before the thread serves another, so one
 * 31 KiB buffer a thread does instead of one a connection.
 */
static _Thread_local struct reply_rendered rendered;

/* Internal failures since start, by cause, for every flow. */
static atomic_ulong failures[FLOW_FAIL_COUNT];

struct flow *
flow_new(struct policy *p)
{
	struct flow *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	/* The body is kept only when a rule reads it. */
	if ((f->session = session_new(policy_needs(p, COND_BODY) ?
	    policy_settings(p)->body_limit : 0)) == NULL ||
	    (f->checks = checks_state_new()) == NULL) {
		session_free(f->session);
		free(f);
		return NULL;
	}
	session_set_header_limits(f->session, policy_settings(p)->header_limit,
	    policy_settings(p)->header_count_limit);
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
	f->failed_message = false;
	f->limit_logged = false;
	f->grey_noted = false;
	f->nheaders = 0;
}

void
flow_end_message(struct flow *f)
{
	session_reset_message(f->session);
	f->msg_accepted = false;
	f->failed_message = false;
	f->limit_logged = false;
	f->nheaders = 0;
}

const struct flow_header *
flow_headers(const struct flow *f, unsigned *n)
{
	*n = f->nheaders;
	return f->headers;
}

/* render - r rendered with s's values for rule (NULL: the failure reply)
 * into per-thread storage, and as the client reads it into out->text. */
static void
render(const struct session *s, const struct reply *r,
    const struct rule *rule, struct flow_result *out)
{
	struct reply_values values = { { NULL } };

	if (s != NULL)
		policy_rule_values(rule, s, &values);
	reply_render(r, &values, &rendered);
	out->reply = r;
	out->rendered = &rendered;
	reply_format(&rendered, out->text, sizeof(out->text));
}

/* render_builtin - the built-in failure reply, for when no policy is
 * loaded: filled in directly, as no reply object exists to render. */
static void
render_builtin(struct flow_result *out)
{
	memset(&rendered, 0, sizeof(rendered));
	memcpy(rendered.basic, POLICY_BUILTIN_FAILURE_BASIC,
	    sizeof(POLICY_BUILTIN_FAILURE_BASIC));
	memcpy(rendered.xcode, POLICY_BUILTIN_FAILURE_XCODE,
	    sizeof(POLICY_BUILTIN_FAILURE_XCODE));
	memcpy(rendered.buf, POLICY_BUILTIN_FAILURE_TEXT,
	    sizeof(POLICY_BUILTIN_FAILURE_TEXT));
	rendered.lines[0] = rendered.buf;
	rendered.nlines = 1;
	out->reply = NULL;
	out->rendered = &rendered;
	reply_format(&rendered, out->text, sizeof(out->text));
}

/* Why a header to add could not be kept. */
#define FLOW_HEADERS_FULL "more than " FLOW_MAX_HEADERS_TEXT " headers to add"
#define FLOW_HEADERS_OOM "out of memory keeping a header to add"

/* add_header - remember a header for end of message (value copied, as it
 * is: no '%' escaping applies to headers); NULL, or why it could not be
 * (the message then fails: a header is never dropped). */
static const char *
add_header(struct flow *f, const char *name, const char *value, bool prepend)
{
	char *copy;

	if (f->nheaders == FLOW_MAX_HEADERS)
		return FLOW_HEADERS_FULL;
	if ((copy = session_strdup(f->session, value)) == NULL)
		return FLOW_HEADERS_OOM;
	f->headers[f->nheaders].name = name;
	f->headers[f->nheaders].prepend = prepend;
	f->headers[f->nheaders++].value = copy;
	return NULL;
}

/* client_text - "name[addr]" for log lines (s may be NULL), into buf. */
static const char *
client_text(const struct session *s, char *buf, size_t size)
{
	if (s == NULL)
		snprintf(buf, size, "unknown");
	else
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

/* log_decision - the one log line of a decision, and its count: the
 * reply sent (NULL: none), the rule's own where it differs (specific,
 * NULL: none), whether it was decided at connect (deferred), and a dry
 * run (only logged) as mode=dry-run. */
static void
log_decision(struct flow *f, enum stage stage, const struct rule *r,
    const char *action, const char *reply, const char *specific,
    bool deferred, bool dry_run)
{
	char client[300], line[REPLY_TEXT_MAX * 2 + 64];
	char own[REPLY_TEXT_MAX * 2 + 64];
	struct log_field fields[] = {
		{ "queue_id", queue_id(f->session), LOG_FIELD_HEAD },
		{ "client", client_text(f->session, client, sizeof(client)),
		    LOG_FIELD_PLAIN },
		{ "stage", stage_name(stage), LOG_FIELD_PLAIN },
		{ "rule", policy_rule_name(r), LOG_FIELD_PLAIN },
		{ "id", policy_rule_id(r), LOG_FIELD_PLAIN },
		{ "action", action, LOG_FIELD_PLAIN },
		{ "reply", reply != NULL ? one_line(reply, line, sizeof(line)) :
		    NULL, LOG_FIELD_QUOTED },
		{ "specific", specific != NULL ? one_line(specific, own,
		    sizeof(own)) : NULL, LOG_FIELD_QUOTED },
		{ "decided", deferred ? "connect" : NULL, LOG_FIELD_PLAIN },
		{ "mode", dry_run ? "dry-run" : NULL, LOG_FIELD_PLAIN },
	};

	policy_rule_count_decision(r, stage, dry_run);
	log_record(LOG_LEVEL_INFO, "decision", fields,
	    sizeof(fields) / sizeof(fields[0]));
}

/* effects - the add-header and dry-run rules that matched on the way,
 * noted in out; NULL, or why a header to add could not be kept. */
static const char *
effects(struct flow *f, enum stage stage, const struct policy_verdict *v,
    struct flow_result *out)
{
	out->neffects = v->neffects;
	memcpy(out->effects, v->effects, v->neffects * sizeof(v->effects[0]));
	for (unsigned i = 0; i < v->neffects; i++) {
		const struct rule *r = v->effects[i];
		const char *action = policy_action_name(policy_rule_action(r));
		const struct reply *wire = policy_rule_wire(r);
		struct flow_result tmp;
		char value[REPLY_TEXT_MAX * 2 + 128];
		const char *why;

		if (policy_rule_action(r) == POLICY_ADD_HEADER &&
		    !policy_rule_dry_run(r)) {
			/* Rendered as reply text is; a header needs no '%'
			 * escape, so '%%' goes back to '%'. */
			render(f->session, policy_rule_header_value(r), r, &tmp);
			if ((why = add_header(f, policy_rule_header_name(r),
			    undouble(rendered.nlines > 0 ? rendered.lines[0] :
			    "", value, sizeof(value)), false)) != NULL)
				return why;
			log_decision(f, stage, r, "add-header", NULL, NULL, false,
			    false);
			continue;
		}
		/* A dry run: log and mark what the rule would have done. */
		if (wire != NULL) {
			render(f->session, wire, r, &tmp);
			log_decision(f, stage, r, action, tmp.text, NULL, false,
			    true);
			snprintf(value, sizeof(value), "rule=%s; id=%s; "
			    "stage=%s; would=%s %s", policy_rule_name(r),
			    policy_rule_id(r), stage_name(stage), action,
			    tmp.text);
		} else {
			log_decision(f, stage, r, action, NULL, NULL, false,
			    true);
			snprintf(value, sizeof(value), "rule=%s; id=%s; "
			    "stage=%s; would=%s", policy_rule_name(r),
			    policy_rule_id(r), stage_name(stage), action);
		}
		/* Multi-line replies join into one header line. */
		for (char *p = value; *p != '\0'; p++)
			if (*p == '\n')
				*p = ' ';
		if (stage >= STAGE_MAIL && (why = add_header(f,
		    policy_settings(f->policy)->dry_run_header, value,
		    false)) != NULL)
			return why;
	}
	return NULL;
}

/* trace_headers - Received-SPF and Authentication-Results for what
 * replymilter checked itself, when the config asks for them; NULL, or why
 * one could not be kept. */
static const char *
trace_headers(struct flow *f)
{
	const struct checks_config *c = policy_checks(f->policy);
	struct checks_header h[2];
	const char *why;
	unsigned n;

	if (c == NULL)
		return NULL;
	n = checks_trace_headers(c, f->checks, f->session, h);
	for (unsigned i = 0; i < n; i++)
		if ((why = add_header(f, h[i].name, h[i].value, true)) != NULL)
			return why;
	return NULL;
}

/* greylist_header - X-Greylist on a message whose triplet passed after
 * its delay (once a message); NULL, or why it could not be kept. */
static const char *
greylist_header(struct flow *f, const struct policy_verdict *v)
{
	char value[96];

	if (v->grey_delayed == 0 || f->grey_noted)
		return NULL;
	f->grey_noted = true;
	snprintf(value, sizeof(value), "delayed %u seconds by replymilter",
	    v->grey_delayed);
	return add_header(f, "X-Greylist", value, false);
}

/* header_cause - the failure cause of a header that could not be kept. */
static enum flow_fail_cause
header_cause(const char *why)
{
	return strcmp(why, FLOW_HEADERS_FULL) == 0 ? FLOW_FAIL_LIMIT :
	    FLOW_FAIL_MEMORY;
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

/* header_limit - the answer to a message whose headers passed a limit:
 * the policy's header_limit_reply, at this stage and every later one of
 * the message, logged once. */
static enum flow_outcome
header_limit(struct flow *f, enum stage stage, struct flow_result *out)
{
	const struct reply *r = policy_settings(f->policy)->header_limit_reply;
	char client[300], line[REPLY_TEXT_MAX * 2 + 64];

	render(f->session, r, NULL, out);
	out->outcome = reply_basic(r) >= 500 ? FLOW_REJECT : FLOW_TEMPFAIL;
	if (!f->limit_logged) {
		f->limit_logged = true;
		log_info("%s: client=%s stage=%s limit=%s action=%s "
		    "reply=\"%s\"", queue_id(f->session), client_text(
		    f->session, client, sizeof(client)), stage_name(stage),
		    f->session->headers_over_limit, out->outcome ==
		    FLOW_REJECT ? "reject" : "tempfail", one_line(out->text,
		    line, sizeof(line)));
	}
	return out->outcome;
}

/* codes_differ - whether replies a and b send other codes (a reply id
 * appended to the text does not count). */
static bool
codes_differ(const struct reply *a, const struct reply *b)
{
	const struct registry_xcode *x = reply_xcode(a), *y = reply_xcode(b);

	if (reply_basic(a) != reply_basic(b) || (x == NULL) != (y == NULL))
		return true;
	return x != NULL && (x->cls != y->cls || x->subject != y->subject ||
	    x->detail != y->detail);
}

/* deliver - the answer for a reject/tempfail rule r.  When what the
 * client reads differs from the rule's own reply (disclose = generic,
 * soft_bounce), the log line keeps the rule's as specific="...". */
static enum flow_outcome
deliver(struct flow *f, enum stage stage, const struct rule *r,
    bool deferred, struct flow_result *out)
{
	enum policy_action action = policy_rule_action(r);
	char specific[REPLY_TEXT_MAX * 2 + 64];
	bool differ;

	out->rule = r;
	out->deferred = deferred;
	out->outcome = action == POLICY_REJECT ? FLOW_REJECT : FLOW_TEMPFAIL;
	differ = policy_rule_reply(r) != NULL && policy_rule_wire(r) != NULL &&
	    codes_differ(policy_rule_reply(r), policy_rule_wire(r));
	if (differ) {
		/* Rendered first: render() reuses the thread's buffer, and
		 * the wire reply must be the one left in it. */
		render(f->session, policy_rule_reply(r), r, out);
		snprintf(specific, sizeof(specific), "%s", out->text);
	}
	render(f->session, policy_rule_wire(r), r, out);
	log_decision(f, stage, r, policy_action_name(action), out->text,
	    differ ? specific : NULL, deferred, false);
	if (stage == STAGE_RCPT)
		session_drop_last_rcpt(f->session);
	return out->outcome;
}

const char *
flow_fail_cause_name(enum flow_fail_cause cause)
{
	switch (cause) {
	case FLOW_FAIL_MEMORY: return "memory";
	case FLOW_FAIL_CONDITION: return "condition";
	case FLOW_FAIL_CHECK: return "check";
	case FLOW_FAIL_STATE: return "state";
	case FLOW_FAIL_LIMIT: return "limit";
	case FLOW_FAIL_MILTER: return "milter";
	case FLOW_FAIL_STORE: return "store";
	case FLOW_FAIL_COUNT: break;
	}
	return "?";
}

unsigned long
flow_failures(enum flow_fail_cause cause)
{
	return cause < FLOW_FAIL_COUNT ? atomic_load_explicit(
	    &failures[cause], memory_order_relaxed) : 0;
}

enum flow_outcome
flow_failure(const struct policy *p, const struct session *s,
    const char *qid, enum stage stage, enum flow_fail_cause cause,
    const char *why, struct flow_result *out)
{
	char client[300], line[REPLY_TEXT_MAX * 2 + 64];

	clear_result(out);
	out->outcome = FLOW_FAIL;
	if (p != NULL)
		render(s, policy_settings(p)->failure_reply, NULL, out);
	else
		render_builtin(out);
	if (why == NULL)
		return FLOW_FAIL;	/* logged and counted when it happened */
	if (cause < FLOW_FAIL_COUNT)
		atomic_fetch_add_explicit(&failures[cause], 1,
		    memory_order_relaxed);
	if (qid == NULL || qid[0] == '\0')
		qid = s != NULL ? queue_id(s) : "NOQUEUE";
	struct log_field fields[] = {
		{ "queue_id", qid, LOG_FIELD_HEAD },
		{ "client", client_text(s, client, sizeof(client)),
		    LOG_FIELD_PLAIN },
		{ "stage", stage_name(stage), LOG_FIELD_PLAIN },
		{ "cause", flow_fail_cause_name(cause), LOG_FIELD_PLAIN },
		{ "failure", why, LOG_FIELD_QUOTED },
		{ "reply", one_line(out->text, line, sizeof(line)),
		    LOG_FIELD_QUOTED },
	};

	log_record(LOG_LEVEL_WARNING, "failure", fields,
	    sizeof(fields) / sizeof(fields[0]));
	return FLOW_FAIL;
}

enum flow_outcome
flow_fail(struct flow *f, enum stage stage, enum flow_fail_cause cause,
    const char *why, struct flow_result *out)
{
	flow_failure(f->policy, f->session, NULL, stage, cause, why, out);
	/* Like a decision, a failure at connect has no reply there: it is
	 * answered at every later stage (flow_stage); one in the data phase
	 * at every later stage of the message. */
	if (stage == STAGE_CONNECT)
		f->failed_connection = true;
	else if (stage >= STAGE_HEADER)
		f->failed_message = true;
	if (stage == STAGE_RCPT)
		session_drop_last_rcpt(f->session);
	return FLOW_FAIL;
}

enum flow_outcome
flow_stage(struct flow *f, enum stage stage, struct flow_result *out)
{
	struct policy_verdict v;
	const struct rule *r;
	enum policy_result result;
	const char *why;

	clear_result(out);
	if ((f->failed_connection && stage > STAGE_CONNECT) ||
	    (f->failed_message && stage > STAGE_MAIL)) {
		flow_failure(f->policy, f->session, NULL, stage,
		    FLOW_FAIL_COUNT, NULL, out);
		if (stage == STAGE_RCPT)
			session_drop_last_rcpt(f->session);
		return FLOW_FAIL;
	}
	if (f->conn_accepted || (stage >= STAGE_MAIL && f->msg_accepted))
		return FLOW_CONTINUE;
	/* A connect decision holds for the whole connection: the MTA
	 * remembers a HELO-stage refusal, but not one given at MAIL FROM to a
	 * client that skipped HELO, so every later stage answers it again. */
	if (f->pending != NULL && stage > STAGE_CONNECT)
		return deliver(f, stage, f->pending, true, out);
	/* Rules on headers past a limit would never see them: the message
	 * is refused, not judged on part of its headers. */
	if (stage >= STAGE_HEADER && f->session->headers_over_limit != NULL)
		return header_limit(f, stage, out);
	if (f->run_checks && checks_run(policy_checks(f->policy), f->checks,
	    stage, f->session) != 0)
		return flow_fail(f, stage, FLOW_FAIL_CHECK,
		    "out of memory in a check", out);
	if (stage == STAGE_EOM && (why = trace_headers(f)) != NULL)
		return flow_fail(f, stage, header_cause(why), why, out);
	result = policy_eval(f->policy, stage, f->session, &v);
	if (v.retry_after > 0)
		snprintf(f->session->retry_after,
		    sizeof(f->session->retry_after), "%u", v.retry_after);
	if ((why = effects(f, stage, &v, out)) != NULL ||
	    (why = greylist_header(f, &v)) != NULL)
		return flow_fail(f, stage, header_cause(why), why, out);
	switch (result) {
	case POLICY_ERROR:
		if (v.store_failed) {
			char why_rule[256];

			snprintf(why_rule, sizeof(why_rule), "rule %s: the "
			    "rate-limit store %s did not answer",
			    policy_rule_name(v.failed),
			    store_describe(limiter_store()));
			return flow_fail(f, stage, FLOW_FAIL_STORE, why_rule,
			    out);
		}
		if (v.too_many_effects)
			return flow_fail(f, stage, FLOW_FAIL_LIMIT, "more than "
			    POLICY_MAX_EFFECTS_TEXT " add-header and dry-run "
			    "rules matched at one stage", out);
		if (v.failed != NULL) {
			char why_rule[256];

			/* The rule's name says where the admin should look. */
			snprintf(why_rule, sizeof(why_rule), "rule %s: a "
			    "condition could not be evaluated",
			    policy_rule_name(v.failed));
			return flow_fail(f, stage, FLOW_FAIL_CONDITION,
			    why_rule, out);
		}
		return flow_fail(f, stage, FLOW_FAIL_CONDITION,
		    "evaluation failed", out);
	case POLICY_NOMATCH:
		return FLOW_CONTINUE;
	case POLICY_MATCH:
		break;
	}
	r = v.rule;
	out->rule = r;
	switch (policy_rule_action(r)) {
	case POLICY_CONTINUE:
		log_debug("%s: stage=%s rule=%s action=continue",
		    queue_id(f->session), stage_name(stage),
		    policy_rule_name(r));
		return FLOW_CONTINUE;
	case POLICY_ACCEPT:
		if (stage <= STAGE_HELO)
			f->conn_accepted = true;
		else
			f->msg_accepted = true;
		log_decision(f, stage, r, "accept", NULL, NULL, false,
		    false);
		out->outcome = FLOW_ACCEPT;
		return FLOW_ACCEPT;
	case POLICY_DISCARD:
		log_decision(f, stage, r, "discard", NULL, NULL, false,
		    false);
		out->outcome = FLOW_DISCARD;
		return FLOW_DISCARD;
	case POLICY_REJECT:
	case POLICY_TEMPFAIL:
		if (stage == STAGE_CONNECT) {
			/* libmilter cannot reply at connect: answer later. */
			f->pending = r;
			log_debug("%s: stage=connect rule=%s: decided, answered "
			    "at the next stage", queue_id(f->session),
			    policy_rule_name(r));
			return FLOW_CONTINUE;
		}
		return deliver(f, stage, r, false, out);
	case POLICY_ADD_HEADER:
		break;
	}
	return FLOW_CONTINUE;
}

int
flow_authres_to_strip(struct flow *f, unsigned *idx)
{
	const struct checks_config *c = policy_checks(f->policy);
	char client[300];
	int n;

	if (!policy_strips_authres(f->policy) || c->authserv_id == NULL)
		return 0;
	n = authres_claiming(f->session->headers, f->session->nheaders,
	    c->authserv_id, idx, FLOW_MAX_STRIPPED);
	if (n > 0)
		log_info("%s: client=%s stage=eom removed=%d "
		    "header=Authentication-Results authserv-id=%s "
		    "reason=\"claims our authserv-id\"", queue_id(f->session),
		    client_text(f->session, client, sizeof(client)), n,
		    c->authserv_id);
	return n;
}
