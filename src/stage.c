/*
 * stage - the SMTP stages a milter sees, in the order it sees them
 */
#include "config.h"

#include "stage.h"

#include <string.h>

static const char *const names[STAGE_COUNT] = {
	"connect", "helo", "mail", "rcpt", "header", "eoh", "body", "eom",
};

const char *
stage_name(enum stage stage)
{
	return stage < STAGE_COUNT ? names[stage] : "?";
}

int
stage_parse(const char *text, enum stage *out)
{
	for (int i = 0; i < STAGE_COUNT; i++)
		if (strcmp(text, names[i]) == 0) {
			*out = (enum stage)i;
			return 0;
		}
	return -1;
}

enum registry_stage
stage_registry(enum stage stage)
{
	switch (stage) {
	case STAGE_CONNECT: return REGISTRY_STAGE_CONNECT;
	case STAGE_HELO: return REGISTRY_STAGE_HELO;
	case STAGE_MAIL: return REGISTRY_STAGE_MAIL;
	case STAGE_RCPT: return REGISTRY_STAGE_RCPT;
	default: return REGISTRY_STAGE_DATA;
	}
}

const char *
stage_names(void)
{
	return "connect, helo, mail, rcpt, header, eoh, body, eom";
}
