/*
 * milterload - drive a milter as an MTA does, and measure it.
 *
 * What it is for: throughput and latency figures for a milter (replymilter,
 * or the baseline bench/nullmilter) with no MTA in the way, and reply counts
 * that a test can compare with what the milter should have said.  It plays
 * the MTA side of milter protocol version 6 as <libmilter/mfdef.h> defines
 * it: option negotiation (with the macro lists a milter may ask for), then
 * per session macros and connect, HELO, and per transaction MAIL, RCPT x k,
 * DATA, headers, end of headers, body chunks, end of message, with ABORT
 * where libmilter still holds an open transaction, and QUIT at the end.
 * Steps the milter negotiated away (SMFIP_NO*) are not sent, and replies it
 * said it would not give (SMFIP_NR_*) are not awaited.
 *
 * How to use it: usage() below and bench/README.  Each of -c workers (one
 * thread each) opens sessions one after the other, each on a new connection
 * carrying -t transactions, until -d seconds have passed or -n sessions
 * have been started in all.  A transaction started before the deadline is
 * finished, so a run lasts at most -d plus one reply timeout (-T).
 *
 * What the MTA side does with a verdict (as Sendmail does): a non-continue
 * answer at connect or HELO ends the session (its remaining transactions
 * are counted as not run); at MAIL, DATA, a header, end of headers, a body
 * chunk or end of message it ends the transaction; at RCPT a reject or
 * tempfail refuses that recipient only, and a transaction left with no
 * recipient is aborted.  A 421 reply, SMFIR_SHUTDOWN or SMFIR_CONN_FAIL
 * ends the session after the transaction is counted as tempfailed.
 *
 * Output: a report on stdout, or one line of JSON with -j; problems on
 * stderr (the first ten, or all with -v).
 *
 * Exit status: 0 when every session went cleanly; 1 when the milter broke
 * the protocol (malformed or unexpected reply); 2 on a usage or setup
 * error; 3 when sessions failed otherwise (no connection, connection
 * closed, reply timeout, no answer to option negotiation).
 *
 * Memory: everything is allocated at start or per worker and freed before
 * exit; running out of memory ends the program with status 2.
 */

#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#define LD_PROT_VERSION	6		/* the protocol version we speak */
#define LD_MAXPKT	(16u * 1024 * 1024)	/* largest reply accepted */
#define LD_WFLUSH	(256u * 1024)	/* write out batched packets past this */
#define LD_VALLEN	512		/* room for one address or name */
#define LD_SLOW_NS	1000000000ull	/* a reply this slow counts as slow */
#define LD_MAXMSGS	10		/* problems printed without -v */
#define LD_HIST_SUB	32		/* histogram buckets per power of two */
#define LD_HIST_N	(36 * LD_HIST_SUB)	/* up to 2^40 ns, about 18 min */

/* The protocol steps, in the order an MTA sends them. */
enum ld_stage {
	LD_OPTNEG,
	LD_CONNECT,
	LD_HELO,
	LD_MAIL,
	LD_RCPT,
	LD_DATA,
	LD_HEADER,
	LD_EOH,
	LD_BODY,
	LD_EOM,
	LD_NSTAGES
};

/* What each step is on the wire and which flags concern it. */
struct ld_stageinfo {
	const char	*name;
	char		 cmd;		/* SMFIC_* */
	unsigned long	 skip;		/* SMFIP_NO* that drops the step */
	unsigned long	 noreply;	/* SMFIP_NR_* that drops the reply */
	int		 mstage;	/* SMFIM_* macro slot, or -1 */
};

static const struct ld_stageinfo ld_stages[LD_NSTAGES] = {
	{ "optneg", SMFIC_OPTNEG, 0, 0, -1 },
	{ "connect", SMFIC_CONNECT, SMFIP_NOCONNECT, SMFIP_NR_CONN,
	    SMFIM_CONNECT },
	{ "helo", SMFIC_HELO, SMFIP_NOHELO, SMFIP_NR_HELO, SMFIM_HELO },
	{ "mail", SMFIC_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL, SMFIM_ENVFROM },
	{ "rcpt", SMFIC_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT, SMFIM_ENVRCPT },
	{ "data", SMFIC_DATA, SMFIP_NODATA, SMFIP_NR_DATA, SMFIM_DATA },
	{ "header", SMFIC_HEADER, SMFIP_NOHDRS, SMFIP_NR_HDR, -1 },
	{ "eoh", SMFIC_EOH, SMFIP_NOEOH, SMFIP_NR_EOH, SMFIM_EOH },
	{ "body", SMFIC_BODY, SMFIP_NOBODY, SMFIP_NR_BODY, -1 },
	{ "eom", SMFIC_BODYEOB, 0, 0, SMFIM_EOM },
};

#define LD_NMSTAGES	(SMFIM_LAST + 1)

/* The kinds of reply counted per stage. */
enum ld_kind {
	LD_K_OPTIONS,
	LD_K_CONTINUE,
	LD_K_ACCEPT,
	LD_K_REJECT,
	LD_K_TEMPFAIL,
	LD_K_DISCARD,
	LD_K_SKIP,
	LD_K_REPLYCODE,
	LD_K_SHUTDOWN,
	LD_K_CONNFAIL,
	LD_K_PROGRESS,
	LD_K_NOREPLY,
	LD_K_ADDHEADER,
	LD_K_INSHEADER,
	LD_K_CHGHEADER,
	LD_K_ADDRCPT,
	LD_K_ADDRCPT_PAR,
	LD_K_DELRCPT,
	LD_K_CHGFROM,
	LD_K_REPLBODY,
	LD_K_QUARANTINE,
	LD_NKINDS
};

static const char *const ld_kind_names[LD_NKINDS] = {
	"options", "continue", "accept", "reject", "tempfail", "discard",
	"skip", "replycode", "shutdown", "connfail", "progress", "noreply",
	"addheader", "insheader", "chgheader", "addrcpt", "addrcpt_par",
	"delrcpt", "chgfrom", "replbody", "quarantine",
};

/* What the MTA side does next after a reply. */
enum ld_effect {
	LD_E_CONTINUE,
	LD_E_ACCEPT,
	LD_E_REJECT,
	LD_E_TEMPFAIL,
	LD_E_DISCARD,
	LD_E_SKIP,
	LD_E_CLOSE		/* tempfail, then drop the connection */
};

/* How one exchange with the milter went. */
enum ld_status {
	LD_OK,
	LD_TIMEOUT,
	LD_EOF,
	LD_IOERR,
	LD_PROTO,		/* malformed packet from the milter */
	LD_BAD			/* a protocol error, already counted */
};

/* What a transaction leaves to its session. */
enum ld_txres {
	LD_TX_NEXT,		/* go on with the next transaction */
	LD_TX_END,		/* the milter ended the session: QUIT */
	LD_TX_FAIL		/* the connection is unusable: close it */
};

/* Values cycled from a file, or made from a template. */
struct ld_source {
	char		**line;		/* file lines, or NULL */
	char		**extra;	/* second column (host names), or NULL */
	size_t		  n;
	const char	 *tpl;		/* template when there is no file */
};

/* A macro set on the command line; stage -1 means "where it is sent". */
struct ld_macro {
	int	 stage;
	char	*name;			/* as sent: "j" or "{daemon_name}" */
	char	*value;
};

/* A latency histogram, log-linear over nanoseconds. */
struct ld_hist {
	uint64_t	bucket[LD_HIST_N];
	uint64_t	n;
	uint64_t	sum;
	uint64_t	max;
};

/* Replies with a code, grouped by stage and "550 5.7.23". */
struct ld_code {
	int		stage;
	char		key[24];
	char		sample[160];
	uint64_t	count;
};

/* Counters; each worker has its own, merged at the end. */
struct ld_stats {
	struct ld_hist	 lat[LD_NSTAGES];
	uint64_t	 reply[LD_NSTAGES][LD_NKINDS];
	uint64_t	 sent[LD_NSTAGES];
	struct ld_code	*code;
	size_t		 ncode;
	size_t		 acode;
	uint64_t	 sessions;
	uint64_t	 sessions_ok;
	uint64_t	 sessions_ended;	/* ended by a milter verdict */
	uint64_t	 noanswer;
	uint64_t	 timeouts;
	uint64_t	 connect_errors;
	uint64_t	 io_errors;
	uint64_t	 proto_errors;
	uint64_t	 slow;
	uint64_t	 tx;
	uint64_t	 tx_delivered;
	uint64_t	 tx_accepted;
	uint64_t	 tx_rejected;
	uint64_t	 tx_tempfailed;
	uint64_t	 tx_discarded;
	uint64_t	 tx_norcpt;
	uint64_t	 tx_notrun;
	uint64_t	 rcpt_ok;
	uint64_t	 rcpt_rejected;
	uint64_t	 rcpt_tempfailed;
	bool		 negotiated;
	bool		 flags_varied;
	uint32_t	 version;
	unsigned long	 aflags;
	unsigned long	 pflags;
};

/* One milter connection as the MTA side sees it. */
struct ld_conn {
	int		 fd;
	uint64_t	 sno;		/* session number */
	unsigned long	 pflags;	/* protocol flags the milter chose */
	unsigned long	 aflags;	/* actions the milter chose */
	uint32_t	 version;
	char		*symlist[LD_NMSTAGES];
	char		*rbuf;
	size_t		 roff;
	size_t		 rlen;
	size_t		 rcap;
	char		*wbuf;
	size_t		 wlen;
	size_t		 wcap;
	size_t		 pkt;		/* offset of the packet being built */
	struct ld_stats	*st;
};

/* A worker thread and what it owns. */
struct ld_worker {
	pthread_t	 tid;
	unsigned	 id;
	struct ld_conn	 conn;
	struct ld_stats	 st;
};

/* A name/value pair of a macro packet. */
struct ld_kv {
	const char	*name;
	const char	*value;
};

static void	fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
static void	problem(uint64_t, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static enum ld_status conn_proto(struct ld_conn *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* The run's settings; read-only once the workers start. */
static struct {
	const char	*spec;
	int		 family;
	struct sockaddr_storage addr;
	socklen_t	 addrlen;
	unsigned	 conns;
	unsigned	 tx;
	unsigned	 rcpts;
	unsigned	 hdrs;
	size_t		 body;
	size_t		 chunk;
	double		 duration;
	uint64_t	 sessions;
	int		 timeout_ms;
	unsigned	 stagger_ms;
	unsigned long	 offer_prot;
	unsigned long	 offer_acts;
	bool		 json;
	bool		 verbose;
	struct ld_source addr_src;
	struct ld_source helo_src;
	struct ld_source from_src;
	struct ld_source rcpt_src;
	struct ld_source auth_src;
	bool		 auth;
	struct ld_macro	*macro;
	size_t		 nmacro;
	char		*bodybuf;
} conf;

static atomic_uint_fast64_t g_next_session;
static atomic_int g_stop;
static atomic_uint g_msgs;
static uint64_t g_deadline;		/* no new transaction after this */

/* The built-in macros, so that -M NAME=VALUE knows where each goes. */
static const struct {
	int		 stage;
	const char	*name;
} ld_builtin[] = {
	{ LD_CONNECT, "j" },
	{ LD_CONNECT, "_" },
	{ LD_CONNECT, "{daemon_name}" },
	{ LD_CONNECT, "{if_name}" },
	{ LD_CONNECT, "{if_addr}" },
	{ LD_CONNECT, "{client_addr}" },
	{ LD_CONNECT, "{client_name}" },
	{ LD_CONNECT, "{client_port}" },
	{ LD_MAIL, "i" },
	{ LD_MAIL, "{mail_mailer}" },
	{ LD_MAIL, "{mail_host}" },
	{ LD_MAIL, "{mail_addr}" },
	{ LD_MAIL, "{auth_type}" },
	{ LD_MAIL, "{auth_authen}" },
	{ LD_RCPT, "{rcpt_mailer}" },
	{ LD_RCPT, "{rcpt_host}" },
	{ LD_RCPT, "{rcpt_addr}" },
	{ LD_DATA, "i" },
	{ LD_EOM, "i" },
};

/* fatal - print a message and exit with status 2; returns never */
static void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("milterload: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

/* xrealloc - realloc that cannot fail; returns the new block */
static void *
xrealloc(void *p, size_t n)
{
	void *q;

	q = realloc(p, n == 0 ? 1 : n);
	if (q == NULL)
		fatal("out of memory");
	return q;
}

/* xstrdup - strdup that cannot fail; returns the copy */
static char *
xstrdup(const char *s)
{
	char *d;

	d = strdup(s);
	if (d == NULL)
		fatal("out of memory");
	return d;
}

/* now_ns - returns the monotonic clock in nanoseconds */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* stopping - returns whether no new transaction may start */
static bool
stopping(void)
{
	return atomic_load(&g_stop) != 0 || now_ns() >= g_deadline;
}

/* on_signal - asks the workers to finish; returns nothing */
static void
on_signal(int sig)
{
	(void)sig;
	atomic_store(&g_stop, 1);
}

/* problem - returns nothing; reports a failure of session sno at where */
static void
problem(uint64_t sno, const char *where, const char *fmt, ...)
{
	va_list ap;
	unsigned n;
	char msg[512];

	n = atomic_fetch_add(&g_msgs, 1);
	if (!conf.verbose && n >= LD_MAXMSGS) {
		if (n == LD_MAXMSGS)
			fputs("milterload: further problems not shown "
			    "(use -v)\n", stderr);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "milterload: session %" PRIu64 ", %s: %s\n", sno,
	    where, msg);
}

/* hist_bucket - returns the histogram bucket of v nanoseconds */
static size_t
hist_bucket(uint64_t v)
{
	unsigned e;

	if (v < LD_HIST_SUB)
		return (size_t)v;
	if (v >= (1ull << 40))
		return LD_HIST_N - 1;
	e = 63u - (unsigned)__builtin_clzll(v);
	return (size_t)(e - 4) * LD_HIST_SUB +
	    (size_t)((v >> (e - 5)) & (LD_HIST_SUB - 1));
}

/* hist_mid - returns the middle of histogram bucket b in nanoseconds */
static uint64_t
hist_mid(size_t b)
{
	unsigned e;
	uint64_t low, width;

	if (b < LD_HIST_SUB)
		return b;
	e = (unsigned)(b / LD_HIST_SUB) + 4;
	width = 1ull << (e - 5);
	low = (LD_HIST_SUB + b % LD_HIST_SUB) * width;
	return low + width / 2;
}

/* hist_add - counts one sample of v nanoseconds; returns nothing */
static void
hist_add(struct ld_hist *h, uint64_t v)
{
	h->bucket[hist_bucket(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* hist_pct - returns the value (ns) below which fraction p of samples lie */
static uint64_t
hist_pct(const struct ld_hist *h, double p)
{
	uint64_t rank, cum, v;
	size_t b;

	if (h->n == 0)
		return 0;
	rank = (uint64_t)(p * (double)h->n);
	if ((double)rank < p * (double)h->n)
		rank++;
	if (rank == 0)
		rank = 1;
	cum = 0;
	for (b = 0; b < LD_HIST_N; b++) {
		cum += h->bucket[b];
		if (cum >= rank)
			break;
	}
	v = hist_mid(b);
	return v > h->max ? h->max : v;
}

/* code_add - counts a reply code at stage s; returns nothing */
static void
code_add(struct ld_stats *st, int s, const char *key, const char *sample,
    uint64_t count)
{
	size_t i;
	struct ld_code *c;

	for (i = 0; i < st->ncode; i++) {
		c = &st->code[i];
		if (c->stage == s && strcmp(c->key, key) == 0) {
			c->count += count;
			return;
		}
	}
	if (st->ncode == st->acode) {
		st->acode = st->acode ? st->acode * 2 : 8;
		st->code = xrealloc(st->code, st->acode * sizeof *st->code);
	}
	c = &st->code[st->ncode++];
	memset(c, 0, sizeof *c);
	c->stage = s;
	snprintf(c->key, sizeof c->key, "%s", key);
	snprintf(c->sample, sizeof c->sample, "%s", sample);
	c->count = count;
}

/* code_key - returns whether text is a 4xx/5xx reply; "550 5.7.23" in key */
static bool
code_key(const char *text, char *key, size_t size)
{
	size_t i, n, dots, digits;
	const char *e;

	if (text[0] != '4' && text[0] != '5')
		return false;
	if (!isdigit((unsigned char)text[1]) ||
	    !isdigit((unsigned char)text[2]))
		return false;
	if (text[3] != '\0' && text[3] != ' ' && text[3] != '-')
		return false;
	if (text[3] == '\0') {
		snprintf(key, size, "%.3s", text);
		return true;
	}
	e = text + 4;
	n = strcspn(e, " \r\n");
	dots = 0;
	digits = 0;
	for (i = 0; i < n; i++) {
		if (e[i] == '.') {
			if (digits == 0)
				break;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)e[i]) && digits < 3) {
			digits++;
		} else {
			break;
		}
	}
	if (i == n && dots == 2 && digits > 0 && n < 12)
		snprintf(key, size, "%.3s %.*s", text, (int)n, e);
	else
		snprintf(key, size, "%.3s", text);
	return true;
}

/* tpl_expand - returns whether template tpl, expanded for n, fits buf */
static bool
tpl_expand(const char *tpl, uint64_t n, char *buf, size_t size)
{
	size_t o;
	int r;
	const char *p;

	o = 0;
	for (p = tpl; *p != '\0'; p++) {
		if (o + 1 >= size)
			return false;
		if (*p != '%') {
			buf[o++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'n':
			r = snprintf(buf + o, size - o, "%" PRIu64, n);
			break;
		case 'o':
			r = snprintf(buf + o, size - o, "%u",
			    (unsigned)(n % 256));
			break;
		case 'O':
			r = snprintf(buf + o, size - o, "%u",
			    (unsigned)(n / 256 % 256));
			break;
		case 'x':
			r = snprintf(buf + o, size - o, "%x",
			    (unsigned)(n % 65536));
			break;
		case '%':
			r = snprintf(buf + o, size - o, "%%");
			break;
		default:
			return false;
		}
		if (r < 0 || (size_t)r >= size - o)
			return false;
		o += (size_t)r;
	}
	buf[o] = '\0';
	return true;
}

/* source_get - returns value idx of src, its host column in *extra */
static const char *
source_get(const struct ld_source *src, uint64_t idx, char *buf,
    size_t size, const char **extra)
{
	if (extra != NULL)
		*extra = NULL;
	if (src->line != NULL) {
		if (extra != NULL && src->extra != NULL)
			*extra = src->extra[idx % src->n];
		return src->line[idx % src->n];
	}
	if (!tpl_expand(src->tpl, idx, buf, size))
		buf[0] = '\0';		/* checked at start: cannot happen */
	return buf;
}

/* source_load - returns nothing; reads a value file, exits if it cannot */
static void
source_load(struct ld_source *src, const char *path, bool columns)
{
	FILE *fp;
	char line[LD_VALLEN * 2];
	char *p, *e, *second;
	size_t cap;

	fp = fopen(path, "r");
	if (fp == NULL)
		fatal("%s: %s", path, strerror(errno));
	cap = 0;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(fp))
			fatal("%s: line too long", path);
		p = line + strspn(line, " \t");
		e = p + strcspn(p, "\r\n");
		*e = '\0';
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		second = NULL;
		if (columns) {
			e = p + strcspn(p, " \t");
			if (*e != '\0') {
				*e++ = '\0';
				second = e + strspn(e, " \t");
			}
		}
		if (strlen(p) >= LD_VALLEN - 2)
			fatal("%s: value too long: %.40s...", path, p);
		if (src->n == cap) {
			cap = cap ? cap * 2 : 64;
			src->line = xrealloc(src->line, cap * sizeof *src->line);
			if (columns)
				src->extra = xrealloc(src->extra,
				    cap * sizeof *src->extra);
		}
		src->line[src->n] = xstrdup(p);
		if (columns)
			src->extra[src->n] = second != NULL && *second != '\0' ?
			    xstrdup(second) : NULL;
		src->n++;
	}
	if (ferror(fp))
		fatal("%s: %s", path, strerror(errno));
	fclose(fp);
	if (src->n == 0)
		fatal("%s: no values", path);
}

/* source_free - frees what source_load allocated; returns nothing */
static void
source_free(struct ld_source *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		free(src->line[i]);
		if (src->extra != NULL)
			free(src->extra[i]);
	}
	free(src->line);
	free(src->extra);
	src->line = NULL;
	src->extra = NULL;
	src->n = 0;
}

/* addr_family - returns the SMFIA_* family of address a, or 0 if none */
static char
addr_family(const char *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (strcmp(a, "unknown") == 0)
		return SMFIA_UNKNOWN;
	if (inet_pton(AF_INET, a, &v4) == 1)
		return SMFIA_INET;
	if (inet_pton(AF_INET6, a, &v6) == 1)
		return SMFIA_INET6;
	return 0;
}

/* macro_norm - returns the length of name less braces, its start in *start */
static size_t
macro_norm(const char *name, size_t len, const char **start)
{
	if (len >= 2 && name[0] == '{' && name[len - 1] == '}') {
		*start = name + 1;
		return len - 2;
	}
	*start = name;
	return len;
}

/* macro_same - returns whether two macro names are the same macro */
static bool
macro_same(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *as, *bs;

	alen = macro_norm(a, alen, &as);
	blen = macro_norm(b, blen, &bs);
	return alen == blen && memcmp(as, bs, alen) == 0;
}

/* symlist_has - returns whether the milter's macro list names macro name */
static bool
symlist_has(const char *list, const char *name)
{
	const char *p;
	size_t n;

	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n > 0 && macro_same(p, n, name, strlen(name)))
			return true;
	}
	return false;
}

/* wb_reserve - returns nothing; makes room for n more bytes to write */
static void
wb_reserve(struct ld_conn *c, size_t n)
{
	if (c->wlen + n <= c->wcap)
		return;
	while (c->wlen + n > c->wcap)
		c->wcap = c->wcap ? c->wcap * 2 : 4096;
	c->wbuf = xrealloc(c->wbuf, c->wcap);
}

/* pkt_begin - starts a packet of command cmd; returns nothing */
static void
pkt_begin(struct ld_conn *c, char cmd)
{
	wb_reserve(c, 5);
	c->pkt = c->wlen;
	c->wlen += 4;
	c->wbuf[c->wlen++] = cmd;
}

/* pkt_add - appends len bytes to the packet; returns nothing */
static void
pkt_add(struct ld_conn *c, const void *data, size_t len)
{
	wb_reserve(c, len);
	memcpy(c->wbuf + c->wlen, data, len);
	c->wlen += len;
}

/* pkt_str - appends a string and its NUL to the packet; returns nothing */
static void
pkt_str(struct ld_conn *c, const char *s)
{
	pkt_add(c, s, strlen(s) + 1);
}

/* pkt_end - writes the packet's length field; returns nothing */
static void
pkt_end(struct ld_conn *c)
{
	uint32_t n;

	n = htonl((uint32_t)(c->wlen - c->pkt - 4));
	memcpy(c->wbuf + c->pkt, &n, 4);
}

/* conn_flush - writes out the batched packets; returns an ld_status */
static enum ld_status
conn_flush(struct ld_conn *c)
{
	size_t off;
	ssize_t r;

	off = 0;
	while (off < c->wlen) {
		r = send(c->fd, c->wbuf + off, c->wlen - off, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			c->wlen = 0;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return LD_TIMEOUT;
			return LD_IOERR;
		}
		off += (size_t)r;
	}
	c->wlen = 0;
	return LD_OK;
}

/* conn_read - returns an ld_status; *data lives until the next read */
static enum ld_status
conn_read(struct ld_conn *c, uint64_t deadline, char *cmd, char **data,
    size_t *len)
{
	uint32_t n;
	size_t avail, need;
	ssize_t r;
	uint64_t now;
	struct pollfd pfd;
	int pr;

	for (;;) {
		avail = c->rlen - c->roff;
		need = 4;
		if (avail >= 4) {
			memcpy(&n, c->rbuf + c->roff, 4);
			n = ntohl(n);
			if (n == 0 || n > LD_MAXPKT)
				return LD_PROTO;
			if (avail >= 4 + (size_t)n) {
				*cmd = c->rbuf[c->roff + 4];
				*data = c->rbuf + c->roff + 5;
				*len = n - 1;
				c->roff += 4 + (size_t)n;
				return LD_OK;
			}
			need = 4 + (size_t)n;
		}
		if (c->roff > 0) {
			memmove(c->rbuf, c->rbuf + c->roff, avail);
			c->roff = 0;
			c->rlen = avail;
		}
		if (c->rcap < need || c->rcap - c->rlen < 512) {
			c->rcap = c->rcap < need ? need : c->rcap;
			c->rcap = c->rcap < 8192 ? 8192 : c->rcap * 2;
			c->rbuf = xrealloc(c->rbuf, c->rcap);
		}
		now = now_ns();
		if (now >= deadline)
			return LD_TIMEOUT;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		pr = poll(&pfd, 1, (int)((deadline - now + 999999) / 1000000));
		if (pr < 0 && errno != EINTR)
			return LD_IOERR;
		if (pr <= 0)
			continue;
		r = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (r == 0)
			return LD_EOF;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return LD_IOERR;
		}
		c->rlen += (size_t)r;
	}
}

/* conn_fail - counts a failed exchange at stage s; returns LD_TX_FAIL */
static enum ld_txres
conn_fail(struct ld_conn *c, int s, enum ld_status rs)
{
	switch (rs) {
	case LD_TIMEOUT:
		if (s == LD_OPTNEG) {
			c->st->noanswer++;
			problem(c->sno, ld_stages[s].name, "no answer within %d ms",
			    conf.timeout_ms);
		} else {
			c->st->timeouts++;
			problem(c->sno, ld_stages[s].name, "no reply within %d ms",
			    conf.timeout_ms);
		}
		break;
	case LD_EOF:
		c->st->io_errors++;
		problem(c->sno, ld_stages[s].name, "milter closed the connection");
		break;
	case LD_IOERR:
		c->st->io_errors++;
		problem(c->sno, ld_stages[s].name, "%s", strerror(errno));
		break;
	case LD_PROTO:
		c->st->proto_errors++;
		problem(c->sno, ld_stages[s].name, "protocol error: bad packet "
		    "length");
		break;
	case LD_BAD:
	case LD_OK:
		break;
	}
	return LD_TX_FAIL;
}

/* conn_proto - counts a protocol error at stage s; returns LD_BAD */
static enum ld_status
conn_proto(struct ld_conn *c, int s, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->st->proto_errors++;
	problem(c->sno, ld_stages[s].name, "protocol error: %s", msg);
	return LD_BAD;
}

/* mod_kind - returns the kind of modification cmd or LD_NKINDS; *need */
static enum ld_kind
mod_kind(char cmd, unsigned long *need)
{
	switch (cmd) {
	case SMFIR_ADDHEADER:
		*need = SMFIF_ADDHDRS;
		return LD_K_ADDHEADER;
	case SMFIR_INSHEADER:
		*need = SMFIF_ADDHDRS;
		return LD_K_INSHEADER;
	case SMFIR_CHGHEADER:
		*need = SMFIF_CHGHDRS;
		return LD_K_CHGHEADER;
	case SMFIR_ADDRCPT:
		*need = SMFIF_ADDRCPT;
		return LD_K_ADDRCPT;
	case SMFIR_ADDRCPT_PAR:
		*need = SMFIF_ADDRCPT_PAR;
		return LD_K_ADDRCPT_PAR;
	case SMFIR_DELRCPT:
		*need = SMFIF_DELRCPT;
		return LD_K_DELRCPT;
	case SMFIR_CHGFROM:
		*need = SMFIF_CHGFROM;
		return LD_K_CHGFROM;
	case SMFIR_REPLBODY:
		*need = SMFIF_CHGBODY;
		return LD_K_REPLBODY;
	case SMFIR_QUARANTINE:
		*need = SMFIF_QUARANTINE;
		return LD_K_QUARANTINE;
	default:
		*need = 0;
		return LD_NKINDS;
	}
}

/* conn_reply - returns an ld_status; waits for stage s's answer, *eff */
static enum ld_status
conn_reply(struct ld_conn *c, int s, uint64_t t0, enum ld_effect *eff)
{
	enum ld_status rs;
	enum ld_kind kind;
	unsigned long need;
	uint64_t deadline, now;
	char cmd, key[24];
	char *data;
	size_t len;

	deadline = t0 + (uint64_t)conf.timeout_ms * 1000000ull;
	for (;;) {
		rs = conn_read(c, deadline, &cmd, &data, &len);
		if (rs != LD_OK)
			return rs;
		switch (cmd) {
		case SMFIR_PROGRESS:
			c->st->reply[s][LD_K_PROGRESS]++;
			deadline = now_ns() +
			    (uint64_t)conf.timeout_ms * 1000000ull;
			continue;
		case SMFIR_CONTINUE:
			kind = LD_K_CONTINUE;
			*eff = LD_E_CONTINUE;
			break;
		case SMFIR_ACCEPT:
			kind = LD_K_ACCEPT;
			*eff = LD_E_ACCEPT;
			break;
		case SMFIR_REJECT:
			kind = LD_K_REJECT;
			*eff = LD_E_REJECT;
			break;
		case SMFIR_TEMPFAIL:
			kind = LD_K_TEMPFAIL;
			*eff = LD_E_TEMPFAIL;
			break;
		case SMFIR_DISCARD:
			kind = LD_K_DISCARD;
			*eff = LD_E_DISCARD;
			break;
		case SMFIR_SKIP:
			if (s != LD_BODY)
				return conn_proto(c, s, "skip outside the body");
			kind = LD_K_SKIP;
			*eff = LD_E_SKIP;
			break;
		case SMFIR_SHUTDOWN:
			kind = LD_K_SHUTDOWN;
			*eff = LD_E_CLOSE;
			break;
		case SMFIR_CONN_FAIL:
			kind = LD_K_CONNFAIL;
			*eff = LD_E_CLOSE;
			break;
		case SMFIR_REPLYCODE:
			if (len == 0 || data[len - 1] != '\0' ||
			    strlen(data) != len - 1)
				return conn_proto(c, s,
				    "reply code not a string");
			if (!code_key(data, key, sizeof key))
				return conn_proto(c, s, "bad reply code '%.40s'",
				    data);
			kind = LD_K_REPLYCODE;
			if (strncmp(data, "421", 3) == 0)
				*eff = LD_E_CLOSE;
			else
				*eff = data[0] == '4' ? LD_E_TEMPFAIL :
				    LD_E_REJECT;
			code_add(c->st, s, key, data, 1);
			break;
		default:
			kind = mod_kind(cmd, &need);
			if (kind == LD_NKINDS)
				return conn_proto(c, s,
				    "unknown reply '%c' (0x%02x)",
				    isprint((unsigned char)cmd) ? cmd : '?',
				    (unsigned char)cmd);
			if (s != LD_EOM)
				return conn_proto(c, s, "'%c' before the end "
				    "of the message", cmd);
			if ((c->aflags & need) == 0)
				return conn_proto(c, s, "'%c' without the "
				    "action negotiated", cmd);
			c->st->reply[s][kind]++;
			continue;
		}
		now = now_ns();
		c->st->reply[s][kind]++;
		hist_add(&c->st->lat[s], now - t0);
		if (now - t0 >= LD_SLOW_NS)
			c->st->slow++;
		return LD_OK;
	}
}

/* stage_done - returns an ld_status; sends stage s, awaits any reply */
static enum ld_status
stage_done(struct ld_conn *c, int s, enum ld_effect *eff)
{
	uint64_t t0;
	enum ld_status rs;

	c->st->sent[s]++;
	*eff = LD_E_CONTINUE;
	if ((c->pflags & ld_stages[s].noreply) != 0) {
		c->st->reply[s][LD_K_NOREPLY]++;
		if (c->wlen >= LD_WFLUSH)
			return conn_flush(c);
		return LD_OK;
	}
	t0 = now_ns();
	rs = conn_flush(c);
	if (rs != LD_OK)
		return rs;
	return conn_reply(c, s, t0, eff);
}

/* stage_skipped - returns whether the milter negotiated stage s away */
static bool
stage_skipped(const struct ld_conn *c, int s)
{
	return (c->pflags & ld_stages[s].skip) != 0;
}

/* macros_put - returns nothing; appends the macro packet of stage s */
static void
macros_put(struct ld_conn *c, int s, const struct ld_kv *kv, size_t n)
{
	struct ld_kv all[48];
	size_t i, j, m;
	const struct ld_macro *u;
	const char *list;

	m = 0;
	for (i = 0; i < n && m < sizeof all / sizeof all[0]; i++)
		all[m++] = kv[i];
	for (i = 0; i < conf.nmacro; i++) {
		u = &conf.macro[i];
		if (u->stage != s && u->stage != -1)
			continue;
		for (j = 0; j < m; j++) {
			if (macro_same(all[j].name, strlen(all[j].name),
			    u->name, strlen(u->name)))
				break;
		}
		if (j < m)
			all[j].value = u->value;
		else if (u->stage == s && m < sizeof all / sizeof all[0]) {
			all[m].name = u->name;
			all[m++].value = u->value;
		}
	}
	list = ld_stages[s].mstage >= 0 ? c->symlist[ld_stages[s].mstage] :
	    NULL;
	j = 0;
	for (i = 0; i < m; i++) {
		if (list != NULL && !symlist_has(list, all[i].name))
			continue;
		if (j == 0) {
			pkt_begin(c, SMFIC_MACRO);
			pkt_add(c, &ld_stages[s].cmd, 1);
		}
		pkt_str(c, all[i].name);
		pkt_str(c, all[i].value);
		j++;
	}
	if (j > 0)
		pkt_end(c);
}

/* addr_split - returns the domain of address a, the bare address in buf */
static const char *
addr_split(const char *a, char *buf, size_t size)
{
	size_t n;
	const char *at;

	if (a[0] == '<')
		a++;
	n = strcspn(a, ">");
	if (n >= size)
		n = size - 1;
	memcpy(buf, a, n);
	buf[n] = '\0';
	at = strrchr(buf, '@');
	return at != NULL ? at + 1 : "";
}

/* angle - returns a in angle brackets, written to buf */
static const char *
angle(const char *a, char *buf, size_t size)
{
	if (a[0] == '<')
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "<%s>", a);
	return buf;
}

/* tx_verdict - returns what the session does after a verdict at s */
static enum ld_txres
tx_verdict(struct ld_conn *c, int s, enum ld_effect eff)
{
	struct ld_stats *st;

	st = c->st;
	st->tx++;
	switch (eff) {
	case LD_E_CONTINUE:
	case LD_E_SKIP:
		st->tx_delivered++;
		break;
	case LD_E_ACCEPT:
		if (s == LD_EOM)
			st->tx_delivered++;
		else
			st->tx_accepted++;
		break;
	case LD_E_REJECT:
		st->tx_rejected++;
		break;
	case LD_E_TEMPFAIL:
		st->tx_tempfailed++;
		break;
	case LD_E_DISCARD:
		st->tx_discarded++;
		break;
	case LD_E_CLOSE:
		st->tx_tempfailed++;
		return LD_TX_END;
	}
	return LD_TX_NEXT;
}

/* tx_abort - sends SMFIC_ABORT (no reply is due); returns an ld_status */
static enum ld_status
tx_abort(struct ld_conn *c)
{
	pkt_begin(c, SMFIC_ABORT);
	pkt_end(c);
	return conn_flush(c);
}

/* tx_headers - returns an ld_txres; *done when the message ended */
static enum ld_txres
tx_headers(struct ld_conn *c, uint64_t n, const char *from, const char *to,
    bool *done)
{
	enum ld_status rs;
	enum ld_effect eff;
	unsigned h;
	char name[32], value[LD_VALLEN + 64];
	const char *lead;

	*done = false;
	lead = (c->pflags & SMFIP_HDR_LEADSPC) != 0 ? " " : "";
	for (h = 0; h < conf.hdrs; h++) {
		switch (h) {
		case 0:
			snprintf(name, sizeof name, "From");
			snprintf(value, sizeof value, "%s%s", lead, from);
			break;
		case 1:
			snprintf(name, sizeof name, "To");
			snprintf(value, sizeof value, "%s%s", lead, to);
			break;
		case 2:
			snprintf(name, sizeof name, "Subject");
			snprintf(value, sizeof value,
			    "%smilterload transaction %" PRIu64, lead, n);
			break;
		case 3:
			snprintf(name, sizeof name, "Date");
			snprintf(value, sizeof value,
			    "%sMon, 1 Jan 2024 00:00:00 +0000", lead);
			break;
		case 4:
			snprintf(name, sizeof name, "Message-ID");
			snprintf(value, sizeof value,
			    "%s<%" PRIu64 ".%" PRIu64 "@milterload.example>",
			    lead, n, c->sno);
			break;
		default:
			snprintf(name, sizeof name, "X-Milterload-%u", h);
			snprintf(value, sizeof value, "%sfiller header %u of "
			    "transaction %" PRIu64, lead, h, n);
			break;
		}
		pkt_begin(c, SMFIC_HEADER);
		pkt_str(c, name);
		pkt_str(c, value);
		pkt_end(c);
		rs = stage_done(c, LD_HEADER, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_HEADER, rs);
		if (eff != LD_E_CONTINUE) {
			*done = true;
			return tx_verdict(c, LD_HEADER, eff);
		}
	}
	return LD_TX_NEXT;
}

/* tx_body - returns an ld_txres; *done when the message ended */
static enum ld_txres
tx_body(struct ld_conn *c, bool *done)
{
	enum ld_status rs;
	enum ld_effect eff;
	size_t off, n;

	*done = false;
	for (off = 0; off < conf.body; off += n) {
		n = conf.body - off;
		if (n > conf.chunk)
			n = conf.chunk;
		pkt_begin(c, SMFIC_BODY);
		pkt_add(c, conf.bodybuf + off, n);
		pkt_end(c);
		rs = stage_done(c, LD_BODY, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_BODY, rs);
		if (eff == LD_E_SKIP)
			break;
		if (eff != LD_E_CONTINUE) {
			*done = true;
			return tx_verdict(c, LD_BODY, eff);
		}
	}
	return LD_TX_NEXT;
}

/* tx_run - returns what the session does after transaction n */
static enum ld_txres
tx_run(struct ld_conn *c, uint64_t n)
{
	struct ld_stats *st;
	enum ld_status rs;
	enum ld_effect eff;
	enum ld_txres tr;
	struct ld_kv kv[8];
	size_t nkv;
	unsigned j, ok;
	bool done;
	char fbuf[LD_VALLEN], from[LD_VALLEN + 2], fbare[LD_VALLEN];
	char rbuf[LD_VALLEN], rcpt[LD_VALLEN + 2], rbare[LD_VALLEN];
	char to[LD_VALLEN + 2], abuf[LD_VALLEN], qid[24];
	const char *v, *dom, *authid;

	st = c->st;
	v = source_get(&conf.from_src, n, fbuf, sizeof fbuf, NULL);
	angle(v, from, sizeof from);
	dom = addr_split(from, fbare, sizeof fbare);
	snprintf(qid, sizeof qid, "%010" PRIX64, n);
	authid = NULL;
	if (conf.auth) {
		authid = source_get(&conf.auth_src, n, abuf, sizeof abuf, NULL);
		if (strcmp(authid, "-") == 0 || *authid == '\0')
			authid = NULL;
	}

	if (!stage_skipped(c, LD_MAIL)) {
		nkv = 0;
		kv[nkv++] = (struct ld_kv){ "i", qid };
		kv[nkv++] = (struct ld_kv){ "{mail_mailer}", "esmtp" };
		kv[nkv++] = (struct ld_kv){ "{mail_host}", dom };
		kv[nkv++] = (struct ld_kv){ "{mail_addr}", fbare };
		if (authid != NULL) {
			kv[nkv++] = (struct ld_kv){ "{auth_type}", "PLAIN" };
			kv[nkv++] = (struct ld_kv){ "{auth_authen}", authid };
		}
		macros_put(c, LD_MAIL, kv, nkv);
		pkt_begin(c, SMFIC_MAIL);
		pkt_str(c, from);
		pkt_end(c);
		rs = stage_done(c, LD_MAIL, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_MAIL, rs);
		if (eff != LD_E_CONTINUE)
			return tx_verdict(c, LD_MAIL, eff);
	}

	ok = 0;
	to[0] = '\0';
	for (j = 0; j < conf.rcpts; j++) {
		v = source_get(&conf.rcpt_src, n * conf.rcpts + j, rbuf,
		    sizeof rbuf, NULL);
		angle(v, rcpt, sizeof rcpt);
		if (j == 0)
			snprintf(to, sizeof to, "%s", rcpt);
		if (stage_skipped(c, LD_RCPT)) {
			ok++;
			st->rcpt_ok++;
			continue;
		}
		dom = addr_split(rcpt, rbare, sizeof rbare);
		nkv = 0;
		kv[nkv++] = (struct ld_kv){ "{rcpt_mailer}", "esmtp" };
		kv[nkv++] = (struct ld_kv){ "{rcpt_host}", dom };
		kv[nkv++] = (struct ld_kv){ "{rcpt_addr}", rbare };
		macros_put(c, LD_RCPT, kv, nkv);
		pkt_begin(c, SMFIC_RCPT);
		pkt_str(c, rcpt);
		pkt_end(c);
		rs = stage_done(c, LD_RCPT, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_RCPT, rs);
		switch (eff) {
		case LD_E_CONTINUE:
			ok++;
			st->rcpt_ok++;
			break;
		case LD_E_REJECT:
			st->rcpt_rejected++;
			break;
		case LD_E_TEMPFAIL:
			st->rcpt_tempfailed++;
			break;
		case LD_E_DISCARD:
			/* libmilter stays in the transaction: close it */
			if ((rs = tx_abort(c)) != LD_OK)
				return conn_fail(c, LD_RCPT, rs);
			return tx_verdict(c, LD_RCPT, eff);
		case LD_E_ACCEPT:
			/* accepted, no more milter steps for this message */
			st->rcpt_ok++;
			return tx_verdict(c, LD_RCPT, eff);
		case LD_E_SKIP:
		case LD_E_CLOSE:
			return tx_verdict(c, LD_RCPT, eff);
		}
	}
	if (ok == 0) {
		/* every recipient refused: the MTA resets the transaction */
		if ((rs = tx_abort(c)) != LD_OK)
			return conn_fail(c, LD_RCPT, rs);
		st->tx++;
		st->tx_norcpt++;
		return LD_TX_NEXT;
	}

	if (!stage_skipped(c, LD_DATA)) {
		kv[0] = (struct ld_kv){ "i", qid };
		macros_put(c, LD_DATA, kv, 1);
		pkt_begin(c, SMFIC_DATA);
		pkt_end(c);
		rs = stage_done(c, LD_DATA, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_DATA, rs);
		if (eff != LD_E_CONTINUE)
			return tx_verdict(c, LD_DATA, eff);
	}

	if (!stage_skipped(c, LD_HEADER)) {
		tr = tx_headers(c, n, fbare, to, &done);
		if (tr != LD_TX_NEXT || done)
			return tr;
	}

	if (!stage_skipped(c, LD_EOH)) {
		macros_put(c, LD_EOH, NULL, 0);
		pkt_begin(c, SMFIC_EOH);
		pkt_end(c);
		rs = stage_done(c, LD_EOH, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_EOH, rs);
		if (eff != LD_E_CONTINUE)
			return tx_verdict(c, LD_EOH, eff);
	}

	if (!stage_skipped(c, LD_BODY)) {
		tr = tx_body(c, &done);
		if (tr != LD_TX_NEXT || done)
			return tr;
	}

	kv[0] = (struct ld_kv){ "i", qid };
	macros_put(c, LD_EOM, kv, 1);
	pkt_begin(c, SMFIC_BODYEOB);
	pkt_end(c);
	rs = stage_done(c, LD_EOM, &eff);
	if (rs != LD_OK)
		return conn_fail(c, LD_EOM, rs);
	if (eff == LD_E_SKIP)
		eff = LD_E_CONTINUE;
	return tx_verdict(c, LD_EOM, eff);
}

/* conn_open - connects to the milter; returns 0, or -1 with errno set */
static int
conn_open(struct ld_conn *c)
{
	struct timeval tv;
	int one, e;

	c->fd = socket(conf.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	tv.tv_sec = conf.timeout_ms / 1000;
	tv.tv_usec = (conf.timeout_ms % 1000) * 1000;
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (conf.family != AF_UNIX) {
		one = 1;
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof one);
	}
	while (connect(c->fd, (struct sockaddr *)&conf.addr,
	    conf.addrlen) != 0) {
		if (errno == EINTR)
			continue;
		e = errno;
		close(c->fd);
		c->fd = -1;
		errno = e;
		return -1;
	}
	return 0;
}

/* conn_reset - returns nothing; closes the session, keeps the buffers */
static void
conn_reset(struct ld_conn *c)
{
	size_t i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < LD_NMSTAGES; i++) {
		free(c->symlist[i]);
		c->symlist[i] = NULL;
	}
	c->roff = 0;
	c->rlen = 0;
	c->wlen = 0;
	c->pflags = 0;
	c->aflags = 0;
	c->version = 0;
}

/* optneg_run - negotiates options; returns an ld_status */
static enum ld_status
optneg_run(struct ld_conn *c)
{
	uint32_t v[3];
	uint64_t t0, now;
	enum ld_status rs;
	char cmd;
	char *data;
	size_t len, off, n;
	uint32_t where;
	struct ld_stats *st;

	st = c->st;
	v[0] = htonl(LD_PROT_VERSION);
	v[1] = htonl((uint32_t)conf.offer_acts);
	v[2] = htonl((uint32_t)conf.offer_prot);
	pkt_begin(c, SMFIC_OPTNEG);
	pkt_add(c, v, sizeof v);
	pkt_end(c);
	st->sent[LD_OPTNEG]++;
	t0 = now_ns();
	rs = conn_flush(c);
	if (rs != LD_OK)
		return rs;
	rs = conn_read(c, t0 + (uint64_t)conf.timeout_ms * 1000000ull, &cmd,
	    &data, &len);
	if (rs != LD_OK)
		return rs;
	now = now_ns();
	if (cmd != SMFIC_OPTNEG || len < MILTER_OPTLEN)
		return conn_proto(c, LD_OPTNEG, "answer '%c' of %zu bytes to "
		    "option negotiation", isprint((unsigned char)cmd) ? cmd :
		    '?', len);
	memcpy(v, data, sizeof v);
	c->version = ntohl(v[0]);
	c->aflags = ntohl(v[1]);
	c->pflags = ntohl(v[2]);
	if (c->version < 2 || c->version > LD_PROT_VERSION)
		return conn_proto(c, LD_OPTNEG, "milter speaks version %u",
		    (unsigned)c->version);
	if ((c->aflags & ~conf.offer_acts) != 0)
		return conn_proto(c, LD_OPTNEG, "actions 0x%lx not offered",
		    c->aflags & ~conf.offer_acts);
	if ((c->pflags & ~(conf.offer_prot | SMFI_INTERNAL)) != 0)
		return conn_proto(c, LD_OPTNEG, "protocol flags 0x%lx not "
		    "offered", c->pflags & ~(conf.offer_prot | SMFI_INTERNAL));
	for (off = MILTER_OPTLEN; off < len; off += n + 1) {
		if (len - off < 5)
			return conn_proto(c, LD_OPTNEG, "truncated macro list");
		memcpy(&where, data + off, 4);
		where = ntohl(where);
		off += 4;
		n = strnlen(data + off, len - off);
		if (n == len - off)
			return conn_proto(c, LD_OPTNEG, "macro list not a "
			    "string");
		if (where >= LD_NMSTAGES)
			return conn_proto(c, LD_OPTNEG, "macro list for "
			    "stage %u", (unsigned)where);
		if ((c->aflags & SMFIF_SETSYMLIST) == 0)
			return conn_proto(c, LD_OPTNEG, "macro list without "
			    "SMFIF_SETSYMLIST");
		free(c->symlist[where]);
		c->symlist[where] = xstrdup(data + off);
	}
	st->reply[LD_OPTNEG][LD_K_OPTIONS]++;
	hist_add(&st->lat[LD_OPTNEG], now - t0);
	if (now - t0 >= LD_SLOW_NS)
		st->slow++;
	if (!st->negotiated) {
		st->negotiated = true;
		st->version = c->version;
		st->aflags = c->aflags;
		st->pflags = c->pflags;
	} else if (st->version != c->version || st->aflags != c->aflags ||
	    st->pflags != c->pflags) {
		st->flags_varied = true;
	}
	return LD_OK;
}

/* session_open - returns LD_TX_NEXT when transactions may follow */
static enum ld_txres
session_open(struct ld_conn *c)
{
	enum ld_status rs;
	enum ld_effect eff;
	struct ld_kv kv[8];
	char abuf[LD_VALLEN], hbuf[LD_VALLEN], host[LD_VALLEN + 4];
	char under[2 * LD_VALLEN + 8], port[16];
	const char *addr, *hostname, *helo;
	char family;
	uint16_t nport;

	rs = optneg_run(c);
	if (rs != LD_OK)
		return conn_fail(c, LD_OPTNEG, rs);

	addr = source_get(&conf.addr_src, c->sno, abuf, sizeof abuf,
	    &hostname);
	family = addr_family(addr);
	if (hostname == NULL) {
		snprintf(host, sizeof host, "[%s]", addr);
		hostname = host;
	}
	nport = (uint16_t)(1024 + c->sno % 64000);
	snprintf(port, sizeof port, "%u", (unsigned)nport);
	if (!stage_skipped(c, LD_CONNECT)) {
		snprintf(under, sizeof under, "%s [%s]", hostname, addr);
		kv[0] = (struct ld_kv){ "j", "mta.milterload.example" };
		kv[1] = (struct ld_kv){ "_", under };
		kv[2] = (struct ld_kv){ "{daemon_name}", "milterload" };
		kv[3] = (struct ld_kv){ "{if_name}", "localhost" };
		kv[4] = (struct ld_kv){ "{if_addr}", "127.0.0.1" };
		kv[5] = (struct ld_kv){ "{client_addr}", addr };
		kv[6] = (struct ld_kv){ "{client_name}", hostname };
		kv[7] = (struct ld_kv){ "{client_port}", port };
		macros_put(c, LD_CONNECT, kv, 8);
		pkt_begin(c, SMFIC_CONNECT);
		pkt_str(c, hostname);
		pkt_add(c, &family, 1);
		if (family != SMFIA_UNKNOWN) {
			nport = htons(nport);
			pkt_add(c, &nport, sizeof nport);
			pkt_str(c, addr);
		}
		pkt_end(c);
		rs = stage_done(c, LD_CONNECT, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_CONNECT, rs);
		if (eff != LD_E_CONTINUE)
			return LD_TX_END;
	}

	if (!stage_skipped(c, LD_HELO)) {
		helo = source_get(&conf.helo_src, c->sno, hbuf, sizeof hbuf,
		    NULL);
		macros_put(c, LD_HELO, NULL, 0);
		pkt_begin(c, SMFIC_HELO);
		pkt_str(c, helo);
		pkt_end(c);
		rs = stage_done(c, LD_HELO, &eff);
		if (rs != LD_OK)
			return conn_fail(c, LD_HELO, rs);
		if (eff != LD_E_CONTINUE)
			return LD_TX_END;
	}
	return LD_TX_NEXT;
}

/* session_run - returns 0, or -1 when no connection could be made */
static int
session_run(struct ld_worker *w, uint64_t sno)
{
	struct ld_conn *c;
	enum ld_txres tr;
	unsigned i;

	c = &w->conn;
	c->st = &w->st;
	c->sno = sno;
	if (conn_open(c) != 0) {
		w->st.connect_errors++;
		problem(sno, "socket", "connect %s: %s", conf.spec,
		    strerror(errno));
		return -1;
	}
	w->st.sessions++;
	tr = session_open(c);
	i = 0;
	if (tr == LD_TX_NEXT) {
		for (i = 0; i < conf.tx && !stopping(); i++) {
			tr = tx_run(c, sno * conf.tx + i);
			if (tr != LD_TX_NEXT) {
				i++;
				break;
			}
		}
	}
	if (tr == LD_TX_END) {
		w->st.sessions_ended++;
		w->st.tx_notrun += conf.tx - i;
	}
	if (tr != LD_TX_FAIL) {
		pkt_begin(c, SMFIC_QUIT);
		pkt_end(c);
		(void)conn_flush(c);
		w->st.sessions_ok++;
	}
	conn_reset(c);
	return 0;
}

/* worker_main - runs sessions until the run ends; returns NULL */
static void *
worker_main(void *arg)
{
	struct ld_worker *w;
	uint64_t sno;
	struct timespec ts;

	w = arg;
	if (conf.stagger_ms > 0 && w->id > 0) {
		uint64_t d = (uint64_t)w->id * conf.stagger_ms * 1000000ull;

		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			continue;
	}
	while (!stopping()) {
		sno = atomic_fetch_add(&g_next_session, 1);
		if (conf.sessions > 0 && sno >= conf.sessions)
			break;
		if (session_run(w, sno) != 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = 10 * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* stats_merge - adds the counters of b to a; returns nothing */
static void
stats_merge(struct ld_stats *a, const struct ld_stats *b)
{
	size_t s, k, i;

	for (s = 0; s < LD_NSTAGES; s++) {
		for (i = 0; i < LD_HIST_N; i++)
			a->lat[s].bucket[i] += b->lat[s].bucket[i];
		a->lat[s].n += b->lat[s].n;
		a->lat[s].sum += b->lat[s].sum;
		if (b->lat[s].max > a->lat[s].max)
			a->lat[s].max = b->lat[s].max;
		for (k = 0; k < LD_NKINDS; k++)
			a->reply[s][k] += b->reply[s][k];
		a->sent[s] += b->sent[s];
	}
	for (i = 0; i < b->ncode; i++)
		code_add(a, b->code[i].stage, b->code[i].key,
		    b->code[i].sample, b->code[i].count);
#define ADD(f)	a->f += b->f
	ADD(sessions);
	ADD(sessions_ok);
	ADD(sessions_ended);
	ADD(noanswer);
	ADD(timeouts);
	ADD(connect_errors);
	ADD(io_errors);
	ADD(proto_errors);
	ADD(slow);
	ADD(tx);
	ADD(tx_delivered);
	ADD(tx_accepted);
	ADD(tx_rejected);
	ADD(tx_tempfailed);
	ADD(tx_discarded);
	ADD(tx_norcpt);
	ADD(tx_notrun);
	ADD(rcpt_ok);
	ADD(rcpt_rejected);
	ADD(rcpt_tempfailed);
#undef ADD
	if (b->negotiated) {
		if (!a->negotiated) {
			a->negotiated = true;
			a->version = b->version;
			a->aflags = b->aflags;
			a->pflags = b->pflags;
		} else if (a->version != b->version || a->aflags != b->aflags ||
		    a->pflags != b->pflags) {
			a->flags_varied = true;
		}
	}
	if (b->flags_varied)
		a->flags_varied = true;
}

/* flag_words - returns the stages flags drop (which 0: steps, 1: replies) */
static const char *
flag_words(unsigned long flags, int which, char *buf, size_t size)
{
	size_t s, o;
	unsigned long f;

	o = 0;
	buf[0] = '\0';
	for (s = 1; s < LD_NSTAGES; s++) {
		f = which == 0 ? ld_stages[s].skip : ld_stages[s].noreply;
		if (f != 0 && (flags & f) != 0 && o < size)
			o += (size_t)snprintf(buf + o, size - o, "%s%s",
			    o > 0 ? " " : "", ld_stages[s].name);
	}
	if (o == 0)
		snprintf(buf, size, "none");
	return buf;
}

/* json_str - prints s as a JSON string; returns nothing */
static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* report_json - prints the results as one JSON line; returns nothing */
static void
report_json(const struct ld_stats *t, double elapsed)
{
	size_t s, k, i;
	bool first, any;

	printf("{\"socket\":");
	json_str(stdout, conf.spec);
	printf(",\"conns\":%u,\"tx_per_session\":%u,\"rcpts\":%u,"
	    "\"headers\":%u,\"body\":%zu,\"elapsed_s\":%.3f,"
	    "\"tx\":%" PRIu64 ",\"tx_per_s\":%.1f,\"sessions\":%" PRIu64,
	    conf.conns, conf.tx, conf.rcpts, conf.hdrs, conf.body, elapsed,
	    t->tx, elapsed > 0 ? (double)t->tx / elapsed : 0.0, t->sessions);
	printf(",\"sessions_failed\":%" PRIu64
	    ",\"sessions_ended_by_milter\":%" PRIu64
	    ",\"noanswer\":%" PRIu64 ",\"timeouts\":%" PRIu64
	    ",\"connect_errors\":%" PRIu64 ",\"io_errors\":%" PRIu64
	    ",\"protocol_errors\":%" PRIu64 ",\"slow_replies\":%" PRIu64,
	    t->sessions - t->sessions_ok, t->sessions_ended, t->noanswer,
	    t->timeouts, t->connect_errors, t->io_errors, t->proto_errors,
	    t->slow);
	printf(",\"tx_delivered\":%" PRIu64 ",\"tx_accepted_early\":%" PRIu64
	    ",\"tx_rejected\":%" PRIu64 ",\"tx_tempfailed\":%" PRIu64
	    ",\"tx_discarded\":%" PRIu64 ",\"tx_norcpt\":%" PRIu64
	    ",\"tx_not_run\":%" PRIu64 ",\"rcpt_accepted\":%" PRIu64
	    ",\"rcpt_rejected\":%" PRIu64 ",\"rcpt_tempfailed\":%" PRIu64,
	    t->tx_delivered, t->tx_accepted, t->tx_rejected,
	    t->tx_tempfailed, t->tx_discarded, t->tx_norcpt, t->tx_notrun,
	    t->rcpt_ok, t->rcpt_rejected, t->rcpt_tempfailed);
	printf(",\"milter_version\":%u,\"milter_actions\":\"0x%lx\","
	    "\"milter_flags\":\"0x%lx\",\"milter_flags_varied\":%s",
	    (unsigned)t->version, t->aflags, t->pflags,
	    t->flags_varied ? "true" : "false");
	printf(",\"lat_us\":{");
	first = true;
	for (s = 0; s < LD_NSTAGES; s++) {
		if (t->lat[s].n == 0)
			continue;
		printf("%s\"%s\":{\"n\":%" PRIu64 ",\"p50\":%.1f,\"p99\":%.1f,"
		    "\"max\":%.1f,\"mean\":%.1f}", first ? "" : ",",
		    ld_stages[s].name, t->lat[s].n,
		    (double)hist_pct(&t->lat[s], 0.50) / 1e3,
		    (double)hist_pct(&t->lat[s], 0.99) / 1e3,
		    (double)t->lat[s].max / 1e3,
		    (double)t->lat[s].sum / (double)t->lat[s].n / 1e3);
		first = false;
	}
	printf("},\"replies\":{");
	first = true;
	for (s = 0; s < LD_NSTAGES; s++) {
		any = false;
		for (k = 0; k < LD_NKINDS; k++) {
			if (t->reply[s][k] == 0)
				continue;
			if (!any)
				printf("%s\"%s\":{", first ? "" : ",",
				    ld_stages[s].name);
			printf("%s\"%s\":%" PRIu64, any ? "," : "",
			    ld_kind_names[k], t->reply[s][k]);
			any = true;
			first = false;
		}
		if (any)
			printf("}");
	}
	printf("}");
	printf(",\"codes\":[");
	for (i = 0; i < t->ncode; i++) {
		printf("%s{\"stage\":\"%s\",\"code\":", i > 0 ? "," : "",
		    ld_stages[t->code[i].stage].name);
		json_str(stdout, t->code[i].key);
		printf(",\"count\":%" PRIu64 ",\"text\":", t->code[i].count);
		json_str(stdout, t->code[i].sample);
		printf("}");
	}
	printf("]}\n");
}

/* code_cmp - returns the order of two reply codes: by stage, then code */
static int
code_cmp(const void *a, const void *b)
{
	const struct ld_code *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* report_text - prints the results for people; returns nothing */
static void
report_text(const struct ld_stats *t, double elapsed)
{
	size_t s, k, i;
	bool any;
	char w1[128], w2[128];

	printf("milterload: %s, %u connection%s, %u transaction%s a session, "
	    "%u recipient%s, %u header%s, %zu body bytes\n", conf.spec,
	    conf.conns, conf.conns == 1 ? "" : "s", conf.tx,
	    conf.tx == 1 ? "" : "s", conf.rcpts, conf.rcpts == 1 ? "" : "s",
	    conf.hdrs, conf.hdrs == 1 ? "" : "s", conf.body);
	if (t->negotiated)
		printf("milter: protocol version %u, actions 0x%lx, flags 0x%lx"
		    "%s; steps not wanted: %s; no reply for: %s\n",
		    (unsigned)t->version, t->aflags, t->pflags,
		    t->flags_varied ? " (varied between sessions)" : "",
		    flag_words(t->pflags, 0, w1, sizeof w1),
		    flag_words(t->pflags, 1, w2, sizeof w2));
	printf("elapsed %.3f s: %" PRIu64 " transactions, %.1f/s; %" PRIu64
	    " sessions, %" PRIu64 " ended by the milter, %" PRIu64 " failed\n",
	    elapsed, t->tx, elapsed > 0 ? (double)t->tx / elapsed : 0.0,
	    t->sessions, t->sessions_ended, t->sessions - t->sessions_ok);
	printf("transactions: delivered %" PRIu64 ", accepted early %" PRIu64
	    ", rejected %" PRIu64 ", tempfailed %" PRIu64 ", discarded %"
	    PRIu64 ", no recipient left %" PRIu64 ", not run %" PRIu64 "\n",
	    t->tx_delivered, t->tx_accepted, t->tx_rejected,
	    t->tx_tempfailed, t->tx_discarded, t->tx_norcpt, t->tx_notrun);
	printf("recipients: accepted %" PRIu64 ", rejected %" PRIu64
	    ", tempfailed %" PRIu64 "\n", t->rcpt_ok, t->rcpt_rejected,
	    t->rcpt_tempfailed);
	printf("problems: no answer %" PRIu64 ", timeouts %" PRIu64
	    ", connect errors %" PRIu64 ", I/O errors %" PRIu64
	    ", protocol errors %" PRIu64 ", replies over 1 s %" PRIu64 "\n",
	    t->noanswer, t->timeouts, t->connect_errors, t->io_errors,
	    t->proto_errors, t->slow);

	printf("\n%-8s %10s %10s %9s %9s %9s %9s\n", "stage", "sent",
	    "replies", "p50 ms", "p99 ms", "max ms", "mean ms");
	for (s = 0; s < LD_NSTAGES; s++) {
		if (t->sent[s] == 0)
			continue;
		printf("%-8s %10" PRIu64 " %10" PRIu64, ld_stages[s].name,
		    t->sent[s], t->lat[s].n);
		if (t->lat[s].n > 0)
			printf(" %9.3f %9.3f %9.3f %9.3f\n",
			    (double)hist_pct(&t->lat[s], 0.50) / 1e6,
			    (double)hist_pct(&t->lat[s], 0.99) / 1e6,
			    (double)t->lat[s].max / 1e6,
			    (double)t->lat[s].sum / (double)t->lat[s].n / 1e6);
		else
			printf(" %9s %9s %9s %9s\n", "-", "-", "-", "-");
	}

	printf("\nreplies:\n");
	for (s = 0; s < LD_NSTAGES; s++) {
		any = false;
		for (k = 0; k < LD_NKINDS; k++) {
			if (t->reply[s][k] == 0)
				continue;
			printf("%s%s %" PRIu64, any ? ", " : "  ",
			    ld_kind_names[k], t->reply[s][k]);
			if (!any)
				any = true;
		}
		if (any)
			printf("  (%s)\n", ld_stages[s].name);
	}
	if (t->ncode > 0) {
		printf("\nreply codes:\n");
		for (i = 0; i < t->ncode; i++)
			printf("  %-8s %-12s %10" PRIu64 "  %s\n",
			    ld_stages[t->code[i].stage].name, t->code[i].key,
			    t->code[i].count, t->code[i].sample);
	}
}

/* usage - prints the synopsis and exits with status 2; returns never */
static void
usage(void)
{
	fputs(
"usage: milterload -s SOCKET [-c conns] [-t tx] [-n sessions] [-d secs]\n"
"           [-r rcpts] [-H headers] [-b bytes] [-C chunk] [-T secs] [-S ms]\n"
"           [-A file | -a tpl] [-E file | -e tpl] [-F file | -f tpl]\n"
"           [-R file | -u tpl] [-K file | -k tpl] [-M [stage:]name=value]\n"
"           [-P hex] [-X hex] [-j] [-v]\n"
"  -s SOCKET  unix:/path, local:/path, /path, inet:PORT[@HOST],\n"
"             inet6:PORT[@HOST]\n"
"  -c N       concurrent connections, one thread each (1)\n"
"  -t M       transactions per session, i.e. per connection (10)\n"
"  -n N       stop after N sessions in all (no limit)\n"
"  -d SECS    start no transaction after SECS seconds (10, none with -n)\n"
"  -r K       recipients per transaction (5)\n"
"  -H H       headers per message (5)\n"
"  -b BYTES   body size (1024)\n"
"  -C BYTES   body chunk size, at most 65535 (65535)\n"
"  -T SECS    reply timeout (10)\n"
"  -S MS      stagger connection starts by MS milliseconds each (1)\n"
"  -A FILE    client addresses, 'ADDR [HOSTNAME]' a line, one per session\n"
"  -a TPL     client address template (192.0.2.%o); 'unknown' for none\n"
"  -E FILE    HELO names, one per session\n"
"  -e TPL     HELO template (client%n.milterload.example)\n"
"  -F FILE    senders, one per transaction ('<>' is the null sender)\n"
"  -f TPL     sender template (sender%n@milterload.example)\n"
"  -R FILE    recipients, one per recipient\n"
"  -u TPL     recipient template (rcpt%n@milterload.example)\n"
"  -K FILE    {auth_authen} values, one per transaction ('-': none)\n"
"  -k TPL     {auth_authen} template for every transaction (none)\n"
"  -M SPEC    set macro NAME at STAGE (connect helo mail rcpt data eoh\n"
"             eom); without STAGE it overrides a built-in macro such as\n"
"             j, {daemon_name}, {if_addr}, or is sent at connect\n"
"  -P HEX     protocol flags offered (0x1fffff, SMFI_CURR_PROT)\n"
"  -X HEX     actions offered (0x1ff, SMFI_CURR_ACTS)\n"
"  -j         print one line of JSON instead of the report\n"
"  -v         print every problem (default: the first 10)\n"
"Templates: %n counter, %o counter mod 256, %O counter/256 mod 256,\n"
"%x counter mod 65536 in hex, %% a percent sign.  The counter is the\n"
"session number for addresses and HELO, the transaction number for\n"
"senders and {auth_authen}, the recipient number for recipients; files\n"
"are cycled with the same numbers.\n"
"Exit: 0 clean, 1 protocol errors, 2 usage, 3 connect/IO/timeout failures.\n",
	    stderr);
	exit(2);
}

/* parse_num - returns arg as a number in [min, max]; exits if it is not */
static unsigned long long
parse_num(const char *arg, int base, unsigned long long min,
    unsigned long long max, int opt)
{
	unsigned long long v;
	char *e;

	errno = 0;
	if (!isdigit((unsigned char)arg[0]))
		fatal("-%c: not a number: %s", opt, arg);
	v = strtoull(arg, &e, base);
	if (errno != 0 || *e != '\0')
		fatal("-%c: not a number: %s", opt, arg);
	if (v < min || v > max)
		fatal("-%c: %s is not within %llu..%llu", opt, arg, min, max);
	return v;
}

/* parse_socket - returns nothing; sets the milter address, exits if bad */
static void
parse_socket(const char *spec)
{
	struct sockaddr_un *un;
	struct addrinfo hints, *res;
	const char *path, *at;
	char port[16], host[256];
	size_t n;
	int r;

	path = NULL;
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	else if (spec[0] == '/')
		path = spec;
	if (path != NULL) {
		un = (struct sockaddr_un *)&conf.addr;
		if (strlen(path) == 0 || strlen(path) >= sizeof un->sun_path)
			fatal("bad socket path: %s", spec);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		conf.family = AF_UNIX;
		conf.addrlen = sizeof *un;
		return;
	}
	memset(&hints, 0, sizeof hints);
	if (strncmp(spec, "inet:", 5) == 0) {
		hints.ai_family = AF_INET;
		spec += 5;
		snprintf(host, sizeof host, "127.0.0.1");
	} else if (strncmp(spec, "inet6:", 6) == 0) {
		hints.ai_family = AF_INET6;
		spec += 6;
		snprintf(host, sizeof host, "::1");
	} else {
		fatal("bad socket: %s (unix:/path or inet:port@host)", spec);
	}
	at = strchr(spec, '@');
	n = at != NULL ? (size_t)(at - spec) : strlen(spec);
	if (n == 0 || n >= sizeof port)
		fatal("bad port in socket: %s", spec);
	memcpy(port, spec, n);
	port[n] = '\0';
	if (at != NULL) {
		at++;
		if (at[0] == '[')
			at++;
		n = strcspn(at, "]");
		if (n == 0 || n >= sizeof host)
			fatal("bad host in socket: %s", spec);
		memcpy(host, at, n);
		host[n] = '\0';
	}
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		fatal("%s: %s", spec, gai_strerror(r));
	memcpy(&conf.addr, res->ai_addr, res->ai_addrlen);
	conf.addrlen = res->ai_addrlen;
	conf.family = res->ai_family;
	freeaddrinfo(res);
}

/* stage_byname - returns the macro-carrying stage called name, or -1 */
static int
stage_byname(const char *name, size_t len)
{
	int s;

	for (s = LD_CONNECT; s < LD_NSTAGES; s++) {
		if (ld_stages[s].mstage >= 0 &&
		    strlen(ld_stages[s].name) == len &&
		    memcmp(ld_stages[s].name, name, len) == 0)
			return s;
	}
	return -1;
}

/* parse_macro - returns nothing; adds a -M setting, exits if it is bad */
static void
parse_macro(const char *arg)
{
	const char *eq, *colon, *name;
	struct ld_macro *m;
	size_t n, i;
	int stage;

	eq = strchr(arg, '=');
	if (eq == NULL || eq == arg)
		fatal("-M %s: want [stage:]name=value", arg);
	colon = memchr(arg, ':', (size_t)(eq - arg));
	stage = -1;
	name = arg;
	if (colon != NULL) {
		stage = stage_byname(arg, (size_t)(colon - arg));
		if (stage < 0)
			fatal("-M %s: unknown stage", arg);
		name = colon + 1;
	}
	n = (size_t)(eq - name);
	if (n == 0 || (n > 1 && name[0] != '{' && memchr(name, '{', n)))
		fatal("-M %s: bad macro name", arg);
	conf.macro = xrealloc(conf.macro,
	    (conf.nmacro + 1) * sizeof *conf.macro);
	m = &conf.macro[conf.nmacro++];
	m->name = xrealloc(NULL, n + 3);
	if (n > 1 && name[0] != '{')
		snprintf(m->name, n + 3, "{%.*s}", (int)n, name);
	else
		snprintf(m->name, n + 3, "%.*s", (int)n, name);
	m->value = xstrdup(eq + 1);
	m->stage = stage;
	if (stage == -1) {
		for (i = 0; i < sizeof ld_builtin / sizeof ld_builtin[0]; i++)
			if (macro_same(ld_builtin[i].name,
			    strlen(ld_builtin[i].name), m->name,
			    strlen(m->name)))
				break;
		if (i == sizeof ld_builtin / sizeof ld_builtin[0])
			m->stage = LD_CONNECT;
	}
}

/* check_source - returns nothing; exits unless src gives good values */
static void
check_source(const struct ld_source *src, const char *what, bool address)
{
	static const uint64_t probe[] = { 0, 1, 255, 256, 65535, 65536,
	    UINT64_MAX };
	char buf[LD_VALLEN];
	size_t i;

	if (src->line != NULL) {
		for (i = 0; address && i < src->n; i++)
			if (addr_family(src->line[i]) == 0)
				fatal("%s: not an address: %s", what,
				    src->line[i]);
		return;
	}
	for (i = 0; i < sizeof probe / sizeof probe[0]; i++) {
		if (!tpl_expand(src->tpl, probe[i], buf, sizeof buf - 2))
			fatal("%s template %s: bad %% sequence or too long",
			    what, src->tpl);
		if (address && addr_family(buf) == 0)
			fatal("%s template %s makes %s: not an address", what,
			    src->tpl, buf);
	}
}

/* body_make - returns a body of n bytes in CRLF lines */
static char *
body_make(size_t n)
{
	char *b;
	size_t i, col;

	b = xrealloc(NULL, n + 1);
	col = 0;
	for (i = 0; i < n; i++) {
		if (col == 76) {
			b[i] = '\r';
			col++;
		} else if (col == 77) {
			b[i] = '\n';
			col = 0;
		} else {
			b[i] = (char)('a' + (i + i / 78) % 26);
			col++;
		}
	}
	if (n >= 2) {
		b[n - 2] = '\r';
		b[n - 1] = '\n';
	}
	b[n] = '\0';
	return b;
}

/* main - returns the exit status of the run */
int
main(int argc, char **argv)
{
	struct ld_worker *w;
	struct ld_stats *total;
	struct sigaction sa;
	pthread_attr_t attr;
	uint64_t start;
	double elapsed;
	unsigned i;
	size_t j;
	int ch, r, rc;
	bool dset;

	conf.conns = 1;
	conf.tx = 10;
	conf.rcpts = 5;
	conf.hdrs = 5;
	conf.body = 1024;
	conf.chunk = MILTER_CHUNK_SIZE;
	conf.duration = 10;
	conf.timeout_ms = 10000;
	conf.stagger_ms = 1;
	conf.offer_prot = SMFI_CURR_PROT;
	conf.offer_acts = SMFI_CURR_ACTS;
	conf.addr_src.tpl = "192.0.2.%o";
	conf.helo_src.tpl = "client%n.milterload.example";
	conf.from_src.tpl = "sender%n@milterload.example";
	conf.rcpt_src.tpl = "rcpt%n@milterload.example";
	dset = false;

	while ((ch = getopt(argc, argv,
	    "s:c:t:n:d:r:H:b:C:T:S:A:a:E:e:F:f:R:u:K:k:M:P:X:jvh")) != -1) {
		switch (ch) {
		case 's':
			conf.spec = optarg;
			break;
		case 'c':
			conf.conns = (unsigned)parse_num(optarg, 10, 1, 10000,
			    ch);
			break;
		case 't':
			conf.tx = (unsigned)parse_num(optarg, 10, 1, 1000000,
			    ch);
			break;
		case 'n':
			conf.sessions = parse_num(optarg, 10, 1,
			    UINT64_MAX / 2, ch);
			break;
		case 'd': {
			char *e;

			errno = 0;
			conf.duration = strtod(optarg, &e);
			if (errno != 0 || *e != '\0' || !(conf.duration > 0) ||
			    conf.duration > 1e6)
				fatal("-d: not a duration: %s", optarg);
			dset = true;
			break;
		}
		case 'r':
			conf.rcpts = (unsigned)parse_num(optarg, 10, 1, 10000,
			    ch);
			break;
		case 'H':
			conf.hdrs = (unsigned)parse_num(optarg, 10, 0, 10000,
			    ch);
			break;
		case 'b':
			conf.body = (size_t)parse_num(optarg, 10, 0,
			    1024ull * 1024 * 1024, ch);
			break;
		case 'C':
			conf.chunk = (size_t)parse_num(optarg, 10, 1,
			    MILTER_CHUNK_SIZE, ch);
			break;
		case 'T':
			conf.timeout_ms = (int)parse_num(optarg, 10, 1, 3600,
			    ch) * 1000;
			break;
		case 'S':
			conf.stagger_ms = (unsigned)parse_num(optarg, 10, 0,
			    10000, ch);
			break;
		case 'A':
			source_free(&conf.addr_src);
			source_load(&conf.addr_src, optarg, true);
			break;
		case 'a':
			source_free(&conf.addr_src);
			conf.addr_src.tpl = optarg;
			break;
		case 'E':
			source_free(&conf.helo_src);
			source_load(&conf.helo_src, optarg, false);
			break;
		case 'e':
			source_free(&conf.helo_src);
			conf.helo_src.tpl = optarg;
			break;
		case 'F':
			source_free(&conf.from_src);
			source_load(&conf.from_src, optarg, false);
			break;
		case 'f':
			source_free(&conf.from_src);
			conf.from_src.tpl = optarg;
			break;
		case 'R':
			source_free(&conf.rcpt_src);
			source_load(&conf.rcpt_src, optarg, false);
			break;
		case 'u':
			source_free(&conf.rcpt_src);
			conf.rcpt_src.tpl = optarg;
			break;
		case 'K':
			source_free(&conf.auth_src);
			source_load(&conf.auth_src, optarg, false);
			conf.auth = true;
			break;
		case 'k':
			source_free(&conf.auth_src);
			conf.auth_src.tpl = optarg;
			conf.auth = true;
			break;
		case 'M':
			parse_macro(optarg);
			break;
		case 'P':
			conf.offer_prot = (unsigned long)parse_num(optarg, 0, 0,
			    0xffffffffull, ch);
			break;
		case 'X':
			conf.offer_acts = (unsigned long)parse_num(optarg, 0, 0,
			    0xffffffffull, ch);
			break;
		case 'j':
			conf.json = true;
			break;
		case 'v':
			conf.verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || conf.spec == NULL)
		usage();
	if (conf.sessions > 0 && !dset)
		conf.duration = 0;
	parse_socket(conf.spec);
	check_source(&conf.addr_src, "client address", true);
	check_source(&conf.helo_src, "HELO", false);
	check_source(&conf.from_src, "sender", false);
	check_source(&conf.rcpt_src, "recipient", false);
	if (conf.auth)
		check_source(&conf.auth_src, "auth", false);
	conf.bodybuf = body_make(conf.body);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	w = calloc(conf.conns, sizeof *w);
	total = calloc(1, sizeof *total);
	if (w == NULL || total == NULL)
		fatal("out of memory");
	start = now_ns();
	g_deadline = conf.duration > 0 ?
	    start + (uint64_t)(conf.duration * 1e9) : UINT64_MAX;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < conf.conns; i++) {
		w[i].id = i;
		w[i].conn.fd = -1;
		r = pthread_create(&w[i].tid, &attr, worker_main, &w[i]);
		if (r != 0)
			fatal("thread %u: %s", i, strerror(r));
	}
	pthread_attr_destroy(&attr);
	for (i = 0; i < conf.conns; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = (double)(now_ns() - start) / 1e9;

	for (i = 0; i < conf.conns; i++)
		stats_merge(total, &w[i].st);
	if (total->ncode > 1)
		qsort(total->code, total->ncode, sizeof *total->code, code_cmp);
	if (conf.json)
		report_json(total, elapsed);
	else
		report_text(total, elapsed);
	fflush(stdout);

	if (total->proto_errors > 0)
		rc = 1;
	else if (total->noanswer + total->timeouts + total->connect_errors +
	    total->io_errors > 0)
		rc = 3;
	else
		rc = 0;

	for (i = 0; i < conf.conns; i++) {
		conn_reset(&w[i].conn);
		free(w[i].conn.rbuf);
		free(w[i].conn.wbuf);
		free(w[i].st.code);
	}
	free(w);
	free(total->code);
	free(total);
	for (j = 0; j < conf.nmacro; j++) {
		free(conf.macro[j].name);
		free(conf.macro[j].value);
	}
	free(conf.macro);
	source_free(&conf.addr_src);
	source_free(&conf.helo_src);
	source_free(&conf.from_src);
	source_free(&conf.rcpt_src);
	source_free(&conf.auth_src);
	free(conf.bodybuf);
	return rc;
}
