/*
 * fuzz_transcript - the --test transcript reader: transcript_run() on the
 * input, against a fixed policy with rules at every stage (the examples in
 * conf/examples, loaded once), so the lines reach the whole flow.
 */
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "log.h"
#include "transcript.h"

static const char policy_text[] =
#include "transcript_policy.inc"
    ;

static struct policy *policy;

/* drop_policy - release the policy at exit, so LeakSanitizer is quiet. */
static void
drop_policy(void)
{
	policy_unref(policy);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/fuzz_transcript.XXXXXX";
	int fd;

	(void)argc;
	(void)argv;
	log_open("fuzz_transcript", LOG_MAIL, true);
	log_set_level(LOG_LEVEL_ERROR);
	if ((fd = mkstemp(path)) < 0 ||
	    write(fd, policy_text, sizeof(policy_text) - 1) !=
	    (ssize_t)(sizeof(policy_text) - 1)) {
		perror("fuzz_transcript: temporary file");
		abort();
	}
	close(fd);
	policy = conf_load(path, conf_print_diag, stderr, NULL);
	unlink(path);
	if (policy == NULL) {
		fprintf(stderr, "fuzz_transcript: the built-in policy does "
		    "not load\n");
		abort();
	}
	atexit(drop_policy);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in, *out;

	if (size == 0)
		return 0;
	if ((in = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL ||
	    (out = fopen("/dev/null", "w")) == NULL)
		abort();
	transcript_run(policy, in, "fuzz", out);
	fclose(in);
	fclose(out);
	return 0;
}
