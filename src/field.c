/*
 * field - what a rule's condition looks at: the one table of fields
 */
#include "config.h"

#include "field.h"

#include <string.h>

#define KIND(k) (1u << (k))

static const struct field_def fields[COND_FIELD_COUNT] = {
	[COND_CLIENT_ADDR] = { "client_addr", STAGE_CONNECT,
	    FIELD_LITERAL_LIST, LIST_CIDR, KIND(LIST_CIDR), false },
	[COND_CLIENT_NAME] = { "client_name", STAGE_CONNECT,
	    FIELD_LITERAL_LIST, LIST_DOMAIN, KIND(LIST_DOMAIN) |
	    KIND(LIST_REGEX), false },
	[COND_HELO] = { "helo", STAGE_HELO,
	    FIELD_LITERAL_LIST, LIST_DOMAIN, KIND(LIST_DOMAIN) |
	    KIND(LIST_REGEX), false },
	/* A domain list tested against an address looks at its domain. */
	[COND_SENDER] = { "sender", STAGE_MAIL,
	    FIELD_LITERAL_LIST, LIST_ADDRESS, KIND(LIST_DOMAIN) |
	    KIND(LIST_ADDRESS) | KIND(LIST_REGEX), false },
	[COND_SENDER_DOMAIN] = { "sender_domain", STAGE_MAIL,
	    FIELD_LITERAL_LIST, LIST_DOMAIN, KIND(LIST_DOMAIN) |
	    KIND(LIST_REGEX), false },
	[COND_RCPT] = { "rcpt", STAGE_RCPT,
	    FIELD_LITERAL_LIST, LIST_ADDRESS, KIND(LIST_DOMAIN) |
	    KIND(LIST_ADDRESS) | KIND(LIST_REGEX), false },
	[COND_RCPT_DOMAIN] = { "rcpt_domain", STAGE_RCPT,
	    FIELD_LITERAL_LIST, LIST_DOMAIN, KIND(LIST_DOMAIN) |
	    KIND(LIST_REGEX), false },
	/* Numbers are compared; no list holds numbers. */
	[COND_RCPT_COUNT] = { "rcpt_count", STAGE_RCPT,
	    FIELD_LITERAL_NUMBER, LIST_REGEX, 0, false },
	[COND_SIZE] = { "size", STAGE_MAIL,
	    FIELD_LITERAL_NUMBER, LIST_REGEX, 0, false },
	[COND_HEADER] = { "header", STAGE_HEADER,
	    FIELD_LITERAL_STRING, LIST_REGEX, KIND(LIST_REGEX), true },
	[COND_BODY] = { "body", STAGE_BODY,
	    FIELD_LITERAL_STRING, LIST_REGEX, KIND(LIST_REGEX), false },
	/* Macros and checks: the stage is per name (macros.h, checks.h). */
	[COND_MACRO] = { "macro", STAGE_CONNECT,
	    FIELD_LITERAL_STRING, LIST_REGEX, KIND(LIST_REGEX), true },
	[COND_CHECK] = { "check", STAGE_CONNECT,
	    FIELD_LITERAL_CHECK, LIST_REGEX, 0, false },
};

const struct field_def *
field_def(enum cond_field field)
{
	return &fields[field < COND_FIELD_COUNT ? field : 0];
}

const char *
field_name(enum cond_field field)
{
	return field < COND_FIELD_COUNT ? fields[field].name : "?";
}

bool
field_takes_list(enum cond_field field, enum list_kind kind)
{
	return field < COND_FIELD_COUNT && (fields[field].lists & KIND(kind));
}

int
field_literal_kind(enum cond_field field)
{
	return field < COND_FIELD_COUNT &&
	    fields[field].literal == FIELD_LITERAL_LIST ?
	    (int)fields[field].literal_kind : -1;
}

int
field_parse(const char *name, enum cond_field *out)
{
	for (int i = 0; i < COND_FIELD_COUNT; i++)
		if (strcmp(name, fields[i].name) == 0) {
			*out = (enum cond_field)i;
			return 0;
		}
	return -1;
}
