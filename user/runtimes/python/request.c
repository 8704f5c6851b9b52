// SPDX-License-Identifier: GPL-2.0
/* The request being served, from an ASGI scope in a coroutine's locals (see request.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/python/request.h"
#include "runtimes/python/strings.h"

#define OB_SIZE	      16 /* PyVarObject.ob_size: a tuple's length */
#define TUPLE_ITEMS   24 /* PyTupleObject.ob_item */
#define CELL_REF      16 /* PyCellObject.ob_ref */
#define DICT_KEYS     32 /* PyDictObject.ma_keys (3.8-3.13) */
#define DICT_VALUES   40 /* ma_values: split dicts, not a scope */
#define MAX_LOCALS    64 /* names of one code object looked at */
#define MAX_ENTRIES   64 /* entries of one dict looked at */
#define MAX_PATH      200
#define ENTRY_GENERAL 24 /* hash, key, value */
#define ENTRY_UNICODE 16 /* key, value (3.11+: dicts of str keys) */

/* A dict's entries: where they are, how many, and how big each is. */
struct entries {
	uint64_t at;
	int n;
	int size;  /* bytes of one entry */
	int key;   /* offset of the key in it */
};

/* 3.8-3.10: dk_size, dk_nentries, indices of 1-8 bytes each; 3.11+: log2 sizes and a kind. */
static int dict_entries(const struct mem_reader *m, const struct py_layout *L, uint64_t dict, struct entries *e)
{
	uint8_t k[40];
	uint64_t keys, values;

	if (mem_read_ptr(m, dict + DICT_KEYS, &keys) || mem_read_ptr(m, dict + DICT_VALUES, &values) || values ||
	    !mem_valid_ptr(keys, 8) || mem_read(m, keys, k, sizeof(k)))
		return -EFAULT;
	if (L->minor <= 10) {
		uint64_t size = mem_get_u64(k, 8), width;

		if (size < 8 || size > (1u << 20) || (size & (size - 1)))
			return -EINVAL;
		width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		e->at = keys + 40 + size * width;
		e->n = (int)(mem_get_u64(k, 32) < MAX_ENTRIES ? mem_get_u64(k, 32) : MAX_ENTRIES);
		e->size = ENTRY_GENERAL;
		e->key = 8;
	} else {
		int log2_index_bytes = k[9], kind = k[10];
		int64_t nentries = (int64_t)mem_get_u64(k, 24);

		if (log2_index_bytes > 24 || kind > 2 || nentries < 0)
			return -EINVAL;
		e->at = keys + 32 + (1ULL << log2_index_bytes);
		e->n = nentries < MAX_ENTRIES ? (int)nentries : MAX_ENTRIES;
		e->size = kind == 0 ? ENTRY_GENERAL : ENTRY_UNICODE;
		e->key = kind == 0 ? 8 : 0;
	}
	return 0;
}

/* A str object's text, "" when obj is no str. */
static void read_text(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	dst[0] = 0;
	if (!py_type_is(m, L, obj, "str", NULL) || py_read_str(m, L, obj, dst, cap))
		dst[0] = 0;
}

/* A bytes object's bytes as text (an ASGI query string is ASCII), "" when obj is no bytes. */
static void read_bytes(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	uint64_t size;
	size_t i;

	dst[0] = 0;
	if (!py_type_is(m, L, obj, "bytes", NULL) || mem_read_ptr(m, obj + L->bytes_size, &size))
		return;
	if (size >= cap)
		size = cap - 1;
	if (mem_read(m, obj + L->bytes_data, dst, size)) {
		dst[0] = 0;
		return;
	}
	for (i = 0; i < size; i++)
		if ((unsigned char)dst[i] < 0x20 || (unsigned char)dst[i] > 0x7e)
			dst[i] = '?';
	dst[size] = 0;
}

/* A small non-negative int (a port), -1 when obj is none. */
static long read_port(const struct mem_reader *m, const struct py_layout *L, uint64_t obj)
{
	uint64_t size;
	uint32_t digit;
	uint64_t ndigits;

	if (!py_type_is(m, L, obj, "int", NULL) || mem_read_ptr(m, obj + L->long_size, &size) ||
	    mem_read(m, obj + L->long_digit, &digit, sizeof(digit)))
		return -1;
	ndigits = L->long_tagged ? size >> 3 : size;
	if ((L->long_tagged && (size & 3) == 2) || ndigits > 1)
		return -1; /* negative, or past 2^30 */
	return ndigits ? (long)(digit & 0x3fffffff) : 0;
}

/* ("127.0.0.1", 41234) */
static void read_client(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	uint64_t size, items[2];
	char host[64];
	long port;

	dst[0] = 0;
	if (!py_type_is(m, L, obj, "tuple", NULL) || mem_read_ptr(m, obj + OB_SIZE, &size) || size != 2 ||
	    mem_read(m, obj + TUPLE_ITEMS, items, sizeof(items)))
		return;
	read_text(m, L, items[0], host, sizeof(host));
	port = read_port(m, L, items[1]);
	if (host[0] && port >= 0)
		snprintf(dst, cap, "%s:%ld", host, port);
}

/* The scope's fields into out: 0 when it is an http or websocket scope. */
static int read_scope(const struct mem_reader *m, const struct py_layout *L, uint64_t dict, struct served_request *out)
{
	char key[16], type[16] = "", path[MAX_PATH + 1] = "", query[MAX_PATH + 1] = "";
	uint8_t entry[ENTRY_GENERAL];
	struct entries e;
	uint64_t client = 0;
	int i;

	if (!py_type_is(m, L, dict, "dict", NULL) || dict_entries(m, L, dict, &e))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < e.n; i++) {
		uint64_t k, v;

		if (mem_read(m, e.at + (uint64_t)i * e.size, entry, e.size))
			return -EFAULT;
		k = mem_get_u64(entry, e.key);
		v = mem_get_u64(entry, e.key + 8);
		if (!k || !v)
			continue; /* deleted */
		read_text(m, L, k, key, sizeof(key));
		if (!strcmp(key, "type"))
			read_text(m, L, v, type, sizeof(type));
		else if (!strcmp(key, "method"))
			read_text(m, L, v, out->method, sizeof(out->method));
		else if (!strcmp(key, "path"))
			read_text(m, L, v, path, sizeof(path));
		else if (!strcmp(key, "query_string"))
			read_bytes(m, L, v, query, sizeof(query));
		else if (!strcmp(key, "client"))
			client = v;
	}
	if (strcmp(type, "http") && strcmp(type, "websocket"))
		return -ENOENT;
	if (!out->method[0])
		snprintf(out->method, sizeof(out->method), "%s", type[0] == 'w' ? "WEBSOCKET" : "?");
	/* the path, then ?query, cut at MAX_PATH bytes */
	snprintf(out->path, sizeof(out->path), "%s", path);
	if (query[0] && strlen(out->path) + 1 < MAX_PATH) {
		strcat(out->path, "?");
		strncat(out->path, query, MAX_PATH - strlen(out->path));
	}
	out->path[MAX_PATH] = 0;
	if (client)
		read_client(m, L, client, out->client, sizeof(out->client));
	return 0;
}

/* The value of the local called want in the frame at frame, 0 when it has none. */
static uint64_t local_named(const struct mem_reader *m, const struct py_layout *L, uint64_t frame, const char *want)
{
	uint64_t code, names, size, items[MAX_LOCALS], value;
	char name[8];
	int i;

	if (mem_read_ptr(m, frame + L->frame_code, &code) || !mem_valid_ptr(code, 8) ||
	    mem_read_ptr(m, code + L->code_localsnames, &names) || !py_type_is(m, L, names, "tuple", NULL) ||
	    mem_read_ptr(m, names + OB_SIZE, &size))
		return 0;
	if (size > MAX_LOCALS)
		size = MAX_LOCALS;
	if (!size || mem_read(m, names + TUPLE_ITEMS, items, size * 8))
		return 0;
	for (i = 0; i < (int)size; i++) {
		if (py_read_str(m, L, items[i], name, sizeof(name)) || strcmp(name, want))
			continue;
		if (mem_read_ptr(m, frame + L->frame_localsplus + 8 * (uint64_t)i, &value) || !mem_valid_ptr(value, 8))
			return 0;
		/* captured by an inner function: the cell holds it */
		if (py_type_is(m, L, value, "cell", NULL) && mem_read_ptr(m, value + CELL_REF, &value))
			return 0;
		return value;
	}
	return 0;
}

int py_find_request(const struct mem_reader *m, const struct py_layout *L, const struct walk *w, int n,
		    struct served_request *out)
{
	int i;

	for (i = 0; i < n && i < w->max; i++) {
		uint64_t scope;

		if (!w->frames[i].coroutine)
			continue;
		scope = local_named(m, L, w->addr[i], "scope");
		if (scope && read_scope(m, L, scope, out) == 0)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}
