/*
 * policy_regex - the regex index: every regex of a stage and value in one
 * pass
 *
 * Built once per load (policy_build_regex, called by the loader after the
 * gates).  For each stage, the values its regex conditions look at (HELO,
 * sender, recipients, a header by name, the body, a macro by name, ...)
 * are keys; each key holds one regex_set of every pattern the stage's
 * conditions match against that value, and every regex list of every
 * such condition is one slot (one bit, whatever the number of patterns
 * behind it).
 *
 * An evaluation (policy_rx_begin) scans each key's value once and knows,
 * from the hits, which rules can match: a rule whose top-level condition
 * is a regex one (its trigger) can match only when that condition's slot
 * hit, so the engine evaluates only those rules and the ones without a
 * trigger, in file order.  A single value's hits then also answer the
 * regex conditions themselves (policy_rx_answer).  Where the answer would
 * not be exactly regexec's, the index says so and the engine asks the
 * list: a key with several values at the stage (recipients after RCPT,
 * headers after the header stage), whose hits only select the rules, and
 * a scan that failed, after which every rule the key triggers is
 * evaluated the slow way, errors included.
 */
#include "config.h"

#include "policy_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex_set.h"
#include "session.h"

/* A growable array of the patterns of one key, while building. */
struct rx_build {
	struct regex_set_entry *e;
	size_t n, size;
};

/* rx_field - whether the index takes regex conditions on field. */
static bool
rx_field(enum cond_field field)
{
	switch (field) {
	case COND_CLIENT_NAME:
	case COND_HELO:
	case COND_SENDER:
	case COND_SENDER_DOMAIN:
	case COND_RCPT:
	case COND_RCPT_DOMAIN:
	case COND_HEADER:
	case COND_BODY:
	case COND_MACRO:
		return true;
	default:
		return false;
	}
}

/* rx_indexable - whether c is a condition the index answers for. */
static bool
rx_indexable(const struct cond *c)
{
	if (c->type != COND_MATCH || !rx_field(c->field) || c->presence)
		return false;
	if ((c->field == COND_HEADER || c->field == COND_MACRO) &&
	    c->name == NULL)
		return false;
	for (unsigned i = 0; i < c->nlists; i++)
		if (list_kind(c->lists[i]) == LIST_REGEX)
			return true;
	return false;
}

/* rx_trigger - whether c, a top-level condition, matches only through
 * its regexes: no exact string, no "<>", no list of another kind. */
static bool
rx_trigger(const struct cond *c)
{
	if (c->rx_key == 0 || c->nstrings > 0 || c->null_sender)
		return false;
	for (unsigned i = 0; i < c->nlists; i++)
		if (list_kind(c->lists[i]) != LIST_REGEX)
			return false;
	return true;
}

/* rx_multi - whether field has several values at stage. */
static bool
rx_multi(enum cond_field field, enum stage stage)
{
	if (field == COND_RCPT || field == COND_RCPT_DOMAIN)
		return stage != STAGE_RCPT;
	if (field == COND_HEADER)
		return stage != STAGE_HEADER;
	return false;
}

/* rx_key_of - the index (1-based) of c's key at ix, made on first use;
 * 0 when out of memory. */
static unsigned
rx_key_of(struct policy_rx_stage *ix, struct rx_build **build,
    const struct cond *c, enum stage stage)
{
	struct policy_rx_key *k;
	struct rx_build *b;

	for (unsigned i = 0; i < ix->nkeys; i++) {
		k = &ix->keys[i];
		if (k->field == c->field && (k->name == NULL ||
		    strcasecmp(k->name, c->name) == 0))
			return i + 1;
	}
	if ((k = realloc(ix->keys, (ix->nkeys + 1) * sizeof(*k))) == NULL)
		return 0;
	ix->keys = k;
	if ((b = realloc(*build, (ix->nkeys + 1) * sizeof(*b))) == NULL)
		return 0;
	*build = b;
	memset(&b[ix->nkeys], 0, sizeof(*b));
	k = &ix->keys[ix->nkeys];
	memset(k, 0, sizeof(*k));
	k->field = c->field;
	k->name = c->field == COND_HEADER || c->field == COND_MACRO ?
	    c->name : NULL;
	k->multi = rx_multi(c->field, stage);
	return ++ix->nkeys;
}

/* rx_add_cond - give c its key and slots, its patterns into build; 0, or
 * -1 when out of memory. */
static int
rx_add_cond(struct policy_rx_stage *ix, struct rx_build **build,
    struct cond *c, enum stage stage)
{
	struct policy_rx_key *k;
	struct rx_build *b;
	unsigned key;

	if ((key = rx_key_of(ix, build, c, stage)) == 0)
		return -1;
	k = &ix->keys[key - 1];
	b = &(*build)[key - 1];
	c->rx_key = key;
	c->rx_slot = k->nslots;
	c->rx_first = (unsigned)b->n;
	for (unsigned i = 0; i < c->nlists; i++) {
		const struct list *l = c->lists[i];
		size_t count;

		if (list_kind(l) != LIST_REGEX)
			continue;
		count = list_regex_count(l);
		if (b->n + count > b->size) {
			size_t size = b->size * 2 + count + 16;
			struct regex_set_entry *e = realloc(b->e, size *
			    sizeof(*e));

			if (e == NULL)
				return -1;
			b->e = e;
			b->size = size;
		}
		for (size_t j = 0; j < count; j++) {
			bool icase;

			b->e[b->n].pattern = list_regex_source(l, j, &icase);
			b->e[b->n].flags = icase ? REGEX_SET_ICASE : 0;
			b->e[b->n].id = k->nslots;
			b->n++;
		}
		k->nslots++;
	}
	return 0;
}

/* rx_walk - rx_add_cond for every indexable condition of the tree c. */
static int
rx_walk(struct policy_rx_stage *ix, struct rx_build **build,
    struct cond *c, enum stage stage)
{
	c->rx_key = 0;
	if (rx_indexable(c))
		return rx_add_cond(ix, build, c, stage);
	for (unsigned i = 0; i < c->nchildren; i++)
		if (rx_walk(ix, build, c->children[i], stage) != 0)
			return -1;
	return 0;
}

/* rx_bit - sets bit i of the word bitmap w. */
static inline void
rx_bit(uint64_t *w, unsigned i)
{
	w[i / 64] |= UINT64_C(1) << (i % 64);
}

/* rx_finish - the triggers and scratch layout of ix, once every key has
 * its set; 0, or -1 when out of memory. */
static int
rx_finish(struct policy *p, enum stage st, struct policy_rx_stage *ix)
{
	unsigned nrules = p->nstage_rules[st];
	size_t off;

	ix->nwords = (nrules + 63) / 64;
	if ((ix->plain = calloc(ix->nwords, sizeof(uint64_t))) == NULL)
		return -1;
	for (unsigned i = 0; i < ix->nkeys; i++) {
		struct policy_rx_key *k = &ix->keys[i];

		k->slot_rule = malloc(k->nslots * sizeof(*k->slot_rule));
		k->triggers = calloc(ix->nwords, sizeof(uint64_t));
		if (k->set == NULL || k->slot_rule == NULL ||
		    k->triggers == NULL)
			return -1;
		for (unsigned j = 0; j < k->nslots; j++)
			k->slot_rule[j] = POLICY_RX_NONE;
	}
	for (unsigned i = 0; i < nrules; i++) {
		const struct rule *r = p->stage_rules[st][i];
		const struct cond *t = NULL;

		for (unsigned j = 0; r->cond != NULL &&
		    j < r->cond->nchildren && t == NULL; j++)
			if (rx_trigger(r->cond->children[j]))
				t = r->cond->children[j];
		if (t == NULL) {
			rx_bit(ix->plain, i);
			continue;
		}
		struct policy_rx_key *k = &ix->keys[t->rx_key - 1];

		for (unsigned j = 0; j < t->nlists; j++)
			k->slot_rule[t->rx_slot + j] = i;
		rx_bit(k->triggers, i);
	}
	/* The scratch: a state byte per key, then each key's bitmap, one
	 * more for the values of a multi key, then the candidates. */
	off = ix->nkeys;
	for (unsigned i = 0; i < ix->nkeys; i++) {
		size_t size = regex_set_bitmap_size(ix->keys[i].set);

		ix->keys[i].hits_off = off;
		off += size;
		if (size > ix->max_hits)
			ix->max_hits = size;
	}
	ix->tmp_off = off;
	off += ix->max_hits;
	ix->cand_off = (off + 7) / 8 * 8;
	ix->scratch = ix->cand_off + ix->nwords * sizeof(uint64_t);
	return 0;
}

/* The sets of one load, compiled by several threads: Hyperscan's
 * compiler takes most of a large policy's load time. */
struct rx_compile {
	struct policy *p;
	struct rx_build *build[STAGE_COUNT];	/* per stage, per key */
	pthread_mutex_t lock;
	int next_stage;		/* the next key to take: stage, key */
	unsigned next_key;
	bool failed;
};

#define RX_COMPILE_THREADS 4

/* rx_compile_next - 0 with the next key to compile in *st, *key; -1 when
 * none is left. */
static int
rx_compile_next(struct rx_compile *job, int *st, unsigned *key)
{
	int rc = -1;

	pthread_mutex_lock(&job->lock);
	while (!job->failed && job->next_stage < STAGE_COUNT) {
		if (job->next_key < job->p->rx[job->next_stage].nkeys) {
			*st = job->next_stage;
			*key = job->next_key++;
			rc = 0;
			break;
		}
		job->next_stage++;
		job->next_key = 0;
	}
	pthread_mutex_unlock(&job->lock);
	return rc;
}

/* rx_compile_worker - NULL; compiles keys until none is left. */
static void *
rx_compile_worker(void *arg)
{
	struct rx_compile *job = arg;
	char err[256];
	int st;
	unsigned i;

	while (rx_compile_next(job, &st, &i) == 0) {
		struct policy_rx_key *k = &job->p->rx[st].keys[i];
		const struct rx_build *b = &job->build[st][i];

		k->set = regex_set_new_ids(b->e, b->n, k->nslots, err,
		    sizeof(err));
		if (k->set == NULL) {
			pthread_mutex_lock(&job->lock);
			job->failed = true;
			pthread_mutex_unlock(&job->lock);
		}
	}
	return NULL;
}

/* rx_compile_all - 0 once every key of p has its set, -1 when one could
 * not be made (out of memory).  The calling thread compiles too, so no
 * helper thread is needed for it to finish. */
static int
rx_compile_all(struct rx_compile *job)
{
	pthread_t t[RX_COMPILE_THREADS - 1];
	unsigned keys = 0, started = 0;

	for (int st = 0; st < STAGE_COUNT; st++)
		keys += job->p->rx[st].nkeys;
	while (started + 1 < keys && started < RX_COMPILE_THREADS - 1 &&
	    pthread_create(&t[started], NULL, rx_compile_worker, job) == 0)
		started++;
	(void)rx_compile_worker(job);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return job->failed ? -1 : 0;
}

int
policy_build_regex(struct policy *p)
{
	struct rx_compile job = { .p = p, .lock = PTHREAD_MUTEX_INITIALIZER };
	int rc = 0;

	for (int st = 0; rc == 0 && st < STAGE_COUNT; st++)
		for (unsigned i = 0; rc == 0 && i < p->nstage_rules[st]; i++) {
			struct rule *r = p->stage_rules[st][i];

			if (r->cond != NULL)
				rc = rx_walk(&p->rx[st], &job.build[st],
				    r->cond, (enum stage)st);
		}
	if (rc == 0)
		rc = rx_compile_all(&job);
	for (int st = 0; rc == 0 && st < STAGE_COUNT; st++)
		if (p->rx[st].nkeys > 0)
			rc = rx_finish(p, (enum stage)st, &p->rx[st]);
	for (int st = 0; st < STAGE_COUNT; st++) {
		for (unsigned i = 0; job.build[st] != NULL &&
		    i < p->rx[st].nkeys; i++)
			free(job.build[st][i].e);
		free(job.build[st]);
	}
	pthread_mutex_destroy(&job.lock);
	return rc;
}

void
policy_free_regex(struct policy *p)
{
	for (int st = 0; st < STAGE_COUNT; st++) {
		struct policy_rx_stage *ix = &p->rx[st];

		for (unsigned i = 0; i < ix->nkeys; i++) {
			regex_set_free(ix->keys[i].set);
			free(ix->keys[i].slot_rule);
			free(ix->keys[i].triggers);
		}
		free(ix->keys);
		free(ix->plain);
		memset(ix, 0, sizeof(*ix));
	}
}

/* --- evaluation ----------------------------------------------------- */

/* Each thread's scratch: grown to the largest stage it evaluated, freed
 * when the thread ends. */
static pthread_key_t rx_scratch_key;
static pthread_once_t rx_scratch_once = PTHREAD_ONCE_INIT;
static int rx_scratch_rc;

struct rx_scratch {
	size_t size;
	unsigned char *buf;
};

/* rx_scratch_free - nothing; the destructor of a thread's scratch. */
static void
rx_scratch_free(void *arg)
{
	struct rx_scratch *s = arg;

	free(s->buf);
	free(s);
}

/* rx_scratch_init - nothing; makes the key once. */
static void
rx_scratch_init(void)
{
	rx_scratch_rc = pthread_key_create(&rx_scratch_key, rx_scratch_free);
}

/* rx_scratch - size bytes of this thread's scratch (8-aligned), or NULL
 * when out of memory. */
static unsigned char *
rx_scratch(size_t size)
{
	struct rx_scratch *s;

	if (pthread_once(&rx_scratch_once, rx_scratch_init) != 0 ||
	    rx_scratch_rc != 0)
		return NULL;
	if ((s = pthread_getspecific(rx_scratch_key)) == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return NULL;
		if (pthread_setspecific(rx_scratch_key, s) != 0) {
			free(s);
			return NULL;
		}
	}
	if (s->size < size) {
		unsigned char *buf = malloc(size);

		if (buf == NULL)
			return NULL;
		free(s->buf);
		s->buf = buf;
		s->size = size;
	}
	return s->buf;
}

void
policy_thread_done(void)
{
	struct rx_scratch *s;

	regex_set_thread_done();
	if (pthread_once(&rx_scratch_once, rx_scratch_init) != 0 ||
	    rx_scratch_rc != 0)
		return;
	if ((s = pthread_getspecific(rx_scratch_key)) != NULL) {
		(void)pthread_setspecific(rx_scratch_key, NULL);
		rx_scratch_free(s);
	}
}

/* rx_header_value - h's text (session_header_text) when h is named name,
 * else NULL. */
static const char *
rx_header_value(const struct session_header *h, const char *name)
{
	if (h == NULL || strcasecmp(h->name, name) != 0)
		return NULL;
	return session_header_text(h);
}

/* rx_value - the value of key k at stage in s, NULL when there is none;
 * for a multi key, the first at or after *i, with *i set to where it is
 * (recipients, headers by index). */
static const char *
rx_value(const struct policy_rx_key *k, enum stage stage,
    const struct session *s, unsigned *i)
{
	switch (k->field) {
	case COND_CLIENT_NAME:
		return s->client_name;
	case COND_HELO:
		return s->helo;
	case COND_SENDER:
		return s->sender;
	case COND_SENDER_DOMAIN:
		return s->sender_domain[0] != '\0' ? s->sender_domain : NULL;
	case COND_RCPT:
	case COND_RCPT_DOMAIN:
		if (stage == STAGE_RCPT)
			return k->field == COND_RCPT ? s->rcpt :
			    s->rcpt_domain;
		if (*i >= s->nrcpts)
			return NULL;
		return k->field == COND_RCPT ? s->rcpts[*i] :
		    s->rcpt_domains[*i];
	case COND_HEADER:
		if (stage == STAGE_HEADER)
			return rx_header_value(session_current_header(s),
			    k->name);
		for (; *i < s->nheaders; (*i)++) {
			const char *v = rx_header_value(&s->headers[*i],
			    k->name);

			if (v != NULL)
				return v;
		}
		return NULL;
	case COND_BODY:
		return s->body_len > 0 ? s->body : NULL;
	case COND_MACRO:
		return session_macro(s, k->name);
	default:
		return NULL;
	}
}

/* rx_scan_key - the state of key k after scanning its values in s into
 * hits (tmp: room for one bitmap, for the values of a multi key). */
static enum policy_rx_state
rx_scan_key(const struct policy_rx_key *k, enum stage stage,
    const struct session *s, unsigned char *hits, unsigned char *tmp)
{
	size_t size = regex_set_bitmap_size(k->set);
	const char *v;
	unsigned i = 0;

	if (!k->multi) {
		if ((v = rx_value(k, stage, s, &i)) == NULL) {
			memset(hits, 0, size);
			return POLICY_RX_NOVALUE;
		}
		return regex_set_scan(k->set, v, strlen(v), hits) == 0 ?
		    POLICY_RX_SCANNED : POLICY_RX_FAILED;
	}
	memset(hits, 0, size);
	for (; (v = rx_value(k, stage, s, &i)) != NULL; i++) {
		if (regex_set_scan(k->set, v, strlen(v), tmp) != 0)
			return POLICY_RX_FAILED;
		for (size_t j = 0; j < size; j++)
			hits[j] |= tmp[j];
	}
	return POLICY_RX_UNION;
}

int
policy_rx_begin(const struct policy *p, enum stage stage,
    const struct session *s, struct policy_rx_eval *ev)
{
	const struct policy_rx_stage *ix = &p->rx[stage];
	unsigned char *buf;

	ev->ix = NULL;
	if (ix->nkeys == 0)
		return 0;
	if ((buf = rx_scratch(ix->scratch)) == NULL)
		return -1;
	ev->ix = ix;
	ev->state = buf;
	ev->hits = buf;
	ev->cand = (uint64_t *)(void *)(buf + ix->cand_off);
	memcpy(ev->cand, ix->plain, ix->nwords * sizeof(uint64_t));
	for (unsigned i = 0; i < ix->nkeys; i++) {
		const struct policy_rx_key *k = &ix->keys[i];
		unsigned char *hits = buf + k->hits_off;
		size_t size = regex_set_bitmap_size(k->set);

		ev->state[i] = (unsigned char)rx_scan_key(k, stage, s, hits,
		    buf + ix->tmp_off);
		if (ev->state[i] == POLICY_RX_FAILED) {
			/* Their conditions go the slow way, errors and
			 * all. */
			for (unsigned w = 0; w < ix->nwords; w++)
				ev->cand[w] |= k->triggers[w];
			continue;
		}
		for (size_t j = 0; j < size; j++) {
			for (unsigned bits = hits[j]; bits != 0;
			    bits &= bits - 1) {
				unsigned slot = (unsigned)j * 8 +
				    (unsigned)__builtin_ctz(bits);

				if (slot < k->nslots &&
				    k->slot_rule[slot] != POLICY_RX_NONE)
					rx_bit(ev->cand, k->slot_rule[slot]);
			}
		}
	}
	return 0;
}

int
policy_rx_answer(const struct policy_rx_eval *ev, const struct cond *c,
    unsigned k)
{
	unsigned slot;

	if (ev == NULL || ev->ix == NULL || c->rx_key == 0)
		return -2;
	switch ((enum policy_rx_state)ev->state[c->rx_key - 1]) {
	case POLICY_RX_NOVALUE:
		return 0;
	case POLICY_RX_SCANNED:
		slot = c->rx_slot + k;
		return regex_set_hit(ev->hits +
		    ev->ix->keys[c->rx_key - 1].hits_off, slot);
	case POLICY_RX_UNION:
	case POLICY_RX_FAILED:
		break;
	}
	return -2;
}

size_t
policy_regex_patterns(const struct policy *p, size_t *engine)
{
	size_t n = 0;

	*engine = 0;
	for (int st = 0; st < STAGE_COUNT; st++)
		for (unsigned i = 0; i < p->rx[st].nkeys; i++) {
			n += regex_set_count(p->rx[st].keys[i].set);
			*engine += regex_set_engine_count(
			    p->rx[st].keys[i].set);
		}
	return n;
}

/* What policy_regex_slow carries through a rule's condition tree. */
struct rx_slow {
	const struct policy *p;
	const struct rule *rule;
	policy_slow_fn *fn;
	void *arg;
	const struct list **seen;	/* named lists reported */
	size_t nseen, seen_size;
	size_t count;
};

/* rx_slow_seen - true when the named list l was reported already (and
 * marks it so); out of memory it says false, so a list may repeat. */
static bool
rx_slow_seen(struct rx_slow *w, const struct list *l)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == l)
			return true;
	if (w->nseen == w->seen_size) {
		size_t size = w->seen_size * 2 + 8;
		const struct list **n = realloc(w->seen, size * sizeof(*n));

		if (n == NULL)
			return false;
		w->seen = n;
		w->seen_size = size;
	}
	w->seen[w->nseen++] = l;
	return false;
}

/* rx_slow_walk - report the regexec patterns of the tree c. */
static void
rx_slow_walk(struct rx_slow *w, const struct cond *c)
{
	const struct regex_set *set;
	size_t at;

	if (c->rx_key == 0) {
		for (unsigned i = 0; i < c->nchildren; i++)
			rx_slow_walk(w, c->children[i]);
		return;
	}
	set = w->p->rx[w->rule->stage].keys[c->rx_key - 1].set;
	at = c->rx_first;
	for (unsigned i = 0; i < c->nlists; i++) {
		const struct list *l = c->lists[i];
		size_t count;
		bool named = !c->owns[i], skip;

		if (list_kind(l) != LIST_REGEX)
			continue;
		count = list_regex_count(l);
		skip = named && rx_slow_seen(w, l);
		for (size_t j = 0; j < count; j++, at++) {
			const char *pattern;
			bool icase;

			if (skip || regex_set_engine_took(set, at))
				continue;
			pattern = list_regex_source(l, j, &icase);
			w->fn(w->arg, w->rule->name, named ? list_name(l) :
			    NULL, pattern, icase);
			w->count++;
		}
	}
}

size_t
policy_regex_slow(const struct policy *p, policy_slow_fn *fn, void *arg)
{
	struct rx_slow w = { .p = p, .fn = fn, .arg = arg };

	if (!regex_set_multi())
		return 0;
	for (unsigned i = 0; i < p->nrules; i++) {
		w.rule = p->rules[i];
		if (w.rule->cond != NULL)
			rx_slow_walk(&w, w.rule->cond);
	}
	free(w.seen);
	return w.count;
}
