/*
 * lists_regex - regex lists: POSIX extended regular expressions
 *
 * How it is built:
 *   - regexes: compiled by list_add (so errors carry their line), each
 *     into a block of its own that never moves, because POSIX does not
 *     promise that a regex_t may be copied.  (Chunks of many would cost
 *     a list of one entry, the usual inline /.../, as much as many.)
 */
#include "config.h"

#include "lists_impl.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

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

/*
 * glibc's regcomp builds x+ as x x* and x{n,m} as m copies of x, so
 * nested or stacked repetitions multiply: "a" followed by 22 '+', or 22
 * nested "(...)+", takes it ten seconds and the memory to match, and a
 * few more take hours and gigabytes (found by tests/fuzz/fuzz_lists).  A
 * pattern whose copies would exceed this is refused before regcomp sees
 * it, and so is a repetition right after another (a+*, a?+: undefined in
 * POSIX, and glibc's closures over them explode even when small); real
 * patterns stay far below ("[0-9]{1,3}" is 3).
 */
#define LIST_REGEX_MAX_COPIES 50000
#define LIST_REGEX_MAX_DEPTH 64
/*
 * Optional copies cost more: x{0,m} and (x?){m} make m nested choices,
 * and glibc's automaton grows with the square of them (x{0,5000} takes
 * 194 MB, x{0,18111} 2.5 GB, found by fuzz_lists; (x?){10000} 773 MB).
 * 1,000 optional nodes in a pattern cost about 9 MB at most.
 */
#define LIST_REGEX_MAX_OPTIONAL 1000

/* list_regex_mul - a * b, at most LIST_REGEX_MAX_COPIES + 1. */
static size_t
list_regex_mul(size_t a, size_t b)
{
	if (a != 0 && b > (LIST_REGEX_MAX_COPIES + 1) / a)
		return LIST_REGEX_MAX_COPIES + 1;
	return a * b;
}

/* list_regex_skip_bs - q past any backslashes (glibc reads "{\\,5000}" as
 * "{,5000}"), not past the NUL. */
static const char *
list_regex_skip_bs(const char *q)
{
	while (q[0] == '\\' && q[1] != '\0')
		q++;
	return q;
}

/* list_regex_bound - the copies "{n}", "{n,}", "{n,m}" or "{,m}" (glibc
 * reads it as {0,m}) at p[0] = '{' makes, with *end after the '}'; 0 when
 * p is not a bound (regcomp then judges it). */
static size_t
list_regex_bound(const char *p, const char **end, size_t *least)
{
	size_t n = 0, m;
	const char *q = list_regex_skip_bs(p + 1);

	if ((*q < '0' || *q > '9') && *q != ',')
		return 0;
	while (*q >= '0' && *q <= '9' && n <= LIST_REGEX_MAX_COPIES)
		n = n * 10 + (size_t)(*q++ - '0');
	m = n;
	q = list_regex_skip_bs(q);
	if (*q == ',') {
		q = list_regex_skip_bs(q + 1);
		if (*q == '}')
			m = n + 1;	/* n copies and a star */
		else {
			m = 0;
			while (*q >= '0' && *q <= '9' &&
			    m <= LIST_REGEX_MAX_COPIES)
				m = m * 10 + (size_t)(*q++ - '0');
		}
	}
	q = list_regex_skip_bs(q);
	if (*q != '}') {
		/* Not a bound POSIX knows, but glibc may read one in it:
		 * count it as one (the guard errs on the safe side). */
		*end = q;
		*least = 0;
		return m > 0 ? m : 1;
	}
	*end = q + 1;
	*least = n < m ? n : m;
	return m > 0 ? m : 1;
}

/* list_regex_bracket - past the bracket expression at p[0] = '[' (or at
 * the NUL when it is unclosed: regcomp reports that). */
static const char *
list_regex_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (p[0] == '[' && (p[1] == ':' || p[1] == '=' ||
		    p[1] == '.')) {
			char kind = p[1];

			p += 2;
			while (*p != '\0' && !(p[0] == kind && p[1] == ']'))
				p++;
			if (*p != '\0')
				p += 2;
			continue;
		}
		p++;
	}
	return *p == ']' ? p + 1 : p;
}

/* list_regex_copies - about how many nodes regcomp would build for the
 * extended regex pat (at most LIST_REGEX_MAX_COPIES + 1, also when its
 * groups nest deeper than LIST_REGEX_MAX_DEPTH or it holds more than
 * LIST_REGEX_MAX_OPTIONAL optional ones). */
static size_t
list_regex_copies(const char *pat)
{
	/* Per open group: its size so far, and the size of its last atom
	 * (what a repetition applies to); the same for optional nodes. */
	size_t total[LIST_REGEX_MAX_DEPTH + 1], last[LIST_REGEX_MAX_DEPTH + 1];
	size_t opt[LIST_REGEX_MAX_DEPTH + 1], lastopt[LIST_REGEX_MAX_DEPTH + 1];
	unsigned depth = 0;
	const char *p = pat, *end;
	size_t mul, least, atom, atomopt;
	bool repeated = false;	/* the last token was a repetition */

	total[0] = last[0] = opt[0] = lastopt[0] = 0;
	while (*p != '\0') {
		mul = 0;
		least = 0;
		atom = 1;
		atomopt = 0;
		switch (*p) {
		case '\\':
			p += p[1] != '\0' ? 2 : 1;
			break;
		case '[':
			p = list_regex_bracket(p);
			break;
		case '(':
			repeated = false;
			if (depth == LIST_REGEX_MAX_DEPTH)
				return LIST_REGEX_MAX_COPIES + 1;
			depth++;
			total[depth] = last[depth] = opt[depth] =
			    lastopt[depth] = 0;
			p++;
			continue;
		case ')':
			if (depth == 0) {
				p++;
				break;
			}
			atom = total[depth] + 1;
			atomopt = opt[depth];
			depth--;
			p++;
			break;
		case '+':
			mul = least = 2;
			p++;
			break;
		case '*':
		case '?':
			/* POSIX leaves a repetition of a repetition (a*+,
			 * a+?) undefined, and glibc's closures over them
			 * explode: refused. */
			if (repeated)
				return LIST_REGEX_MAX_COPIES + 1;
			repeated = true;
			/* No copy, but one node more around the last atom,
			 * which a repetition after it copies too. */
			if (*p == '?') {
				opt[depth] += last[depth];
				lastopt[depth] += last[depth];
			}
			total[depth]++;
			last[depth]++;
			p++;
			if (total[depth] > LIST_REGEX_MAX_COPIES ||
			    opt[depth] > LIST_REGEX_MAX_OPTIONAL)
				return LIST_REGEX_MAX_COPIES + 1;
			continue;
		case '{':
			if ((mul = list_regex_bound(p, &end, &least)) == 0) {
				p++;
				break;
			}
			p = end;
			break;
		default:
			/* Atoms and '|' are one node. */
			p++;
			break;
		}
		if (mul > 0 && repeated)
			return LIST_REGEX_MAX_COPIES + 1;
		repeated = mul > 0;
		if (mul > 0) {
			size_t grown = list_regex_mul(last[depth], mul);
			size_t grownopt = list_regex_mul(lastopt[depth], mul) +
			    list_regex_mul(last[depth], mul - least);

			total[depth] += grown - last[depth];
			last[depth] = grown;
			opt[depth] += grownopt - lastopt[depth];
			lastopt[depth] = grownopt;
		} else {
			total[depth] += atom;
			last[depth] = atom;
			opt[depth] += atomopt;
			lastopt[depth] = atomopt;
		}
		if (total[depth] > LIST_REGEX_MAX_COPIES ||
		    opt[depth] > LIST_REGEX_MAX_OPTIONAL)
			return LIST_REGEX_MAX_COPIES + 1;
	}
	while (depth > 0) {
		/* An unclosed group: regcomp reports it. */
		total[depth - 1] += total[depth];
		opt[depth - 1] += opt[depth];
		depth--;
	}
	return opt[0] > LIST_REGEX_MAX_OPTIONAL ? LIST_REGEX_MAX_COPIES + 1 :
	    total[0];
}

/* list_regex_slot - a place for one more regex in r, or NULL when out of
 * memory. */
static regex_t *
list_regex_slot(struct list_regexes *r)
{
	if (r->count == r->res_size) {
		size_t size = r->res_size == 0 ? 1 : r->res_size * 2;
		regex_t **res = realloc(r->res, size * sizeof(*res));

		if (res == NULL)
			return NULL;
		memset(res + r->res_size, 0, (size - r->res_size) *
		    sizeof(*res));
		r->res = res;
		r->res_size = size;
	}
	/* A slot whose regcomp failed is taken again. */
	if (r->res[r->count] == NULL)
		r->res[r->count] = malloc(sizeof(regex_t));
	return r->res[r->count];
}

/* list_regex_keep_room - 0 once r has room for one more source, or -1
 * when out of memory. */
static int
list_regex_keep_room(struct list_regexes *r)
{
	if (r->count == r->sources_size) {
		size_t size = r->sources_size == 0 ? 4 : r->sources_size * 2;
		char **sources = realloc(r->sources, size * sizeof(*sources));
		bool *icase;

		if (sources == NULL)
			return -1;
		r->sources = sources;
		if ((icase = realloc(r->icase, size * sizeof(*icase))) == NULL)
			return -1;
		r->icase = icase;
		r->sources_size = size;
	}
	return 0;
}

/* list_regex_at - the i-th regex of r. */
static const regex_t *
list_regex_at(const struct list_regexes *r, size_t i)
{
	return r->res[i];
}

/* list_add_regex - 0 once the regex entry e (len bytes) is compiled into
 * list, or -1 after reporting why it cannot be. */
int
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
	if (list_regex_copies(copy) > LIST_REGEX_MAX_COPIES) {
		free(copy);
		list_report(w, "%s repeats too much for the regex engine "
		    "(a repetition of a repetition, as in a++ or a*?, or "
		    "nested ones multiplying, as in ((a+)+)+ or "
		    "(a{1000}){1000}, or over 1000 optional copies, as in "
		    "a{0,5000}; write each repetition once, and smaller)",
		    list_quote(q, e, len));
		return list_bad();
	}
	if ((re = list_regex_slot(&list->regexes)) == NULL) {
		free(copy);
		return list_no_memory(w);
	}
	if (list_regex_keep_room(&list->regexes) != 0) {
		free(copy);
		return list_no_memory(w);
	}
	rc = regcomp(re, copy, flags);
	if (rc == REG_ESPACE) {
		free(copy);
		return list_no_memory(w);
	}
	if (rc != 0) {
		free(copy);
		regerror(rc, re, errbuf, sizeof(errbuf));
		list_report(w, "%s is not a valid regular expression: %s%s",
		    list_quote(q, e, len), errbuf, list_regex_hint(rc));
		return list_bad();
	}
	list->regexes.sources[list->regexes.count] = copy;
	list->regexes.icase[list->regexes.count] = (flags & REG_ICASE) != 0;
	list->regexes.count++;
	return 0;
}

/* list_regexes_free - nothing; releases every regex of r. */
void
list_regexes_free(struct list_regexes *r)
{
	for (size_t i = 0; i < r->count; i++) {
		regfree((regex_t *)list_regex_at(r, i));
		free(r->sources[i]);
	}
	free(r->sources);
	free(r->icase);
	for (size_t i = 0; i < r->res_size; i++)
		free(r->res[i]);
	free(r->res);
}


/* list_match_regex - 1 on a match, 0 on none, -1 on an engine error. */
int
list_match_regex(const struct list *list, const char *text)
{
	list_check(list, LIST_REGEX, true, "list_match_regex");
	if (text == NULL)
		return 0;
	for (size_t i = 0; i < list->regexes.count; i++) {
		int rc = regexec(list_regex_at(&list->regexes, i), text, 0,
		    NULL, 0);

		if (rc == 0)
			return 1;
		/* A regex that could not run might have matched: stop, and
		 * let the caller fail closed. */
		if (rc != REG_NOMATCH)
			return -1;
	}
	return 0;
}

/* list_regex_count - how many regexes list holds. */
size_t
list_regex_count(const struct list *list)
{
	list_check(list, LIST_REGEX, list->frozen, "list_regex_count");
	return list->regexes.count;
}

/* list_regex_source - the i-th regex of list as written, without its
 * slashes; *icase tells whether it was /.../i. */
const char *
list_regex_source(const struct list *list, size_t i, bool *icase)
{
	list_check(list, LIST_REGEX, list->frozen, "list_regex_source");
	*icase = list->regexes.icase[i];
	return list->regexes.sources[i];
}
