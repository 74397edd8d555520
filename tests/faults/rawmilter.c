/*
 * rawmilter - malformed milter packets for tests/faults/raw.sh: connects to
 * a milter's unix socket, sends one kind of bad input, and says what the
 * milter did with the connection.
 *
 * Usage: rawmilter SOCKET CASE
 *   CASE is one of the names in cases[] below.  Prints one line
 *   "CASE: closed" (the milter closed the connection or reset it within
 *   5 s), "CASE: open" (it did not: case stall), or "CASE: sent-and-closed" for the
 *   cases where this program closes first (a truncated frame); any bytes
 *   the milter sent first are counted ("closed after N bytes").
 * Exit status: 0 when the line was printed, 2 on a usage or connect error.
 *
 * A milter packet is a 4-byte big-endian length (of what follows: the
 * command byte and its data), a command byte and the data, as
 * <libmilter/mfdef.h> defines them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RAW_WAIT_MS 5000

static int fd = -1;

/* put - writes n bytes; returns 0, or -1 when the peer has gone */
static int
put(const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* packet - sends a packet with a length field of len (not checked against
 * the data: that is the point); returns put's result */
static int
packet(uint32_t len, char cmd, const void *data, size_t n)
{
	uint32_t be = htonl(len);

	if (put(&be, 4) != 0 || put(&cmd, 1) != 0)
		return -1;
	return n > 0 ? put(data, n) : 0;
}

/* optneg - sends a valid option negotiation (version 6, every action and
 * protocol flag); returns put's result */
static int
optneg(void)
{
	uint32_t d[3] = { htonl(6), htonl(0x1ff), htonl(0x1fffff) };

	return packet(1 + sizeof(d), 'O', d, sizeof(d));
}

/* outcome - returns how the milter treats the connection: the number of
 * bytes it sent before closing (>= 0), or -1 when it kept it open */
static long
outcome(void)
{
	char buf[4096];
	long got = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long el;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= RAW_WAIT_MS)
			return -1;
		if (poll(&pfd, 1, (int)(RAW_WAIT_MS - el)) <= 0)
			continue;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return got;
		if (r > 0)
			got += r;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	const char *c;
	int we_close = 0;
	static char big[1 << 20];

	if (argc != 3) {
		fprintf(stderr, "usage: rawmilter SOCKET CASE\n");
		return 2;
	}
	c = argv[2];
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "rawmilter: socket path too long\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("rawmilter: connect");
		return 2;
	}

	if (strcmp(c, "len-zero") == 0) {
		/* A length of 0: not even room for the command byte. */
		(void)packet(0, 'O', NULL, 0);
	} else if (strcmp(c, "stall") == 0) {
		/* Half a length field, then nothing: libmilter waits. */
		(void)put("\0\0", 2);
	} else if (strcmp(c, "len-ffffffff") == 0) {
		(void)packet(0xffffffffu, 'O', "abc", 3);
	} else if (strcmp(c, "len-huge") == 0) {
		(void)packet(0x7fffffffu, 'O', "abc", 3);
	} else if (strcmp(c, "optneg-short") == 0) {
		/* An option negotiation without its 12 bytes of data. */
		(void)packet(1, 'O', NULL, 0);
	} else if (strcmp(c, "optneg-5") == 0) {
		(void)packet(5, 'O', "\0\0\0\6", 4);
	} else if (strcmp(c, "unknown-first") == 0) {
		(void)packet(1, 'Z', NULL, 0);
	} else if (strcmp(c, "unknown-after-optneg") == 0) {
		(void)optneg();
		(void)packet(5, 'Z', "abcd", 4);
	} else if (strcmp(c, "connect-short") == 0) {
		/* SMFIC_CONNECT with a host name but no family or port. */
		(void)optneg();
		(void)packet(5, 'C', "abc", 4);
	} else if (strcmp(c, "truncated") == 0) {
		/* Says 100 bytes, sends 10, then hangs up. */
		(void)optneg();
		(void)packet(100, 'H', "Subject\0x", 9);
		we_close = 1;
	} else if (strcmp(c, "truncated-header") == 0) {
		(void)put("\0\0", 2);
		we_close = 1;
	} else if (strcmp(c, "garbage") == 0) {
		/* Bytes that are no packet, then a valid negotiation. */
		(void)put("GET / HTTP/1.0\r\n\r\n", 18);
		(void)optneg();
	} else if (strcmp(c, "big-macros") == 0) {
		/* After a valid negotiation: 1 MiB of macros for connect,
		 * "{n1}" "xxx...", then a connect. */
		size_t off = 1, i;
		big[0] = 'C';
		for (i = 0; off + 8300 < sizeof(big); i++) {
			off += (size_t)sprintf(big + off, "{m%zu}", i) + 1;
			memset(big + off, 'x', 8192);
			off += 8192;
			big[off++] = '\0';
		}
		(void)optneg();
		(void)packet((uint32_t)(1 + off), 'D', big, off);
		(void)packet(1 + 22, 'C', "client\0" "4\0\x19" "192.0.2.1", 22);
	} else if (strcmp(c, "many-macros") == 0) {
		/* 50,000 tiny macros. */
		size_t off = 1, i;
		big[0] = 'C';
		for (i = 0; i < 50000 && off + 32 < sizeof(big); i++)
			off += (size_t)sprintf(big + off, "{m%zu}%c%zu",
			    i, '\0', i) + 1;
		(void)optneg();
		(void)packet((uint32_t)(1 + off), 'D', big, off);
		(void)packet(1 + 22, 'C', "client\0" "4\0\x19" "192.0.2.1", 22);
	} else {
		fprintf(stderr, "rawmilter: unknown case %s\n", c);
		return 2;
	}
	if (we_close) {
		printf("%s: sent-and-closed\n", c);
		close(fd);
		return 0;
	}
	{
		long r = outcome();
		if (r < 0)
			printf("%s: open\n", c);
		else
			printf("%s: closed after %ld bytes\n", c, r);
	}
	close(fd);
	return 0;
}
