/*
 * metrics - the daemon's counters, in Prometheus' text format (the
 * contract is in metrics.h)
 *
 * The text is written with open_memstream: a scrape of a policy of
 * 10,000 rules is a few MB, made on the HTTP server's thread.
 */
#include "config.h"

#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks.h"
#include "checks/dns.h"
#include "checks/runner.h"
#include "flow.h"
#include "limiter.h"
#include "milter.h"
#include "policy.h"
#include "regex_set.h"
#include "registry.h"
#include "reply.h"
#include "stage.h"

static _Atomic long long start_time;
static atomic_ulong generation;
static atomic_ulong reloads_good, reloads_refused;

void
metrics_started(void)
{
	atomic_store(&start_time, (long long)time(NULL));
	atomic_store(&generation, 1);
}

void
metrics_reloaded(bool good)
{
	atomic_fetch_add_explicit(good ? &reloads_good : &reloads_refused, 1,
	    memory_order_relaxed);
	if (good)
		atomic_fetch_add_explicit(&generation, 1,
		    memory_order_relaxed);
}

/* label - text as a label value: backslash, quote and newline escaped. */
static void
label(FILE *out, const char *text)
{
	for (const char *c = text; *c != '\0'; c++) {
		if (*c == '\\' || *c == '"')
			fputc('\\', out);
		if (*c == '\n')
			fputs("\\n", out);
		else
			fputc(*c, out);
	}
}

/* header - the HELP and TYPE lines of a metric. */
static void
header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* reply_codes - the basic and enhanced codes of r into basic and xcode
 * ("" when r is NULL or has none). */
static void
reply_codes(const struct reply *r, char basic[8], char xcode[32])
{
	const struct registry_xcode *x;

	basic[0] = xcode[0] = '\0';
	if (r == NULL)
		return;
	snprintf(basic, 8, "%u", reply_basic(r));
	if ((x = reply_xcode(r)) != NULL)
		registry_format_xcode(x, xcode, 32);
}

/* replies - replymilter_replies_total: one series per rule and stage it
 * answered at (its own stage always, others once they count). */
static void
replies(FILE *out, const struct policy *p)
{
	header(out, "replymilter_replies_total", "counter", "Decisions by "
	    "rule, the stage answered at, the reply code sent (after "
	    "disclosure and soft-bounce; specific: the rule's own enhanced "
	    "code where it differs) and the action; mode dry-run: logged, "
	    "not sent.");
	for (unsigned i = 0; p != NULL && i < policy_nrules(p); i++) {
		const struct rule *r = policy_rule(p, i);
		char basic[8], xcode[32], sbasic[8], sxcode[32];
		bool dry = policy_rule_dry_run(r);

		reply_codes(policy_rule_wire(r), basic, xcode);
		reply_codes(policy_rule_reply(r), sbasic, sxcode);
		for (int st = 0; st < STAGE_COUNT; st++) {
			unsigned long n = policy_rule_decisions(r,
			    (enum stage)st, dry);

			if (n == 0 && (enum stage)st != policy_rule_stage(r))
				continue;
			fputs("replymilter_replies_total{rule=\"", out);
			label(out, policy_rule_name(r));
			fprintf(out, "\",stage=\"%s\",code=\"%s\","
			    "enhanced=\"%s\",", stage_name((enum stage)st),
			    basic, xcode);
			if (strcmp(sxcode, xcode) != 0)
				fprintf(out, "specific=\"%s\",", sxcode);
			fprintf(out, "action=\"%s\",mode=\"%s\"} %lu\n",
			    policy_action_name(policy_rule_action(r)),
			    dry ? "dry-run" : "enforce", n);
		}
	}
}

/* checks - replymilter_checks_total: every result of every check, so a
 * rate starts from zero. */
static void
checks(FILE *out)
{
	header(out, "replymilter_checks_total", "counter", "Results the "
	    "built-in checks gave (or a trusted Authentication-Results "
	    "header supplied), by check and result; a check evaluated at "
	    "several stages counts at each.");
	for (int id = 0; id < CHECK_COUNT; id++) {
		const struct check_def *def = check_def((enum check_id)id);

		for (unsigned r = 1; r < CHECK_MAX_RESULTS &&
		    def->results[r] != NULL; r++)
			fprintf(out, "replymilter_checks_total{check=\"%s\","
			    "result=\"%s\"} %lu\n", def->name, def->results[r],
			    checks_result_count((enum check_id)id, r));
	}
}

/* limits - the rate limits' and greylisting's figures. */
static void
limits(FILE *out)
{
	struct limiter_stats st;

	limiter_stats_read(&st);
	header(out, "replymilter_ratelimit_held_total", "counter", "Events "
	    "a rate rule found over its limit, or a greylist rule held.");
	fprintf(out, "replymilter_ratelimit_held_total %lu\n", st.held);
	header(out, "replymilter_ratelimit_local_keys", "gauge", "Keys in "
	    "the in-process store.");
	fprintf(out, "replymilter_ratelimit_local_keys %lu\n", st.keys);
	header(out, "replymilter_ratelimit_local_evicted_total", "counter",
	    "Keys the in-process store dropped, oldest first, to stay "
	    "within ratelimit_max_keys.");
	fprintf(out, "replymilter_ratelimit_local_evicted_total %lu\n",
	    st.evicted);
	header(out, "replymilter_ratelimit_store_errors_total", "counter",
	    "Operations the shared store (Redis) did not answer.");
	fprintf(out, "replymilter_ratelimit_store_errors_total %lu\n",
	    st.store_errors);
	header(out, "replymilter_ratelimit_fallback_total", "counter",
	    "Events counted in this process because the shared store did "
	    "not answer (ratelimit_on_error = local).");
	fprintf(out, "replymilter_ratelimit_fallback_total %lu\n",
	    st.fell_back);
}

/* dns - the resolver's queries, their latency, the cache and the budget. */
static void
dns(FILE *out)
{
	struct dns_counters c;
	unsigned long cumulative = 0;

	dns_counters_read(&c);
	header(out, "replymilter_dns_queries_total", "counter", "DNS "
	    "queries sent, by record type and result (tempfail: timeout, "
	    "SERVFAIL, refused or malformed).");
	for (int t = 0; t < DNS_COUNTED_TYPES; t++)
		for (int st = 0; st <= DNS_TEMPFAIL; st++)
			fprintf(out, "replymilter_dns_queries_total{type=\"%s\","
			    "result=\"%s\"} %lu\n", dns_counted_type_name(
			    (enum dns_counted_type)t), dns_status_name(
			    (enum dns_status)st), c.queries[t][st]);
	header(out, "replymilter_dns_query_duration_seconds", "histogram",
	    "Time from sending a DNS query to its answer or last timeout.");
	for (int b = 0; b < DNS_LATENCY_BUCKETS; b++) {
		cumulative += c.bucket[b];
		fprintf(out, "replymilter_dns_query_duration_seconds_bucket"
		    "{le=\"%g\"} %lu\n", dns_latency_bounds[b], cumulative);
	}
	cumulative += c.bucket[DNS_LATENCY_BUCKETS];
	fprintf(out, "replymilter_dns_query_duration_seconds_bucket"
	    "{le=\"+Inf\"} %lu\n", cumulative);
	fprintf(out, "replymilter_dns_query_duration_seconds_sum %llu.%06llu\n"
	    "replymilter_dns_query_duration_seconds_count %lu\n",
	    c.seconds_sum_us / 1000000u, c.seconds_sum_us % 1000000u,
	    cumulative);
	header(out, "replymilter_dns_cache_hits_total", "counter", "DNS "
	    "lookups the connection's cache answered without a query.");
	fprintf(out, "replymilter_dns_cache_hits_total %lu\n", c.cache_hits);
	header(out, "replymilter_dns_budget_spent_total", "counter", "DNS "
	    "lookups not asked because the stage's dns_budget was spent "
	    "(answered tempfail).");
	fprintf(out, "replymilter_dns_budget_spent_total %lu\n",
	    c.budget_spent);
}

char *
metrics_render(const struct policy *p, size_t *len)
{
	char *text = NULL;
	FILE *out = open_memstream(&text, len);

	if (out == NULL)
		return NULL;
	header(out, "replymilter_build_info", "gauge", "The version and "
	    "the regex engine built in.");
	fprintf(out, "replymilter_build_info{version=\"%s\",regex_engine=\"",
	    PACKAGE_VERSION);
	label(out, regex_set_engine());
	fputs("\"} 1\n", out);
	header(out, "process_start_time_seconds", "gauge", "When the "
	    "daemon started, in seconds since the epoch.");
	fprintf(out, "process_start_time_seconds %lld\n",
	    atomic_load(&start_time));
	header(out, "replymilter_config_generation", "gauge", "The policy "
	    "in use: 1 at start, one more for each good reload.");
	fprintf(out, "replymilter_config_generation %lu\n",
	    atomic_load(&generation));
	header(out, "replymilter_reloads_total", "counter", "Reloads "
	    "(SIGHUP) by result; a refused one keeps the running policy.");
	fprintf(out, "replymilter_reloads_total{result=\"good\"} %lu\n"
	    "replymilter_reloads_total{result=\"refused\"} %lu\n",
	    atomic_load(&reloads_good), atomic_load(&reloads_refused));
	header(out, "replymilter_policy_loaded", "gauge", "1 when a policy "
	    "is loaded.");
	fprintf(out, "replymilter_policy_loaded %d\n", p != NULL);
	header(out, "replymilter_rules", "gauge", "Rules in the policy.");
	fprintf(out, "replymilter_rules %u\n", p != NULL ?
	    policy_nrules(p) : 0);
	header(out, "replymilter_connections_open", "gauge", "Milter "
	    "connections open now.");
	fprintf(out, "replymilter_connections_open %u\n", milter_active());
	header(out, "replymilter_connections_total", "counter", "Milter "
	    "connections since start.");
	fprintf(out, "replymilter_connections_total %lu\n",
	    milter_connections());
	header(out, "replymilter_transactions_total", "counter", "Messages "
	    "begun (MAIL FROM) since start.");
	fprintf(out, "replymilter_transactions_total %lu\n",
	    milter_transactions());
	header(out, "replymilter_failures_total", "counter", "Internal "
	    "failures answered with on_failure, by cause.");
	for (int c = 0; c < FLOW_FAIL_COUNT; c++)
		fprintf(out, "replymilter_failures_total{cause=\"%s\"} %lu\n",
		    flow_fail_cause_name((enum flow_fail_cause)c),
		    flow_failures((enum flow_fail_cause)c));
	checks(out);
	dns(out);
	limits(out);
	replies(out, p);
	if (ferror(out)) {
		fclose(out);
		free(text);
		return NULL;
	}
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
