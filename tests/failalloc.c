/*
 * failalloc - a counting allocator for tests: make the Nth allocation fail
 */
#include "config.h"

#include "failalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* The blocks handed out in the window: open addressing, with a tombstone
 * for freed slots so probing goes on past them. */
#define SLOTS (1u << 17)
#define TOMBSTONE ((void *)1)

static void *slots[SLOTS];
static unsigned long live;
static bool window, armed;
static unsigned long counter, fail_at;
static bool failed;

/* slot_of - the slot index to probe first for p. */
static size_t
slot_of(const void *p)
{
	uintptr_t h = (uintptr_t)p;

	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 11) & (SLOTS - 1);
}

/* remember - note p as live. */
static void
remember(void *p)
{
	for (size_t i = slot_of(p), n = 0; n < SLOTS; i = (i + 1) &
	    (SLOTS - 1), n++)
		if (slots[i] == NULL || slots[i] == TOMBSTONE) {
			slots[i] = p;
			live++;
			return;
		}
	abort();	/* more live blocks than a test should ever hold */
}

/* forget - p is freed; whether it was live. */
static bool
forget(void *p)
{
	for (size_t i = slot_of(p), n = 0; n < SLOTS && slots[i] != NULL;
	    i = (i + 1) & (SLOTS - 1), n++)
		if (slots[i] == p) {
			slots[i] = TOMBSTONE;
			live--;
			return true;
		}
	return false;
}

/* refuse - whether this allocation is the one to fail (counting it). */
static bool
refuse(void)
{
	if (!armed)
		return false;
	if (++counter != fail_at)
		return false;
	failed = true;
	errno = ENOMEM;
	return true;
}

void
failalloc_start(unsigned long n)
{
	memset(slots, 0, sizeof(slots));
	live = 0;
	counter = 0;
	fail_at = n;
	failed = false;
	window = armed = true;
}

void
failalloc_pause(void)
{
	armed = false;
}

void
failalloc_resume(void)
{
	armed = window;
}

unsigned long
failalloc_stop(void)
{
	window = armed = false;
	return counter;
}

bool
failalloc_failed(void)
{
	return failed;
}

unsigned long
failalloc_live(void)
{
	return live;
}

void *
__wrap_malloc(size_t size)
{
	void *p;

	if (refuse())
		return NULL;
	if ((p = __real_malloc(size)) != NULL && armed)
		remember(p);
	return p;
}

void *
__wrap_calloc(size_t n, size_t size)
{
	void *p;

	if (refuse())
		return NULL;
	if ((p = __real_calloc(n, size)) != NULL && armed)
		remember(p);
	return p;
}

void *
__wrap_realloc(void *old, size_t size)
{
	void *p;

	if (refuse())
		return NULL;
	if ((p = __real_realloc(old, size)) == NULL)
		return NULL;
	/* A block from before the window stays outside it. */
	if (old == NULL ? armed : forget(old))
		remember(p);
	return p;
}

void
__wrap_free(void *p)
{
	if (p != NULL)
		(void)forget(p);
	__real_free(p);
}

char *
__wrap_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = __wrap_malloc(len);

	if (p != NULL)
		memcpy(p, s, len);
	return p;
}

char *
__wrap_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = __wrap_malloc(len + 1);

	if (p != NULL) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
