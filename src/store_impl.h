/*
 * store_impl - what a store kind provides (for store.c and the kinds in
 * store_local.c and store_redis.c only)
 *
 * Each kind's struct begins with a struct store, whose ops it fills;
 * store.c dispatches and counts the errors.
 */
#ifndef REPLYMILTER_STORE_IMPL_H
#define REPLYMILTER_STORE_IMPL_H

#include <stdatomic.h>

#include "store.h"

struct store_ops {
	int (*rate)(struct store *s, const struct store_key *key,
	    unsigned long limit, unsigned window, unsigned long cost,
	    long long now, struct store_rate *out);
	int (*rate_peek)(struct store *s, const struct store_key *key,
	    unsigned window, long long now, double *count);
	int (*rate_reset)(struct store *s, const struct store_key *key);
	int (*grey)(struct store *s, const struct store_key *triplet,
	    const struct store_key *client, unsigned delay, unsigned expiry,
	    unsigned auto_allow, long long now, struct store_grey *out);
	/* keys and evicted (errors are store.c's) */
	void (*stats)(const struct store *s, struct store_stats *out);
	void (*free)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	const char *desc;	/* owned by the kind */
	atomic_ulong errors;
};

/* store_rate_retry - seconds until an event of cost fits under limit in
 * a two-bucket window of window seconds whose current bucket (elapsed
 * seconds old) holds cur and the previous prev; the one formula both
 * kinds use (the Redis kind calls it with the counts its script read). */
unsigned store_rate_retry(double cur, double prev, unsigned long limit,
    unsigned window, unsigned long cost, long long elapsed);

#endif
