/*
 * ratelimit_cmd - --ratelimit-show and --ratelimit-reset (the contract is
 * in ratelimit_cmd.h)
 */
#include "config.h"

#include "ratelimit_cmd.h"

#include <string.h>
#include <sysexits.h>

#include "limiter.h"
#include "policy.h"
#include "stats.h"
#include "store.h"

enum ratelimit_status
ratelimit_answer(const struct policy *p, struct store *store,
    const char *name, const char *values, bool reset, char *line,
    size_t size)
{
	const struct rule *r = policy_rule_find(p, name);
	const struct limit *l = r != NULL ? policy_rule_rate(r) : NULL;
	struct store_key key;
	double count;
	int rc;

	if (l == NULL) {
		snprintf(line, size, "%s: %s\n", name, r == NULL ?
		    "no such rule" : "the rule has no rate");
		return RATELIMIT_UNKNOWN;
	}
	if (limiter_key_digest(l, name, values, key.digest) != 0) {
		snprintf(line, size, "%s: \"%s\" does not give one value for "
		    "each part of the rule's key, joined with ','\n", name,
		    values);
		return RATELIMIT_UNKNOWN;
	}
	rc = reset ? store_rate_reset(store, &key) : store_rate_peek(store,
	    &key, limit_window(l), limiter_now(), &count);
	if (rc != 0) {
		snprintf(line, size, "%s does not answer\n",
		    store_describe(store));
		return RATELIMIT_UNAVAILABLE;
	}
	if (reset)
		snprintf(line, size, "%s %s: reset\n", name, values);
	else
		snprintf(line, size, "%s %s: %.1f of %lu in %s\n", name, values,
		    count, limit_max(l), limit_describe(l));
	return RATELIMIT_OK;
}

/* ask_daemon - the question to the running daemon's endpoint, for the
 * local store; an exit status. */
static int
ask_daemon(const struct policy_settings *s, const char *name,
    const char *values, bool reset, FILE *out, FILE *err)
{
	char why[600];
	int rc;

	if (s->metrics_listen[0] == '\0') {
		fprintf(err, "replymilter: the local store keeps its counters "
		    "in the daemon's memory: set metrics_listen (the daemon "
		    "answers there), or share them with ratelimit_store = "
		    "\"redis://...\"\n");
		return EX_UNAVAILABLE;
	}
	if ((rc = stats_ratelimit(s->metrics_listen, name, values, reset, out,
	    why, sizeof(why))) == 0)
		return 0;
	fprintf(err, "replymilter: %s%s", why, why[0] != '\0' &&
	    why[strlen(why) - 1] == '\n' ? "" : "\n");
	return rc > 0 ? EX_USAGE : EX_UNAVAILABLE;
}

int
ratelimit_cmd(const struct policy *p, const char *name, const char *values,
    bool reset, FILE *out, FILE *err)
{
	const struct policy_settings *s = policy_settings(p);
	struct store *store;
	char why[256], line[1024];
	enum ratelimit_status st;

	if (strcmp(s->ratelimit_store, "local") == 0 ||
	    s->ratelimit_store[0] == '\0')
		return ask_daemon(s, name, values, reset, out, err);
	if ((store = store_redis_new(s->ratelimit_store,
	    s->ratelimit_timeout_ms, why, sizeof(why))) == NULL) {
		fprintf(err, "replymilter: ratelimit_store: %s\n", why);
		return EX_UNAVAILABLE;
	}
	st = ratelimit_answer(p, store, name, values, reset, line,
	    sizeof(line));
	store_free(store);
	if (st == RATELIMIT_OK) {
		fputs(line, out);
		return 0;
	}
	fprintf(err, "replymilter: %s", line);
	return st == RATELIMIT_UNKNOWN ? EX_USAGE : EX_UNAVAILABLE;
}
