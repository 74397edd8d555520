/*
 * dns - the one resolver every check uses
 *
 * A struct dns holds the resolver's settings: the server to ask (an address
 * and port such as "127.0.0.1:5353", so tests never depend on the outside
 * world; or the system's resolvers from /etc/resolv.conf), the timeout per
 * try and the number of tries.  It is built once per policy, immutable, and
 * shared by all threads.  Queries go through glibc's libresolv
 * (res_nquery with a per-thread resolver state pointed at the configured
 * server), and their answers are parsed with ns_initparse/ns_parserr.
 *
 * A struct dns_cache belongs to one connection (one thread at a time): every
 * answer (positive or negative) is kept for the connection's life, so a
 * name asked by two checks, or by two messages, costs one query.  Strings
 * and addresses returned point into the cache and live until
 * dns_cache_free.
 *
 * Failure is a status, never a guess: a timeout, SERVFAIL, a refused or
 * malformed answer is DNS_TEMPFAIL; only an authoritative "no such name"
 * (NXDOMAIN) or "no such record" (NODATA) says that something is absent.
 * Callers map DNS_TEMPFAIL to a temporary result, never to an accept or a
 * permanent reject.
 */
#ifndef REPLYMILTER_CHECKS_DNS_H
#define REPLYMILTER_CHECKS_DNS_H

#include <netinet/in.h>
#include <stddef.h>

enum dns_status {
	DNS_OK,
	DNS_NXDOMAIN,
	DNS_NODATA,
	DNS_TEMPFAIL
};

/* The most records a typed lookup returns. */
#define DNS_MAX_RECORDS 32

struct dns;
struct dns_cache;

struct dns_mx {
	unsigned preference;
	const char *exchange;	/* "" for the root, as in a null MX "." */
};

/* dns_new - resolver settings: server "IP:PORT", "[IPv6]:PORT", "IP" (port
 * 53), or NULL/"" for the system resolvers; timeout_ms per try, tries >= 1.
 * NULL with a sentence in err when server is malformed or out of memory. */
struct dns *dns_new(const char *server, unsigned timeout_ms, unsigned tries,
    char *err, size_t errsize);

/* dns_deadline_begin - from now on, for budget_ms (0: no limit), this
 * thread's lookups may ask the server; once the budget is spent, a lookup
 * that is not cached answers DNS_TEMPFAIL at once, without a query, and
 * is not cached (the next stage's budget may ask again).  A query under
 * way finishes its tries, so the budget may be passed by one query.
 * dns_deadline_end - no limit again.  The checks' runner brackets each
 * stage with them, so the stage's DNS work stays inside the MTA's milter
 * timeout. */
void dns_deadline_begin(unsigned budget_ms);
void dns_deadline_end(void);

/* dns_free - release; NULL is harmless. */
void dns_free(struct dns *d);

/* dns_describe - "127.0.0.1:5353" or "system resolvers", for logs. */
const char *dns_describe(const struct dns *d);

/* dns_cache_new - an empty cache for one connection, or NULL. */
struct dns_cache *dns_cache_new(void);

/* dns_cache_free - release the cache and every answer in it; NULL is
 * harmless. */
void dns_cache_free(struct dns_cache *c);

/* dns_a - the IPv4 addresses of name (at most max) into out, count in *n. */
enum dns_status dns_a(const struct dns *d, struct dns_cache *c,
    const char *name, struct in_addr *out, unsigned max, unsigned *n);

/* dns_aaaa - the IPv6 addresses of name. */
enum dns_status dns_aaaa(const struct dns *d, struct dns_cache *c,
    const char *name, struct in6_addr *out, unsigned max, unsigned *n);

/* dns_txt - the TXT records of name, each record's strings joined. */
enum dns_status dns_txt(const struct dns *d, struct dns_cache *c,
    const char *name, const char **out, unsigned max, unsigned *n);

/* dns_mx - the MX records of name. */
enum dns_status dns_mx(const struct dns *d, struct dns_cache *c,
    const char *name, struct dns_mx *out, unsigned max, unsigned *n);

/* dns_ptr - the PTR names of an address (family AF_INET or AF_INET6). */
enum dns_status dns_ptr(const struct dns *d, struct dns_cache *c,
    int family, const void *addr, const char **out, unsigned max,
    unsigned *n);

/* dns_raw - the whole answer packet for (name, type): *answer points into
 * the cache, its length in *len; for libspf2's DNS layer. */
enum dns_status dns_raw(const struct dns *d, struct dns_cache *c,
    const char *name, int type, const unsigned char **answer, int *len);

/* dns_parse - for the tests and the fuzzer (not for the checks): packet
 * read as the answer to a query of type (ns_t_a, ns_t_txt, ...), exactly
 * as a lookup reads what the server sent, copied into c's arena but not
 * cached; the status, and in *n how many records of type it holds. */
enum dns_status dns_parse(struct dns_cache *c, int type,
    const unsigned char *packet, size_t len, unsigned *n);

/* dns_status_name - "ok", "nxdomain", "nodata", "tempfail". */
const char *dns_status_name(enum dns_status s);

/*
 * The resolver's counters since start, for the metrics: queries sent, by
 * record type and status; their latency as a histogram; answers the
 * connection's cache gave without a query; and lookups not asked because
 * the stage's budget was spent.  Relaxed atomics, kept for all threads
 * together; a snapshot is not one instant, each number is exact.
 */
enum dns_counted_type {
	DNS_COUNTED_A,
	DNS_COUNTED_AAAA,
	DNS_COUNTED_TXT,
	DNS_COUNTED_MX,
	DNS_COUNTED_PTR,
	DNS_COUNTED_OTHER,
	DNS_COUNTED_TYPES
};

/* The histogram's upper bounds, in seconds (Prometheus' "le"), and one
 * more bucket past the last for "+Inf". */
#define DNS_LATENCY_BUCKETS 12
extern const double dns_latency_bounds[DNS_LATENCY_BUCKETS];

struct dns_counters {
	unsigned long queries[DNS_COUNTED_TYPES][DNS_TEMPFAIL + 1];
	/* Not cumulative: bucket[i] counts queries in (bound i-1, bound i];
	 * bucket[DNS_LATENCY_BUCKETS] those past the last bound. */
	unsigned long bucket[DNS_LATENCY_BUCKETS + 1];
	unsigned long long seconds_sum_us;	/* all queries' time, in us */
	unsigned long cache_hits;
	unsigned long budget_spent;
};

/* dns_counters_read - the counters now, into out. */
void dns_counters_read(struct dns_counters *out);

/* dns_counted_type_name - "a", "aaaa", "txt", "mx", "ptr", "other". */
const char *dns_counted_type_name(enum dns_counted_type t);

#endif
