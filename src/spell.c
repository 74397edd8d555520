/*
 * spell - "did you mean ...?": the nearest known word to a misspelt one
 */
#include "config.h"

#include "spell.h"

#include <ctype.h>
#include <string.h>

#define SPELL_MAX 60

unsigned
spell_distance(const char *a, const char *b)
{
	unsigned row[SPELL_MAX + 1];
	size_t la = strlen(a), lb = strlen(b);

	if (la >= SPELL_MAX || lb >= SPELL_MAX)
		return 99;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned best = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *
spell_nearest(const char *word,
    const char *(*name_at)(const void *arg, size_t i), const void *arg,
    size_t n)
{
	unsigned limit = strlen(word) >= 8 ? 3 : 2;
	const char *best = NULL;
	unsigned best_d = limit + 1;

	for (size_t i = 0; i < n; i++) {
		const char *name = name_at(arg, i);
		unsigned d = spell_distance(word, name);

		if (d < best_d) {
			best = name;
			best_d = d;
		}
	}
	return best;
}

const char *
spell_in_array(const void *array, size_t i)
{
	return ((const char *const *)array)[i];
}
