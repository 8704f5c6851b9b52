#ifndef LOOPSTALL_PY_CODE_CACHE_H
#define LOOPSTALL_PY_CODE_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtimes/python/frame.h"

/*
 * Code objects named before, by address. An entry is used again only if
 * the code object still holds the same fields (the pointers to its names
 * and line table, its flags and first line): a stack read then costs one
 * read of each frame's code object, not that plus its strings and line
 * table. Names and line tables are immutable objects the code object
 * keeps alive, so same pointers mean the same names.
 */
struct py_code_cache;

/* What a frame takes from its code object; the key of an entry. */
struct py_code_fields {
	uint64_t name, qualname, filename, linetable;
	int32_t flags, firstlineno, firsttraceable;
};

struct py_cached_code {
	uint64_t code; /* 0: free */
	struct py_code_fields fields;
	char function[sizeof(((struct py_frame *)0)->function)];
	char file[sizeof(((struct py_frame *)0)->file)];
	uint8_t *linetable; /* its bytes once read (at most PY_CODE_CACHE_LINETABLE), else NULL */
	size_t linetable_len;
};

#define PY_CODE_CACHE_LINETABLE 4096 /* longer line tables are read every time */

struct py_code_cache *py_code_cache_new(void);
void py_code_cache_free(struct py_code_cache *c);
/* The entry of code whose fields are f, or NULL. */
struct py_cached_code *py_code_cache_find(struct py_code_cache *c, uint64_t code, const struct py_code_fields *f);
/* A fresh entry for code (evicting whatever held its slot), or NULL if c is NULL. */
struct py_cached_code *py_code_cache_put(struct py_code_cache *c, uint64_t code, const struct py_code_fields *f);
/* Keeps a copy of an entry's line table (len bytes), if short enough. */
void py_code_cache_keep_linetable(struct py_cached_code *e, const uint8_t *bytes, size_t len);

#endif
