// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/runtimes/python/methods.c: an extension's method
 * tables built in memory, owned by a PyModuleDef and by a heap type's
 * PyType_Spec, named as Python names them; and hostile data around them
 * (bad flags, pointers outside the file, a slot list that never ends).
 * Functions a method's code jumps to, named by it.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/proc.h"
#include "run_suite.h"
#include "runtimes/python/methods.h"

#define TEXT	  0x7f0000001000ULL
#define DATA	  0x7f0000010000ULL
#define DATA_SIZE 0x2000
#define FN_PBKDF2 (TEXT + 0x100)
#define FN_DIGEST (TEXT + 0x200)
#define FN_BAD	  (TEXT + 0x300)
#define FN_READ1  (TEXT + 0x400)

static const char maps_text[] =
	"7f0000000000-7f0000001000 r--p 00000000 08:01 42 /usr/lib/python3.11/lib-dynload/_h.cpython-311-x86_64-linux-gnu.so\n"
	"7f0000001000-7f0000002000 r-xp 00001000 08:01 42 /usr/lib/python3.11/lib-dynload/_h.cpython-311-x86_64-linux-gnu.so\n"
	"7f0000010000-7f0000012000 rw-p 00002000 08:01 42 /usr/lib/python3.11/lib-dynload/_h.cpython-311-x86_64-linux-gnu.so\n"
	"7f0000100000-7f0000101000 rw-p 00000000 08:01 43 /usr/lib/x86_64-linux-gnu/libother.so\n";

static uint8_t data[DATA_SIZE], code[0x1000]; /* code: at TEXT */

static int read_data(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr >= TEXT && addr - TEXT <= sizeof(code) && len <= sizeof(code) - (addr - TEXT)) {
		memcpy(buf, code + (addr - TEXT), len);
		return 0;
	}
	if (addr < DATA || addr - DATA > DATA_SIZE || len > DATA_SIZE - (addr - DATA))
		return -EFAULT;
	memcpy(buf, data + (addr - DATA), len);
	return 0;
}

static const struct mem_reader mem = {read_data, NULL};

static void put64(uint64_t addr, uint64_t v)
{
	memcpy(data + (addr - DATA), &v, 8);
}

static uint64_t cstr(uint64_t at, const char *s)
{
	memcpy(data + (at - DATA), s, strlen(s) + 1);
	return at;
}

static void method_def(uint64_t at, uint64_t name, uint64_t fn, uint64_t flags)
{
	put64(at, name);
	put64(at + 8, fn);
	put64(at + 16, flags);
	put64(at + 24, 0);
}

/*
 * 0x100: module functions {pbkdf2_hmac, METH_FASTCALL|METH_KEYWORDS} + end;
 * 0x200: PyModuleDef "_h" (m_name at +40, m_methods at +64);
 * 0x400: type methods {digest, METH_NOARGS} + end; 0x500: its slots
 * {Py_tp_methods}; 0x600: PyType_Spec "_h.HASH" (slots at +24);
 * 0x800: strings.
 */
static void (*more_data)(void); /* a test's own data, written before the scan */

static struct py_methods *build(void)
{
	struct proc_maps *maps;
	struct py_methods *pm;

	memset(data, 0, sizeof(data));
	method_def(DATA + 0x100, cstr(DATA + 0x800, "pbkdf2_hmac"), FN_PBKDF2, 0x82);
	put64(DATA + 0x200 + 40, cstr(DATA + 0x820, "_h"));
	put64(DATA + 0x200 + 64, DATA + 0x100);
	method_def(DATA + 0x400, cstr(DATA + 0x840, "digest"), FN_DIGEST, 0x4);
	put64(DATA + 0x500, 64);
	put64(DATA + 0x508, DATA + 0x400);
	put64(DATA + 0x600, cstr(DATA + 0x860, "_h.HASH"));
	put64(DATA + 0x600 + 24, DATA + 0x500);
	/* not method tables: flags no calling convention has, a name outside the file */
	method_def(DATA + 0xa00, DATA + 0x800, FN_BAD, 0x10000);
	method_def(DATA + 0xb00, 0x7f0000100000ULL, FN_BAD, 0x4);
	/* a spec whose slots go on and on (every id 64 pointing at no table) */
	put64(DATA + 0xc00, DATA + 0x860);
	put64(DATA + 0xc00 + 24, DATA + 0xd00);
	for (int i = 0; i < 0x60; i++) {
		put64(DATA + 0xd00 + 16 * (uint64_t)i, 64);
		put64(DATA + 0xd00 + 16 * (uint64_t)i + 8, DATA + 0xd00);
	}
	if (more_data)
		more_data();
	ck_assert_int_eq(proc_maps_parse(maps_text, strlen(maps_text), &maps), 0);
	ck_assert_int_eq(py_methods_read(&mem, maps, &pm), 0);
	proc_maps_free(maps);
	return pm;
}

START_TEST(module_and_type_functions_by_their_python_names)
{
	struct py_methods *pm = build();
	char name[128];

	ck_assert_int_eq(py_methods_count(pm), 2);
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_PBKDF2, 0, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "_h.pbkdf2_hmac");
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_DIGEST, 0, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "_h.HASH.digest");
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_BAD, 0, name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_PBKDF2 + 1, 0, name, sizeof(name)), -ENOENT);
	py_methods_free(pm);
}
END_TEST

START_TEST(names_read_late_are_checked)
{
	struct py_methods *pm = build();
	char name[128];

	/* the owner's name turned into garbage after the scan: the method alone */
	cstr(DATA + 0x820, "\x1b[31m");
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_PBKDF2, 0, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "pbkdf2_hmac");
	/* the method's own name unterminated for 64 bytes: no name */
	memset(data + 0x800, 'a', 0x20);
	memset(data + 0x820, 'a', 0x40);
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_PBKDF2, 0, name, sizeof(name)), -ENOENT);
	py_methods_free(pm);
}
END_TEST

/* Words that merely look like a spec of the type's table, their "name" pointing into code (real data has them). */
static void a_false_spec(void)
{
	put64(DATA + 0x580, TEXT + 0x50); /* before the real spec: met first */
	put64(DATA + 0x580 + 24, DATA + 0x740);
	put64(DATA + 0x740, 64);
	put64(DATA + 0x748, DATA + 0x400);
}

START_TEST(an_owner_that_only_looks_like_one_is_passed_over)
{
	struct py_methods *pm;
	char name[128];

	more_data = a_false_spec;
	pm = build();
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_DIGEST, 0, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "_h.HASH.digest");
	py_methods_free(pm);
}
END_TEST

/* A type spec at at named name, whose method table (at + 0x80) lists read1. */
static void io_type(uint64_t at, const char *name, uint64_t strings)
{
	method_def(at + 0x80, cstr(strings, "read1"), FN_READ1, 0x4);
	put64(at + 0x40, 64);
	put64(at + 0x48, at + 0x80);
	put64(at, cstr(strings + 0x10, name));
	put64(at + 24, at + 0x40);
}

static void buffered_random_first(void)
{
	io_type(DATA + 0x1000, "_io.BufferedRandom", DATA + 0x1800);
	io_type(DATA + 0x1200, "_io.BufferedReader", DATA + 0x1840);
}

static void buffered_reader_first(void)
{
	io_type(DATA + 0x1000, "_io.BufferedReader", DATA + 0x1800);
	io_type(DATA + 0x1200, "_io.BufferedRandom", DATA + 0x1840);
}

/* One C function listed by io's reader and BufferedRandom: the public name of the common type, in either order. */
START_TEST(a_shared_function_is_named_by_its_common_type)
{
	void (*orders[])(void) = {buffered_random_first, buffered_reader_first};
	struct py_methods *pm;
	char name[128];

	for (int i = 0; i < 2; i++) {
		more_data = orders[i];
		pm = build();
		ck_assert_int_eq(py_methods_name(pm, &mem, FN_READ1, 0, name, sizeof(name)), 0);
		ck_assert_str_eq(name, "io.BufferedReader.read1");
		py_methods_free(pm);
	}
	more_data = NULL;
}
END_TEST

/* A jmp (e9 rel32) at from to to, or a call (e8) when op says so. */
static void branch(uint64_t from, uint8_t op, uint64_t to)
{
	int32_t rel = (int32_t)(to - (from + 5));

	code[from - TEXT] = op;
	memcpy(code + (from - TEXT) + 1, &rel, 4);
}

/*
 * Argument-clinic wrappers jump into their _impl, so no frame of theirs is
 * on the stack: pbkdf2_hmac (0x100) jumps to IMPL, which only it reaches;
 * both methods jump to SHARED; digest's code ends at 0x300, and what jumps
 * from there is another function's.
 */
START_TEST(a_function_a_method_jumps_to_is_named_by_it)
{
	const uint64_t IMPL = TEXT + 0x600, SHARED = TEXT + 0x700, CALLER = TEXT + 0x805;
	const uint64_t starts[] = {FN_PBKDF2, FN_DIGEST, FN_BAD, IMPL, SHARED, TEXT + 0x800, TEXT + 0x900};
	struct py_methods *pm = build();
	char name[128];

	memset(code, 0x90, sizeof(code));
	branch(FN_PBKDF2 + 0x40, 0xe9, IMPL);
	branch(FN_PBKDF2 + 0x50, 0xe9, TEXT + 0x650); /* inside a function: no start */
	branch(FN_PBKDF2 + 0x60, 0xe9, SHARED);
	branch(FN_DIGEST + 0x20, 0xe9, SHARED);
	branch(FN_BAD + 0x10, 0xe9, TEXT + 0x800);
	branch(CALLER - 5, 0xe8, IMPL);
	ck_assert_int_eq(py_methods_read_tails(pm, &mem, starts, sizeof(starts) / sizeof(starts[0])), 0);
	ck_assert_int_eq(py_methods_name(pm, &mem, IMPL, TEXT + 0x905, name, sizeof(name)), 1);
	ck_assert_str_eq(name, "_h.pbkdf2_hmac");
	/* a caller that called IMPL itself: not pbkdf2_hmac's call */
	ck_assert_int_eq(py_methods_name(pm, &mem, IMPL, CALLER, name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(py_methods_name(pm, &mem, TEXT + 0x650, 0, name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(py_methods_name(pm, &mem, SHARED, 0, name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(py_methods_name(pm, &mem, TEXT + 0x800, 0, name, sizeof(name)), -ENOENT);
	/* the methods' own functions as before */
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_DIGEST, 0, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "_h.HASH.digest");
	py_methods_free(pm);
}
END_TEST

/* A process with no Python module: nothing found, nothing named. */
START_TEST(no_python_modules)
{
	static const char other[] = "7f0000100000-7f0000101000 rw-p 00000000 08:01 43 /usr/lib/x86_64-linux-gnu/libother.so\n";
	struct proc_maps *maps;
	struct py_methods *pm;
	char name[64];

	ck_assert_int_eq(proc_maps_parse(other, strlen(other), &maps), 0);
	ck_assert_int_eq(py_methods_read(&mem, maps, &pm), 0);
	ck_assert_int_eq(py_methods_count(pm), 0);
	ck_assert_int_eq(py_methods_name(pm, &mem, FN_PBKDF2, 0, name, sizeof(name)), -ENOENT);
	py_methods_free(pm);
	proc_maps_free(maps);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {module_and_type_functions_by_their_python_names, names_read_late_are_checked,
				an_owner_that_only_looks_like_one_is_passed_over, a_shared_function_is_named_by_its_common_type,
				a_function_a_method_jumps_to_is_named_by_it, no_python_modules};

	return run_tests("python_methods", tests, sizeof(tests) / sizeof(tests[0]));
}
