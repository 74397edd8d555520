/*
 * regex_set - many POSIX extended regexes matched against one value in
 * one pass
 *
 * A set is built once from N patterns (each with its flags and an index
 * 0..N-1 by position) and is then read-only: any number of threads may
 * scan the same set at once.  regex_set_scan answers, for one value,
 * exactly which patterns match it, as a bitmap: bit i is set when pattern
 * i matches, the same answer regexec(3) gives for
 * regcomp(pattern, REG_EXTENDED | REG_NOSUB [| REG_ICASE]) in the C
 * locale, matched against the whole value.
 *
 * Engines:
 *   - Hyperscan (block mode), when configure found libhs: the patterns it
 *     can take are compiled into one database and scanned in one pass.
 *     Scratch space is sized when a set is built, never while scanning:
 *     each thread that scans takes its own copy once (thread-specific
 *     data, freed when the thread ends, or by regex_set_thread_done).
 *   - regexec(3) for every other pattern, and for all of them when
 *     Hyperscan is not built in.
 *
 * Which patterns stay on regexec (a conservative check, so that the
 * meaning never changes; regex_set_engine_took says which):
 *   - a backslash followed by anything but one of .[](){}*+?|^$\/- (so
 *     GNU \w \b \< \` \1 ..., which Hyperscan reads differently);
 *   - a backslash, or a '[' that does not open [:class:], inside a
 *     bracket expression; collating elements [. .] and classes [= =];
 *   - a repetition operator (* + ? {) at the start of the pattern or of a
 *     group or branch, or right after another one (PCRE's lazy and
 *     possessive forms), and a '{' not followed by n}, n,} or n,m};
 *   - any pattern Hyperscan refuses to compile (too large, unsupported).
 * Hyperscan patterns are compiled with HS_FLAG_DOTALL ('.' matches a
 * newline, as in ERE without REG_NEWLINE), HS_FLAG_ALLOWEMPTY,
 * HS_FLAG_SINGLEMATCH and HS_FLAG_CASELESS for REG_ICASE (ASCII only, as
 * glibc in the C locale).  Hyperscan's '$' also matches before a final
 * newline: a hit of a pattern holding '$' on a value ending in a newline
 * is confirmed with regexec.
 *
 * Ownership: regex_set_new copies the patterns; the set is freed by
 * regex_set_free (NULL is harmless).  The caller owns the hit bitmap.
 *
 * Failure: regex_set_new returns NULL and writes why into err (a pattern
 * regcomp refuses, or no memory).  regex_set_scan returns -1 when an
 * engine failed (Hyperscan out of scratch space, regexec out of memory):
 * the bitmap is then incomplete and the caller must treat the value as
 * not evaluable (fail closed), never as no match.
 */
#ifndef REPLYMILTER_REGEX_SET_H
#define REPLYMILTER_REGEX_SET_H

#include <stdbool.h>
#include <stddef.h>

/* Flags of one pattern. */
enum regex_set_flag {
	REGEX_SET_ICASE = 1	/* case-insensitive (REG_ICASE) */
};

/* One pattern to build a set from: a NUL-terminated POSIX ERE. */
struct regex_set_entry {
	const char *pattern;
	unsigned flags;		/* enum regex_set_flag, or-ed */
	unsigned id;		/* its bit (regex_set_new_ids only) */
};

struct regex_set;

/* regex_set_new - a set of the n patterns of e, or NULL with a message in
 * err (errlen bytes) naming the index of a bad pattern, or no memory. */
struct regex_set *regex_set_new(const struct regex_set_entry *e, size_t n,
    char *err, size_t errlen);

/* regex_set_new_ids - like regex_set_new, but the hit bitmap has nids
 * bits and bit e[i].id (< nids) is set when pattern i matches: patterns
 * sharing an id answer together (bit id set when any of them matches).
 * NULL, with the message in err, as regex_set_new, also when an id is out
 * of range. */
struct regex_set *regex_set_new_ids(const struct regex_set_entry *e,
    size_t n, size_t nids, char *err, size_t errlen);

/* regex_set_free - nothing; releases set (NULL: nothing). */
void regex_set_free(struct regex_set *set);

/* regex_set_count - the number of patterns of set. */
size_t regex_set_count(const struct regex_set *set);

/* regex_set_engine_count - how many patterns of set the multi-pattern
 * engine took (0 without Hyperscan); the others run on regexec. */
size_t regex_set_engine_count(const struct regex_set *set);

/* regex_set_engine_took - true when pattern i is scanned by the
 * multi-pattern engine, false when it stays on regexec. */
bool regex_set_engine_took(const struct regex_set *set, size_t i);

/* regex_set_bitmap_size - the bytes a hit bitmap of set needs (for its
 * ids: its patterns, unless made by regex_set_new_ids). */
size_t regex_set_bitmap_size(const struct regex_set *set);

/* regex_set_scan - 0 with bit i of hits (bit i % 8 of byte i / 8) set for
 * each pattern i (or id i) matching text, which is NUL-terminated and len
 * == strlen(text) bytes long; -1 when an engine failed (see above). */
int regex_set_scan(const struct regex_set *set, const char *text,
    size_t len, unsigned char *hits);

/* regex_set_hit - true when bit i of hits is set. */
static inline bool
regex_set_hit(const unsigned char *hits, size_t i)
{
	return (hits[i / 8] >> (i % 8)) & 1;
}

/* regex_set_engine - "hyperscan <version>" or "regexec (POSIX)": the
 * multi-pattern engine built in, for replymilter -V. */
const char *regex_set_engine(void);

/* regex_set_multi - true when a multi-pattern engine is built in (false:
 * every pattern runs on regexec). */
bool regex_set_multi(void);

/* regex_set_thread_done - nothing; frees the calling thread's scratch
 * space now rather than when the thread ends. */
void regex_set_thread_done(void);

#endif
