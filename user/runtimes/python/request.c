// SPDX-License-Identifier: GPL-2.0
/* The request being served, from an ASGI scope in a coroutine's locals (see request.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtimes/python/objects.h"
#include "runtimes/python/request.h"
#include "runtimes/python/strings.h"

#define OB_SIZE	      16 /* PyVarObject.ob_size: a tuple's length */
#define TUPLE_ITEMS   24 /* PyTupleObject.ob_item */
#define OBJECT_HEAD   16 /* PyObject: refcount, type */
#define MAX_PATH      200

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
	struct py_entries e;
	uint64_t client = 0;
	int i;

	if (py_dict_entries(m, L, dict, &e))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	for (i = 0; i < e.n; i++) {
		uint64_t k, v;

		if (py_entry(m, &e, i, &k, &v))
			return -EFAULT;
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
	{
		size_t used;

		snprintf(out->path, MAX_PATH + 1, "%s", path);
		used = strlen(out->path);
		if (query[0] && used + 1 < MAX_PATH)
			snprintf(out->path + used, MAX_PATH + 1 - used, "?%s", query);
	}
	if (client)
		read_client(m, L, client, out->client, sizeof(out->client));
	return 0;
}

/*
 * aiohttp's web.Request: its _message, the parsed request line, and
 * _transport_peername, the client. The message is a RawRequestMessage: the
 * C parser's object (_http_parser.pyx declares method and path as its first
 * fields, right after the object header: Cython gives them no members to
 * look up) or the Python parser's named tuple (method, path, version, ...).
 * Either way both must be str objects.
 */
static int read_aiohttp_request(const struct mem_reader *m, const struct py_layout *L, uint64_t request,
				struct served_request *out)
{
	uint64_t msg = py_object_attr(m, L, request, "_message"), type, base, base_name, size, items[2];
	bool named_tuple;

	char type_name[64];

	/* "aiohttp._http_parser.RawRequestMessage" (C), "RawRequestMessage" (the named tuple) */
	if (!msg || !py_type_is(m, L, msg, NULL, &type) || py_type_name(m, L, type, type_name, sizeof(type_name)) ||
	    (strcmp(type_name, "RawRequestMessage") && strcmp(type_name, "aiohttp._http_parser.RawRequestMessage")) ||
	    mem_read_ptr(m, type + L->type_base, &base))
		return -ENOENT;
	named_tuple = mem_valid_ptr(base, 8) && !mem_read_ptr(m, base + L->type_name, &base_name) &&
		      py_cstr_is(m, base_name, "tuple");
	if (named_tuple && (mem_read_ptr(m, msg + OB_SIZE, &size) || size < 2 || size > 16))
		return -ENOENT;
	if (mem_read(m, msg + (named_tuple ? TUPLE_ITEMS : OBJECT_HEAD), items, sizeof(items)))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	read_text(m, L, items[0], out->method, sizeof(out->method));
	read_text(m, L, items[1], out->path, MAX_PATH + 1);
	if (!out->method[0] || !out->path[0])
		return -ENOENT;
	read_client(m, L, py_object_attr(m, L, request, "_transport_peername"), out->client, sizeof(out->client));
	return 0;
}

int py_find_request(const struct mem_reader *m, const struct py_layout *L, const struct walk *w, int n,
		    struct served_request *out)
{
	int i;

	for (i = 0; i < n && i < w->max; i++) {
		uint64_t scope; /* or request */

		if (!w->frames[i].coroutine)
			continue;
		scope = py_frame_local(m, L, w->addr[i], "scope");
		if (scope && read_scope(m, L, scope, out) == 0)
			return 0;
		scope = py_frame_local(m, L, w->addr[i], "request");
		if (scope && read_aiohttp_request(m, L, scope, out) == 0)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}
