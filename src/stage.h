/*
 * stage - the SMTP stages a milter sees, in the order it sees them
 *
 * Shared by the policy engine, the config loader, the session and the
 * milter glue.  Pure data and lookups.
 */
#ifndef REPLYMILTER_STAGE_H
#define REPLYMILTER_STAGE_H

#include "registry.h"

enum stage {
	STAGE_CONNECT,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_HEADER,
	STAGE_EOH,
	STAGE_BODY,
	STAGE_EOM,
	STAGE_COUNT
};

/* stage_name - "connect", "helo", ... */
const char *stage_name(enum stage stage);

/* stage_parse - the stage named by text; 0, or -1 when unknown. */
int stage_parse(const char *text, enum stage *out);

/* stage_registry - the registry's view of a stage, for stage-fit checks. */
enum registry_stage stage_registry(enum stage stage);

/* stage_names - all names, comma-separated, for messages. */
const char *stage_names(void);

#endif
