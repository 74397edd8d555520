/*
 * macros - the milter macros replymilter knows, and when MTAs send them
 *
 * A rule's `macro = "{auth_authen}"` is checked against this table: an
 * unknown name is a config error (with the nearest known one offered), and
 * a macro used at a stage before the MTAs send it is an error too.  Stages
 * are Postfix's defaults (milter_*_macros) and Sendmail's; an admin who
 * exports a macro earlier must move the rule, not the table.
 * Pure data; no allocation.
 */
#ifndef REPLYMILTER_MACROS_H
#define REPLYMILTER_MACROS_H

#include <stddef.h>

#include "stage.h"

/* How many names the table knows: a policy never asks for more macros,
 * which is what lets a session keep them in a fixed array. */
#define MACROS_KNOWN 36

/* macro_stage - the first stage the MTAs send name at; 0, or -1 when the
 * name is unknown. */
int macro_stage(const char *name, enum stage *out);

/* macro_nearest - the known name closest to name, or NULL. */
const char *macro_nearest(const char *name);

/* macro_count, macro_name - the known names, for iteration. */
size_t macro_count(void);
const char *macro_name(size_t i);

#endif
