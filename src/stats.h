/*
 * stats - replymilter --stats: a running daemon's counters as a table
 *
 * Reads the Prometheus text of /metrics (fetched with libcurl from a
 * loopback URL or a unix socket, 5 s at most, 64 MB at most) and prints,
 * for a person at a terminal: the replies by rule, stage, code and
 * action, most first; the internal failures by cause; the check results
 * seen; the DNS queries, their failures and mean time; connections,
 * messages, reloads and the config generation.
 *
 * Without libcurl (configure) stats_print says how to build it in.
 */
#ifndef REPLYMILTER_STATS_H
#define REPLYMILTER_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* stats_url - the /metrics URL for the metrics_listen address listen
 * (a "unix:/PATH" one stays as it is), into buf; buf. */
char *stats_url(const char *listen, char *buf, size_t size);

/* stats_render - the table of the exposition text (len bytes) on out;
 * 0, or -1 when it holds no replymilter metrics or memory ran out. */
int stats_render(const char *text, size_t len, FILE *out);

/* stats_print - 0 once the counters at url (http://..., or unix:/PATH
 * for /metrics on that socket) are printed on out; -1 with the reason in
 * err. */
int stats_print(const char *url, FILE *out, char *err, size_t size);

/* stats_ratelimit - ask the daemon at the metrics_listen address listen
 * for (or, with reset, to clear) rule's counter of values, through its
 * /ratelimit route, and print its answer on out; 0, 1 when the daemon
 * refused the question (the reason in err: no such rule, wrong values),
 * -1 when it could not be asked (err says why). */
int stats_ratelimit(const char *listen, const char *rule, const char *values,
    bool reset, FILE *out, char *err, size_t size);

#endif
