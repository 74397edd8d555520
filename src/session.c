/*
 * session - what is known about one SMTP connection and its current message
 */
#include "config.h"

#include "session.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "arena.h"

#define ARENA_BLOCK 4096

struct session *
session_new(size_t body_limit)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->body_limit = body_limit;
	s->header_bytes_max = SESSION_HEADER_BYTES_DEFAULT;
	s->header_count_max = SESSION_HEADER_COUNT_DEFAULT;
	s->conn_arena = arena_new(ARENA_BLOCK);
	s->msg_arena = arena_new(ARENA_BLOCK);
	if (body_limit > 0)
		s->body = malloc(body_limit + 1);
	if (s->conn_arena == NULL || s->msg_arena == NULL ||
	    (body_limit > 0 && s->body == NULL)) {
		session_free(s);
		return NULL;
	}
	s->client_name = s->client_addr = s->helo = "";
	s->dnsbl_zone = s->dnsbl_text = NULL;
	session_reset_message(s);
	return s;
}

void
session_set_header_limits(struct session *s, size_t max_bytes,
    unsigned max_count)
{
	s->header_bytes_max = max_bytes;
	s->header_count_max = max_count;
}

void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	arena_free(s->conn_arena);
	arena_free(s->msg_arena);
	free(s->body);
	free(s);
}

/* arena_for - where a copy made now belongs. */
static struct arena *
arena_for(struct session *s)
{
	return s->in_message ? s->msg_arena : s->conn_arena;
}

char *
session_strdup(struct session *s, const char *text)
{
	return arena_strdup(arena_for(s), text);
}

int
session_set_client(struct session *s, const char *name, const char *addr)
{
	const char *a = addr != NULL ? addr : "";
	char *name_copy = arena_strdup(s->conn_arena, name != NULL ? name : "");
	char *addr_copy = arena_strdup(s->conn_arena, a);

	if (name_copy == NULL || addr_copy == NULL)
		return -1;
	s->client_name = name_copy;
	s->client_addr = addr_copy;
	s->family = 0;
	if (inet_pton(AF_INET, a, s->addr) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, a, s->addr) == 1)
		s->family = AF_INET6;
	return 0;
}

int
session_set_helo(struct session *s, const char *helo)
{
	char *copy = arena_strdup(s->conn_arena, helo != NULL ? helo : "");

	if (copy == NULL)
		return -1;
	s->helo = copy;
	return 0;
}

void
session_reset_message(struct session *s)
{
	unsigned kept = 0;

	arena_reset(s->msg_arena);
	s->in_message = false;
	s->queue_id = "";
	s->sender = s->sender_domain = "";
	s->has_size_declared = false;
	s->size_declared = s->size_actual = 0;
	s->nrcpts = s->rcpts_cap = 0;
	s->rcpts = s->rcpt_domains = NULL;
	s->rcpt = s->rcpt_domain = "";
	s->nheaders = s->headers_cap = 0;
	s->headers = NULL;
	s->header_bytes = 0;
	s->headers_over_limit = NULL;
	s->body_len = 0;
	/* Macros set during the message lived in its arena. */
	for (unsigned i = 0; i < s->nmacros; i++)
		if (!s->macros[i].message)
			s->macros[kept++] = s->macros[i];
	s->nmacros = kept;
	/* Message-level check results go with the message; connection-level
	 * ones (iprev, dnsbl, storage) stay. */
	for (int i = 0; i < CHECK_COUNT; i++)
		if (check_def((enum check_id)i)->stage >= STAGE_MAIL)
			s->checks[i] = CHECK_RESULT_UNKNOWN;
}

void
session_begin_message(struct session *s)
{
	session_reset_message(s);
	s->in_message = true;
	s->messages++;
}

const char *
session_domain_of(const char *address)
{
	const char *at = strrchr(address, '@');

	return at != NULL ? at + 1 : "";
}

/* strip_brackets - a copy of addr in the message arena without the angle
 * brackets and blanks around it, or NULL. */
static char *
strip_brackets(struct session *s, const char *addr)
{
	size_t len;

	while (*addr == ' ')
		addr++;
	if (*addr == '<')
		addr++;
	len = strcspn(addr, ">");
	while (len > 0 && addr[len - 1] == ' ')
		len--;
	return arena_strndup(s->msg_arena, addr, len);
}

int
session_set_sender(struct session *s, const char *sender, bool has_size,
    unsigned long size)
{
	char *copy;

	if (!s->in_message)
		session_begin_message(s);
	if ((copy = strip_brackets(s, sender)) == NULL)
		return -1;
	s->sender = copy;
	s->sender_domain = session_domain_of(copy);
	s->has_size_declared = has_size;
	s->size_declared = size;
	return 0;
}

/* grow - make room for one more element in an arena array; 0, or -1. */
static int
grow(struct arena *a, void **array, unsigned n, unsigned *cap, size_t elem)
{
	unsigned ncap;
	void *bigger;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 8 : *cap * 2;
	if ((bigger = arena_alloc(a, ncap * elem)) == NULL)
		return -1;
	if (n > 0)
		memcpy(bigger, *array, n * elem);
	*array = bigger;
	*cap = ncap;
	return 0;
}

int
session_add_rcpt(struct session *s, const char *rcpt)
{
	unsigned cap = s->rcpts_cap;
	void *domains = s->rcpt_domains;
	char *copy;

	if (!s->in_message)
		session_begin_message(s);
	if ((copy = strip_brackets(s, rcpt)) == NULL ||
	    grow(s->msg_arena, (void **)&s->rcpts, s->nrcpts, &s->rcpts_cap,
	    sizeof(*s->rcpts)) != 0 ||
	    grow(s->msg_arena, &domains, s->nrcpts, &cap,
	    sizeof(*s->rcpt_domains)) != 0)
		return -1;
	s->rcpt_domains = domains;
	s->rcpts[s->nrcpts] = copy;
	s->rcpt_domains[s->nrcpts] = session_domain_of(copy);
	s->rcpt = copy;
	s->rcpt_domain = s->rcpt_domains[s->nrcpts];
	s->nrcpts++;
	return 0;
}

void
session_drop_last_rcpt(struct session *s)
{
	if (s->nrcpts == 0)
		return;
	s->nrcpts--;
	s->rcpt = s->nrcpts > 0 ? s->rcpts[s->nrcpts - 1] : "";
	s->rcpt_domain = s->nrcpts > 0 ? s->rcpt_domains[s->nrcpts - 1] : "";
}

int
session_add_header(struct session *s, const char *name, const char *value)
{
	size_t bytes = strlen(name) + strlen(value) + 2;
	struct session_header h;

	/* Past a limit nothing more is kept: the message is refused, never
	 * judged on part of its headers. */
	if (s->headers_over_limit != NULL)
		return 0;
	if (s->nheaders >= s->header_count_max) {
		s->headers_over_limit = "header_count_limit";
		return 0;
	}
	if (s->header_bytes + bytes > s->header_bytes_max) {
		s->headers_over_limit = "header_limit";
		return 0;
	}
	h.name = arena_strdup(s->msg_arena, name);
	h.value = arena_strdup(s->msg_arena, value);
	if (h.name == NULL || h.value == NULL ||
	    grow(s->msg_arena, (void **)&s->headers, s->nheaders,
	    &s->headers_cap, sizeof(*s->headers)) != 0)
		return -1;
	s->headers[s->nheaders++] = h;
	s->header_bytes += bytes;
	return 0;
}

const struct session_header *
session_current_header(const struct session *s)
{
	return s->nheaders > 0 ? &s->headers[s->nheaders - 1] : NULL;
}

int
session_add_body(struct session *s, const unsigned char *chunk, size_t len)
{
	size_t room = s->body_limit - s->body_len;
	size_t keep = len < room ? len : room;

	s->size_actual += len;
	if (keep > 0) {
		/* A NUL would end the text a regex sees: keep it as a blank,
		 * so nothing after it hides from body rules. */
		for (size_t i = 0; i < keep; i++)
			s->body[s->body_len + i] = chunk[i] != '\0' ?
			    (char)chunk[i] : ' ';
		s->body_len += keep;
		s->body[s->body_len] = '\0';
	}
	return 0;
}

int
session_set_queue_id(struct session *s, const char *id)
{
	char *copy = session_strdup(s, id);

	if (copy == NULL)
		return -1;
	s->queue_id = copy;
	return 0;
}

int
session_set_macro(struct session *s, const char *name, const char *value,
    bool message)
{
	struct arena *a = message ? s->msg_arena : s->conn_arena;
	struct session_macro *m = NULL;
	const char *name_copy;
	char *value_copy;

	for (unsigned i = 0; i < s->nmacros; i++)
		if (strcmp(s->macros[i].name, name) == 0) {
			m = &s->macros[i];
			break;
		}
	if (m == NULL && s->nmacros == SESSION_MACROS_MAX)
		return -1;
	/* Both copies first, in the arena of the value's lifetime: a slot is
	 * filled, or left as it was, never half. */
	name_copy = m != NULL && m->message == message ? m->name :
	    arena_strdup(a, name);
	value_copy = arena_strdup(a, value);
	if (name_copy == NULL || value_copy == NULL)
		return -1;
	if (m == NULL)
		m = &s->macros[s->nmacros++];
	m->name = name_copy;
	m->value = value_copy;
	m->message = message;
	return 0;
}

const char *
session_macro(const struct session *s, const char *name)
{
	for (unsigned i = 0; i < s->nmacros; i++)
		if (strcmp(s->macros[i].name, name) == 0)
			return s->macros[i].value;
	return NULL;
}

void
session_set_check(struct session *s, enum check_id id, unsigned result)
{
	if (id < CHECK_COUNT)
		s->checks[id] = (unsigned char)result;
}
