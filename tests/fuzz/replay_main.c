/*
 * replay_main - run a fuzz target over saved inputs, without libFuzzer
 *
 * Each argument is a file or a folder of files (not recursed into); every
 * file goes through LLVMFuzzerTestOneInput once, in name order, so the
 * corpus, and every crash ever added to it, is a regression test in make
 * check.  Exit status: 0, or 1 when a file cannot be read (a crash is the
 * sanitizer's or the kernel's to report).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* A target without set-up leaves this undefined. */
#pragma weak LLVMFuzzerInitialize

/* run_file - feed path to the target; 0, or -1 when it cannot be read. */
static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t size = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (size == cap) {
			uint8_t *nb = realloc(buf, cap = cap * 2 + 4096);

			if (nb == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan sees a read past the input. */
	{
		uint8_t *exact = malloc(size > 0 ? size : 1);

		if (exact == NULL)
			abort();
		memcpy(exact, buf, size);
		free(buf);
		LLVMFuzzerTestOneInput(exact, size);
		free(exact);
	}
	return 0;
}

/* by_name - qsort order for folder entries. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run_dir - every regular file in dir, by name; the count, -1 on error. */
static int
run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		struct stat st;
		char *p;

		if (de->d_name[0] == '.')
			continue;
		if ((p = malloc(len)) == NULL)
			abort();
		snprintf(p, len, "%s/%s", dir, de->d_name);
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap = cap * 2 + 64) *
			    sizeof(*names));

			if (nn == NULL)
				abort();
			names = nn;
		}
		names[n++] = p;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (run_file(names[i]) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc < 0 ? -1 : (int)n;
}

int
main(int argc, char **argv)
{
	int status = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if ((n = run_dir(argv[i])) < 0)
				status = 1;
			else
				printf("replay: %s: %d inputs\n", argv[i], n);
		} else if (run_file(argv[i]) < 0)
			status = 1;
	}
	return status;
}
