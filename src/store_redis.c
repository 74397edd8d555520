/*
 * store_redis - the store in a Redis server, through hiredis (the
 * contract is in store.h)
 *
 * Each operation is one Lua script run by the server (EVALSHA, and EVAL
 * when the server does not hold the script yet), so a check and its
 * update are one atomic step however many replymilter processes share
 * the server.  The scripts compute what store_local computes, on the
 * caller's time; only TTLs (for the server to forget what is no longer
 * needed) use the server's clock.
 *
 * Keys, the digest as 32 hex digits in a hash tag (so that a key's
 * companions share a Redis Cluster slot):
 *	replymilter:rl:{HEX}:N	a rate bucket: the count of bucket N
 *				(now / window), as a decimal; TTL 2 windows
 *	replymilter:rl:{HEX}:b	a set of the bucket numbers written, so
 *				that a reset (which has no window or time)
 *				deletes exactly them; TTL the longest of its
 *				buckets'
 *	replymilter:gl:t:{HEX}	a triplet, a hash: a (first attempt),
 *				b (passed at, 0 before), e (expires at, the
 *				caller's time); TTL STORE_GREY_RETRY_WINDOW,
 *				then expiry once passed
 *	replymilter:gl:c:{HEX}	a client, a hash: a (triplets passed),
 *				e (expires at); TTL expiry
 *
 * Connections are pooled: an operation takes an idle one (or connects),
 * and gives it back when it worked; one that failed is closed.  A
 * hiredis context is used by one thread at a time, connections are
 * reused across threads (and so across libmilter's sessions), and
 * store_free closes every one, whichever thread made it.  Each operation
 * has timeout_ms in all, connecting included.  After a failure the store
 * fails every operation at once, without touching the network, for a
 * backoff of 100 ms doubling to 5 s; then one operation tries again, and
 * its success ends the backoff.  The connections open at a failure are
 * not used again.  A reused connection that the server had closed (a
 * restart, its idle timeout) is replaced once within the operation.
 * Writing to a closed socket raises SIGPIPE: the process ignores it (the
 * daemon does).
 */
#include "config.h"

#include <stdio.h>

#include "store_impl.h"

#ifndef HAVE_HIREDIS
/* store_redis_new - NULL: this build has no hiredis (said in err). */
struct store *
store_redis_new(const char *url, unsigned timeout_ms, char *err,
    size_t errsize)
{
	(void)url;
	(void)timeout_ms;
	snprintf(err, errsize, "this replymilter is built without Redis: "
	    "install libhiredis-dev, run configure again and rebuild, or "
	    "use the local store");
	return NULL;
}
#else

#include <errno.h>
#include <hiredis/hiredis.h>
#include <limits.h>
#include <math.h>
#include <nettle/sha1.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "log.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define IDLE_MAX 64		/* idle connections kept; more are closed */
#define KEY_MAX 96

/* The rate step.  KEYS: this bucket, the previous one, the set of
 * buckets.  ARGV: limit, window, cost, elapsed (seconds into this
 * bucket), this bucket's number, the buckets' TTL.  Answers {over,
 * estimate} and, when over, this and the previous bucket's counts (for
 * store_rate_retry); numbers as strings, which keep what integers would
 * truncate. */
static const char rate_lua[] =
	"local limit = tonumber(ARGV[1])\n"
	"local window = tonumber(ARGV[2])\n"
	"local cost = tonumber(ARGV[3])\n"
	"local elapsed = tonumber(ARGV[4])\n"
	"local ttl = tonumber(ARGV[6])\n"
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
	"local prev = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"if not cur or not prev then\n"
	"  return redis.error_reply('ERR replymilter: '\n"
	"    .. 'a bucket is not a number')\n"
	"end\n"
	"local est = prev * (1.0 - elapsed / window) + cur\n"
	"if est + cost > limit then\n"
	"  return {1, string.format('%.17g', est),\n"
	"    string.format('%.17g', cur), string.format('%.17g', prev)}\n"
	"end\n"
	"redis.call('SET', KEYS[1], string.format('%.17g', cur + cost),\n"
	"  'EX', ttl)\n"
	"if redis.call('SADD', KEYS[3], ARGV[5]) == 1 then\n"
	"  local base = string.sub(KEYS[3], 1, -2)\n"
	"  for _, n in ipairs(redis.call('SMEMBERS', KEYS[3])) do\n"
	"    if n ~= ARGV[5] and redis.call('EXISTS', base .. n) == 0 then\n"
	"      redis.call('SREM', KEYS[3], n)\n"
	"    end\n"
	"  end\n"
	"end\n"
	"if redis.call('TTL', KEYS[3]) < ttl then\n"
	"  redis.call('EXPIRE', KEYS[3], ttl)\n"
	"end\n"
	"return {0, string.format('%.17g', est)}\n";

/* The estimate, nothing written.  KEYS: this bucket, the previous one.
 * ARGV: window, elapsed.  Answers the estimate as a string. */
static const char peek_lua[] =
	"local window = tonumber(ARGV[1])\n"
	"local elapsed = tonumber(ARGV[2])\n"
	"local cur = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
	"local prev = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"if not cur or not prev then\n"
	"  return redis.error_reply('ERR replymilter: '\n"
	"    .. 'a bucket is not a number')\n"
	"end\n"
	"return string.format('%.17g',\n"
	"  prev * (1.0 - elapsed / window) + cur)\n";

/* Forget a digest's counts.  KEYS: the set of buckets, whose name less
 * its last letter is the buckets' prefix.  Answers 0. */
static const char reset_lua[] =
	"local base = string.sub(KEYS[1], 1, -2)\n"
	"for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  redis.call('DEL', base .. n)\n"
	"end\n"
	"redis.call('DEL', KEYS[1])\n"
	"return 0\n";

/* The greylisting step (store_local's grey_step).  KEYS: the triplet, the
 * client.  ARGV: delay, expiry, auto_allow, now, the retry window.
 * Answers {state, retry_after, delayed}, state 0 new, 1 early, 2 passed,
 * 3 known, 4 auto. */
static const char grey_lua[] =
	"local delay = tonumber(ARGV[1])\n"
	"local expiry = tonumber(ARGV[2])\n"
	"local auto = tonumber(ARGV[3])\n"
	"local now = tonumber(ARGV[4])\n"
	"local rw = tonumber(ARGV[5])\n"
	"local function f(x) return string.format('%.17g', x) end\n"
	"local function live(k)\n"
	"  local v = redis.call('HMGET', k, 'a', 'b', 'e')\n"
	"  local e = tonumber(v[3])\n"
	"  if not e or e <= now then\n"
	"    redis.call('DEL', k)\n"
	"    return nil\n"
	"  end\n"
	"  return {tonumber(v[1]) or 0, tonumber(v[2]) or 0}\n"
	"end\n"
	"local c = live(KEYS[2])\n"
	"if auto > 0 and c and c[1] >= auto then\n"
	"  redis.call('HSET', KEYS[2], 'e', f(now + expiry))\n"
	"  redis.call('EXPIRE', KEYS[2], expiry)\n"
	"  return {4, 0, 0}\n"
	"end\n"
	"local t = live(KEYS[1])\n"
	"if not t then\n"
	"  redis.call('HSET', KEYS[1], 'a', f(now), 'b', '0',\n"
	"    'e', f(now + rw))\n"
	"  redis.call('EXPIRE', KEYS[1], rw)\n"
	"  return {0, delay, 0}\n"
	"end\n"
	"if t[2] ~= 0 then\n"
	"  redis.call('HSET', KEYS[1], 'e', f(now + expiry))\n"
	"  redis.call('EXPIRE', KEYS[1], expiry)\n"
	"  return {3, 0, 0}\n"
	"end\n"
	"if now - t[1] < delay then\n"
	"  return {1, delay - (now - t[1]), 0}\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'b', f(now), 'e', f(now + expiry))\n"
	"redis.call('EXPIRE', KEYS[1], expiry)\n"
	"redis.call('HSET', KEYS[2], 'a', f((c and c[1] or 0) + 1),\n"
	"  'e', f(now + expiry))\n"
	"redis.call('EXPIRE', KEYS[2], expiry)\n"
	"return {2, 0, now - t[1]}\n";

enum script_id {
	SCRIPT_RATE,
	SCRIPT_PEEK,
	SCRIPT_RESET,
	SCRIPT_GREY,
	SCRIPT_COUNT
};

/* The scripts and their SHA-1s in hex (EVALSHA's names for them). */
static struct script {
	const char *text;
	char sha[2 * SHA1_DIGEST_SIZE + 1];
} scripts[SCRIPT_COUNT] = {
	{ rate_lua, "" }, { peek_lua, "" }, { reset_lua, "" }, { grey_lua, "" },
};
static pthread_once_t scripts_once = PTHREAD_ONCE_INIT;

/* One connection, idle in the pool or used by one operation. */
struct conn {
	struct conn *next;
	redisContext *ctx;
	unsigned gen;		/* the store's generation when made */
};

struct store_redis {
	struct store base;
	char *desc;		/* the URL, any password hidden */
	char *host;		/* TCP, or NULL */
	int port;
	char *path;		/* a unix socket, or NULL */
	char *user, *password;	/* AUTH, or NULL */
	unsigned long db;
	unsigned timeout_ms;
	pthread_mutex_t lock;	/* guards idle, nidle */
	struct conn *idle;
	unsigned nidle;
	atomic_uint gen;	/* advanced at every failure */
	atomic_llong retry_at;	/* when the backoff ends (monotonic ms) */
	atomic_uint backoff_ms;	/* the current backoff; 0: none */
};

/* One operation's call: the connection, the reply, and the time left. */
struct call {
	struct conn *conn;
	redisReply *reply;
	long long deadline;	/* monotonic ms */
	char why[240];		/* what failed */
};

/* hash_scripts - nothing; fills in each script's SHA-1. */
static void
hash_scripts(void)
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < SCRIPT_COUNT; i++) {
		struct sha1_ctx ctx;
		uint8_t d[SHA1_DIGEST_SIZE];

		sha1_init(&ctx);
		sha1_update(&ctx, strlen(scripts[i].text),
		    (const uint8_t *)scripts[i].text);
		sha1_digest(&ctx, sizeof(d), d);
		for (unsigned j = 0; j < sizeof(d); j++) {
			scripts[i].sha[2 * j] = hex[d[j] >> 4];
			scripts[i].sha[2 * j + 1] = hex[d[j] & 15];
		}
		scripts[i].sha[2 * sizeof(d)] = '\0';
	}
}

/* mono_ms - the monotonic clock in milliseconds. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* tv_until - the time from now to deadline as a timeval, at least 1 ms
 * (hiredis takes 0 as no timeout at all). */
static struct timeval
tv_until(long long deadline)
{
	long long left = deadline - mono_ms();
	struct timeval tv;

	if (left < 1)
		left = 1;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	return tv;
}

/* gate_open - whether an operation may use the network now: no backoff,
 * or it has ended and this caller won the one try. */
static bool
gate_open(struct store_redis *r)
{
	long long at = atomic_load(&r->retry_at), now, hold;

	if (at == 0)
		return true;
	if ((now = mono_ms()) < at)
		return false;
	/* The others keep failing at once while this one tries (for as long
	 * as it may take); its outcome then sets the time. */
	hold = atomic_load(&r->backoff_ms);
	if (hold < r->timeout_ms)
		hold = r->timeout_ms;
	return atomic_compare_exchange_strong(&r->retry_at, &at, now + hold);
}

/* note_failure - nothing; after a failure said by why on a connection of
 * generation gen, retires the connections of that generation and starts
 * or lengthens the backoff (once per generation: operations failing
 * together count as one failure). */
static void
note_failure(struct store_redis *r, unsigned gen, const char *why)
{
	unsigned b, nb;

	if (!atomic_compare_exchange_strong(&r->gen, &gen, gen + 1))
		return;
	b = atomic_load(&r->backoff_ms);
	nb = b == 0 ? BACKOFF_MIN_MS : b >= BACKOFF_MAX_MS / 2 ?
	    BACKOFF_MAX_MS : 2 * b;
	atomic_store(&r->backoff_ms, nb);
	atomic_store(&r->retry_at, mono_ms() + nb);
	if (b == 0)
		log_warnx("store %s: %s; operations fail at once for %u ms, "
		    "then it is tried again", r->desc, why, nb);
	else
		log_debug("store %s: %s; next try in %u ms", r->desc, why, nb);
}

/* note_success - nothing; ends the backoff when the connection that
 * answered was made after the last failure. */
static void
note_success(struct store_redis *r, const struct conn *c)
{
	if (atomic_load(&r->retry_at) == 0 || c->gen != atomic_load(&r->gen))
		return;
	if (atomic_exchange(&r->retry_at, 0) != 0) {
		atomic_store(&r->backoff_ms, 0);
		log_msg(LOG_LEVEL_NOTICE, "store %s: answering again",
		    r->desc);
	}
}

/* conn_free - nothing; closes c (NULL is harmless). */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL)
		redisFree(c->ctx);
	free(c);
}

/* reply_ok - whether reply is the status OK. */
static bool
reply_ok(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_STATUS &&
	    reply->str != NULL && strcmp(reply->str, "OK") == 0;
}

/* say_reply - nothing; puts into why what went wrong with a command
 * named what, whose reply is reply (NULL: the connection's error). */
static void
say_reply(char *why, size_t whysize, const char *what,
    const redisContext *ctx, const redisReply *reply)
{
	if (reply == NULL)
		snprintf(why, whysize, "%s: %s", what, ctx->err != 0 ?
		    ctx->errstr : "no reply");
	else if (reply->type == REDIS_REPLY_ERROR && reply->str != NULL)
		snprintf(why, whysize, "%s: %.160s", what, reply->str);
	else
		snprintf(why, whysize, "%s: an unexpected reply (type %d)",
		    what, reply->type);
}

/* conn_setup - 0 when ctx has logged in and chosen the database (each
 * command done by deadline), else -1 with why. */
static int
conn_setup(const struct store_redis *r, redisContext *ctx, long long deadline,
    char *why, size_t whysize)
{
	redisReply *reply;
	char db[24];

	if (r->password != NULL) {
		const char *argv[3] = { "AUTH", r->user, r->password };

		if (r->user == NULL)
			argv[1] = r->password;
		redisSetTimeout(ctx, tv_until(deadline));
		reply = redisCommandArgv(ctx, r->user != NULL ? 3 : 2, argv,
		    NULL);
		if (!reply_ok(reply)) {
			say_reply(why, whysize, "AUTH", ctx, reply);
			freeReplyObject(reply);
			return -1;
		}
		freeReplyObject(reply);
	}
	if (r->db != 0) {
		const char *argv[2] = { "SELECT", db };

		snprintf(db, sizeof(db), "%lu", r->db);
		redisSetTimeout(ctx, tv_until(deadline));
		reply = redisCommandArgv(ctx, 2, argv, NULL);
		if (!reply_ok(reply)) {
			say_reply(why, whysize, "SELECT", ctx, reply);
			freeReplyObject(reply);
			return -1;
		}
		freeReplyObject(reply);
	}
	return 0;
}

/* conn_new - a new connection, ready by deadline, or NULL with why. */
static struct conn *
conn_new(struct store_redis *r, long long deadline, char *why,
    size_t whysize)
{
	struct conn *c;
	struct timeval tv = tv_until(deadline);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(why, whysize, "out of memory");
		return NULL;
	}
	c->gen = atomic_load(&r->gen);
	c->ctx = r->host != NULL ? redisConnectWithTimeout(r->host, r->port,
	    tv) : redisConnectUnixWithTimeout(r->path, tv);
	if (c->ctx == NULL) {
		snprintf(why, whysize, "connecting: out of memory");
		free(c);
		return NULL;
	}
	if (c->ctx->err != 0) {
		snprintf(why, whysize, "connecting: %s", c->ctx->errstr);
		conn_free(c);
		return NULL;
	}
	if (conn_setup(r, c->ctx, deadline, why, whysize) != 0) {
		conn_free(c);
		return NULL;
	}
	return c;
}

/* conn_take - an idle connection of this generation (*reused then true),
 * else a new one, or NULL with why. */
static struct conn *
conn_take(struct store_redis *r, long long deadline, bool *reused,
    char *why, size_t whysize)
{
	struct conn *c;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		if ((c = r->idle) != NULL) {
			r->idle = c->next;
			r->nidle--;
		}
		pthread_mutex_unlock(&r->lock);
		if (c == NULL)
			break;
		if (c->gen == atomic_load(&r->gen)) {
			*reused = true;
			return c;
		}
		conn_free(c);	/* open at a failure: not trusted */
	}
	*reused = false;
	return conn_new(r, deadline, why, whysize);
}

/* conn_give - nothing; puts c back in the pool (or closes it when the
 * pool is full). */
static void
conn_give(struct store_redis *r, struct conn *c)
{
	pthread_mutex_lock(&r->lock);
	if (r->nidle < IDLE_MAX) {
		c->next = r->idle;
		r->idle = c;
		r->nidle++;
		c = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	conn_free(c);
}

/* run_script - the reply of script on c (EVAL when the server does not
 * hold it), or NULL with why and the failing call's errno in *err; an
 * error reply is a failure too. */
static redisReply *
run_script(struct conn *c, enum script_id id, long long deadline,
    unsigned nkeys, const char *const *keys, unsigned nargs,
    const char *const *args, int *err, char *why, size_t whysize)
{
	const char *argv[16];
	char nk[8];
	redisReply *reply;
	unsigned argc = 0;

	snprintf(nk, sizeof(nk), "%u", nkeys);
	argv[argc++] = "EVALSHA";
	argv[argc++] = scripts[id].sha;
	argv[argc++] = nk;
	for (unsigned i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (unsigned i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	redisSetTimeout(c->ctx, tv_until(deadline));
	errno = 0;
	reply = redisCommandArgv(c->ctx, (int)argc, argv, NULL);
	*err = errno;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    reply->str != NULL && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(reply);
		argv[0] = "EVAL";
		argv[1] = scripts[id].text;
		redisSetTimeout(c->ctx, tv_until(deadline));
		errno = 0;
		reply = redisCommandArgv(c->ctx, (int)argc, argv, NULL);
		*err = errno;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		say_reply(why, whysize, "a script", c->ctx, reply);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* stale - whether c failed because the server had closed it (so that
 * the command never ran), errno being the call's. */
static bool
stale(const struct conn *c, int err)
{
	return c->ctx->err == REDIS_ERR_EOF || (c->ctx->err == REDIS_ERR_IO &&
	    (err == EPIPE || err == ECONNRESET));
}

/* call_begin - 0 with the script's reply in *call, or -1 (failure noted,
 * nothing to end). */
static int
call_begin(struct store_redis *r, struct call *call, enum script_id id,
    unsigned nkeys, const char *const *keys, unsigned nargs,
    const char *const *args)
{
	bool reused;
	unsigned gen;
	int err = 0;

	memset(call, 0, sizeof(*call));
	if (!gate_open(r))
		return -1;	/* backing off: not a new failure */
	gen = atomic_load(&r->gen);
	call->deadline = mono_ms() + r->timeout_ms;
	call->conn = conn_take(r, call->deadline, &reused, call->why,
	    sizeof(call->why));
	if (call->conn == NULL) {
		note_failure(r, gen, call->why);
		return -1;
	}
	gen = call->conn->gen;
	call->reply = run_script(call->conn, id, call->deadline, nkeys, keys,
	    nargs, args, &err, call->why, sizeof(call->why));
	if (call->reply == NULL && reused && stale(call->conn, err)) {
		/* Closed while idle: once more on a new connection. */
		conn_free(call->conn);
		call->conn = conn_new(r, call->deadline, call->why,
		    sizeof(call->why));
		if (call->conn != NULL)
			call->reply = run_script(call->conn, id,
			    call->deadline, nkeys, keys, nargs, args, &err,
			    call->why, sizeof(call->why));
	}
	if (call->reply == NULL) {
		conn_free(call->conn);
		note_failure(r, gen, call->why);
		return -1;
	}
	return 0;
}

/* call_end - rc; frees the reply, and keeps the connection when rc is 0
 * (else closes it, the reply not being what the script answers). */
static int
call_end(struct store_redis *r, struct call *call, int rc)
{
	if (rc == 0) {
		note_success(r, call->conn);
		conn_give(r, call->conn);
	} else {
		snprintf(call->why, sizeof(call->why), "a script's answer is "
		    "not of its form (a reply of type %d)", call->reply->type);
		note_failure(r, call->conn->gen, call->why);
		conn_free(call->conn);
	}
	freeReplyObject(call->reply);
	return rc;
}

/* reply_number - 0 with the decimal string reply's value in *out, or -1
 * when reply is not one. */
static int
reply_number(const redisReply *reply, double *out)
{
	char buf[64], *end;

	if (reply->type != REDIS_REPLY_STRING || reply->str == NULL ||
	    reply->len == 0 || reply->len >= sizeof(buf))
		return -1;
	memcpy(buf, reply->str, reply->len);
	buf[reply->len] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	return *end == '\0' && errno == 0 && isfinite(*out) ? 0 : -1;
}

/* reply_ints - whether reply is an array of n integers. */
static bool
reply_ints(const redisReply *reply, size_t n)
{
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (reply->element[i] == NULL ||
		    reply->element[i]->type != REDIS_REPLY_INTEGER)
			return false;
	return true;
}

/* hex_of - nothing; key's digest as 32 hex digits into hex. */
static void
hex_of(const struct store_key *key, char hex[2 * sizeof(key->digest) + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < sizeof(key->digest); i++) {
		hex[2 * i] = digits[key->digest[i] >> 4];
		hex[2 * i + 1] = digits[key->digest[i] & 15];
	}
	hex[2 * sizeof(key->digest)] = '\0';
}

/* bucket_keys - nothing; the names of key's bucket n, bucket n - 1 and
 * set of buckets into cur, prev and set (each KEY_MAX bytes). */
static void
bucket_keys(const struct store_key *key, long long n, char *cur, char *prev,
    char *set)
{
	char hex[2 * sizeof(key->digest) + 1];

	hex_of(key, hex);
	if (cur != NULL)
		snprintf(cur, KEY_MAX, "replymilter:rl:{%s}:%lld", hex, n);
	if (prev != NULL)
		snprintf(prev, KEY_MAX, "replymilter:rl:{%s}:%lld", hex, n - 1);
	if (set != NULL)
		snprintf(set, KEY_MAX, "replymilter:rl:{%s}:b", hex);
}

/* redis_rate - store_rate on the server: 0 with *out, or -1. */
static int
redis_rate(struct store *s, const struct store_key *key, unsigned long limit,
    unsigned window, unsigned long cost, long long now, struct store_rate *out)
{
	struct store_redis *r = (struct store_redis *)s;
	char cur[KEY_MAX], prev[KEY_MAX], set[KEY_MAX];
	char a_limit[24], a_window[16], a_cost[24], a_elapsed[24], a_n[24];
	char a_ttl[24];
	const char *keys[3] = { cur, prev, set };
	const char *args[6] = { a_limit, a_window, a_cost, a_elapsed, a_n,
	    a_ttl };
	long long n, elapsed;
	double c, p;
	struct call call;
	redisReply *rp;

	if (window == 0)
		return -1;
	n = now / window;
	elapsed = now - n * window;
	bucket_keys(key, n, cur, prev, set);
	snprintf(a_limit, sizeof(a_limit), "%lu", limit);
	snprintf(a_window, sizeof(a_window), "%u", window);
	snprintf(a_cost, sizeof(a_cost), "%lu", cost);
	snprintf(a_elapsed, sizeof(a_elapsed), "%lld", elapsed);
	snprintf(a_n, sizeof(a_n), "%lld", n);
	snprintf(a_ttl, sizeof(a_ttl), "%llu", 2ULL * window);
	if (call_begin(r, &call, SCRIPT_RATE, 3, keys, 6, args) != 0)
		return -1;
	rp = call.reply;
	if (rp->type != REDIS_REPLY_ARRAY || rp->elements < 2 ||
	    rp->element[0]->type != REDIS_REPLY_INTEGER ||
	    reply_number(rp->element[1], &out->count) != 0)
		return call_end(r, &call, -1);
	out->over = rp->element[0]->integer != 0;
	out->retry_after = 0;
	if (out->over) {
		if (rp->elements != 4 ||
		    reply_number(rp->element[2], &c) != 0 ||
		    reply_number(rp->element[3], &p) != 0)
			return call_end(r, &call, -1);
		out->retry_after = store_rate_retry(c, p, limit, window, cost,
		    elapsed);
	} else if (rp->elements != 2) {
		return call_end(r, &call, -1);
	}
	return call_end(r, &call, 0);
}

/* redis_rate_peek - store_rate_peek on the server: 0 with *count, or
 * -1. */
static int
redis_rate_peek(struct store *s, const struct store_key *key,
    unsigned window, long long now, double *count)
{
	struct store_redis *r = (struct store_redis *)s;
	char cur[KEY_MAX], prev[KEY_MAX], a_window[16], a_elapsed[24];
	const char *keys[2] = { cur, prev };
	const char *args[2] = { a_window, a_elapsed };
	long long n;
	struct call call;

	if (window == 0)
		return -1;
	n = now / window;
	bucket_keys(key, n, cur, prev, NULL);
	snprintf(a_window, sizeof(a_window), "%u", window);
	snprintf(a_elapsed, sizeof(a_elapsed), "%lld", now - n * window);
	if (call_begin(r, &call, SCRIPT_PEEK, 2, keys, 2, args) != 0)
		return -1;
	return call_end(r, &call, reply_number(call.reply, count));
}

/* redis_rate_reset - store_rate_reset on the server: 0, or -1. */
static int
redis_rate_reset(struct store *s, const struct store_key *key)
{
	struct store_redis *r = (struct store_redis *)s;
	char set[KEY_MAX];
	const char *keys[1] = { set };
	struct call call;

	bucket_keys(key, 0, NULL, NULL, set);
	if (call_begin(r, &call, SCRIPT_RESET, 1, keys, 0, NULL) != 0)
		return -1;
	return call_end(r, &call, call.reply->type == REDIS_REPLY_INTEGER ?
	    0 : -1);
}

/* redis_grey - store_grey on the server: 0 with *out, or -1. */
static int
redis_grey(struct store *s, const struct store_key *triplet,
    const struct store_key *client, unsigned delay, unsigned expiry,
    unsigned auto_allow, long long now, struct store_grey *out)
{
	static const enum store_grey_state states[] = {
		STORE_GREY_NEW, STORE_GREY_EARLY, STORE_GREY_PASSED,
		STORE_GREY_KNOWN, STORE_GREY_AUTO
	};
	struct store_redis *r = (struct store_redis *)s;
	char tkey[KEY_MAX], ckey[KEY_MAX], hex[2 * sizeof(triplet->digest) + 1];
	char a_delay[16], a_expiry[16], a_auto[16], a_now[24], a_rw[16];
	const char *keys[2] = { tkey, ckey };
	const char *args[5] = { a_delay, a_expiry, a_auto, a_now, a_rw };
	struct call call;
	long long state;

	hex_of(triplet, hex);
	snprintf(tkey, sizeof(tkey), "replymilter:gl:t:{%s}", hex);
	hex_of(client, hex);
	snprintf(ckey, sizeof(ckey), "replymilter:gl:c:{%s}", hex);
	snprintf(a_delay, sizeof(a_delay), "%u", delay);
	snprintf(a_expiry, sizeof(a_expiry), "%u", expiry);
	snprintf(a_auto, sizeof(a_auto), "%u", auto_allow);
	snprintf(a_now, sizeof(a_now), "%lld", now);
	snprintf(a_rw, sizeof(a_rw), "%d", STORE_GREY_RETRY_WINDOW);
	if (call_begin(r, &call, SCRIPT_GREY, 2, keys, 5, args) != 0)
		return -1;
	if (!reply_ints(call.reply, 3) ||
	    (state = call.reply->element[0]->integer) < 0 ||
	    state >= (long long)(sizeof(states) / sizeof(states[0])))
		return call_end(r, &call, -1);
	memset(out, 0, sizeof(*out));
	out->state = states[state];
	out->retry_after = (unsigned)call.reply->element[1]->integer;
	out->delayed = (unsigned)call.reply->element[2]->integer;
	return call_end(r, &call, 0);
}

/* redis_stats - nothing; no keys counted or evicted here. */
static void
redis_stats(const struct store *s, struct store_stats *out)
{
	(void)s;
	out->keys = 0;		/* not asked: a round trip, and shared */
	out->evicted = 0;
}

/* redis_free - nothing; closes every idle connection and frees r. */
static void
redis_free(struct store *s)
{
	struct store_redis *r = (struct store_redis *)s;
	struct conn *c, *next;

	for (c = r->idle; c != NULL; c = next) {
		next = c->next;
		conn_free(c);
	}
	pthread_mutex_destroy(&r->lock);
	free(r->desc);
	free(r->host);
	free(r->path);
	free(r->user);
	free(r->password);
	free(r);
}

static const struct store_ops redis_ops = {
	redis_rate, redis_rate_peek, redis_rate_reset, redis_grey,
	redis_stats, redis_free,
};

/* hex_digit - the value of the hex digit ch, or -1. */
static int
hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* unescape - a copy of the n bytes at p with %XX decoded, or NULL (a bad
 * escape when *bad, else out of memory). */
static char *
unescape(const char *p, size_t n, bool *bad)
{
	char *out = malloc(n + 1), *o = out;

	*bad = false;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (p[i] != '%') {
			*o++ = p[i];
			continue;
		}
		if (i + 2 >= n || (hi = hex_digit(p[i + 1])) < 0 ||
		    (lo = hex_digit(p[i + 2])) < 0 || (hi == 0 && lo == 0)) {
			*bad = true;
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		i += 2;
	}
	*o = '\0';
	return out;
}

/* parse_number - 0 with the decimal digits p[0..n) in *out (at most max),
 * else -1. */
static int
parse_number(const char *p, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* parse_userinfo - 0 with the user (or NULL) and password of the n bytes
 * at p ("[USER]:PASSWORD") in r, else -1 with a sentence in err. */
static int
parse_userinfo(struct store_redis *r, const char *p, size_t n, char *err,
    size_t errsize)
{
	const char *colon = memchr(p, ':', n);
	bool bad;

	if (colon == NULL || colon + 1 == p + n) {
		snprintf(err, errsize, "a Redis URL gives its password after "
		    "a colon, before the host: redis://:PASSWORD@HOST:PORT/DB "
		    "(or USER:PASSWORD@ for a Redis 6 user)");
		return -1;
	}
	if (colon > p && (r->user = unescape(p, (size_t)(colon - p),
	    &bad)) == NULL)
		goto fail;
	if ((r->password = unescape(colon + 1, (size_t)(p + n - colon - 1),
	    &bad)) == NULL)
		goto fail;
	return 0;
fail:
	snprintf(err, errsize, bad ? "the Redis URL's user or password has "
	    "a bad %%-escape: write a byte as %% and two hex digits (%%40 for "
	    "@), not %%00" : "out of memory");
	return -1;
}

/* parse_tcp - 0 with the host, port and database of s (what follows
 * "redis://" and any user and password) in r, else -1 with a sentence
 * in err. */
static int
parse_tcp(struct store_redis *r, const char *s, char *err, size_t errsize)
{
	const char *host = s, *host_end, *p;
	bool bracketed = *s == '[';
	unsigned long v;

	if (bracketed) {
		host = s + 1;
		if ((host_end = strchr(host, ']')) == NULL) {
			snprintf(err, errsize, "the Redis URL's IPv6 address "
			    "has no closing bracket: "
			    "redis://[ADDRESS]:PORT/DB");
			return -1;
		}
		p = host_end + 1;
	} else {
		host_end = host + strcspn(host, ":/?#");
		p = host_end;
		if (*p == ':' && memchr(p + 1, ':', strcspn(p + 1, "/?#")) !=
		    NULL) {
			snprintf(err, errsize, "write the Redis URL's IPv6 "
			    "address in brackets: redis://[ADDRESS]:PORT/DB");
			return -1;
		}
	}
	if (host_end == host) {
		snprintf(err, errsize, "the Redis URL has no host: write "
		    "redis://HOST:PORT/DB (a name or an address)");
		return -1;
	}
	for (const char *q = host; q < host_end; q++)
		if (!(*q >= 'a' && *q <= 'z') && !(*q >= 'A' && *q <= 'Z') &&
		    !(*q >= '0' && *q <= '9') && strchr(".-_", *q) == NULL &&
		    !(bracketed && strchr(":%", *q) != NULL)) {
			snprintf(err, errsize, "the Redis URL's host has a "
			    "'%c': write a name, an IPv4 address, or an IPv6 "
			    "address in brackets", *q);
			return -1;
		}
	if ((r->host = strndup(host, (size_t)(host_end - host))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->port = 6379;
	if (*p == ':') {
		size_t n = strcspn(p + 1, "/?#");

		if (parse_number(p + 1, n, 65535, &v) != 0 || v == 0) {
			snprintf(err, errsize, "the Redis URL's port is not a "
			    "number from 1 to 65535: write "
			    "redis://HOST:PORT/DB "
			    "(6379 when left out)");
			return -1;
		}
		r->port = (int)v;
		p += 1 + n;
	}
	if (*p == '/') {
		size_t n = strcspn(p + 1, "?#");

		if (n > 0 && parse_number(p + 1, n, INT_MAX, &r->db) != 0) {
			snprintf(err, errsize, "the Redis URL's database is "
			    "not a number: write redis://HOST:PORT/DB, DB "
			    "from 0 (0 when left out)");
			return -1;
		}
		p += 1 + n;
	}
	if (*p != '\0') {
		snprintf(err, errsize, "the Redis URL has something after the "
		    "database: write redis://HOST:PORT/DB and nothing more");
		return -1;
	}
	return 0;
}

/* parse_unix - 0 with the path and database of s (what follows
 * "redis+unix://" and any user and password, "/PATH?db=N") in r, else -1
 * with a sentence in err. */
static int
parse_unix(struct store_redis *r, const char *s, char *err, size_t errsize)
{
	size_t n = strcspn(s, "?#");
	const char *q = s + n;

	if (*s != '/' || n < 2) {
		snprintf(err, errsize, "a redis+unix URL names the socket's "
		    "full path after the two slashes: redis+unix:///PATH "
		    "(three slashes in all)");
		return -1;
	}
	if (n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errsize, "the Redis socket's path is longer "
		    "than %zu bytes: use a shorter one",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return -1;
	}
	if ((r->path = strndup(s, n)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (*q == '\0')
		return 0;
	if (strncmp(q, "?db=", 4) != 0 || parse_number(q + 4, strlen(q + 4),
	    INT_MAX, &r->db) != 0) {
		snprintf(err, errsize, "a redis+unix URL takes only the "
		    "database after the path: redis+unix:///PATH?db=N");
		return -1;
	}
	return 0;
}

/* describe - 0 with r's URL, any password hidden, in r->desc, or -1. */
static int
describe(struct store_redis *r)
{
	const char *user = r->user != NULL ? r->user : "";
	const char *who = r->password != NULL ? ":***@" : "";
	int n;

	if (r->password == NULL)
		user = "";
	if (r->host != NULL && strchr(r->host, ':') != NULL)
		n = asprintf(&r->desc, "redis://%s%s[%s]:%d/%lu", user, who,
		    r->host, r->port, r->db);
	else if (r->host != NULL)
		n = asprintf(&r->desc, "redis://%s%s%s:%d/%lu", user, who,
		    r->host, r->port, r->db);
	else if (r->db != 0)
		n = asprintf(&r->desc, "redis+unix://%s%s%s?db=%lu", user, who,
		    r->path, r->db);
	else
		n = asprintf(&r->desc, "redis+unix://%s%s%s", user, who,
		    r->path);
	if (n < 0) {
		r->desc = NULL;
		return -1;
	}
	r->base.desc = r->desc;
	return 0;
}

/* store_redis_new - a store on the server at url, not yet connected, or
 * NULL with a sentence in err (store.h). */
struct store *
store_redis_new(const char *url, unsigned timeout_ms, char *err,
    size_t errsize)
{
	struct store_redis *r;
	const char *rest, *auth_end, *at = NULL;
	bool is_unix;
	int rc;

	if (strncmp(url, "redis://", 8) == 0) {
		is_unix = false;
		rest = url + 8;
	} else if (strncmp(url, "redis+unix://", 13) == 0) {
		is_unix = true;
		rest = url + 13;
	} else {
		snprintf(err, errsize, "a Redis URL begins redis:// "
		    "(redis://HOST:PORT/DB) or redis+unix:// "
		    "(redis+unix:///PATH)");
		return NULL;
	}
	pthread_once(&scripts_once, hash_scripts);
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	r->base.ops = &redis_ops;
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	pthread_mutex_init(&r->lock, NULL);
	/* The user and password end at the last '@' before the path. */
	auth_end = rest + strcspn(rest, "/?#");
	for (const char *p = rest; p < auth_end; p++)
		if (*p == '@')
			at = p;
	rc = 0;
	if (at != NULL) {
		rc = parse_userinfo(r, rest, (size_t)(at - rest), err, errsize);
		rest = at + 1;
	}
	if (rc == 0)
		rc = is_unix ? parse_unix(r, rest, err, errsize) :
		    parse_tcp(r, rest, err, errsize);
	if (rc == 0 && describe(r) != 0) {
		snprintf(err, errsize, "out of memory");
		rc = -1;
	}
	if (rc != 0) {
		redis_free(&r->base);
		return NULL;
	}
	return &r->base;
}

#endif
