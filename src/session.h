/*
 * session - what is known about one SMTP connection and its current message
 *
 * The milter glue (or, in --test, the transcript reader) records facts as
 * they arrive: client, HELO, sender, recipients, headers, body, macros,
 * check results.  The policy engine reads them.  Strings that libmilter
 * hands over live only during its callback, so every setter copies: into a
 * connection arena (client, HELO, connection macros) or a message arena
 * (everything from MAIL FROM on), released at once by session_reset_message
 * or session_free.  Bounded: the body is kept up to body_limit bytes (the
 * size counted beyond); the headers up to the header limits (bytes and
 * count, session_set_header_limits).  A header past either limit is not
 * kept: the session marks the message over the limit (headers_over_limit,
 * with which limit), and the caller must refuse the message rather than
 * judge it on the headers it has: a rule on a header past the limit
 * would never see it.
 *
 * A session belongs to one connection and is used by one thread at a time
 * (libmilter's guarantee).  Failure: setters return -1 only when out of
 * memory; the caller answers with the failure reply.
 */
#ifndef REPLYMILTER_SESSION_H
#define REPLYMILTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"

/* The header limits until session_set_header_limits says otherwise. */
#define SESSION_HEADER_BYTES_DEFAULT (256 * 1024)
#define SESSION_HEADER_COUNT_DEFAULT 1000
#define SESSION_MACROS_MAX 64

struct session_header {
	const char *name;
	const char *value;
};

/* session_header_text - h's value as conditions match it: past the blanks
 * that follow the colon. */
static inline const char *
session_header_text(const struct session_header *h)
{
	const char *v = h->value;

	while (*v == ' ' || *v == '\t')
		v++;
	return v;
}

struct session_macro {
	const char *name;	/* "{auth_authen}" or "i" */
	const char *value;
	bool message;		/* set during the message: reset with it */
};

struct arena;

struct session {
	/* The connection. */
	const char *client_name;	/* as the MTA gives it */
	const char *client_addr;	/* text; "" when not IP */
	int family;			/* AF_INET, AF_INET6, or 0 */
	unsigned char addr[16];
	const char *helo;
	unsigned long messages;		/* messages begun on the connection */

	/* The current message. */
	bool in_message;
	const char *queue_id;
	const char *sender;		/* without <>; "" for the null sender */
	const char *sender_domain;	/* "" when none */
	bool has_size_declared;
	unsigned long size_declared;	/* SIZE= at MAIL FROM */
	unsigned long size_actual;	/* body bytes seen so far */
	unsigned nrcpts;		/* recipients so far, current included */
	const char **rcpts;
	const char **rcpt_domains;
	unsigned rcpts_cap;
	const char *rcpt;		/* the current recipient */
	const char *rcpt_domain;
	unsigned nheaders;
	unsigned headers_cap;
	struct session_header *headers;
	size_t header_bytes;		/* of the headers kept */
	size_t header_bytes_max;
	unsigned header_count_max;
	/* A header came past a limit: "header_limit" or "header_count_limit"
	 * (the setting's name), NULL while within both. */
	const char *headers_over_limit;
	char *body;
	size_t body_len;
	size_t body_limit;

	unsigned nmacros;
	struct session_macro macros[SESSION_MACROS_MAX];
	unsigned char checks[CHECK_COUNT];	/* result index per check */
	const char *dnsbl_zone;		/* the zone that listed the client */
	const char *dnsbl_text;		/* its TXT record, raw */
	/* A rate limit's or greylisting's wait, for %{retry_after}: set by
	 * the flow from the verdict; "" when none. */
	char retry_after[16];

	struct arena *conn_arena;
	struct arena *msg_arena;
};

/* session_new - a session keeping at most body_limit body bytes, or NULL. */
struct session *session_new(size_t body_limit);

/* session_set_header_limits - keep at most max_bytes of headers (names
 * and values, with ": " counted as 2) and max_count headers a message. */
void session_set_header_limits(struct session *s, size_t max_bytes,
    unsigned max_count);

/* session_free - release s and all it holds; NULL is harmless. */
void session_free(struct session *s);

/* session_set_client - record the client's name and address (addr text may
 * be NULL or "" when the connection is not over IP); 0, or -1. */
int session_set_client(struct session *s, const char *name,
    const char *addr);

/* session_set_helo - record the HELO/EHLO name; 0, or -1. */
int session_set_helo(struct session *s, const char *helo);

/* session_begin_message - forget the last message, start a new one. */
void session_begin_message(struct session *s);

/* session_reset_message - forget the current message (abort, end). */
void session_reset_message(struct session *s);

/* session_set_sender - record MAIL FROM (with or without <>) and its SIZE=
 * (pass has_size false when absent); 0, or -1. */
int session_set_sender(struct session *s, const char *sender,
    bool has_size, unsigned long size);

/* session_add_rcpt - record a RCPT TO as the current recipient; 0, or -1. */
int session_add_rcpt(struct session *s, const char *rcpt);

/* session_drop_last_rcpt - forget the current recipient (it was refused, so
 * it is not part of the message). */
void session_drop_last_rcpt(struct session *s);

/* session_add_header - record a header; it becomes the current one
 * (session_current_header); past a limit it is not kept and the message
 * is marked headers_over_limit; 0, or -1 when out of memory. */
int session_add_header(struct session *s, const char *name,
    const char *value);

/* session_current_header - the header last added, or NULL. */
const struct session_header *session_current_header(const struct session *s);

/* session_add_body - count len bytes and keep what fits the limit. */
int session_add_body(struct session *s, const unsigned char *chunk,
    size_t len);

/* session_set_queue_id - record the queue id; 0, or -1. */
int session_set_queue_id(struct session *s, const char *id);

/* session_set_macro - record a macro's value (message: forget it with the
 * message); 0, or -1 when out of memory or the table is full, the session
 * then as it was. */
int session_set_macro(struct session *s, const char *name,
    const char *value, bool message);

/* session_macro - the macro's value, or NULL when unknown. */
const char *session_macro(const struct session *s, const char *name);

/* session_set_check - record a check's result (an index of checks.h). */
void session_set_check(struct session *s, enum check_id id,
    unsigned result);

/* session_domain_of - the part after the last '@' of address, or "". */
const char *session_domain_of(const char *address);

/* session_strdup - a copy of text in the message arena (or the
 * connection's, when no message has begun); NULL when out of memory. */
char *session_strdup(struct session *s, const char *text);

#endif
