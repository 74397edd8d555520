/*
 * slowdns - a DNS server on loopback that answers late, or never: the
 * fault tests' stand-in for a DNS server that is slow or hangs.
 *
 * Usage: slowdns PORTFILE DELAY_MS
 *   Binds a UDP socket on 127.0.0.1 (a port the kernel picks), writes the
 *   port to PORTFILE, then answers every query DELAY_MS milliseconds after
 *   it came with SERVFAIL (the question echoed, no records); DELAY_MS < 0
 *   reads queries and never answers.  Each query received is counted on
 *   stdout as a line "query N", flushed, so a test can see that the
 *   resolver asked.  It runs until killed.
 *
 * Single-threaded: queries are kept in a small queue ordered by their due
 * time (they come in order, and every delay is the same).  How it fails:
 * exits 1 with a message on stderr when the socket cannot be set up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOWDNS_QUEUE 256
#define SLOWDNS_PACKET 512

struct pending {
	long long due_ms;
	struct sockaddr_in from;
	socklen_t fromlen;
	unsigned char buf[SLOWDNS_PACKET];
	ssize_t len;
};

static struct pending queue[SLOWDNS_QUEUE];
static size_t qhead, qcount;

/* now_ms - returns the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* answer - sends SERVFAIL for the query in p */
static void
answer(int fd, struct pending *p)
{
	if (p->len < 12)
		return;
	p->buf[2] |= 0x80;			/* QR */
	p->buf[3] = (p->buf[3] & 0xf0) | 2;	/* RCODE SERVFAIL */
	memset(p->buf + 6, 0, 6);		/* no records */
	(void)sendto(fd, p->buf, (size_t)p->len, 0,
	    (struct sockaddr *)&p->from, p->fromlen);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	long delay;
	unsigned long n = 0;
	FILE *f;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: slowdns PORTFILE DELAY_MS\n");
		return 2;
	}
	delay = strtol(argv[2], NULL, 10);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("slowdns: socket");
		return 1;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) != 0) {
		perror("slowdns: bind");
		return 1;
	}
	f = fopen(argv[1], "w");
	if (f == NULL || fprintf(f, "%u\n", ntohs(sin.sin_port)) < 0 ||
	    fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int timeout = -1;

		if (qcount > 0) {
			long long wait = queue[qhead].due_ms - now_ms();
			timeout = wait < 0 ? 0 : (int)wait;
		}
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			perror("slowdns: poll");
			return 1;
		}
		if (pfd.revents & POLLIN) {
			struct pending *p;

			p = &queue[(qhead + qcount) % SLOWDNS_QUEUE];
			p->fromlen = sizeof(p->from);
			p->len = recvfrom(fd, p->buf, sizeof(p->buf), 0,
			    (struct sockaddr *)&p->from, &p->fromlen);
			if (p->len > 0) {
				printf("query %lu\n", ++n);
				fflush(stdout);
				p->due_ms = now_ms() + delay;
				if (delay >= 0 && qcount < SLOWDNS_QUEUE)
					qcount++;
			}
		}
		while (qcount > 0 && queue[qhead].due_ms <= now_ms()) {
			answer(fd, &queue[qhead]);
			qhead = (qhead + 1) % SLOWDNS_QUEUE;
			qcount--;
		}
	}
}
