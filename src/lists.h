/*
 * lists - the sets that rules match against: CIDR ranges, domains,
 * addresses and regular expressions
 *
 * A list is built once at load (list_new, list_add / list_load_file, then
 * list_freeze) and is read-only afterwards, so any number of threads may
 * match against it without locks.  CIDR, domain and address lookups
 * allocate nothing:
 *   - CIDR: "192.0.2.0/24", "192.0.2.7", "2001:db8::/32", "::1".  IPv4 and
 *     IPv6 ranges in path-compressed prefix trees (big ones with a jump
 *     table of up to 16 bits at the top), so a lookup costs at most one
 *     node per prefix bit whatever the size.  Host bits set beyond the
 *     prefix are ignored ("192.0.2.77/24" is 192.0.2.0/24).  An
 *     IPv4-mapped IPv6 address is its IPv4 address, as an entry
 *     ("::ffff:192.0.2.0/120" is 192.0.2.0/24) and as a query
 *     ("::ffff:192.0.2.1" matches 192.0.2.0/24); so IPv6 ranges such as
 *     "::/0" do not match it;
 *   - domains: a hash table of names, each flagged exact or parent or
 *     both: an entry "example.com" matches that name, ".example.com" its
 *     subdomains at any depth (not the name itself, nor
 *     "badexample.com"); case-insensitive (ASCII), a trailing dot ignored.
 *     Labels take letters, digits, '-', '_' and UTF-8 bytes; "*.x" is
 *     refused with a pointer to ".x";
 *   - addresses: "user@example.com" matches that address, "@example.com"
 *     any address at that domain (not its subdomains), "user@" that local
 *     part at any domain (not a bare "user" without '@'); "<...>" around
 *     an entry or a query is dropped, and "<>" matches the null sender "";
 *     case-insensitive (ASCII, local part included), a trailing dot on the
 *     domain ignored;
 *   - regexes: POSIX extended regular expressions, written "/pattern/" or
 *     "/pattern/i" (case-insensitive) or as a bare pattern; matched in
 *     order, first match wins.  Matching calls regexec(3), which allocates
 *     inside the C library and costs time in proportion to the list.
 * So a list of 100,000 CIDRs, domains or addresses costs about what one of
 * ten does.  Entries are trimmed of surrounding blanks, in files and
 * inline alike; in files, lines whose first non-blank is '#' are comments.
 *
 * Ownership: the list owns copies of everything added; list_free releases
 * it all.  Failure: list_add and list_load_file report each bad entry once
 * through the caller's error callback (which may be NULL), with the file
 * and line, and go on, so one run reports every bad entry; they return -1
 * with errno EINVAL when any entry was bad, ENOMEM (also reported) when out
 * of memory, and for list_load_file the open or read error when the file
 * cannot be read (not reported: the caller names the file and its config
 * line).  Matching a NULL text gives false.  Misuse (adding to a frozen
 * list, matching an unfrozen one or one of another kind) is a programmer
 * error: fatalx().
 */
#ifndef REPLYMILTER_LISTS_H
#define REPLYMILTER_LISTS_H

#include <stdbool.h>
#include <stddef.h>

enum list_kind {
	LIST_CIDR,
	LIST_DOMAIN,
	LIST_ADDRESS,
	LIST_REGEX
};

struct list;

/* Called once per bad entry: file is NULL for entries given inline (line is
 * then 0), message says what is wrong and how to fix it. */
typedef void list_error_fn(void *arg, const char *file, unsigned line,
    const char *message);

/* list_new - an empty list of kind, or NULL when out of memory. */
struct list *list_new(const char *name, enum list_kind kind);

/* list_free - release the list and everything in it; NULL is harmless. */
void list_free(struct list *list);

/* list_add - add one entry as written in the config; 0, or -1 after
 * reporting a bad entry through err (file NULL, line 0). */
int list_add(struct list *list, const char *entry, list_error_fn *err,
    void *arg);

/* list_load_file - add every entry of path, one a line; blank lines and
 * lines starting with '#' are skipped, surrounding blanks trimmed; 0, or -1
 * when the file cannot be read or any line was bad (each reported). */
int list_load_file(struct list *list, const char *path, list_error_fn *err,
    void *arg);

/* list_freeze - finish building (size the hash tables, compile); 0, or -1
 * when out of memory.  Only a frozen list may be matched. */
int list_freeze(struct list *list);

/* list_match_ip - whether the address text ("192.0.2.1", "2001:db8::1",
 * "[2001:db8::1]", "IPv6:2001:db8::1") is in a CIDR list; false for text
 * that is not an address. */
bool list_match_ip(const struct list *list, const char *addr);

/* list_match_ip_bytes - the same for a raw address: family AF_INET (4
 * bytes) or AF_INET6 (16 bytes). */
bool list_match_ip_bytes(const struct list *list, int family,
    const unsigned char *bytes);

/* list_match_domain - whether domain is in a domain list. */
bool list_match_domain(const struct list *list, const char *domain);

/* list_match_address - whether the address (without angle brackets) is in
 * an address list. */
bool list_match_address(const struct list *list, const char *address);

/* list_match_regex - 1 when text matches a regex of a regex list, 0 when
 * none does (NULL text: 0), -1 when the regex engine failed (regexec(3)
 * returned neither a match nor REG_NOMATCH, e.g. REG_ESPACE): an error
 * the caller must not take for "no match". */
int list_match_regex(const struct list *list, const char *text);

/* list_regex_count - the number of regexes of a regex list, in order. */
size_t list_regex_count(const struct list *list);

/* list_regex_source - the i-th regex of a regex list (i < its count), as
 * regcomp compiled it (without the slashes), valid as long as the list;
 * *icase is set when it is case-insensitive (/.../i). */
const char *list_regex_source(const struct list *list, size_t i,
    bool *icase);

/* list_name - the name given to list_new. */
const char *list_name(const struct list *list);

/* list_kind - the list's kind. */
enum list_kind list_kind(const struct list *list);

/* list_count - how many entries were added (duplicates included). */
size_t list_count(const struct list *list);

/* list_kind_name - "cidr", "domain", "address" or "regex". */
const char *list_kind_name(enum list_kind kind);

/* list_kind_parse - the kind named by text; 0, or -1 when unknown. */
int list_kind_parse(const char *text, enum list_kind *out);

#endif
