/*
 * dns - the one resolver every check uses
 *
 * Queries are made with res_nmkquery and res_nsend (not res_nquery, which
 * folds NXDOMAIN, SERVFAIL and a timeout into h_errno) on a resolver state
 * of the calling thread's own, so the full RCODE is ours to read.  Each
 * thread has two states, made with res_ninit on first use and released
 * when the thread ends: one left as /etc/resolv.conf made it, for the
 * system resolvers, and one whose single name server is rewritten before
 * every query to the configured one (IPv4 in nsaddr_list[0]; IPv6 the way
 * glibc itself keeps an IPv6 name server: nsaddr_list[0].sin_family 0 and
 * the address in _u._ext.nsaddrs[0]).  libresolv counts timeouts in whole
 * seconds: timeout_ms is rounded up to the next second.  A thread's
 * states are released when it ends (the one that calls exit, at exit).
 *
 * The cache is a hash of (resolver, lower-cased name, type) to the answer:
 * its status, the packet, and the records parsed from it for the five
 * typed lookups, all in the cache's arena.  (A connection has one
 * resolver; keeping resolvers apart costs nothing and is never wrong.)
 * Failures are cached too, so a connection whose DNS times out waits
 * once, not once per check.
 */
#include "config.h"

#include "checks/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "log.h"

/* The largest DNS message (TCP). */
#define DNS_PACKET_MAX 65536
/* The longest name in presentation form, without the final dot. */
#define DNS_NAME_MAX 253
#define DNS_CACHE_BUCKETS 64
#define DNS_ARENA_BLOCK 8192

struct dns {
	bool system;			/* /etc/resolv.conf's servers */
	int family;			/* AF_INET or AF_INET6 */
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	int retrans;			/* seconds per try */
	int retry;			/* tries */
	char desc[INET6_ADDRSTRLEN + 16];
};

/* One cached answer; everything it points to lives in the cache's arena. */
struct dns_entry {
	struct dns_entry *next;
	const struct dns *d;		/* who answered */
	uint32_t hash;
	int type;
	const char *name;		/* lower case, no final dot */
	enum dns_status status;
	const unsigned char *packet;	/* NULL when no answer came */
	int len;
	unsigned n;			/* records of type in the answer */
	void *records;			/* parsed, for the typed lookups */
};

struct dns_cache {
	struct arena *arena;
	struct dns_entry **buckets;
	unsigned nbuckets;
	unsigned count;
};

/* A thread's resolver states. */
struct dns_thread {
	struct __res_state system;
	struct __res_state own;
	bool system_ok, own_ok;
};

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;
static int thread_key_error;

/* thread_free - release a thread's resolver states (key destructor). */
static void
thread_free(void *arg)
{
	struct dns_thread *t = arg;

	if (t->system_ok)
		res_nclose(&t->system);
	if (t->own_ok)
		res_nclose(&t->own);
	free(t);
}

/* thread_exit - at exit, release the exiting thread's states, which no
 * key destructor frees (glibc's own clean-up would otherwise orphan the
 * resolv.conf data they hold). */
static void
thread_exit(void)
{
	struct dns_thread *t = pthread_getspecific(thread_key);

	if (t != NULL) {
		pthread_setspecific(thread_key, NULL);
		thread_free(t);
	}
}

/* thread_key_init - create the key of the per-thread states, once. */
static void
thread_key_init(void)
{
	thread_key_error = pthread_key_create(&thread_key, thread_free);
	if (thread_key_error == 0 && atexit(thread_exit) != 0)
		log_warnx("dns: atexit failed: the resolver state of the "
		    "thread that exits is not released");
}

/* thread_state - this thread's resolver state for d, or NULL (logged). */
static res_state
thread_state(const struct dns *d)
{
	struct dns_thread *t;

	if (pthread_once(&thread_once, thread_key_init) != 0 ||
	    thread_key_error != 0) {
		log_warnx("dns: cannot create the resolver's thread key");
		return NULL;
	}
	if ((t = pthread_getspecific(thread_key)) == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			log_warnx("dns: out of memory");
			return NULL;
		}
		if (pthread_setspecific(thread_key, t) != 0) {
			free(t);
			log_warnx("dns: cannot set the resolver's thread "
			    "state");
			return NULL;
		}
	}
	if (d->system) {
		if (!t->system_ok) {
			if (res_ninit(&t->system) != 0) {
				log_warnx("dns: res_ninit failed");
				return NULL;
			}
			t->system_ok = true;
		}
		return &t->system;
	}
	if (!t->own_ok) {
		if (res_ninit(&t->own) != 0) {
			log_warnx("dns: res_ninit failed");
			return NULL;
		}
		/* Only name server 0 is ever used: drop the other IPv6
		 * addresses res_ninit may have allocated, which res_nclose
		 * would no longer see once nscount is 1. */
		for (int i = 1; i < MAXNS; i++) {
			free(t->own._u._ext.nsaddrs[i]);
			t->own._u._ext.nsaddrs[i] = NULL;
		}
		t->own.nscount = 1;
		t->own_ok = true;
	}
	return &t->own;
}

/* point_at - aim rs at d's server with d's timeout and tries; 0, or -1
 * when out of memory. */
static int
point_at(res_state rs, const struct dns *d)
{
	rs->retrans = d->retrans;
	rs->retry = d->retry;
	/* One query, one socket, closed after each answer: a thread may
	 * switch servers between two queries. */
	rs->options &= ~(unsigned long)(RES_STAYOPEN | RES_USEVC |
	    RES_ROTATE | RES_IGNTC);
	rs->options |= RES_RECURSE;
	if (d->system)
		return 0;
	rs->nscount = 1;
	if (d->family == AF_INET) {
		rs->nsaddr_list[0] = d->sin;
		return 0;
	}
	if (rs->_u._ext.nsaddrs[0] == NULL &&
	    (rs->_u._ext.nsaddrs[0] = malloc(sizeof(struct sockaddr_in6))) ==
	    NULL)
		return -1;
	memcpy(rs->_u._ext.nsaddrs[0], &d->sin6, sizeof(d->sin6));
	memset(&rs->nsaddr_list[0], 0, sizeof(rs->nsaddr_list[0]));
	return 0;
}

/* parse_port - the port in text (1-65535), or -1. */
static int
parse_port(const char *text)
{
	char *end;
	long port;

	if (*text < '0' || *text > '9')
		return -1;
	errno = 0;
	port = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
		return -1;
	return (int)port;
}

/* dns_new - resolver settings from "IP:PORT" and friends, or NULL. */
struct dns *
dns_new(const char *server, unsigned timeout_ms, unsigned tries, char *err,
    size_t errsize)
{
	struct dns *d;
	char host[INET6_ADDRSTRLEN + 2];
	const char *portp = NULL, *rbr;
	int port = NAMESERVER_PORT;
	size_t hostlen;

	if (timeout_ms == 0 || timeout_ms > 3600000) {
		snprintf(err, errsize, "DNS timeout %u ms out of range "
		    "(1 ms to 1 hour)", timeout_ms);
		return NULL;
	}
	if (tries < 1 || tries > 10) {
		snprintf(err, errsize, "DNS tries %u out of range (1 to 10)",
		    tries);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	d->retrans = (int)((timeout_ms + 999) / 1000);
	d->retry = (int)tries;
	if (server == NULL || *server == '\0') {
		d->system = true;
		snprintf(d->desc, sizeof(d->desc), "system resolvers");
		return d;
	}

	/* "[v6]:port", "[v6]", "v4:port", "v4" or a bare "v6". */
	if (server[0] == '[') {
		if ((rbr = strchr(server, ']')) == NULL)
			goto bad;
		hostlen = (size_t)(rbr - server - 1);
		if (rbr[1] == ':')
			portp = rbr + 2;
		else if (rbr[1] != '\0')
			goto bad;
		if (hostlen >= sizeof(host))
			goto bad;
		memcpy(host, server + 1, hostlen);
		host[hostlen] = '\0';
	} else {
		const char *colon = strchr(server, ':');

		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hostlen = (size_t)(colon - server);
			portp = colon + 1;
		} else
			hostlen = strlen(server);
		if (hostlen >= sizeof(host))
			goto bad;
		memcpy(host, server, hostlen);
		host[hostlen] = '\0';
	}
	if (portp != NULL && (port = parse_port(portp)) < 0) {
		snprintf(err, errsize, "DNS server \"%s\": bad port (want "
		    "1 to 65535)", server);
		free(d);
		return NULL;
	}
	if (inet_pton(AF_INET, host, &d->sin.sin_addr) == 1) {
		d->family = AF_INET;
		d->sin.sin_family = AF_INET;
		d->sin.sin_port = htons((uint16_t)port);
		snprintf(d->desc, sizeof(d->desc), "%s:%d", host, port);
	} else if (inet_pton(AF_INET6, host, &d->sin6.sin6_addr) == 1) {
		d->family = AF_INET6;
		d->sin6.sin6_family = AF_INET6;
		d->sin6.sin6_port = htons((uint16_t)port);
		snprintf(d->desc, sizeof(d->desc), "[%s]:%d", host, port);
	} else
		goto bad;
	return d;
bad:
	snprintf(err, errsize, "DNS server \"%s\" is not an IP address with "
	    "an optional port (\"192.0.2.1\", \"192.0.2.1:5353\", "
	    "\"[2001:db8::1]:5353\")", server);
	free(d);
	return NULL;
}

/* dns_free - release d; NULL is harmless. */
void
dns_free(struct dns *d)
{
	free(d);
}

/* dns_describe - the server as "IP:PORT" or "system resolvers". */
const char *
dns_describe(const struct dns *d)
{
	return d->desc;
}

/* dns_status_name - the name of a status, for logs and tests. */
const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NODATA:
		return "nodata";
	case DNS_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

/* type_name - a record type's name, for logs. */
static const char *
type_name(int type)
{
	switch (type) {
	case ns_t_a:
		return "A";
	case ns_t_aaaa:
		return "AAAA";
	case ns_t_txt:
		return "TXT";
	case ns_t_mx:
		return "MX";
	case ns_t_ptr:
		return "PTR";
	default:
		return "other";
	}
}

/* dns_cache_new - an empty cache, or NULL when out of memory. */
struct dns_cache *
dns_cache_new(void)
{
	struct dns_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->nbuckets = DNS_CACHE_BUCKETS;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	c->arena = arena_new(DNS_ARENA_BLOCK);
	if (c->buckets == NULL || c->arena == NULL) {
		dns_cache_free(c);
		return NULL;
	}
	return c;
}

/* dns_cache_free - release c and every answer in it. */
void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	arena_free(c->arena);
	free(c->buckets);
	free(c);
}

/* name_key - name in lower case without its final dot into key (of
 * DNS_NAME_MAX + 1 bytes); 0, or -1 when it cannot be a DNS name (empty,
 * too long, an empty or over-long label, a backslash). */
static int
name_key(const char *name, char *key)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_NAME_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '\\')
			return -1;
		if (ch == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (++label > 63)
			return -1;
		key[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	if (label == 0)
		return -1;
	key[len] = '\0';
	return 0;
}

/* key_hash - FNV-1a of key and type. */
static uint32_t
key_hash(const char *key, int type)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ (uint32_t)(type & 0xff)) * 16777619u;
	return (h ^ (uint32_t)((type >> 8) & 0xff)) * 16777619u;
}

/* cache_find - d's entry for (key, type), or NULL. */
static struct dns_entry *
cache_find(const struct dns_cache *c, const struct dns *d, const char *key,
    int type, uint32_t hash)
{
	for (struct dns_entry *e = c->buckets[hash % c->nbuckets]; e != NULL;
	    e = e->next)
		if (e->hash == hash && e->type == type && e->d == d &&
		    strcmp(e->name, key) == 0)
			return e;
	return NULL;
}

/* cache_grow - double the buckets when the chains get long; a failure
 * only leaves them long. */
static void
cache_grow(struct dns_cache *c)
{
	unsigned n = c->nbuckets * 2;
	struct dns_entry **b;

	if (c->count < c->nbuckets * 2 || n < c->nbuckets ||
	    (b = calloc(n, sizeof(*b))) == NULL)
		return;
	for (unsigned i = 0; i < c->nbuckets; i++)
		while (c->buckets[i] != NULL) {
			struct dns_entry *e = c->buckets[i];

			c->buckets[i] = e->next;
			e->next = b[e->hash % n];
			b[e->hash % n] = e;
		}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

/* txt_join - a TXT record's character-strings joined, in the arena; NULL
 * when malformed or out of memory.  A NUL byte, which no C string can
 * carry, becomes '?' so the record is not cut short silently. */
static char *
txt_join(struct arena *a, const unsigned char *rdata, size_t rdlen)
{
	char *out = arena_alloc(a, rdlen + 1), *p = out;
	size_t i = 0;

	if (out == NULL)
		return NULL;
	while (i < rdlen) {
		size_t n = rdata[i++];

		if (n > rdlen - i)
			return NULL;
		for (size_t k = 0; k < n; k++)
			*p++ = rdata[i + k] == '\0' ? '?' : (char)rdata[i + k];
		i += n;
	}
	*p = '\0';
	return out;
}

/* name_copy - the name at rdata uncompressed, in the arena ("" for the
 * root); NULL when malformed or out of memory. */
static char *
name_copy(struct arena *a, const ns_msg *msg, const unsigned char *rdata)
{
	char buf[NS_MAXDNAME];

	if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rdata,
	    buf, sizeof(buf)) < 0)
		return NULL;
	if (strcmp(buf, ".") == 0)
		buf[0] = '\0';
	return arena_strdup(a, buf);
}

/* parse_answer - fill e's status, count and records from its packet;
 * a malformed answer is DNS_TEMPFAIL. */
static void
parse_answer(struct arena *a, struct dns_entry *e)
{
	ns_msg msg;
	ns_rr rr;
	unsigned count, n = 0;
	size_t size;

	if (ns_initparse(e->packet, e->len, &msg) < 0 ||
	    ns_msg_getflag(msg, ns_f_qr) == 0 ||
	    ns_msg_getflag(msg, ns_f_tc) != 0) {
		e->status = DNS_TEMPFAIL;
		return;
	}
	switch (ns_msg_getflag(msg, ns_f_rcode)) {
	case ns_r_noerror:
		break;
	case ns_r_nxdomain:
		e->status = DNS_NXDOMAIN;
		return;
	default:
		e->status = DNS_TEMPFAIL;
		return;
	}
	count = ns_msg_count(msg, ns_s_an);
	switch (e->type) {
	case ns_t_a:
		size = sizeof(struct in_addr);
		break;
	case ns_t_aaaa:
		size = sizeof(struct in6_addr);
		break;
	case ns_t_txt:
	case ns_t_ptr:
		size = sizeof(char *);
		break;
	case ns_t_mx:
		size = sizeof(struct dns_mx);
		break;
	default:
		size = 0;
		break;
	}
	if (size > 0 && count > 0 &&
	    (e->records = arena_alloc(a, size * count)) == NULL)
		goto fail;
	for (unsigned i = 0; i < count; i++) {
		const unsigned char *rdata;
		size_t rdlen;

		if (ns_parserr(&msg, ns_s_an, (int)i, &rr) < 0)
			goto fail;
		/* A CNAME chain's records come first: keep only the type
		 * asked for. */
		if ((int)ns_rr_type(rr) != e->type ||
		    ns_rr_class(rr) != ns_c_in)
			continue;
		rdata = ns_rr_rdata(rr);
		rdlen = ns_rr_rdlen(rr);
		switch (e->type) {
		case ns_t_a:
			if (rdlen != sizeof(struct in_addr))
				goto fail;
			memcpy((struct in_addr *)e->records + n, rdata, rdlen);
			break;
		case ns_t_aaaa:
			if (rdlen != sizeof(struct in6_addr))
				goto fail;
			memcpy((struct in6_addr *)e->records + n, rdata, rdlen);
			break;
		case ns_t_txt:
			if ((((char **)e->records)[n] = txt_join(a, rdata,
			    rdlen)) == NULL)
				goto fail;
			break;
		case ns_t_ptr:
			if ((((char **)e->records)[n] = name_copy(a, &msg,
			    rdata)) == NULL)
				goto fail;
			break;
		case ns_t_mx: {
			struct dns_mx *mx = (struct dns_mx *)e->records + n;

			if (rdlen < 3)
				goto fail;
			mx->preference = ns_get16(rdata);
			if ((mx->exchange = name_copy(a, &msg, rdata + 2)) ==
			    NULL)
				goto fail;
			break;
		}
		default:
			break;
		}
		n++;
	}
	e->n = n;
	e->status = n > 0 ? DNS_OK : DNS_NODATA;
	return;
fail:
	e->status = DNS_TEMPFAIL;
	e->n = 0;
	e->records = NULL;
}

/* dns_parse - packet read as the answer to a query of type, copied into
 * c's arena (uncached); the status, *n the records of type kept. */
enum dns_status
dns_parse(struct dns_cache *c, int type, const unsigned char *packet,
    size_t len, unsigned *n)
{
	struct dns_entry e = { .type = type, .name = "", .len = (int)len };

	*n = 0;
	if (len > DNS_PACKET_MAX)
		return DNS_TEMPFAIL;
	if ((e.packet = arena_alloc(c->arena, len > 0 ? len : 1)) == NULL)
		return DNS_TEMPFAIL;
	memcpy((unsigned char *)e.packet, packet, len);
	parse_answer(c->arena, &e);
	*n = e.n;
	return e.status;
}

/* This thread's deadline, in CLOCK_MONOTONIC milliseconds; 0: none. */
static _Thread_local uint64_t deadline_ms;

/* monotonic_ms - now, in milliseconds of CLOCK_MONOTONIC. */
static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
dns_deadline_begin(unsigned budget_ms)
{
	deadline_ms = budget_ms > 0 ? monotonic_ms() + budget_ms : 0;
}

void
dns_deadline_end(void)
{
	deadline_ms = 0;
}

const double dns_latency_bounds[DNS_LATENCY_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

static atomic_ulong counted_queries[DNS_COUNTED_TYPES][DNS_TEMPFAIL + 1];
static atomic_ulong counted_bucket[DNS_LATENCY_BUCKETS + 1];
static atomic_ullong counted_sum_us;
static atomic_ulong counted_cache_hits, counted_budget_spent;

/* counted_type - the counters' slot for record type. */
static enum dns_counted_type
counted_type(int type)
{
	switch (type) {
	case ns_t_a:
		return DNS_COUNTED_A;
	case ns_t_aaaa:
		return DNS_COUNTED_AAAA;
	case ns_t_txt:
		return DNS_COUNTED_TXT;
	case ns_t_mx:
		return DNS_COUNTED_MX;
	case ns_t_ptr:
		return DNS_COUNTED_PTR;
	default:
		return DNS_COUNTED_OTHER;
	}
}

const char *
dns_counted_type_name(enum dns_counted_type t)
{
	static const char *const names[DNS_COUNTED_TYPES] = {
		"a", "aaaa", "txt", "mx", "ptr", "other",
	};

	return t < DNS_COUNTED_TYPES ? names[t] : "other";
}

void
dns_counters_read(struct dns_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (int t = 0; t < DNS_COUNTED_TYPES; t++)
		for (int s = 0; s <= DNS_TEMPFAIL; s++)
			out->queries[t][s] = atomic_load_explicit(
			    &counted_queries[t][s], memory_order_relaxed);
	for (int b = 0; b <= DNS_LATENCY_BUCKETS; b++)
		out->bucket[b] = atomic_load_explicit(&counted_bucket[b],
		    memory_order_relaxed);
	out->seconds_sum_us = atomic_load_explicit(&counted_sum_us,
	    memory_order_relaxed);
	out->cache_hits = atomic_load_explicit(&counted_cache_hits,
	    memory_order_relaxed);
	out->budget_spent = atomic_load_explicit(&counted_budget_spent,
	    memory_order_relaxed);
}

/* count_query - one query of type answered with status in us. */
static void
count_query(int type, enum dns_status status, uint64_t us)
{
	unsigned b = 0;

	while (b < DNS_LATENCY_BUCKETS && (double)us / 1e6 >
	    dns_latency_bounds[b])
		b++;
	atomic_fetch_add_explicit(&counted_queries[counted_type(type)][status],
	    1, memory_order_relaxed);
	atomic_fetch_add_explicit(&counted_bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&counted_sum_us, us, memory_order_relaxed);
}

/* monotonic_us - now, in microseconds of CLOCK_MONOTONIC. */
static uint64_t
monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ask - send d's server the query for (key, type), answer into e. */
static void
ask(const struct dns *d, struct dns_cache *c, struct dns_entry *e)
{
	unsigned char q[NS_PACKETSZ], *answer;
	res_state rs;
	int qlen, len;

	e->status = DNS_TEMPFAIL;
	if ((rs = thread_state(d)) == NULL || point_at(rs, d) < 0)
		return;
	qlen = res_nmkquery(rs, ns_o_query, e->name, ns_c_in, e->type, NULL,
	    0, NULL, q, sizeof(q));
	if (qlen < 0) {
		log_warnx("dns: cannot make a query for %s", e->name);
		return;
	}
	if ((answer = malloc(DNS_PACKET_MAX)) == NULL) {
		log_warnx("dns: out of memory");
		return;
	}
	len = res_nsend(rs, q, qlen, answer, DNS_PACKET_MAX);
	if (len < 0) {
		log_debug("dns: %s %s from %s: no answer (%s)", e->name,
		    type_name(e->type), d->desc, strerror(errno));
	} else if (len > DNS_PACKET_MAX) {
		log_debug("dns: %s %s from %s: answer too long", e->name,
		    type_name(e->type), d->desc);
	} else if ((e->packet = arena_alloc(c->arena, (size_t)len)) != NULL) {
		memcpy((unsigned char *)e->packet, answer, (size_t)len);
		e->len = len;
		parse_answer(c->arena, e);
	}
	free(answer);
	log_debug("dns: %s %s from %s: %s (%u)", e->name, type_name(e->type),
	    d->desc, dns_status_name(e->status), e->n);
}

/* query - ask d's server for (key, type) into e (status, packet), and
 * count it: every query, also one that could not be sent, is one sample
 * of the counters and the histogram, so their totals agree. */
static void
query(const struct dns *d, struct dns_cache *c, struct dns_entry *e)
{
	uint64_t begun = monotonic_us();

	ask(d, c, e);
	count_query(e->type, e->status, monotonic_us() - begun);
}

/* lookup - the cached answer for (name, type), asking the server when it
 * is not there yet; NULL for a name that cannot exist (treated as
 * NXDOMAIN) or when out of memory (*oom set). */
static struct dns_entry *
lookup(const struct dns *d, struct dns_cache *c, const char *name,
    int type, bool *oom)
{
	char key[DNS_NAME_MAX + 1];
	struct dns_entry *e;
	uint32_t hash;

	*oom = false;
	if (name_key(name, key) < 0) {
		log_debug("dns: \"%s\" is not a domain name", name);
		return NULL;
	}
	hash = key_hash(key, type);
	if ((e = cache_find(c, d, key, type, hash)) != NULL) {
		atomic_fetch_add_explicit(&counted_cache_hits, 1,
		    memory_order_relaxed);
		return e;
	}
	if ((e = arena_alloc(c->arena, sizeof(*e))) == NULL ||
	    (e->name = arena_strdup(c->arena, key)) == NULL) {
		*oom = true;
		return NULL;
	}
	e->d = d;
	e->hash = hash;
	e->type = type;
	e->packet = NULL;
	e->len = 0;
	e->n = 0;
	e->records = NULL;
	if (deadline_ms != 0 && monotonic_ms() >= deadline_ms) {
		/* The stage's time is spent: no query, and nothing cached. */
		e->status = DNS_TEMPFAIL;
		atomic_fetch_add_explicit(&counted_budget_spent, 1,
		    memory_order_relaxed);
		log_debug("dns: %s %s: not asked, the stage's DNS budget is "
		    "spent", e->name, type_name(e->type));
		return e;
	}
	query(d, c, e);
	e->next = c->buckets[hash % c->nbuckets];
	c->buckets[hash % c->nbuckets] = e;
	c->count++;
	cache_grow(c);
	return e;
}

/* typed - look up (name, type) and copy at most max records of size
 * bytes each into out; the status. */
static enum dns_status
typed(const struct dns *d, struct dns_cache *c, const char *name, int type,
    void *out, size_t size, unsigned max, unsigned *n)
{
	struct dns_entry *e;
	bool oom;

	*n = 0;
	if ((e = lookup(d, c, name, type, &oom)) == NULL)
		return oom ? DNS_TEMPFAIL : DNS_NXDOMAIN;
	if (e->status != DNS_OK)
		return e->status;
	if (max > DNS_MAX_RECORDS)
		max = DNS_MAX_RECORDS;
	if (e->n > max && max == DNS_MAX_RECORDS)
		log_info("dns: %s %s: %u records, only the first %u used",
		    e->name, type_name(type), e->n, max);
	*n = e->n < max ? e->n : max;
	if (*n > 0)
		memcpy(out, e->records, size * *n);
	return DNS_OK;
}

/* dns_a - the A records of name. */
enum dns_status
dns_a(const struct dns *d, struct dns_cache *c, const char *name,
    struct in_addr *out, unsigned max, unsigned *n)
{
	return typed(d, c, name, ns_t_a, out, sizeof(*out), max, n);
}

/* dns_aaaa - the AAAA records of name. */
enum dns_status
dns_aaaa(const struct dns *d, struct dns_cache *c, const char *name,
    struct in6_addr *out, unsigned max, unsigned *n)
{
	return typed(d, c, name, ns_t_aaaa, out, sizeof(*out), max, n);
}

/* dns_txt - the TXT records of name, their strings joined. */
enum dns_status
dns_txt(const struct dns *d, struct dns_cache *c, const char *name,
    const char **out, unsigned max, unsigned *n)
{
	return typed(d, c, name, ns_t_txt, out, sizeof(*out), max, n);
}

/* dns_mx - the MX records of name. */
enum dns_status
dns_mx(const struct dns *d, struct dns_cache *c, const char *name,
    struct dns_mx *out, unsigned max, unsigned *n)
{
	return typed(d, c, name, ns_t_mx, out, sizeof(*out), max, n);
}

/* dns_ptr - the PTR records of an address's reverse name. */
enum dns_status
dns_ptr(const struct dns *d, struct dns_cache *c, int family,
    const void *addr, const char **out, unsigned max, unsigned *n)
{
	const unsigned char *b = addr;
	char name[sizeof("x.") * 32 + sizeof("ip6.arpa")], *p = name;

	if (family == AF_INET)
		snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa",
		    b[3], b[2], b[1], b[0]);
	else if (family == AF_INET6) {
		for (int i = 15; i >= 0; i--) {
			*p++ = "0123456789abcdef"[b[i] & 0xf];
			*p++ = '.';
			*p++ = "0123456789abcdef"[b[i] >> 4];
			*p++ = '.';
		}
		memcpy(p, "ip6.arpa", sizeof("ip6.arpa"));
	} else {
		*n = 0;
		return DNS_NXDOMAIN;
	}
	return typed(d, c, name, ns_t_ptr, out, sizeof(*out), max, n);
}

/* dns_raw - the whole answer to (name, type), kept in the cache. */
enum dns_status
dns_raw(const struct dns *d, struct dns_cache *c, const char *name, int type,
    const unsigned char **answer, int *len)
{
	struct dns_entry *e;
	bool oom;

	*answer = NULL;
	*len = 0;
	if ((e = lookup(d, c, name, type, &oom)) == NULL)
		return oom ? DNS_TEMPFAIL : DNS_NXDOMAIN;
	*answer = e->packet;
	*len = e->len;
	return e->status;
}
