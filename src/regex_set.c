/*
 * regex_set - many POSIX extended regexes against one value in one pass
 * (the contract is in regex_set.h)
 *
 * Every pattern is compiled by regcomp first, so a set accepts exactly
 * what regexec would.  The regex_t is kept for the patterns that stay on
 * regexec and for the Hyperscan patterns holding '$' (their hits on a
 * value ending in a newline are confirmed); the others are released.
 * The regex_t array is allocated once and never moves, because POSIX does
 * not promise that a regex_t may be copied.
 */
#include "config.h"

#include "regex_set.h"

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

struct regex_set {
	size_t n;		/* patterns */
	size_t nids;		/* bits of a hit bitmap */
	unsigned *ids;		/* n: the bit of pattern i */
	size_t nengine;		/* of them, taken by Hyperscan */
	unsigned char *took;	/* n: 1 when Hyperscan scans pattern i */
	unsigned char *kept;	/* n: 1 when re[i] is compiled */
	unsigned char *dollar;	/* n: 1 when Hyperscan's hits of pattern i
				 * need confirming (it holds '$') */
	regex_t *re;		/* n, compiled where kept[i] */
	size_t *slow;		/* the nslow patterns run on regexec */
	size_t nslow;
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;	/* NULL when Hyperscan took nothing */
#endif
};

/* regex_set_mark - nothing; sets bit id of hits. */
static inline void
regex_set_mark(unsigned char *hits, unsigned id)
{
	hits[id / 8] |= (unsigned char)(1u << (id % 8));
}

/* regex_set_repeat - true when c is a repetition operator. */
static bool
regex_set_repeat(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* regex_set_digit - true when c is an ASCII digit. */
static bool
regex_set_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* regex_set_bracket - the index after the bracket expression opening at
 * p[i] == '[', or 0 when it holds something Hyperscan could read
 * otherwise (a backslash, a '[' that is not [:class:]). */
static size_t
regex_set_bracket(const char *p, size_t i)
{
	size_t j = i + 1;

	if (p[j] == '^')
		j++;
	if (p[j] == ']')
		j++;
	for (; p[j] != '\0' && p[j] != ']'; j++) {
		if (p[j] == '\\')
			return 0;
		if (p[j] == '[') {
			const char *end;

			if (p[j + 1] != ':')
				return 0;
			if ((end = strstr(p + j + 2, ":]")) == NULL)
				return 0;
			for (const char *k = p + j + 2; k < end; k++)
				if (!(*k >= 'a' && *k <= 'z'))
					return 0;
			j = (size_t)(end - p) + 1;
		}
	}
	return p[j] == ']' ? j + 1 : 0;
}

/* regex_set_brace - the index after a {n}, {n,} or {n,m} at p[i] == '{',
 * or 0 when it is not one of those. */
static size_t
regex_set_brace(const char *p, size_t i)
{
	size_t j = i + 1;

	if (!regex_set_digit(p[j]))
		return 0;
	while (regex_set_digit(p[j]))
		j++;
	if (p[j] == ',') {
		j++;
		while (regex_set_digit(p[j]))
			j++;
	}
	return p[j] == '}' ? j + 1 : 0;
}

/* regex_set_portable - true when Hyperscan reads p as ERE does (the
 * conservative check of regex_set.h); *dollar says whether p holds an
 * unescaped '$' outside brackets. */
static bool
regex_set_portable(const char *p, bool *dollar)
{
	bool atom = false;	/* something repeatable just before */
	unsigned depth = 0;
	size_t i = 0;

	*dollar = false;
	while (p[i] != '\0') {
		char c = p[i];

		if (c == '\\') {
			if (p[i + 1] == '\0' ||
			    strchr(".[](){}*+?|^$\\/-", p[i + 1]) == NULL)
				return false;
			i += 2;
			atom = true;
			continue;
		}
		if (c == '[') {
			if ((i = regex_set_bracket(p, i)) == 0)
				return false;
			atom = true;
			continue;
		}
		if (regex_set_repeat(c)) {
			if (!atom)
				return false;
			if (c == '{') {
				if ((i = regex_set_brace(p, i)) == 0)
					return false;
			} else
				i++;
			if (regex_set_repeat(p[i]))
				return false;
			continue;
		}
		switch (c) {
		case '(':
			depth++;
			atom = false;
			break;
		case ')':
			if (depth == 0)
				return false;
			depth--;
			atom = true;
			break;
		case '|':
		case '^':
			atom = false;
			break;
		case '$':
			*dollar = true;
			atom = false;
			break;
		default:
			atom = true;
			break;
		}
		i++;
	}
	return depth == 0;
}

#ifdef HAVE_HYPERSCAN
/*
 * Scratch space.  hs_alloc_scratch checks the whole database (a checksum
 * over it) each time it is called, so it must stay off the scan path:
 * one prototype, grown at build time for every database built, is cloned
 * once into each thread that scans.  The generation changes whenever a
 * database is built; a thread whose clone is older clones it again.  The
 * prototype only grows (a set freed by a reload leaves it as large), so
 * every clone fits every live database.
 */
static pthread_mutex_t regex_set_proto_lock = PTHREAD_MUTEX_INITIALIZER;
static hs_scratch_t *regex_set_proto;
static _Atomic unsigned long regex_set_proto_gen;

/* The prototype's generation this thread's clone (the value of
 * regex_set_key) copies. */
static _Thread_local unsigned long regex_set_thread_gen;

static pthread_key_t regex_set_key;
static pthread_once_t regex_set_once = PTHREAD_ONCE_INIT;
static int regex_set_key_rc;

/* regex_set_scratch_free - nothing; the destructor of a thread's
 * scratch. */
static void
regex_set_scratch_free(void *s)
{
	hs_free_scratch(s);
}

/* regex_set_key_init - nothing; creates the thread-specific key once. */
static void
regex_set_key_init(void)
{
	regex_set_key_rc = pthread_key_create(&regex_set_key,
	    regex_set_scratch_free);
}

/* regex_set_proto_grow - 0 once the prototype scratch fits db, -1 when
 * out of memory. */
static int
regex_set_proto_grow(const hs_database_t *db)
{
	int rc = 0;

	/* A new generation each time: a grown prototype may sit at the
	 * address of the old one, so the pointer cannot tell. */
	pthread_mutex_lock(&regex_set_proto_lock);
	if (hs_alloc_scratch(db, &regex_set_proto) != HS_SUCCESS)
		rc = -1;
	regex_set_proto_gen++;
	pthread_mutex_unlock(&regex_set_proto_lock);
	return rc;
}

/* regex_set_thread_scratch - this thread's scratch, a clone of the
 * current prototype, or NULL when out of memory. */
static hs_scratch_t *
regex_set_thread_scratch(void)
{
	hs_scratch_t *s;
	hs_error_t rc;

	if (pthread_once(&regex_set_once, regex_set_key_init) != 0 ||
	    regex_set_key_rc != 0)
		return NULL;
	s = pthread_getspecific(regex_set_key);
	if (s != NULL && regex_set_thread_gen == regex_set_proto_gen)
		return s;
	if (s != NULL) {
		(void)pthread_setspecific(regex_set_key, NULL);
		hs_free_scratch(s);
		s = NULL;
	}
	pthread_mutex_lock(&regex_set_proto_lock);
	rc = regex_set_proto != NULL ?
	    hs_clone_scratch(regex_set_proto, &s) : HS_NOMEM;
	regex_set_thread_gen = regex_set_proto_gen;
	pthread_mutex_unlock(&regex_set_proto_lock);
	if (rc != HS_SUCCESS)
		return NULL;
	if (pthread_setspecific(regex_set_key, s) != 0) {
		hs_free_scratch(s);
		return NULL;
	}
	return s;
}

/* regex_set_compile - 0 once set->db holds every portable pattern
 * Hyperscan accepts (those it refuses are left to regexec), -1 when out
 * of memory. */
static int
regex_set_compile(struct regex_set *set, const struct regex_set_entry *e)
{
	const char **expr = malloc(set->n * sizeof(*expr));
	unsigned *flags = malloc(set->n * sizeof(*flags));
	unsigned *ids = malloc(set->n * sizeof(*ids));
	unsigned count = 0;
	int rc = -1;

	if (expr == NULL || flags == NULL || ids == NULL)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		if (!set->took[i])
			continue;
		expr[count] = e[i].pattern;
		flags[count] = HS_FLAG_DOTALL | HS_FLAG_ALLOWEMPTY |
		    HS_FLAG_SINGLEMATCH |
		    ((e[i].flags & REGEX_SET_ICASE) ? HS_FLAG_CASELESS : 0);
		ids[count] = (unsigned)i;
		count++;
	}
	while (count > 0) {
		hs_compile_error_t *cerr = NULL;
		int at;

		if (hs_compile_multi(expr, flags, ids, count, HS_MODE_BLOCK,
		    NULL, &set->db, &cerr) == HS_SUCCESS)
			break;
		set->db = NULL;
		at = cerr != NULL ? cerr->expression : -1;
		hs_free_compile_error(cerr);
		if (at < 0 || (unsigned)at >= count) {
			/* Not one pattern's fault: leave all to regexec. */
			for (unsigned k = 0; k < count; k++)
				set->took[ids[k]] = 0;
			count = 0;
			break;
		}
		set->took[ids[at]] = 0;
		count--;
		memmove(expr + at, expr + at + 1, (count - (unsigned)at) *
		    sizeof(*expr));
		memmove(flags + at, flags + at + 1, (count - (unsigned)at) *
		    sizeof(*flags));
		memmove(ids + at, ids + at + 1, (count - (unsigned)at) *
		    sizeof(*ids));
	}
	set->nengine = count;
	rc = set->db != NULL ? regex_set_proto_grow(set->db) : 0;
out:
	free(expr);
	free(flags);
	free(ids);
	return rc;
}

/* What a scan's match callback needs. */
struct regex_set_scan_ctx {
	const struct regex_set *set;
	const char *text;
	bool newline;		/* text ends in a newline */
	bool failed;		/* a confirmation could not run */
	unsigned char *hits;
};

/* regex_set_on_hit - 0 (go on), or 1 (stop: failed) after recording the
 * hit of pattern i.  Hyperscan's '$' also matches before a final newline,
 * regexec's does not: such hits are confirmed with regexec. */
static int
regex_set_on_hit(unsigned i, unsigned long long from,
    unsigned long long to, unsigned hsflags, void *arg)
{
	struct regex_set_scan_ctx *ctx = arg;
	const struct regex_set *set = ctx->set;

	(void)from;
	(void)to;
	(void)hsflags;
	if (ctx->newline && set->dollar[i]) {
		int rc = regexec(&set->re[i], ctx->text, 0, NULL, 0);

		if (rc == REG_NOMATCH)
			return 0;
		if (rc != 0) {
			ctx->failed = true;
			return 1;
		}
	}
	regex_set_mark(ctx->hits, set->ids[i]);
	return 0;
}

/* regex_set_hs_scan - 0 once Hyperscan's hits are in hits, -1 when it
 * failed (no scratch space, a scan error, a confirmation that failed). */
static int
regex_set_hs_scan(const struct regex_set *set, const char *text,
    size_t len, unsigned char *hits)
{
	struct regex_set_scan_ctx ctx = {
		set, text, len > 0 && text[len - 1] == '\n', false, hits
	};

	hs_scratch_t *s;

	if (set->db == NULL)
		return 0;
	if (len > 0xffffffffu || (s = regex_set_thread_scratch()) == NULL)
		return -1;
	if (hs_scan(set->db, text, (unsigned)len, 0, s, regex_set_on_hit,
	    &ctx) != HS_SUCCESS || ctx.failed)
		return -1;
	return 0;
}
#endif

/* regex_set_build - the set of the n patterns of e, bit ids[i] for
 * pattern i (NULL: bit i), or NULL (see .h). */
static struct regex_set *
regex_set_build(const struct regex_set_entry *e, size_t n, size_t nids,
    bool by_id, char *err, size_t errlen)
{
	struct regex_set *set = calloc(1, sizeof(*set));
	size_t alloc = n > 0 ? n : 1;

	if (set == NULL)
		goto nomem;
	set->n = n;
	set->nids = nids;
	set->ids = calloc(alloc, sizeof(*set->ids));
	set->took = calloc(alloc, 1);
	set->kept = calloc(alloc, 1);
	set->dollar = calloc(alloc, 1);
	set->re = calloc(alloc, sizeof(*set->re));
	set->slow = calloc(alloc, sizeof(*set->slow));
	if (set->ids == NULL || set->took == NULL || set->kept == NULL ||
	    set->re == NULL || set->slow == NULL || set->dollar == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if (by_id && e[i].id >= nids) {
			snprintf(err, errlen, "pattern %zu has the id %u, "
			    "not under %zu", i, e[i].id, nids);
			regex_set_free(set);
			return NULL;
		}
		set->ids[i] = by_id ? e[i].id : (unsigned)i;
	}
	for (size_t i = 0; i < n; i++) {
		int flags = REG_EXTENDED | REG_NOSUB, rc;
		bool d;

		if (e[i].flags & REGEX_SET_ICASE)
			flags |= REG_ICASE;
		rc = regcomp(&set->re[i], e[i].pattern, flags);
		if (rc == REG_ESPACE)
			goto nomem;
		if (rc != 0) {
			char why[256];

			regerror(rc, &set->re[i], why, sizeof(why));
			regfree(&set->re[i]);
			snprintf(err, errlen, "pattern %zu is not a valid "
			    "regular expression: %s", i, why);
			regex_set_free(set);
			return NULL;
		}
		set->kept[i] = 1;
#ifdef HAVE_HYPERSCAN
		set->took[i] = regex_set_portable(e[i].pattern, &d);
#else
		(void)regex_set_portable(e[i].pattern, &d);
#endif
		set->dollar[i] = d;
	}
#ifdef HAVE_HYPERSCAN
	if (n > 0 && regex_set_compile(set, e) != 0)
		goto nomem;
#endif
	for (size_t i = 0; i < n; i++) {
		if (!set->took[i])
			set->slow[set->nslow++] = i;
		else if (!set->dollar[i]) {
			regfree(&set->re[i]);
			set->kept[i] = 0;
		}
	}
	return set;
nomem:
	snprintf(err, errlen, "out of memory");
	regex_set_free(set);
	return NULL;
}

/* regex_set_new - the set of the n patterns of e, bit i for pattern i. */
struct regex_set *
regex_set_new(const struct regex_set_entry *e, size_t n, char *err,
    size_t errlen)
{
	return regex_set_build(e, n, n, false, err, errlen);
}

/* regex_set_new_ids - the set of the n patterns of e, bit e[i].id for
 * pattern i. */
struct regex_set *
regex_set_new_ids(const struct regex_set_entry *e, size_t n, size_t nids,
    char *err, size_t errlen)
{
	return regex_set_build(e, n, nids, true, err, errlen);
}

/* regex_set_free - nothing; releases set. */
void
regex_set_free(struct regex_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; set->kept != NULL && i < set->n; i++)
		if (set->kept[i])
			regfree(&set->re[i]);
#ifdef HAVE_HYPERSCAN
	hs_free_database(set->db);
#endif
	free(set->ids);
	free(set->took);
	free(set->kept);
	free(set->re);
	free(set->slow);
	free(set->dollar);
	free(set);
}

/* regex_set_count - the number of patterns. */
size_t
regex_set_count(const struct regex_set *set)
{
	return set->n;
}

/* regex_set_engine_count - the patterns Hyperscan took. */
size_t
regex_set_engine_count(const struct regex_set *set)
{
	return set->nengine;
}

/* regex_set_engine_took - whether Hyperscan scans pattern i. */
bool
regex_set_engine_took(const struct regex_set *set, size_t i)
{
	return i < set->n && set->took[i];
}

/* regex_set_bitmap_size - bytes of a hit bitmap. */
size_t
regex_set_bitmap_size(const struct regex_set *set)
{
	return set->nids / 8 + 1;
}

/* regex_set_scan - 0 with the hits of text in hits, -1 on engine error. */
int
regex_set_scan(const struct regex_set *set, const char *text, size_t len,
    unsigned char *hits)
{
	memset(hits, 0, regex_set_bitmap_size(set));
#ifdef HAVE_HYPERSCAN
	if (regex_set_hs_scan(set, text, len, hits) != 0)
		return -1;
#else
	(void)len;
#endif
	for (size_t k = 0; k < set->nslow; k++) {
		size_t i = set->slow[k];
		int rc;

		/* Another pattern of its id matched already. */
		if (regex_set_hit(hits, set->ids[i]))
			continue;
		rc = regexec(&set->re[i], text, 0, NULL, 0);
		if (rc == 0)
			regex_set_mark(hits, set->ids[i]);
		else if (rc != REG_NOMATCH)
			return -1;
	}
	return 0;
}

#ifdef HAVE_HYPERSCAN
static char regex_set_name[128];
static pthread_once_t regex_set_name_once = PTHREAD_ONCE_INIT;

/* regex_set_name_init - nothing; writes the engine's name once. */
static void
regex_set_name_init(void)
{
	snprintf(regex_set_name, sizeof(regex_set_name), "hyperscan %s "
	    "(block mode; regexec for the patterns it cannot take)",
	    hs_version());
}
#endif

/* regex_set_engine - the name of the multi-pattern engine. */
const char *
regex_set_engine(void)
{
#ifdef HAVE_HYPERSCAN
	pthread_once(&regex_set_name_once, regex_set_name_init);
	return regex_set_name;
#else
	return "regexec (POSIX; built without Hyperscan)";
#endif
}

/* regex_set_multi - whether Hyperscan is built in. */
bool
regex_set_multi(void)
{
#ifdef HAVE_HYPERSCAN
	return true;
#else
	return false;
#endif
}

/* regex_set_thread_done - nothing; frees this thread's scratch. */
void
regex_set_thread_done(void)
{
#ifdef HAVE_HYPERSCAN
	void *s;

	if (pthread_once(&regex_set_once, regex_set_key_init) != 0 ||
	    regex_set_key_rc != 0)
		return;
	if ((s = pthread_getspecific(regex_set_key)) != NULL) {
		(void)pthread_setspecific(regex_set_key, NULL);
		hs_free_scratch(s);
	}
#endif
}
