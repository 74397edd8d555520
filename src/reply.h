/*
 * reply - an SMTP reply as a value: basic code, enhanced code, text lines
 *
 * A reply is parsed once from the config ("550 5.7.23 SPF validation
 * failed for %{sender_domain}", possibly further lines), completed from the
 * registry where the admin left parts out, checked against the registry and
 * against what libmilter, Postfix and Sendmail accept, and rendered per
 * transaction with the peer's values made safe.
 *
 * Templates: %{name} inserts a value (REPLY_VAR_*); any other '%' is a
 * literal percent sign.  Rendering doubles every '%' (libmilter's escape:
 * a lone '%' makes Sendmail replace the whole text), and every value from
 * the SMTP peer is sanitised: CR, LF, other control bytes, DEL and
 * non-ASCII bytes become '?', and a value longer than REPLY_VALUE_MAX is
 * cut and marked with "...".  So no peer can add a line, end a line early
 * or smuggle a format directive into a reply.
 *
 * Ownership: reply_parse() allocates the reply; reply_free() releases it.
 * reply_render() writes into caller-supplied storage and allocates nothing.
 * Failure: reply_parse() returns NULL with a sentence in err; reply_render()
 * cannot fail for a reply that passed reply_check_mta() (its bounds are what
 * that check proves).
 */
#ifndef REPLYMILTER_REPLY_H
#define REPLYMILTER_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"

#define REPLY_MAX_LINES 32	/* libmilter's MAXREPLIES */
#define REPLY_TEXT_MAX 980	/* libmilter's MAXREPLYLEN, per line */
#define REPLY_RFC_LINE_MAX 510	/* RFC 5321 4.5.3.1.5: 512 with CRLF */
#define REPLY_VALUE_MAX 100	/* a peer's value, before escaping */
/* A value's worst case once rendered: every byte a '%' doubled, plus "...". */
#define REPLY_VALUE_RENDERED_MAX (2 * REPLY_VALUE_MAX + 3)
#define REPLY_RENDER_MAX (REPLY_MAX_LINES * (REPLY_TEXT_MAX + 1))

/* The values a template may name. */
enum reply_var {
	REPLY_VAR_CLIENT_ADDR,
	REPLY_VAR_CLIENT_NAME,
	REPLY_VAR_HELO,
	REPLY_VAR_SENDER,
	REPLY_VAR_SENDER_DOMAIN,
	REPLY_VAR_RCPT,
	REPLY_VAR_RCPT_DOMAIN,
	REPLY_VAR_QUEUE_ID,
	REPLY_VAR_RULE,
	REPLY_VAR_REPLY_ID,
	REPLY_VAR_DNSBL_ZONE,
	REPLY_VAR_DNSBL_TEXT,
	REPLY_VAR_LIMIT,
	REPLY_VAR_RETRY_AFTER,
	REPLY_VAR_COUNT
};

/* The values for one rendering; NULL renders as "unknown". */
struct reply_values {
	const char *v[REPLY_VAR_COUNT];
};

struct reply;

/* A reply as rendered for libmilter: codes as strings, lines of text. */
struct reply_rendered {
	char basic[4];
	char xcode[16];		/* "" when the reply has none */
	unsigned nlines;
	const char *lines[REPLY_MAX_LINES];
	char buf[REPLY_RENDER_MAX];
};

/* reply_parse - a reply from config lines: the first "[BASIC] [ENHANCED]
 * [text]", each further one text only; NULL with a sentence in err. */
struct reply *reply_parse(const char *const *lines, unsigned nlines,
    char *err, size_t errsize);

/* reply_new - a reply from parts (text may be NULL); NULL when out of
 * memory or when text holds an unknown %{name} (err says which). */
struct reply *reply_new(unsigned basic, const struct registry_xcode *xcode,
    const char *text, char *err, size_t errsize);

/* reply_copy - a deep copy of r with other codes (xcode NULL keeps none);
 * NULL when out of memory. */
struct reply *reply_copy_with_codes(const struct reply *r, unsigned basic,
    const struct registry_xcode *xcode);

/* reply_free - release r; NULL is harmless. */
void reply_free(struct reply *r);

/* reply_basic - the basic code, 0 when the admin gave none. */
unsigned reply_basic(const struct reply *r);

/* reply_xcode - the enhanced code, or NULL when there is none. */
const struct registry_xcode *reply_xcode(const struct reply *r);

/* reply_nlines - how many text lines (0 when the admin gave no text). */
unsigned reply_nlines(const struct reply *r);

/* reply_line - the i-th text line as written (a template), or NULL. */
const char *reply_line(const struct reply *r, unsigned i);

/* reply_describe - "550 5.7.23 text / more text" (templates unexpanded)
 * into buf; returns buf. */
char *reply_describe(const struct reply *r, char *buf, size_t size);

/* reply_set_codes - replace the codes (xcode NULL removes it). */
void reply_set_codes(struct reply *r, unsigned basic,
    const struct registry_xcode *xcode);

/* reply_set_text - replace the text by one line (a template); 0, or -1 with
 * err when it names an unknown value. */
int reply_set_text(struct reply *r, const char *text, char *err,
    size_t errsize);

/* reply_append_text - append text to the last line (e.g. " [id]"); 0, or
 * -1 as reply_set_text. */
int reply_append_text(struct reply *r, const char *text, char *err,
    size_t errsize);

/* reply_uses - whether any line names var. */
bool reply_uses(const struct reply *r, enum reply_var var);

/*
 * reply_check_mta - what libmilter, Postfix and Sendmail would do with r,
 * for each line at its longest (every value at REPLY_VALUE_RENDERED_MAX):
 * calls report once per problem with REGISTRY_ERROR (the MTA would drop or
 * mangle the reply) or REGISTRY_WARNING (RFC 5321's 512-octet line); the
 * worst severity seen.
 */
enum registry_severity reply_check_mta(const struct reply *r,
    void (*report)(void *arg, enum registry_severity, const char *message),
    void *arg);

/* reply_render - r with values filled in, escaped and bounded, into out. */
void reply_render(const struct reply *r, const struct reply_values *values,
    struct reply_rendered *out);

/* reply_format - the rendered reply as the client would read it, lines
 * joined with "\n" and '%%' shown as '%' ("550-5.7.1 a\n550 5.7.1 b");
 * returns buf. */
char *reply_format(const struct reply_rendered *rr, char *buf, size_t size);

/* reply_sanitize - src made safe for a reply into dst (see above); the
 * length written. dst must hold REPLY_VALUE_RENDERED_MAX + 1 bytes. */
size_t reply_sanitize(const char *src, char *dst);

/* reply_var_name - "client_addr" etc. */
const char *reply_var_name(enum reply_var var);

/* reply_var_list - all names, comma-separated, for messages. */
const char *reply_var_list(void);

#endif
