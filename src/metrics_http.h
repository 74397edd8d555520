/*
 * metrics_http - the Prometheus endpoint: /metrics, /healthz, /readyz
 *
 * Served by libmicrohttpd on its own thread, on metrics_listen (numeric
 * HOST:PORT, [V6]:PORT, loopback only unless metrics_allow_remote; or
 * unix:/PATH, a socket this module binds and the caller removes).  Only
 * GET and HEAD (and POST for /ratelimit/reset); anything else is 405, an
 * unknown path 404.  The server
 * bounds what a client can take: 32 connections, 10 s idle, 32 KiB of
 * request each (a bigger header is refused), so a bad client never
 * reaches the milter.  /healthz is 200 while a policy is loaded; /readyz
 * also needs the milter to be serving (metrics_http_ready).
 *
 * Without libmicrohttpd (configure) metrics_listen_check refuses every
 * address, saying how to build it in.
 */
#ifndef REPLYMILTER_METRICS_HTTP_H
#define REPLYMILTER_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* metrics_listen_check - 0 when listen is an address the endpoint can
 * serve on (a loopback one, or any with allow_remote), else -1 with why
 * (a sentence that names the fix). */
int metrics_listen_check(const char *listen, bool allow_remote, char *why,
    size_t size);

/* metrics_http_unix_path - the socket path of a "unix:/PATH" listen
 * address (pointing into listen), or NULL for an IP one. */
const char *metrics_http_unix_path(const char *listen);

/* metrics_http_start - 0 once the endpoint listens on listen (checked by
 * metrics_listen_check before), -1 with the reason in err.  With admin
 * (the endpoint is local: no metrics_allow_remote) it also answers
 * GET /ratelimit?rule=R&key=V and POST /ratelimit/reset?rule=R&key=V, a
 * rule's counter (ratelimit_cmd.h); else those are 403. */
int metrics_http_start(const char *listen, bool admin, char *err,
    size_t size);

/* metrics_http_ready - nothing; /readyz answers 200 from now (ready) or
 * 503. */
void metrics_http_ready(bool ready);

/* metrics_http_stop - nothing; stops the endpoint (not started: nothing). */
void metrics_http_stop(void);

#endif
