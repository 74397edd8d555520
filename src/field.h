/*
 * field - what a rule's condition looks at: the one table of fields
 *
 * For each field it says, once for the whole program: its name as the
 * config writes it, the first stage the MTA tells it at, what an inline
 * value of it is (a literal of a list kind, an exact string, a number
 * comparison or a check result), and which kinds of named list it may be
 * matched against.  The config loader checks conditions with it, the rule
 * engine matches and gates rules with it; nothing else spells these out.
 *
 * Pure data and lookups; no allocation, no state.
 */
#ifndef REPLYMILTER_FIELD_H
#define REPLYMILTER_FIELD_H

#include <stdbool.h>

#include "lists.h"
#include "stage.h"

/* What a condition looks at. */
enum cond_field {
	COND_CLIENT_ADDR,
	COND_CLIENT_NAME,
	COND_HELO,
	COND_SENDER,
	COND_SENDER_DOMAIN,
	COND_RCPT,
	COND_RCPT_DOMAIN,
	COND_RCPT_COUNT,
	COND_SIZE,
	COND_HEADER,
	COND_BODY,
	COND_MACRO,
	COND_CHECK,
	COND_FIELD_COUNT
};

/* What an inline value (one that is neither "list:NAME" nor a /regex/)
 * of a field is. */
enum field_literal {
	FIELD_LITERAL_LIST,	/* an entry of the field's literal list kind */
	FIELD_LITERAL_STRING,	/* an exact, case-insensitive string */
	FIELD_LITERAL_NUMBER,	/* one comparison: "> 10M" */
	FIELD_LITERAL_CHECK	/* "NAME: RESULT[, RESULT...]" */
};

struct field_def {
	const char *name;		/* "client_addr", as in the config */
	enum stage stage;		/* known from this stage on */
	enum field_literal literal;
	enum list_kind literal_kind;	/* for FIELD_LITERAL_LIST */
	unsigned lists;			/* bit per list_kind it may match */
	bool named;			/* "NAME: value" (header, macro) */
};

/* field_def - the table row of field (a valid field). */
const struct field_def *field_def(enum cond_field field);

/* field_name - "client_addr", ...; "?" for a value out of range. */
const char *field_name(enum cond_field field);

/* field_takes_list - whether a list of kind may be matched against field. */
bool field_takes_list(enum cond_field field, enum list_kind kind);

/* field_literal_kind - the list kind of field's inline literals, or -1 when
 * its inline values are not list entries. */
int field_literal_kind(enum cond_field field);

/* field_parse - the field named by name; 0, or -1 when unknown. */
int field_parse(const char *name, enum cond_field *out);

#endif
