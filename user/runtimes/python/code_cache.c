// SPDX-License-Identifier: GPL-2.0
/* Code objects named before, checked against their fields on reuse (see code_cache.h). */
#include <stdlib.h>
#include <string.h>

#include "runtimes/python/code_cache.h"

#define SLOTS 512 /* a power of two: a server's hot code fits */

struct py_code_cache {
	struct py_cached_code slot[SLOTS];
};

struct py_code_cache *py_code_cache_new(void)
{
	return calloc(1, sizeof(struct py_code_cache));
}

void py_code_cache_free(struct py_code_cache *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < SLOTS; i++)
		free(c->slot[i].linetable);
	free(c);
}

static struct py_cached_code *slot_of(struct py_code_cache *c, uint64_t code)
{
	return &c->slot[((code >> 4) ^ (code >> 13)) & (SLOTS - 1)];
}

static bool same_fields(const struct py_code_fields *a, const struct py_code_fields *b)
{
	return a->name == b->name && a->qualname == b->qualname && a->filename == b->filename &&
	       a->linetable == b->linetable && a->flags == b->flags && a->firstlineno == b->firstlineno &&
	       a->firsttraceable == b->firsttraceable;
}

struct py_cached_code *py_code_cache_find(struct py_code_cache *c, uint64_t code, const struct py_code_fields *f)
{
	struct py_cached_code *e;

	if (!c || !code)
		return NULL;
	e = slot_of(c, code);
	return e->code == code && same_fields(&e->fields, f) ? e : NULL;
}

struct py_cached_code *py_code_cache_put(struct py_code_cache *c, uint64_t code, const struct py_code_fields *f)
{
	struct py_cached_code *e;

	if (!c || !code)
		return NULL;
	e = slot_of(c, code);
	free(e->linetable);
	memset(e, 0, sizeof(*e));
	e->code = code;
	e->fields = *f;
	return e;
}

void py_code_cache_keep_linetable(struct py_cached_code *e, const uint8_t *bytes, size_t len)
{
	if (!e || e->linetable || !len || len > PY_CODE_CACHE_LINETABLE)
		return;
	e->linetable = malloc(len);
	if (!e->linetable)
		return;
	memcpy(e->linetable, bytes, len);
	e->linetable_len = len;
}
