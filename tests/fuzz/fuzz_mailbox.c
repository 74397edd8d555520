/*
 * fuzz_mailbox - the From: mailbox reader: mailbox_domains() on the input
 * as a From: header value, with room for a few mailboxes (so "more than
 * max" is reached too).
 */
#include "checks/mailbox.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char doms[4][MAILBOX_DOMAIN_SIZE];
	char *value = fuzz_cstr(data, size);

	mailbox_domains(value, doms, 4);
	free(value);
	return 0;
}
