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

/* fits - whether an event of cost fits under limit t seconds on, as the
 * store would count it then: the buckets rolled on, the estimate
 * computed the same way. */
static bool
fits(double cur, double prev, unsigned long limit, double w,
    unsigned long cost, double elapsed, double t)
{
	double e = elapsed + t, est;

	if (e < w)
		est = prev * (1.0 - e / w) + cur;
	else if (e < 2 * w)
		est = cur * (1.0 - (e - w) / w);
	else
		est = 0;
	return est + (double)cost <= (double)limit;
}

unsigned
store_rate_retry(double cur, double prev, unsigned long limit,
    unsigned window, unsigned long cost, long long elapsed)
{
	double w = window, t;
	unsigned n;

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
	/* The formula's rounding error must not add a second: start a hair
	 * below it, and take the first whole second the store itself would
	 * count as fitting. */
	t -= 1e-6;
	if (t < 1)
		t = 1;
	if (t > 2 * w)
		t = 2 * w;
	n = (unsigned)t + ((double)(unsigned)t < t);
	while (n < 2 * window && !fits(cur, prev, limit, w, cost,
	    (double)elapsed, n))
		n++;
	return n;
}
