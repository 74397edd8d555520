/*
 * nullmilter - the fastest libmilter milter: the baseline for benchmarks.
 *
 * What it is for: the cost of libmilter itself.  It registers a callback
 * for every stage (connect, HELO, MAIL, RCPT, DATA, unknown command,
 * header, end of headers, body, end of message, abort, close) and one for
 * option negotiation that takes everything the MTA offers, so the MTA
 * sends every step and waits for every reply, as it does for a full policy
 * milter; every callback answers SMFIS_CONTINUE and keeps no state.
 *
 * How to use it: nullmilter -p SOCKET [-b backlog] [-T timeout] [-D level]
 * with SOCKET as libmilter takes it (unix:/path, inet:port@host).  It runs
 * in the foreground until SIGTERM, SIGINT or SIGHUP, which libmilter's own
 * signal thread turns into smfi_stop(); it then removes its unix socket
 * (libmilter leaves it behind) and exits 0.  libmilter's listener notices
 * the stop only at its next poll timeout, so the exit takes up to ~5 s.
 *
 * Exit status: 0 after a signal, 1 when libmilter fails, 2 on a usage
 * error.
 */

#define _POSIX_C_SOURCE 200809L

#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* null_negotiate - returns SMFIS_ALL_OPTS: everything offered is taken */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f1;
	(void)f2;
	(void)f3;
	(void)pf0;
	(void)pf1;
	(void)pf2;
	(void)pf3;
	return SMFIS_ALL_OPTS;
}

/* null_connect - returns SMFIS_CONTINUE */
static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	(void)ctx;
	(void)host;
	(void)addr;
	return SMFIS_CONTINUE;
}

/* null_helo - returns SMFIS_CONTINUE */
static sfsistat
null_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

/* null_envfrom - returns SMFIS_CONTINUE */
static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* null_envrcpt - returns SMFIS_CONTINUE */
static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

/* null_data - returns SMFIS_CONTINUE */
static sfsistat
null_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* null_unknown - returns SMFIS_CONTINUE */
static sfsistat
null_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* null_header - returns SMFIS_CONTINUE */
static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

/* null_eoh - returns SMFIS_CONTINUE */
static sfsistat
null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* null_body - returns SMFIS_CONTINUE */
static sfsistat
null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

/* null_eom - returns SMFIS_CONTINUE */
static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* null_abort - returns SMFIS_CONTINUE */
static sfsistat
null_abort(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

/* null_close - returns SMFIS_CONTINUE */
static sfsistat
null_close(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	.xxfi_name = "nullmilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_NONE,	/* null_negotiate takes what is offered */
	.xxfi_connect = null_connect,
	.xxfi_helo = null_helo,
	.xxfi_envfrom = null_envfrom,
	.xxfi_envrcpt = null_envrcpt,
	.xxfi_header = null_header,
	.xxfi_eoh = null_eoh,
	.xxfi_body = null_body,
	.xxfi_eom = null_eom,
	.xxfi_abort = null_abort,
	.xxfi_close = null_close,
	.xxfi_unknown = null_unknown,
	.xxfi_data = null_data,
	.xxfi_negotiate = null_negotiate,
};

/* socket_path - returns the file of a unix socket spec, or NULL */
static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* usage - prints the synopsis and exits with status 2; returns never */
static void
usage(void)
{
	fputs("usage: nullmilter -p SOCKET [-b backlog] [-T timeout] "
	    "[-D level]\n", stderr);
	exit(2);
}

/* number - returns arg as a positive int; exits when it is not one */
static int
number(const char *arg, int opt)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(arg, &e, 10);
	if (errno != 0 || *e != '\0' || e == arg || v < 0 || v > 1000000) {
		fprintf(stderr, "nullmilter: -%c: not a number: %s\n", opt,
		    arg);
		exit(2);
	}
	return (int)v;
}

/* main - returns the exit status of the run */
int
main(int argc, char **argv)
{
	const char *sock, *path;
	int ch, backlog, timeout, debug;

	sock = NULL;
	backlog = -1;
	timeout = -1;
	debug = 0;
	while ((ch = getopt(argc, argv, "p:b:T:D:h")) != -1) {
		switch (ch) {
		case 'p':
			sock = optarg;
			break;
		case 'b':
			backlog = number(optarg, ch);
			break;
		case 'T':
			timeout = number(optarg, ch);
			break;
		case 'D':
			debug = number(optarg, ch);
			break;
		default:
			usage();
		}
	}
	if (sock == NULL || optind != argc)
		usage();
	umask(0077);
	if (smfi_setconn((char *)sock) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: bad socket %s\n", sock);
		return 2;
	}
	if (backlog > 0 && smfi_setbacklog(backlog) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: bad backlog %d\n", backlog);
		return 2;
	}
	if (timeout >= 0 && smfi_settimeout(timeout) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: bad timeout %d\n", timeout);
		return 2;
	}
	if (debug > 0)
		(void)smfi_setdbg(debug);
	if (smfi_register(null_desc) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: smfi_register failed\n");
		return 1;
	}
	if (smfi_opensocket(true) == MI_FAILURE) {
		fprintf(stderr, "nullmilter: cannot open %s\n", sock);
		return 1;
	}
	if (smfi_main() == MI_FAILURE) {
		fprintf(stderr, "nullmilter: smfi_main failed\n");
		return 1;
	}
	path = socket_path(sock);
	if (path != NULL && unlink(path) != 0 && errno != ENOENT)
		fprintf(stderr, "nullmilter: unlink %s: %s\n", path,
		    strerror(errno));
	return 0;
}
