/*
 * arena - bump allocation in blocks, released all at once
 *
 * Used for what a session copies from libmilter: many small strings that
 * die together at the end of a message or connection.  arena_reset keeps
 * the first block, so a steady stream of messages allocates nothing once
 * the arena has grown to fit them.  Not thread-safe: one owner.
 * Failure: arena_alloc and arena_strdup return NULL when out of memory.
 */
#ifndef REPLYMILTER_ARENA_H
#define REPLYMILTER_ARENA_H

#include <stddef.h>

struct arena;

/* arena_new - an empty arena whose blocks hold block_size bytes, or NULL. */
struct arena *arena_new(size_t block_size);

/* arena_free - release the arena and all its blocks; NULL is harmless. */
void arena_free(struct arena *a);

/* arena_reset - forget every allocation, keep the first block. */
void arena_reset(struct arena *a);

/* arena_alloc - size bytes aligned for any type, or NULL. */
void *arena_alloc(struct arena *a, size_t size);

/* arena_strdup - a copy of s, or NULL. */
char *arena_strdup(struct arena *a, const char *s);

/* arena_strndup - a copy of the first n bytes of s, NUL-terminated, or
 * NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

#endif
