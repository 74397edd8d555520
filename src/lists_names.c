/*
 * lists_names - domain and address lists: one hash table of names
 *
 * How it is built:
 *   - domains and addresses: the keys, normalised to lower case, go into
 *     one character arena while the list is built, with a small record of
 *     each (offset, length, flags).  list_freeze builds an open-addressing
 *     table (linear probing, at most half full) over the arena and frees
 *     the records.  Domains: one table, each key flagged EXACT ("x.y")
 *     and/or PARENT (".x.y"); a lookup hashes the name from its end, so
 *     the hash of every parent domain falls out of one pass.  Addresses:
 *     "user@example.com", "@example.com" and "user@" are stored as
 *     written; a lookup tries the whole address, its "@domain" tail and
 *     its "local@" head, all substrings of the query.
 */
#include "config.h"

#include "lists_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* list_domain_char_ok - whether byte c may appear in a domain label:
 * letters, digits, '-', '_' (seen in real host names) and UTF-8. */
static bool
list_domain_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80;
}


/* list_domain_problem - NULL when s (len bytes, no trailing dot) is a
 * domain name, or what is wrong with it, written in why. */
static const char *
list_domain_problem(const char *s, size_t len, char *why, size_t size)
{
	char c[32];
	size_t start = 0;
	bool digits = true;

	if (len == 0)
		return "it is empty";
	if (len > LIST_DOMAIN_MAX) {
		snprintf(why, size, "it is %zu characters long, and a domain "
		    "name has at most %d", len, LIST_DOMAIN_MAX);
		return why;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)s[i] : '.';

		if (ch != '.') {
			if (!list_domain_char_ok(ch)) {
				snprintf(why, size, "%s is not allowed in a "
				    "domain name (use letters, digits, '-' "
				    "and '.')", list_char_name(c, sizeof(c),
				    ch));
				return why;
			}
			if (ch < '0' || ch > '9')
				digits = false;
			continue;
		}
		if (i == start)
			return i == 0 ? "it starts with a dot" :
			    "it has two dots in a row";
		if (i - start > LIST_LABEL_MAX) {
			snprintf(why, size, "a label is %zu characters long, "
			    "and a label has at most %d", i - start,
			    LIST_LABEL_MAX);
			return why;
		}
		if (s[start] == '-' || s[i - 1] == '-') {
			snprintf(why, size, "the label \"%.*s\" %s with '-'",
			    (int)(i - start), s + start, s[start] == '-' ?
			    "starts" : "ends");
			return why;
		}
		if (i < len) {
			start = i + 1;
			digits = true;
		}
	}
	if (digits)
		return "its last label is all digits, so it looks like an IP "
		    "address (put addresses in a cidr list)";
	return NULL;
}

/*
 * Hash tables of domains and addresses.
 */

/* list_hash - FNV-1a of s (len bytes) folded to lower case, read from the
 * end, so the hash of a name extends the hash of its parent domain. */
static uint64_t
list_hash(const char *s, size_t len)
{
	uint64_t h = LIST_FNV_BASIS;

	while (len > 0)
		h = (h ^ list_fold((unsigned char)s[--len])) * LIST_FNV_PRIME;
	return h;
}

/* list_mix - h with its bits spread, so that the low ones index well. */
static uint64_t
list_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* list_table_add - 0 once the lower-case key s (len bytes) is staged with
 * flags, or -1 when out of memory. */
static int
list_table_add(struct list_table *t, const char *s, size_t len,
    unsigned flags)
{
	struct list_key *k;

	/* The arena exists once a key does, even "" (the null sender). */
	if (t->arena == NULL || t->arena_size - t->arena_len < len) {
		size_t size = t->arena_size == 0 ? 4096 : t->arena_size;
		char *p;

		while (size - t->arena_len < len)
			size *= 2;
		if ((uint64_t)t->arena_len + len > UINT32_MAX ||
		    (p = realloc(t->arena, size)) == NULL)
			return -1;
		t->arena = p;
		t->arena_size = size;
	}
	if (t->nkeys == t->keys_size) {
		size_t size = t->keys_size == 0 ? 64 : t->keys_size * 2;

		if ((k = realloc(t->keys, size * sizeof(*k))) == NULL)
			return -1;
		t->keys = k;
		t->keys_size = size;
	}
	k = &t->keys[t->nkeys++];
	k->off = (uint32_t)t->arena_len;
	k->len = (uint16_t)len;
	k->flags = (uint8_t)flags;
	memcpy(t->arena + t->arena_len, s, len);
	t->arena_len += len;
	return 0;
}

/* list_table_build - 0 once t's staged keys are hashed into its table, or
 * -1 when out of memory (t is then unchanged). */
int
list_table_build(struct list_table *t)
{
	struct list_slot *slots;
	size_t n = 8, mask;
	char *p;

	while (n < t->nkeys * 2)
		n *= 2;
	if ((slots = calloc(n, sizeof(*slots))) == NULL)
		return -1;
	mask = n - 1;
	for (size_t i = 0; i < t->nkeys; i++) {
		const struct list_key *k = &t->keys[i];
		uint64_t m = list_mix(list_hash(t->arena + k->off, k->len));
		uint32_t tag = (uint32_t)(m >> 32);
		size_t j = (size_t)m & mask;

		for (;; j = (j + 1) & mask) {
			struct list_slot *s = &slots[j];

			if (s->flags == 0) {
				s->off = k->off;
				s->tag = tag;
				s->len = k->len;
				s->flags = k->flags;
				break;
			}
			if (s->tag == tag && s->len == k->len &&
			    memcmp(t->arena + s->off, t->arena + k->off,
			    k->len) == 0) {
				s->flags |= k->flags;
				break;
			}
		}
	}
	t->slots = slots;
	t->mask = mask;
	free(t->keys);
	t->keys = NULL;
	t->nkeys = t->keys_size = 0;
	if (t->arena_len < t->arena_size && t->arena_len > 0 &&
	    (p = realloc(t->arena, t->arena_len)) != NULL) {
		t->arena = p;
		t->arena_size = t->arena_len;
	}
	return 0;
}

/* list_table_find - the flags of the key s (len bytes, any case) whose
 * list_hash is h, or 0 when it is not in t. */
static unsigned
list_table_find(const struct list_table *t, const char *s, size_t len,
    uint64_t h)
{
	uint64_t m = list_mix(h);
	uint32_t tag = (uint32_t)(m >> 32);

	if (t->slots == NULL || len > LIST_KEY_MAX)
		return 0;
	for (size_t i = (size_t)m & t->mask;; i = (i + 1) & t->mask) {
		const struct list_slot *slot = &t->slots[i];

		if (slot->flags == 0)
			return 0;
		if (slot->tag == tag && slot->len == len &&
		    list_eq_fold(s, t->arena + slot->off, len))
			return slot->flags;
	}
}

/* list_table_free - nothing; releases everything t holds. */
void
list_table_free(struct list_table *t)
{
	free(t->arena);
	free(t->keys);
	free(t->slots);
}

/* list_lower - nothing; copies len bytes of s to out in lower case. */
static void
list_lower(char *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (char)list_fold((unsigned char)s[i]);
}

/* list_add_domain - 0 once the domain entry e (len bytes) is in list, or
 * -1 after reporting why it cannot be. */
int
list_add_domain(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	char q[LIST_QUOTE_SIZE], q2[LIST_QUOTE_SIZE], q3[LIST_QUOTE_SIZE];
	char why[160], key[LIST_DOMAIN_MAX];
	const char *name = e, *problem;
	size_t nlen = len;
	unsigned flags = LIST_F_EXACT;

	if (memchr(e, '@', len) != NULL) {
		list_report(w, "%s is not a domain name: it is an address (put "
		    "it in an address list, or %s)", list_quote(q, e, len),
		    LIST_DOMAIN_HINT);
		return list_bad();
	}
	if (len >= 2 && e[0] == '*' && e[1] == '.') {
		list_report(w, "%s is not a domain name: write %s to match "
		    "every subdomain of %s", list_quote(q, e, len),
		    list_quote(q2, e + 1, len - 1), list_quote(q3, e + 2,
		    len - 2));
		return list_bad();
	}
	if (nlen > 0 && name[0] == '.') {
		flags = LIST_F_PARENT;
		name++;
		nlen--;
	}
	if (nlen > 0 && name[nlen - 1] == '.')
		nlen--;
	if ((problem = list_domain_problem(name, nlen, why,
	    sizeof(why))) != NULL) {
		list_report(w, "%s is not a domain name: %s (%s)",
		    list_quote(q, e, len), problem, LIST_DOMAIN_HINT);
		return list_bad();
	}
	list_lower(key, name, nlen);
	if (list_table_add(&list->table, key, nlen, flags) == -1)
		return list_no_memory(w);
	return 0;
}

/* list_local_char_ok - whether byte c may appear in an unquoted local
 * part: RFC 5322 atext, '.', and UTF-8 (RFC 6531). */
static bool
list_local_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* list_literal_ok - whether s (len bytes) is an address literal as RFC
 * 5321 writes it: "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
static bool
list_literal_ok(const char *s, size_t len)
{
	char buf[LIST_ADDR_SIZE];
	unsigned char bytes[16];
	int family = AF_INET;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return false;
	s++;
	len -= 2;
	if (len >= 5 && list_eq_fold(s, "ipv6:", 5)) {
		family = AF_INET6;
		s += 5;
		len -= 5;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(family, buf, bytes) == 1;
}

/* list_add_address - 0 once the address entry e (len bytes) is in list,
 * or -1 after reporting why it cannot be. */
int
list_add_address(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	char q[LIST_QUOTE_SIZE], why[160], key[LIST_KEY_MAX], c[32];
	const char *problem, *domain;
	size_t i = 0, dlen;

	/* "<user@example.com>" is read as user@example.com, "<>" as the
	 * null sender. */
	if (len >= 2 && e[0] == '<' && e[len - 1] == '>') {
		e++;
		len -= 2;
		if (len == 0) {
			if (list_table_add(&list->table, "", 0,
			    LIST_F_EXACT) == -1)
				return list_no_memory(w);
			return 0;
		}
	}
	if (len > 0 && e[0] == '"') {
		for (i = 1; i < len && e[i] != '"'; i++)
			if (e[i] == '\\' && i + 1 < len)
				i++;
		if (i >= len) {
			list_report(w, "%s is not an address: its quoted "
			    "local part has no closing '\"' (%s)",
			    list_quote(q, e, len), LIST_ADDRESS_HINT);
			return list_bad();
		}
		i++;
		if (i < len && e[i] != '@') {
			list_report(w, "%s is not an address: '@' must follow "
			    "the quoted local part (%s)", list_quote(q, e,
			    len), LIST_ADDRESS_HINT);
			return list_bad();
		}
	} else
		for (; i < len && e[i] != '@'; i++)
			if (!list_local_char_ok((unsigned char)e[i])) {
				list_report(w, "%s is not an address: %s is "
				    "not allowed in a local part (%s)",
				    list_quote(q, e, len), list_char_name(c,
				    sizeof(c), (unsigned char)e[i]),
				    LIST_ADDRESS_HINT);
				return list_bad();
			}
	if (i == len) {
		list_report(w, "%s is not an address: it has no '@' (%s)",
		    list_quote(q, e, len), LIST_ADDRESS_HINT);
		return list_bad();
	}
	domain = e + i + 1;
	dlen = len - i - 1;
	if (memchr(domain, '@', dlen) != NULL) {
		list_report(w, "%s is not an address: it has more than one '@' "
		    "(%s)", list_quote(q, e, len), LIST_ADDRESS_HINT);
		return list_bad();
	}
	if (i == 0 && dlen == 0) {
		list_report(w, "%s is not an address: it has neither a local "
		    "part nor a domain (%s)", list_quote(q, e, len),
		    LIST_ADDRESS_HINT);
		return list_bad();
	}
	if (i > LIST_LOCAL_MAX) {
		list_report(w, "%s is not an address: its local part is %zu "
		    "characters long, and RFC 5321 allows %d",
		    list_quote(q, e, len), i, LIST_LOCAL_MAX);
		return list_bad();
	}
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen > 0 && domain[0] == '[') {
		if (!list_literal_ok(domain, dlen)) {
			list_report(w, "%s is not an address: its domain is "
			    "not an address literal (write user@[192.0.2.1] "
			    "or user@[IPv6:2001:db8::1])",
			    list_quote(q, e, len));
			return list_bad();
		}
	} else if (dlen > 0 && (problem = list_domain_problem(domain, dlen,
	    why, sizeof(why))) != NULL) {
		list_report(w, "%s is not an address: in its domain, %s (%s)",
		    list_quote(q, e, len), problem, LIST_ADDRESS_HINT);
		return list_bad();
	} else if (dlen == 0 && len > i + 1) {
		/* Only "user@." gets here. */
		list_report(w, "%s is not an address: its domain is only a dot "
		    "(%s)", list_quote(q, e, len), LIST_ADDRESS_HINT);
		return list_bad();
	}
	list_lower(key, e, i + 1 + dlen);
	if (list_table_add(&list->table, key, i + 1 + dlen,
	    LIST_F_EXACT) == -1)
		return list_no_memory(w);
	return 0;
}


/* list_match_domain - whether domain, or a parent listed as ".parent", is
 * in the domain list. */
bool
list_match_domain(const struct list *list, const char *domain)
{
	uint64_t h = LIST_FNV_BASIS;
	size_t len;

	list_check(list, LIST_DOMAIN, true, "list_match_domain");
	if (domain == NULL)
		return false;
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0 || domain[0] == '.')
		return false;
	/* Hash from the end: at each dot, h is the parent domain's hash. */
	for (size_t i = len; i > 0; i--) {
		h = (h ^ list_fold((unsigned char)domain[i - 1])) *
		    LIST_FNV_PRIME;
		if (i >= 2 && domain[i - 2] == '.' &&
		    (list_table_find(&list->table, domain + i - 1, len - i + 1,
		    h) & LIST_F_PARENT) != 0)
			return true;
	}
	return (list_table_find(&list->table, domain, len, h) &
	    LIST_F_EXACT) != 0;
}

/* list_match_address - whether address, its "@domain" or its "local@" is
 * in the address list. */
bool
list_match_address(const struct list *list, const char *address)
{
	const struct list_table *t;
	size_t len, at;

	list_check(list, LIST_ADDRESS, true, "list_match_address");
	t = &list->table;
	if (address == NULL)
		return false;
	len = strlen(address);
	if (len >= 2 && address[0] == '<' && address[len - 1] == '>') {
		address++;
		len -= 2;
	}
	for (at = len; at > 0 && address[at - 1] != '@'; at--)
		continue;
	if (at == 0)
		return len == 0 && list_table_find(t, "", 0,
		    list_hash("", 0)) != 0;
	at--;
	if (len > at + 1 && address[len - 1] == '.')
		len--;
	return list_table_find(t, address, len, list_hash(address, len)) ||
	    list_table_find(t, address + at, len - at,
	    list_hash(address + at, len - at)) ||
	    list_table_find(t, address, at + 1, list_hash(address, at + 1));
}
