/*
 * milter - the libmilter callbacks: record, evaluate, hand the verdict on
 */
#include "config.h"

#include "milter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libmilter/mfdef.h>

#include "action.h"
#include "flow.h"
#include "log.h"
#include "macros.h"

/* One MTA connection. */
struct conn {
	struct flow *flow;	/* NULL only in stateless, below */
	bool nr_header;		/* header replies negotiated away */
	bool can_skip;		/* the MTA understands SMFIS_SKIP */
	bool need_size;		/* eom rules need the whole body counted */
};

/* The state of a connection whose own state could not be made (no policy,
 * or no memory): every callback answers the failure reply.  Shared by all
 * such connections; it holds nothing. */
static struct conn stateless;

static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy *installed;
static atomic_uint active;
static atomic_ulong connections, transactions;	/* since start */

void
milter_set_policy(struct policy *p)
{
	struct policy *old;

	pthread_mutex_lock(&policy_lock);
	old = installed;
	installed = p;
	pthread_mutex_unlock(&policy_lock);
	policy_unref(old);
}

struct policy *
milter_policy(void)
{
	struct policy *p;

	pthread_mutex_lock(&policy_lock);
	p = installed != NULL ? policy_ref(installed) : NULL;
	pthread_mutex_unlock(&policy_lock);
	return p;
}

unsigned
milter_active(void)
{
	return atomic_load(&active);
}

unsigned long
milter_connections(void)
{
	return atomic_load_explicit(&connections, memory_order_relaxed);
}

unsigned long
milter_transactions(void)
{
	return atomic_load_explicit(&transactions, memory_order_relaxed);
}

void
milter_shutdown(void)
{
	milter_set_policy(NULL);
}

/* conn_of - the connection state of ctx, or NULL. */
static struct conn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* fail - the one answer of a callback to an internal failure: the loaded
 * policy's on_failure through flow_failure (logged once and counted), set
 * as the reply where libmilter can carry one.  Without connection state
 * (c NULL or stateless) the installed policy answers, and ctx is marked
 * stateless so later callbacks answer it too; why NULL: a failure already
 * logged.  At connect, where no reply can be sent, the failure is answered
 * at the next stage. */
static sfsistat
fail(SMFICTX *ctx, struct conn *c, enum stage stage,
    enum flow_fail_cause cause, const char *why)
{
	struct flow_result res;

	if (c != NULL && c->flow != NULL) {
		flow_fail(c->flow, stage, cause, why, &res);
	} else {
		struct policy *p = milter_policy();

		flow_failure(p, NULL, smfi_getsymval(ctx, "i"), stage, cause,
		    why, &res);
		res.reply = NULL;	/* its rendering outlives p; it not */
		policy_unref(p);
		if (c == NULL)
			(void)smfi_setpriv(ctx, &stateless);
	}
	if (stage == STAGE_CONNECT)
		return SMFIS_CONTINUE;
	return action_apply(ctx, &res);
}

/* conn_new - connection state on the installed policy, stored in ctx; or
 * NULL with why set when there is no policy or no memory. */
static struct conn *
conn_new(SMFICTX *ctx, const char **why)
{
	struct policy *p = milter_policy();
	struct conn *c;

	if (p == NULL) {
		*why = "no policy loaded";
		return NULL;
	}
	*why = "out of memory making the connection state";
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->flow = flow_new(p)) == NULL) {
		free(c);
		policy_unref(p);
		return NULL;
	}
	policy_unref(p);	/* the flow holds its own reference */
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		*why = "libmilter would not keep the connection state";
		flow_free(c->flow);
		free(c);
		return NULL;
	}
	atomic_fetch_add(&active, 1);
	atomic_fetch_add_explicit(&connections, 1, memory_order_relaxed);
	return c;
}

/* record_macros - the macros the policy reads, as the MTA sent them (and
 * at message stages the queue id); 0, or -1 with the reason in why. */
static int
record_macros(SMFICTX *ctx, struct conn *c, bool message, char *why,
    size_t size)
{
	const struct policy *p = flow_policy(c->flow);
	struct session *s = flow_session(c->flow);
	char *v;

	for (unsigned i = 0; i < policy_nmacros(p); i++) {
		const char *name = policy_macro(p, i);

		if ((v = smfi_getsymval(ctx, (char *)name)) != NULL &&
		    session_set_macro(s, name, v, message) != 0) {
			snprintf(why, size, "out of memory recording macro %s",
			    name);
			return -1;
		}
	}
	/* The queue id, for logs and %{queue_id}. */
	if (message && (v = smfi_getsymval(ctx, "i")) != NULL &&
	    strcmp(v, s->queue_id) != 0 && session_set_queue_id(s, v) != 0) {
		snprintf(why, size, "out of memory recording the queue id");
		return -1;
	}
	return 0;
}

/* answer - evaluate stage and answer. */
static sfsistat
answer(SMFICTX *ctx, struct conn *c, enum stage stage)
{
	struct flow_result res;

	flow_stage(c->flow, stage, &res);
	return action_apply(ctx, &res);
}

/* usable - whether c is connection state a callback can work with. */
static bool
usable(const struct conn *c)
{
	return c != NULL && c->flow != NULL;
}

/* unusable - the answer of a callback that finds no usable state: the
 * failure logged when the state could not be made, or a new one. */
static sfsistat
unusable(SMFICTX *ctx, struct conn *c, enum stage stage)
{
	return fail(ctx, c, stage, FLOW_FAIL_STATE, c == &stateless ? NULL :
	    "callback without connection state");
}

/* want - the protocol steps the policy p needs, as a mask of stages. */
static unsigned
stages_needed(const struct policy *p)
{
	unsigned mask = policy_stage_mask(p);

	if (policy_needs(p, COND_HELO))
		mask |= 1u << STAGE_HELO;
	if (mask & (1u << STAGE_CONNECT))
		mask |= 1u << STAGE_HELO;	/* to deliver connect decisions */
	if (policy_needs(p, COND_RCPT) || policy_needs(p, COND_RCPT_DOMAIN) ||
	    policy_needs(p, COND_RCPT_COUNT))
		mask |= 1u << STAGE_RCPT;
	if (policy_needs(p, COND_HEADER) || policy_strips_authres(p))
		mask |= 1u << STAGE_HEADER;
	if (policy_needs(p, COND_BODY) || policy_needs(p, COND_SIZE))
		mask |= 1u << STAGE_BODY;
	/* The checks read facts of their own: Authentication-Results
	 * headers (complete at end of headers), SPF's HELO identity, the
	 * actual size. */
	{
		unsigned needed = policy_checks_needed(p);

		if (needed & ((1u << CHECK_DKIM) | (1u << CHECK_DKIM_AUTHOR) |
		    (1u << CHECK_DMARC) | (1u << CHECK_ARC) |
		    (1u << CHECK_AUTH_MULTI)))
			mask |= (1u << STAGE_HEADER) | (1u << STAGE_EOH);
		if (needed & ((1u << CHECK_SPF) | (1u << CHECK_TLS)))
			mask |= 1u << STAGE_HELO;
		if (needed & (1u << CHECK_SIZE))
			mask |= 1u << STAGE_BODY;
	}
	return mask;
}

/* request_macros - ask for the macros each stage's rules read, plus the
 * queue id. */
static void
request_macros(SMFICTX *ctx, const struct policy *p)
{
	static const struct {
		enum stage stage;
		int where;
		const char *always;
	} stages[] = {
		{ STAGE_CONNECT, SMFIM_CONNECT, "j {daemon_name}" },
		{ STAGE_HELO, SMFIM_HELO, "" },
		{ STAGE_MAIL, SMFIM_ENVFROM, "i" },
		{ STAGE_RCPT, SMFIM_ENVRCPT, "i" },
		{ STAGE_EOH, SMFIM_EOH, "i" },
		{ STAGE_EOM, SMFIM_EOM, "i" },
	};

	for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
		char list[1024];
		size_t used = (size_t)snprintf(list, sizeof(list), "%s",
		    stages[k].always);

		for (unsigned i = 0; i < policy_nmacros(p); i++) {
			const char *name = policy_macro(p, i);
			enum stage first;

			if (macro_stage(name, &first) != 0 ||
			    first != stages[k].stage || strcmp(name, "i") == 0 ||
			    used + strlen(name) + 2 > sizeof(list))
				continue;
			used += (size_t)snprintf(list + used,
			    sizeof(list) - used, "%s%s", used ? " " : "", name);
		}
		if (list[0] != '\0' &&
		    smfi_setsymlist(ctx, stages[k].where, list) != MI_SUCCESS)
			log_debug("the MTA would not take the macro list %s",
			    list);
	}
}

/* on_negotiate - take the policy snapshot and ask for what it needs. */
static sfsistat
on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = conn_of(ctx);
	const struct policy *p;
	const char *why;
	unsigned need;
	unsigned long want = 0;

	(void)f2;
	(void)f3;
	if (c == NULL && (c = conn_new(ctx, &why)) == NULL) {
		/* Every stage, so each answers the failure reply. */
		(void)fail(ctx, NULL, STAGE_CONNECT, FLOW_FAIL_STATE, why);
		return SMFIS_ALL_OPTS;
	}
	if (!usable(c))
		return SMFIS_ALL_OPTS;
	p = flow_policy(c->flow);
	need = stages_needed(p);
	if (!(need & (1u << STAGE_HELO)))
		want |= SMFIP_NOHELO;
	if (!(need & (1u << STAGE_RCPT)))
		want |= SMFIP_NORCPT;
	if (!(need & (1u << STAGE_HEADER)))
		want |= SMFIP_NOHDRS;
	if (!(need & (1u << STAGE_EOH)))
		want |= SMFIP_NOEOH;
	if (!(need & (1u << STAGE_BODY)))
		want |= SMFIP_NOBODY;
	want |= SMFIP_NOUNKNOWN | SMFIP_NODATA;
	/* Header-stage rules answer per header; otherwise none does. */
	if (policy_nstage_rules(p, STAGE_HEADER) == 0)
		want |= SMFIP_NR_HDR;
	/* Body rules run at end of message; once the kept part is full and
	 * no rule needs the size, the rest of the body can be skipped. */
	want |= SMFIP_SKIP;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_SETSYMLIST |
	    (policy_strips_authres(p) ? SMFIF_CHGHDRS : 0));
	*pf1 = f1 & want;
	c->nr_header = (*pf1 & SMFIP_NR_HDR) != 0;
	c->can_skip = (*pf1 & SMFIP_SKIP) != 0;
	c->need_size = policy_needs(p, COND_SIZE) ||
	    (policy_checks_needed(p) & (1u << CHECK_SIZE));
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST)
		request_macros(ctx, p);
	return SMFIS_CONTINUE;
}

/* address_text - the client address of sa as text into buf ("" when it is
 * not IP). */
static const char *
address_text(const struct sockaddr *sa, char *buf, size_t size)
{
	buf[0] = '\0';
	if (sa == NULL)
		return buf;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, buf, (socklen_t)size);
	return buf;
}

/* on_connect - a new SMTP client. */
static sfsistat
on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn *c = conn_of(ctx);
	char addr[INET6_ADDRSTRLEN], why[128];
	struct flow_result res;
	const char *no_state;

	if (c == NULL && (c = conn_new(ctx, &no_state)) == NULL)
		return fail(ctx, NULL, STAGE_CONNECT, FLOW_FAIL_STATE, no_state);
	if (!usable(c))
		return unusable(ctx, c, STAGE_CONNECT);
	if (session_set_client(flow_session(c->flow), hostname,
	    address_text(hostaddr, addr, sizeof(addr))) != 0)
		return fail(ctx, c, STAGE_CONNECT, FLOW_FAIL_MEMORY,
		    "out of memory recording the client");
	if (record_macros(ctx, c, false, why, sizeof(why)) != 0)
		return fail(ctx, c, STAGE_CONNECT, FLOW_FAIL_MEMORY, why);
	/* No reply text is possible at connect: a decision, or a failure,
	 * waits in the flow for HELO or MAIL. */
	flow_stage(c->flow, STAGE_CONNECT, &res);
	return res.outcome == FLOW_ACCEPT ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

/* on_helo - HELO or EHLO. */
static sfsistat
on_helo(SMFICTX *ctx, char *name)
{
	struct conn *c = conn_of(ctx);
	char why[128];

	if (!usable(c))
		return unusable(ctx, c, STAGE_HELO);
	if (record_macros(ctx, c, false, why, sizeof(why)) != 0)
		return fail(ctx, c, STAGE_HELO, FLOW_FAIL_MEMORY, why);
	if (session_set_helo(flow_session(c->flow), name) != 0)
		return fail(ctx, c, STAGE_HELO, FLOW_FAIL_MEMORY,
		    "out of memory recording HELO");
	return answer(ctx, c, STAGE_HELO);
}

/* size_param - the SIZE= of MAIL FROM's parameters; whether there is one. */
static bool
size_param(char **argv, unsigned long *size)
{
	for (int i = 1; argv[i] != NULL; i++)
		if (strncasecmp(argv[i], "SIZE=", 5) == 0) {
			char *end;

			*size = strtoul(argv[i] + 5, &end, 10);
			return *end == '\0' && end != argv[i] + 5;
		}
	return false;
}

/* on_envfrom - MAIL FROM: a new message. */
static sfsistat
on_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);
	unsigned long size = 0;
	bool has_size;
	char why[128];

	if (!usable(c))
		return unusable(ctx, c, STAGE_MAIL);
	/* libmilter does not always call abort after a refusal, so a new
	 * MAIL FROM starts the message state afresh. */
	flow_begin_message(c->flow);
	atomic_fetch_add_explicit(&transactions, 1, memory_order_relaxed);
	if (record_macros(ctx, c, true, why, sizeof(why)) != 0)
		return fail(ctx, c, STAGE_MAIL, FLOW_FAIL_MEMORY, why);
	has_size = size_param(argv, &size);
	if (session_set_sender(flow_session(c->flow), argv[0], has_size,
	    size) != 0)
		return fail(ctx, c, STAGE_MAIL, FLOW_FAIL_MEMORY,
		    "out of memory recording the sender");
	return answer(ctx, c, STAGE_MAIL);
}

/* on_envrcpt - RCPT TO. */
static sfsistat
on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);
	char why[128];

	if (!usable(c))
		return unusable(ctx, c, STAGE_RCPT);
	if (record_macros(ctx, c, true, why, sizeof(why)) != 0)
		return fail(ctx, c, STAGE_RCPT, FLOW_FAIL_MEMORY, why);
	if (session_add_rcpt(flow_session(c->flow), argv[0]) != 0)
		return fail(ctx, c, STAGE_RCPT, FLOW_FAIL_MEMORY,
		    "out of memory recording a recipient");
	return answer(ctx, c, STAGE_RCPT);
}

/* on_header - one header. */
static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);
	static const char why[] = "out of memory recording a header";

	if (!usable(c))
		return unusable(ctx, c, STAGE_HEADER);
	if (session_add_header(flow_session(c->flow), name, value) != 0) {
		/* Without header replies the flow holds the failure for
		 * the end of the headers. */
		if (c->nr_header) {
			struct flow_result res;

			flow_fail(c->flow, STAGE_HEADER, FLOW_FAIL_MEMORY, why,
			    &res);
			return SMFIS_NOREPLY;
		}
		return fail(ctx, c, STAGE_HEADER, FLOW_FAIL_MEMORY, why);
	}
	if (c->nr_header)
		return SMFIS_NOREPLY;	/* no header-stage rules: record only */
	return answer(ctx, c, STAGE_HEADER);
}

/* on_eoh - end of headers. */
static sfsistat
on_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	char why[128];

	if (!usable(c))
		return unusable(ctx, c, STAGE_EOH);
	if (record_macros(ctx, c, true, why, sizeof(why)) != 0)
		return fail(ctx, c, STAGE_EOH, FLOW_FAIL_MEMORY, why);
	return answer(ctx, c, STAGE_EOH);
}

/* on_body - a body chunk: counted and kept up to the limit. */
static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx);
	struct session *s;

	if (!usable(c))
		return unusable(ctx, c, STAGE_BODY);
	s = flow_session(c->flow);
	if (session_add_body(s, chunk, len) != 0)
		return fail(ctx, c, STAGE_BODY, FLOW_FAIL_MEMORY,
		    "out of memory recording the body");
	if (c->can_skip && !c->need_size && s->body_len >= s->body_limit)
		return SMFIS_SKIP;
	return SMFIS_CONTINUE;
}

/* on_eom - end of message: body rules, end-of-message rules, headers. */
static sfsistat
on_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	struct flow_result res;
	char why[128];
	sfsistat rc;

	if (!usable(c))
		return unusable(ctx, c, STAGE_EOM);
	if (record_macros(ctx, c, true, why, sizeof(why)) != 0) {
		rc = fail(ctx, c, STAGE_EOM, FLOW_FAIL_MEMORY, why);
		flow_end_message(c->flow);
		return rc;
	}
	if (flow_stage(c->flow, STAGE_BODY, &res) == FLOW_CONTINUE)
		flow_stage(c->flow, STAGE_EOM, &res);
	rc = action_apply(ctx, &res);
	/* A header that cannot be added or removed fails the message: never
	 * pass it on without the mark a rule asked for, or with a forged
	 * one.  Removals first, so that our own A-R header, inserted on top,
	 * is never counted among those the MTA numbers. */
	if (rc == SMFIS_CONTINUE || rc == SMFIS_ACCEPT) {
		unsigned idx[FLOW_MAX_STRIPPED];
		int n = flow_authres_to_strip(c->flow, idx);

		if (n < 0)
			rc = fail(ctx, c, STAGE_EOM, FLOW_FAIL_LIMIT, "more than "
			    "32 Authentication-Results headers claim our "
			    "authserv-id");
		else if (action_delete_headers(ctx, "Authentication-Results",
		    idx, (unsigned)n, why, sizeof(why)) != 0 ||
		    action_add_headers(ctx, c->flow, why, sizeof(why)) != 0)
			rc = fail(ctx, c, STAGE_EOM, FLOW_FAIL_MILTER, why);
	}
	flow_end_message(c->flow);
	return rc;
}

/* on_abort - the MTA gave up on the message. */
static sfsistat
on_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (usable(c))
		flow_end_message(c->flow);
	return SMFIS_CONTINUE;
}

/* on_close - the connection is over. */
static sfsistat
on_close(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	if (c == &stateless)
		return SMFIS_CONTINUE;
	flow_free(c->flow);
	free(c);
	atomic_fetch_sub(&active, 1);
	return SMFIS_CONTINUE;
}

struct smfiDesc *
milter_desc(void)
{
	static struct smfiDesc desc = {
		.xxfi_name = "replymilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
		.xxfi_connect = on_connect,
		.xxfi_helo = on_helo,
		.xxfi_envfrom = on_envfrom,
		.xxfi_envrcpt = on_envrcpt,
		.xxfi_header = on_header,
		.xxfi_eoh = on_eoh,
		.xxfi_body = on_body,
		.xxfi_eom = on_eom,
		.xxfi_abort = on_abort,
		.xxfi_close = on_close,
		.xxfi_negotiate = on_negotiate,
	};

	return &desc;
}
