/*
 * store_local - the in-process store (the contract is in store.h)
 *
 * Keys spread over STRIPES stripes by their first digest byte; each stripe
 * has its own lock, hash chains and least-recently-used list, and holds at
 * most its share of max_keys: a new key past that evicts the stripe's
 * oldest.  A greylisting attempt touches the triplet and the client, each
 * in its own stripe: both are locked, in stripe order, so the step is
 * atomic.  Entries are fixed-size; nothing is allocated once a stripe is
 * full.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

#define STRIPES 16
#define STRIPE_BUCKETS 4096

/* One key's state: a rate counter (bucket, cur, prev) or a greylisting
 * triplet (first, passed, expires) or a client (passes, expires). */
struct entry {
	struct entry *chain;
	struct entry *newer, *older;
	struct store_key key;
	long long a, b, expires;
	double cur, prev;
};

struct stripe {
	pthread_mutex_t lock;
	struct entry *buckets[STRIPE_BUCKETS];
	struct entry *newest, *oldest;
	size_t count, max;
	unsigned long evicted;
};

struct store_local {
	struct store base;
	struct stripe stripes[STRIPES];
};

/* stripe_of - the stripe of key. */
static unsigned
stripe_of(const struct store_key *key)
{
	return key->digest[0] % STRIPES;
}

/* bucket_of - the hash chain of key in its stripe. */
static unsigned
bucket_of(const struct store_key *key)
{
	return ((unsigned)key->digest[1] << 8 | key->digest[2]) %
	    STRIPE_BUCKETS;
}

/* unlink_lru - take e out of st's recency list. */
static void
unlink_lru(struct stripe *st, struct entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		st->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		st->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* push_newest - put e at the new end of st's recency list. */
static void
push_newest(struct stripe *st, struct entry *e)
{
	e->older = st->newest;
	e->newer = NULL;
	if (st->newest != NULL)
		st->newest->newer = e;
	st->newest = e;
	if (st->oldest == NULL)
		st->oldest = e;
}

/* remove_entry - unchain and free e. */
static void
remove_entry(struct stripe *st, struct entry *e)
{
	struct entry **p = &st->buckets[bucket_of(&e->key)];

	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	unlink_lru(st, e);
	st->count--;
	free(e);
}

/* find - key's entry in st (now the newest), or NULL. */
static struct entry *
find(struct stripe *st, const struct store_key *key)
{
	struct entry *e = st->buckets[bucket_of(key)];

	while (e != NULL && memcmp(e->key.digest, key->digest,
	    sizeof(key->digest)) != 0)
		e = e->chain;
	if (e != NULL) {
		unlink_lru(st, e);
		push_newest(st, e);
	}
	return e;
}

/* make - a new zeroed entry for key in st, evicting the oldest when st
 * is full; NULL when out of memory. */
static struct entry *
make(struct stripe *st, const struct store_key *key)
{
	struct entry *e;
	unsigned b = bucket_of(key);

	if (st->count >= st->max && st->oldest != NULL) {
		remove_entry(st, st->oldest);
		st->evicted++;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->key = *key;
	e->chain = st->buckets[b];
	st->buckets[b] = e;
	push_newest(st, e);
	st->count++;
	return e;
}

/* roll - e's two buckets moved on to the bucket of now. */
static void
roll(struct entry *e, unsigned window, long long now)
{
	long long idx = now / window;

	if (idx == e->a + 1) {
		e->prev = e->cur;
		e->cur = 0;
	} else if (idx != e->a) {
		e->prev = e->cur = 0;
	}
	e->a = idx;
}

/* estimate - the window's count at now (e rolled to now). */
static double
estimate(const struct entry *e, unsigned window, long long now)
{
	double elapsed = (double)(now - e->a * window);

	return e->prev * (1.0 - elapsed / window) + e->cur;
}

static int
local_rate(struct store *s, const struct store_key *key, unsigned long limit,
    unsigned window, unsigned long cost, long long now, struct store_rate *out)
{
	struct store_local *l = (struct store_local *)s;
	struct stripe *st = &l->stripes[stripe_of(key)];
	struct entry *e;

	pthread_mutex_lock(&st->lock);
	if ((e = find(st, key)) == NULL && (e = make(st, key)) == NULL) {
		pthread_mutex_unlock(&st->lock);
		return -1;
	}
	roll(e, window, now);
	out->count = estimate(e, window, now);
	out->over = out->count + (double)cost > (double)limit;
	out->retry_after = 0;
	if (out->over)
		out->retry_after = store_rate_retry(e->cur, e->prev, limit,
		    window, cost, now - e->a * window);
	else
		e->cur += (double)cost;
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int
local_rate_peek(struct store *s, const struct store_key *key,
    unsigned window, long long now, double *count)
{
	struct store_local *l = (struct store_local *)s;
	struct stripe *st = &l->stripes[stripe_of(key)];
	struct entry *e;

	pthread_mutex_lock(&st->lock);
	*count = 0;
	if ((e = find(st, key)) != NULL) {
		roll(e, window, now);
		*count = estimate(e, window, now);
	}
	pthread_mutex_unlock(&st->lock);
	return 0;
}

static int
local_rate_reset(struct store *s, const struct store_key *key)
{
	struct store_local *l = (struct store_local *)s;
	struct stripe *st = &l->stripes[stripe_of(key)];
	struct entry *e;

	pthread_mutex_lock(&st->lock);
	if ((e = find(st, key)) != NULL)
		remove_entry(st, e);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/* live - key's entry in st unless it has expired at now (then gone). */
static struct entry *
live(struct stripe *st, const struct store_key *key, long long now)
{
	struct entry *e = find(st, key);

	if (e != NULL && e->expires <= now) {
		remove_entry(st, e);
		e = NULL;
	}
	return e;
}

/* grey_step - the greylisting logic of store.h, both stripes locked. */
static int
grey_step(struct stripe *ts, struct stripe *cs,
    const struct store_key *triplet, const struct store_key *client,
    unsigned delay, unsigned expiry, unsigned auto_allow, long long now,
    struct store_grey *out)
{
	struct entry *t, *c = live(cs, client, now);

	memset(out, 0, sizeof(*out));
	if (auto_allow > 0 && c != NULL && c->a >= (long long)auto_allow) {
		c->expires = now + expiry;
		out->state = STORE_GREY_AUTO;
		return 0;
	}
	if ((t = live(ts, triplet, now)) == NULL) {
		if ((t = make(ts, triplet)) == NULL)
			return -1;
		t->a = now;
		t->expires = now + STORE_GREY_RETRY_WINDOW;
		out->state = STORE_GREY_NEW;
		out->retry_after = delay;
		return 0;
	}
	if (t->b != 0) {
		t->expires = now + expiry;
		out->state = STORE_GREY_KNOWN;
		return 0;
	}
	if (now - t->a < (long long)delay) {
		out->state = STORE_GREY_EARLY;
		out->retry_after = (unsigned)(delay - (now - t->a));
		return 0;
	}
	t->b = now;
	t->expires = now + expiry;
	out->state = STORE_GREY_PASSED;
	out->delayed = (unsigned)(now - t->a);
	/* The client's count of passed triplets, for auto_allow. */
	if (c == NULL && (c = make(cs, client)) == NULL)
		return 0;	/* the pass stands; the count is lost */
	c->a++;
	c->expires = now + expiry;
	return 0;
}

static int
local_grey(struct store *s, const struct store_key *triplet,
    const struct store_key *client, unsigned delay, unsigned expiry,
    unsigned auto_allow, long long now, struct store_grey *out)
{
	struct store_local *l = (struct store_local *)s;
	unsigned ti = stripe_of(triplet), ci = stripe_of(client);
	unsigned lo = ti < ci ? ti : ci, hi = ti < ci ? ci : ti;
	int rc;

	pthread_mutex_lock(&l->stripes[lo].lock);
	if (hi != lo)
		pthread_mutex_lock(&l->stripes[hi].lock);
	rc = grey_step(&l->stripes[ti], &l->stripes[ci], triplet, client,
	    delay, expiry, auto_allow, now, out);
	if (hi != lo)
		pthread_mutex_unlock(&l->stripes[hi].lock);
	pthread_mutex_unlock(&l->stripes[lo].lock);
	return rc;
}

static void
local_stats(const struct store *s, struct store_stats *out)
{
	struct store_local *l = (struct store_local *)s;

	for (unsigned i = 0; i < STRIPES; i++) {
		pthread_mutex_lock(&l->stripes[i].lock);
		out->keys += l->stripes[i].count;
		out->evicted += l->stripes[i].evicted;
		pthread_mutex_unlock(&l->stripes[i].lock);
	}
}

static void
local_free(struct store *s)
{
	struct store_local *l = (struct store_local *)s;

	for (unsigned i = 0; i < STRIPES; i++) {
		struct entry *e = l->stripes[i].newest, *next;

		for (; e != NULL; e = next) {
			next = e->older;
			free(e);
		}
		pthread_mutex_destroy(&l->stripes[i].lock);
	}
	free(l);
}

static const struct store_ops local_ops = {
	local_rate, local_rate_peek, local_rate_reset, local_grey,
	local_stats, local_free,
};

struct store *
store_local_new(size_t max_keys)
{
	struct store_local *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->base.ops = &local_ops;
	l->base.desc = "local";
	for (unsigned i = 0; i < STRIPES; i++) {
		pthread_mutex_init(&l->stripes[i].lock, NULL);
		l->stripes[i].max = max_keys / STRIPES > 0 ? max_keys /
		    STRIPES : 1;
	}
	return &l->base;
}
