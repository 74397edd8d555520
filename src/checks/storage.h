/*
 * storage - is the spool short of space?  (RFC 3463 X.3.1, 452 4.3.1)
 *
 * A struct storage watches one path: free bytes (for unprivileged users,
 * f_bavail) and free inodes against thresholds.  statvfs(3) is asked at
 * most once per STORAGE_CACHE_SECONDS whatever the mail rate; the cached
 * figures are shared by all threads under a mutex.
 */
#ifndef REPLYMILTER_CHECKS_STORAGE_H
#define REPLYMILTER_CHECKS_STORAGE_H

#include <stdbool.h>

#define STORAGE_CACHE_SECONDS 5

struct storage;

/* storage_new - watch path: low when fewer than min_bytes bytes or
 * min_inodes inodes are free; NULL when out of memory. */
struct storage *storage_new(const char *path, unsigned long long min_bytes,
    unsigned long long min_inodes);

/* storage_free - release; NULL is harmless. */
void storage_free(struct storage *s);

/* storage_evaluate - the storage check's result (an index of
 * check_def(CHECK_STORAGE)->results: low, ok, or temperror when statvfs
 * fails); the figures into *bytes and *inodes when not NULL. */
unsigned storage_evaluate(struct storage *s, unsigned long long *bytes,
    unsigned long long *inodes);

/* storage_path - the watched path. */
const char *storage_path(const struct storage *s);

#endif
