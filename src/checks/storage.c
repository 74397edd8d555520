/*
 * storage - is the spool short of space?  (RFC 3463 X.3.1, 452 4.3.1)
 */
#include "config.h"

#include "checks/storage.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "checks.h"
#include "log.h"

struct storage {
	char *path;
	unsigned long long min_bytes;
	unsigned long long min_inodes;
	pthread_mutex_t lock;
	time_t checked;		/* when statvfs last answered, 0: never */
	bool failed;
	unsigned long long bytes;
	unsigned long long inodes;
};

struct storage *
storage_new(const char *path, unsigned long long min_bytes,
    unsigned long long min_inodes)
{
	struct storage *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if ((s->path = strdup(path)) == NULL) {
		free(s);
		return NULL;
	}
	s->min_bytes = min_bytes;
	s->min_inodes = min_inodes;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void
storage_free(struct storage *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

const char *
storage_path(const struct storage *s)
{
	return s->path;
}

unsigned
storage_evaluate(struct storage *s, unsigned long long *bytes,
    unsigned long long *inodes)
{
	time_t now = time(NULL);
	struct statvfs sv;
	unsigned result;

	pthread_mutex_lock(&s->lock);
	if (s->checked == 0 || now - s->checked >= STORAGE_CACHE_SECONDS ||
	    now < s->checked) {
		if (statvfs(s->path, &sv) != 0) {
			if (!s->failed)
				log_warn("storage check: statvfs %s", s->path);
			s->failed = true;
		} else {
			s->failed = false;
			s->bytes = (unsigned long long)sv.f_bavail * sv.f_frsize;
			s->inodes = sv.f_favail;
		}
		s->checked = now;
	}
	if (bytes != NULL)
		*bytes = s->bytes;
	if (inodes != NULL)
		*inodes = s->inodes;
	if (s->failed)
		result = check_result(CHECK_STORAGE, "temperror");
	else if (s->bytes < s->min_bytes || s->inodes < s->min_inodes)
		result = check_result(CHECK_STORAGE, "low");
	else
		result = check_result(CHECK_STORAGE, "ok");
	pthread_mutex_unlock(&s->lock);
	return result;
}
