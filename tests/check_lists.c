/*
 * check_lists - unit tests of the lists module
 *
 * Table-driven: for each kind, lists of entries with a query and whether
 * it must match; bad entries with the message they must give; files with
 * bad lines and the file:line of each; then lists of 100,000 entries, a
 * comparison of the prefix tree with a linear scan over random ranges,
 * and threads matching one frozen list at once.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "lists.h"
#include "regexec_fail.h"

#define SINK_MAX 16
#define SINK_LINE 1200
#define BIG 100000u

/* What the error callback was told, one "file:line: message" a line. */
struct sink {
	unsigned count;
	char lines[SINK_MAX][SINK_LINE];
};

/* sink_add - nothing; records one report in the sink arg. */
static void
sink_add(void *arg, const char *file, unsigned line, const char *message)
{
	struct sink *s = arg;

	if (s->count < SINK_MAX) {
		if (file != NULL)
			snprintf(s->lines[s->count], SINK_LINE, "%s:%u: %s",
			    file, line, message);
		else {
			ck_assert_uint_eq(line, 0);
			snprintf(s->lines[s->count], SINK_LINE, "%s", message);
		}
	}
	s->count++;
}

/* build - a frozen list of kind holding the NULL-ended entries, each of
 * which must be accepted. */
static struct list *
build(enum list_kind kind, const char *const *entries)
{
	struct list *l = list_new("test", kind);
	struct sink s = { 0 };

	ck_assert_ptr_nonnull(l);
	for (size_t i = 0; entries[i] != NULL; i++)
		ck_assert_msg(list_add(l, entries[i], sink_add, &s) == 0,
		    "%s rejected: %s", entries[i], s.lines[0]);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_int_eq(list_freeze(l), 0);
	return l;
}

/* matches - whether query matches the list l of its own kind. */
static bool
matches(const struct list *l, const char *query)
{
	switch (list_kind(l)) {
	case LIST_CIDR:
		return list_match_ip(l, query);
	case LIST_DOMAIN:
		return list_match_domain(l, query);
	case LIST_ADDRESS:
		return list_match_address(l, query);
	case LIST_REGEX:
		return list_match_regex(l, query) == 1;
	}
	return false;
}

/* write_temp - the name of a new temporary file holding text (len bytes),
 * in buf. */
static const char *
write_temp(char *buf, size_t size, const char *text, size_t len)
{
	int fd;

	snprintf(buf, size, "/tmp/check_lists.XXXXXX");
	fd = mkstemp(buf);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	ck_assert_int_eq(close(fd), 0);
	return buf;
}

/*
 * Matching: entries, a query, and whether it must match.
 */
struct match_case {
	const char *label;
	enum list_kind kind;
	const char *entries[6];
	const char *query;
	bool want;
};

static const struct match_case match_cases[] = {
	/* IPv4 ranges and their boundaries. */
	{ "v4 /24 first", LIST_CIDR, { "192.0.2.0/24" }, "192.0.2.0", true },
	{ "v4 /24 last", LIST_CIDR, { "192.0.2.0/24" }, "192.0.2.255", true },
	{ "v4 /24 below", LIST_CIDR, { "192.0.2.0/24" }, "192.0.1.255", false },
	{ "v4 /24 above", LIST_CIDR, { "192.0.2.0/24" }, "192.0.3.0", false },
	{ "v4 /32 hit", LIST_CIDR, { "192.0.2.7/32" }, "192.0.2.7", true },
	{ "v4 /32 next", LIST_CIDR, { "192.0.2.7/32" }, "192.0.2.8", false },
	{ "v4 host", LIST_CIDR, { "192.0.2.7" }, "192.0.2.7", true },
	{ "v4 host prev", LIST_CIDR, { "192.0.2.7" }, "192.0.2.6", false },
	{ "v4 /0", LIST_CIDR, { "0.0.0.0/0" }, "203.0.113.9", true },
	{ "v4 /0 top", LIST_CIDR, { "0.0.0.0/0" }, "255.255.255.255", true },
	{ "v4 /0 not v6", LIST_CIDR, { "0.0.0.0/0" }, "2001:db8::1", false },
	{ "v4 /1 low half", LIST_CIDR, { "0.0.0.0/1" }, "127.255.255.255",
	    true },
	{ "v4 /1 high half", LIST_CIDR, { "0.0.0.0/1" }, "128.0.0.0", false },
	{ "v4 /31", LIST_CIDR, { "192.0.2.6/31" }, "192.0.2.7", true },
	{ "v4 /31 out", LIST_CIDR, { "192.0.2.6/31" }, "192.0.2.8", false },
	{ "host bits masked", LIST_CIDR, { "192.0.2.77/24" }, "192.0.2.1",
	    true },
	{ "host bits masked out", LIST_CIDR, { "192.0.2.77/24" },
	    "192.0.3.77", false },
	/* Overlapping ranges, in both orders. */
	{ "/8 then /24: in /24", LIST_CIDR, { "10.0.0.0/8", "10.1.2.0/24" },
	    "10.1.2.3", true },
	{ "/8 then /24: in /8", LIST_CIDR, { "10.0.0.0/8", "10.1.2.0/24" },
	    "10.200.0.1", true },
	{ "/8 then /24: out", LIST_CIDR, { "10.0.0.0/8", "10.1.2.0/24" },
	    "11.1.2.3", false },
	{ "/24 then /8: in /24", LIST_CIDR, { "10.1.2.0/24", "10.0.0.0/8" },
	    "10.1.2.3", true },
	{ "/24 then /8: in /8", LIST_CIDR, { "10.1.2.0/24", "10.0.0.0/8" },
	    "10.255.255.255", true },
	{ "/24 then /8: out", LIST_CIDR, { "10.1.2.0/24", "10.0.0.0/8" },
	    "9.255.255.255", false },
	{ "siblings: left", LIST_CIDR, { "10.0.0.0/8", "11.0.0.0/8" },
	    "10.9.9.9", true },
	{ "siblings: right", LIST_CIDR, { "10.0.0.0/8", "11.0.0.0/8" },
	    "11.9.9.9", true },
	{ "siblings: beside", LIST_CIDR, { "10.0.0.0/8", "11.0.0.0/8" },
	    "12.0.0.0", false },
	{ "fork not an entry", LIST_CIDR, { "10.0.0.0/16", "10.128.0.0/16" },
	    "10.64.0.1", false },
	{ "three levels", LIST_CIDR, { "10.1.2.3", "10.1.0.0/16",
	    "10.0.0.0/15" }, "10.1.200.1", true },
	{ "duplicate", LIST_CIDR, { "192.0.2.0/24", "192.0.2.0/24" },
	    "192.0.2.9", true },
	/* IPv6. */
	{ "v6 /32 in", LIST_CIDR, { "2001:db8::/32" },
	    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "v6 /32 below", LIST_CIDR, { "2001:db8::/32" },
	    "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "v6 /32 above", LIST_CIDR, { "2001:db8::/32" }, "2001:db9::", false },
	{ "v6 /64 edge", LIST_CIDR, { "2001:db8:1:2::/64" },
	    "2001:db8:1:2:ffff:ffff:ffff:ffff", true },
	{ "v6 /64 next", LIST_CIDR, { "2001:db8:1:2::/64" },
	    "2001:db8:1:3::", false },
	{ "v6 /65 edge", LIST_CIDR, { "2001:db8:1:2:8000::/65" },
	    "2001:db8:1:2:7fff:ffff:ffff:ffff", false },
	{ "v6 /127", LIST_CIDR, { "2001:db8::2/127" }, "2001:db8::3", true },
	{ "v6 /127 out", LIST_CIDR, { "2001:db8::2/127" }, "2001:db8::4",
	    false },
	{ "v6 /127 masked", LIST_CIDR, { "2001:db8::3/127" }, "2001:db8::2",
	    true },
	{ "v6 /65 masked", LIST_CIDR, { "2001:db8::7fff:ffff:ffff:ffff/65" },
	    "2001:db8::1", true },
	{ "v4 /31 masked", LIST_CIDR, { "192.0.2.7/31" }, "192.0.2.6", true },
	{ "v6 /64 masked", LIST_CIDR, { "2001:db8::ffff/64" }, "2001:db8::1",
	    true },
	{ "v6 /63 masked", LIST_CIDR, { "2001:db8:0:1::/63" }, "2001:db8::1",
	    true },
	{ "wider replaces narrower", LIST_CIDR, { "10.1.2.0/24", "10.1.3.0/24",
	    "10.1.0.0/16" }, "10.1.200.1", true },
	{ "wider over a fork", LIST_CIDR, { "10.1.2.0/24", "10.1.130.0/24",
	    "10.1.0.0/16", "10.2.0.0/24" }, "10.1.77.1", true },
	{ "wider over a fork, out", LIST_CIDR, { "10.1.2.0/24",
	    "10.1.130.0/24", "10.1.0.0/16", "10.2.0.0/24" }, "10.3.0.1",
	    false },
	{ "v6 /128", LIST_CIDR, { "::1" }, "::1", true },
	{ "v6 /128 next", LIST_CIDR, { "::1/128" }, "::2", false },
	{ "v6 /0", LIST_CIDR, { "::/0" }, "2001:db8::1", true },
	{ "v6 /0 not v4", LIST_CIDR, { "::/0" }, "192.0.2.1", false },
	{ "v6 /0 not mapped", LIST_CIDR, { "::/0" }, "::ffff:192.0.2.1",
	    false },
	{ "v6 overlap", LIST_CIDR, { "2001:db8:1::/48", "2001:db8::/32" },
	    "2001:db8:2::1", true },
	{ "v6 upper case", LIST_CIDR, { "2001:DB8::/32" }, "2001:db8::5",
	    true },
	/* IPv4-mapped IPv6 is IPv4, as an entry and as a query. */
	{ "mapped query", LIST_CIDR, { "192.0.2.0/24" }, "::ffff:192.0.2.1",
	    true },
	{ "mapped query miss", LIST_CIDR, { "192.0.2.0/24" },
	    "::ffff:192.0.3.1", false },
	{ "mapped entry", LIST_CIDR, { "::ffff:192.0.2.0/120" }, "192.0.2.200",
	    true },
	{ "mapped entry miss", LIST_CIDR, { "::ffff:192.0.2.0/120" },
	    "192.0.3.1", false },
	{ "mapped /96 is all v4", LIST_CIDR, { "::ffff:0:0/96" }, "1.2.3.4",
	    true },
	{ "mapped host", LIST_CIDR, { "::ffff:192.0.2.1" }, "192.0.2.1", true },
	{ "compatible is not mapped", LIST_CIDR, { "192.0.2.0/24" },
	    "::192.0.2.1", false },
	/* Query forms. */
	{ "brackets v6", LIST_CIDR, { "2001:db8::/32" }, "[2001:db8::1]",
	    true },
	{ "IPv6: tag", LIST_CIDR, { "2001:db8::/32" }, "IPv6:2001:db8::1",
	    true },
	{ "bracketed IPv6: tag", LIST_CIDR, { "2001:db8::/32" },
	    "[IPv6:2001:db8::1]", true },
	{ "ipv6: tag any case", LIST_CIDR, { "2001:db8::/32" },
	    "ipv6:2001:db8::1", true },
	{ "IPv6: tag on v4", LIST_CIDR, { "192.0.2.0/24" }, "IPv6:192.0.2.1",
	    false },
	{ "brackets v4", LIST_CIDR, { "192.0.2.0/24" }, "[192.0.2.1]", true },
	{ "query not an address", LIST_CIDR, { "0.0.0.0/0", "::/0" },
	    "example.com", false },
	{ "query empty", LIST_CIDR, { "0.0.0.0/0", "::/0" }, "", false },
	{ "query with prefix", LIST_CIDR, { "0.0.0.0/0", "::/0" },
	    "192.0.2.0/24", false },
	{ "query with blanks", LIST_CIDR, { "0.0.0.0/0" }, " 192.0.2.1",
	    false },
	{ "query zone id", LIST_CIDR, { "::/0" }, "fe80::1%eth0", false },

	/* Domains: exact names and parents. */
	{ "exact", LIST_DOMAIN, { "example.com" }, "example.com", true },
	{ "exact no sub", LIST_DOMAIN, { "example.com" }, "sub.example.com",
	    false },
	{ "exact no parent", LIST_DOMAIN, { "sub.example.com" },
	    "example.com", false },
	{ "exact no suffix", LIST_DOMAIN, { "example.com" }, "badexample.com",
	    false },
	{ "exact no prefix", LIST_DOMAIN, { "example.com" }, "example.co",
	    false },
	{ "exact case", LIST_DOMAIN, { "example.com" }, "EXAMPLE.Com", true },
	{ "exact entry case", LIST_DOMAIN, { "Example.COM" }, "example.com",
	    true },
	{ "exact query dot", LIST_DOMAIN, { "example.com" }, "example.com.",
	    true },
	{ "exact entry dot", LIST_DOMAIN, { "example.com." }, "example.com",
	    true },
	{ "exact two dots", LIST_DOMAIN, { "example.com" }, "example.com..",
	    false },
	{ "parent sub", LIST_DOMAIN, { ".example.com" }, "sub.example.com",
	    true },
	{ "parent deep", LIST_DOMAIN, { ".example.com" }, "a.b.example.com",
	    true },
	{ "parent not itself", LIST_DOMAIN, { ".example.com" }, "example.com",
	    false },
	{ "parent not suffix", LIST_DOMAIN, { ".example.com" },
	    "badexample.com", false },
	{ "parent not sub suffix", LIST_DOMAIN, { ".example.com" },
	    "a.badexample.com", false },
	{ "parent case and dot", LIST_DOMAIN, { ".Example.COM." },
	    "SUB.example.com.", true },
	{ "parent and exact: name", LIST_DOMAIN, { ".example.com",
	    "example.com" }, "example.com", true },
	{ "parent and exact: sub", LIST_DOMAIN, { "example.com",
	    ".example.com" }, "x.example.com", true },
	{ "tld parent", LIST_DOMAIN, { ".com" }, "example.com", true },
	{ "tld parent not tld", LIST_DOMAIN, { ".com" }, "com", false },
	{ "tld parent not other", LIST_DOMAIN, { ".com" }, "example.org",
	    false },
	{ "tld exact", LIST_DOMAIN, { "com" }, "example.com", false },
	{ "deep parent", LIST_DOMAIN, { ".c.example.com" },
	    "a.b.c.example.com", true },
	{ "deep parent miss", LIST_DOMAIN, { ".c.example.com" },
	    "a.b.d.example.com", false },
	{ "query empty", LIST_DOMAIN, { "example.com", ".com" }, "", false },
	{ "query dot", LIST_DOMAIN, { ".com" }, ".", false },
	{ "query leading dot", LIST_DOMAIN, { ".example.com", "example.com" },
	    ".example.com", false },
	{ "underscore", LIST_DOMAIN, { "_dmarc.example.com" },
	    "_DMARC.example.com", true },
	{ "punycode", LIST_DOMAIN, { "xn--bcher-kva.example" },
	    "XN--BCHER-KVA.example", true },
	{ "utf-8", LIST_DOMAIN, { "b\xc3\xbc" "cher.example" },
	    "b\xc3\xbc" "cher.example", true },
	{ "single label", LIST_DOMAIN, { "localhost" }, "LOCALHOST", true },
	{ "literal query", LIST_DOMAIN, { ".example.com" }, "[192.0.2.1]",
	    false },

	/* Addresses: exact, "@domain" and "local@". */
	{ "address exact", LIST_ADDRESS, { "user@example.com" },
	    "user@example.com", true },
	{ "address case", LIST_ADDRESS, { "User@Example.com" },
	    "USER@EXAMPLE.COM", true },
	{ "address dot", LIST_ADDRESS, { "user@example.com" },
	    "user@example.com.", true },
	{ "address other local", LIST_ADDRESS, { "user@example.com" },
	    "other@example.com", false },
	{ "address other domain", LIST_ADDRESS, { "user@example.com" },
	    "user@example.org", false },
	{ "address no subdomain", LIST_ADDRESS, { "user@example.com" },
	    "user@sub.example.com", false },
	{ "address longer local", LIST_ADDRESS, { "user@example.com" },
	    "xuser@example.com", false },
	{ "at domain", LIST_ADDRESS, { "@example.com" }, "anyone@example.com",
	    true },
	{ "at domain case", LIST_ADDRESS, { "@example.com" },
	    "Anyone@EXAMPLE.com.", true },
	{ "at domain no sub", LIST_ADDRESS, { "@example.com" },
	    "anyone@sub.example.com", false },
	{ "at domain no suffix", LIST_ADDRESS, { "@example.com" },
	    "anyone@badexample.com", false },
	{ "at domain bare", LIST_ADDRESS, { "@example.com" }, "example.com",
	    false },
	{ "local at", LIST_ADDRESS, { "postmaster@" }, "postmaster@example.org",
	    true },
	{ "local at case", LIST_ADDRESS, { "postmaster@" }, "PostMaster@x.y",
	    true },
	{ "local at other", LIST_ADDRESS, { "postmaster@" },
	    "notpostmaster@example.org", false },
	{ "local at bare", LIST_ADDRESS, { "postmaster@" }, "postmaster",
	    false },
	{ "all three", LIST_ADDRESS, { "a@x.example", "@y.example", "b@" },
	    "b@z.example", true },
	{ "all three miss", LIST_ADDRESS, { "a@x.example", "@y.example",
	    "b@" }, "a@z.example", false },
	{ "angle brackets entry", LIST_ADDRESS, { "<user@example.com>" },
	    "user@example.com", true },
	{ "angle brackets query", LIST_ADDRESS, { "user@example.com" },
	    "<user@example.com>", true },
	{ "null sender", LIST_ADDRESS, { "<>" }, "", true },
	{ "null sender brackets", LIST_ADDRESS, { "<>" }, "<>", true },
	{ "null sender miss", LIST_ADDRESS, { "<>" }, "a@b.example", false },
	{ "no null sender", LIST_ADDRESS, { "@example.com" }, "", false },
	{ "quoted local", LIST_ADDRESS, { "\"a@b\"@example.com" },
	    "\"A@B\"@example.com", true },
	{ "literal domain", LIST_ADDRESS, { "user@[192.0.2.1]" },
	    "user@[192.0.2.1]", true },
	{ "literal v6", LIST_ADDRESS, { "@[IPv6:2001:db8::1]" },
	    "x@[ipv6:2001:db8::1]", true },
	{ "plus local", LIST_ADDRESS, { "user+tag@example.com" },
	    "user+tag@example.com", true },
	{ "plus local miss", LIST_ADDRESS, { "user+tag@example.com" },
	    "user@example.com", false },
	{ "query empty", LIST_ADDRESS, { "user@example.com" }, "", false },
	{ "query at", LIST_ADDRESS, { "user@example.com" }, "@", false },

	/* Regexes. */
	{ "anchored", LIST_REGEX, { "/^spam/" }, "spammer", true },
	{ "anchored miss", LIST_REGEX, { "/^spam/" }, "nospam", false },
	{ "case matters", LIST_REGEX, { "/^spam/" }, "SPAMMER", false },
	{ "i flag", LIST_REGEX, { "/^spam/i" }, "SPAMMER", true },
	{ "bare pattern", LIST_REGEX, { "viagra" }, "buy viagra now", true },
	{ "bare is case-sensitive", LIST_REGEX, { "viagra" }, "VIAGRA", false },
	{ "extended alternation", LIST_REGEX, { "/^(foo|bar)$/" }, "bar",
	    true },
	{ "extended alternation miss", LIST_REGEX, { "/^(foo|bar)$/" },
	    "foobar", false },
	{ "interval", LIST_REGEX, { "/^ax{2,3}b$/" }, "axxb", true },
	{ "interval miss", LIST_REGEX, { "/^ax{2,3}b$/" }, "axb", false },
	{ "escaped dot", LIST_REGEX, { "/a\\.b/" }, "a.b", true },
	{ "escaped dot miss", LIST_REGEX, { "/a\\.b/" }, "axb", false },
	{ "slash inside", LIST_REGEX, { "/a/b/" }, "xa/by", true },
	{ "flag twice", LIST_REGEX, { "/abc/ii" }, "ABC", true },
	{ "any of several", LIST_REGEX, { "/^x/", "/y$/", "/z/i" }, "aZa",
	    true },
	{ "none of several", LIST_REGEX, { "/^x/", "/y$/", "/z/i" }, "abc",
	    false },
	{ "bracket class", LIST_REGEX, { "[[:digit:]]{3}" }, "a123", true },
	{ "empty text", LIST_REGEX, { "/^$/" }, "", true },
};

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	struct list *l = build(c->kind, c->entries);

	ck_assert_msg(matches(l, c->query) == c->want, "%s: %s %s \"%s\"",
	    c->label, list_kind_name(c->kind), c->want ? "misses" : "matches",
	    c->query);
	list_free(l);
}
END_TEST

/*
 * Entries that are good, although unusual.
 */
static const struct {
	enum list_kind kind;
	const char *entry;
} good_entries[] = {
	{ LIST_CIDR, "0.0.0.0/0" },
	{ LIST_CIDR, "::/0" },
	{ LIST_CIDR, "255.255.255.255/32" },
	{ LIST_CIDR, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
	{ LIST_CIDR, "  192.0.2.0/24\t" },
	{ LIST_CIDR, "192.0.2.0/024" },
	{ LIST_DOMAIN, "a" },
	{ LIST_DOMAIN, ".a" },
	{ LIST_DOMAIN, "1.example" },
	{ LIST_DOMAIN, "123.example.com" },
	{ LIST_DOMAIN, "a-b.c-d.example" },
	{ LIST_ADDRESS, "!#$%&'*+-/=?^_`{|}~.@example.com" },
	{ LIST_ADDRESS, "\"john doe\"@example.com" },
	{ LIST_ADDRESS, "\"a\\\"b\"@example.com" },
	{ LIST_ADDRESS, "\"quoted\"@" },
	{ LIST_ADDRESS, "user@localhost" },
	{ LIST_REGEX, "/^$/" },
	{ LIST_REGEX, "a|b" },
	{ LIST_REGEX, "x/" },
	/* Repetitions the size guard lets through. */
	{ LIST_REGEX, "/^[0-9]{1,3}(\\.[0-9]{1,3}){3}$/" },
	{ LIST_REGEX, "a{0,1000}" },
	{ LIST_REGEX, "a{3000,4000}" },
	{ LIST_REGEX, "(a?b?c?d?e?){200}" },
	{ LIST_REGEX, "^.{0,100}(\\.[a-z]{2,63}){0,5}$" },
	{ LIST_REGEX, "a{,10}" },
	{ LIST_REGEX, "((a+)+)+" },
	{ LIST_REGEX, "a{32767}" },
	{ LIST_REGEX, "[+{]+(x*)?" },
};

START_TEST(test_good_entry)
{
	struct list *l = list_new("good", good_entries[_i].kind);
	struct sink s = { 0 };

	ck_assert_msg(list_add(l, good_entries[_i].entry, sink_add, &s) == 0,
	    "%s: %s", good_entries[_i].entry, s.lines[0]);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(list_count(l), 1);
	list_free(l);
}
END_TEST

/*
 * Bad entries: the message must contain want (the whole message when
 * exact).
 */
struct bad_case {
	enum list_kind kind;
	const char *entry;
	const char *want;
	bool exact;
};

static const struct bad_case bad_cases[] = {
	{ LIST_CIDR, "300.1.2.3/8", "\"300.1.2.3/8\" is not an IPv4 or IPv6 "
	    "address or CIDR range (write 192.0.2.0/24 or 2001:db8::/32)",
	    true },
	{ LIST_CIDR, "192.0.2.0/33", "\"192.0.2.0/33\" has prefix length 33, "
	    "but an IPv4 prefix is 0 to 32 (192.0.2.0/24 is 256 addresses; "
	    "without /N it is one address)", true },
	{ LIST_CIDR, "2001:db8::/129", "has prefix length 129, but an IPv6 "
	    "prefix is 0 to 128", false },
	{ LIST_CIDR, "::ffff:192.0.2.0/129", "IPv6 prefix is 0 to 128",
	    false },
	{ LIST_CIDR, "192.0.2.0/", "\"192.0.2.0/\" has no prefix length after "
	    "'/' (write 192.0.2.0/24 or 2001:db8::/32)", true },
	{ LIST_CIDR, "192.0.2.0/-1", "no prefix length after '/'", false },
	{ LIST_CIDR, "192.0.2.0/2a", "no prefix length after '/'", false },
	{ LIST_CIDR, "192.0.2.0/ 24", "no prefix length after '/'", false },
	{ LIST_CIDR, "192.0.2.0/1000", "no prefix length after '/'", false },
	{ LIST_CIDR, "192.0.2.0/24/8", "no prefix length after '/'", false },
	{ LIST_CIDR, "example.com", "\"example.com\" is not an IPv4 or IPv6",
	    false },
	{ LIST_CIDR, "192.0.2", "is not an IPv4 or IPv6 address", false },
	{ LIST_CIDR, "01.2.3.4", "is not an IPv4 or IPv6 address", false },
	{ LIST_CIDR, "1::2::3", "is not an IPv4 or IPv6 address", false },
	{ LIST_CIDR, "[2001:db8::1]", "is not an IPv4 or IPv6 address", false },
	{ LIST_CIDR, "/24", "\"/24\" is not an IPv4 or IPv6 address", false },
	{ LIST_CIDR, "192.0.2.1 # office", "is not an IPv4 or IPv6 address",
	    false },
	{ LIST_CIDR, "", "an empty entry is not allowed in a cidr list",
	    true },
	{ LIST_CIDR, " \t ", "an empty entry is not allowed in a cidr list",
	    true },

	{ LIST_DOMAIN, "exa mple.com", "\"exa mple.com\" is not a domain "
	    "name: a space is not allowed in a domain name (use letters, "
	    "digits, '-' and '.') (write example.com for the name, "
	    ".example.com for its subdomains)", true },
	{ LIST_DOMAIN, "*.example.com", "\"*.example.com\" is not a domain "
	    "name: write \".example.com\" to match every subdomain of "
	    "\"example.com\"", true },
	{ LIST_DOMAIN, "user@example.com", "is not a domain name: it is an "
	    "address (put it in an address list", false },
	{ LIST_DOMAIN, "example..com", "it has two dots in a row", false },
	{ LIST_DOMAIN, "..example.com", "it starts with a dot", false },
	{ LIST_DOMAIN, "-example.com", "the label \"-example\" starts with "
	    "'-'", false },
	{ LIST_DOMAIN, "example-.com", "the label \"example-\" ends with '-'",
	    false },
	{ LIST_DOMAIN, "192.0.2.1", "looks like an IP address (put addresses "
	    "in a cidr list)", false },
	{ LIST_DOMAIN, ".", "\".\" is not a domain name: it is empty", false },
	{ LIST_DOMAIN, "example.com/24", "'/' is not allowed", false },
	{ LIST_DOMAIN, "exa\tmple.com", "\"exa\\tmple.com\" is not a domain "
	    "name: a tab is not allowed", false },
	{ LIST_DOMAIN, "exa\x01mple.com", "\"exa\\x01mple.com\" is not a "
	    "domain name: the control byte \\x01 is not allowed", false },
	{ LIST_DOMAIN, "*", "'*' is not allowed", false },
	{ LIST_DOMAIN, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z."
	    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z."
	    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z."
	    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z."
	    "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.com",
	    "...\" is not a domain name: it is 263 characters long, and a "
	    "domain name has at most 253", false },
	{ LIST_DOMAIN, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaa.com", "a label is 64 characters long, and a label has "
	    "at most 63", false },

	{ LIST_ADDRESS, "user@@x", "\"user@@x\" is not an address: it has more "
	    "than one '@' (write user@example.com, @example.com for a whole "
	    "domain or user@ for a local part at any domain)", true },
	{ LIST_ADDRESS, "example.com", "\"example.com\" is not an address: it "
	    "has no '@'", false },
	{ LIST_ADDRESS, "@", "\"@\" is not an address: it has neither a local "
	    "part nor a domain", false },
	{ LIST_ADDRESS, "us er@example.com", "a space is not allowed in a "
	    "local part", false },
	{ LIST_ADDRESS, "a(b)@example.com", "'(' is not allowed in a local "
	    "part", false },
	{ LIST_ADDRESS, "user@exa mple.com", "is not an address: in its "
	    "domain, a space is not allowed", false },
	{ LIST_ADDRESS, "user@example..com", "in its domain, it has two dots "
	    "in a row", false },
	{ LIST_ADDRESS, "user@.", "its domain is only a dot", false },
	{ LIST_ADDRESS, "user@.example.com", "in its domain, it starts with a "
	    "dot", false },
	{ LIST_ADDRESS, "\"open@example.com", "its quoted local part has no "
	    "closing '\"'", false },
	{ LIST_ADDRESS, "\"quoted\"x@example.com", "'@' must follow the quoted "
	    "local part", false },
	{ LIST_ADDRESS, "user@[300.1.1.1]", "its domain is not an address "
	    "literal (write user@[192.0.2.1] or user@[IPv6:2001:db8::1])",
	    false },
	{ LIST_ADDRESS, "user@[2001:db8::1]", "not an address literal",
	    false },
	{ LIST_ADDRESS, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaa@example.com", "its local part is 65 characters "
	    "long, and RFC 5321 allows 64", false },
	{ LIST_ADDRESS, "<", "'<' is not allowed in a local part", false },

	{ LIST_REGEX, "/a(b/", "\"/a(b/\" is not a valid regular expression: "
	    "Unmatched ( or \\( (close every '(' or write \\( for a literal "
	    "one)", true },
	{ LIST_REGEX, "[abc", "is not a valid regular expression: Unmatched [",
	    false },
	{ LIST_REGEX, "/*foo/", "Invalid preceding regular expression (put "
	    "*, +, ? or {} after something to repeat, or escape it with \\)",
	    false },
	{ LIST_REGEX, "a{1", "is not a valid regular expression", false },
	{ LIST_REGEX, "/foo", "\"/foo\" starts with '/' but has no closing '/' "
	    "(write /pattern/ or /pattern/i, or \\/ for a pattern that starts "
	    "with '/')", true },
	{ LIST_REGEX, "/", "has no closing '/'", false },
	/* glibc's regcomp would take seconds to hours on these (fuzz_lists). */
	{ LIST_REGEX, "a++++++++++++++++++++++++++++++", "\"a+++++++++++++"
	    "+++++++++++++++++\" repeats too much for the regex engine "
	    "(a repetition of a repetition, as in a++ or a*?, or nested ones "
	    "multiplying, as in ((a+)+)+ or (a{1000}){1000}, or over 1000 "
	    "optional copies, as in a{0,5000}; write each repetition once, "
	    "and smaller)", true },
	/* Optional copies: glibc's automaton grows with their square. */
	{ LIST_REGEX, "\\\\{,18111}", "repeats too much", false },
	{ LIST_REGEX, "a{0,5000}", "repeats too much", false },
	{ LIST_REGEX, "a{1,2002}", "repeats too much", false },
	{ LIST_REGEX, "\\\\{,1622*x,y}", "repeats too much", false },
	{ LIST_REGEX, "\\\\{\\,18112}", "repeats too much", false },
	{ LIST_REGEX, "(a?){10000}", "repeats too much", false },
	{ LIST_REGEX, "(a{0,40}){1000}", "repeats too much", false },
	{ LIST_REGEX, "(ab{0,1000}){0,40}", "repeats too much", false },
	{ LIST_REGEX, "x{0,1000}y{0,1000}z{0,1000}", "repeats too much",
	    false },
	{ LIST_REGEX, "((((((((((((((((((((((a)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+"
	    ")+)+)+)+)+", "repeats too much", false },
	{ LIST_REGEX, "a{1000}{1000}", "repeats too much", false },
	{ LIST_REGEX, "(x{300}y){300}", "repeats too much", false },
	{ LIST_REGEX, "g+++*+++++++++++r+", "repeats too much", false },
	{ LIST_REGEX, "a*?", "repeats too much", false },
	{ LIST_REGEX, "a{2}{3}", "repeats too much", false },
	{ LIST_REGEX, "a+++++++++?+++++++++++", "repeats too much", false },
	{ LIST_REGEX, "a*+*+*+*+*+*+*+*+*+*+*+*+*+*+*+*+*+", "repeats too much",
	    false },
	{ LIST_REGEX, "/foo/x", "\"/foo/x\" has the unknown flag 'x' after its "
	    "closing '/' (only i, for case-insensitive, is known)", true },
	{ LIST_REGEX, "/usr/bin", "unknown flag 'b'", false },
	{ LIST_REGEX, "//", "\"//\" is an empty pattern (write /^/ to match "
	    "everything)", true },
	{ LIST_REGEX, "//i", "is an empty pattern", false },
};

START_TEST(test_bad_entry)
{
	const struct bad_case *c = &bad_cases[_i];
	struct list *l = list_new("bad", c->kind);
	struct sink s = { 0 };

	errno = 0;
	ck_assert_msg(list_add(l, c->entry, sink_add, &s) == -1,
	    "\"%s\" accepted", c->entry);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(s.count, 1);
	if (c->exact)
		ck_assert_str_eq(s.lines[0], c->want);
	else
		ck_assert_msg(strstr(s.lines[0], c->want) != NULL,
		    "\"%s\" lacks \"%s\"", s.lines[0], c->want);
	ck_assert_uint_eq(list_count(l), 0);
	/* A list with only bad entries is an empty list. */
	ck_assert_int_eq(list_freeze(l), 0);
	list_free(l);
}
END_TEST

/* A bad entry is reported with err NULL too, just not told anyone. */
START_TEST(test_bad_entry_no_callback)
{
	struct list *l = list_new("quiet", LIST_CIDR);

	ck_assert_int_eq(list_add(l, "nonsense", NULL, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(list_add(l, "192.0.2.1", NULL, NULL), 0);
	list_free(l);
}
END_TEST

/* A very long entry is cut, visibly, in the message. */
START_TEST(test_long_entry_message)
{
	struct list *l = list_new("long", LIST_DOMAIN);
	struct sink s = { 0 };
	char entry[2000];

	memset(entry, 'a', sizeof(entry) - 1);
	entry[sizeof(entry) - 1] = '\0';
	entry[5] = ' ';
	ck_assert_int_eq(list_add(l, entry, sink_add, &s), -1);
	ck_assert_uint_eq(s.count, 1);
	ck_assert_ptr_nonnull(strstr(s.lines[0], "aaaa...\" is not a domain "
	    "name"));
	ck_assert_uint_lt(strlen(s.lines[0]), 400);
	list_free(l);
}
END_TEST

START_TEST(test_kinds)
{
	static const struct {
		const char *name;
		enum list_kind kind;
	} kinds[] = {
		{ "cidr", LIST_CIDR },
		{ "domain", LIST_DOMAIN },
		{ "address", LIST_ADDRESS },
		{ "regex", LIST_REGEX },
	};
	enum list_kind k;

	for (size_t i = 0; i < NELEM(kinds); i++) {
		ck_assert_str_eq(list_kind_name(kinds[i].kind), kinds[i].name);
		ck_assert_int_eq(list_kind_parse(kinds[i].name, &k), 0);
		ck_assert_int_eq(k, kinds[i].kind);
	}
	ck_assert_int_eq(list_kind_parse("ip", &k), -1);
	ck_assert_int_eq(list_kind_parse("CIDR", &k), -1);
	ck_assert_int_eq(list_kind_parse("", &k), -1);
	ck_assert_int_eq(list_kind_parse(NULL, &k), -1);
	ck_assert_str_eq(list_kind_name((enum list_kind)42), "unknown");
}
END_TEST

START_TEST(test_accessors)
{
	struct list *l = list_new("blocked-senders", LIST_ADDRESS);

	ck_assert_str_eq(list_name(l), "blocked-senders");
	ck_assert_int_eq(list_kind(l), LIST_ADDRESS);
	ck_assert_uint_eq(list_count(l), 0);
	ck_assert_int_eq(list_add(l, "a@example.com", NULL, NULL), 0);
	ck_assert_int_eq(list_add(l, "A@Example.com", NULL, NULL), 0);
	ck_assert_int_eq(list_add(l, "bad", NULL, NULL), -1);
	/* Duplicates count; bad entries do not. */
	ck_assert_uint_eq(list_count(l), 2);
	ck_assert_int_eq(list_freeze(l), 0);
	ck_assert_int_eq(list_freeze(l), 0);
	ck_assert(list_match_address(l, "a@example.com"));
	ck_assert(!list_match_address(l, NULL));
	list_free(l);
	l = list_new(NULL, LIST_REGEX);
	ck_assert_str_eq(list_name(l), "");
	list_free(l);
}
END_TEST

START_TEST(test_free)
{
	static const char *const entries[] = {
		"192.0.2.0/24", "2001:db8::/32", "example.com", ".example.com",
		"a@example.com", "/^x/i", NULL
	};
	static const enum list_kind kinds[] = {
		LIST_CIDR, LIST_DOMAIN, LIST_ADDRESS, LIST_REGEX
	};

	list_free(NULL);
	/* Unfrozen and frozen lists of every kind, with and without entries
	 * (good or bad for the kind): valgrind finds any leak. */
	for (size_t i = 0; i < NELEM(kinds); i++) {
		struct list *l = list_new("free", kinds[i]);

		list_free(l);
		l = list_new("free", kinds[i]);
		for (size_t j = 0; entries[j] != NULL; j++)
			list_add(l, entries[j], NULL, NULL);
		list_free(l);
		l = list_new("free", kinds[i]);
		for (size_t j = 0; entries[j] != NULL; j++)
			list_add(l, entries[j], NULL, NULL);
		ck_assert_int_eq(list_freeze(l), 0);
		list_free(l);
	}
}
END_TEST

/* test_regex_error - a regex engine error is -1, not "no match", and the
 * list works again once the engine does. */
START_TEST(test_regex_error)
{
	static const char *const entries[] = { "/^spam/", "/casino/i", NULL };
	struct list *l = build(LIST_REGEX, entries);

	ck_assert_int_eq(list_match_regex(l, "spam offer"), 1);
	ck_assert_int_eq(list_match_regex(l, "ham"), 0);
	regexec_fail_with = REG_ESPACE;
	ck_assert_int_eq(list_match_regex(l, "ham"), -1);
	ck_assert_int_eq(list_match_regex(l, "spam offer"), -1);
	regexec_fail_with = REG_BADPAT;
	ck_assert_int_eq(list_match_regex(l, "ham"), -1);
	regexec_fail_with = 0;
	ck_assert_int_eq(list_match_regex(l, "Casino night"), 1);
	ck_assert_int_eq(list_match_regex(l, NULL), 0);
	list_free(l);
}
END_TEST

START_TEST(test_empty_lists)
{
	static const char *const none[] = { NULL };
	struct list *l;
	unsigned char v4[4] = { 192, 0, 2, 1 }, v6[16] = { 0x20, 0x01 };

	l = build(LIST_CIDR, none);
	ck_assert(!list_match_ip(l, "192.0.2.1"));
	ck_assert(!list_match_ip(l, "::1"));
	ck_assert(!list_match_ip_bytes(l, AF_INET, v4));
	ck_assert(!list_match_ip_bytes(l, AF_INET6, v6));
	list_free(l);
	l = build(LIST_DOMAIN, none);
	ck_assert(!list_match_domain(l, "example.com"));
	ck_assert(!list_match_domain(l, ""));
	list_free(l);
	l = build(LIST_ADDRESS, none);
	ck_assert(!list_match_address(l, "user@example.com"));
	ck_assert(!list_match_address(l, ""));
	list_free(l);
	l = build(LIST_REGEX, none);
	ck_assert(!list_match_regex(l, "anything"));
	ck_assert(!list_match_regex(l, ""));
	list_free(l);
}
END_TEST

START_TEST(test_ip_bytes)
{
	static const char *const entries[] = {
		"192.0.2.0/24", "2001:db8::/32", NULL
	};
	struct list *l = build(LIST_CIDR, entries);
	unsigned char v4[4] = { 192, 0, 2, 200 }, v4out[4] = { 192, 0, 3, 1 };
	unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };
	unsigned char v6out[16] = { 0x20, 0x01, 0x0d, 0xb9 };
	unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
	    192, 0, 2, 9 };

	ck_assert(list_match_ip_bytes(l, AF_INET, v4));
	ck_assert(!list_match_ip_bytes(l, AF_INET, v4out));
	ck_assert(list_match_ip_bytes(l, AF_INET6, v6));
	ck_assert(!list_match_ip_bytes(l, AF_INET6, v6out));
	ck_assert(list_match_ip_bytes(l, AF_INET6, mapped));
	ck_assert(!list_match_ip_bytes(l, AF_UNIX, v4));
	ck_assert(!list_match_ip_bytes(l, AF_INET, NULL));
	ck_assert(!list_match_ip(l, NULL));
	list_free(l);
}
END_TEST

/*
 * Files.
 */
START_TEST(test_load_file)
{
	static const char text[] =
	    "# office and partners\n"		/* 1 */
	    "192.0.2.0/24\n"			/* 2 */
	    "\n"				/* 3 */
	    "   10.0.0.0/8   \n"		/* 4 */
	    "300.1.2.3/8\n"			/* 5 */
	    "\t# an indented comment\n"		/* 6 */
	    "2001:db8::/32\r\n"			/* 7 */
	    "192.0.2.0/33\n"			/* 8 */
	    "not an address\n"			/* 9 */
	    "  \t \n"				/* 10 */
	    "::1";				/* 11, no newline */
	char path[64], want[200];
	struct list *l = list_new("file", LIST_CIDR);
	struct sink s = { 0 };

	write_temp(path, sizeof(path), text, sizeof(text) - 1);
	errno = 0;
	ck_assert_int_eq(list_load_file(l, path, sink_add, &s), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Every bad line, in one run, each with its line number. */
	ck_assert_uint_eq(s.count, 3);
	snprintf(want, sizeof(want), "%s:5: \"300.1.2.3/8\" is not an IPv4 "
	    "or IPv6 address or CIDR range (write 192.0.2.0/24 or "
	    "2001:db8::/32)", path);
	ck_assert_str_eq(s.lines[0], want);
	snprintf(want, sizeof(want), "%s:8: \"192.0.2.0/33\" has prefix "
	    "length 33", path);
	ck_assert_msg(strncmp(s.lines[1], want, strlen(want)) == 0, "%s",
	    s.lines[1]);
	snprintf(want, sizeof(want), "%s:9: \"not an address\" is not", path);
	ck_assert_msg(strncmp(s.lines[2], want, strlen(want)) == 0, "%s",
	    s.lines[2]);
	/* The good lines are in. */
	ck_assert_uint_eq(list_count(l), 4);
	ck_assert_int_eq(list_freeze(l), 0);
	ck_assert(list_match_ip(l, "192.0.2.5"));
	ck_assert(list_match_ip(l, "10.20.30.40"));
	ck_assert(list_match_ip(l, "2001:db8::99"));
	ck_assert(list_match_ip(l, "::1"));
	ck_assert(!list_match_ip(l, "198.51.100.1"));
	unlink(path);
	list_free(l);
}
END_TEST

/* Every kind through a file, all good: 0 and the entries in. */
START_TEST(test_load_file_kinds)
{
	static const struct {
		enum list_kind kind;
		const char *text, *hit, *miss;
		size_t count;
	} files[] = {
		{ LIST_DOMAIN, "# senders\nexample.com\n.example.net\n\n",
		    "a.example.net", "example.net", 2 },
		{ LIST_ADDRESS, "a@example.com\r\n@example.org\r\nroot@\r\n",
		    "root@example.net", "a@example.org.uk", 3 },
		{ LIST_REGEX, "/^a b$/\n  c d  \n#e\n/F/i\n", "xc dx", "#e",
		    3 },
		{ LIST_CIDR, "", "192.0.2.1", "192.0.2.1", 0 },
	};

	for (size_t i = 0; i < NELEM(files); i++) {
		struct list *l = list_new("file", files[i].kind);
		struct sink s = { 0 };
		char path[64];

		write_temp(path, sizeof(path), files[i].text,
		    strlen(files[i].text));
		ck_assert_int_eq(list_load_file(l, path, sink_add, &s), 0);
		ck_assert_uint_eq(s.count, 0);
		ck_assert_uint_eq(list_count(l), files[i].count);
		ck_assert_int_eq(list_freeze(l), 0);
		if (files[i].count > 0)
			ck_assert_msg(matches(l, files[i].hit), "%s",
			    files[i].hit);
		ck_assert_msg(!matches(l, files[i].miss), "%s",
		    files[i].miss);
		unlink(path);
		list_free(l);
	}
}
END_TEST

/* Bad lines of other kinds: file:line for each, the rest loaded. */
START_TEST(test_load_file_bad_kinds)
{
	static const char text[] =
	    "example.com\n"
	    "exa mple.com\n"
	    "*.example.org\n"
	    ".example.net\n";
	static const char regex_text[] =
	    "/ok/\n"
	    "\n"
	    "/a(b/\n"
	    "/c/x\n";
	char path[64], want[200];
	struct list *l = list_new("domains", LIST_DOMAIN);
	struct sink s = { 0 };

	write_temp(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_int_eq(list_load_file(l, path, sink_add, &s), -1);
	ck_assert_uint_eq(s.count, 2);
	snprintf(want, sizeof(want), "%s:2: \"exa mple.com\" is not a domain "
	    "name", path);
	ck_assert_msg(strncmp(s.lines[0], want, strlen(want)) == 0, "%s",
	    s.lines[0]);
	snprintf(want, sizeof(want), "%s:3: \"*.example.org\" is not a domain "
	    "name: write \".example.org\"", path);
	ck_assert_msg(strncmp(s.lines[1], want, strlen(want)) == 0, "%s",
	    s.lines[1]);
	ck_assert_uint_eq(list_count(l), 2);
	unlink(path);
	list_free(l);

	l = list_new("regexes", LIST_REGEX);
	memset(&s, 0, sizeof(s));
	write_temp(path, sizeof(path), regex_text, sizeof(regex_text) - 1);
	ck_assert_int_eq(list_load_file(l, path, sink_add, &s), -1);
	ck_assert_uint_eq(s.count, 2);
	snprintf(want, sizeof(want), "%s:3: \"/a(b/\" is not a valid regular "
	    "expression: Unmatched ( or \\(", path);
	ck_assert_msg(strncmp(s.lines[0], want, strlen(want)) == 0, "%s",
	    s.lines[0]);
	snprintf(want, sizeof(want), "%s:4: \"/c/x\" has the unknown flag "
	    "'x'", path);
	ck_assert_msg(strncmp(s.lines[1], want, strlen(want)) == 0, "%s",
	    s.lines[1]);
	ck_assert_uint_eq(list_count(l), 1);
	unlink(path);
	list_free(l);
}
END_TEST

/* A file that cannot be read: -1 with errno, and nothing reported, so the
 * caller can name the config line that gave the path. */
START_TEST(test_load_file_missing)
{
	struct list *l = list_new("missing", LIST_DOMAIN);
	struct sink s = { 0 };

	errno = 0;
	ck_assert_int_eq(list_load_file(l, "/nonexistent/lists.txt", sink_add,
	    &s), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_uint_eq(s.count, 0);
	/* A directory opens but does not read. */
	ck_assert_int_eq(list_load_file(l, "/tmp", sink_add, &s), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_uint_eq(s.count, 0);
	ck_assert_uint_eq(list_count(l), 0);
	list_free(l);
}
END_TEST

START_TEST(test_load_file_nul)
{
	static const char text[] = "example.com\nexa\0mple.com\nexample.org\n";
	char path[64], want[100];
	struct list *l = list_new("nul", LIST_DOMAIN);
	struct sink s = { 0 };

	write_temp(path, sizeof(path), text, sizeof(text) - 1);
	ck_assert_int_eq(list_load_file(l, path, sink_add, &s), -1);
	ck_assert_uint_eq(s.count, 1);
	snprintf(want, sizeof(want), "%s:2: the line holds a NUL byte", path);
	ck_assert_msg(strncmp(s.lines[0], want, strlen(want)) == 0, "%s",
	    s.lines[0]);
	ck_assert_uint_eq(list_count(l), 2);
	unlink(path);
	list_free(l);
}
END_TEST

/*
 * Big lists.
 */

/* big_cidr_v4 - the IPv4 /24 number i of the big list, in buf. */
static const char *
big_cidr_v4(char *buf, size_t size, unsigned i, unsigned host)
{
	snprintf(buf, size, "%u.%u.%u.%u", 10 + (i >> 16), (i >> 8) & 255,
	    i & 255, host);
	return buf;
}

START_TEST(test_big_cidr)
{
	struct list *v4 = list_new("v4", LIST_CIDR);
	struct list *v6 = list_new("v6", LIST_CIDR);
	char buf[64];

	for (unsigned i = 0; i < BIG; i++) {
		big_cidr_v4(buf, sizeof(buf), i, 0);
		strcat(buf, "/24");
		ck_assert_int_eq(list_add(v4, buf, NULL, NULL), 0);
		snprintf(buf, sizeof(buf), "2001:db8:%x:%x::/64", i >> 16,
		    i & 0xffff);
		ck_assert_int_eq(list_add(v6, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(v4), 0);
	ck_assert_int_eq(list_freeze(v6), 0);
	ck_assert_uint_eq(list_count(v4), BIG);
	for (unsigned i = 0; i < BIG + 20000; i++) {
		bool in = i < BIG;

		ck_assert_msg(list_match_ip(v4, big_cidr_v4(buf, sizeof(buf),
		    i, i % 256)) == in, "%s", buf);
		snprintf(buf, sizeof(buf), "2001:db8:%x:%x:%x::1", i >> 16,
		    i & 0xffff, i % 65536);
		ck_assert_msg(list_match_ip(v6, buf) == in, "%s", buf);
	}
	ck_assert(!list_match_ip(v4, "9.255.255.255"));
	ck_assert(!list_match_ip(v4, "2001:db8::1"));
	ck_assert(!list_match_ip(v6, "2001:db9::1"));
	ck_assert(!list_match_ip(v6, "10.0.0.1"));
	list_free(v4);
	list_free(v6);
}
END_TEST

START_TEST(test_big_domain)
{
	struct list *l = list_new("domains", LIST_DOMAIN);
	char buf[100];

	/* Even: exact names; odd: parents. */
	for (unsigned i = 0; i < BIG; i++) {
		if (i % 2 == 0)
			snprintf(buf, sizeof(buf), "host%u.Example%u.test", i,
			    i % 97);
		else
			snprintf(buf, sizeof(buf), ".zone%u.test", i);
		ck_assert_int_eq(list_add(l, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < BIG + 20000; i++) {
		bool in = i < BIG;

		if (i % 2 == 0) {
			snprintf(buf, sizeof(buf), "HOST%u.example%u.test", i,
			    i % 97);
			ck_assert_msg(list_match_domain(l, buf) == in, "%s",
			    buf);
			snprintf(buf, sizeof(buf), "a.host%u.example%u.test", i,
			    i % 97);
			ck_assert_msg(!list_match_domain(l, buf), "%s", buf);
		} else {
			snprintf(buf, sizeof(buf), "a.b.zone%u.test.", i);
			ck_assert_msg(list_match_domain(l, buf) == in, "%s",
			    buf);
			snprintf(buf, sizeof(buf), "zone%u.test", i);
			ck_assert_msg(!list_match_domain(l, buf), "%s", buf);
		}
	}
	ck_assert(!list_match_domain(l, "test"));
	ck_assert(!list_match_domain(l, "example.test"));
	list_free(l);
}
END_TEST

START_TEST(test_big_address)
{
	struct list *l = list_new("addresses", LIST_ADDRESS);
	char buf[100];

	for (unsigned i = 0; i < BIG; i++) {
		switch (i % 3) {
		case 0:
			snprintf(buf, sizeof(buf), "user%u@example.test", i);
			break;
		case 1:
			snprintf(buf, sizeof(buf), "@dom%u.test", i);
			break;
		default:
			snprintf(buf, sizeof(buf), "local%u@", i);
			break;
		}
		ck_assert_int_eq(list_add(l, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < BIG + 20000; i++) {
		bool in = i < BIG;

		switch (i % 3) {
		case 0:
			snprintf(buf, sizeof(buf), "User%u@example.test", i);
			ck_assert_msg(list_match_address(l, buf) == in, "%s",
			    buf);
			snprintf(buf, sizeof(buf), "user%u@example.org", i);
			ck_assert_msg(!list_match_address(l, buf), "%s", buf);
			break;
		case 1:
			snprintf(buf, sizeof(buf), "x%u@dom%u.test", i, i);
			ck_assert_msg(list_match_address(l, buf) == in, "%s",
			    buf);
			snprintf(buf, sizeof(buf), "x@sub.dom%u.test", i);
			ck_assert_msg(!list_match_address(l, buf), "%s", buf);
			break;
		default:
			snprintf(buf, sizeof(buf), "local%u@x%u.example", i, i);
			ck_assert_msg(list_match_address(l, buf) == in, "%s",
			    buf);
			snprintf(buf, sizeof(buf), "xlocal%u@example", i);
			ck_assert_msg(!list_match_address(l, buf), "%s", buf);
			break;
		}
	}
	list_free(l);
}
END_TEST

/* Regexes are tried one by one, so the big regex list is smaller. */
START_TEST(test_big_regex)
{
	struct list *l = list_new("regexes", LIST_REGEX);
	char buf[100];
	unsigned n = 1000;

	for (unsigned i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "/^subject %u$/%s", i,
		    i % 2 ? "i" : "");
		ck_assert_int_eq(list_add(l, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < n + 100; i += 7) {
		snprintf(buf, sizeof(buf), "subject %u", i);
		ck_assert_msg(list_match_regex(l, buf) == (i < n), "%s", buf);
		snprintf(buf, sizeof(buf), "SUBJECT %u", i);
		ck_assert_msg(list_match_regex(l, buf) == (i < n && i % 2),
		    "%s", buf);
	}
	list_free(l);
}
END_TEST

/* A big list read from a file, as a deployment would. */
START_TEST(test_big_file)
{
	struct list *l = list_new("file", LIST_DOMAIN);
	char path[64], buf[64];
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_lists.XXXXXX");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	for (unsigned i = 0; i < BIG; i++)
		fprintf(fp, "%s.d%u.example\n", i % 10 == 0 ? "# " : "", i);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(list_load_file(l, path, NULL, NULL), 0);
	ck_assert_uint_eq(list_count(l), BIG - BIG / 10);
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < BIG; i++) {
		snprintf(buf, sizeof(buf), "x.d%u.example", i);
		ck_assert_msg(list_match_domain(l, buf) == (i % 10 != 0), "%s",
		    buf);
	}
	unlink(path);
	list_free(l);
}
END_TEST

/*
 * The prefix tree against a linear scan, over random ranges.
 */

/* rng - the next number of the xorshift generator state. */
static uint64_t
rng(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* in_prefix - whether the bytes a lie in the range p/len. */
static bool
in_prefix(const unsigned char *a, const unsigned char *p, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned bit = 7 - i % 8;

		if (((a[i / 8] >> bit) & 1) != ((p[i / 8] >> bit) & 1))
			return false;
	}
	return true;
}

/* Loop index: 0 IPv4 and 1 IPv6 with few ranges, 2 and 3 with enough
 * for the tree to get a jump table. */
START_TEST(test_cidr_random)
{
	enum { NRANGES_MAX = 6000 };
	static unsigned char ranges[NRANGES_MAX][16];
	static unsigned lens[NRANGES_MAX];
	unsigned nbytes = _i % 2 == 0 ? 4 : 16, nbits = nbytes * 8;
	unsigned nranges = _i < 2 ? 400 : NRANGES_MAX;
	unsigned nqueries = _i < 2 ? 20000 : 4000;
	int family = _i % 2 == 0 ? AF_INET : AF_INET6;
	struct list *l = list_new("random", LIST_CIDR);
	uint64_t state = 0x9e3779b97f4a7c15u + (uint64_t)_i;
	char text[80], addr[64];
	unsigned hits = 0;

	for (unsigned r = 0; r < nranges; r++) {
		/* Few distinct leading bytes, so that ranges overlap. */
		for (unsigned b = 0; b < nbytes; b++)
			ranges[r][b] = (unsigned char)rng(&state);
		ranges[r][0] = (unsigned char)(32 + rng(&state) % 4);
		ranges[r][1] &= 0x0f;
		/* Mostly long ranges, a few wide ones: some of the space is
		 * covered, not all. */
		if (rng(&state) % (nranges / 40) == 0)
			lens[r] = 16 + (unsigned)(rng(&state) % (nbits - 23));
		else
			lens[r] = nbits - 8 + (unsigned)(rng(&state) % 9);
		inet_ntop(family, ranges[r], addr, sizeof(addr));
		snprintf(text, sizeof(text), "%s/%u", addr, lens[r]);
		ck_assert_msg(list_add(l, text, NULL, NULL) == 0, "%s", text);
	}
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned q = 0; q < nqueries; q++) {
		unsigned char a[16];
		bool want = false;

		if (q % 2 == 0) {
			/* In a range, or just out of it: one prefix bit
			 * flipped. */
			unsigned r = (unsigned)(rng(&state) % nranges), bit;

			memcpy(a, ranges[r], nbytes);
			for (bit = lens[r]; bit < nbits; bit++)
				if (rng(&state) % 2 == 0)
					a[bit / 8] ^= (unsigned char)(0x80 >>
					    bit % 8);
			if (rng(&state) % 2 == 0) {
				bit = (unsigned)(rng(&state) % lens[r]);
				a[bit / 8] ^= (unsigned char)(0x80 >> bit % 8);
			}
		} else {
			for (unsigned b = 0; b < nbytes; b++)
				a[b] = (unsigned char)rng(&state);
			a[0] = (unsigned char)(32 + rng(&state) % 4);
			a[1] &= 0x0f;
		}
		for (unsigned r = 0; r < nranges && !want; r++)
			want = in_prefix(a, ranges[r], lens[r]);
		hits += want;
		ck_assert_int_eq(list_match_ip_bytes(l, family, a), want);
		inet_ntop(family, a, addr, sizeof(addr));
		ck_assert_msg(list_match_ip(l, addr) == want, "%s", addr);
	}
	/* Both answers were tested. */
	ck_assert_uint_gt(hits, nqueries / 10);
	ck_assert_uint_lt(hits, nqueries - nqueries / 10);
	list_free(l);
}
END_TEST

/* Many hosts in one /16: the jump table then reads bits past the /32. */
START_TEST(test_cidr_dense)
{
	struct list *l = list_new("dense", LIST_CIDR);
	char buf[64];

	for (unsigned i = 0; i < 65536; i += 2) {
		snprintf(buf, sizeof(buf), "10.1.%u.%u", i >> 8, i & 255);
		ck_assert_int_eq(list_add(l, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_add(l, "10.1.77.0/24", NULL, NULL), 0);
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < 65536; i++) {
		snprintf(buf, sizeof(buf), "10.1.%u.%u", i >> 8, i & 255);
		ck_assert_msg(list_match_ip(l, buf) == (i % 2 == 0 ||
		    i >> 8 == 77), "%s", buf);
	}
	ck_assert(!list_match_ip(l, "10.0.255.254"));
	ck_assert(!list_match_ip(l, "10.2.0.0"));
	ck_assert(!list_match_ip(l, "::ffff:10.1.0.1"));
	ck_assert(list_match_ip(l, "::ffff:10.1.0.2"));
	list_free(l);

	/* IPv6 ranges whose first fork is at bit 58: the jump table's bits
	 * straddle the two halves of the key. */
	l = list_new("dense6", LIST_CIDR);
	for (unsigned i = 0; i < 10000; i++) {
		snprintf(buf, sizeof(buf), "2001:db8:0:%x:%x::/80", i >> 8,
		    (i & 255) << 8);
		ck_assert_int_eq(list_add(l, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(l), 0);
	for (unsigned i = 0; i < 10240; i++) {
		snprintf(buf, sizeof(buf), "2001:db8:0:%x:%x:1::ff", i >> 8,
		    (i & 255) << 8);
		ck_assert_msg(list_match_ip(l, buf) == (i < 10000), "%s", buf);
		snprintf(buf, sizeof(buf), "2001:db8:0:%x:%x::", i >> 8,
		    (i & 255) << 8 | 1);
		ck_assert_msg(!list_match_ip(l, buf), "%s", buf);
	}
	list_free(l);
}
END_TEST

/*
 * Threads.
 */
struct thread_arg {
	const struct list *cidr, *domain, *address, *regex;
	unsigned seed, wrong;
};

/* thread_main - NULL, after matching the lists and counting wrong
 * answers in the arg. */
static void *
thread_main(void *p)
{
	struct thread_arg *t = p;
	char buf[64];

	for (unsigned n = 0; n < 20000; n++) {
		unsigned i = (n * 7919u + t->seed) % 4000;
		bool in = i < 2000;

		snprintf(buf, sizeof(buf), "10.%u.%u.9", i >> 8, i & 255);
		t->wrong += list_match_ip(t->cidr, buf) != in;
		snprintf(buf, sizeof(buf), "a.d%u.example", i);
		t->wrong += list_match_domain(t->domain, buf) != in;
		snprintf(buf, sizeof(buf), "u%u@example.com", i);
		t->wrong += list_match_address(t->address, buf) != in;
		snprintf(buf, sizeof(buf), "x%u", i % 20);
		t->wrong += list_match_regex(t->regex, buf) != (i % 20 < 10);
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct list *cidr = list_new("c", LIST_CIDR);
	struct list *domain = list_new("d", LIST_DOMAIN);
	struct list *address = list_new("a", LIST_ADDRESS);
	struct list *regex = list_new("r", LIST_REGEX);
	struct thread_arg args[4];
	pthread_t threads[4];
	char buf[64];

	for (unsigned i = 0; i < 2000; i++) {
		snprintf(buf, sizeof(buf), "10.%u.%u.0/24", i >> 8, i & 255);
		ck_assert_int_eq(list_add(cidr, buf, NULL, NULL), 0);
		snprintf(buf, sizeof(buf), ".d%u.example", i);
		ck_assert_int_eq(list_add(domain, buf, NULL, NULL), 0);
		snprintf(buf, sizeof(buf), "u%u@example.com", i);
		ck_assert_int_eq(list_add(address, buf, NULL, NULL), 0);
	}
	for (unsigned i = 0; i < 10; i++) {
		snprintf(buf, sizeof(buf), "/^x%u$/", i);
		ck_assert_int_eq(list_add(regex, buf, NULL, NULL), 0);
	}
	ck_assert_int_eq(list_freeze(cidr), 0);
	ck_assert_int_eq(list_freeze(domain), 0);
	ck_assert_int_eq(list_freeze(address), 0);
	ck_assert_int_eq(list_freeze(regex), 0);
	for (unsigned i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ cidr, domain, address, regex,
		    i * 1000, 0 };
		ck_assert_int_eq(pthread_create(&threads[i], NULL, thread_main,
		    &args[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
		ck_assert_uint_eq(args[i].wrong, 0);
	}
	list_free(cidr);
	list_free(domain);
	list_free(address);
	list_free(regex);
}
END_TEST

/* lists_suite - the suite of every test above. */
static Suite *
lists_suite(void)
{
	Suite *s = suite_create("lists");
	TCase *tc = tcase_create("match");

	tcase_add_loop_test(tc, test_match, 0,
	    NELEM(match_cases));
	tcase_add_test(tc, test_ip_bytes);
	tcase_add_test(tc, test_empty_lists);
	tcase_add_test(tc, test_regex_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("entries");
	tcase_add_loop_test(tc, test_good_entry, 0,
	    NELEM(good_entries));
	tcase_add_loop_test(tc, test_bad_entry, 0,
	    NELEM(bad_cases));
	tcase_add_test(tc, test_bad_entry_no_callback);
	tcase_add_test(tc, test_long_entry_message);
	tcase_add_test(tc, test_kinds);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_free);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_file_kinds);
	tcase_add_test(tc, test_load_file_bad_kinds);
	tcase_add_test(tc, test_load_file_missing);
	tcase_add_test(tc, test_load_file_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("big");
	/* Generous, for valgrind. */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_big_cidr);
	tcase_add_loop_test(tc, test_cidr_random, 0, 4);
	tcase_add_test(tc, test_cidr_dense);
	tcase_add_test(tc, test_big_domain);
	tcase_add_test(tc, test_big_address);
	tcase_add_test(tc, test_big_regex);
	tcase_add_test(tc, test_big_file);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

/* main - 0 when every test passed, 1 otherwise. */
int
main(void)
{
	return check_main_run(lists_suite());
}
