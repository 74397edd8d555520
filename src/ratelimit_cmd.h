/*
 * ratelimit_cmd - replymilter --ratelimit-show and --ratelimit-reset: look
 * at and clear a rule's counter in the shared store
 *
 * The counter is named as the daemon names it: the rule (whose rate gives
 * the key's parts and the window) and the key's values in the key's
 * order, joined with ',' ("192.0.2.0/24" for client_addr/24,
 * "example.org,192.0.2.0/24" for sender_domain,client_addr/24).  A shared
 * store (Redis) is asked directly.  The local store lives in the daemon's
 * memory: the command asks the daemon, at its metrics_listen endpoint's
 * /ratelimit route (GET, or POST /ratelimit/reset), which answers with
 * ratelimit_answer.
 */
#ifndef REPLYMILTER_RATELIMIT_CMD_H
#define REPLYMILTER_RATELIMIT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct policy;
struct store;

enum ratelimit_status {
	RATELIMIT_OK,
	RATELIMIT_UNKNOWN,	/* no such rule, no rate, wrong values */
	RATELIMIT_UNAVAILABLE	/* the store did not answer */
};

/* ratelimit_answer - show (or clear) rule's counter for values in store,
 * the answer as one line (with its newline) in line; the status. */
enum ratelimit_status ratelimit_answer(const struct policy *p,
    struct store *store, const char *rule, const char *values, bool reset,
    char *line, size_t size);

/* ratelimit_cmd - show (or with reset, clear) rule's counter for values
 * in p's store, a line on out; an exit status (0; EX_USAGE for an
 * unknown rule or a wrong count of values; EX_UNAVAILABLE when the store
 * or the daemon cannot be reached), the reason on err. */
int ratelimit_cmd(const struct policy *p, const char *rule,
    const char *values, bool reset, FILE *out, FILE *err);

#endif
