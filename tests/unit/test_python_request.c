// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/runtimes/python/request.c: an ASGI scope in a
 * coroutine's locals, built in memory with CPython 3.11's layout (every
 * version's is checked live by tests/e2e/test_runtimes.py), and hostile
 * variants of it: huge counts, wrong types, self-references, a huge path,
 * unreadable and random memory.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "run_suite.h"
#include "runtimes/python/request.h"

#define BASE	 0x100000ULL
#define MEM_SIZE 0x10000
#define FRAME	 (BASE + 0x100)
#define CODE	 (BASE + 0x400)
#define NAMES	 (BASE + 0x600)
#define DICT	 (BASE + 0x700)
#define KEYS	 (BASE + 0x800)
#define TYPES	 (BASE + 0x1000) /* six types, 0x100 apart: their names follow each */
#define OBJECTS	 (BASE + 0x2000) /* strings, bytes, ints, tuples: 0x200 apart */

enum { T_STR, T_DICT, T_TUPLE, T_BYTES, T_INT, T_CELL };
static const char *const type_names[] = {"str", "dict", "tuple", "bytes", "int", "cell"};

struct fake {
	uint8_t mem[MEM_SIZE];
	bool garbage; /* reads outside mem return pseudo-random bytes */
	uint64_t next;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t i;

	if (addr >= BASE && addr - BASE <= MEM_SIZE && len <= MEM_SIZE - (addr - BASE)) {
		memcpy(buf, f->mem + (addr - BASE), len);
		return 0;
	}
	if (!f->garbage)
		return -EFAULT;
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)((addr + i) * 2654435761u >> 13);
	return 0;
}

static void put64(struct fake *f, uint64_t addr, uint64_t v)
{
	memcpy(f->mem + (addr - BASE), &v, 8);
}

static uint64_t object(struct fake *f, int type)
{
	uint64_t o = f->next;

	f->next += 0x200;
	ck_assert_uint_lt(f->next, BASE + MEM_SIZE);
	put64(f, o + 8, TYPES + 0x100 * (uint64_t)type);
	return o;
}

static uint64_t str(struct fake *f, const char *s)
{
	uint64_t o = object(f, T_STR);
	uint32_t state = 1 << 2 | 1 << 5 | 1 << 6 | 1 << 7; /* kind 1, compact, ascii, ready */

	ck_assert_uint_lt(strlen(s), 0x200 - 48);
	put64(f, o + 16, strlen(s));
	memcpy(f->mem + (o + 32 - BASE), &state, 4);
	memcpy(f->mem + (o + 48 - BASE), s, strlen(s) + 1);
	return o;
}

static uint64_t bytes(struct fake *f, const char *s)
{
	uint64_t o = object(f, T_BYTES);

	put64(f, o + 16, strlen(s));
	memcpy(f->mem + (o + 32 - BASE), s, strlen(s));
	return o;
}

static uint64_t small_int(struct fake *f, uint32_t v)
{
	uint64_t o = object(f, T_INT);

	put64(f, o + 16, 1);
	memcpy(f->mem + (o + 24 - BASE), &v, 4);
	return o;
}

static uint64_t pair(struct fake *f, uint64_t a, uint64_t b)
{
	uint64_t o = object(f, T_TUPLE);

	put64(f, o + 16, 2);
	put64(f, o + 24, a);
	put64(f, o + 32, b);
	return o;
}

static const struct py_layout *L;
static struct py_frame frame_info;
static struct walk w;

/* A coroutine frame whose local scope is an http scope of five keys (3.11: a dict of str keys). */
static void build(struct fake *f, const char *type, const char *path)
{
	const char *keys[] = {"type", "method", "path", "query_string", "client"};
	uint64_t values[5];
	int i;

	memset(f, 0, sizeof(*f));
	f->next = OBJECTS;
	for (i = 0; i < 6; i++) {
		uint64_t t = TYPES + 0x100 * (uint64_t)i;

		put64(f, t + 24, t + 0x80); /* tp_name */
		strcpy((char *)f->mem + (t + 0x80 - BASE), type_names[i]);
	}
	L = py_find_layout(3, 11);
	ck_assert_ptr_nonnull(L);
	put64(f, FRAME + L->frame_code, CODE);
	put64(f, CODE + L->code_localsnames, NAMES);
	put64(f, NAMES + 8, TYPES + 0x100 * T_TUPLE);
	put64(f, NAMES + 16, 2);
	put64(f, NAMES + 24, str(f, "receive"));
	put64(f, NAMES + 32, str(f, "scope"));
	put64(f, FRAME + L->frame_localsplus + 8, DICT);
	put64(f, DICT + 8, TYPES + 0x100 * T_DICT);
	put64(f, DICT + 32, KEYS);
	f->mem[KEYS + 8 - BASE] = 3; /* dk_log2_size */
	f->mem[KEYS + 9 - BASE] = 3; /* dk_log2_index_bytes: 8 bytes of indices */
	f->mem[KEYS + 10 - BASE] = 1; /* DICT_KEYS_UNICODE: {key, value} entries */
	put64(f, KEYS + 24, 5);
	values[0] = str(f, type);
	values[1] = str(f, "POST");
	values[2] = str(f, path);
	values[3] = bytes(f, "expand=items");
	values[4] = pair(f, str(f, "10.1.2.3"), small_int(f, 51234));
	for (i = 0; i < 5; i++) {
		put64(f, KEYS + 40 + 16 * (uint64_t)i, str(f, keys[i]));
		put64(f, KEYS + 40 + 16 * (uint64_t)i + 8, values[i]);
	}
	memset(&frame_info, 0, sizeof(frame_info));
	frame_info.coroutine = true;
	memset(&w, 0, sizeof(w));
	w.frames = &frame_info;
	w.max = 1;
	w.addr[0] = FRAME;
}

static int find(struct fake *f, struct served_request *out)
{
	struct mem_reader m = {fake_read, f};

	return py_find_request(&m, L, &w, 1, out);
}

START_TEST(asgi_scope_gives_the_request)
{
	struct fake *f = malloc(sizeof(*f));
	struct served_request r;

	build(f, "http", "/orders/17");
	ck_assert_int_eq(find(f, &r), 0);
	ck_assert_str_eq(r.method, "POST");
	ck_assert_str_eq(r.path, "/orders/17?expand=items");
	ck_assert_str_eq(r.client, "10.1.2.3:51234");
	/* not a coroutine frame: not looked at */
	frame_info.coroutine = false;
	ck_assert_int_eq(find(f, &r), -ENOENT);
	free(f);
}
END_TEST

START_TEST(only_http_and_websocket_scopes)
{
	struct fake *f = malloc(sizeof(*f));
	struct served_request r;

	build(f, "lifespan", "/");
	ck_assert_int_eq(find(f, &r), -ENOENT);
	ck_assert_str_eq(r.method, "");
	build(f, "http", "/");
	put64(f, FRAME + L->frame_localsplus + 8, str(f, "not a dict"));
	ck_assert_int_eq(find(f, &r), -ENOENT);
	free(f);
}
END_TEST

START_TEST(hostile_scopes_are_bounded)
{
	struct fake *f = malloc(sizeof(*f));
	char long_path[300];
	struct served_request r;

	/* a path of 299 bytes: cut at 200 */
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = 0;
	build(f, "http", long_path);
	ck_assert_int_eq(find(f, &r), 0);
	ck_assert_uint_eq(strlen(r.path), 200);
	/* 2^40 entries claimed: only the first 64 are looked at, the rest read as zero */
	build(f, "http", "/x");
	put64(f, KEYS + 24, 1ULL << 40);
	ck_assert_int_eq(find(f, &r), 0);
	ck_assert_str_eq(r.path, "/x?expand=items");
	/* a client tuple that contains itself, and a negative port */
	build(f, "http", "/x");
	{
		uint64_t client;

		memcpy(&client, f->mem + (KEYS + 40 + 16 * 4 + 8 - BASE), 8);
		put64(f, client + 24, client);
		ck_assert_int_eq(find(f, &r), 0);
		ck_assert_str_eq(r.client, "");
	}
	/* a names tuple claiming 2^62 items, and index bytes of 2^60 */
	build(f, "http", "/x");
	put64(f, NAMES + 16, 1ULL << 62);
	ck_assert_int_eq(find(f, &r), 0); /* only its first 64 are looked at: scope is one */
	ck_assert_str_eq(r.method, "POST");
	build(f, "http", "/x");
	f->mem[KEYS + 9 - BASE] = 60;
	ck_assert_int_eq(find(f, &r), -ENOENT);
	/* the code object unreadable, then everything outside random */
	build(f, "http", "/x");
	put64(f, FRAME + L->frame_code, 0x7f0000000000ULL);
	ck_assert_int_eq(find(f, &r), -ENOENT);
	f->garbage = true;
	ck_assert_int_eq(find(f, &r), -ENOENT);
	free(f);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {asgi_scope_gives_the_request, only_http_and_websocket_scopes,
				hostile_scopes_are_bounded};

	return run_tests("python_request", tests, sizeof(tests) / sizeof(tests[0]));
}
