/*
 * lists_cidr - CIDR lists: IPv4 and IPv6 prefix trees
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
 */
#include "config.h"

#include "lists_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

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
int
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


/* list_cidr_freeze - compact both trees and give big ones a jump table. */
int
list_cidr_freeze(struct list *list)
{
	if (list_tree_compact(&list->v4) == -1 ||
	    list_tree_compact(&list->v6) == -1 ||
	    list_tree_jump(&list->v4) == -1 ||
	    list_tree_jump(&list->v6) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* list_cidr_free - release both trees. */
void
list_cidr_free(struct list *list)
{
	free(list->v4.nodes);
	free(list->v4.jump);
	free(list->v6.nodes);
	free(list->v6.jump);
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
