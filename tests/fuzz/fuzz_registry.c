/*
 * fuzz_registry - registry lookups and --explain: the input's first byte
 * picks the stage (modulo 6), the rest is split into words as the command
 * line would give them to explain_pair(); each word also goes through
 * registry_parse_basic and registry_parse_xcode, and a pair that parses
 * through registry_validate at that stage.
 */
#include <stdio.h>

#include "explain.h"
#include "fuzz.h"
#include "registry.h"

#define FUZZ_WORDS 4

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum registry_stage stage;
	struct registry_xcode x;
	struct registry_verdict v;
	char *text, *words[FUZZ_WORDS], *save = NULL, *w;
	int nwords = 0, basic = -1, have_x = 0;

	if (size < 1)
		return 0;
	stage = (enum registry_stage)(data[0] % 6);
	text = fuzz_cstr(data + 1, size - 1);
	for (w = strtok_r(text, " \t\n", &save); w != NULL &&
	    nwords < FUZZ_WORDS; w = strtok_r(NULL, " \t\n", &save)) {
		int b;

		words[nwords++] = w;
		if ((b = registry_parse_basic(w)) >= 0 && basic < 0)
			basic = b;
		if (!have_x && registry_parse_xcode(w, &x) == 0)
			have_x = 1;
	}
	explain_pair(devnull, nwords, words, stage);
	if (basic >= 0) {
		registry_validate((unsigned)basic, have_x ? &x : NULL, stage,
		    ((unsigned)data[0] >> 3) & REGISTRY_F_PRIVATE, &v);
		registry_verdict_worst(&v);
		registry_basic_lookup((unsigned)basic);
	}
	if (have_x)
		registry_enhanced_lookup(x.subject, x.detail);
	free(text);
	return 0;
}
