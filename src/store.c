/*
 * store - the dispatch to a store's kind, and what the kinds share (the
 * contract is in store.h)
 */
#include "config.h"

#include "store.h"

#include <stdio.h>
#include <string.h>

#include "store_impl.h"

/* counted - rc, with a failure counted. */
static int
counted(struct store *s, int rc)
{
	if (rc != 0)
		atomic_fetch_add_explicit(&s->errors, 1, memory_order_relaxed);
	return rc;
}

int
store_url_check(const char *url, char *err, size_t errsize)
{
	if (url[0] == '\0' || strcmp(url, "local") == 0)
		return 0;
	if (strncmp(url, "redis://", 8) == 0 ||
	    strncmp(url, "redis+unix://", 13) == 0) {
		struct store *s = store_redis_new(url, 100, err, errsize);

		if (s == NULL)
			return -1;
		store_free(s);
		return 0;
	}
	snprintf(err, errsize, "use \"local\" (the default), "
	    "\"redis://HOST:PORT/DB\" or \"redis+unix:///PATH\"");
	return -1;
}

void
store_free(struct store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

const char *
store_describe(const struct store *s)
{
	return s->desc;
}

int
store_rate(struct store *s, const struct store_key *key, unsigned long limit,
    unsigned window, unsigned long cost, long long now, struct store_rate *out)
{
	return counted(s, s->ops->rate(s, key, limit, window, cost, now, out));
}

int
store_rate_peek(struct store *s, const struct store_key *key, unsigned window,
    long long now, double *count)
{
	return counted(s, s->ops->rate_peek(s, key, window, now, count));
}

int
store_rate_reset(struct store *s, const struct store_key *key)
{
	return counted(s, s->ops->rate_reset(s, key));
}

int
store_grey(struct store *s, const struct store_key *triplet,
    const struct store_key *client, unsigned delay, unsigned expiry,
    unsigned auto_allow, long long now, struct store_grey *out)
{
	return counted(s, s->ops->grey(s, triplet, client, delay, expiry,
	    auto_allow, now, out));
}

void
store_stats_read(const struct store *s, struct store_stats *out)
{
	memset(out, 0, sizeof(*out));
	s->ops->stats(s, out);
	out->errors = atomic_load_explicit(&((struct store *)s)->errors,
	    memory_order_relaxed);
}

unsigned
store_rate_retry(double cur, double prev, unsigned long limit,
    unsigned window, unsigned long cost, long long elapsed)
{
	double w = window, t;

	if ((double)cost > (double)limit)
		return window;		/* it never fits: a window, and again */
	if (cur + (double)cost > (double)limit) {
		/* Once this bucket is the previous one (in window - elapsed),
		 * its weight falls until cost fits beside it. */
		t = (w - (double)elapsed) + w * (1.0 - ((double)limit -
		    (double)cost) / cur);
	} else if (prev > 0) {
		t = w * (1.0 - ((double)limit - cur - (double)cost) / prev) -
		    (double)elapsed;
	} else {
		t = 1;
	}
	if (t < 1)
		t = 1;
	if (t > 2 * w)
		t = 2 * w;
	/* Rounded up: a client told to come back must then fit. */
	return (unsigned)t + ((double)(unsigned)t < t);
}
