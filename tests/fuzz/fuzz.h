/*
 * fuzz - what the fuzz targets share
 *
 * Each tests/fuzz/fuzz_<target>.c defines LLVMFuzzerTestOneInput (and
 * LLVMFuzzerInitialize when it needs set-up).  Linked with libFuzzer it is
 * a fuzzer; linked with replay_main.c it replays a corpus in make check.
 * A target frees everything it allocates, so LeakSanitizer finds leaks in
 * the code under test, not in the harness.
 */
#ifndef REPLYMILTER_FUZZ_H
#define REPLYMILTER_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* fuzz_cstr - data as a NUL-terminated string the caller frees (a NUL
 * inside it ends the string early, as it would for any C caller); aborts
 * when out of memory, which a fuzz run must not mistake for a bug. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
