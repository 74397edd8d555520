/*
 * store - where rate-limit counters and greylisting triplets live
 *
 * Two kinds behind one interface: in this process (store_local_new, the
 * default: nothing to set up, bounded memory) or in Redis
 * (store_redis_new, so that several MX hosts see one counter).  Every
 * operation is one atomic step on the store's side: a check and its
 * update cannot interleave with another process's.  Keys are digests
 * (struct store_key, made by the caller from what it counts), never raw
 * addresses.  Time is the caller's, in seconds (so tests control it, and
 * the MX hosts sharing a store need synchronised clocks, as they do for
 * their logs anyway).
 *
 * The rate algorithm is the two-bucket sliding window: the count in a
 * window of W seconds is estimated as the current bucket's count plus the
 * previous bucket's, weighted by how much of it still falls in the
 * window.  An event of cost c is refused ("over") when estimate + c >
 * limit, and a refused event is not counted; retry_after says when c
 * would fit.
 *
 * Greylisting (RFC 6647) per triplet: the first attempt is recorded and
 * delayed; attempts before the delay has passed are delayed again; the
 * first attempt after it passes (and every one for expiry seconds after
 * the last) goes through.  A triplet that never comes back is forgotten
 * STORE_GREY_RETRY_WINDOW seconds after its first attempt (postgrey's
 * default: two days).  A client (the second key) whose triplets have
 * passed auto_allow times (0: never) goes through without delay.
 *
 * A store is thread-safe.  Failure: an operation returns -1 when the
 * store cannot answer (Redis unreachable, slow or erring; out of memory
 * in the local one), and the caller decides (ratelimit_on_error).
 */
#ifndef REPLYMILTER_STORE_H
#define REPLYMILTER_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct store;

#define STORE_GREY_RETRY_WINDOW (2 * 86400)

/* What is counted, as a digest: 16 bytes of SHA-256. */
struct store_key {
	unsigned char digest[16];
};

/* The answer to one rate event. */
struct store_rate {
	double count;		/* the window's estimate before this event */
	bool over;		/* refused: count + cost > limit, not counted */
	unsigned retry_after;	/* seconds until cost fits (when over) */
};

enum store_grey_state {
	STORE_GREY_NEW,		/* first seen now: delayed */
	STORE_GREY_EARLY,	/* seen, the delay not yet passed: delayed */
	STORE_GREY_PASSED,	/* the delay passed with this attempt */
	STORE_GREY_KNOWN,	/* passed before, within expiry */
	STORE_GREY_AUTO		/* the client is allowed without delay */
};

/* The answer to one greylisting attempt. */
struct store_grey {
	enum store_grey_state state;
	unsigned retry_after;	/* NEW, EARLY: seconds until it may pass */
	unsigned delayed;	/* PASSED: seconds since the first attempt */
};

/* A store's own figures, for the metrics. */
struct store_stats {
	unsigned long keys;	/* held now (local; Redis: 0, not asked) */
	unsigned long evicted;	/* keys dropped to stay in bounds */
	unsigned long errors;	/* operations that answered -1 */
};

/* store_local_new - an in-process store holding at most max_keys keys
 * (the least recently used go first), or NULL when out of memory. */
struct store *store_local_new(size_t max_keys);

/* store_redis_new - a store in the Redis server at url
 * ("redis://HOST:PORT/DB" or "redis+unix:///PATH?db=N"), answering
 * within timeout_ms or failing; connections are made when needed (and
 * again, with backoff, after a failure), so a server down at start is
 * not an error here.  NULL with a sentence in err when url is malformed,
 * or when this build has no hiredis. */
struct store *store_redis_new(const char *url, unsigned timeout_ms,
    char *err, size_t errsize);

/* store_url_check - 0 when url names a store this build can open ("" or
 * "local", or a Redis URL), else -1 with a sentence in err. */
int store_url_check(const char *url, char *err, size_t errsize);

/* store_free - release; NULL is harmless. */
void store_free(struct store *s);

/* store_describe - "local" or the Redis URL, for logs. */
const char *store_describe(const struct store *s);

/* store_rate - one event of cost against limit in window seconds, at
 * now; 0 with the answer in *out, or -1. */
int store_rate(struct store *s, const struct store_key *key,
    unsigned long limit, unsigned window, unsigned long cost, long long now,
    struct store_rate *out);

/* store_rate_peek - the window's estimate for key at now, counting
 * nothing; 0, or -1. */
int store_rate_peek(struct store *s, const struct store_key *key,
    unsigned window, long long now, double *count);

/* store_rate_reset - forget key's counts; 0, or -1. */
int store_rate_reset(struct store *s, const struct store_key *key);

/* store_grey - one attempt of triplet from client at now; 0 with the
 * answer in *out, or -1. */
int store_grey(struct store *s, const struct store_key *triplet,
    const struct store_key *client, unsigned delay, unsigned expiry,
    unsigned auto_allow, long long now, struct store_grey *out);

/* store_stats_read - s's figures into out. */
void store_stats_read(const struct store *s, struct store_stats *out);

#endif
