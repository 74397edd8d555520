/*
 * metrics - the daemon's counters, in Prometheus' text format
 *
 * What is counted where: each rule's decisions by the stage they were
 * answered at (policy_rule_count_decision, from the flow's one decision
 * log line, so a count is a reply the MTA got or a dry run logged);
 * internal failures by cause (flow_failures); the connections open
 * (milter_active); the checks' results (checks_result_count); the DNS
 * queries by type and status, their latency histogram, cache hits and
 * lookups skipped for the budget (dns_counters_read); here, the reloads
 * and the config generation.  Every
 * counter is a relaxed atomic: nothing on the mail path takes a lock.
 *
 * Labels come from the policy only (rule names, stages, the codes its
 * rules send), never from a peer, so their number is bounded by the
 * config.
 */
#ifndef REPLYMILTER_METRICS_H
#define REPLYMILTER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct policy;

/* metrics_started - nothing; notes the process start time and the first
 * config generation (call once, after the startup load). */
void metrics_started(void);

/* metrics_reloaded - nothing; counts a reload, good (a new generation)
 * or refused (the running policy stays). */
void metrics_reloaded(bool good);

/* metrics_render - the exposition for the running policy p (NULL: none
 * loaded) as a NUL-terminated malloc'd text of *len bytes, or NULL when
 * out of memory. */
char *metrics_render(const struct policy *p, size_t *len);

#endif
