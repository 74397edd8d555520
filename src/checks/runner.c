/*
 * runner - run the built-in checks a policy needs, at the stage each can
 * run, and put their results into the session
 */
#include "config.h"

#include "checks/runner.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "arena.h"
#include "checks/authres.h"
#include "checks/spf.h"
#include "log.h"

struct checks_state {
	struct dns_cache *cache;
	bool iprev_done;	/* connection-level checks run once */
	bool dnsbl_done;
	bool own_spf;		/* replymilter computed these itself */
	bool own_iprev;
	struct spf_outcome spf;
	char iprev_name[256];
	char dnsbl_txt[512];
};

void
checks_config_free(struct checks_config *c)
{
	if (c == NULL)
		return;
	dns_free(c->dns);
	for (unsigned i = 0; i < c->ntrusted; i++)
		free(c->trusted[i]);
	free(c->trusted);
	for (unsigned i = 0; i < c->nzones; i++)
		free((char *)c->zones[i].zone);
	free(c->zones);
	storage_free(c->storage);
	free(c->authserv_id);
	free(c);
}

struct checks_state *
checks_state_new(void)
{
	struct checks_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	if ((st->cache = dns_cache_new()) == NULL) {
		free(st);
		return NULL;
	}
	return st;
}

void
checks_state_free(struct checks_state *st)
{
	if (st == NULL)
		return;
	dns_cache_free(st->cache);
	free(st);
}

void
checks_begin_message(struct checks_state *st)
{
	st->own_spf = false;
	memset(&st->spf, 0, sizeof(st->spf));
}

/* Each result the runner put into a session, since start. */
static atomic_ulong result_counts[CHECK_COUNT][CHECK_MAX_RESULTS];

unsigned long
checks_result_count(enum check_id id, unsigned result)
{
	if ((unsigned)id >= CHECK_COUNT || result >= CHECK_MAX_RESULTS)
		return 0;
	return atomic_load_explicit(&result_counts[id][result],
	    memory_order_relaxed);
}

/* set_result - result of check id into s, and count it; "unknown" is the
 * absence of a result and is not counted. */
static void
set_result(struct session *s, enum check_id id, unsigned result)
{
	session_set_check(s, id, result);
	if (result != CHECK_RESULT_UNKNOWN && result < CHECK_MAX_RESULTS)
		atomic_fetch_add_explicit(&result_counts[id][result], 1,
		    memory_order_relaxed);
}

/* wanted - whether a rule reads check id (or a trace header needs it). */
static bool
wanted(const struct checks_config *c, enum check_id id)
{
	return (c->needed & (1u << id)) != 0;
}

/* yes_no - the result "yes" or "no" of a macro-based check. */
static unsigned
yes_no(enum check_id id, const char *value)
{
	return check_result(id, value != NULL && value[0] != '\0' ? "yes" :
	    "no");
}

/* run_connect - the client's checks, once per connection. */
static void
run_connect(const struct checks_config *c, struct checks_state *st,
    struct session *s)
{
	if (s->family == 0)
		return;		/* not over IP: nothing to look up */
	if (wanted(c, CHECK_IPREV) && !st->iprev_done) {
		set_result(s, CHECK_IPREV, iprev_evaluate(c->dns,
		    st->cache, s->family, s->addr, st->iprev_name,
		    sizeof(st->iprev_name)));
		st->iprev_done = st->own_iprev = true;
	}
	if (wanted(c, CHECK_DNSBL) && !st->dnsbl_done && c->nzones > 0) {
		const char *zone = NULL;

		st->dnsbl_txt[0] = '\0';
		set_result(s, CHECK_DNSBL, dnsbl_evaluate(c->dns,
		    st->cache, c->zones, c->nzones, s->family, s->addr, &zone,
		    st->dnsbl_txt, sizeof(st->dnsbl_txt)));
		s->dnsbl_zone = zone;
		/* Zones without TXT records are common: say so plainly. */
		s->dnsbl_text = st->dnsbl_txt[0] != '\0' ? st->dnsbl_txt :
		    "no reason published";
		st->dnsbl_done = true;
	}
}

/* run_storage - the spool's state, when a rule reads it. */
static void
run_storage(const struct checks_config *c, struct session *s)
{
	if (wanted(c, CHECK_STORAGE) && c->storage != NULL)
		set_result(s, CHECK_STORAGE,
		    storage_evaluate(c->storage, NULL, NULL));
}

/* run_size - the size against the site's limit: declared, or actual. */
static void
run_size(const struct checks_config *c, struct session *s, bool actual)
{
	unsigned long long size = actual ? s->size_actual : s->size_declared;

	if (!wanted(c, CHECK_SIZE) || c->size_limit == 0)
		return;
	if (!actual && !s->has_size_declared)
		return;
	set_result(s, CHECK_SIZE, check_result(CHECK_SIZE,
	    size > c->size_limit ? "toobig" : "ok"));
}

/* run_mail - the sender's checks; 0, or -1 when out of memory. */
static int
run_mail(const struct checks_config *c, struct checks_state *st,
    struct session *s)
{
	if (wanted(c, CHECK_SPF) || c->received_spf ||
	    c->authentication_results) {
		char receiver[256];

		snprintf(receiver, sizeof(receiver), "%s",
		    c->authserv_id != NULL ? c->authserv_id : "localhost");
		/* Out of memory is no SPF result: the caller answers the
		 * failure reply rather than judge on a made-up temperror. */
		if (spf_evaluate(c->dns, st->cache, s->client_addr, s->helo,
		    s->sender, receiver, &st->spf) != 0)
			return -1;
		set_result(s, CHECK_SPF, st->spf.result);
		st->own_spf = true;
	}
	if (wanted(c, CHECK_NULLMX_SENDER) && s->sender_domain[0] != '\0')
		set_result(s, CHECK_NULLMX_SENDER,
		    nullmx_evaluate(c->dns, st->cache, s->sender_domain));
	if (wanted(c, CHECK_AUTH))
		set_result(s, CHECK_AUTH, yes_no(CHECK_AUTH,
		    session_macro(s, "{auth_authen}")));
	if (wanted(c, CHECK_TLS))
		set_result(s, CHECK_TLS, yes_no(CHECK_TLS,
		    session_macro(s, "{tls_version}")));
	run_storage(c, s);
	run_size(c, s, false);
	return 0;
}

/* failed - whether check id's result in s is a failure, for auth_multi. */
static bool
failed(const struct session *s, enum check_id id)
{
	const char *r = check_def(id)->results[s->checks[id]];

	return strcmp(r, "fail") == 0 || strcmp(r, "permerror") == 0;
}

/* run_eoh - what trusted verifiers wrote, then the escalation. */
static void
run_eoh(const struct checks_config *c, struct checks_state *st,
    struct session *s)
{
	static const enum check_id from_headers[] = {
		CHECK_DKIM, CHECK_DKIM_AUTHOR, CHECK_DMARC, CHECK_ARC,
		CHECK_IPREV, CHECK_SPF,
	};
	struct authres_facts facts;
	unsigned nfailed = 0;

	if (c->ntrusted > 0) {
		authres_collect(s->headers, s->nheaders,
		    (const char *const *)c->trusted, c->ntrusted,
		    &facts);
		for (size_t i = 0; i < sizeof(from_headers) /
		    sizeof(from_headers[0]); i++) {
			enum check_id id = from_headers[i];

			/* Our own SPF and iprev stand over an upstream's. */
			if ((id == CHECK_SPF && st->own_spf) ||
			    (id == CHECK_IPREV && st->own_iprev))
				continue;
			if (facts.result[id] != CHECK_RESULT_UNKNOWN)
				set_result(s, id, facts.result[id]);
		}
	}
	if (!wanted(c, CHECK_AUTH_MULTI))
		return;
	/* RFC 7372 section 3.4: more than one of SPF, DKIM, iprev failed. */
	nfailed = (unsigned)failed(s, CHECK_SPF) +
	    (unsigned)failed(s, CHECK_DKIM) + (unsigned)failed(s, CHECK_IPREV);
	set_result(s, CHECK_AUTH_MULTI, check_result(CHECK_AUTH_MULTI,
	    nfailed > 1 ? "fail" : "pass"));
}

/* run_stage - the checks due at stage; 0, or -1 when out of memory. */
static int
run_stage(const struct checks_config *c, struct checks_state *st,
    enum stage stage, struct session *s)
{
	switch (stage) {
	case STAGE_CONNECT:
		run_connect(c, st, s);
		run_storage(c, s);
		break;
	case STAGE_HELO:
		if (wanted(c, CHECK_TLS))
			set_result(s, CHECK_TLS, yes_no(CHECK_TLS,
			    session_macro(s, "{tls_version}")));
		break;
	case STAGE_MAIL:
		if (run_mail(c, st, s) != 0)
			return -1;
		break;
	case STAGE_RCPT:
		if (wanted(c, CHECK_NULLMX_RCPT))
			set_result(s, CHECK_NULLMX_RCPT,
			    s->rcpt_domain[0] != '\0' ? nullmx_evaluate(c->dns,
			    st->cache, s->rcpt_domain) : CHECK_RESULT_UNKNOWN);
		run_storage(c, s);
		break;
	case STAGE_EOH:
		run_eoh(c, st, s);
		break;
	case STAGE_EOM:
		run_size(c, s, true);
		break;
	default:
		break;
	}
	return 0;
}

int
checks_run(const struct checks_config *c, struct checks_state *st,
    enum stage stage, struct session *s)
{
	int rc;

	if (c == NULL || c->needed == 0)
		return 0;
	dns_deadline_begin(c->dns_budget_ms);
	rc = run_stage(c, st, stage, s);
	dns_deadline_end();
	return rc;
}

unsigned
checks_trace_headers(const struct checks_config *c,
    const struct checks_state *st, const struct session *s,
    struct checks_header out[2])
{
	unsigned n = 0;
	const char *id = c->authserv_id != NULL ? c->authserv_id : "localhost";

	if (c->received_spf && st->own_spf && st->spf.received_spf[0]) {
		out[n].name = "Received-SPF";
		snprintf(out[n].value, sizeof(out[n].value), "%s",
		    st->spf.received_spf);
		n++;
	}
	if (c->authentication_results && (st->own_spf || st->own_iprev)) {
		size_t used;

		out[n].name = "Authentication-Results";
		used = (size_t)snprintf(out[n].value, sizeof(out[n].value),
		    "%s", id);
		if (st->own_spf && used < sizeof(out[n].value))
			used += (size_t)snprintf(out[n].value + used,
			    sizeof(out[n].value) - used, "; spf=%s "
			    "smtp.%s=%s", check_def(CHECK_SPF)->results[
			    st->spf.result], st->spf.identity[0] != '\0' ?
			    st->spf.identity : "mailfrom",
			    st->spf.domain[0] != '\0' ? st->spf.domain :
			    s->sender_domain);
		if (st->own_iprev && used < sizeof(out[n].value))
			(void)snprintf(out[n].value + used,
			    sizeof(out[n].value) - used, "; iprev=%s "
			    "policy.iprev=%s", check_def(CHECK_IPREV)->results[
			    s->checks[CHECK_IPREV]], s->client_addr);
		n++;
	}
	return n;
}
