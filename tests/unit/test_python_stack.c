// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/python_stack.c: replays memory recorded from live
 * CPython processes (tests/fixtures/python, see its README.md), decodes
 * 3.11 location tables, and walks deliberately broken memory.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "python_stack.h"

#define FIXTURES "tests/fixtures/python/"

/* ---- recorded fixtures ------------------------------------------------- */

struct segment {
	uint64_t addr;
	uint32_t len;
	uint8_t *bytes;
};

struct fixture {
	char version[9];
	uint64_t runtime;
	uint32_t tid;
	uint32_t nseg;
	struct segment *seg;
};

/* Replays a read if one recorded segment holds the whole range. */
static int replay_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fixture *f = ctx;
	uint32_t i;

	for (i = 0; i < f->nseg; i++) {
		struct segment *s = &f->seg[i];

		if (s->addr <= addr && addr - s->addr <= s->len && len <= s->len - (addr - s->addr)) {
			memcpy(buf, s->bytes + (addr - s->addr), len);
			return 0;
		}
	}
	return -EFAULT;
}

static void load_fixture(const char *name, struct fixture *f)
{
	char path[256], magic[8];
	uint32_t i;
	FILE *fp;

	snprintf(path, sizeof(path), FIXTURES "%s.bin", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp, "cannot open %s (run tests from the repo root)", path);
	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(fread(magic, 1, 8, fp), 8);
	ck_assert(!memcmp(magic, "LSPYFIX1", 8));
	ck_assert_int_eq(fread(f->version, 1, 8, fp), 8);
	ck_assert_int_eq(fread(&f->runtime, 8, 1, fp), 1);
	ck_assert_int_eq(fread(&f->tid, 4, 1, fp), 1);
	ck_assert_int_eq(fread(&f->nseg, 4, 1, fp), 1);
	ck_assert_uint_lt(f->nseg, 100000);
	f->seg = calloc(f->nseg, sizeof(*f->seg));
	ck_assert_ptr_nonnull(f->seg);
	for (i = 0; i < f->nseg; i++) {
		struct segment *s = &f->seg[i];

		ck_assert_int_eq(fread(&s->addr, 8, 1, fp), 1);
		ck_assert_int_eq(fread(&s->len, 4, 1, fp), 1);
		ck_assert_uint_lt(s->len, 1 << 20);
		s->bytes = malloc(s->len ? s->len : 1);
		ck_assert_ptr_nonnull(s->bytes);
		ck_assert_int_eq(fread(s->bytes, 1, s->len, fp), s->len);
	}
	fclose(fp);
}

static void free_fixture(struct fixture *f)
{
	uint32_t i;

	for (i = 0; i < f->nseg; i++)
		free(f->seg[i].bytes);
	free(f->seg);
}

static int replay(struct fixture *f, pid_t tid, struct py_frame *frames, int max)
{
	struct mem_reader mem = { replay_read, f };

	return py_stack_read_mem(&mem, f->version, f->runtime, tid, frames, max);
}

/* Compares frames with the recorder's NAME.expected ("func\tfile\tline\tcoro"). */
static void check_expected_file(const char *name, const struct py_frame *frames, int n)
{
	char path[256], line[1024];
	int i = 0;
	FILE *fp;

	snprintf(path, sizeof(path), FIXTURES "%s.expected", name);
	fp = fopen(path, "r");
	ck_assert_msg(fp, "cannot open %s", path);
	while (fgets(line, sizeof(line), fp)) {
		char *func = strtok(line, "\t"), *file = strtok(NULL, "\t");
		char *lineno = strtok(NULL, "\t"), *coro = strtok(NULL, "\n");

		ck_assert_ptr_nonnull(coro);
		ck_assert_int_lt(i, n);
		ck_assert_str_eq(frames[i].function, func);
		ck_assert_str_eq(frames[i].file, file);
		ck_assert_int_eq(frames[i].line, atoi(lineno));
		ck_assert_int_eq(frames[i].coroutine, atoi(coro));
		i++;
	}
	fclose(fp);
	ck_assert_int_eq(i, n);
}

struct want {
	const char *function, *file;
	int line;
	bool coroutine;
};

static void check_frames(const struct py_frame *got, const struct want *want, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		ck_assert_str_eq(got[i].function, want[i].function);
		ck_assert_str_eq(got[i].file, want[i].file);
		ck_assert_int_eq(got[i].line, want[i].line);
		ck_assert_int_eq(got[i].coroutine, want[i].coroutine);
	}
}

#define SCRIPT "/work/main/tests/fixtures/python/async_sleep.py"
#define LIB "/usr/lib/python3.11/"

/* Main thread of async_sleep.py: the event loop is stuck in time.sleep(). */
START_TEST(test_py311_main_thread)
{
	static const struct want want[] = {
		{ "blocker", SCRIPT, 25, true }, /* async generator */
		{ "main", SCRIPT, 33, true },
		{ "Handle._run", LIB "asyncio/events.py", 80, false },
		{ "BaseEventLoop._run_once", LIB "asyncio/base_events.py", 1922, false },
		{ "BaseEventLoop.run_forever", LIB "asyncio/base_events.py", 607, false },
		{ "BaseEventLoop.run_until_complete", LIB "asyncio/base_events.py", 640, false },
		{ "Runner.run", LIB "asyncio/runners.py", 118, false },
		{ "run", LIB "asyncio/runners.py", 190, false },
		{ "<module>", SCRIPT, 38, false },
	};
	struct py_frame frames[64];
	struct fixture f;
	int n;

	load_fixture("py311_main", &f);
	ck_assert_str_eq(f.version, "3.11");
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, 9);
	check_frames(frames, want, 9);
	check_expected_file("py311_main", frames, n);

	/* max caps the count and keeps the innermost frames */
	memset(frames, 0, sizeof(frames));
	ck_assert_int_eq(replay(&f, f.tid, frames, 3), 3);
	check_frames(frames, want, 3);
	ck_assert_int_eq(replay(&f, f.tid, frames, 0), 0);

	/* a thread the interpreter does not know has no frames */
	ck_assert_int_eq(replay(&f, 1, frames, 64), 0);
	free_fixture(&f);
}
END_TEST

/* Worker thread: tid matching, qualnames, UCS-1 and UCS-2 names as UTF-8. */
START_TEST(test_py311_worker_thread)
{
	static const struct want want[] = {
		{ "\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false },	/* 睡眠 */
		{ "gr\xc3\xb6\xc3\x9f" "e", SCRIPT, 13, false },	/* größe */
		{ "Worker.run.<locals>.inner", SCRIPT, 20, false },
		{ "Worker.run", SCRIPT, 21, false },
		{ "Thread.run", LIB "threading.py", 975, false },
		{ "Thread._bootstrap_inner", LIB "threading.py", 1038, false },
		{ "Thread._bootstrap", LIB "threading.py", 995, false },
	};
	struct py_frame frames[64];
	struct fixture f;
	int n;

	load_fixture("py311_worker", &f);
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, 7);
	check_frames(frames, want, 7);
	check_expected_file("py311_worker", frames, n);
	free_fixture(&f);
}
END_TEST

#define LIB312 "/root/.pyenv/versions/3.12.1/lib/python3.12/"

/* Same script under pyenv's 3.12.1 (libpython3.12.so, FRAME_OWNED_BY_CSTACK shims). */
START_TEST(test_py312_threads)
{
	static const struct want main_want[] = {
		{ "blocker", SCRIPT, 25, true },
		{ "main", SCRIPT, 33, true },
		{ "Handle._run", LIB312 "asyncio/events.py", 84, false },
		{ "BaseEventLoop._run_once", LIB312 "asyncio/base_events.py", 1971, false },
	};
	static const struct want worker_want[] = {
		{ "\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false },
		{ "gr\xc3\xb6\xc3\x9f" "e", SCRIPT, 13, false },
		{ "Worker.run.<locals>.inner", SCRIPT, 20, false },
	};
	struct py_frame frames[64];
	struct fixture f;
	int n;

	load_fixture("py312_main", &f);
	ck_assert_str_eq(f.version, "3.12");
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, 9);
	check_frames(frames, main_want, 4);
	check_expected_file("py312_main", frames, n);
	ck_assert_int_eq(replay(&f, 1, frames, 64), 0);
	free_fixture(&f);

	load_fixture("py312_worker", &f);
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, 7);
	check_frames(frames, worker_want, 3);
	check_expected_file("py312_worker", frames, n);
	free_fixture(&f);
}
END_TEST

START_TEST(test_unsupported_version)
{
	struct py_frame frames[4];
	struct fixture f;

	load_fixture("py311_main", &f);
	{
		struct mem_reader mem = { replay_read, &f };

		ck_assert_int_eq(py_stack_read_mem(&mem, "3.7", f.runtime, f.tid, frames, 4),
				 -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.10", f.runtime, f.tid, frames, 4),
				 -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "2.7", f.runtime, f.tid, frames, 4),
				 -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11x", f.runtime, f.tid, frames, 4),
				 -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "", f.runtime, f.tid, frames, 4),
				 -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, NULL, f.runtime, f.tid, frames, 4), -EINVAL);
	}
	free_fixture(&f);
}
END_TEST

/* ---- location tables ---------------------------------------------------- */

/*
 * co_linetable of this function under python3.11 (firstlineno 1), with the
 * line of each code unit from co_positions() (-1: no location):
 *
 * def sample(a, b):
 *     total = 0
 *     for i in range(a):
 *         if i % 2:
 *             total += (i *
 *                       b)
 *         else:
 *             total -= \
 *                 i
 *     try:
 *         with open("/dev/null") as f:
 *             f.read()
 *     except OSError:
 *         pass
 *
 *
 *
 *     return total + len([a, b])
 */
static const uint8_t sample_linetable[] = {
	0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31,
	0x89, 0x58, 0x8c, 0x58, 0xf0, 0x00, 0x06, 0x05, 0x12, 0xf0, 0x00, 0x06,
	0x05, 0x12, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x89, 0x35, 0xf0,
	0x00, 0x05, 0x09, 0x12, 0xd8, 0x0c, 0x11, 0x90, 0x61, 0xd8, 0x16, 0x17,
	0xf1, 0x03, 0x01, 0x17, 0x18, 0xf1, 0x00, 0x01, 0x0d, 0x19, 0x88, 0x45,
	0x88, 0x45, 0xf0, 0x06, 0x00, 0x0d, 0x12, 0xd8, 0x10, 0x11, 0xf1, 0x03,
	0x01, 0x0d, 0x12, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x04, 0x04, 0x05, 0x0d,
	0xdd, 0x0d, 0x11, 0x90, 0x2b, 0xd1, 0x0d, 0x1e, 0xd4, 0x0d, 0x1e, 0xf0,
	0x00, 0x01, 0x09, 0x15, 0xa0, 0x21, 0xd8, 0x0c, 0x0d, 0x8f, 0x46, 0x8a,
	0x46, 0x89, 0x48, 0x8c, 0x48, 0x88, 0x48, 0xf0, 0x03, 0x01, 0x09, 0x15,
	0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf1, 0x00,
	0x01, 0x09, 0x15, 0xf4, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09,
	0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0,
	0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01,
	0x09, 0x15, 0xf8, 0xf8, 0xf8, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00,
	0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09,
	0x15, 0xf8, 0xf8, 0xe5, 0x0b, 0x12, 0xf0, 0x00, 0x01, 0x05, 0x0d, 0xf0,
	0x00, 0x01, 0x05, 0x0d, 0xf0, 0x00, 0x01, 0x05, 0x0d, 0xd8, 0x08, 0x0c,
	0x88, 0x04, 0xf0, 0x03, 0x01, 0x05, 0x0d, 0xf8, 0xf8, 0xf8, 0xf0, 0x0a,
	0x00, 0x0c, 0x11, 0x95, 0x33, 0x98, 0x01, 0x98, 0x31, 0x90, 0x76, 0x91,
	0x3b, 0x94, 0x3b, 0xd1, 0x0b, 0x1e, 0xd0, 0x04, 0x1e,
};

static const int sample_lines[] = {
	1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 5, 6, 5, 5, 5, 5,
	5, 5, 8, 9, 8, 8, 8, 8, 10, 11, 11, 11, 11, 11, 11, 11,
	11, 11, 11, 11, 11, 11, 11, 11, 11, 12, 12, 12, 12, 12, 12, 12,
	12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 11, 11, 11,
	11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, -1, -1, -1,
	11, 11, 11, 11, -1, -1, 13, 13, 13, 13, 13, 13, 13, 13, 13, 14,
	14, 13, -1, -1, -1, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	18, 18, 18, 18, 18, 18, 18, 18, 18,
};

START_TEST(test_linetable_sample)
{
	const int units = sizeof(sample_lines) / sizeof(sample_lines[0]);
	int i;

	for (i = 0; i < units; i++)
		ck_assert_msg(py_location_table_line(sample_linetable, sizeof(sample_linetable), 1,
						     2 * i) == sample_lines[i],
			      "code unit %d: got %d want %d", i,
			      py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, 2 * i),
			      sample_lines[i]);
	/* odd byte offsets belong to the same code unit */
	ck_assert_int_eq(py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, 69), 8);
	/* before the first instruction: the def line; past the end: unknown */
	ck_assert_int_eq(py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, -2), 1);
	ck_assert_int_eq(py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, 2 * units), -1);
}
END_TEST

/* The no-column form (13) with positive, negative and multi-byte deltas. */
START_TEST(test_linetable_no_columns)
{
	static const uint8_t t[] = {
		0xe8, 0x0a,		/* 1 unit, +5 */
		0xe9, 0x07,		/* 2 units, -3 */
		0xe8, 0x48, 0x03,	/* 1 unit, +100 (svarint 200 = 8 | 3 << 6) */
		0xf8,			/* 1 unit, no location */
		0x80, 0x00,		/* 1 unit, short form: same line */
	};

	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 0), 15);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 2), 12);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 4), 12);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 6), 112);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 8), -1);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 10), 112);
	ck_assert_int_eq(py_location_table_line(t, sizeof(t), 10, 12), -1);
}
END_TEST

START_TEST(test_linetable_corrupt)
{
	static const uint8_t not_entry[] = { 0x12, 0x34 };
	static const uint8_t cut_varint[] = { 0xe8, 0x40 };
	static const uint8_t long_varint[] = { 0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01 };
	uint8_t noise[512];
	unsigned int i, seed = 1;

	ck_assert_int_eq(py_location_table_line(not_entry, sizeof(not_entry), 1, 0), -1);
	ck_assert_int_eq(py_location_table_line(cut_varint, sizeof(cut_varint), 1, 0), -1);
	ck_assert_int_eq(py_location_table_line(long_varint, sizeof(long_varint), 1, 0), -1);
	ck_assert_int_eq(py_location_table_line(NULL, 0, 7, 0), -1);
	/* random bytes: any answer, but no crash (run under valgrind/ASan too) */
	for (i = 0; i < sizeof(noise); i++) {
		seed = seed * 1103515245 + 12345;
		noise[i] = (seed >> 16) | 0x80;
	}
	for (i = 0; i < 2000; i += 2)
		py_location_table_line(noise, sizeof(noise), 1, i);
}
END_TEST

/* ---- hostile memory ----------------------------------------------------- */

/*
 * A fake 3.11 process built by hand. Offsets are the 3.11 ones that
 * tools/check-python-offsets.c prints; only this file's fake needs them.
 */
#define BASE 0x10000000ULL
#define MEM_SIZE 0x10000
#define RUNTIME (BASE + 0x0000)
#define INTERP (BASE + 0x0100)
#define TSTATE (BASE + 0x0200)
#define TSTATE2 (BASE + 0x0400)
#define CFRAME (BASE + 0x0600)
#define FRAME_A (BASE + 0x0700)
#define FRAME_B (BASE + 0x0800)
#define CODE (BASE + 0x1000)
#define NAME (BASE + 0x2000)
#define FILENAME (BASE + 0x2100)
#define LINETABLE (BASE + 0x2200)
#define TID 42

struct fake {
	uint8_t mem[MEM_SIZE];
	bool garbage;		/* reads outside mem return pseudo-random words */
	unsigned int reads;
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t i;

	f->reads++;
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

static void put32(struct fake *f, uint64_t addr, uint32_t v)
{
	memcpy(f->mem + (addr - BASE), &v, 4);
}

static void put_ascii(struct fake *f, uint64_t obj, const char *s)
{
	put64(f, obj + 16, strlen(s));
	put32(f, obj + 32, 1 << 2 | 1 << 5 | 1 << 6 | 1 << 7); /* kind 1, compact, ascii, ready */
	memcpy(f->mem + (obj + 48 - BASE), s, strlen(s) + 1);
}

/* runtime -> interp -> tstate(TID) -> cframe -> FRAME_A -> FRAME_B -> NULL */
static void fake_init(struct fake *f)
{
	static const uint8_t table[] = { 0xe8, 0x0a }; /* one unit, line +5 */

	memset(f, 0, sizeof(*f));
	put64(f, RUNTIME + 40, INTERP);
	put64(f, INTERP + 16, TSTATE);
	put64(f, TSTATE + 160, TID);
	put64(f, TSTATE + 56, CFRAME);
	put64(f, CFRAME + 8, FRAME_A);
	put64(f, FRAME_A + 32, CODE);
	put64(f, FRAME_A + 48, FRAME_B);
	put64(f, FRAME_A + 56, CODE + 184); /* prev_instr: first unit */
	put64(f, FRAME_B + 32, CODE);
	put64(f, FRAME_B + 56, CODE + 184);
	put32(f, CODE + 48, 0x80);	/* CO_COROUTINE */
	put32(f, CODE + 72, 10);	/* co_firstlineno */
	put64(f, CODE + 112, FILENAME);
	put64(f, CODE + 120, NAME);
	put64(f, CODE + 128, NAME);
	put64(f, CODE + 136, LINETABLE);
	put_ascii(f, NAME, "fake");
	put_ascii(f, FILENAME, "fake.py");
	put64(f, LINETABLE + 16, sizeof(table));
	memcpy(f->mem + (LINETABLE + 32 - BASE), table, sizeof(table));
}

static int fake_walk(struct fake *f, struct py_frame *frames, int max)
{
	struct mem_reader mem = { fake_read, f };

	return py_stack_read_mem(&mem, "3.11", RUNTIME, TID, frames, max);
}

START_TEST(test_hostile_baseline)
{
	static struct fake f;
	struct py_frame frames[8];

	fake_init(&f);
	ck_assert_int_eq(fake_walk(&f, frames, 8), 2);
	ck_assert_str_eq(frames[0].function, "fake");
	ck_assert_str_eq(frames[0].file, "fake.py");
	ck_assert_int_eq(frames[0].line, 15);
	ck_assert(frames[0].coroutine);
}
END_TEST

START_TEST(test_hostile_cycles)
{
	static struct fake f;
	struct py_frame frames[64];

	/* A -> B -> A: stops at the repeat, returns the distinct frames */
	fake_init(&f);
	put64(&f, FRAME_B + 48, FRAME_A);
	ck_assert_int_eq(fake_walk(&f, frames, 64), 2);

	/* A -> A */
	put64(&f, FRAME_A + 48, FRAME_A);
	ck_assert_int_eq(fake_walk(&f, frames, 64), 1);

	/* thread list cycling without our tid: bounded, nothing found */
	fake_init(&f);
	put64(&f, TSTATE + 160, 7);
	put64(&f, TSTATE + 8, TSTATE2);
	put64(&f, TSTATE2 + 8, TSTATE);
	f.reads = 0;
	ck_assert_int_eq(fake_walk(&f, frames, 64), 0);
	ck_assert_uint_lt(f.reads, 20000);

	/* interpreter list cycling */
	fake_init(&f);
	put64(&f, TSTATE + 160, 7);
	put64(&f, INTERP + 0, INTERP);
	f.reads = 0;
	ck_assert_int_eq(fake_walk(&f, frames, 64), 0);
	ck_assert_uint_lt(f.reads, 20000);
}
END_TEST

START_TEST(test_hostile_strings)
{
	static struct fake f;
	struct py_frame frames[8];

	/* a huge length is capped to the buffer */
	fake_init(&f);
	memset(f.mem + (NAME + 48 - BASE), 'x', 200);
	put64(&f, NAME + 16, 1ULL << 62);
	ck_assert_int_eq(fake_walk(&f, frames, 8), 2);
	ck_assert_uint_eq(strlen(frames[0].function), sizeof(frames[0].function) - 1);

	/* negative length or a non-compact string is refused */
	put64(&f, NAME + 16, (uint64_t)-5);
	ck_assert_int_lt(fake_walk(&f, frames, 8), 0);
	put64(&f, NAME + 16, 4);
	put32(&f, NAME + 32, 1 << 2);
	ck_assert_int_lt(fake_walk(&f, frames, 8), 0);

	/* a huge line table is read only up to a cap, and an unreadable one gives line 0 */
	fake_init(&f);
	put64(&f, LINETABLE + 16, 1ULL << 40);
	ck_assert_int_eq(fake_walk(&f, frames, 8), 2);
	ck_assert_int_eq(frames[0].line, 0);
	ck_assert_str_eq(frames[0].function, "fake");
}
END_TEST

START_TEST(test_hostile_null_and_bad_pointers)
{
	static struct fake f;
	struct py_frame frames[8];

	fake_init(&f);
	put64(&f, RUNTIME + 40, 0);		/* no interpreter */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, TSTATE + 56, 0);		/* no cframe */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, CFRAME + 8, 0);		/* no current frame */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, FRAME_A + 32, 0);		/* NULL code object */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f);
	put64(&f, CODE + 112, 0);		/* NULL co_filename */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f);
	put64(&f, FRAME_A + 48, 0xdeadbeef);	/* misaligned previous: keep frame A */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 1);

	fake_init(&f);
	put64(&f, FRAME_A + 48, 0xffff880000000000ULL); /* kernel address */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 1);

	fake_init(&f);
	put64(&f, INTERP + 16, 0x20000000);	/* unreadable thread state */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f);				/* unreadable runtime */
	{
		struct mem_reader mem = { fake_read, &f };

		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", 0x30000000, TID, frames, 8), -EFAULT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", 0, TID, frames, 8), -EFAULT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", RUNTIME, TID, NULL, 8), -EINVAL);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", RUNTIME, TID, frames, -1), -EINVAL);
	}
}
END_TEST

/* Every word of the fake is random, pointing back into it half the time. */
START_TEST(test_hostile_random_memory)
{
	static struct fake f;
	struct py_frame frames[32];
	unsigned int seed, i;

	for (seed = 1; seed <= 300; seed++) {
		uint32_t x = seed;
		int r;

		memset(&f, 0, sizeof(f));
		for (i = 0; i < MEM_SIZE; i += 8) {
			uint64_t v;

			x = x * 1103515245 + 12345;
			v = x >> 8;
			if (x & 0x80000000)
				v = BASE + (v % MEM_SIZE & ~7ULL);
			put64(&f, BASE + i, v);
		}
		f.garbage = seed & 1;
		r = fake_walk(&f, frames, 32);
		ck_assert_int_le(r, 32);
		ck_assert_int_ge(r, -4095);
		for (i = 0; r > 0 && i < (unsigned int)r; i++) {
			ck_assert_uint_lt(strlen(frames[i].function), sizeof(frames[i].function));
			ck_assert_uint_lt(strlen(frames[i].file), sizeof(frames[i].file));
			ck_assert_int_ge(frames[i].line, 0);
		}
	}
}
END_TEST

START_TEST(test_open_not_python)
{
	struct py_process *p = NULL;

	/* this test binary is not CPython */
	ck_assert_int_eq(py_process_open(getpid(), &p), -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(py_process_open(0, &p), -EINVAL);
}
END_TEST

static Suite *python_stack_suite(void)
{
	Suite *s = suite_create("python_stack");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_py311_main_thread);
	tcase_add_test(tc, test_py311_worker_thread);
	tcase_add_test(tc, test_py312_threads);
	tcase_add_test(tc, test_unsupported_version);
	tcase_add_test(tc, test_linetable_sample);
	tcase_add_test(tc, test_linetable_no_columns);
	tcase_add_test(tc, test_linetable_corrupt);
	tcase_add_test(tc, test_hostile_baseline);
	tcase_add_test(tc, test_hostile_cycles);
	tcase_add_test(tc, test_hostile_strings);
	tcase_add_test(tc, test_hostile_null_and_bad_pointers);
	tcase_add_test(tc, test_hostile_random_memory);
	tcase_add_test(tc, test_open_not_python);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(python_stack_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
