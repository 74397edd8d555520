/*
 * fuzz_lists - address, domain, CIDR and regex lists: the parsing of their
 * entries (list_add) and the matching of addresses, domains and IPs.
 *
 * Input: the first byte picks the kind (modulo 4: cidr, domain, address,
 * regex); the rest is lines, entries up to a line "--", then texts to match.
 * The kind names and field names are parsed too (list_kind_parse,
 * field_parse) from the first entry line.
 */
#include <stdio.h>
#include <syslog.h>

#include "field.h"
#include "fuzz.h"
#include "lists.h"
#include "log.h"

/* quiet - a list_error_fn that reports nothing. */
static void
quiet(void *arg, const char *file, unsigned line, const char *message)
{
	(void)arg;
	(void)file;
	(void)line;
	(void)message;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_open("fuzz_lists", LOG_MAIL, true);
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum list_kind kind, parsed;
	enum cond_field field;
	struct list *list;
	char *text, *line, *next;
	bool matching = false;

	if (size < 1)
		return 0;
	kind = (enum list_kind)(data[0] % 4);
	text = fuzz_cstr(data + 1, size - 1);
	if ((list = list_new("fuzz", kind)) == NULL)
		abort();
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line == text) {
			list_kind_parse(line, &parsed);
			field_parse(line, &field);
		}
		if (!matching) {
			if (strcmp(line, "--") == 0) {
				matching = true;
				list_freeze(list);
			} else
				list_add(list, line, quiet, NULL);
			continue;
		}
		switch (kind) {
		case LIST_CIDR:
			list_match_ip(list, line);
			break;
		case LIST_DOMAIN:
			list_match_domain(list, line);
			break;
		case LIST_ADDRESS:
			list_match_address(list, line);
			break;
		case LIST_REGEX:
			list_match_regex(list, line);
			break;
		}
	}
	list_free(list);
	free(text);
	return 0;
}
