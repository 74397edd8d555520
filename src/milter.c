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
	struct flow *flow;
	bool nr_header;		/* header replies negotiated away */
	bool failed;		/* recording failed where no reply was due */
	bool can_skip;		/* the MTA understands SMFIS_SKIP */
	bool need_size;		/* eom rules need the whole body counted */
};

static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy *installed;
static atomic_uint active;

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

/* conn_new - connection state on the installed policy, stored in ctx; or
 * NULL when there is no policy or no memory. */
static struct conn *
conn_new(SMFICTX *ctx)
{
	struct policy *p = milter_policy();
	struct conn *c;

	if (p == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->flow = flow_new(p)) == NULL) {
		free(c);
		policy_unref(p);
		return NULL;
	}
	policy_unref(p);	/* the flow holds its own reference */
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		flow_free(c->flow);
		free(c);
		return NULL;
	}
	atomic_fetch_add(&active, 1);
	return c;
}

/* record_macros - the macros the policy reads, as the MTA sent them. */
static void
record_macros(SMFICTX *ctx, struct conn *c, bool message)
{
	const struct policy *p = flow_policy(c->flow);
	struct session *s = flow_session(c->flow);
	char *v;

	for (unsigned i = 0; i < p->nmacros; i++)
		if ((v = smfi_getsymval(ctx, p->macros[i])) != NULL &&
		    session_set_macro(s, p->macros[i], v, message) != 0)
			log_warnx("out of memory recording macro %s",
			    p->macros[i]);
	/* The queue id, for logs and %{queue_id}. */
	if (message && (v = smfi_getsymval(ctx, "i")) != NULL &&
	    strcmp(v, s->queue_id) != 0)
		(void)session_set_queue_id(s, v);
}

/* answer - evaluate stage and answer; a failure to record (rc != 0) is
 * answered with the failure reply. */
static sfsistat
answer(SMFICTX *ctx, struct conn *c, enum stage stage, int rc)
{
	struct flow_result res;

	if (rc != 0)
		flow_fail(c->flow, stage, "out of memory", &res);
	else
		flow_stage(c->flow, stage, &res);
	return action_apply(ctx, &res);
}

/* missing - the answer when a callback finds no connection state. */
static sfsistat
missing(SMFICTX *ctx, const char *callback)
{
	log_msg(LOG_LEVEL_WARNING, "%s without connection state (out of "
	    "memory, or no policy loaded): answering tempfail", callback);
	return action_emergency(ctx, true);
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
	if (policy_needs(p, COND_HEADER))
		mask |= 1u << STAGE_HEADER;
	if (policy_needs(p, COND_BODY) || policy_needs(p, COND_SIZE))
		mask |= 1u << STAGE_BODY;
	/* The checks read facts of their own: Authentication-Results
	 * headers (complete at end of headers), SPF's HELO identity, the
	 * actual size. */
	if (p->checks != NULL) {
		unsigned needed = p->checks->needed;

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

		for (unsigned i = 0; i < p->nmacros; i++) {
			enum stage first;

			if (macro_stage(p->macros[i], &first) != 0 ||
			    first != stages[k].stage || strcmp(p->macros[i],
			    "i") == 0 || used + strlen(p->macros[i]) + 2 >
			    sizeof(list))
				continue;
			used += (size_t)snprintf(list + used,
			    sizeof(list) - used, "%s%s", used ? " " : "",
			    p->macros[i]);
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
	unsigned need;
	unsigned long want = 0;

	(void)f2;
	(void)f3;
	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return SMFIS_ALL_OPTS;	/* callbacks then answer tempfail */
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
	if (p->nstage_rules[STAGE_HEADER] == 0)
		want |= SMFIP_NR_HDR;
	/* Body rules run at end of message; once the kept part is full and
	 * no rule needs the size, the rest of the body can be skipped. */
	want |= SMFIP_SKIP;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	c->nr_header = (*pf1 & SMFIP_NR_HDR) != 0;
	c->can_skip = (*pf1 & SMFIP_SKIP) != 0;
	c->need_size = policy_needs(p, COND_SIZE) || (p->checks != NULL &&
	    (p->checks->needed & (1u << CHECK_SIZE)));
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
	char addr[INET6_ADDRSTRLEN];
	struct flow_result res;
	int rc;

	if (c == NULL && (c = conn_new(ctx)) == NULL)
		return missing(ctx, "connect");
	rc = session_set_client(flow_session(c->flow), hostname,
	    address_text(hostaddr, addr, sizeof(addr)));
	record_macros(ctx, c, false);
	if (rc != 0)
		flow_fail(c->flow, STAGE_CONNECT, "out of memory", &res);
	else
		flow_stage(c->flow, STAGE_CONNECT, &res);
	/* No reply text is possible at connect: a decision waits in the
	 * flow for HELO or MAIL; a failure is a plain tempfail. */
	if (res.outcome == FLOW_FAIL)
		return SMFIS_TEMPFAIL;
	return res.outcome == FLOW_ACCEPT ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

/* on_helo - HELO or EHLO. */
static sfsistat
on_helo(SMFICTX *ctx, char *name)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return missing(ctx, "helo");
	record_macros(ctx, c, false);
	return answer(ctx, c, STAGE_HELO,
	    session_set_helo(flow_session(c->flow), name));
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
	struct flow_result res;

	if (c == NULL)
		return missing(ctx, "mail");
	/* libmilter does not always call abort after a refusal, so a new
	 * MAIL FROM starts the message state afresh. */
	flow_begin_message(c->flow);
	c->failed = false;
	record_macros(ctx, c, true);
	has_size = size_param(argv, &size);
	if (session_set_sender(flow_session(c->flow), argv[0], has_size,
	    size) != 0) {
		flow_fail(c->flow, STAGE_MAIL, "out of memory", &res);
		return action_apply(ctx, &res);
	}
	return answer(ctx, c, STAGE_MAIL, 0);
}

/* on_envrcpt - RCPT TO. */
static sfsistat
on_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return missing(ctx, "rcpt");
	record_macros(ctx, c, true);
	return answer(ctx, c, STAGE_RCPT,
	    session_add_rcpt(flow_session(c->flow), argv[0]));
}

/* on_header - one header. */
static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_of(ctx);
	int rc;

	if (c == NULL)
		return missing(ctx, "header");
	rc = session_add_header(flow_session(c->flow), name, value);
	if (c->nr_header) {
		/* No header-stage rules: record only; a failure to record is
		 * answered at the end of the headers. */
		if (rc != 0)
			c->failed = true;
		return SMFIS_NOREPLY;
	}
	return answer(ctx, c, STAGE_HEADER, rc);
}

/* on_eoh - end of headers. */
static sfsistat
on_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return missing(ctx, "eoh");
	record_macros(ctx, c, true);
	return answer(ctx, c, STAGE_EOH, c->failed ? -1 : 0);
}

/* on_body - a body chunk: counted and kept up to the limit. */
static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_of(ctx);
	struct session *s;

	if (c == NULL)
		return missing(ctx, "body");
	s = flow_session(c->flow);
	(void)session_add_body(s, chunk, len);
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
	sfsistat rc;

	if (c == NULL)
		return missing(ctx, "eom");
	record_macros(ctx, c, true);
	if (c->failed)
		flow_fail(c->flow, STAGE_EOM, "out of memory", &res);
	else if (flow_stage(c->flow, STAGE_BODY, &res) == FLOW_CONTINUE)
		flow_stage(c->flow, STAGE_EOM, &res);
	rc = action_apply(ctx, &res);
	if (rc == SMFIS_CONTINUE || rc == SMFIS_ACCEPT)
		(void)action_add_headers(ctx, c->flow);
	flow_end_message(c->flow);
	return rc;
}

/* on_abort - the MTA gave up on the message. */
static sfsistat
on_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL)
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
		.xxfi_flags = SMFIF_ADDHDRS,
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
