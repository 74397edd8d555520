/*
 * limiter - rate limits and greylisting: a rule's rate = "KEY LIMIT/WINDOW"
 * and greylist = "DELAY EXPIRY", judged against the process's store
 *
 * A rule's rate and greylist are judged after its other conditions
 * matched, so they count what reaches them: an earlier accept rule
 * exempts, and a rule's conditions choose what it counts.  rate is true
 * when this event would pass LIMIT in WINDOW (the event is then not
 * counted); each rule has its own counters, even on the same key.  What
 * an event is depends on the rule's stage: a connection at connect, a
 * message at mail and eom (or its bytes at eom with rate_unit = bytes), a
 * recipient at rcpt, a HELO, a header.  greylist (at rcpt) is true while
 * the triplet (client network, sender, recipient) waits out its delay.
 * See store.h for the window and greylisting algorithms.
 *
 * Keys: KEY is a comma-separated list of client_addr[/V4[/V6]],
 * client_name, helo, sender, sender_domain, rcpt, rcpt_domain,
 * auth_authen, or a macro as {name}; the values are joined and digested
 * with SHA-256 with the rule's name, so a store holds no address.
 *
 * The store is the process's (limiter_open, once at start): local, or
 * Redis with on_error local (count here while Redis is away) or tempfail
 * (answer on_failure).  Time is limiter_now(): the clock, plus for tests
 * the offset in the file REPLYMILTER_TEST_CLOCK names, if set.
 *
 * Names: limit_* for a rule's rate, grey_* for its greylist, limiter_*
 * for the module's store and clock.  Parsing allocates (limit_free,
 * grey_free); judging allocates nothing and is thread-safe.
 */
#ifndef REPLYMILTER_LIMITER_H
#define REPLYMILTER_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

#include "stage.h"

struct session;
struct store;
struct store_stats;

struct limit;
struct grey;

enum limiter_on_error {
	LIMITER_ON_ERROR_TEMPFAIL,	/* the failure reply */
	LIMITER_ON_ERROR_LOCAL		/* count in this process instead */
};

/* What a judgement found. */
enum limiter_outcome {
	LIMITER_PASS,		/* under the limit, or the triplet may pass */
	LIMITER_HOLD,		/* over the limit, or greylisted: the rule
				 * matches */
	LIMITER_ERROR		/* the store failed, on_error tempfail */
};

struct limiter_answer {
	unsigned retry_after;	/* HOLD: seconds until it may go */
	unsigned delayed;	/* greylist PASS after a delay: seconds */
};

/* limit_parse - a rule's rate text at stage (bytes: rate_unit = bytes);
 * NULL with a sentence in err that names the fix. */
struct limit *limit_parse(const char *text, enum stage stage, bool bytes,
    char *err, size_t errsize);

/* limit_free - release; NULL is harmless. */
void limit_free(struct limit *l);

/* limit_describe - "3/60s" (as written), for replies and logs. */
const char *limit_describe(const struct limit *l);

/* limit_macro - the i-th macro its key reads ("{auth_authen}"), NULL past
 * the last: the milter must ask the MTA for them. */
const char *limit_macro(const struct limit *l, unsigned i);

/* limit_judge - one event of s for rule against l; the outcome, with
 * retry_after in *out when HOLD. */
enum limiter_outcome limit_judge(const struct limit *l, const char *rule,
    const struct session *s, struct limiter_answer *out);

/* grey_parse - a rule's greylist text ("5m 36d"); NULL with a sentence in
 * err. */
struct grey *grey_parse(const char *text, char *err, size_t errsize);

/* grey_free - release; NULL is harmless. */
void grey_free(struct grey *g);

/* grey_judge - one attempt of s's current recipient; HOLD while it waits
 * (retry_after), PASS (delayed > 0 the first time it passes after a
 * delay, for the X-Greylist header). */
enum limiter_outcome grey_judge(const struct grey *g, const struct session *s,
    struct limiter_answer *out);

/* limiter_configure - the greylisting network (prefix lengths for IPv4
 * and IPv6) and auto-allow count (0: none), from the settings. */
void limiter_configure(unsigned v4_prefix, unsigned v6_prefix,
    unsigned auto_allow);

/* limiter_open - the process's store: url "" or "local", or a Redis URL
 * (see store.h), with the local store bounded at max_keys keys; 0, or -1
 * with a sentence in err.  Call once, before any judgement; again
 * replaces it (tests). */
int limiter_open(const char *url, enum limiter_on_error on_error,
    size_t max_keys, unsigned timeout_ms, char *err, size_t errsize);

/* limiter_close - release the store. */
void limiter_close(void);

/* limiter_store - the store judgements use (the local one until
 * limiter_open), for --ratelimit-show and the metrics. */
struct store *limiter_store(void);

/* The module's figures since start, for the metrics. */
struct limiter_stats {
	unsigned long held;	/* events over a limit, or greylisted */
	unsigned long fell_back;	/* judged locally: the shared store
					 * failed (on_error local) */
	unsigned long store_errors;	/* the shared store's failures */
	unsigned long keys;	/* in the local store now */
	unsigned long evicted;	/* dropped by the local store's bound */
};

/* limiter_stats_read - the figures now, into out. */
void limiter_stats_read(struct limiter_stats *out);

/* limiter_set_clock - judge as if it were start (seconds since the
 * epoch) from now on, not the clock (0: the clock again); for --test,
 * whose replies must not depend on the day.  The waits are zeroed. */
void limiter_set_clock(long long start);

/* limiter_wait - nothing; the clock moves seconds on (--test's "wait"). */
void limiter_wait(unsigned seconds);

/* limiter_duration - text ("60", "60s", "5m", "1h", "36d") in seconds
 * into *out; 0, or -1. */
int limiter_duration(const char *text, unsigned *out);

/* limiter_now - the time judgements use, in seconds since the epoch. */
long long limiter_now(void);

/* limiter_key_digest - the store key of rule's limit l for the key values
 * given as text ("192.0.2.0/24,alice@example.org" in the key's order),
 * for --ratelimit-show and --ratelimit-reset; 0, or -1 when the count of
 * values does not match the key. */
int limiter_key_digest(const struct limit *l, const char *rule,
    const char *values, void *digest16);

/* limit_window - l's window in seconds. */
unsigned limit_window(const struct limit *l);

/* limit_max - l's LIMIT. */
unsigned long limit_max(const struct limit *l);

#endif
