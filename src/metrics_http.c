/*
 * metrics_http - the Prometheus endpoint (the contract is in
 * metrics_http.h)
 */
#include "config.h"

#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_MICROHTTPD
#include <microhttpd.h>
#endif

#include "metrics.h"
#include "milter.h"
#include "limiter.h"
#include "policy.h"
#include "ratelimit_cmd.h"

#define METRICS_HTTP_CONNECTIONS 32
#define METRICS_HTTP_IDLE_SECONDS 10
#define METRICS_HTTP_REQUEST_BYTES (32 * 1024)

#define UNIX_PREFIX "unix:"

/* The parsed listen address: an IP one in ss, or a unix socket's path. */
struct listen_addr {
	struct sockaddr_storage ss;
	bool v6;
	bool local;
	struct sockaddr_un sun;
};

const char *
metrics_http_unix_path(const char *listen)
{
	return strncmp(listen, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0 ?
	    listen + strlen(UNIX_PREFIX) : NULL;
}

/* parse_listen - 0 with listen ("A.B.C.D:PORT", "[V6]:PORT" or
 * "unix:/PATH") in *a, -1 with why. */
static int
parse_listen(const char *listen, struct listen_addr *a, char *why,
    size_t size)
{
	char host[64];
	const char *colon, *port, *path;
	char *end;
	long n;

	memset(a, 0, sizeof(*a));
	if ((path = metrics_http_unix_path(listen)) != NULL) {
		if (path[0] != '/') {
			snprintf(why, size, "a unix socket needs an absolute "
			    "path, such as \"unix:/run/replymilter/"
			    "metrics.sock\"");
			return -1;
		}
		if (strlen(path) >= sizeof(a->sun.sun_path)) {
			snprintf(why, size, "the socket path is longer than "
			    "the %zu bytes a unix socket takes",
			    sizeof(a->sun.sun_path) - 1);
			return -1;
		}
		a->local = true;
		a->sun.sun_family = AF_UNIX;
		memcpy(a->sun.sun_path, path, strlen(path) + 1);
		return 0;
	}
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - listen - 1) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(close - listen - 1),
		    listen + 1);
		port = close + 2;
		a->v6 = true;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL ||
		    (size_t)(colon - listen) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen),
		    listen);
		port = colon + 1;
	}
	n = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || n < 1 || n > 65535)
		goto bad;
	if (a->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)n);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)n);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
	}
	return 0;
bad:
	snprintf(why, size, "write a numeric address and a port, such as "
	    "\"127.0.0.1:9464\" or \"[::1]:9464\", or a unix socket, such "
	    "as \"unix:/run/replymilter/metrics.sock\"");
	return -1;
}

/* loopback - whether a is a loopback address. */
static bool
loopback(const struct listen_addr *a)
{
	if (a->v6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
	return (ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr)
	    >> 24) == 127;
}

int
metrics_listen_check(const char *listen, bool allow_remote, char *why,
    size_t size)
{
	struct listen_addr a;

#ifndef HAVE_MICROHTTPD
	(void)listen;
	(void)allow_remote;
	(void)a;
	snprintf(why, size, "this replymilter is built without the metrics "
	    "endpoint: install libmicrohttpd-dev, run configure again and "
	    "rebuild, or remove the option");
	return -1;
#else
	if (parse_listen(listen, &a, why, size) != 0)
		return -1;
	if (!allow_remote && !a.local && !loopback(&a)) {
		snprintf(why, size, "not a loopback address: the counters "
		    "name every rule; serve them on 127.0.0.1 or [::1], or "
		    "set metrics_allow_remote = true to mean it");
		return -1;
	}
	return 0;
#endif
}

#ifdef HAVE_MICROHTTPD
static struct MHD_Daemon *server;
static atomic_bool ready;
static bool admin_routes;	/* /ratelimit: only on a local endpoint */

/* respond - MHD_YES once a response of status with body (len bytes,
 * copied or, with owned, freed by MHD) is queued. */
static enum MHD_Result
respond(struct MHD_Connection *c, unsigned status, const char *type,
    char *body, size_t len, bool owned)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
	    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* plain - respond with a short text. */
static enum MHD_Result
plain(struct MHD_Connection *c, unsigned status, const char *text)
{
	return respond(c, status, "text/plain; charset=utf-8", (char *)text,
	    strlen(text), false);
}

/* ratelimit_route - GET /ratelimit?rule=R&key=V (a counter of the store
 * in use) or POST /ratelimit/reset?rule=R&key=V, for
 * --ratelimit-show/reset against the local store. */
static enum MHD_Result
ratelimit_route(struct MHD_Connection *c, const char *url,
    const char *method)
{
	bool reset = strcmp(url, "/ratelimit/reset") == 0;
	const char *rule = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "rule");
	const char *key = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "key");
	static const unsigned codes[] = {
		[RATELIMIT_OK] = MHD_HTTP_OK,
		[RATELIMIT_UNKNOWN] = MHD_HTTP_NOT_FOUND,
		[RATELIMIT_UNAVAILABLE] = MHD_HTTP_SERVICE_UNAVAILABLE,
	};
	char line[1024];
	struct policy *p;
	enum ratelimit_status st;
	enum MHD_Result rc;

	if (!admin_routes)
		return plain(c, MHD_HTTP_FORBIDDEN, "/ratelimit is off while "
		    "metrics_allow_remote = true\n");
	if (strcmp(method, reset ? "POST" : "GET") != 0)
		return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, reset ?
		    "POST only\n" : "GET only\n");
	if (rule == NULL || key == NULL)
		return plain(c, MHD_HTTP_BAD_REQUEST, "give rule=RULE&key="
		    "VALUES\n");
	if ((p = milter_policy()) == NULL)
		return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no policy\n");
	st = ratelimit_answer(p, limiter_store(), rule, key, reset, line,
	    sizeof(line));
	policy_unref(p);
	rc = respond(c, codes[st], "text/plain; charset=utf-8", line,
	    strlen(line), false);
	return rc;
}

/* on_request - libmicrohttpd's handler: one answer per request. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct policy *p;
	enum MHD_Result rc;

	(void)cls;
	(void)version;
	(void)upload;
	(void)state;
	if (strcmp(url, "/ratelimit") == 0 ||
	    strcmp(url, "/ratelimit/reset") == 0) {
		*upload_size = 0;
		return ratelimit_route(c, url, method);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*upload_size = 0;
		return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "GET or HEAD only\n");
	}
	p = milter_policy();
	if (strcmp(url, "/metrics") == 0) {
		size_t len;
		char *text = metrics_render(p, &len);

		rc = text != NULL ? respond(c, MHD_HTTP_OK,
		    "text/plain; version=0.0.4; charset=utf-8", text, len,
		    true) : plain(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	} else if (strcmp(url, "/healthz") == 0) {
		rc = p != NULL ? plain(c, MHD_HTTP_OK, "ok\n") :
		    plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no policy\n");
	} else if (strcmp(url, "/readyz") == 0) {
		rc = p != NULL && atomic_load(&ready) ? plain(c, MHD_HTTP_OK,
		    "ready\n") : plain(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "not ready\n");
	} else {
		rc = plain(c, MHD_HTTP_NOT_FOUND, "/metrics, /healthz or "
		    "/readyz\n");
	}
	policy_unref(p);
	return rc;
}
#endif

#ifdef HAVE_MICROHTTPD
/* listen_unix - a socket bound to a's path and listening, or -1 with the
 * reason in err.  The path must be free (the daemon removed a stale
 * socket). */
static int
listen_unix(const struct listen_addr *a, char *err, size_t size)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(err, size, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)&a->sun, sizeof(a->sun)) != 0) {
		snprintf(err, size, "cannot bind %s: %s", a->sun.sun_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (listen(fd, METRICS_HTTP_CONNECTIONS) != 0) {
		snprintf(err, size, "cannot listen on %s: %s", a->sun.sun_path,
		    strerror(errno));
		close(fd);
		(void)unlink(a->sun.sun_path);
		return -1;
	}
	return fd;
}
#endif

int
metrics_http_start(const char *listen, bool admin, char *err, size_t size)
{
#ifdef HAVE_MICROHTTPD
	/* What a client can take, the same on every listener. */
	struct MHD_OptionItem limits[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, METRICS_HTTP_CONNECTIONS, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, METRICS_HTTP_IDLE_SECONDS,
		    NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    METRICS_HTTP_REQUEST_BYTES, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct listen_addr a;
	int fd = -1;

	if (parse_listen(listen, &a, err, size) != 0)
		return -1;
	admin_routes = admin;
	/* libmicrohttpd binds IP addresses itself; a unix socket it is
	 * given bound and listening. */
	if (a.local && (fd = listen_unix(&a, err, size)) < 0)
		return -1;
	if (a.local)
		server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0,
		    NULL, NULL, on_request, NULL,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_ARRAY, limits, MHD_OPTION_END);
	else
		server = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		    (a.v6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, on_request, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a.ss,
		    MHD_OPTION_ARRAY, limits, MHD_OPTION_END);
	if (server == NULL) {
		if (fd >= 0) {
			close(fd);
			(void)unlink(a.sun.sun_path);
		}
		snprintf(err, size, "cannot serve metrics on %s%s", listen,
		    a.local ? "" : " (is the port in use?)");
		return -1;
	}
	return 0;
#else
	(void)listen;
	(void)admin;
	snprintf(err, size, "built without the metrics endpoint");
	return -1;
#endif
}

void
metrics_http_ready(bool is_ready)
{
#ifdef HAVE_MICROHTTPD
	atomic_store(&ready, is_ready);
#else
	(void)is_ready;
#endif
}

void
metrics_http_stop(void)
{
#ifdef HAVE_MICROHTTPD
	if (server != NULL)
		MHD_stop_daemon(server);
	server = NULL;
#endif
}
