/*
 * lists - the sets that rules match against: CIDR ranges, domains,
 * addresses and regular expressions
 *
 * How it is built:
 *   - CIDR: two path-compressed binary prefix trees (IPv4 and IPv6) whose
 *     nodes live in one array each and point at each other by index.  A
 *     key is 128 bits, left-aligned (an IPv4 address is its top 32 bits).
 *     A node is either an entry or a fork where two prefixes part, and an
 *     entry has no children: a range inside one already listed is not
 *     stored, and a range over listed ones replaces them.  So a lookup
 *     follows forks one bit each to at most one entry and compares the
 *     address with it once.  list_freeze copies the reachable nodes
 *     depth-first into an array of the right size and, for a tree of
 *     more than 256 nodes, adds a jump table indexed by the 8 to 16
 *     address bits after the root fork, which skips the first levels.
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
 *   - regexes: compiled by list_add (so errors carry their line) into
 *     chunks of LIST_REGEX_CHUNK that never move, because POSIX does not
 *     promise that a regex_t may be copied.
 */
#include "config.h"

#include "lists.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define LIST_DOMAIN_MAX 253	/* RFC 1035, without the trailing dot */
#define LIST_LABEL_MAX 63
#define LIST_LOCAL_MAX 64	/* RFC 5321 section 4.5.3.1.1 */
#define LIST_KEY_MAX (LIST_LOCAL_MAX + 1 + LIST_DOMAIN_MAX)
#define LIST_QUOTE_MAX 80	/* bytes of an entry shown in a message */
#define LIST_QUOTE_SIZE (LIST_QUOTE_MAX * 4 + 8)
#define LIST_MSG_SIZE 1024
#define LIST_REGEX_CHUNK 256
#define LIST_ADDR_SIZE 64	/* more than INET6_ADDRSTRLEN */
#define LIST_JUMP_BITS_MIN 8	/* smaller trees have no jump table */
#define LIST_JUMP_BITS_MAX 16

#define LIST_F_EXACT 1u
#define LIST_F_PARENT 2u

#define LIST_FNV_BASIS UINT64_C(0xcbf29ce484222325)
#define LIST_FNV_PRIME UINT64_C(0x100000001b3)

#define LIST_CIDR_HINT "write 192.0.2.0/24 or 2001:db8::/32"
#define LIST_DOMAIN_HINT "write example.com for the name, .example.com " \
	"for its subdomains"
#define LIST_ADDRESS_HINT "write user@example.com, @example.com for a " \
	"whole domain or user@ for a local part at any domain"

/* A node of a prefix tree: an entry, or a fork where two prefixes part. */
struct list_node {
	uint64_t key[2];	/* The prefix, bits beyond len zero. */
	uint32_t child[2];	/* Indexes in the node array; 0 is none. */
	uint8_t len;		/* Prefix length in bits. */
	bool entry;		/* Whether the prefix is in the list. */
};

/* A prefix tree; node 0 is never used, so that 0 can mean none.  A tree
 * of more than 2^LIST_JUMP_BITS_MIN nodes also has a jump table: indexed by
 * the jump_bits address bits after the root fork (about log2 of the node
 * count, so the table costs at most 4 bytes a node), it gives the node
 * where a walk from the root would be by then, so a lookup skips the
 * first levels. */
struct list_tree {
	struct list_node *nodes;
	uint32_t count;		/* Nodes in use, node 0 included. */
	uint32_t size;		/* Nodes allocated. */
	uint32_t root;
	uint32_t *jump;		/* From list_freeze, for big trees. */
	unsigned jump_base;	/* The first address bit jump is indexed by. */
	unsigned jump_bits;	/* How many bits it is indexed by. */
};

/* A key added but not yet hashed: where it lies in the arena. */
struct list_key {
	uint32_t off;
	uint16_t len;
	uint8_t flags;
};

/* A slot of a frozen hash table; flags 0 marks it empty. */
struct list_slot {
	uint32_t off;
	uint32_t tag;		/* The top half of the mixed hash. */
	uint16_t len;
	uint8_t flags;
};

/* The keys of a domain or address list, then their hash table. */
struct list_table {
	char *arena;
	size_t arena_len, arena_size;
	struct list_key *keys;	/* Until list_freeze. */
	size_t nkeys, keys_size;
	struct list_slot *slots;	/* From list_freeze. */
	size_t mask;		/* Slots minus one. */
};

/* The compiled regexes, in chunks that never move. */
struct list_regexes {
	regex_t **chunks;
	size_t count;		/* Regexes compiled. */
	size_t nchunks, chunks_size;
};

/* A list: its name and kind, and the structure for that kind. */
struct list {
	char *name;
	enum list_kind kind;
	bool frozen;
	size_t count;
	struct list_tree v4, v6;
	struct list_table table;
	struct list_regexes regexes;
};

/* Where an entry came from, and whom to tell when it is bad. */
struct list_where {
	list_error_fn *err;
	void *arg;
	const char *file;
	unsigned line;
};

static const char *const list_kind_names[] = {
	[LIST_CIDR] = "cidr",
	[LIST_DOMAIN] = "domain",
	[LIST_ADDRESS] = "address",
	[LIST_REGEX] = "regex",
};

static void list_report(const struct list_where *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* list_fold - c in lower case, ASCII only whatever the locale. */
static inline unsigned char
list_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* list_eq_fold - whether a (any case) equals the lower-case b, len bytes. */
static bool
list_eq_fold(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (list_fold((unsigned char)a[i]) != (unsigned char)b[i])
			return false;
	return true;
}

/* list_is_blank - whether c is white space around an entry. */
static bool
list_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* list_quote - s (len bytes) in double quotes with unprintable bytes
 * escaped, in buf; a long entry is cut and marked with "...". */
static const char *
list_quote(char *buf, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	buf[n++] = '"';
	for (size_t i = 0; i < len && i < LIST_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c == '\t') {
			buf[n++] = '\\';
			buf[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 0xf];
		} else
			buf[n++] = (char)c;
	}
	if (len > LIST_QUOTE_MAX) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* list_report - nothing; tells w's callback, if any, what is wrong, with
 * errno kept. */
static void
list_report(const struct list_where *w, const char *fmt, ...)
{
	char msg[LIST_MSG_SIZE];
	int saved = errno, n;
	va_list ap;

	if (w->err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "cannot format a message");
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	w->err(w->arg, w->file, w->line, msg);
	errno = saved;
}

/* list_no_memory - -1, after reporting that memory ran out. */
static int
list_no_memory(const struct list_where *w)
{
	list_report(w, "out of memory");
	errno = ENOMEM;
	return -1;
}

/* list_bad - -1 with errno EINVAL: the end of every bad-entry report. */
static int
list_bad(void)
{
	errno = EINVAL;
	return -1;
}

/* list_check - nothing; stops the process when a caller misuses list. */
static void
list_check(const struct list *list, enum list_kind kind, bool frozen,
    const char *func)
{
	if (list == NULL)
		fatalx("%s: NULL list", func);
	if (list->kind != kind)
		fatalx("%s: list %s is a %s list, not a %s list", func,
		    list->name, list_kind_name(list->kind),
		    list_kind_name(kind));
	if (list->frozen != frozen)
		fatalx("%s: list %s is %s", func, list->name, frozen ?
		    "not frozen yet (call list_freeze first)" :
		    "frozen already (add entries before list_freeze)");
}

/*
 * CIDR prefix trees.
 */

/* list_key_from - the 128-bit key of n address bytes (4 or 16), in key. */
static void
list_key_from(uint64_t key[2], const unsigned char *bytes, size_t n)
{
	key[0] = key[1] = 0;
	for (size_t i = 0; i < n; i++)
		key[i / 8] |= (uint64_t)bytes[i] << (56 - 8 * (i % 8));
}

/* list_key_mask - nothing; clears the bits of key beyond len. */
static void
list_key_mask(uint64_t key[2], unsigned len)
{
	if (len == 0) {
		key[0] = key[1] = 0;
	} else if (len < 64) {
		key[0] &= ~UINT64_C(0) << (64 - len);
		key[1] = 0;
	} else if (len == 64) {
		key[1] = 0;
	} else if (len < 128)
		key[1] &= ~UINT64_C(0) << (128 - len);
}

/* list_key_bit - bit i of key, counting from the top (0 to 127). */
static unsigned
list_key_bit(const uint64_t key[2], unsigned i)
{
	return (unsigned)(key[i / 64] >> (63 - i % 64)) & 1u;
}

/* list_key_common - how many leading bits a and b share, at most limit. */
static unsigned
list_key_common(const uint64_t a[2], const uint64_t b[2], unsigned limit)
{
	uint64_t x = a[0] ^ b[0];
	unsigned n;

	if (x != 0)
		n = (unsigned)__builtin_clzll(x);
	else if ((x = a[1] ^ b[1]) != 0)
		n = 64 + (unsigned)__builtin_clzll(x);
	else
		n = 128;
	return n < limit ? n : limit;
}

/* list_key_bits - the n bits (1 to 32) of key from bit pos on, pos + n at
 * most 128. */
static uint32_t
list_key_bits(const uint64_t key[2], unsigned pos, unsigned n)
{
	unsigned off = pos % 64;
	uint64_t w = key[pos / 64] << off;

	if (pos < 64 && off != 0)
		w |= key[1] >> (64 - off);
	return (uint32_t)(w >> (64 - n));
}

/* list_mapped - whether 16 address bytes are IPv4-mapped (::ffff:0:0/96). */
static bool
list_mapped(const unsigned char *b)
{
	static const unsigned char prefix[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return memcmp(b, prefix, sizeof(prefix)) == 0;
}

/* list_tree_reserve - 0 when t has room for n more nodes, or -1. */
static int
list_tree_reserve(struct list_tree *t, uint32_t n)
{
	struct list_node *p;
	uint32_t size;

	if (t->size - t->count >= n)
		return 0;
	if (t->size > UINT32_MAX / 2)
		return -1;
	size = t->size == 0 ? 64 : t->size * 2;
	if ((p = realloc(t->nodes, (size_t)size * sizeof(*p))) == NULL)
		return -1;
	if (t->size == 0)
		memset(&p[0], 0, sizeof(p[0]));
	t->nodes = p;
	t->size = size;
	if (t->count == 0)
		t->count = 1;
	return 0;
}

/* list_tree_node - the index of a new node for key/len, room reserved. */
static uint32_t
list_tree_node(struct list_tree *t, const uint64_t key[2], unsigned len,
    bool entry)
{
	struct list_node *n = &t->nodes[t->count];

	n->key[0] = key[0];
	n->key[1] = key[1];
	list_key_mask(n->key, len);
	n->child[0] = n->child[1] = 0;
	n->len = (uint8_t)len;
	n->entry = entry;
	return t->count++;
}

/* list_tree_insert - 0 once key/len is in t, or -1 when out of memory.
 * An entry node never has children: nothing below it would be looked at. */
static int
list_tree_insert(struct list_tree *t, const uint64_t key[2], unsigned len)
{
	uint32_t *link, old, idx, fork;
	struct list_node *n;
	unsigned common;

	/* At most two nodes are added, so no pointer moves below. */
	if (list_tree_reserve(t, 2) == -1)
		return -1;
	link = &t->root;
	for (;;) {
		if (*link == 0) {
			*link = list_tree_node(t, key, len, true);
			return 0;
		}
		n = &t->nodes[*link];
		common = list_key_common(key, n->key,
		    len < n->len ? len : n->len);
		if (common == n->len && n->entry)
			return 0;	/* Already covered. */
		if (common == len) {
			/* The new prefix covers the node and all below it:
			 * the node becomes the entry, and what hung below is
			 * dropped (list_tree_compact gives its room back). */
			n->key[0] = key[0];
			n->key[1] = key[1];
			list_key_mask(n->key, len);
			n->len = (uint8_t)len;
			n->entry = true;
			n->child[0] = n->child[1] = 0;
			return 0;
		}
		if (common == n->len) {
			link = &n->child[list_key_bit(key, common)];
			continue;
		}
		/* They part at bit common: a fork with both below it. */
		old = *link;
		fork = list_tree_node(t, key, common, false);
		idx = list_tree_node(t, key, len, true);
		t->nodes[fork].child[list_key_bit(key, common)] = idx;
		t->nodes[fork].child[list_key_bit(t->nodes[old].key,
		    common)] = old;
		*link = fork;
		return 0;
	}
}

/* list_tree_find - whether an entry of t contains the address key. */
static bool
list_tree_find(const struct list_tree *t, const uint64_t key[2])
{
	const struct list_node *n;
	uint32_t idx = t->root;

	if (t->jump != NULL)
		idx = t->jump[list_key_bits(key, t->jump_base,
		    t->jump_bits)];
	/* Entries have no children, so the walk follows forks by one bit
	 * each to at most one entry, and compares the key only there: an
	 * address that left the forks' common prefix on the way fails that
	 * comparison too.  A fork is always shorter than a full address. */
	while (idx != 0) {
		n = &t->nodes[idx];
		if (n->entry)
			return list_key_common(key, n->key, n->len) == n->len;
		idx = n->child[list_key_bit(key, n->len)];
	}
	return false;
}

/* list_tree_copy - the index in to of the copy of from's subtree at idx,
 * which has room for it. */
static uint32_t
list_tree_copy(struct list_tree *to, const struct list_tree *from,
    uint32_t idx)
{
	const struct list_node *n = &from->nodes[idx];
	uint32_t copy = to->count++;

	/* Depth-first, so a lookup walks forward through memory. */
	to->nodes[copy] = *n;
	if (n->child[0] != 0)
		to->nodes[copy].child[0] = list_tree_copy(to, from,
		    n->child[0]);
	if (n->child[1] != 0)
		to->nodes[copy].child[1] = list_tree_copy(to, from,
		    n->child[1]);
	return copy;
}

/* list_tree_reachable - how many nodes the subtree at idx holds. */
static uint32_t
list_tree_reachable(const struct list_tree *t, uint32_t idx)
{
	if (idx == 0)
		return 0;
	return 1 + list_tree_reachable(t, t->nodes[idx].child[0]) +
	    list_tree_reachable(t, t->nodes[idx].child[1]);
}

/* list_tree_compact - 0 once t holds only the nodes a lookup can reach,
 * in depth-first order, or -1 when out of memory (t is then unchanged). */
static int
list_tree_compact(struct list_tree *t)
{
	struct list_tree c = { .count = 1 };

	/* A tree with a jump table is compact already (a list_freeze that
	 * ran out of memory is being retried). */
	if (t->jump != NULL)
		return 0;
	if (t->root == 0) {
		free(t->nodes);
		*t = c;
		t->count = 0;
		return 0;
	}
	c.size = 1 + list_tree_reachable(t, t->root);
	if ((c.nodes = malloc((size_t)c.size * sizeof(*c.nodes))) == NULL)
		return -1;
	memset(&c.nodes[0], 0, sizeof(c.nodes[0]));
	c.root = list_tree_copy(&c, t, t->root);
	free(t->nodes);
	*t = c;
	return 0;
}

/* list_tree_jump - 0 once a big t has its jump table, or -1 when out of
 * memory (t then does without). */
static int
list_tree_jump(struct list_tree *t)
{
	const struct list_node *root, *node;
	unsigned base, end, bits = 0;
	uint64_t key[2];
	uint32_t idx, n;

	while (bits < LIST_JUMP_BITS_MAX && t->count >> (bits + 1) != 0)
		bits++;
	if (t->jump != NULL || bits < LIST_JUMP_BITS_MIN ||
	    t->nodes[t->root].entry)
		return 0;
	root = &t->nodes[t->root];
	base = root->len;
	end = base + bits;
	if (end > 128)
		return 0;
	n = UINT32_C(1) << bits;
	if ((t->jump = malloc((size_t)n * sizeof(*t->jump))) == NULL)
		return -1;
	for (uint32_t b = 0; b < n; b++) {
		/* The root's prefix, then b: walk while the next bit to test
		 * is one of these. */
		key[0] = root->key[0];
		key[1] = root->key[1];
		for (unsigned i = 0; i < bits; i++)
			if ((b >> (bits - 1 - i)) & 1)
				key[(base + i) / 64] |= UINT64_C(1) <<
				    (63 - (base + i) % 64);
		idx = t->root;
		while (idx != 0) {
			node = &t->nodes[idx];
			if (node->entry || node->len >= end)
				break;
			idx = node->child[list_key_bit(key, node->len)];
		}
		t->jump[b] = idx;
	}
	t->jump_base = base;
	t->jump_bits = bits;
	return 0;
}

/* list_match_bytes - whether an address of family (4 or 16 bytes) is in
 * the trees; an IPv4-mapped IPv6 address is looked up as IPv4. */
static bool
list_match_bytes(const struct list *list, int family,
    const unsigned char *bytes)
{
	uint64_t key[2];

	if (family == AF_INET6 && list_mapped(bytes)) {
		family = AF_INET;
		bytes += 12;
	}
	if (family == AF_INET) {
		list_key_from(key, bytes, 4);
		return list_tree_find(&list->v4, key);
	}
	if (family == AF_INET6) {
		list_key_from(key, bytes, 16);
		return list_tree_find(&list->v6, key);
	}
	return false;
}

/* list_parse_prefix - 0 with the prefix length of the digits s (len
 * bytes) in out, or -1 when they are not a decimal number. */
static int
list_parse_prefix(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* list_add_cidr - 0 once the range e (len bytes) is in list, or -1 after
 * reporting why it cannot be. */
static int
list_add_cidr(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	char q[LIST_QUOTE_SIZE], buf[LIST_ADDR_SIZE];
	const char *slash = memchr(e, '/', len);
	size_t alen = slash != NULL ? (size_t)(slash - e) : len;
	unsigned char bytes[16];
	unsigned max, plen;
	uint64_t key[2];
	int family;

	if (alen >= sizeof(buf))
		goto not_address;
	memcpy(buf, e, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, bytes) == 1) {
		family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, bytes) == 1) {
		family = AF_INET6;
		max = 128;
	} else
		goto not_address;
	plen = max;
	if (slash != NULL) {
		size_t plen_len = len - alen - 1;

		if (list_parse_prefix(slash + 1, plen_len, &plen) == -1) {
			list_report(w, "%s has no prefix length after '/' "
			    "(%s)", list_quote(q, e, len), LIST_CIDR_HINT);
			return list_bad();
		}
		if (plen > max) {
			list_report(w, "%s has prefix length %u, but an %s "
			    "prefix is 0 to %u (%s; without /N it is one "
			    "address)", list_quote(q, e, len), plen,
			    family == AF_INET ? "IPv4" : "IPv6", max,
			    family == AF_INET ? "192.0.2.0/24 is 256 "
			    "addresses" : "2001:db8::/32 is a typical site");
			return list_bad();
		}
	}
	/* An IPv4-mapped range is stored as the IPv4 range it covers. */
	if (family == AF_INET6 && plen >= 96 && list_mapped(bytes)) {
		memmove(bytes, bytes + 12, 4);
		family = AF_INET;
		plen -= 96;
	}
	list_key_from(key, bytes, family == AF_INET ? 4 : 16);
	list_key_mask(key, plen);
	if (list_tree_insert(family == AF_INET ? &list->v4 : &list->v6, key,
	    plen) == -1)
		return list_no_memory(w);
	return 0;

not_address:
	list_report(w, "%s is not an IPv4 or IPv6 address or CIDR range (%s)",
	    list_quote(q, e, len), LIST_CIDR_HINT);
	return list_bad();
}

/*
 * Domain names, shared by domain and address lists.
 */

/* list_domain_char_ok - whether byte c may appear in a domain label:
 * letters, digits, '-', '_' (seen in real host names) and UTF-8. */
static bool
list_domain_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c >= 0x80;
}

/* list_char_name - a printable description of byte c, in buf. */
static const char *
list_char_name(char *buf, size_t size, unsigned char c)
{
	if (c == ' ')
		snprintf(buf, size, "a space");
	else if (c == '\t')
		snprintf(buf, size, "a tab");
	else if (c < 0x20 || c == 0x7f)
		snprintf(buf, size, "the control byte \\x%02x", c);
	else
		snprintf(buf, size, "'%c'", c);
	return buf;
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
static int
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
static void
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
static int
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
static int
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

/*
 * Regexes.
 */

/* list_regex_hint - advice for the regcomp error code, or "". */
static const char *
list_regex_hint(int code)
{
	switch (code) {
	case REG_EPAREN:
		return " (close every '(' or write \\( for a literal one)";
	case REG_EBRACK:
		return " (close every '[' or write \\[ for a literal one)";
	case REG_EBRACE:
	case REG_BADBR:
		return " (write {n}, {n,} or {n,m}, or \\{ for a literal '{')";
	case REG_BADRPT:
		return " (put *, +, ? or {} after something to repeat, or "
		    "escape it with \\)";
	case REG_EESCAPE:
		return " (a pattern cannot end with a lone \\)";
	default:
		return "";
	}
}

/* list_regex_slot - a place for one more regex in r, or NULL when out of
 * memory. */
static regex_t *
list_regex_slot(struct list_regexes *r)
{
	size_t chunk = r->count / LIST_REGEX_CHUNK;

	if (chunk == r->nchunks) {
		if (r->nchunks == r->chunks_size) {
			size_t size = r->chunks_size == 0 ? 4 :
			    r->chunks_size * 2;
			regex_t **p = realloc(r->chunks, size * sizeof(*p));

			if (p == NULL)
				return NULL;
			r->chunks = p;
			r->chunks_size = size;
		}
		r->chunks[r->nchunks] = malloc(LIST_REGEX_CHUNK *
		    sizeof(regex_t));
		if (r->chunks[r->nchunks] == NULL)
			return NULL;
		r->nchunks++;
	}
	return &r->chunks[chunk][r->count % LIST_REGEX_CHUNK];
}

/* list_regex_at - the i-th regex of r. */
static const regex_t *
list_regex_at(const struct list_regexes *r, size_t i)
{
	return &r->chunks[i / LIST_REGEX_CHUNK][i % LIST_REGEX_CHUNK];
}

/* list_add_regex - 0 once the regex entry e (len bytes) is compiled into
 * list, or -1 after reporting why it cannot be. */
static int
list_add_regex(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	char q[LIST_QUOTE_SIZE], errbuf[256], c[32];
	const char *pat = e;
	size_t plen = len;
	int flags = REG_EXTENDED | REG_NOSUB, rc;
	char *copy;
	regex_t *re;

	if (len > 0 && e[0] == '/') {
		size_t close = len - 1;

		while (close > 0 && e[close] != '/')
			close--;
		if (close == 0) {
			list_report(w, "%s starts with '/' but has no closing "
			    "'/' (write /pattern/ or /pattern/i, or \\/ for "
			    "a pattern that starts with '/')",
			    list_quote(q, e, len));
			return list_bad();
		}
		for (size_t i = close + 1; i < len; i++) {
			if (e[i] == 'i') {
				flags |= REG_ICASE;
				continue;
			}
			list_report(w, "%s has the unknown flag %s after its "
			    "closing '/' (only i, for case-insensitive, is "
			    "known)", list_quote(q, e, len),
			    list_char_name(c, sizeof(c), (unsigned char)e[i]));
			return list_bad();
		}
		pat = e + 1;
		plen = close - 1;
		if (plen == 0) {
			list_report(w, "%s is an empty pattern (write /^/ to "
			    "match everything)", list_quote(q, e, len));
			return list_bad();
		}
	}
	if ((copy = malloc(plen + 1)) == NULL)
		return list_no_memory(w);
	memcpy(copy, pat, plen);
	copy[plen] = '\0';
	if ((re = list_regex_slot(&list->regexes)) == NULL) {
		free(copy);
		return list_no_memory(w);
	}
	rc = regcomp(re, copy, flags);
	free(copy);
	if (rc == REG_ESPACE)
		return list_no_memory(w);
	if (rc != 0) {
		regerror(rc, re, errbuf, sizeof(errbuf));
		list_report(w, "%s is not a valid regular expression: %s%s",
		    list_quote(q, e, len), errbuf, list_regex_hint(rc));
		return list_bad();
	}
	list->regexes.count++;
	return 0;
}

/* list_regexes_free - nothing; releases every regex of r. */
static void
list_regexes_free(struct list_regexes *r)
{
	for (size_t i = 0; i < r->count; i++)
		regfree((regex_t *)list_regex_at(r, i));
	for (size_t i = 0; i < r->nchunks; i++)
		free(r->chunks[i]);
	free(r->chunks);
}

/*
 * The interface.
 */

/* list_new - an empty list of kind, or NULL when out of memory. */
struct list *
list_new(const char *name, enum list_kind kind)
{
	struct list *list;

	if ((unsigned)kind > LIST_REGEX)
		fatalx("list_new: unknown list kind %d", (int)kind);
	if ((list = calloc(1, sizeof(*list))) == NULL)
		return NULL;
	if ((list->name = strdup(name != NULL ? name : "")) == NULL) {
		free(list);
		return NULL;
	}
	list->kind = kind;
	return list;
}

/* list_free - nothing; releases list and everything in it. */
void
list_free(struct list *list)
{
	if (list == NULL)
		return;
	free(list->v4.nodes);
	free(list->v4.jump);
	free(list->v6.nodes);
	free(list->v6.jump);
	list_table_free(&list->table);
	list_regexes_free(&list->regexes);
	free(list->name);
	free(list);
}

/* list_add_entry - 0 once entry e (len bytes, blanks around it allowed)
 * is in list, or -1 after reporting why it cannot be. */
static int
list_add_entry(struct list *list, const char *e, size_t len,
    const struct list_where *w)
{
	int rc = -1;

	while (len > 0 && list_is_blank(e[0])) {
		e++;
		len--;
	}
	while (len > 0 && list_is_blank(e[len - 1]))
		len--;
	if (len == 0) {
		list_report(w, "an empty entry is not allowed in a %s list",
		    list_kind_name(list->kind));
		return list_bad();
	}
	switch (list->kind) {
	case LIST_CIDR:
		rc = list_add_cidr(list, e, len, w);
		break;
	case LIST_DOMAIN:
		rc = list_add_domain(list, e, len, w);
		break;
	case LIST_ADDRESS:
		rc = list_add_address(list, e, len, w);
		break;
	case LIST_REGEX:
		rc = list_add_regex(list, e, len, w);
		break;
	}
	if (rc == 0)
		list->count++;
	return rc;
}

/* list_add - 0, or -1 after reporting a bad entry through err. */
int
list_add(struct list *list, const char *entry, list_error_fn *err,
    void *arg)
{
	struct list_where w = { err, arg, NULL, 0 };

	if (list == NULL || entry == NULL)
		fatalx("list_add: NULL %s", list == NULL ? "list" : "entry");
	list_check(list, list->kind, false, "list_add");
	return list_add_entry(list, entry, strlen(entry), &w);
}

/* list_load_file - 0, or -1 when path cannot be read or a line was bad. */
int
list_load_file(struct list *list, const char *path, list_error_fn *err,
    void *arg)
{
	struct list_where w = { err, arg, path, 0 };
	char *line = NULL, *p;
	size_t size = 0, len;
	ssize_t n;
	int failed = 0;
	FILE *fp;

	if (list == NULL || path == NULL)
		fatalx("list_load_file: NULL %s", list == NULL ? "list" :
		    "path");
	list_check(list, list->kind, false, "list_load_file");
	/* A file that cannot be read is the caller's to report, with the
	 * config line that names it: only errno says why. */
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while ((n = getline(&line, &size, fp)) != -1) {
		w.line++;
		p = line;
		len = (size_t)n;
		if (memchr(p, '\0', len) != NULL) {
			list_report(&w, "the line holds a NUL byte (is this a "
			    "text file?)");
			failed = EINVAL;
			continue;
		}
		while (len > 0 && list_is_blank(p[0])) {
			p++;
			len--;
		}
		while (len > 0 && list_is_blank(p[len - 1]))
			len--;
		if (len == 0 || p[0] == '#')
			continue;
		if (list_add_entry(list, p, len, &w) == -1) {
			failed = errno;
			if (failed == ENOMEM)
				break;
		}
	}
	if (failed != ENOMEM && !feof(fp))
		failed = errno != 0 ? errno : EIO;
	free(line);
	fclose(fp);
	if (failed != 0) {
		errno = failed;
		return -1;
	}
	return 0;
}

/* list_freeze - 0, or -1 when out of memory (the list is then unfrozen). */
int
list_freeze(struct list *list)
{
	if (list == NULL)
		fatalx("list_freeze: NULL list");
	if (list->frozen)
		return 0;
	switch (list->kind) {
	case LIST_CIDR:
		if (list_tree_compact(&list->v4) == -1 ||
		    list_tree_compact(&list->v6) == -1 ||
		    list_tree_jump(&list->v4) == -1 ||
		    list_tree_jump(&list->v6) == -1) {
			errno = ENOMEM;
			return -1;
		}
		break;
	case LIST_DOMAIN:
	case LIST_ADDRESS:
		if (list_table_build(&list->table) == -1) {
			errno = ENOMEM;
			return -1;
		}
		break;
	case LIST_REGEX:
		break;
	}
	list->frozen = true;
	return 0;
}

/* list_match_ip - whether the address text is in the CIDR list. */
bool
list_match_ip(const struct list *list, const char *addr)
{
	char buf[LIST_ADDR_SIZE];
	unsigned char bytes[16];
	bool v6 = false;
	size_t len;

	list_check(list, LIST_CIDR, true, "list_match_ip");
	if (addr == NULL)
		return false;
	len = strlen(addr);
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len >= 5 && list_eq_fold(addr, "ipv6:", 5)) {
		v6 = true;
		addr += 5;
		len -= 5;
	}
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, addr, len);
	buf[len] = '\0';
	if (!v6 && inet_pton(AF_INET, buf, bytes) == 1)
		return list_match_bytes(list, AF_INET, bytes);
	if (inet_pton(AF_INET6, buf, bytes) == 1)
		return list_match_bytes(list, AF_INET6, bytes);
	return false;
}

/* list_match_ip_bytes - whether the raw address is in the CIDR list. */
bool
list_match_ip_bytes(const struct list *list, int family,
    const unsigned char *bytes)
{
	list_check(list, LIST_CIDR, true, "list_match_ip_bytes");
	if (bytes == NULL)
		return false;
	return list_match_bytes(list, family, bytes);
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

/* list_match_regex - whether text matches a regex of the regex list. */
bool
list_match_regex(const struct list *list, const char *text)
{
	list_check(list, LIST_REGEX, true, "list_match_regex");
	if (text == NULL)
		return false;
	for (size_t i = 0; i < list->regexes.count; i++)
		if (regexec(list_regex_at(&list->regexes, i), text, 0, NULL,
		    0) == 0)
			return true;
	return false;
}

/* list_name - the name given to list_new. */
const char *
list_name(const struct list *list)
{
	return list->name;
}

/* list_kind - the list's kind. */
enum list_kind
list_kind(const struct list *list)
{
	return list->kind;
}

/* list_count - how many entries were added, duplicates included. */
size_t
list_count(const struct list *list)
{
	return list->count;
}

/* list_kind_name - the name of kind, or "unknown". */
const char *
list_kind_name(enum list_kind kind)
{
	if ((unsigned)kind >= sizeof(list_kind_names) /
	    sizeof(list_kind_names[0]))
		return "unknown";
	return list_kind_names[kind];
}

/* list_kind_parse - 0 with the kind named by text in out, or -1. */
int
list_kind_parse(const char *text, enum list_kind *out)
{
	if (text == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(list_kind_names) /
	    sizeof(list_kind_names[0]); i++)
		if (strcmp(text, list_kind_names[i]) == 0) {
			*out = (enum list_kind)i;
			return 0;
		}
	return -1;
}
