/*
 * lists_bench - what a list lookup costs, and what a big list weighs
 *
 * What it is for: showing that a lookup in a CIDR, domain or address list
 * costs the same whatever the list's size, and measuring the memory and
 * load time of 100,000-entry lists.  Regexes are tried one after the
 * other, so their cost grows with the list: they are timed too, to show it.
 *
 * How to use it (built by hand, like the other benches):
 *   cc -std=c11 -O2 -I. -Isrc src/lists.c src/log.c bench/lists_bench.c \
 *       -o /tmp/lists_bench
 *   lists_bench lookup          ns/lookup at 10, 1,000 and 100,000 entries,
 *                               hot (few distinct queries) and cold
 *   lists_bench gen DIR [N]     write DIR/{cidr,domain,address,regex}.txt
 *   lists_bench load DIR [kind...]   load the files (all but regex unless
 *                               named), print load time, heap and peak RSS
 * Run "load" under /usr/bin/time -v for a second opinion on the peak.
 *
 * Exit status: 0, or 1 when a list cannot be built or loaded, 2 on a usage
 * error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "lists.h"

#define BENCH_LOOKUPS 1000000u
#define BENCH_QUERIES 65536u	/* distinct queries, more than the caches */
#define BENCH_QUERY_SIZE 64
#define BENCH_HOT 1024u		/* distinct queries that stay in the caches */
#define BENCH_ROUNDS 5

/* bench_rng - the next number of the xorshift generator state. */
static uint64_t
bench_rng(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* bench_now - the monotonic clock in nanoseconds. */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* bench_entry - entry i of a list of kind, in buf; the same i always gives
 * the same entry, and bench_query(kind, i, true) lies in it. */
static const char *
bench_entry(char *buf, size_t size, enum list_kind kind, unsigned i)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15u + 1;

	h ^= h >> 29;
	switch (kind) {
	case LIST_CIDR:
		if (i % 2 == 0)
			snprintf(buf, size, "%u.%u.%u.0/24",
			    (unsigned)(h >> 8) % 223 + 1, i / 2 >> 8 & 255,
			    i / 2 & 255);
		else
			snprintf(buf, size, "2001:db8:%x:%x::/64",
			    (unsigned)(h & 0xfff0) | i >> 16, i & 0xffff);
		break;
	case LIST_DOMAIN:
		snprintf(buf, size, "%sh%x.d%u.example", i % 2 ? "." : "",
		    (unsigned)(h & 0xffffff), i);
		break;
	case LIST_ADDRESS:
		if (i % 3 == 0)
			snprintf(buf, size, "u%x@d%u.example",
			    (unsigned)(h & 0xffffff), i);
		else if (i % 3 == 1)
			snprintf(buf, size, "@d%u.example", i);
		else
			snprintf(buf, size, "l%u.%x@", i,
			    (unsigned)(h & 0xffff));
		break;
	case LIST_REGEX:
		snprintf(buf, size, "/^subject %x-%u( |$)/%s",
		    (unsigned)(h & 0xffff), i, i % 2 ? "i" : "");
		break;
	}
	return buf;
}

/* bench_query - a query that matches entry i (hit) or no entry, in buf. */
static const char *
bench_query(char *buf, size_t size, enum list_kind kind, unsigned i,
    bool hit)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15u + 1;

	h ^= h >> 29;
	switch (kind) {
	case LIST_CIDR:
		if (!hit)
			snprintf(buf, size, i % 2 ? "2001:db9:%x::1" :
			    "0.0.%u.1", i & 255);
		else if (i % 2 == 0)
			snprintf(buf, size, "%u.%u.%u.77",
			    (unsigned)(h >> 8) % 223 + 1, i / 2 >> 8 & 255,
			    i / 2 & 255);
		else
			snprintf(buf, size, "2001:db8:%x:%x::77",
			    (unsigned)(h & 0xfff0) | i >> 16, i & 0xffff);
		break;
	case LIST_DOMAIN:
		snprintf(buf, size, "%sh%x.d%u.%s", i % 2 ? "mx." : "",
		    (unsigned)(h & 0xffffff), i, hit ? "example" : "example2");
		break;
	case LIST_ADDRESS:
		if (i % 3 == 0)
			snprintf(buf, size, "u%x@d%u.example%s",
			    (unsigned)(h & 0xffffff), i, hit ? "" : "2");
		else if (i % 3 == 1)
			snprintf(buf, size, "someone@d%u.example%s", i,
			    hit ? "" : "2");
		else
			snprintf(buf, size, "l%u.%x%s@example.org", i,
			    (unsigned)(h & 0xffff), hit ? "" : "x");
		break;
	case LIST_REGEX:
		snprintf(buf, size, "%s %x-%u%s", i % 2 ? "SUBJECT" : "subject",
		    (unsigned)(h & 0xffff), i, hit ? " tail" : "x");
		break;
	}
	return buf;
}

/* bench_error - nothing; prints a bad entry, which is a bench bug. */
static void
bench_error(void *arg, const char *file, unsigned line, const char *message)
{
	(void)arg;
	fprintf(stderr, "lists_bench: %s:%u: %s\n", file != NULL ? file :
	    "(inline)", line, message);
}

/* bench_build - a frozen list of n entries of kind, or NULL. */
static struct list *
bench_build(enum list_kind kind, unsigned n)
{
	struct list *l = list_new("bench", kind);
	char buf[BENCH_QUERY_SIZE];

	if (l == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++)
		if (list_add(l, bench_entry(buf, sizeof(buf), kind, i),
		    bench_error, NULL) == -1) {
			list_free(l);
			return NULL;
		}
	if (list_freeze(l) == -1) {
		list_free(l);
		return NULL;
	}
	return l;
}

/* bench_match - whether q matches l, by l's kind. */
static bool
bench_match(const struct list *l, const char *q)
{
	switch (list_kind(l)) {
	case LIST_CIDR:
		return list_match_ip(l, q);
	case LIST_DOMAIN:
		return list_match_domain(l, q);
	case LIST_ADDRESS:
		return list_match_address(l, q);
	case LIST_REGEX:
		return list_match_regex(l, q) == 1;
	}
	return false;
}

/* The queries of one measurement, as text and as raw addresses. */
static char bench_queries[BENCH_QUERIES][BENCH_QUERY_SIZE];
static unsigned char bench_bytes[BENCH_QUERIES][16];
static int bench_family[BENCH_QUERIES];

/* bench_time - the best of BENCH_ROUNDS timings, in ns/lookup, of lookups
 * in l cycling through the first nq queries (a power of two), as raw
 * addresses when bytes. */
static double
bench_time(const struct list *l, unsigned nq, unsigned lookups, bool bytes)
{
	double best = 0;
	unsigned hits = 0;

	for (unsigned round = 0; round < BENCH_ROUNDS; round++) {
		double t0 = bench_now(), t;

		/* An odd stride visits every query, in a scattered order. */
		for (unsigned k = 0; k < lookups; k++) {
			unsigned q = (k * 40503u) & (nq - 1);

			if (bytes)
				hits += list_match_ip_bytes(l, bench_family[q],
				    bench_bytes[q]);
			else
				hits += bench_match(l, bench_queries[q]);
		}
		t = (bench_now() - t0) / lookups;
		if (round == 0 || t < best)
			best = t;
	}
	/* Half the queries are hits: keep the compiler from dropping the
	 * lookups, and check. */
	if (hits != BENCH_ROUNDS * lookups / 2)
		fprintf(stderr, "lists_bench: %u hits in %u lookups\n", hits,
		    BENCH_ROUNDS * lookups);
	return best;
}

/* bench_lookup - 0 after timing lookups in a list of n entries of kind and
 * printing ns/lookup, or -1 when a list or an answer is wrong. */
static int
bench_lookup(enum list_kind kind, unsigned n, unsigned lookups)
{
	uint64_t state = 0x2545f4914f6cdd1du;
	struct list *l;

	if ((l = bench_build(kind, n)) == NULL)
		return -1;
	/* Half hits on random entries, half misses. */
	for (unsigned q = 0; q < BENCH_QUERIES; q++) {
		unsigned i = (unsigned)(bench_rng(&state) % n);
		bool want = q % 2 == 0;

		bench_query(bench_queries[q], BENCH_QUERY_SIZE, kind, i, want);
		if (bench_match(l, bench_queries[q]) != want) {
			fprintf(stderr, "lists_bench: %s %s: wrong answer\n",
			    list_kind_name(kind), bench_queries[q]);
			list_free(l);
			return -1;
		}
		if (kind == LIST_CIDR)
			bench_family[q] = inet_pton(AF_INET, bench_queries[q],
			    bench_bytes[q]) == 1 ? AF_INET : AF_INET6;
	}
	if (kind == LIST_CIDR)
		for (unsigned q = 0; q < BENCH_QUERIES; q++)
			if (bench_family[q] == AF_INET6)
				inet_pton(AF_INET6, bench_queries[q],
				    bench_bytes[q]);
	printf("%-8s %7u  %9.1f  %9.1f", list_kind_name(kind), n,
	    bench_time(l, BENCH_HOT, lookups, false),
	    bench_time(l, BENCH_QUERIES, lookups, false));
	if (kind == LIST_CIDR)
		printf("  %9.1f  %9.1f",
		    bench_time(l, BENCH_HOT, lookups, true),
		    bench_time(l, BENCH_QUERIES, lookups, true));
	printf("\n");
	list_free(l);
	return 0;
}

/* bench_lookups - 0 after timing every kind at every size, or -1. */
static int
bench_lookups(void)
{
	static const unsigned sizes[] = { 10, 1000, 100000 };
	static const enum list_kind kinds[] = {
		LIST_CIDR, LIST_DOMAIN, LIST_ADDRESS, LIST_REGEX
	};

	printf("ns/lookup, best of %u rounds; hot: %u distinct queries, cold: "
	    "%u;\nbytes: CIDR queries as raw addresses (no inet_pton)\n",
	    BENCH_ROUNDS, BENCH_HOT, BENCH_QUERIES);
	printf("%s\n", "kind     entries        hot       cold  bytes hot "
	    "bytes cold");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			unsigned lookups = BENCH_LOOKUPS;

			/* Regexes are tried in turn: fewer lookups, and no
			 * 100,000 (1e11 regexec calls). */
			if (kinds[k] == LIST_REGEX) {
				if (sizes[s] > 1000)
					continue;
				lookups = sizes[s] > 10 ? 1024 : 65536;
			}
			if (bench_lookup(kinds[k], sizes[s], lookups) == -1)
				return -1;
		}
	return 0;
}

/* bench_gen - 0 after writing n entries of every kind into files in dir,
 * or -1. */
static int
bench_gen(const char *dir, unsigned n)
{
	static const enum list_kind kinds[] = {
		LIST_CIDR, LIST_DOMAIN, LIST_ADDRESS, LIST_REGEX
	};
	char path[4096], buf[BENCH_QUERY_SIZE];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s.txt", dir,
		    list_kind_name(kinds[k]));
		if ((fp = fopen(path, "w")) == NULL) {
			perror(path);
			return -1;
		}
		fprintf(fp, "# %u %s entries for lists_bench\n", n,
		    list_kind_name(kinds[k]));
		for (unsigned i = 0; i < n; i++)
			fprintf(fp, "%s\n", bench_entry(buf, sizeof(buf),
			    kinds[k], i));
		if (fclose(fp) == EOF) {
			perror(path);
			return -1;
		}
	}
	return 0;
}

/* bench_load - 0 after loading the named kinds' files from dir and
 * printing what it cost, or -1. */
static int
bench_load(const char *dir, int nkinds, const char *const *kinds)
{
	static const char *const all[] = { "cidr", "domain", "address" };
	struct list *lists[8];
	struct mallinfo2 before, after;
	struct rusage ru;
	char path[4096];
	double t0, t1;
	int n = 0, rc = 0;

	if (nkinds == 0) {
		kinds = all;
		nkinds = 3;
	}
	if (nkinds > 8)
		nkinds = 8;
	before = mallinfo2();
	t0 = bench_now();
	for (int i = 0; i < nkinds; i++) {
		enum list_kind kind;

		if (list_kind_parse(kinds[i], &kind) == -1) {
			fprintf(stderr, "lists_bench: %s: no such kind\n",
			    kinds[i]);
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s.txt", dir, kinds[i]);
		if ((lists[n] = list_new(kinds[i], kind)) == NULL) {
			rc = -1;
			break;
		}
		n++;
		if (list_load_file(lists[n - 1], path, bench_error,
		    NULL) == -1 || list_freeze(lists[n - 1]) == -1) {
			rc = -1;
			break;
		}
	}
	t1 = bench_now();
	after = mallinfo2();
	getrusage(RUSAGE_SELF, &ru);
	if (rc == 0) {
		for (int i = 0; i < n; i++)
			printf("%-8s %zu entries\n", list_name(lists[i]),
			    list_count(lists[i]));
		printf("load and freeze: %.3f s\n", (t1 - t0) / 1e9);
		printf("heap in use by the lists: %.1f MB\n",
		    (double)(after.uordblks + after.hblkhd - before.uordblks -
		    before.hblkhd) / 1048576.0);
		printf("peak RSS of the process: %.1f MB\n",
		    (double)ru.ru_maxrss / 1024.0);
	}
	for (int i = 0; i < n; i++)
		list_free(lists[i]);
	return rc;
}

/* main - the exit status described at the top. */
int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "lookup") == 0)
		return bench_lookups() == 0 ? 0 : 1;
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "gen") == 0)
		return bench_gen(argv[2], argc == 4 ?
		    (unsigned)strtoul(argv[3], NULL, 10) : 100000) == 0 ? 0 : 1;
	if (argc >= 3 && strcmp(argv[1], "load") == 0)
		return bench_load(argv[2], argc - 3,
		    (const char *const *)(argv + 3)) == 0 ? 0 : 1;
	fprintf(stderr, "usage: lists_bench lookup | gen DIR [N] | "
	    "load DIR [kind...]\n");
	return 2;
}
