/*
 * lists_impl - what the parts of the list module share
 *
 * lists.c holds a list's life (new, add, load, freeze, free) and the
 * helpers every part reports through; each kind's structure is its own
 * file: lists_cidr.c (prefix trees), lists_names.c (the hash table of
 * domains and addresses), lists_regex.c (compiled regexes).  Only those
 * four files include this header; lists.h is the contract for everyone
 * else.
 *
 * The add functions take an entry already trimmed and non-empty, and
 * report a bad one through list_report before returning list_bad() (or
 * list_no_memory()).  The freeze functions return 0 or -1 (out of memory).
 */
#ifndef REPLYMILTER_LISTS_IMPL_H
#define REPLYMILTER_LISTS_IMPL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lists.h"

#define LIST_DOMAIN_MAX 253	/* RFC 1035, without the trailing dot */
#define LIST_LABEL_MAX 63
#define LIST_LOCAL_MAX 64	/* RFC 5321 section 4.5.3.1.1 */
#define LIST_KEY_MAX (LIST_LOCAL_MAX + 1 + LIST_DOMAIN_MAX)
#define LIST_QUOTE_MAX 80	/* bytes of an entry shown in a message */
#define LIST_QUOTE_SIZE (LIST_QUOTE_MAX * 4 + 8)
#define LIST_MSG_SIZE 1024
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

/* The compiled regexes, each in its own block so that it never moves,
 * and their sources (what the policy's multi-pattern index is built
 * from). */
struct list_regexes {
	regex_t **res;		/* res_size: count compiled, then spares */
	size_t count;		/* Regexes compiled. */
	size_t res_size;
	char **sources;		/* count patterns, without slashes or flag */
	bool *icase;		/* count: written /.../i */
	size_t sources_size;
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

/* list_fold - c in lower case, ASCII only whatever the locale. */
static inline unsigned char
list_fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* list_eq_fold - whether a (any case) equals the lower-case b, len bytes. */
static inline bool
list_eq_fold(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (list_fold((unsigned char)a[i]) != (unsigned char)b[i])
			return false;
	return true;
}

/* --- lists.c: reporting and checks ---------------------------------- */

/* list_is_blank - whether c is white space around an entry. */
bool list_is_blank(char c);

/* list_quote - s (len bytes) quoted and escaped for a message, in buf
 * (LIST_QUOTE_SIZE bytes); returns buf. */
const char *list_quote(char *buf, const char *s, size_t len);

/* list_char_name - a printable description of byte c, in buf. */
const char *list_char_name(char *buf, size_t size, unsigned char c);

/* list_report - tell w's callback, if any, what is wrong; errno kept. */
void list_report(const struct list_where *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* list_no_memory - -1 with errno ENOMEM, after reporting it. */
int list_no_memory(const struct list_where *w);

/* list_bad - -1 with errno EINVAL: the end of every bad-entry report. */
int list_bad(void);

/* list_check - stop the process when a caller misuses list (wrong kind,
 * frozen or not as func needs). */
void list_check(const struct list *list, enum list_kind kind, bool frozen,
    const char *func);

/* --- lists_cidr.c ---------------------------------------------------- */

int list_add_cidr(struct list *list, const char *e, size_t len,
    const struct list_where *w);
int list_cidr_freeze(struct list *list);
void list_cidr_free(struct list *list);

/* --- lists_names.c --------------------------------------------------- */

int list_add_domain(struct list *list, const char *e, size_t len,
    const struct list_where *w);
int list_add_address(struct list *list, const char *e, size_t len,
    const struct list_where *w);
int list_table_build(struct list_table *t);
void list_table_free(struct list_table *t);

/* --- lists_regex.c --------------------------------------------------- */

int list_add_regex(struct list *list, const char *e, size_t len,
    const struct list_where *w);
void list_regexes_free(struct list_regexes *r);

#endif
