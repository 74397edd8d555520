/*
 * runner - run the built-in checks a policy needs, at the stage each can
 * run, and put their results into the session
 *
 * struct checks_config is the site's settings for the checks (resolver,
 * trusted authserv-ids, DNSBL zones, spool thresholds, size limit, trace
 * headers) plus the set of checks its rules read; conf.c builds it, it is
 * immutable and owned by the policy.  struct checks_state is one
 * connection's: its DNS cache and what it has learnt.
 *
 * checks_run() is called by the flow before each stage's rules:
 *   connect  iprev, dnsbl (and storage, when a connect rule reads it)
 *   helo     tls (from {tls_version})
 *   mail     spf, nullmx_sender, storage, size (SIZE=), auth, tls
 *   rcpt     nullmx_rcpt for the current recipient, storage
 *   eoh      dkim, dkim_author, dmarc, arc (trusted Authentication-Results
 *            headers; they fill iprev and spf only when replymilter did
 *            not compute those itself), then auth_multi
 *   eom      size (the actual size)
 * A check runs only when a rule reads it (or a trace header needs it), and
 * once per connection or message as its subject requires.  DNS failures
 * become each check's temperror; nothing here accepts or rejects.  Running
 * out of memory is not a result: checks_run() returns -1 (SPF's evaluation
 * is the one that can), and the caller answers the failure reply.
 *
 * checks_trace_headers() gives, at end of message, the Received-SPF and
 * Authentication-Results header values for what replymilter itself
 * checked, when the config asks for them.
 */
#ifndef REPLYMILTER_CHECKS_RUNNER_H
#define REPLYMILTER_CHECKS_RUNNER_H

#include <stdbool.h>

#include "checks.h"
#include "checks/dns.h"
#include "checks/dnschecks.h"
#include "checks/storage.h"
#include "session.h"
#include "stage.h"

struct checks_config {
	struct dns *dns;
	char **trusted;			/* trusted authserv-ids */
	unsigned ntrusted;
	struct dnsbl_zone *zones;
	unsigned nzones;
	struct storage *storage;	/* NULL when no spool is watched */
	unsigned long long size_limit;	/* 0: none */
	char *authserv_id;		/* ours, for the trace headers */
	bool received_spf;
	bool authentication_results;
	/* Delete incoming Authentication-Results headers that claim our
	 * authserv_id (RFC 8601 section 5). */
	bool strip_authres;
	unsigned needed;		/* bit per check id the rules read */
	unsigned dns_budget_ms;		/* DNS time a stage may spend; 0: none */
};

struct checks_state;

/* A trace header for end of message. */
struct checks_header {
	const char *name;
	char value[1024];
};

/* checks_config_free - release the config; NULL is harmless. */
void checks_config_free(struct checks_config *c);

/* checks_state_new - a connection's state, or NULL when out of memory. */
struct checks_state *checks_state_new(void);

/* checks_state_free - release; NULL is harmless. */
void checks_state_free(struct checks_state *st);

/* checks_begin_message - forget the last message's trace facts. */
void checks_begin_message(struct checks_state *st);

/* checks_run - run the checks due at stage, results into s; 0, or -1 when
 * out of memory (the caller answers the failure reply). */
int checks_run(const struct checks_config *c, struct checks_state *st,
    enum stage stage, struct session *s);

/* checks_result_count - how many times since start the runner gave check
 * id the result (an index into its results[]), in any session; results a
 * trusted Authentication-Results header supplied count too.  Relaxed
 * atomics: for the metrics. */
unsigned long checks_result_count(enum check_id id, unsigned result);

/* checks_trace_headers - the trace headers to prepend at end of message
 * (at most 2), into out; how many. */
unsigned checks_trace_headers(const struct checks_config *c,
    const struct checks_state *st, const struct session *s,
    struct checks_header out[2]);

#endif
