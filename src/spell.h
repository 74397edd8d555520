/*
 * spell - "did you mean ...?": the nearest known word to a misspelt one
 *
 * Edit distance (Levenshtein, case-insensitive) over short words; used by
 * the config loader for option, macro, list and check names.  No
 * allocation; words of 60 bytes or more never match.
 */
#ifndef REPLYMILTER_SPELL_H
#define REPLYMILTER_SPELL_H

#include <stddef.h>

/* spell_distance - the edit distance of a and b (99 when too long). */
unsigned spell_distance(const char *a, const char *b);

/* spell_nearest - the candidate within distance 2 (3 for words of 8 or
 * more bytes) closest to word, or NULL; name_at(arg, i) gives the i-th of
 * n candidates. */
const char *spell_nearest(const char *word,
    const char *(*name_at)(const void *arg, size_t i), const void *arg,
    size_t n);

/* spell_in_array - name_at for a plain array of strings. */
const char *spell_in_array(const void *array, size_t i);

#endif
