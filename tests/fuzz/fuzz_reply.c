/*
 * fuzz_reply - reply templates and the sanitiser: the input's lines as a
 * config reply (reply_parse), then described, checked against the MTAs'
 * limits, and rendered with every value set to the input's last line
 * (reply_render, which sanitises each value); and reply_sanitize on the
 * whole input.
 */
#include <stdio.h>

#include "fuzz.h"
#include "reply.h"

/* ignore - a reply_check_mta report function that keeps nothing. */
static void
ignore(void *arg, enum registry_severity severity, const char *message)
{
	(void)arg;
	(void)severity;
	(void)message;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), *lines[REPLY_MAX_LINES + 1];
	char err[256], desc[4096], clean[REPLY_VALUE_RENDERED_MAX + 1];
	static struct reply_rendered rr;
	static char formatted[REPLY_RENDER_MAX + 4 * REPLY_MAX_LINES];
	struct reply_values values;
	struct reply *r;
	unsigned n = 0;
	char *p = text;

	reply_sanitize(text, clean);
	/* One reply line per input line, one more than allowed at most. */
	while (n < REPLY_MAX_LINES + 1) {
		lines[n++] = p;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		*p++ = '\0';
	}
	for (unsigned i = 0; i < REPLY_VAR_COUNT; i++)
		values.v[i] = lines[n - 1];
	if ((r = reply_parse((const char *const *)lines, n, err,
	    sizeof(err))) != NULL) {
		reply_describe(r, desc, sizeof(desc));
		reply_check_mta(r, ignore, NULL);
		reply_render(r, &values, &rr);
		reply_format(&rr, formatted, sizeof(formatted));
		reply_free(r);
	}
	free(text);
	return 0;
}
