/*
 * holdconns - hold many milter sessions open at once, for
 * tests/faults/conns.sh.
 *
 * Usage: holdconns SOCKET N
 *   Opens N connections to the milter's unix socket (1 ms apart), and on
 *   each negotiates (protocol 6) and sends SMFIC_CONNECT for client
 *   192.0.2.10, expecting SMFIR_CONTINUE.  With all N sessions open and
 *   answered it prints "held N" and waits until its standard input is
 *   closed (or gives a line).  Then on each it sends MAIL FROM
 *   <blocked@example.net>, which the test's policy refuses, expects a
 *   SMFIR_REPLYCODE, sends SMFIC_QUIT and closes.  It prints "done OK
 *   FAILED" and the first problems on stderr.
 * Exit status: 0 when all N sessions went as expected, 1 when any failed,
 * 2 on a usage error.  Each read waits at most 30 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SMFIP_NOCONNECT	0x00000001
#define SMFIP_NOMAIL	0x00000004
#define SMFIP_NR_CONN	0x00001000
#define SMFIP_NR_MAIL	0x00004000

static unsigned problems;

/* problem - returns nothing; prints the first 10 problems */
static void
problem(unsigned i, const char *what)
{
	if (problems++ < 10)
		fprintf(stderr, "holdconns: session %u: %s\n", i, what);
}

/* put - writes a packet; returns 0, or -1 */
static int
put(int fd, char cmd, const void *data, size_t n)
{
	char buf[512];
	uint32_t be = htonl((uint32_t)(n + 1));

	if (n + 5 > sizeof(buf))
		return -1;
	memcpy(buf, &be, 4);
	buf[4] = cmd;
	memcpy(buf + 5, data, n);
	return send(fd, buf, n + 5, MSG_NOSIGNAL) == (ssize_t)(n + 5) ? 0 : -1;
}

/* get - reads n bytes; returns 0, or -1 on error, timeout or close */
static int
get(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* reply - reads one reply packet; returns its command byte, or -1; its
 * data (at most size bytes kept) goes to data when not NULL */
static int
reply(int fd, char *data, size_t size)
{
	uint32_t be, len;
	char cmd, skip[256];

	if (get(fd, &be, 4) != 0)
		return -1;
	len = ntohl(be);
	if (len < 1 || len > 65536 || get(fd, &cmd, 1) != 0)
		return -1;
	len--;
	while (len > 0) {
		size_t k = len < sizeof(skip) ? len : sizeof(skip);
		if (get(fd, skip, k) != 0)
			return -1;
		if (data != NULL && size > 0) {
			size_t c = k < size ? k : size;
			memcpy(data, skip, c);
			data += c;
			size -= c;
		}
		len -= (uint32_t)k;
	}
	return (unsigned char)cmd;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct timeval tv = { .tv_sec = 30 };
	static const char conn[] = "client.example.net\0" "4\0\0" "192.0.2.10";
	static const char mail[] = "<blocked@example.net>";
	unsigned n, i, ok = 0;
	int *fds;
	char line[16];

	if (argc != 3 || (n = (unsigned)strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: holdconns SOCKET N\n");
		return 2;
	}
	fds = calloc(n, sizeof(*fds));
	if (fds == NULL)
		return 2;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, argv[1]);

	for (i = 0; i < n; i++) {
		uint32_t d[3] = { htonl(6), htonl(0x1ff), htonl(0x1fffff) };
		struct timespec ms = { 0, 1000000 };

		fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) != 0) {
			problem(i, strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			fds[i] = -1;
			continue;
		}
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (put(fds[i], 'O', d, sizeof(d)) != 0) {
			problem(i, "cannot send the negotiation");
			close(fds[i]);
			fds[i] = -1;
		}
		nanosleep(&ms, NULL);
	}
	/* The negotiation replies, then connect on every session. */
	for (i = 0; i < n; i++) {
		char neg[12];
		uint32_t pflags;

		if (fds[i] < 0)
			continue;
		memset(neg, 0, sizeof(neg));
		if (reply(fds[i], neg, sizeof(neg)) != 'O') {
			problem(i, "no negotiation reply");
			goto drop;
		}
		memcpy(&pflags, neg + 8, 4);
		pflags = ntohl(pflags);
		if (pflags & (SMFIP_NOCONNECT | SMFIP_NOMAIL | SMFIP_NR_CONN |
		    SMFIP_NR_MAIL)) {
			problem(i, "the milter negotiated connect or MAIL away");
			goto drop;
		}
		/* The port field: "4", a 2-byte port, the address. */
		if (put(fds[i], 'C', conn, sizeof(conn)) != 0) {
			problem(i, "cannot send connect");
			goto drop;
		}
		continue;
drop:
		close(fds[i]);
		fds[i] = -1;
	}
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (reply(fds[i], NULL, 0) != 'c') {
			problem(i, "connect: no SMFIR_CONTINUE");
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (i = 0, ok = 0; i < n; i++)
		ok += fds[i] >= 0;
	printf("held %u\n", ok);
	fflush(stdout);
	(void)fgets(line, sizeof(line), stdin);

	ok = 0;
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (put(fds[i], 'M', mail, sizeof(mail)) != 0)
			problem(i, "cannot send MAIL");
	}
	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (reply(fds[i], NULL, 0) == 'y')
			ok++;
		else
			problem(i, "MAIL: no SMFIR_REPLYCODE");
		(void)put(fds[i], 'Q', "", 0);
		close(fds[i]);
	}
	printf("done %u %u\n", ok, n - ok);
	free(fds);
	return ok == n ? 0 : 1;
}
