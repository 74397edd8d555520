/*
 * arena - bump allocation in blocks, released all at once
 */
#include "config.h"

#include "arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct block {
	struct block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct block *head;	/* the block being filled */
	struct block *first;	/* kept by arena_reset */
	size_t block_size;
};

/* block_new - a block with room for size bytes, or NULL. */
static struct block *
block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);

	if (b != NULL) {
		b->next = NULL;
		b->size = size;
		b->used = 0;
	}
	return b;
}

struct arena *
arena_new(size_t block_size)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->block_size = block_size;
	if ((a->first = a->head = block_new(block_size)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

/* free_blocks - release b and the blocks after it. */
static void
free_blocks(struct block *b)
{
	while (b != NULL) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
}

void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	free_blocks(a->head);
	free(a);
}

void
arena_reset(struct arena *a)
{
	/* Blocks chain from the newest to the first. */
	struct block *b = a->head;

	while (b != a->first) {
		struct block *next = b->next;

		free(b);
		b = next;
	}
	a->head = a->first;
	a->first->used = 0;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	size_t align = alignof(max_align_t);
	size_t need = (size + align - 1) & ~(align - 1);
	struct block *b = a->head;
	void *p;

	if (need < size)
		return NULL;
	if (b->size - b->used < need) {
		size_t bsize = need > a->block_size ? need : a->block_size;

		if ((b = block_new(bsize)) == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += need;
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
