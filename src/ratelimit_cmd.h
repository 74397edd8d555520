/*
 * ratelimit_cmd - replymilter --ratelimit-show and --ratelimit-reset: look
 * at and clear a rule's counter in the shared store
 *
 * The counter is named as the daemon names it: the rule (whose rate gives
 * the key's parts and the window) and the key's values in the key's
 * order, joined with ',' ("192.0.2.0/24" for client_addr/24,
 * "example.org,192.0.2.0/24" for sender_domain,client_addr/24).  Only a
 * shared store (Redis) can be reached from another process: with the
 * local store the counters live in the daemon's memory, and the command
 * says so.
 */
#ifndef REPLYMILTER_RATELIMIT_CMD_H
#define REPLYMILTER_RATELIMIT_CMD_H

#include <stdbool.h>
#include <stdio.h>

struct policy;

/* ratelimit_cmd - show (or with reset, clear) rule's counter for values
 * in p's store, a line on out; an exit status (0; EX_USAGE for an
 * unknown rule or a wrong count of values; EX_UNAVAILABLE when the store
 * cannot be reached or is the local one), the reason on err. */
int ratelimit_cmd(const struct policy *p, const char *rule,
    const char *values, bool reset, FILE *out, FILE *err);

#endif
