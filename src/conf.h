/*
 * conf - the config file: read, check, and turn into a policy
 *
 * conf_load() reads the libconfuse file at path (with its includes),
 * checks every reply against the registry and against what libmilter,
 * Postfix and Sendmail accept, checks every condition against the stage it
 * is used at, lints rule order, and builds an immutable policy with one
 * reference (see policy.h).  No cfg_t escapes this module.
 *
 * Diagnostics: every problem is reported through the caller's function as
 * (severity, file, line, message), where the message names the rule and the
 * fix; one run reports every semantic problem it can find (libconfuse stops
 * at the first syntax error).  Line numbers are the file's own, includes
 * and comments notwithstanding.
 *
 * Failure: NULL when there was any error (the caller keeps the policy it
 * has: a bad reload changes nothing), or when out of memory (reported as an
 * error too).  Warnings alone do not stop the load.
 */
#ifndef REPLYMILTER_CONF_H
#define REPLYMILTER_CONF_H

#include "policy.h"

/* One diagnostic; file may be NULL for problems not tied to a file. */
typedef void conf_diag_fn(void *arg, enum registry_severity severity,
    const char *file, unsigned line, const char *message);

struct conf_counts {
	unsigned errors;
	unsigned warnings;
};

/* conf_load - the policy described by path, or NULL on any error; counts
 * (may be NULL) receives how many errors and warnings were reported. */
struct policy *conf_load(const char *path, conf_diag_fn *diag, void *arg,
    struct conf_counts *counts);

/* conf_print_diag - a conf_diag_fn printing "file:line: severity: message"
 * to the FILE * in arg. */
void conf_print_diag(void *arg, enum registry_severity severity,
    const char *file, unsigned line, const char *message);

#endif
