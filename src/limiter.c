/*
 * limiter - rate limits and greylisting (the contract is in limiter.h)
 */
#include "config.h"

#include "limiter.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <nettle/sha2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "session.h"
#include "store.h"

#define LIMIT_KEY_ITEMS 8
#define LIMIT_WINDOW_MAX (366u * 86400u)

enum key_item {
	KEY_CLIENT_ADDR,
	KEY_CLIENT_NAME,
	KEY_HELO,
	KEY_SENDER,
	KEY_SENDER_DOMAIN,
	KEY_RCPT,
	KEY_RCPT_DOMAIN,
	KEY_MACRO
};

struct key_part {
	enum key_item item;
	unsigned v4, v6;	/* client_addr's prefix lengths */
	char *macro;		/* KEY_MACRO: "{name}" or "i" */
};

struct limit {
	char *text;		/* "LIMIT/WINDOW" as written */
	unsigned long max;
	unsigned window;
	bool bytes;
	enum stage stage;
	unsigned nparts;
	struct key_part parts[LIMIT_KEY_ITEMS];
};

struct grey {
	unsigned delay, expiry;
};

static const struct {
	const char *name;
	enum key_item item;
} key_names[] = {
	{ "client_addr", KEY_CLIENT_ADDR },
	{ "client_name", KEY_CLIENT_NAME },
	{ "helo", KEY_HELO },
	{ "sender", KEY_SENDER },
	{ "sender_domain", KEY_SENDER_DOMAIN },
	{ "rcpt", KEY_RCPT },
	{ "rcpt_domain", KEY_RCPT_DOMAIN },
};

/* The process's stores: the shared one (NULL: none) and the local one. */
static struct store *shared_store, *local_store;
static enum limiter_on_error on_error = LIMITER_ON_ERROR_LOCAL;
static atomic_bool degraded;
static atomic_ulong held_count, fell_back_count;
static unsigned grey_v4 = 24, grey_v6 = 64, grey_auto_allow = 5;

/* limiter_duration - text ("60", "60s", "5m", "1h", "36d") in seconds
 * into *out; 0, or -1. */
int
limiter_duration(const char *text, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);
	unsigned long unit = 1;

	if (end == text || text[0] == '-')
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0')
			return -1;
		switch (*end) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: return -1;
		}
	}
	if (n == 0 || n > LIMIT_WINDOW_MAX / unit)
		return -1;
	*out = (unsigned)(n * unit);
	return 0;
}

/* parse_part - one KEY item into *p; 0, or -1 with why in err. */
static int
parse_part(const char *item, struct key_part *p, char *err, size_t errsize)
{
	memset(p, 0, sizeof(*p));
	if (strncmp(item, "client_addr", 11) == 0 && (item[11] == '\0' ||
	    item[11] == '/')) {
		unsigned v4 = 32, v6 = 128;
		const char *q = item + 11;
		char *end;

		if (*q == '/') {
			v4 = (unsigned)strtoul(q + 1, &end, 10);
			v6 = 64;
			if (end == q + 1 || v4 > 32 || (*end != '\0' &&
			    *end != '/'))
				goto bad_prefix;
			if (*end == '/') {
				q = end;
				v6 = (unsigned)strtoul(q + 1, &end, 10);
				if (end == q + 1 || *end != '\0' || v6 > 128)
					goto bad_prefix;
			}
		}
		p->item = KEY_CLIENT_ADDR;
		p->v4 = v4;
		p->v6 = v6;
		return 0;
bad_prefix:
		snprintf(err, errsize, "\"%s\": write client_addr/V4 or "
		    "client_addr/V4/V6 with prefix lengths, e.g. "
		    "client_addr/24 (/64 for IPv6) or client_addr/32/56",
		    item);
		return -1;
	}
	if (strcmp(item, "auth_authen") == 0)
		item = "{auth_authen}";
	if (item[0] == '{') {
		size_t len = strlen(item);

		if (len < 3 || item[len - 1] != '}' ||
		    strcspn(item + 1, "{} \t") != len - 2) {
			snprintf(err, errsize, "\"%s\": a macro is written "
			    "{name}", item);
			return -1;
		}
		p->item = KEY_MACRO;
		if ((p->macro = strdup(item)) == NULL) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (strcmp(item, key_names[i].name) == 0) {
			p->item = key_names[i].item;
			return 0;
		}
	snprintf(err, errsize, "unknown key \"%s\" (keys: client_addr, "
	    "client_addr/24, client_name, helo, sender, sender_domain, rcpt, "
	    "rcpt_domain, auth_authen, {macro}; several joined with ',')",
	    item);
	return -1;
}

/* stage_has - whether item has a value at stage. */
static bool
stage_has(enum key_item item, enum stage stage)
{
	switch (item) {
	case KEY_HELO:
		return stage >= STAGE_HELO;
	case KEY_SENDER:
	case KEY_SENDER_DOMAIN:
		return stage >= STAGE_MAIL;
	case KEY_RCPT:
	case KEY_RCPT_DOMAIN:
		return stage == STAGE_RCPT;
	default:
		return true;
	}
}

struct limit *
limit_parse(const char *text, enum stage stage, bool bytes, char *err,
    size_t errsize)
{
	struct limit *l = calloc(1, sizeof(*l));
	const char *space = strrchr(text, ' '), *slash;
	char keys[256], *item, *save = NULL, *end;

	if (l == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	l->stage = stage;
	l->bytes = bytes;
	if (space == NULL || space == text || (size_t)(space - text) >=
	    sizeof(keys) || (slash = strchr(space + 1, '/')) == NULL) {
		snprintf(err, errsize, "write \"KEY LIMIT/WINDOW\", e.g. "
		    "\"client_addr 30/60s\" or \"auth_authen 200/1h\"");
		goto fail;
	}
	l->max = strtoul(space + 1, &end, 10);
	if (end != slash || l->max == 0 || space[1] == '-') {
		snprintf(err, errsize, "LIMIT \"%.*s\": a whole number of "
		    "events (or bytes) above 0", (int)(slash - space - 1),
		    space + 1);
		goto fail;
	}
	if (limiter_duration(slash + 1, &l->window) != 0) {
		snprintf(err, errsize, "WINDOW \"%s\": a duration such as 60s, "
		    "5m, 1h or 1d (at most 366d)", slash + 1);
		goto fail;
	}
	if (bytes && stage != STAGE_EOM) {
		snprintf(err, errsize, "rate_unit = bytes counts a message's "
		    "size, known at the eom stage only: use stage = eom");
		goto fail;
	}
	snprintf(keys, sizeof(keys), "%.*s", (int)(space - text), text);
	for (item = strtok_r(keys, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		if (l->nparts == LIMIT_KEY_ITEMS) {
			snprintf(err, errsize, "a key has at most %d parts",
			    LIMIT_KEY_ITEMS);
			goto fail;
		}
		if (parse_part(item, &l->parts[l->nparts], err, errsize) != 0)
			goto fail;
		if (!stage_has(l->parts[l->nparts].item, stage)) {
			snprintf(err, errsize, "key \"%s\" has no value at the "
			    "%s stage", item, stage_name(stage));
			l->nparts++;
			goto fail;
		}
		l->nparts++;
	}
	if (l->nparts == 0) {
		snprintf(err, errsize, "no KEY: say what is counted, e.g. "
		    "client_addr");
		goto fail;
	}
	if ((l->text = strdup(space + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	return l;
fail:
	limit_free(l);
	return NULL;
}

void
limit_free(struct limit *l)
{
	if (l == NULL)
		return;
	for (unsigned i = 0; i < l->nparts; i++)
		free(l->parts[i].macro);
	free(l->text);
	free(l);
}

const char *
limit_describe(const struct limit *l)
{
	return l->text;
}

unsigned
limit_window(const struct limit *l)
{
	return l->window;
}

unsigned long
limit_max(const struct limit *l)
{
	return l->max;
}

const char *
limit_macro(const struct limit *l, unsigned i)
{
	for (unsigned j = 0; j < l->nparts; j++)
		if (l->parts[j].item == KEY_MACRO && i-- == 0)
			return l->parts[j].macro;
	return NULL;
}

/* masked_text - the address addr of family masked to v4 or v6 bits, as
 * "192.0.2.0/24", into buf ("" when not an IP family); buf. */
static const char *
masked_text(int family, const unsigned char *addr, unsigned v4, unsigned v6,
    char *buf, size_t size)
{
	unsigned char a[16];
	unsigned bits = family == AF_INET ? v4 : v6;
	size_t len = family == AF_INET ? 4 : 16;
	char text[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	if (family != AF_INET && family != AF_INET6)
		return buf;
	memcpy(a, addr, len);
	for (size_t i = 0; i < len; i++) {
		unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ?
		    bits - 8 * (unsigned)i : 0;

		a[i] &= (unsigned char)(0xff00u >> keep);
	}
	if (inet_ntop(family, a, text, sizeof(text)) != NULL)
		snprintf(buf, size, "%s/%u", text, bits);
	return buf;
}

/* network_text - s's client address masked as masked_text does. */
static const char *
network_text(const struct session *s, unsigned v4, unsigned v6, char *buf,
    size_t size)
{
	return masked_text(s->family, s->addr, v4, v6, buf, size);
}

/* typed_address - an address typed by an admin ("192.0.2.7" or
 * "192.0.2.0/24": the length is the part's own) as the key holds it,
 * into buf; text itself when it is no address. */
static const char *
typed_address(const struct key_part *p, const char *text, char *buf,
    size_t size)
{
	unsigned char a[16];
	char host[INET6_ADDRSTRLEN];
	int family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	snprintf(host, sizeof(host), "%.*s", (int)strcspn(text, "/"), text);
	if (inet_pton(family, host, a) != 1)
		return text;
	return masked_text(family, a, p->v4, p->v6, buf, size);
}

/* part_value - the value of p in s, into buf when it must be made; never
 * NULL. */
static const char *
part_value(const struct key_part *p, const struct session *s, char *buf,
    size_t size)
{
	const char *v = NULL;

	switch (p->item) {
	case KEY_CLIENT_ADDR:
		return network_text(s, p->v4, p->v6, buf, size);
	case KEY_CLIENT_NAME: v = s->client_name; break;
	case KEY_HELO: v = s->helo; break;
	case KEY_SENDER: v = s->sender; break;
	case KEY_SENDER_DOMAIN: v = s->sender_domain; break;
	case KEY_RCPT: v = s->rcpt; break;
	case KEY_RCPT_DOMAIN: v = s->rcpt_domain; break;
	case KEY_MACRO: v = session_macro(s, p->macro); break;
	}
	return v != NULL ? v : "";
}

/* digest_add - text and its terminating NUL into the hash, lower-cased
 * (addresses and names compare without case here). */
static void
digest_add(struct sha256_ctx *ctx, const char *text)
{
	unsigned char c;

	for (; *text != '\0'; text++) {
		c = (unsigned char)tolower((unsigned char)*text);
		sha256_update(ctx, 1, &c);
	}
	sha256_update(ctx, 1, (const unsigned char *)"");
}

/* rate_begin - the hash of what names rule's limit l, before its key's
 * values. */
static void
rate_begin(struct sha256_ctx *ctx, const struct limit *l, const char *rule)
{
	sha256_init(ctx);
	digest_add(ctx, "replymilter:rate");
	digest_add(ctx, rule);
	digest_add(ctx, l->text);
}

/* digest_end - the hash's first 16 bytes into key. */
static void
digest_end(struct sha256_ctx *ctx, struct store_key *key)
{
	unsigned char full[SHA256_DIGEST_SIZE];

	sha256_digest(ctx, sizeof(full), full);
	memcpy(key->digest, full, sizeof(key->digest));
}

int
limiter_key_digest(const struct limit *l, const char *rule, const char *values,
    void *digest16)
{
	struct sha256_ctx ctx;
	struct store_key key;
	char copy[1024], *v, *save = NULL;
	unsigned n = 0;

	snprintf(copy, sizeof(copy), "%s", values);
	rate_begin(&ctx, l, rule);
	for (v = strtok_r(copy, ",", &save); v != NULL;
	    v = strtok_r(NULL, ",", &save)) {
		char buf[64];
		const char *value = v;

		if (n < l->nparts && l->parts[n].item == KEY_CLIENT_ADDR)
			value = typed_address(&l->parts[n], v, buf,
			    sizeof(buf));
		if (n < l->nparts)
			digest_add(&ctx, value);
		n++;
	}
	if (n != l->nparts)
		return -1;
	digest_end(&ctx, &key);
	memcpy(digest16, key.digest, sizeof(key.digest));
	return 0;
}

static pthread_once_t local_once = PTHREAD_ONCE_INIT;

/* make_local - the default local store, for judgements before
 * limiter_open (the unit tests, --test). */
static void
make_local(void)
{
	if (local_store == NULL)
		local_store = store_local_new(100000);
}

/* local_default - the local store (NULL only when out of memory). */
static struct store *
local_default(void)
{
	if (local_store == NULL)
		pthread_once(&local_once, make_local);
	return local_store;
}

/* note_store - a shared store's failure or recovery, logged once each
 * way. */
static void
note_store(bool failed)
{
	if (atomic_exchange(&degraded, failed) == failed)
		return;
	if (failed)
		log_warnx("ratelimit: the store %s does not answer; %s",
		    store_describe(shared_store), on_error ==
		    LIMITER_ON_ERROR_LOCAL ? "counting in this process until "
		    "it does" : "rules with rate or greylist answer on_failure "
		    "until it does");
	else
		log_info("ratelimit: the store %s answers again",
		    store_describe(shared_store));
}

/* after_shared - what the shared store's answer rc (a store_* status)
 * means: 1 it stands, -1 the judgement fails (on_error tempfail), 0 ask
 * the local store (on_error local). */
static int
after_shared(int rc)
{
	note_store(rc != 0);
	if (rc == 0)
		return 1;
	if (on_error == LIMITER_ON_ERROR_TEMPFAIL)
		return -1;
	atomic_fetch_add_explicit(&fell_back_count, 1, memory_order_relaxed);
	return 0;
}

/* rate_step - one event against the shared store, or the local one
 * (when none, or when it fails and on_error says local); 0, or -1. */
static int
rate_step(const struct store_key *key, unsigned long limit, unsigned window,
    unsigned long cost, long long now, struct store_rate *r)
{
	struct store *local;
	int rc;

	if (shared_store != NULL && (rc = after_shared(store_rate(shared_store,
	    key, limit, window, cost, now, r))) != 0)
		return rc > 0 ? 0 : -1;
	local = local_default();
	return local != NULL ? store_rate(local, key, limit, window, cost, now,
	    r) : -1;
}

enum limiter_outcome
limit_judge(const struct limit *l, const char *rule, const struct session *s,
    struct limiter_answer *out)
{
	struct sha256_ctx ctx;
	struct store_key key;
	struct store_rate r;
	char buf[64];
	unsigned long cost = l->bytes ? s->size_actual : 1;

	memset(out, 0, sizeof(*out));
	rate_begin(&ctx, l, rule);
	for (unsigned i = 0; i < l->nparts; i++)
		digest_add(&ctx, part_value(&l->parts[i], s, buf,
		    sizeof(buf)));
	digest_end(&ctx, &key);
	if (rate_step(&key, l->max, l->window, cost, limiter_now(), &r) != 0)
		return LIMITER_ERROR;
	if (!r.over)
		return LIMITER_PASS;
	atomic_fetch_add_explicit(&held_count, 1, memory_order_relaxed);
	out->retry_after = r.retry_after;
	return LIMITER_HOLD;
}

struct grey *
grey_parse(const char *text, char *err, size_t errsize)
{
	char delay[32], expiry[32], extra[2];
	struct grey *g;
	unsigned d, e;

	if (sscanf(text, "%31s %31s %1s", delay, expiry, extra) != 2 ||
	    limiter_duration(delay, &d) != 0 || limiter_duration(expiry, &e) != 0) {
		snprintf(err, errsize, "write \"DELAY EXPIRY\", durations such "
		    "as \"5m 36d\": the wait before a retry passes, and how "
		    "long a triplet that passed is remembered");
		return NULL;
	}
	if (e <= d) {
		snprintf(err, errsize, "EXPIRY %s is not longer than DELAY %s",
		    expiry, delay);
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	g->delay = d;
	g->expiry = e;
	return g;
}

void
grey_free(struct grey *g)
{
	free(g);
}

void
limiter_configure(unsigned v4_prefix, unsigned v6_prefix, unsigned auto_allow)
{
	grey_v4 = v4_prefix;
	grey_v6 = v6_prefix;
	grey_auto_allow = auto_allow;
}

/* grey_step - one attempt against the shared store or the local one, as
 * rate_step does; 0, or -1. */
static int
grey_step(const struct grey *g, const struct store_key *triplet,
    const struct store_key *client, long long now, struct store_grey *out)
{
	struct store *local;
	int rc;

	if (shared_store != NULL && (rc = after_shared(store_grey(shared_store,
	    triplet, client, g->delay, g->expiry, grey_auto_allow, now,
	    out))) != 0)
		return rc > 0 ? 0 : -1;
	local = local_default();
	return local != NULL ? store_grey(local, triplet, client, g->delay,
	    g->expiry, grey_auto_allow, now, out) : -1;
}

enum limiter_outcome
grey_judge(const struct grey *g, const struct session *s,
    struct limiter_answer *out)
{
	struct sha256_ctx ctx;
	struct store_key triplet, client;
	struct store_grey r;
	char net[64];

	memset(out, 0, sizeof(*out));
	network_text(s, grey_v4, grey_v6, net, sizeof(net));
	sha256_init(&ctx);
	digest_add(&ctx, "replymilter:grey-client");
	digest_add(&ctx, net);
	digest_end(&ctx, &client);
	sha256_init(&ctx);
	digest_add(&ctx, "replymilter:grey");
	digest_add(&ctx, net);
	digest_add(&ctx, s->sender != NULL ? s->sender : "");
	digest_add(&ctx, s->rcpt != NULL ? s->rcpt : "");
	digest_end(&ctx, &triplet);
	if (grey_step(g, &triplet, &client, limiter_now(), &r) != 0)
		return LIMITER_ERROR;
	switch (r.state) {
	case STORE_GREY_NEW:
	case STORE_GREY_EARLY:
		atomic_fetch_add_explicit(&held_count, 1,
		    memory_order_relaxed);
		out->retry_after = r.retry_after;
		return LIMITER_HOLD;
	case STORE_GREY_PASSED:
		out->delayed = r.delayed;
		return LIMITER_PASS;
	case STORE_GREY_KNOWN:
	case STORE_GREY_AUTO:
		break;
	}
	return LIMITER_PASS;
}

int
limiter_open(const char *url, enum limiter_on_error how, size_t max_keys,
    unsigned timeout_ms, char *err, size_t errsize)
{
	struct store *local = store_local_new(max_keys), *shared = NULL;

	if (local == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (url[0] != '\0' && strcmp(url, "local") != 0 &&
	    (shared = store_redis_new(url, timeout_ms, err, errsize)) ==
	    NULL) {
		store_free(local);
		return -1;
	}
	limiter_close();
	local_store = local;
	shared_store = shared;
	on_error = how;
	atomic_store(&degraded, false);
	return 0;
}

void
limiter_close(void)
{
	store_free(shared_store);
	store_free(local_store);
	shared_store = local_store = NULL;
}

struct store *
limiter_store(void)
{
	return shared_store != NULL ? shared_store : local_default();
}

void
limiter_stats_read(struct limiter_stats *out)
{
	struct store_stats st;

	memset(out, 0, sizeof(*out));
	out->held = atomic_load_explicit(&held_count, memory_order_relaxed);
	out->fell_back = atomic_load_explicit(&fell_back_count,
	    memory_order_relaxed);
	if (shared_store != NULL) {
		store_stats_read(shared_store, &st);
		out->store_errors = st.errors;
	}
	if (local_default() != NULL) {
		store_stats_read(local_default(), &st);
		out->keys = st.keys;
		out->evicted = st.evicted;
	}
}

/* --test's clock: a fixed start, and the waits its transcript asked for. */
static _Atomic long long fixed_time, waited;

void
limiter_set_clock(long long start)
{
	atomic_store(&fixed_time, start);
	atomic_store(&waited, 0);
}

void
limiter_wait(unsigned seconds)
{
	atomic_fetch_add(&waited, (long long)seconds);
}

long long
limiter_now(void)
{
	const char *path = getenv("REPLYMILTER_TEST_CLOCK");
	long long now = atomic_load(&fixed_time), offset = 0;

	if (now == 0)
		now = (long long)time(NULL);
	now += atomic_load(&waited);
	FILE *fp;

	/* The tests' hook: seconds to add, so a greylisting delay or a rate
	 * window passes without waiting. */
	if (path != NULL && path[0] != '\0' && (fp = fopen(path, "r")) !=
	    NULL) {
		if (fscanf(fp, "%lld", &offset) != 1)
			offset = 0;
		fclose(fp);
	}
	return now + offset;
}
