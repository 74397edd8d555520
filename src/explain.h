/*
 * explain - the registry as an administrator reads it: --codes and --explain
 *
 * explain_codes() prints every enumerated enhanced code, one a line,
 * tab-separated (code, basic codes, sample text, reference), or the same as
 * a JSON array.  explain_pair() prints what a basic/enhanced pair means and
 * the registry's verdict on it.  Both write to a caller's stream and
 * allocate nothing.  The line formats are relied on by tests and tools:
 * change them only with the tests.
 */
#ifndef REPLYMILTER_EXPLAIN_H
#define REPLYMILTER_EXPLAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "registry.h"

/* explain_codes - print the registry to out as TSV or JSON; 0. */
int explain_codes(FILE *out, bool json);

/* explain_pair - print the meaning and verdict of the codes in words[]
 * ("550", "5.7.23", "550 5.7.23" in one or two words) at stage; the exit
 * status: 0 ok, 1 warning, 2 error (an unreadable code is an error). */
int explain_pair(FILE *out, int nwords, char *const words[],
    enum registry_stage stage);

/* explain_stage_parse - the stage named by text ("connect", "helo", "mail",
 * "rcpt", "data", "any"); 0, or -1 when unknown. */
int explain_stage_parse(const char *text, enum registry_stage *out);

#endif
