/*
 * failalloc - a counting allocator for tests: make the Nth allocation fail
 *
 * Linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,
 * --wrap=strdup,--wrap=strndup (see Makefile.am), it stands between every
 * object of the test program (the test, and what it links from
 * libreplymilter.a) and the C library's allocator.  Between
 * failalloc_start() and failalloc_stop() it numbers each allocation from 1,
 * makes the chosen one return NULL (errno ENOMEM), and remembers every block
 * handed out until it is freed, so a test can ask how many allocations a
 * piece of code makes, fail each in turn, and see what leaked.
 *
 * Allocations inside shared libraries (the C library's own, libconfuse's)
 * are not seen.  Single-threaded: for tests that drive code in one thread.
 */
#ifndef REPLYMILTER_TESTS_FAILALLOC_H
#define REPLYMILTER_TESTS_FAILALLOC_H

#include <stdbool.h>

/* failalloc_start - number allocations from now; the fail_at-th (from 1)
 * fails, none when 0.  Forgets the blocks of an earlier window. */
void failalloc_start(unsigned long fail_at);

/* failalloc_pause - leave allocations unnumbered and untracked until
 * failalloc_resume (a test framework's own, between the calls under
 * test). */
void failalloc_pause(void);

/* failalloc_resume - number and track allocations again. */
void failalloc_resume(void);

/* failalloc_stop - stop numbering; how many allocations were asked for. */
unsigned long failalloc_stop(void);

/* failalloc_failed - whether the chosen allocation was asked for (and
 * failed) in the last window. */
bool failalloc_failed(void);

/* failalloc_live - how many blocks allocated in the window are not yet
 * freed. */
unsigned long failalloc_live(void);

#endif
