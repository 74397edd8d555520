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
#include "store.h"

int
ratelimit_cmd(const struct policy *p, const char *name, const char *values,
    bool reset, FILE *out, FILE *err)
{
	const struct policy_settings *s = policy_settings(p);
	const struct rule *r = policy_rule_find(p, name);
	const struct limit *l = r != NULL ? policy_rule_rate(r) : NULL;
	struct store_key key;
	struct store *store;
	char why[256];
	double count;
	int rc;

	if (l == NULL) {
		fprintf(err, "replymilter: %s: %s\n", name, r == NULL ?
		    "no such rule" : "the rule has no rate");
		return EX_USAGE;
	}
	if (limiter_key_digest(l, name, values, key.digest) != 0) {
		fprintf(err, "replymilter: %s: \"%s\" does not give one value "
		    "for each part of the rule's key, joined with ','\n",
		    name, values);
		return EX_USAGE;
	}
	if (strcmp(s->ratelimit_store, "local") == 0 ||
	    s->ratelimit_store[0] == '\0') {
		fprintf(err, "replymilter: the local store keeps its counters "
		    "in the daemon's memory, out of reach of this command; "
		    "with ratelimit_store = \"redis://...\" they can be shown "
		    "and reset\n");
		return EX_UNAVAILABLE;
	}
	if ((store = store_redis_new(s->ratelimit_store,
	    s->ratelimit_timeout_ms, why, sizeof(why))) == NULL) {
		fprintf(err, "replymilter: ratelimit_store: %s\n", why);
		return EX_UNAVAILABLE;
	}
	rc = reset ? store_rate_reset(store, &key) : store_rate_peek(store,
	    &key, limit_window(l), limiter_now(), &count);
	if (rc != 0) {
		fprintf(err, "replymilter: %s does not answer\n",
		    store_describe(store));
		store_free(store);
		return EX_UNAVAILABLE;
	}
	if (reset)
		fprintf(out, "%s %s: reset\n", name, values);
	else
		fprintf(out, "%s %s: %.1f of %lu in %s\n", name, values, count,
		    limit_max(l), limit_describe(l));
	store_free(store);
	return 0;
}
