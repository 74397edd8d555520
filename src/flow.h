/*
 * flow - what happens at each stage of a connection: evaluate the policy,
 * carry decisions forward, and say what to answer
 *
 * Shared by the milter callbacks and by --test, so that what --test shows
 * is what the daemon does.  A flow belongs to one connection: it holds the
 * policy snapshot the connection started with (a reference), the session,
 * and the decisions that outlive a stage:
 *   - a reject or tempfail decided at connect cannot carry a custom reply
 *     (libmilter has no reply at connect), so it is kept and delivered at
 *     the next stage, HELO or, when the client sends none, MAIL FROM, as
 *     Postfix's smtpd_delay_reject does;
 *   - an accept at connect or HELO ends evaluation for the connection, an
 *     accept later ends it for the message;
 *   - a refused recipient is dropped from the session, so later stages see
 *     the recipients the message really has;
 *   - add-header and dry-run rules leave headers to add at end of message.
 * Every decision is logged in one line: queue id, client, stage, rule, id,
 * reply.
 *
 * Failure has one path: flow_failure() (flow_fail() for a flow) answers
 * the policy's on_failure reply (the built-in 451 4.3.0 only when no policy
 * is loaded), logs it once at warning with the queue id, client, stage and
 * cause, and counts it by cause.  An evaluation error, a check or a header
 * to add that runs out of memory, more effects or headers to add than fit
 * (nothing is dropped), all end there, and so does every failure of the
 * milter glue to record what the MTA sent or to add a header; never an
 * accept.  A message whose headers pass the configured limits is not a
 * failure: it gets header_limit_reply at every stage from then on.  A
 * failure at connect, where no reply can be sent, is answered at every
 * later stage of the connection, as a connect decision is.
 *
 * Ownership: flow_new() takes a reference to the policy and owns the
 * session it makes; flow_free() drops both.  Results point into the flow
 * and into per-thread storage: they stay valid until the thread's next
 * call.  One thread at a time per flow.
 */
#ifndef REPLYMILTER_FLOW_H
#define REPLYMILTER_FLOW_H

#include <stdbool.h>

#include "policy.h"
#include "reply.h"
#include "session.h"

enum flow_outcome {
	FLOW_CONTINUE,
	FLOW_ACCEPT,
	FLOW_REJECT,
	FLOW_TEMPFAIL,
	FLOW_DISCARD,
	FLOW_FAIL		/* internal failure: send the failure reply */
};

/* A header to add at end of message. */
struct flow_header {
	const char *name;
	const char *value;
	bool prepend;		/* a trace header: goes on top */
};

struct flow_result {
	enum flow_outcome outcome;
	const struct rule *rule;	/* the deciding rule, or NULL */
	bool deferred;			/* decided at connect, answered now */
	const struct reply *reply;	/* the wire reply, or NULL */
	const struct reply_rendered *rendered;	/* it, rendered */
	unsigned neffects;		/* add-header and dry-run rules met */
	const struct rule *effects[POLICY_MAX_EFFECTS];
	char text[REPLY_TEXT_MAX * 2];	/* as the client reads it */
};

struct flow;

/* flow_new - a flow for one connection on policy p, or NULL. */
struct flow *flow_new(struct policy *p);

/* flow_free - drop the policy reference and the session; NULL is
 * harmless. */
void flow_free(struct flow *f);

/* flow_session - the session to record facts in. */
struct session *flow_session(struct flow *f);

/* flow_policy - the policy this connection runs on. */
const struct policy *flow_policy(const struct flow *f);

/* flow_stage - evaluate stage and fill *out; out->outcome. */
enum flow_outcome flow_stage(struct flow *f, enum stage stage,
    struct flow_result *out);

/* Why an internal failure happened, for logs and counters. */
enum flow_fail_cause {
	FLOW_FAIL_MEMORY,	/* out of memory recording or keeping a fact */
	FLOW_FAIL_CONDITION,	/* a condition could not be evaluated */
	FLOW_FAIL_CHECK,	/* a built-in check could not run */
	FLOW_FAIL_STATE,	/* no connection state, or no policy */
	FLOW_FAIL_LIMIT,	/* an internal limit left no room */
	FLOW_FAIL_MILTER,	/* libmilter refused a call */
	FLOW_FAIL_STORE,	/* the rate limits' store did not answer */
	FLOW_FAIL_COUNT
};

/* flow_failure - policy p's failure reply (the built-in one when p is
 * NULL) rendered with s's values (s may be NULL) into *out, logged once
 * with the queue id qid (NULL: s's) and stage, and counted under cause;
 * why NULL answers a failure already logged, without logging or counting
 * it again; FLOW_FAIL. */
enum flow_outcome flow_failure(const struct policy *p,
    const struct session *s, const char *qid, enum stage stage,
    enum flow_fail_cause cause, const char *why, struct flow_result *out);

/* flow_fail - flow_failure on f's policy and session; a failure at connect
 * is answered again at every later stage; FLOW_FAIL. */
enum flow_outcome flow_fail(struct flow *f, enum stage stage,
    enum flow_fail_cause cause, const char *why, struct flow_result *out);

/* flow_failures - how many failures of cause since start, in all flows. */
unsigned long flow_failures(enum flow_fail_cause cause);

/* flow_fail_cause_name - "memory", "condition", "check", "state", "limit",
 * "milter", "store". */
const char *flow_fail_cause_name(enum flow_fail_cause cause);

/* flow_run_checks - whether the built-in checks run (default true);
 * --test turns them off and stands in for their results. */
void flow_run_checks(struct flow *f, bool on);

/* flow_begin_message - a new message starts (MAIL FROM). */
void flow_begin_message(struct flow *f);

/* flow_end_message - the message is over (end of message, abort). */
void flow_end_message(struct flow *f);

/* flow_headers - the headers to add at end of message, and how many. */
const struct flow_header *flow_headers(const struct flow *f, unsigned *n);

/* The most forged Authentication-Results headers one message may carry;
 * more fail the message. */
#define FLOW_MAX_STRIPPED 32

/* flow_authres_to_strip - when the policy strips them, the 1-based
 * indexes (among the message's Authentication-Results headers) of those
 * that claim replymilter's own authserv-id, into idx (FLOW_MAX_STRIPPED
 * of room), logged once; how many (0 when the policy keeps them), or -1
 * when there are more than fit. */
int flow_authres_to_strip(struct flow *f, unsigned *idx);

/* flow_pending - whether a decision taken at connect still waits. */
bool flow_pending(const struct flow *f);

/* flow_outcome_name - "continue", "reject", ... */
const char *flow_outcome_name(enum flow_outcome o);

#endif
