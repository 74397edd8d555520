/*
 * macros - the milter macros replymilter knows, and when MTAs send them
 */
#include "config.h"

#include "macros.h"

#include <string.h>

#include "spell.h"

static const struct {
	const char *name;
	enum stage stage;
} known[] = {
	{ "j", STAGE_CONNECT }, { "_", STAGE_CONNECT }, { "v", STAGE_CONNECT },
	{ "{daemon_name}", STAGE_CONNECT }, { "{daemon_addr}", STAGE_CONNECT },
	{ "{daemon_port}", STAGE_CONNECT }, { "{if_name}", STAGE_CONNECT },
	{ "{if_addr}", STAGE_CONNECT }, { "{client_addr}", STAGE_CONNECT },
	{ "{client_name}", STAGE_CONNECT }, { "{client_port}", STAGE_CONNECT },
	{ "{client_ptr}", STAGE_CONNECT },
	{ "{client_resolve}", STAGE_CONNECT },
	{ "{client_connections}", STAGE_CONNECT },
	{ "{tls_version}", STAGE_HELO }, { "{cipher}", STAGE_HELO },
	{ "{cipher_bits}", STAGE_HELO }, { "{cert_subject}", STAGE_HELO },
	{ "{cert_issuer}", STAGE_HELO }, { "{cn_subject}", STAGE_HELO },
	{ "{cn_issuer}", STAGE_HELO }, { "{verify}", STAGE_HELO },
	{ "{server_name}", STAGE_HELO }, { "{server_addr}", STAGE_HELO },
	{ "i", STAGE_MAIL }, { "{auth_type}", STAGE_MAIL },
	{ "{auth_authen}", STAGE_MAIL }, { "{auth_author}", STAGE_MAIL },
	{ "{auth_ssf}", STAGE_MAIL }, { "{mail_addr}", STAGE_MAIL },
	{ "{mail_host}", STAGE_MAIL }, { "{mail_mailer}", STAGE_MAIL },
	{ "{rcpt_addr}", STAGE_RCPT }, { "{rcpt_host}", STAGE_RCPT },
	{ "{rcpt_mailer}", STAGE_RCPT },
	{ "{msg_id}", STAGE_EOM },
};

#define NKNOWN (sizeof(known) / sizeof(known[0]))
_Static_assert(NKNOWN == MACROS_KNOWN, "MACROS_KNOWN counts the table");

int
macro_stage(const char *name, enum stage *out)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(known[i].name, name) == 0) {
			*out = known[i].stage;
			return 0;
		}
	return -1;
}

/* name_at - spell_nearest's view of the table. */
static const char *
name_at(const void *arg, size_t i)
{
	(void)arg;
	return known[i].name;
}

const char *
macro_nearest(const char *name)
{
	return spell_nearest(name, name_at, NULL, NKNOWN);
}

size_t
macro_count(void)
{
	return NKNOWN;
}

const char *
macro_name(size_t i)
{
	return i < NKNOWN ? known[i].name : NULL;
}
