/*
 * checks - the names and results of the built-in checks rules can test
 *
 * A rule says `check = "spf: fail"`; this table says which checks exist,
 * which results each can have, and from which stage on a result is known.
 * The results themselves are facts in the session (session_set_check),
 * put there by the check modules or, in --test, by a transcript's
 * "check spf fail" line.  Pure data and lookups; no allocation, no state.
 */
#ifndef REPLYMILTER_CHECKS_H
#define REPLYMILTER_CHECKS_H

#include <stdbool.h>

#include "stage.h"

enum check_id {
	CHECK_SPF,
	CHECK_DKIM,
	CHECK_DKIM_AUTHOR,
	CHECK_DMARC,
	CHECK_ARC,
	CHECK_IPREV,
	CHECK_AUTH_MULTI,
	CHECK_NULLMX_SENDER,
	CHECK_NULLMX_RCPT,
	CHECK_DNSBL,
	CHECK_STORAGE,
	CHECK_SIZE,
	CHECK_TLS,
	CHECK_AUTH,
	CHECK_COUNT
};

/* A result is an index into the check's results[]; 0 is always "unknown",
 * the value before the check has run. */
#define CHECK_RESULT_UNKNOWN 0
#define CHECK_MAX_RESULTS 10

struct check_def {
	const char *name;
	enum stage stage;	/* the first stage its result is known at */
	const char *results[CHECK_MAX_RESULTS];	/* NULL-terminated */
	bool performed;		/* does this build compute it in the daemon */
	const char *what;
	/* The reply a rule on this result gives when it names none: the
	 * registry's code for it and the RFC's words; NULL for results that
	 * only serve as conditions. */
	const char *defaults[CHECK_MAX_RESULTS];
};

/* check_def - the definition of id. */
const struct check_def *check_def(enum check_id id);

/* check_lookup - the check named name; 0, or -1 when unknown. */
int check_lookup(const char *name, enum check_id *out);

/* check_result_lookup - the index of result name for check id, or -1. */
int check_result_lookup(enum check_id id, const char *name);

/* check_result - the index of a result the code names itself ("fail");
 * a name the table lacks is a programmer error (fatalx). */
unsigned check_result(enum check_id id, const char *name);

/* check_names - all check names, comma-separated, for messages. */
const char *check_names(void);

/* check_result_names - the results of id, "|"-separated, into buf. */
char *check_result_names(enum check_id id, char *buf, unsigned size);

#endif
