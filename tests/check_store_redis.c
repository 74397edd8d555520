/*
 * check_store_redis - the store contract (tests/check_store.c) against a
 * real Redis, and what only the Redis store promises: one counter shared
 * by several replymilters, digests rather than raw data in the server,
 * a TTL on every key, operations failing promptly (never stalling) when
 * the server is gone, silent or answering nonsense, and working again
 * once it is back.
 *
 * main() starts redis-server on a free loopback port and a unix socket in
 * a folder of its own (no persistence), waits until it answers, runs the
 * suite and stops it; every store_under_test() starts from FLUSHALL.  The
 * tests that kill a server start one of their own.  Without redis-server
 * the suite is skipped (exit 77), unless REQUIRE_REDIS_SERVER=1 (as CI
 * sets), when that is a failure.  It is a live test: LIVE_TESTS=no skips
 * it before anything starts.  Built without hiredis, it checks only that
 * a Redis URL is refused with the message, then skips.
 *
 * A note gives the speed of operations against loopback Redis (not an
 * assertion).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_store.h"
#include "log.h"
#include "store.h"

#ifndef HAVE_HIREDIS
struct store *
store_under_test(void)
{
	return NULL;
}

int
main(void)
{
	const char *require = getenv("REQUIRE_REDIS_SERVER");
	char err[256] = "";

	if (store_url_check("redis://127.0.0.1:6379/0", err, sizeof(err)) !=
	    -1 || strstr(err, "built without Redis") == NULL) {
		fprintf(stderr, "FAIL: a Redis URL is not refused as it "
		    "should be without hiredis (\"%s\")\n", err);
		return EXIT_FAILURE;
	}
	if (require != NULL && strcmp(require, "1") == 0) {
		fprintf(stderr, "FAIL: the Redis tests are required "
		    "(REQUIRE_REDIS_SERVER=1), but this build has no hiredis: "
		    "install libhiredis-dev and run configure again\n");
		return EXIT_FAILURE;
	}
	fprintf(stderr, "SKIP: built without hiredis (a Redis URL is refused "
	    "with the message, as checked)\n");
	return 77;
}
#else

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T0 1699999980LL
#define TIMEOUT_MS 300		/* the tests' own stores' timeout */

static char server_dir[400];	/* the servers' folder */
static char server_sock[500];	/* the main server's unix socket */
static int server_port;		/* the main server's port */
static pid_t server_pid;

/* now_ms - the monotonic clock in milliseconds. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sleep_ms - nothing; sleeps ms milliseconds. */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* free_port - a loopback TCP port free just now, or -1. */
static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* server_start - the pid of a redis-server on port (and the unix socket
 * sock when not NULL) logging into the servers' folder, or -1. */
static pid_t
server_start(int port, const char *sock)
{
	char p[16], log[600];
	pid_t pid;

	snprintf(p, sizeof(p), "%d", port);
	snprintf(log, sizeof(log), "%s/redis-%d.log", server_dir, port);
	if ((pid = fork()) != 0)
		return pid;
	{
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	if (sock != NULL)
		execlp("redis-server", "redis-server", "--port", p, "--bind",
		    "127.0.0.1", "--save", "", "--appendonly", "no",
		    "--daemonize", "no", "--dir", server_dir, "--unixsocket",
		    sock, "--unixsocketperm", "700", (char *)NULL);
	else
		execlp("redis-server", "redis-server", "--port", p, "--bind",
		    "127.0.0.1", "--save", "", "--appendonly", "no",
		    "--daemonize", "no", "--dir", server_dir, (char *)NULL);
	_exit(127);
}

/* server_ready - whether the server on port answers PING within ms. */
static bool
server_ready(int port, long ms)
{
	long long end = now_ms() + ms;

	do {
		struct timeval tv = { 0, 200000 };
		redisContext *c = redisConnectWithTimeout("127.0.0.1", port,
		    tv);
		redisReply *r = NULL;

		if (c != NULL && c->err == 0)
			r = redisCommand(c, "PING");
		if (r != NULL && r->type == REDIS_REPLY_STATUS &&
		    strcmp(r->str, "PONG") == 0) {
			freeReplyObject(r);
			redisFree(c);
			return true;
		}
		freeReplyObject(r);
		if (c != NULL)
			redisFree(c);
		sleep_ms(20);
	} while (now_ms() < end);
	return false;
}

/* server_stop - nothing; kills pid with sig and waits for it. */
static void
server_stop(pid_t pid, int sig)
{
	if (pid <= 0)
		return;
	kill(pid, sig);
	waitpid(pid, NULL, 0);
}

/* admin - a hiredis connection to the main server (the test frees it). */
static redisContext *
admin(void)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", server_port,
	    tv);

	ck_assert_ptr_nonnull(c);
	ck_assert_msg(c->err == 0, "admin connection: %s", c->errstr);
	redisSetTimeout(c, tv);
	return c;
}

/* admin_do - nothing; runs a command on the main server, which must not
 * answer an error. */
static void
admin_do(const char *cmd)
{
	redisContext *c = admin();
	redisReply *r = redisCommand(c, cmd);

	ck_assert_ptr_nonnull(r);
	ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s: %s", cmd, r->str);
	freeReplyObject(r);
	redisFree(c);
}

/* url_of - nothing; the main server's TCP URL with db into buf. */
static void
url_of(char *buf, size_t size, int port, unsigned db)
{
	snprintf(buf, size, "redis://127.0.0.1:%d/%u", port, db);
}

/* open_store - a store on url with timeout_ms (the test frees it). */
static struct store *
open_store(const char *url, unsigned timeout_ms)
{
	char err[256];
	struct store *s = store_redis_new(url, timeout_ms, err, sizeof(err));

	ck_assert_msg(s != NULL, "%s: %s", url, err);
	return s;
}

struct store *
store_under_test(void)
{
	char url[100];

	admin_do("FLUSHALL");
	url_of(url, sizeof(url), server_port, 0);
	return open_store(url, 1000);
}

/* key_str - a digest holding the 16 bytes of text (raw data, as if the
 * caller had not hashed it: the server must still not see it). */
static struct store_key
key_str(const char *text)
{
	struct store_key k;

	memset(k.digest, 0, sizeof(k.digest));
	memcpy(k.digest, text, strlen(text) < sizeof(k.digest) ?
	    strlen(text) : sizeof(k.digest));
	return k;
}

/* key_n - a digest for the number n. */
static struct store_key
key_n(unsigned n)
{
	struct store_key k;

	memset(k.digest, 0xa5, sizeof(k.digest));
	memcpy(k.digest, &n, sizeof(n));
	return k;
}

/* Two stores (two MX hosts) on one server share a counter and a
 * greylisting triplet. */
START_TEST(test_two_hosts)
{
	struct store *a = store_under_test(), *b;
	struct store_key k = key_n(1), t = key_n(2), c = key_n(3);
	struct store_rate r;
	struct store_grey g;
	char url[100];
	unsigned allowed = 0;

	url_of(url, sizeof(url), server_port, 0);
	b = open_store(url, 1000);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(store_rate(i % 2 ? a : b, &k, 5, 60, 1,
		    T0 + i, &r), 0);
		if (!r.over)
			allowed++;
	}
	ck_assert_uint_eq(allowed, 5);
	ck_assert_int_eq(store_grey(a, &t, &c, 300, 86400, 0, T0, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	ck_assert_int_eq(store_grey(b, &t, &c, 300, 86400, 0, T0 + 10, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_EARLY);
	ck_assert_int_eq(store_grey(b, &t, &c, 300, 86400, 0, T0 + 301, &g),
	    0);
	ck_assert_int_eq(g.state, STORE_GREY_PASSED);
	ck_assert_int_eq(store_grey(a, &t, &c, 300, 86400, 0, T0 + 302, &g),
	    0);
	ck_assert_int_eq(g.state, STORE_GREY_KNOWN);
	store_free(a);
	store_free(b);
}
END_TEST

struct racer {
	struct store *s;
	unsigned allowed, failed;
};

/* race - 500 events on one key with a limit of 1000. */
static void *
race(void *arg)
{
	struct racer *r = arg;
	struct store_key k = key_n(7);
	struct store_rate out;

	for (int i = 0; i < 500; i++) {
		if (store_rate(r->s, &k, 1000, 3600, 1, T0, &out) != 0)
			r->failed++;
		else if (!out.over)
			r->allowed++;
	}
	return NULL;
}

/* Four threads on one counter: exactly the limit goes through. */
START_TEST(test_threads_one_counter)
{
	struct store *s = store_under_test();
	struct racer rs[4];
	pthread_t t[4];
	unsigned total = 0;

	for (int i = 0; i < 4; i++) {
		rs[i].s = s;
		rs[i].allowed = rs[i].failed = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_uint_eq(rs[i].failed, 0);
		total += rs[i].allowed;
	}
	ck_assert_uint_eq(total, 1000);
	store_free(s);
}
END_TEST

/* hex - nothing; the 16 bytes of k as 32 hex digits into out. */
static void
hex(const struct store_key *k, char out[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", k->digest[i]);
}

/* no_raw - nothing; fails when the n bytes at p hold "example". */
static void
no_raw(const char *what, const char *p, size_t n)
{
	ck_assert_msg(memmem(p, n, "example", 7) == NULL,
	    "%s holds raw data: %.*s", what, (int)n, p);
}

/* The server holds digests in hex, never the data; every key has a TTL,
 * of the length said in store_redis.c. */
START_TEST(test_keys_hidden_with_ttls)
{
	struct store *s = store_under_test();
	struct store_key k = key_str("spam@example.org");
	struct store_key t = key_str("t:example.org..."), c =
	    key_str("c:example.net...");
	struct store_rate r;
	struct store_grey g;
	struct store_key t2 = key_str("t2:example.org..");
	redisContext *ac = admin();
	redisReply *keys;
	char h[33], want[200];
	unsigned seen = 0;

	ck_assert_int_eq(store_rate(s, &k, 10, 60, 1, T0, &r), 0);
	ck_assert_int_eq(store_grey(s, &t, &c, 60, 3600, 0, T0, &g), 0);
	ck_assert_int_eq(store_grey(s, &t, &c, 60, 3600, 0, T0 + 61, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_PASSED);
	ck_assert_int_eq(store_grey(s, &t2, &c, 60, 3600, 0, T0, &g), 0);
	keys = redisCommand(ac, "KEYS replymilter:*");
	ck_assert_ptr_nonnull(keys);
	ck_assert_int_eq(keys->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(keys->elements, 5);
	for (size_t i = 0; i < keys->elements; i++) {
		const char *name = keys->element[i]->str;
		redisReply *ttl = redisCommand(ac, "TTL %s", name);
		redisReply *type = redisCommand(ac, "TYPE %s", name);
		redisReply *v;
		long long lo, hi;

		no_raw("a key's name", name, keys->element[i]->len);
		ck_assert_ptr_nonnull(ttl);
		ck_assert_int_eq(ttl->type, REDIS_REPLY_INTEGER);
		ck_assert_msg(ttl->integer > 0, "%s has no TTL (%lld)", name,
		    ttl->integer);
		if (strncmp(name, "replymilter:rl:", 15) == 0) {
			lo = 110, hi = 120;		/* 2 windows */
			v = redisCommand(ac, strcmp(type->str, "set") == 0 ?
			    "SMEMBERS %s" : "GET %s", name);
		} else if (strncmp(name, "replymilter:gl:t:", 17) == 0) {
			/* Passed: expiry; waiting: the retry window. */
			lo = 3590, hi = STORE_GREY_RETRY_WINDOW;
			v = redisCommand(ac, "HGETALL %s", name);
		} else {
			ck_assert_msg(strncmp(name, "replymilter:gl:c:", 17) ==
			    0, "an unexpected key %s", name);
			lo = 3590, hi = 3600;
			v = redisCommand(ac, "HGETALL %s", name);
		}
		ck_assert_msg(ttl->integer >= lo && ttl->integer <= hi,
		    "%s: TTL %lld not in [%lld, %lld]", name, ttl->integer,
		    lo, hi);
		ck_assert_ptr_nonnull(v);
		if (v->type == REDIS_REPLY_STRING)
			no_raw(name, v->str, v->len);
		else
			for (size_t j = 0; j < v->elements; j++)
				no_raw(name, v->element[j]->str,
				    v->element[j]->len);
		freeReplyObject(v);
		freeReplyObject(ttl);
		freeReplyObject(type);
	}
	/* The names, exactly. */
	hex(&k, h);
	for (size_t i = 0; i < keys->elements; i++) {
		const char *name = keys->element[i]->str;

		snprintf(want, sizeof(want), "replymilter:rl:{%s}:%lld", h,
		    T0 / 60);
		seen |= strcmp(name, want) == 0;
		snprintf(want, sizeof(want), "replymilter:rl:{%s}:b", h);
		seen |= (strcmp(name, want) == 0) << 1;
	}
	hex(&t, h);
	snprintf(want, sizeof(want), "replymilter:gl:t:{%s}", h);
	for (size_t i = 0; i < keys->elements; i++)
		seen |= (strcmp(keys->element[i]->str, want) == 0) << 2;
	hex(&c, h);
	snprintf(want, sizeof(want), "replymilter:gl:c:{%s}", h);
	for (size_t i = 0; i < keys->elements; i++)
		seen |= (strcmp(keys->element[i]->str, want) == 0) << 3;
	ck_assert_uint_eq(seen, 15);
	freeReplyObject(keys);
	/* A reset deletes the buckets and their set, and only them. */
	ck_assert_int_eq(store_rate_reset(s, &k), 0);
	keys = redisCommand(ac, "KEYS replymilter:rl:*");
	ck_assert_uint_eq(keys->elements, 0);
	freeReplyObject(keys);
	redisFree(ac);
	store_free(s);
}
END_TEST

/* A reset finds every bucket written, over several windows, and the set
 * of buckets keeps only those still there. */
START_TEST(test_reset_over_windows)
{
	struct store *s = store_under_test();
	struct store_key k = key_n(40);
	struct store_rate r;
	redisContext *ac = admin();
	redisReply *v;
	char h[33];
	double count;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(store_rate(s, &k, 100, 60, 1, T0 + 60 * i, &r),
		    0);
	hex(&k, h);
	/* Bucket 0 deleted behind the store's back: dropped from the set
	 * when the next bucket is added. */
	v = redisCommand(ac, "DEL replymilter:rl:{%s}:%lld", h, T0 / 60);
	freeReplyObject(v);
	ck_assert_int_eq(store_rate(s, &k, 100, 60, 1, T0 + 300, &r), 0);
	v = redisCommand(ac, "SCARD replymilter:rl:{%s}:b", h);
	ck_assert_int_eq(v->integer, 5);
	freeReplyObject(v);
	ck_assert_int_eq(store_rate_peek(s, &k, 60, T0 + 300, &count), 0);
	ck_assert_double_eq_tol(count, 2, 1e-9);
	ck_assert_int_eq(store_rate_reset(s, &k), 0);
	v = redisCommand(ac, "KEYS replymilter:*");
	ck_assert_uint_eq(v->elements, 0);
	freeReplyObject(v);
	ck_assert_int_eq(store_rate_reset(s, &k), 0);	/* nothing: fine */
	redisFree(ac);
	store_free(s);
}
END_TEST

/* next - the next number of the generator at *x (xorshift64). */
static unsigned
next(unsigned long long *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (unsigned)(*x >> 32);
}

/* The same random operations on a local store and on Redis give exactly
 * the same answers (counts compared as doubles, bit for bit): windows
 * crossed, costs in bytes beyond a Redis integer's reach in a Lua
 * number, resets, greylisting with auto-allow and expiry. */
START_TEST(test_same_as_local)
{
	static const unsigned windows[] = { 7, 60, 3600 };
	static const unsigned long limits[] = { 1, 3, 10, 4000000000UL };
	static const unsigned long costs[] = { 1, 1, 2, 5, 600, 3000000000UL };
	static const long long steps[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2,
	    3, 3, 5, 10, 10, 30, 59, 61, 200, 3599, 7300 };
	static const unsigned delays[] = { 0, 5, 60, 300 }, expiries[] = { 30,
	    3600, 86400 }, autos[] = { 0, 2 };
	struct store *rs = store_under_test(), *ls = store_local_new(100000);
	unsigned long long x = 88172645463325252ULL;
	long long now = T0;
	unsigned counts[7] = { 0 };	/* not over, over, then by state */

	ck_assert_ptr_nonnull(ls);
	for (int i = 0; i < 4000; i++) {
		unsigned op = next(&x) % 100, n = next(&x) % 8;
		struct store_key k = key_n(100 + n);
		unsigned w = windows[n % NELEM(windows)];

		now += steps[next(&x) % NELEM(steps)];
		if (op < 60) {
			unsigned long limit = limits[next(&x) % NELEM(limits)];
			unsigned long cost = costs[next(&x) % NELEM(costs)];
			struct store_rate a, b;

			ck_assert_int_eq(store_rate(ls, &k, limit, w, cost, now,
			    &a), 0);
			ck_assert_int_eq(store_rate(rs, &k, limit, w, cost, now,
			    &b), 0);
			ck_assert_msg(a.count == b.count && a.over == b.over &&
			    a.retry_after == b.retry_after, "step %d: local "
			    "%.17g %d %u, Redis %.17g %d %u", i, a.count,
			    a.over, a.retry_after, b.count, b.over,
			    b.retry_after);
			counts[a.over]++;
		} else if (op < 75) {
			double a, b;

			ck_assert_int_eq(store_rate_peek(ls, &k, w, now, &a),
			    0);
			ck_assert_int_eq(store_rate_peek(rs, &k, w, now, &b),
			    0);
			ck_assert_msg(a == b, "step %d: local %.17g, Redis "
			    "%.17g", i, a, b);
		} else if (op < 78) {
			ck_assert_int_eq(store_rate_reset(ls, &k), 0);
			ck_assert_int_eq(store_rate_reset(rs, &k), 0);
		} else {
			struct store_key t = key_n(200 + next(&x) % 12);
			struct store_key c = key_n(300 + next(&x) % 3);
			unsigned d = delays[next(&x) % NELEM(delays)];
			unsigned e = expiries[next(&x) % NELEM(expiries)];
			unsigned au = autos[next(&x) % NELEM(autos)];
			struct store_grey a, b;

			ck_assert_int_eq(store_grey(ls, &t, &c, d, e, au, now,
			    &a), 0);
			ck_assert_int_eq(store_grey(rs, &t, &c, d, e, au, now,
			    &b), 0);
			ck_assert_msg(a.state == b.state &&
			    a.retry_after == b.retry_after &&
			    a.delayed == b.delayed, "step %d: local %d %u %u, "
			    "Redis %d %u %u", i, a.state, a.retry_after,
			    a.delayed, b.state, b.retry_after, b.delayed);
			counts[2 + (a.state == STORE_GREY_NEW ? 0 :
			    a.state == STORE_GREY_EARLY ? 1 :
			    a.state == STORE_GREY_PASSED ? 2 :
			    a.state == STORE_GREY_KNOWN ? 3 : 4)]++;
		}
	}
	/* The mix reached every branch worth comparing. */
	fprintf(stderr, "note: compared with the local store: %u not over, "
	    "%u over; %u new, %u early, %u passed, %u known, %u auto\n",
	    counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
	    counts[6]);
	for (unsigned i = 0; i < NELEM(counts); i++)
		ck_assert_uint_gt(counts[i], 0);
	store_free(ls);
	store_free(rs);
}
END_TEST

/* Fractions and numbers past 2^31 come back exactly; a window of 0 is
 * refused, not a crash. */
START_TEST(test_numbers_exact)
{
	struct store *s = store_under_test();
	struct store_key k = key_n(41);
	struct store_rate r;
	double count;

	ck_assert_int_eq(store_rate(s, &k, 4000000000UL, 3600, 3000000000UL,
	    T0, &r), 0);
	ck_assert(!r.over);
	ck_assert_int_eq(store_rate_peek(s, &k, 3600, T0 / 3600 * 3600 + 3600 +
	    420, &count), 0);
	ck_assert_double_eq(count, 3000000000.0 * (1.0 - 420.0 / 3600.0) +
	    0.0);
	ck_assert_int_eq(store_rate(s, &k, 3, 0, 1, T0, &r), -1);
	ck_assert_int_eq(store_rate_peek(s, &k, 0, T0, &count), -1);
	store_free(s);
}
END_TEST

/* The server losing its scripts (a restart, SCRIPT FLUSH): EVAL, and on. */
START_TEST(test_noscript_fallback)
{
	struct store *s = store_under_test();
	struct store_key k = key_n(42);
	struct store_rate r;
	struct store_stats st;

	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	admin_do("SCRIPT FLUSH");
	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	ck_assert_double_eq_tol(r.count, 1, 1e-9);
	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	ck_assert_double_eq_tol(r.count, 2, 1e-9);
	store_stats_read(s, &st);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.keys, 0);
	ck_assert_uint_eq(st.evicted, 0);
	store_free(s);
}
END_TEST

/* Connections the server closed while idle are replaced without an
 * error. */
START_TEST(test_idle_connection_closed)
{
	struct store *s = store_under_test();
	struct store_key k = key_n(43);
	struct store_rate r;
	struct store_stats st;

	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	admin_do("CLIENT KILL TYPE normal");
	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	ck_assert_double_eq_tol(r.count, 1, 1e-9);
	store_stats_read(s, &st);
	ck_assert_uint_eq(st.errors, 0);
	store_free(s);
}
END_TEST

static char logged[8192];	/* what the sink was given */
static pthread_mutex_t logged_lock = PTHREAD_MUTEX_INITIALIZER;

/* sink - nothing; keeps line, its level first, in logged. */
static void
sink(void *arg, enum log_level level, const char *line)
{
	size_t n;

	(void)arg;
	pthread_mutex_lock(&logged_lock);
	n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "%d %s\n", (int)level, line);
	pthread_mutex_unlock(&logged_lock);
}

/* count_of - how many times needle is in haystack. */
static unsigned
count_of(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* A key of ours holding another type, a database out of range, a wrong
 * password: -1, counted, no crash; other keys work after the backoff. */
START_TEST(test_server_errors)
{
	struct store *s = store_under_test(), *bad;
	struct store_key t = key_n(44), c = key_n(45), k = key_n(46);
	struct store_grey g;
	struct store_rate r;
	struct store_stats st;
	char cmd[200], h[33], url[200], want[200];
	long long end;

	hex(&t, h);
	snprintf(cmd, sizeof(cmd), "SET replymilter:gl:t:{%s} x", h);
	admin_do(cmd);
	logged[0] = '\0';
	log_set_sink(sink, NULL);
	ck_assert_int_eq(store_grey(s, &t, &c, 60, 3600, 0, T0, &g), -1);
	store_stats_read(s, &st);
	ck_assert_uint_eq(st.errors, 1);
	/* Another key works once the backoff is over. */
	end = now_ms() + 10000;
	while (store_rate(s, &k, 5, 60, 1, T0, &r) != 0 && now_ms() < end)
		sleep_ms(10);
	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	log_set_sink(NULL, NULL);
	/* One warning with the reason, then one notice. */
	snprintf(want, sizeof(want), "%d store redis://127.0.0.1:%d/0: a "
	    "script: WRONGTYPE", (int)LOG_LEVEL_WARNING, server_port);
	ck_assert_msg(count_of(logged, want) == 1, "logged: %s", logged);
	ck_assert_uint_eq(count_of(logged, "operations fail at once for 100 "
	    "ms, then it is tried again\n"), 1);
	snprintf(want, sizeof(want), "%d store redis://127.0.0.1:%d/0: "
	    "answering again\n", (int)LOG_LEVEL_NOTICE, server_port);
	ck_assert_msg(count_of(logged, want) == 1, "logged: %s", logged);
	ck_assert_uint_eq(count_of(logged, "\n"), 2);
	store_free(s);
	/* A bucket that is not a number; one that is another type. */
	url_of(url, sizeof(url), server_port, 0);
	k = key_n(47);
	hex(&k, h);
	snprintf(cmd, sizeof(cmd), "SET replymilter:rl:{%s}:%lld x", h,
	    T0 / 60);
	admin_do(cmd);
	snprintf(cmd, sizeof(cmd), "HSET replymilter:rl:{%s}:%lld a 1", h,
	    T0 / 60 - 1);
	admin_do(cmd);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate(bad, &k, 5, 60, 1, T0, &r), -1);
	store_free(bad);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate_peek(bad, &k, 60, T0 + 60, &r.count), -1);
	store_free(bad);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate_peek(bad, &k, 60, T0, &r.count), -1);
	store_free(bad);
	url_of(url, sizeof(url), server_port, 999);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate(bad, &k, 5, 60, 1, T0, &r), -1);
	store_free(bad);
	/* AUTH: a Redis 6 user with its password works, a wrong one not;
	 * a password for the default user, which has none, not either. */
	admin_do("ACL SETUSER milter on >s3cret ~replymilter:* +@all");
	snprintf(url, sizeof(url), "redis://milter:s3cret@127.0.0.1:%d/0",
	    server_port);
	snprintf(want, sizeof(want), "redis://milter:***@127.0.0.1:%d/0",
	    server_port);
	bad = open_store(url, 1000);
	k = key_n(48);
	ck_assert_int_eq(store_rate(bad, &k, 5, 60, 1, T0, &r), 0);
	ck_assert_str_eq(store_describe(bad), want);
	store_free(bad);
	snprintf(url, sizeof(url), "redis://milter:wrong@127.0.0.1:%d/0",
	    server_port);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate(bad, &k, 5, 60, 1, T0, &r), -1);
	store_free(bad);
	snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d/0",
	    server_port);
	bad = open_store(url, 1000);
	ck_assert_int_eq(store_rate(bad, &k, 5, 60, 1, T0, &r), -1);
	store_free(bad);
	admin_do("ACL DELUSER milter");
}
END_TEST

struct worker {
	struct store *s;
	atomic_bool *stop, *restarted;
	long long max_ms;
	unsigned ok, failed;
	atomic_uint ok_after;	/* polled by the test's thread */
};

/* work - rate events until told to stop, timing each. */
static void *
work(void *arg)
{
	struct worker *w = arg;
	struct store_key k = key_n(50);
	struct store_rate r;

	while (!atomic_load(w->stop)) {
		long long t = now_ms(), dt;
		int rc = store_rate(w->s, &k, 1000000, 60, 1, T0, &r);

		if ((dt = now_ms() - t) > w->max_ms)
			w->max_ms = dt;
		if (rc != 0)
			w->failed++;
		else if (atomic_load(w->restarted))
			atomic_fetch_add(&w->ok_after, 1);
		else
			w->ok++;
		sleep_ms(1);
	}
	return NULL;
}

/* Redis killed under load: every operation fails within the timeout, no
 * crash; started again on its port, the store works again after the
 * backoff. */
START_TEST(test_server_killed)
{
	int port = free_port();
	pid_t pid = server_start(port, NULL);
	atomic_bool stop = false, restarted = false;
	struct worker w[3];
	pthread_t t[3];
	struct store *s;
	struct store_key k = key_n(51);
	struct store_rate r;
	struct store_stats st;
	char url[100];
	long long t0, end;

	ck_assert_int_gt(pid, 0);
	ck_assert(server_ready(port, 10000));
	url_of(url, sizeof(url), port, 0);
	s = open_store(url, TIMEOUT_MS);
	for (int i = 0; i < 3; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		atomic_init(&w[i].ok_after, 0);
		w[i].s = s;
		w[i].stop = &stop;
		w[i].restarted = &restarted;
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	sleep_ms(200);
	server_stop(pid, SIGKILL);
	sleep_ms(300);
	/* Down, and backing off: at once, without the network. */
	t0 = now_ms();
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), -1);
	ck_assert_int_lt(now_ms() - t0, 2 * TIMEOUT_MS);
	pid = server_start(port, NULL);
	ck_assert(server_ready(port, 10000));
	atomic_store(&restarted, true);
	end = now_ms() + 15000;
	while (now_ms() < end && (atomic_load(&w[0].ok_after) == 0 ||
	    atomic_load(&w[1].ok_after) == 0 ||
	    atomic_load(&w[2].ok_after) == 0))
		sleep_ms(20);
	atomic_store(&stop, true);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		fprintf(stderr, "note: worker %d: %u ok before, %u failed, "
		    "%u ok after the restart, the slowest %lld ms\n", i,
		    w[i].ok, w[i].failed, atomic_load(&w[i].ok_after),
		    w[i].max_ms);
		ck_assert_uint_gt(w[i].ok, 0);
		ck_assert_uint_gt(atomic_load(&w[i].ok_after), 0);
		ck_assert_int_lt(w[i].max_ms, 2 * TIMEOUT_MS);
	}
	ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), 0);
	store_stats_read(s, &st);
	ck_assert_uint_gt(st.errors, 0);
	store_free(s);
	server_stop(pid, SIGTERM);
}
END_TEST

/* A server that accepts TCP and never answers (the kernel accepts for a
 * listener that never calls accept), and one whose queue is full (the
 * connection itself hangs): -1 within about the timeout, then -1 at
 * once during the backoff. */
START_TEST(test_silent_server)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct store_key k = key_n(52);
	struct store_rate r;
	struct store_grey g;
	int fd, fill[4];
	char url[100];

	for (int backlog = 16; backlog >= 0; backlog -= 16) {
		struct store *s;
		long long t0, dt;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
		    0);
		ck_assert_int_eq(listen(fd, backlog), 0);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len),
		    0);
		for (int i = 0; i < 4; i++) {
			fill[i] = -1;
			if (backlog > 0)
				continue;
			/* Fill the queue: the store's SYN is dropped. */
			fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
			    0);
			(void)!connect(fill[i], (struct sockaddr *)&sa,
			    sizeof(sa));
		}
		sleep_ms(50);
		url_of(url, sizeof(url), ntohs(sa.sin_port), 0);
		s = open_store(url, TIMEOUT_MS);
		t0 = now_ms();
		ck_assert_int_eq(store_rate(s, &k, 5, 60, 1, T0, &r), -1);
		dt = now_ms() - t0;
		fprintf(stderr, "note: a silent server (backlog %d): -1 after "
		    "%lld ms\n", backlog, dt);
		ck_assert_int_lt(dt, 2 * TIMEOUT_MS);
		ck_assert_int_ge(dt, TIMEOUT_MS / 2);
		t0 = now_ms();
		ck_assert_int_eq(store_grey(s, &k, &k, 60, 60, 0, T0, &g), -1);
		ck_assert_int_lt(now_ms() - t0, 20);
		store_free(s);
		for (int i = 0; i < 4; i++)
			if (fill[i] >= 0)
				close(fill[i]);
		close(fd);
	}
}
END_TEST

/* A fake server answering every command with one canned reply. */
struct fake {
	int fd;
	const char *reply;
	atomic_bool stop;
};

/* command_end - the length of the first whole RESP command in buf[0..n),
 * or 0 when it is not all there. */
static size_t
command_end(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl;
	long args, len;

	if (n == 0 || *p != '*' || (nl = memchr(p, '\n', n)) == NULL)
		return 0;
	args = strtol(p + 1, NULL, 10);
	p = nl + 1;
	while (args-- > 0) {
		if (p >= end || *p != '$' || (nl = memchr(p, '\n', (size_t)(end -
		    p))) == NULL)
			return 0;
		len = strtol(p + 1, NULL, 10);
		p = nl + 1 + len + 2;
		if (p > end)
			return 0;
	}
	return (size_t)(p - buf);
}

/* fake_serve - serve connections one at a time until stopped. */
static void *
fake_serve(void *arg)
{
	struct fake *f = arg;

	while (!atomic_load(&f->stop)) {
		struct pollfd pfd = { f->fd, POLLIN, 0 };
		char buf[8192];
		size_t have = 0;
		int c;

		if (poll(&pfd, 1, 50) <= 0 || (c = accept(f->fd, NULL,
		    NULL)) < 0)
			continue;
		for (;;) {
			ssize_t got;
			size_t used;

			pfd.fd = c;
			if (atomic_load(&f->stop) || poll(&pfd, 1, 50) < 0)
				break;
			if (pfd.revents == 0)
				continue;
			if ((got = read(c, buf + have, sizeof(buf) - have)) <= 0)
				break;
			have += (size_t)got;
			while ((used = command_end(buf, have)) > 0) {
				(void)!write(c, f->reply, strlen(f->reply));
				memmove(buf, buf + used, have - used);
				have -= used;
			}
			if (have == sizeof(buf))
				break;
		}
		close(c);
	}
	return NULL;
}

/* Replies a script never gives (the wrong type, too short, NULL, bad
 * numbers, a protocol error): -1, no crash, nothing leaked. */
START_TEST(test_bad_replies)
{
	static const struct {
		const char *reply;
		bool rate_ok, peek_ok, reset_ok, grey_ok;
	} cases[] = {
		{ "+OK\r\n", 0, 0, 0, 0 },
		{ ":1\r\n", 0, 0, 1, 0 },
		{ "$-1\r\n", 0, 0, 0, 0 },
		{ "*-1\r\n", 0, 0, 0, 0 },
		{ "*0\r\n", 0, 0, 0, 0 },
		{ "*1\r\n:1\r\n", 0, 0, 0, 0 },
		{ "$1\r\n3\r\n", 0, 1, 0, 0 },
		{ "$0\r\n\r\n", 0, 0, 0, 0 },
		{ "$5\r\n1e999\r\n", 0, 0, 0, 0 },
		{ "$3\r\nnan\r\n", 0, 0, 0, 0 },
		{ "$2\r\n3x\r\n", 0, 0, 0, 0 },
		{ "*2\r\n:0\r\n$1\r\n4\r\n", 1, 0, 0, 0 },
		{ "*2\r\n$1\r\nx\r\n$1\r\ny\r\n", 0, 0, 0, 0 },
		{ "*2\r\n:1\r\n$1\r\n5\r\n", 0, 0, 0, 0 },
		{ "*3\r\n:0\r\n$1\r\n5\r\n:7\r\n", 0, 0, 0, 0 },
		{ "*4\r\n:1\r\n$1\r\n5\r\n$1\r\n5\r\n:0\r\n", 0, 0, 0, 0 },
		{ "*4\r\n:1\r\n$1\r\n5\r\n$1\r\n5\r\n$1\r\n0\r\n", 1, 0, 0, 0 },
		{ "*3\r\n:9\r\n:0\r\n:0\r\n", 0, 0, 0, 0 },
		{ "*3\r\n:-1\r\n:0\r\n:0\r\n", 0, 0, 0, 0 },
		{ "*3\r\n:1\r\n:20\r\n:0\r\n", 0, 0, 0, 1 },
		{ "*3\r\n$1\r\n1\r\n:0\r\n:0\r\n", 0, 0, 0, 0 },
		{ "*2\r\n*1\r\n:1\r\n$1\r\n1\r\n", 0, 0, 0, 0 },
		{ "*3\r\n*-1\r\n$-1\r\n:0\r\n", 0, 0, 0, 0 },
		{ "-ERR boom\r\n", 0, 0, 0, 0 },
		{ "-NOSCRIPT No matching script\r\n", 0, 0, 0, 0 },
		{ "%garbage\r\n", 0, 0, 0, 0 },
	};
	struct fake f;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	pthread_t th;
	struct store_key k = key_n(53);
	enum log_level saved;
	char url[100];

	f.fd = socket(AF_INET, SOCK_STREAM, 0);
	atomic_init(&f.stop, false);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(f.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f.fd, 16), 0);
	ck_assert_int_eq(getsockname(f.fd, (struct sockaddr *)&sa, &len), 0);
	url_of(url, sizeof(url), ntohs(sa.sin_port), 0);
	saved = log_get_level();
	log_set_level(LOG_LEVEL_ERROR);	/* a warning each, not checked */
	for (size_t i = 0; i < NELEM(cases); i++) {
		for (int op = 0; op < 4; op++) {
			struct store *s;
			struct store_rate r;
			struct store_grey g;
			double count;
			int rc = 0;
			bool ok = false;

			f.reply = cases[i].reply;
			if (i == 0 && op == 0)
				ck_assert_int_eq(pthread_create(&th, NULL,
				    fake_serve, &f), 0);
			s = open_store(url, TIMEOUT_MS);
			switch (op) {
			case 0:
				rc = store_rate(s, &k, 5, 60, 1, T0, &r);
				ok = cases[i].rate_ok;
				break;
			case 1:
				rc = store_rate_peek(s, &k, 60, T0, &count);
				ok = cases[i].peek_ok;
				break;
			case 2:
				rc = store_rate_reset(s, &k);
				ok = cases[i].reset_ok;
				break;
			case 3:
				rc = store_grey(s, &k, &k, 60, 60, 0, T0, &g);
				ok = cases[i].grey_ok;
				break;
			}
			ck_assert_msg(rc == (ok ? 0 : -1), "reply %zu, "
			    "operation %d: %d", i, op, rc);
			store_free(s);
		}
	}
	log_set_level(saved);
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	close(f.fd);
}
END_TEST

/* URLs: the malformed refused with a sentence saying how to write them,
 * the good ones described with any password hidden. */
START_TEST(test_urls)
{
	static const struct {
		const char *url, *want;
	} bad[] = {
		{ "redis://", "has no host" },
		{ "redis://:6379/0", "has no host" },
		{ "redis:///0", "has no host" },
		{ "redis://h:0/0", "port is not a number from 1 to 65535" },
		{ "redis://h:65536", "port is not a number" },
		{ "redis://h:abc/0", "port is not a number" },
		{ "redis://h:/0", "port is not a number" },
		{ "redis://h/x", "database is not a number" },
		{ "redis://h/-1", "database is not a number" },
		{ "redis://h/99999999999", "database is not a number" },
		{ "redis://h/0/x", "database is not a number" },
		{ "redis://h/0?db=1", "something after the database" },
		{ "redis://h?x", "something after the database" },
		{ "redis://user@h", "password after a colon" },
		{ "redis://:@h", "password after a colon" },
		{ "redis://:p%zz@h", "bad %-escape" },
		{ "redis://:p%4@h", "bad %-escape" },
		{ "redis://:p%00@h", "bad %-escape" },
		{ "redis://fe80::1/0", "IPv6 address in brackets" },
		{ "redis://[::1/0", "no closing bracket" },
		{ "redis://ho st", "host has a ' '" },
		{ "redis://h%41", "host has a '%'" },
		{ "redis+unix://", "full path" },
		{ "redis+unix:///", "full path" },
		{ "redis+unix://host/tmp/s", "full path" },
		{ "redis+unix:///tmp/s?db=a", "only the database" },
		{ "redis+unix:///tmp/s?db=", "only the database" },
		{ "redis+unix:///tmp/s?foo=1", "only the database" },
		{ "http://h", "begins redis://" },
		{ "rediss://h", "begins redis://" },
	};
	static const struct {
		const char *url, *desc;
	} good[] = {
		{ "redis://127.0.0.1", "redis://127.0.0.1:6379/0" },
		{ "redis://localhost:6380/2", "redis://localhost:6380/2" },
		{ "redis://h/", "redis://h:6379/0" },
		{ "redis://mx-1.example_net:1/15", "redis://mx-1.example_net:1/15" },
		{ "redis://:s3cret@h:1/3", "redis://:***@h:1/3" },
		{ "redis://u:p%40ss@h", "redis://u:***@h:6379/0" },
		{ "redis://:a@b@h", "redis://:***@h:6379/0" },
		{ "redis://[::1]:7000/", "redis://[::1]:7000/0" },
		{ "redis://[::1]", "redis://[::1]:6379/0" },
		{ "redis+unix:///run/redis.sock", "redis+unix:///run/redis.sock" },
		{ "redis+unix:///run/redis.sock?db=4",
		    "redis+unix:///run/redis.sock?db=4" },
		{ "redis+unix://:pw@/run/r.sock", "redis+unix://:***@/run/r.sock" },
	};
	char err[256], longurl[300];

	for (size_t i = 0; i < NELEM(bad); i++) {
		struct store *s;

		err[0] = '\0';
		s = store_redis_new(bad[i].url, 100, err, sizeof(err));
		ck_assert_msg(s == NULL, "%s accepted", bad[i].url);
		ck_assert_msg(strstr(err, bad[i].want) != NULL,
		    "%s: \"%s\" does not say \"%s\"", bad[i].url, err,
		    bad[i].want);
		ck_assert_int_eq(store_url_check(bad[i].url, err,
		    sizeof(err)), -1);
	}
	snprintf(longurl, sizeof(longurl), "redis+unix:///%0120d", 0);
	ck_assert_ptr_null(store_redis_new(longurl, 100, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "longer than 107 bytes"));
	for (size_t i = 0; i < NELEM(good); i++) {
		struct store *s = store_redis_new(good[i].url, 100, err,
		    sizeof(err));

		ck_assert_msg(s != NULL, "%s: %s", good[i].url, err);
		ck_assert_str_eq(store_describe(s), good[i].desc);
		ck_assert_int_eq(store_url_check(good[i].url, err,
		    sizeof(err)), 0);
		store_free(s);
	}
	/* Nothing is connected at construction: a server down is fine. */
	ck_assert_int_eq(store_url_check("redis://127.0.0.1:1/0", err,
	    sizeof(err)), 0);
	store_free(NULL);
}
END_TEST

/* redis+unix:// to the server's socket, in the database asked for. */
START_TEST(test_unix_socket)
{
	struct store *s0 = store_under_test(), *s;
	struct store_key k = key_n(60);
	struct store_rate r;
	struct store_grey g;
	redisContext *ac = admin();
	redisReply *v;
	char url[600];

	snprintf(url, sizeof(url), "redis+unix://%s?db=3", server_sock);
	s = open_store(url, 1000);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(store_rate(s, &k, 2, 60, 1, T0, &r), 0);
	ck_assert(r.over);
	ck_assert_int_eq(store_grey(s, &k, &k, 60, 60, 0, T0, &g), 0);
	ck_assert_int_eq(g.state, STORE_GREY_NEW);
	v = redisCommand(ac, "KEYS replymilter:*");
	ck_assert_uint_eq(v->elements, 0);	/* not in database 0 */
	freeReplyObject(v);
	v = redisCommand(ac, "SELECT 3");
	freeReplyObject(v);
	v = redisCommand(ac, "KEYS replymilter:*");
	ck_assert_uint_eq(v->elements, 3);
	freeReplyObject(v);
	v = redisCommand(ac, "FLUSHDB");
	freeReplyObject(v);
	redisFree(ac);
	store_free(s);
	snprintf(url, sizeof(url), "redis+unix://%s", server_sock);
	s = open_store(url, 1000);
	ck_assert_int_eq(store_rate(s, &k, 2, 60, 1, T0, &r), 0);
	ck_assert(!r.over);
	store_free(s);
	store_free(s0);
}
END_TEST

/* The speed against loopback Redis, as a note: 10,000 rate events and
 * 10,000 greylisting attempts in one thread, and rate events in four. */
START_TEST(test_speed)
{
	struct store *s = store_under_test();
	struct store_rate r;
	struct store_grey g;
	struct racer rs[4];
	pthread_t t[4];
	long long t0, dt;

	t0 = now_ms();
	for (unsigned i = 0; i < 10000; i++) {
		struct store_key k = key_n(i % 100);

		ck_assert_int_eq(store_rate(s, &k, 1000000, 60, 1, T0, &r), 0);
	}
	dt = now_ms() - t0;
	fprintf(stderr, "note: 10000 rate operations in %lld ms: %.0f ops/s "
	    "(one thread, loopback Redis)\n", dt, 10000.0 * 1000 /
	    (double)(dt > 0 ? dt : 1));
	t0 = now_ms();
	for (unsigned i = 0; i < 10000; i++) {
		struct store_key k = key_n(1000 + i), c = key_n(i % 50);

		ck_assert_int_eq(store_grey(s, &k, &c, 60, 3600, 0, T0, &g), 0);
	}
	dt = now_ms() - t0;
	fprintf(stderr, "note: 10000 greylisting operations in %lld ms: "
	    "%.0f ops/s\n", dt, 10000.0 * 1000 / (double)(dt > 0 ? dt : 1));
	t0 = now_ms();
	for (int i = 0; i < 4; i++) {
		rs[i].s = s;
		rs[i].allowed = rs[i].failed = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &rs[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	dt = now_ms() - t0;
	fprintf(stderr, "note: 2000 rate operations on one key in 4 threads "
	    "in %lld ms: %.0f ops/s\n", dt, 2000.0 * 1000 /
	    (double)(dt > 0 ? dt : 1));
	store_free(s);
}
END_TEST

/* store_suite - the contract's cases and Redis's own. */
static Suite *
store_suite(void)
{
	Suite *s = suite_create("store_redis");
	TCase *tc = tcase_create("contract");

	check_store_cases(tc);
	suite_add_tcase(s, tc);
	tc = tcase_create("redis");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_two_hosts);
	tcase_add_test(tc, test_threads_one_counter);
	tcase_add_test(tc, test_keys_hidden_with_ttls);
	tcase_add_test(tc, test_reset_over_windows);
	tcase_add_test(tc, test_same_as_local);
	tcase_add_test(tc, test_numbers_exact);
	tcase_add_test(tc, test_noscript_fallback);
	tcase_add_test(tc, test_idle_connection_closed);
	tcase_add_test(tc, test_server_errors);
	tcase_add_test(tc, test_server_killed);
	tcase_add_test(tc, test_silent_server);
	tcase_add_test(tc, test_bad_replies);
	tcase_add_test(tc, test_urls);
	tcase_add_test(tc, test_unix_socket);
	tcase_add_test(tc, test_speed);
	suite_add_tcase(s, tc);
	return s;
}

/* have_redis_server - whether redis-server is on PATH. */
static bool
have_redis_server(void)
{
	return system("command -v redis-server >/dev/null 2>&1") == 0;
}

/* main - start the server, run the suite, stop the server; 0 when every
 * test passed, 1 otherwise, 77 to skip, 99 when the server would not
 * start. */
int
main(void)
{
	const char *require = getenv("REQUIRE_REDIS_SERVER");
	const char *tmp = getenv("TMPDIR");
	char cmd[600];
	int status;

	if ((status = check_main_live("it starts redis-server on loopback")) !=
	    0)
		return status;
	if (!have_redis_server()) {
		if (require != NULL && strcmp(require, "1") == 0) {
			fprintf(stderr, "FAIL: redis-server is required "
			    "(REQUIRE_REDIS_SERVER=1): install the Debian "
			    "package redis-server\n");
			return EXIT_FAILURE;
		}
		fprintf(stderr, "SKIP: the Redis tests need redis-server "
		    "(Debian package redis-server)\n");
		return 77;
	}
	/* A server gone mid-write must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(server_dir, sizeof(server_dir), "%s/check_store_redis.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(server_dir) == NULL) {
		perror(server_dir);
		return 99;
	}
	snprintf(server_sock, sizeof(server_sock), "%s/redis.sock",
	    server_dir);
	for (int tries = 0; tries < 5; tries++) {
		if ((server_port = free_port()) <= 0)
			continue;
		server_pid = server_start(server_port, server_sock);
		if (server_pid > 0 && server_ready(server_port, 10000))
			break;
		server_stop(server_pid, SIGKILL);
		server_pid = -1;
	}
	if (server_pid <= 0) {
		fprintf(stderr, "FAIL: redis-server did not start (its log is "
		    "in %s)\n", server_dir);
		return 99;
	}
	status = check_main_run(store_suite());
	server_stop(server_pid, SIGTERM);
	if (status == EXIT_SUCCESS) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", server_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "(%s is left over)\n", server_dir);
	} else {
		fprintf(stderr, "the servers' logs are in %s\n", server_dir);
	}
	return status;
}

#endif
