/*
 * fuzz_conf - the config reader (confread), the libconfuse schema, the
 * validators and the semantic pass: conf_load() on the input as a file.
 *
 * conf_load reads a path, so each input is written to one temporary file
 * (removed at exit); an "include" in the input reads what it names, as the
 * daemon would.
 */
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "log.h"

static char conf_path[] = "/tmp/fuzz_conf.XXXXXX";
static int conf_fd = -1;

/* remove_conf - the temporary file's clean-up, at exit. */
static void
remove_conf(void)
{
	unlink(conf_path);
}

/* quiet - a conf_diag_fn that counts nothing and prints nothing. */
static void
quiet(void *arg, enum registry_severity severity, const char *file,
    unsigned line, const char *message)
{
	(void)arg;
	(void)severity;
	(void)file;
	(void)line;
	(void)message;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((conf_fd = mkstemp(conf_path)) < 0) {
		perror("fuzz_conf: mkstemp");
		abort();
	}
	atexit(remove_conf);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_counts counts;
	struct policy *p;

	if (ftruncate(conf_fd, 0) < 0 ||
	    pwrite(conf_fd, data, size, 0) != (ssize_t)size)
		abort();
	if ((p = conf_load(conf_path, quiet, NULL, &counts)) != NULL)
		policy_unref(p);
	return 0;
}
