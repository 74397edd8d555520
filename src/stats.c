/*
 * stats - replymilter --stats (the contract is in stats.h)
 *
 * The exposition is parsed line by line: a sample is NAME{LABELS} VALUE
 * or NAME VALUE; label values are quoted, with \\, \" and \n escaped.
 */
#include "config.h"

#include "stats.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_CURL
#include <curl/curl.h>
#endif

#define STATS_MAX_BYTES (64 * 1024 * 1024)
#define STATS_LABELS 8

/* One sample. */
struct sample {
	char name[64];
	unsigned nlabels;
	char key[STATS_LABELS][32];
	char value[STATS_LABELS][256];
	double v;
};

/* parse_sample - true with line (NUL-terminated) read into *s. */
static bool
parse_sample(const char *line, struct sample *s)
{
	const char *p = line;
	size_t n = strcspn(p, "{ ");
	char *end;

	memset(s, 0, sizeof(*s));
	if (*p == '#' || n == 0 || n >= sizeof(s->name))
		return false;
	memcpy(s->name, p, n);
	p += n;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			size_t k = strcspn(p, "=");
			size_t i = 0;

			if (s->nlabels == STATS_LABELS || k == 0 ||
			    k >= sizeof(s->key[0]) || p[k] != '=' ||
			    p[k + 1] != '"')
				return false;
			memcpy(s->key[s->nlabels], p, k);
			for (p += k + 2; *p != '"'; p++) {
				if (*p == '\0' || i + 1 >= sizeof(s->value[0]))
					return false;
				if (*p == '\\' && p[1] != '\0') {
					p++;
					s->value[s->nlabels][i++] = *p == 'n' ?
					    '\n' : *p;
				} else {
					s->value[s->nlabels][i++] = *p;
				}
			}
			s->nlabels++;
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				return false;
		}
		p++;
	}
	if (*p != ' ')
		return false;
	s->v = strtod(p + 1, &end);
	return end != p + 1;
}

/* label_of - the value of label key in s, or "". */
static const char *
label_of(const struct sample *s, const char *key)
{
	for (unsigned i = 0; i < s->nlabels; i++)
		if (strcmp(s->key[i], key) == 0)
			return s->value[i];
	return "";
}

/* by_count - qsort order of samples: the largest first, then by name. */
static int
by_count(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? 1 : -1;
	return strcmp(label_of(x, "rule"), label_of(y, "rule"));
}

int
stats_render(const char *text, size_t len, FILE *out)
{
	struct sample *replies = NULL, s;
	size_t nreplies = 0, cap = 0;
	char line[4096];
	const char *p = text, *end = text + len;
	bool any = false;
	/* The totals line: a series by name, and its result label. */
	static const struct {
		const char *name, *result;
	} totals[] = {
		{ "replymilter_rules", NULL },
		{ "replymilter_config_generation", NULL },
		{ "replymilter_reloads_total", "good" },
		{ "replymilter_reloads_total", "refused" },
		{ "replymilter_connections_open", NULL },
		{ "replymilter_connections_total", NULL },
		{ "replymilter_transactions_total", NULL },
	};
	double total[sizeof(totals) / sizeof(totals[0])] = { 0 };
	struct sample failed[16];	/* causes with failures */
	size_t nfailed = 0;
	struct sample seen[64];		/* check results given */
	size_t nseen = 0;
	double queries = 0, tempfails = 0, dns_seconds = 0;
	bool oom = false;

	while (p < end) {
		size_t n = strcspn(p, "\n");

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = '\0';
			if (strncmp(line, "replymilter_", 12) == 0)
				any = true;
			if (parse_sample(line, &s)) {
				if (strcmp(s.name, "replymilter_replies_total")
				    == 0) {
					if (nreplies == cap) {
						size_t c = cap * 2 + 64;
						struct sample *r = realloc(
						    replies, c * sizeof(*r));

						if (r == NULL) {
							oom = true;
							break;
						}
						replies = r;
						cap = c;
					}
					replies[nreplies++] = s;
				} else if (strcmp(s.name,
				    "replymilter_failures_total") == 0 &&
				    s.v > 0 && nfailed < 16) {
					failed[nfailed++] = s;
				} else if (strcmp(s.name,
				    "replymilter_checks_total") == 0 &&
				    s.v > 0 && nseen < 64) {
					seen[nseen++] = s;
				} else if (strcmp(s.name,
				    "replymilter_dns_queries_total") == 0) {
					queries += s.v;
					if (strcmp(label_of(&s, "result"),
					    "tempfail") == 0)
						tempfails += s.v;
				} else if (strcmp(s.name, "replymilter_dns_"
				    "query_duration_seconds_sum") == 0) {
					dns_seconds = s.v;
				}
				for (size_t t = 0; t < sizeof(totals) /
				    sizeof(totals[0]); t++)
					if (strcmp(s.name, totals[t].name) == 0 &&
					    (totals[t].result == NULL ||
					    strcmp(label_of(&s, "result"),
					    totals[t].result) == 0))
						total[t] = s.v;
			}
		}
		p += n + (p + n < end);
	}
	if (oom) {
		free(replies);
		return -1;
	}
	if (nreplies > 0)
		qsort(replies, nreplies, sizeof(*replies), by_count);
	fprintf(out, "%-32s %-8s %-5s %-9s %-9s %-8s %12s\n", "rule", "stage",
	    "code", "enhanced", "action", "mode", "replies");
	for (size_t i = 0; i < nreplies; i++) {
		const struct sample *r = &replies[i];

		fprintf(out, "%-32s %-8s %-5s %-9s %-9s %-8s %12.0f\n",
		    label_of(r, "rule"), label_of(r, "stage"),
		    *label_of(r, "code") ? label_of(r, "code") : "-",
		    *label_of(r, "enhanced") ? label_of(r, "enhanced") : "-",
		    label_of(r, "action"), label_of(r, "mode"), r->v);
	}
	free(replies);
	for (size_t i = 0; i < nfailed; i++)
		fprintf(out, "failures: %s %.0f\n", label_of(&failed[i],
		    "cause"), failed[i].v);
	if (nseen > 0)
		qsort(seen, nseen, sizeof(*seen), by_count);
	for (size_t i = 0; i < nseen; i++)
		fprintf(out, "check: %s %s %.0f\n", label_of(&seen[i], "check"),
		    label_of(&seen[i], "result"), seen[i].v);
	if (queries > 0)
		fprintf(out, "dns: %.0f queries, %.0f tempfail, %.1f ms on "
		    "average\n", queries, tempfails, dns_seconds * 1000 /
		    queries);
	fprintf(out, "rules %.0f, config generation %.0f, reloads %.0f good "
	    "%.0f refused; connections %.0f open %.0f in all; messages "
	    "%.0f\n", total[0], total[1], total[2], total[3], total[4],
	    total[5], total[6]);
	return any ? 0 : -1;
}

char *
stats_url(const char *listen, char *buf, size_t size)
{
	if (strncmp(listen, "unix:", 5) == 0)
		snprintf(buf, size, "%s", listen);
	else
		snprintf(buf, size, "http://%s/metrics", listen);
	return buf;
}

#ifdef HAVE_CURL
/* The text fetched so far. */
struct body {
	char *text;
	size_t len;
	bool too_big;
};

/* on_data - libcurl's write callback: append, or stop past the limit. */
static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	char *t;

	if (b->len + add > STATS_MAX_BYTES) {
		b->too_big = true;
		return 0;
	}
	if ((t = realloc(b->text, b->len + add + 1)) == NULL)
		return 0;
	memcpy(t + b->len, data, add);
	b->len += add;
	t[b->len] = '\0';
	b->text = t;
	return add;
}
#endif

#ifdef HAVE_CURL
/* fetch - the body of url (or of path on the unix socket of a "unix:/PATH"
 * url), by GET or POST, into *b; the HTTP status, or -1 with the reason
 * in err. */
static long
fetch(const char *url, const char *path, bool post, struct body *b,
    char *err, size_t size)
{
	CURL *curl = curl_easy_init();
	char full[2048];
	CURLcode rc;
	long status = -1;

	if (curl == NULL) {
		snprintf(err, size, "libcurl would not start");
		return -1;
	}
	if (strncmp(url, "unix:", 5) == 0) {
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, url + 5);
		snprintf(full, sizeof(full), "http://localhost%s", path);
	} else {
		snprintf(full, sizeof(full), "%s", url);
	}
	curl_easy_setopt(curl, CURLOPT_URL, full);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
	if (post)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK)
		snprintf(err, size, "%s: %s%s", full, b->too_big ? "more than "
		    "64 MB" : curl_easy_strerror(rc), rc ==
		    CURLE_COULDNT_CONNECT ? " (is replymilter running, with "
		    "metrics_listen set?)" : "");
	else
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	return status;
}
#endif

int
stats_print(const char *url, FILE *out, char *err, size_t size)
{
#ifdef HAVE_CURL
	struct body b = { NULL, 0, false };
	long status = fetch(url, "/metrics", false, &b, err, size);
	int ret = -1;

	if (status < 0)
		;
	else if (status != 200)
		snprintf(err, size, "%s: HTTP status %ld", url, status);
	else if (stats_render(b.text != NULL ? b.text : "", b.len, out) != 0)
		snprintf(err, size, "%s: no replymilter metrics there", url);
	else
		ret = 0;
	free(b.text);
	return ret;
#else
	(void)url;
	(void)out;
	snprintf(err, size, "this replymilter is built without libcurl: "
	    "install libcurl4-openssl-dev, run configure again and rebuild");
	return -1;
#endif
}

int
stats_ratelimit(const char *listen, const char *rule, const char *values,
    bool reset, FILE *out, char *err, size_t size)
{
#ifdef HAVE_CURL
	struct body b = { NULL, 0, false };
	char base[300], url[2048], *r = curl_easy_escape(NULL, rule, 0);
	char *v = curl_easy_escape(NULL, values, 0);
	long status = -1;

	if (r != NULL && v != NULL) {
		stats_url(listen, base, sizeof(base));
		if (strncmp(base, "unix:", 5) == 0)
			snprintf(url, sizeof(url), "/ratelimit%s?rule=%s&key=%s",
			    reset ? "/reset" : "", r, v);
		else
			snprintf(url, sizeof(url), "%.*s/ratelimit%s?rule=%s&"
			    "key=%s", (int)(strlen(base) - strlen("/metrics")),
			    base, reset ? "/reset" : "", r, v);
		status = strncmp(base, "unix:", 5) == 0 ? fetch(base, url,
		    reset, &b, err, size) : fetch(url, "", reset, &b, err,
		    size);
	} else {
		snprintf(err, size, "out of memory");
	}
	curl_free(r);
	curl_free(v);
	if (status == 200 && b.text != NULL)
		fputs(b.text, out);
	else if (status > 0)
		snprintf(err, size, "%s", b.text != NULL ? b.text :
		    "no answer");
	free(b.text);
	return status == 200 ? 0 : status == 404 || status == 400 ? 1 : -1;
#else
	(void)listen;
	(void)rule;
	(void)values;
	(void)reset;
	(void)out;
	snprintf(err, size, "this replymilter is built without libcurl: "
	    "install libcurl4-openssl-dev, run configure again and rebuild");
	return -1;
#endif
}
