/*
 * spf - the SPF check (RFC 7208), evaluated in-process with libspf2
 *
 * libspf2 asks its questions of a DNS layer (SPF_dns_server_t); ours
 * answers them from dns.h's typed lookups, so SPF uses the configured
 * server, its timeouts and the connection's cache, and a DNS failure is
 * TRY_AGAIN (temperror), never an absence.  Every call builds its own
 * SPF_server_t, request and response and frees them: nothing of libspf2's
 * is shared between threads but its message handlers, which are set once.
 *
 * What libspf2 does that callers should know:
 *   - it queries type SPF (99) before TXT; RFC 7208 section 3.1 made SPF
 *     records TXT only, so our layer answers type 99 with NODATA at once;
 *   - errors found before evaluation (no record, a record that does not
 *     compile, DNS failure fetching the record) come back as an error code
 *     without a result: they are mapped here (none, permerror, temperror);
 *   - clients on 127.0.0.0/8 and ::1 get "pass" without a look at DNS
 *     (SPF_request_query_mailfrom's "localhost free ride").
 */
#include "config.h"

#include "checks/spf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "checks.h"
#include "log.h"

/* The longest Received-SPF value that keeps the whole header line within
 * RFC 5322's 998 characters. */
#define SPF_RECEIVED_MAX (998 - sizeof("Received-SPF: ") + 1)

/* out->identity holds "mailfrom" or "helo" whole: never cut silently. */
_Static_assert(sizeof(((struct spf_outcome *)0)->identity) >=
    sizeof("mailfrom"), "struct spf_outcome: identity[] too short for "
    "\"mailfrom\"");

/* The most DNS lookups one evaluation may ask of our layer.  RFC 7208
 * section 4.6.4 allows 10 DNS-querying terms, 10 addresses for each "mx"
 * or "ptr", and the record and explanation themselves: 112.  libspf2
 * counts the 10 terms per record, anew in every include, and allows
 * includes 20 deep, so a hostile record could have it ask 10^20
 * questions: past this bound every answer is "no such name" at once and
 * the result is permerror. */
#define SPF_DNS_LOOKUP_MAX 150

/* Our DNS layer: libspf2's server structure and what it needs of ours. */
struct spf_layer {
	SPF_dns_server_t server;
	const struct dns *d;
	struct dns_cache *c;
	unsigned lookups;	/* asked of us in this evaluation */
};

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

/* spf_error_handler - libspf2's fatal errors (broken invariants): log,
 * then abort as libspf2 would. */
static void __attribute__((noreturn))
spf_error_handler(const char *file, int line, const char *msg)
{
	log_msg(LOG_LEVEL_ERROR, "libspf2: %s:%d: %s", file ? file : "?", line,
	    msg);
	abort();
}

/* spf_debug_handler - libspf2's warnings, notes and debugging, which are
 * about remote records, not our configuration: debug level. */
static void
spf_debug_handler(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	log_debug("libspf2: %s", msg);
}

/* handlers_init - route libspf2's messages to our log (it prints to
 * stdout and stderr otherwise); once, before any thread uses libspf2. */
static void
handlers_init(void)
{
	SPF_error_handler = spf_error_handler;
	SPF_warning_handler = spf_debug_handler;
	SPF_info_handler = spf_debug_handler;
	SPF_debug_handler = spf_debug_handler;
}

/* status_herrno - the h_errno libspf2 expects for a dns_status. */
static SPF_dns_stat_t
status_herrno(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NXDOMAIN:
		return HOST_NOT_FOUND;
	case DNS_NODATA:
		return NO_DATA;
	case DNS_TEMPFAIL:
		break;
	}
	return TRY_AGAIN;
}

/* rr_string - store s as record i of rr; 0, or -1 when out of memory. */
static int
rr_string(SPF_dns_rr_t *rr, int i, const char *s)
{
	size_t len = strlen(s) + 1;

	if (SPF_dns_rr_buf_realloc(rr, i, len) != SPF_E_SUCCESS)
		return -1;
	memcpy(rr->rr[i], s, len);
	return 0;
}

/* reverse_name_addr - the address whose reverse name (in-addr.arpa or
 * ip6.arpa, as libspf2 writes them) is name; 0, or -1 for another name. */
static int
reverse_name_addr(const char *name, int *family, unsigned char *addr)
{
	unsigned v[4];
	char tail[16];
	int used = 0;

	if (sscanf(name, "%3u.%3u.%3u.%3u.%15s%n", &v[0], &v[1], &v[2], &v[3],
	    tail, &used) == 5 && name[used] == '\0' &&
	    strcasecmp(tail, "in-addr.arpa") == 0 && v[0] < 256 && v[1] < 256 &&
	    v[2] < 256 && v[3] < 256) {
		for (int i = 0; i < 4; i++)
			addr[i] = (unsigned char)v[3 - i];
		*family = AF_INET;
		return 0;
	}
	if (strlen(name) != 64 + sizeof("ip6.arpa") - 1 ||
	    strcasecmp(name + 64, "ip6.arpa") != 0)
		return -1;
	for (int i = 0; i < 32; i++) {
		char ch = name[2 * i];
		int nibble;

		if (name[2 * i + 1] != '.')
			return -1;
		if (ch >= '0' && ch <= '9')
			nibble = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			nibble = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			nibble = ch - 'A' + 10;
		else
			return -1;
		/* The first nibble is the low half of the last byte. */
		if (i % 2 == 0)
			addr[15 - i / 2] = (unsigned char)nibble;
		else
			addr[15 - i / 2] |= (unsigned char)(nibble << 4);
	}
	*family = AF_INET6;
	return 0;
}

/* txt_rr - a new SPF_dns_rr_t of every TXT record in packet (status st),
 * each record's strings joined; NULL only when out of memory. */
static SPF_dns_rr_t *
txt_rr(SPF_dns_server_t *server, const char *domain, enum dns_status st,
    const unsigned char *packet, int len)
{
	SPF_dns_rr_t *rr;
	ns_msg msg;
	ns_rr r;
	int count;

	if ((rr = SPF_dns_rr_new_init(server, domain, ns_t_txt, 0,
	    status_herrno(st))) == NULL || st != DNS_OK)
		return rr;
	/* dns.c parsed this packet already: a failure here is unexpected,
	 * and temporary rather than an absence. */
	if (ns_initparse(packet, len, &msg) < 0)
		goto fail;
	count = ns_msg_count(msg, ns_s_an);
	for (int i = 0; i < count; i++) {
		const unsigned char *rdata;
		size_t rdlen, at = 0;
		char *dst;

		if (ns_parserr(&msg, ns_s_an, i, &r) < 0)
			goto fail;
		if (ns_rr_type(r) != ns_t_txt || ns_rr_class(r) != ns_c_in)
			continue;
		rdata = ns_rr_rdata(r);
		rdlen = ns_rr_rdlen(r);
		if (SPF_dns_rr_buf_realloc(rr, rr->num_rr, rdlen + 1) !=
		    SPF_E_SUCCESS)
			goto fail;
		dst = rr->rr[rr->num_rr]->txt;
		while (at < rdlen) {
			size_t n = rdata[at++];

			if (n > rdlen - at)
				goto fail;
			for (size_t k = 0; k < n; k++)
				*dst++ = rdata[at + k] == '\0' ? '?' :
				    (char)rdata[at + k];
			at += n;
		}
		*dst = '\0';
		rr->num_rr++;
	}
	return rr;
fail:
	rr->num_rr = 0;
	rr->herrno = TRY_AGAIN;
	return rr;
}

/* layer_lookup - libspf2's lookup: a new SPF_dns_rr_t for (domain, type),
 * which libspf2 frees; NULL only when out of memory. */
static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *server, const char *domain, ns_type type,
    int should_cache)
{
	struct spf_layer *l = server->hook;
	union {
		struct in_addr a[DNS_MAX_RECORDS];
		struct in6_addr aaaa[DNS_MAX_RECORDS];
		const char *str[DNS_MAX_RECORDS];
		struct dns_mx mx[DNS_MAX_RECORDS];
	} u;
	const unsigned char *packet;
	enum dns_status st;
	SPF_dns_rr_t *rr;
	unsigned n = 0;
	int len;

	(void)should_cache;	/* the connection's cache keeps everything */
	if (++l->lookups > SPF_DNS_LOOKUP_MAX)
		return SPF_dns_rr_new_init(server, domain, type, 0,
		    HOST_NOT_FOUND);
	switch (type) {
	case ns_t_spf:
		/* RFC 7208 section 3.1: TXT only; libspf2 then asks TXT. */
		return SPF_dns_rr_new_init(server, domain, type, 0, NO_DATA);
	case ns_t_a:
		st = dns_a(l->d, l->c, domain, u.a, DNS_MAX_RECORDS, &n);
		break;
	case ns_t_aaaa:
		st = dns_aaaa(l->d, l->c, domain, u.aaaa, DNS_MAX_RECORDS, &n);
		break;
	case ns_t_txt:
		/* Every TXT record, however many: the SPF record may come
		 * after DNS_MAX_RECORDS others, and two SPF records among
		 * them are a permerror. */
		st = dns_raw(l->d, l->c, domain, type, &packet, &len);
		return txt_rr(server, domain, st, packet, len);
	case ns_t_ptr: {
		/* libspf2 builds the reverse name; dns_ptr wants the
		 * address. */
		unsigned char addr[16];
		int family;

		if (reverse_name_addr(domain, &family, addr) == 0)
			st = dns_ptr(l->d, l->c, family, addr, u.str,
			    DNS_MAX_RECORDS, &n);
		else
			st = dns_raw(l->d, l->c, domain, type, &packet, &len);
		break;
	}
	case ns_t_mx:
		st = dns_mx(l->d, l->c, domain, u.mx, DNS_MAX_RECORDS, &n);
		break;
	default:
		st = dns_raw(l->d, l->c, domain, type, &packet, &len);
		n = 0;
		break;
	}
	if ((rr = SPF_dns_rr_new_init(server, domain, type, 0,
	    status_herrno(st))) == NULL)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		int fail = 0;

		switch (type) {
		case ns_t_a:
			fail = SPF_dns_rr_buf_realloc(rr, (int)i,
			    sizeof(u.a[i])) != SPF_E_SUCCESS;
			if (!fail)
				rr->rr[i]->a = u.a[i];
			break;
		case ns_t_aaaa:
			fail = SPF_dns_rr_buf_realloc(rr, (int)i,
			    sizeof(u.aaaa[i])) != SPF_E_SUCCESS;
			if (!fail)
				rr->rr[i]->aaaa = u.aaaa[i];
			break;
		case ns_t_mx:
			fail = rr_string(rr, (int)i, u.mx[i].exchange);
			break;
		default:
			fail = rr_string(rr, (int)i, u.str[i]);
			break;
		}
		if (fail) {
			/* Out of memory: a temporary failure, not an
			 * absence. */
			rr->num_rr = 0;
			rr->herrno = TRY_AGAIN;
			return rr;
		}
		rr->num_rr = (int)i + 1;
	}
	return rr;
}

/* copy_text - src into dst (size bytes), marked with "..." when cut. */
static void
copy_text(char *dst, size_t size, const char *src)
{
	if ((size_t)snprintf(dst, size, "%s", src) >= size && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

/* valid_domain - whether d is a multi-label domain name whose labels are
 * 1 to 63 characters and which is at most 253 long (RFC 7208 section
 * 4.3; a final dot is allowed). */
static bool
valid_domain(const char *d)
{
	size_t len = strlen(d), label = 0, labels = 0;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (ch <= ' ' || ch >= 0x7f || ch == '\\' ||
		    ++label > 63)
			return false;
		if (label == 1)
			labels++;
	}
	return label > 0 && labels >= 2;
}

/* is_atext - whether ch may appear in an RFC 5322 dot-atom. */
static bool
is_atext(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", ch) != NULL);
}

/* is_dot_atom - whether s is an RFC 5322 dot-atom. */
static bool
is_dot_atom(const char *s)
{
	bool dot = true;	/* no dot first, none doubled */

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (is_atext(*p))
			dot = false;
		else
			return false;
	}
	return !dot;
}

/* Where to add text: a buffer, its size and how much it holds; overflow
 * is sticky. */
struct buf {
	char *p;
	size_t size, len;
	bool overflow;
};

/* buf_add - append printf-style; marks the overflow instead of cutting. */
static void __attribute__((format(printf, 2, 3)))
buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len) {
		b->overflow = true;
		b->p[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

/* buf_char - append one character. */
static void
buf_char(struct buf *b, char ch)
{
	buf_add(b, "%c", ch);
}

/* buf_value - append s as an RFC 7208 key-value value: a dot-atom as it
 * is, anything else as a quoted-string; control and 8-bit characters
 * become '?' so the header stays printable ASCII. */
static void
buf_value(struct buf *b, const char *s)
{
	if (is_dot_atom(s)) {
		buf_add(b, "%s", s);
		return;
	}
	buf_char(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_char(b, '\\');
		buf_char(b, *p < ' ' || *p >= 0x7f ? '?' : (char)*p);
	}
	buf_char(b, '"');
}

/* buf_comment - append s as the inside of an RFC 5322 comment. */
static void
buf_comment(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '(' || *p == ')' || *p == '\\')
			buf_char(b, '\\');
		buf_char(b, *p < ' ' || *p >= 0x7f ? '?' : (char)*p);
	}
}

/* What Received-SPF is made of. */
struct received {
	const char *result, *comment, *identity, *ip, *sender, *helo,
	    *receiver, *problem;
};

/* render - the Received-SPF value of r into b: full, or without the
 * comment (with_comment false), or only the result and keys that are
 * always short (minimal); whether it fitted. */
static bool
render(struct buf *b, const struct received *r, bool with_comment,
    bool minimal)
{
	b->len = 0;
	b->overflow = false;
	buf_add(b, "%s", r->result);
	if (with_comment && r->comment[0] != '\0') {
		buf_add(b, " (");
		buf_comment(b, r->comment);
		buf_char(b, ')');
	}
	buf_add(b, " identity=%s; client-ip=%s;", r->identity, r->ip);
	if (!minimal) {
		buf_add(b, " envelope-from=");
		buf_value(b, r->sender);
		buf_add(b, "; helo=");
		buf_value(b, r->helo);
		buf_char(b, ';');
	}
	buf_add(b, " receiver=");
	buf_value(b, minimal && strlen(r->receiver) > 253 ? "unknown" :
	    r->receiver);
	buf_char(b, ';');
	if (!minimal && r->problem != NULL) {
		buf_add(b, " problem=");
		buf_value(b, r->problem);
		buf_char(b, ';');
	}
	return !b->overflow;
}

/* received_spf - render the header value into out, dropping the comment
 * and then the long keys when the line would be too long. */
static void
received_spf(struct spf_outcome *out, const struct received *r)
{
	char tmp[sizeof(out->received_spf)];
	struct buf b = { tmp, SPF_RECEIVED_MAX, 0, false };

	if (!render(&b, r, true, false) && !render(&b, r, false, false) &&
	    !render(&b, r, false, true))
		copy_text(tmp, SPF_RECEIVED_MAX, r->result);
	memcpy(out->received_spf, tmp, b.len + 1 > sizeof(tmp) ? sizeof(tmp) :
	    b.len + 1);
	out->received_spf[sizeof(out->received_spf) - 1] = '\0';
}

/* first_error - the first error (not warning) libspf2 recorded, or NULL;
 * with skip_not_spf, the first other than "not an SPF record". */
static SPF_error_t *
first_error(SPF_response_t *resp, bool skip_not_spf)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);

		if (SPF_error_errorp(e) && (!skip_not_spf ||
		    SPF_error_code(e) != SPF_E_NOT_SPF))
			return e;
	}
	return NULL;
}

/* map_result - the SPF result's name for libspf2's response and the
 * error code SPF_request_query_mailfrom returned. */
static const char *
map_result(SPF_response_t *resp, SPF_errcode_t err)
{
	switch (SPF_response_result(resp)) {
	case SPF_RESULT_PASS:
		return "pass";
	case SPF_RESULT_FAIL:
		return "fail";
	case SPF_RESULT_SOFTFAIL:
		return "softfail";
	case SPF_RESULT_NEUTRAL:
		return "neutral";
	case SPF_RESULT_NONE:
		return "none";
	case SPF_RESULT_TEMPERROR:
		return "temperror";
	case SPF_RESULT_PERMERROR:
		return "permerror";
	case SPF_RESULT_INVALID:
		break;
	}
	/* No result: libspf2 stopped while fetching the record. */
	switch (err) {
	case SPF_E_NOT_SPF:
		/* No SPF record, or one that did not compile (libspf2
		 * reports both as NOT_SPF, the compile error before it). */
		return first_error(resp, true) != NULL ? "permerror" : "none";
	case SPF_E_DNS_ERROR:
	case SPF_E_NO_MEMORY:
	case SPF_E_SUCCESS:
		return "temperror";
	default:
		return "permerror";
	}
}

/* set_outcome - fill out's result and comment, and its Received-SPF with
 * the parts in r (result, comment and problem are set here). */
static void
set_outcome(struct spf_outcome *out, struct received *r, const char *result,
    const char *comment)
{
	char line[SPF_TEXT_MAX];

	out->result = check_result(CHECK_SPF, result);
	if (comment[0] != '\0' && strncmp(comment, r->receiver,
	    strlen(r->receiver)) != 0) {
		snprintf(line, sizeof(line), "%s: %s", r->receiver, comment);
		comment = line;
	}
	copy_text(out->comment, sizeof(out->comment), comment);
	r->result = result;
	r->comment = out->comment;
	received_spf(out, r);
}

/* spf_evaluate - the SPF result of a client for its sender or HELO. */
int
spf_evaluate(const struct dns *d, struct dns_cache *c,
    const char *client_addr, const char *helo, const char *sender,
    const char *receiver, struct spf_outcome *out)
{
	struct spf_layer layer;
	SPF_server_t *server = NULL;
	SPF_request_t *req = NULL;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	struct in_addr a4;
	struct in6_addr a6;
	struct received r;
	const char *domain, *at, *result, *comment, *problem = NULL;
	char ip[INET6_ADDRSTRLEN], text[SPF_TEXT_MAX];
	int family, ret = 0;

	pthread_once(&handlers_once, handlers_init);
	memset(out, 0, sizeof(*out));
	if (helo == NULL)
		helo = "";
	if (sender == NULL)
		sender = "";
	if (receiver == NULL || *receiver == '\0')
		receiver = "unknown";

	/* RFC 7208 section 2.4: the null sender's identity is its HELO. */
	if (*sender != '\0') {
		snprintf(out->identity, sizeof(out->identity), "mailfrom");
		at = strrchr(sender, '@');
		domain = at != NULL ? at + 1 : sender;
	} else {
		snprintf(out->identity, sizeof(out->identity), "helo");
		domain = helo;
	}
	copy_text(out->domain, sizeof(out->domain), domain);

	r.identity = out->identity;
	r.sender = sender;
	r.helo = helo;
	r.receiver = receiver;
	r.problem = NULL;
	r.ip = client_addr != NULL ? client_addr : "";

	if (client_addr != NULL && inet_pton(AF_INET, client_addr, &a4) == 1)
		family = AF_INET;
	else if (client_addr != NULL &&
	    inet_pton(AF_INET6, client_addr, &a6) == 1)
		family = AF_INET6;
	else {
		r.ip = "unknown";
		snprintf(text, sizeof(text), "client address \"%s\" is not an "
		    "IP address", client_addr != NULL ? client_addr : "");
		set_outcome(out, &r, "none", text);
		return 0;
	}
	inet_ntop(family, family == AF_INET ? (void *)&a4 : (void *)&a6, ip,
	    sizeof(ip));
	r.ip = ip;
	/* RFC 7208 section 4.3: a malformed or single-label domain: none. */
	if (!valid_domain(domain)) {
		snprintf(text, sizeof(text), "\"%.300s\" is not a domain name "
		    "SPF can check", domain);
		set_outcome(out, &r, "none", text);
		return 0;
	}

	memset(&layer, 0, sizeof(layer));
	layer.server.destroy = NULL;	/* ours: SPF_server_free leaves it */
	layer.server.lookup = layer_lookup;
	layer.server.name = "replymilter";
	layer.server.hook = &layer;
	layer.d = d;
	layer.c = c;

	if ((server = SPF_server_new_dns(&layer.server, 0)) == NULL ||
	    SPF_server_set_rec_dom(server, receiver) != SPF_E_SUCCESS ||
	    SPF_server_set_sanitize(server, 1) != SPF_E_SUCCESS ||
	    (req = SPF_request_new(server)) == NULL ||
	    (family == AF_INET ? SPF_request_set_ipv4(req, a4) :
	    SPF_request_set_ipv6(req, a6)) != SPF_E_SUCCESS ||
	    /* %{h} of a record must expand even without a HELO. */
	    SPF_request_set_helo_dom(req, *helo != '\0' ? helo : "unknown") !=
	    SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, *sender != '\0' ? sender :
	    domain) != 0) {
		set_outcome(out, &r, "temperror", "out of memory");
		ret = -1;
		goto done;
	}
	err = SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL) {
		set_outcome(out, &r, "temperror", "out of memory");
		ret = -1;
		goto done;
	}
	result = map_result(resp, err);
	if (layer.lookups > SPF_DNS_LOOKUP_MAX) {
		snprintf(text, sizeof(text), "more than %d DNS lookups (RFC "
		    "7208 section 4.6.4)", SPF_DNS_LOOKUP_MAX);
		r.problem = text;
		set_outcome(out, &r, "permerror", text);
		goto done;
	}
	if (strcmp(result, "temperror") == 0 ||
	    strcmp(result, "permerror") == 0) {
		SPF_error_t *e = first_error(resp, true);

		if (e == NULL)
			e = first_error(resp, false);
		problem = e != NULL ? SPF_error_message(e) : SPF_strerror(err);
	}
	if ((comment = SPF_response_get_header_comment(resp)) == NULL) {
		/* libspf2 wrote none: it stopped before evaluating. */
		SPF_error_t *e = first_error(resp, false);

		comment = e != NULL ? SPF_error_message(e) : SPF_strerror(err);
	}
	r.problem = problem;
	set_outcome(out, &r, result, comment);
	log_debug("spf: %s %s %s from %s: %s", out->identity, sender, helo, ip,
	    result);
done:
	if (resp != NULL)
		SPF_response_free(resp);
	if (req != NULL)
		SPF_request_free(req);
	if (server != NULL)
		SPF_server_free(server);
	return ret;
}
