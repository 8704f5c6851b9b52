// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/runtimes/python/stack.c: replays memory recorded from live
 * CPython 3.8 - 3.13 processes (tests/fixtures/python, see its README.md),
 * finds the GIL holder, decodes 3.11 location tables, and walks
 * deliberately broken memory.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/proc.h"
#include "runtimes/python/code_cache.h"
#include "runtimes/python/gil.h"
#include "runtimes/python/lines.h"
#include "runtimes/python/process.h"
#include "runtimes/python/stack.h"
#include "run_suite.h"

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
	int32_t pthread_tid_offset;
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
	ck_assert(!memcmp(magic, "LSPYFIX2", 8));
	ck_assert_int_eq(fread(f->version, 1, 8, fp), 8);
	ck_assert_int_eq(fread(&f->runtime, 8, 1, fp), 1);
	ck_assert_int_eq(fread(&f->tid, 4, 1, fp), 1);
	ck_assert_int_eq(fread(&f->pthread_tid_offset, 4, 1, fp), 1);
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
	struct mem_reader mem = {replay_read, f};

	return py_stack_read_mem_ex(&mem, f->version, f->runtime, f->pthread_tid_offset, tid, frames, max);
}

/*
 * Compares frames with the recorder's NAME.expected
 * ("func\tfile\tline\tcoro[\ttask]": older fixtures have no task column).
 */
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
		char *lineno = strtok(NULL, "\t"), *coro = strtok(NULL, "\t\n");
		char *task = strtok(NULL, "\n");

		ck_assert_ptr_nonnull(coro);
		ck_assert_int_lt(i, n);
		ck_assert_str_eq(frames[i].function, func);
		ck_assert_str_eq(frames[i].file, file);
		ck_assert_int_eq(frames[i].line, atoi(lineno));
		ck_assert_int_eq(frames[i].coroutine, atoi(coro));
		ck_assert_str_eq(frames[i].task, task ? task : "");
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
#define LIB    "/usr/lib/python3.11/"

/* Main thread of async_sleep.py: the event loop is stuck in time.sleep(). */
START_TEST(test_py311_main_thread)
{
	static const struct want want[] = {
		{"blocker", SCRIPT, 25, true}, /* async generator */
		{"main", SCRIPT, 33, true},
		{"Handle._run", LIB "asyncio/events.py", 80, false},
		{"BaseEventLoop._run_once", LIB "asyncio/base_events.py", 1922, false},
		{"BaseEventLoop.run_forever", LIB "asyncio/base_events.py", 607, false},
		{"BaseEventLoop.run_until_complete", LIB "asyncio/base_events.py", 640, false},
		{"Runner.run", LIB "asyncio/runners.py", 118, false},
		{"run", LIB "asyncio/runners.py", 190, false},
		{"<module>", SCRIPT, 38, false},
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
		{"\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false}, /* 睡眠 */
		{"gr\xc3\xb6\xc3\x9f"
		 "e",
		 SCRIPT, 13, false}, /* größe */
		{"Worker.run.<locals>.inner", SCRIPT, 20, false},
		{"Worker.run", SCRIPT, 21, false},
		{"Thread.run", LIB "threading.py", 975, false},
		{"Thread._bootstrap_inner", LIB "threading.py", 1038, false},
		{"Thread._bootstrap", LIB "threading.py", 995, false},
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

/*
 * The same script under each pyenv build (all --enable-shared: the runtime
 * is in libpython3.X.so). 3.8 - 3.10 have no co_qualname, so frames show
 * co_name; 3.8 keeps the script path as given on the command line.
 */
#define PYENV  "/root/.pyenv/versions/"
#define LIB38  PYENV "3.8.18/lib/python3.8/"
#define LIB39  PYENV "3.9.18/lib/python3.9/"
#define LIB310 PYENV "3.10.13/lib/python3.10/"
#define LIB312 PYENV "3.12.1/lib/python3.12/"
#define LIB313 PYENV "3.13.0/lib/python3.13/"

static const struct want py38_main[] = {
	{"blocker", "async_sleep.py", 25, true},
	{"main", "async_sleep.py", 33, true},
	{"_run", LIB38 "asyncio/events.py", 81, false},
	{"_run_once", LIB38 "asyncio/base_events.py", 1859, false},
	{"run_forever", LIB38 "asyncio/base_events.py", 570, false},
	{"run_until_complete", LIB38 "asyncio/base_events.py", 603, false},
	{"run", LIB38 "asyncio/runners.py", 44, false},
	{"<module>", "async_sleep.py", 38, false},
};

static const struct want py38_worker[] = {
	{"\xe7\x9d\xa1\xe7\x9c\xa0", "async_sleep.py", 9, false},
	{"gr\xc3\xb6\xc3\x9f"
	 "e",
	 "async_sleep.py", 13, false},
	{"inner", "async_sleep.py", 20, false},
	{"run", "async_sleep.py", 21, false},
	{"run", LIB38 "threading.py", 870, false},
	{"_bootstrap_inner", LIB38 "threading.py", 932, false},
	{"_bootstrap", LIB38 "threading.py", 890, false},
};

static const struct want py39_main[] = {
	{"blocker", SCRIPT, 25, true},
	{"main", SCRIPT, 33, true},
	{"_run", LIB39 "asyncio/events.py", 80, false},
	{"_run_once", LIB39 "asyncio/base_events.py", 1905, false},
	{"run_forever", LIB39 "asyncio/base_events.py", 601, false},
	{"run_until_complete", LIB39 "asyncio/base_events.py", 634, false},
	{"run", LIB39 "asyncio/runners.py", 44, false},
	{"<module>", SCRIPT, 38, false},
};

static const struct want py39_worker[] = {
	{"\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false},
	{"gr\xc3\xb6\xc3\x9f"
	 "e",
	 SCRIPT, 13, false},
	{"inner", SCRIPT, 20, false},
	{"run", SCRIPT, 21, false},
	{"run", LIB39 "threading.py", 917, false},
	{"_bootstrap_inner", LIB39 "threading.py", 980, false},
	{"_bootstrap", LIB39 "threading.py", 937, false},
};

static const struct want py310_main[] = {
	{"blocker", SCRIPT, 25, true},
	{"main", SCRIPT, 33, true},
	{"_run", LIB310 "asyncio/events.py", 80, false},
	{"_run_once", LIB310 "asyncio/base_events.py", 1909, false},
	{"run_forever", LIB310 "asyncio/base_events.py", 603, false},
	{"run_until_complete", LIB310 "asyncio/base_events.py", 636, false},
	{"run", LIB310 "asyncio/runners.py", 44, false},
	{"<module>", SCRIPT, 38, false},
};

static const struct want py310_worker[] = {
	{"\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false},
	{"gr\xc3\xb6\xc3\x9f"
	 "e",
	 SCRIPT, 13, false},
	{"inner", SCRIPT, 20, false},
	{"run", SCRIPT, 21, false},
	{"run", LIB310 "threading.py", 953, false},
	{"_bootstrap_inner", LIB310 "threading.py", 1016, false},
	{"_bootstrap", LIB310 "threading.py", 973, false},
};

static const struct want py312_main[] = {
	{"blocker", SCRIPT, 25, true},
	{"main", SCRIPT, 33, true},
	{"Handle._run", LIB312 "asyncio/events.py", 84, false},
	{"BaseEventLoop._run_once", LIB312 "asyncio/base_events.py", 1971, false},
	{"BaseEventLoop.run_forever", LIB312 "asyncio/base_events.py", 638, false},
	{"BaseEventLoop.run_until_complete", LIB312 "asyncio/base_events.py", 671, false},
	{"Runner.run", LIB312 "asyncio/runners.py", 118, false},
	{"run", LIB312 "asyncio/runners.py", 194, false},
	{"<module>", SCRIPT, 38, false},
};

static const struct want py312_worker[] = {
	{"\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false},
	{"gr\xc3\xb6\xc3\x9f"
	 "e",
	 SCRIPT, 13, false},
	{"Worker.run.<locals>.inner", SCRIPT, 20, false},
	{"Worker.run", SCRIPT, 21, false},
	{"Thread.run", LIB312 "threading.py", 1010, false},
	{"Thread._bootstrap_inner", LIB312 "threading.py", 1073, false},
	{"Thread._bootstrap", LIB312 "threading.py", 1030, false},
};

static const struct want py313_main[] = {
	{"blocker", SCRIPT, 25, true},
	{"main", SCRIPT, 33, true},
	{"Handle._run", LIB313 "asyncio/events.py", 89, false},
	{"BaseEventLoop._run_once", LIB313 "asyncio/base_events.py", 2027, false},
	{"BaseEventLoop.run_forever", LIB313 "asyncio/base_events.py", 679, false},
	{"BaseEventLoop.run_until_complete", LIB313 "asyncio/base_events.py", 708, false},
	{"Runner.run", LIB313 "asyncio/runners.py", 118, false},
	{"run", LIB313 "asyncio/runners.py", 194, false},
	{"<module>", SCRIPT, 38, false},
};

static const struct want py313_worker[] = {
	{"\xe7\x9d\xa1\xe7\x9c\xa0", SCRIPT, 9, false},
	{"gr\xc3\xb6\xc3\x9f"
	 "e",
	 SCRIPT, 13, false},
	{"Worker.run.<locals>.inner", SCRIPT, 20, false},
	{"Worker.run", SCRIPT, 21, false},
	{"Thread.run", LIB313 "threading.py", 992, false},
	{"Thread._bootstrap_inner", LIB313 "threading.py", 1041, false},
	{"Thread._bootstrap", LIB313 "threading.py", 1012, false},
};

#define WANT(a) a, (int)(sizeof(a) / sizeof(a[0]))

static const struct version_case {
	const char *tag, *version;
	const struct want *main;
	int n_main;
	const struct want *worker;
	int n_worker;
} pyenv_cases[] = {
	{"py38", "3.8", WANT(py38_main), WANT(py38_worker)},
	{"py39", "3.9", WANT(py39_main), WANT(py39_worker)},
	{"py310", "3.10", WANT(py310_main), WANT(py310_worker)},
	{"py312", "3.12", WANT(py312_main), WANT(py312_worker)},
	{"py313", "3.13", WANT(py313_main), WANT(py313_worker)},
};

/* Main thread (tid == pid) and the worker thread, per version (a loop test). */
START_TEST(test_pyenv_versions)
{
	const struct version_case *c = &pyenv_cases[_i];
	struct py_frame frames[64];
	struct fixture f;
	char name[64];
	int n;

	snprintf(name, sizeof(name), "%s_main", c->tag);
	load_fixture(name, &f);
	ck_assert_str_eq(f.version, c->version);
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, c->n_main);
	check_frames(frames, c->main, n);
	check_expected_file(name, frames, n);
	/* max keeps the innermost frames */
	ck_assert_int_eq(replay(&f, f.tid, frames, 2), 2);
	check_frames(frames, c->main, 2);
	/* a thread the interpreter does not know has no frames */
	ck_assert_int_eq(replay(&f, 1, frames, 64), 0);
	free_fixture(&f);

	snprintf(name, sizeof(name), "%s_worker", c->tag);
	load_fixture(name, &f);
	ck_assert_int_ne(f.tid, 0);
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, c->n_worker);
	check_frames(frames, c->worker, n);
	check_expected_file(name, frames, n);
	free_fixture(&f);
}
END_TEST

/* ---- asyncio task names ------------------------------------------------ */

/*
 * task_name.py (the task "blocking-task", first step) and task_wakeup.py
 * (unnamed "Task-2", resumed by its wakeup callback: TaskWakeupMethWrapper in
 * 3.10, a bound builtin method in 3.11+, and an int counter for a name in
 * 3.12+). at: the task's outermost coroutine frame, blocker(), called by
 * Handle._run.
 */
static const struct task_case {
	const char *fixture, *version, *task, *caller;
	int n, at;
} task_cases[] = {
	{"py38_task", "3.8", "blocking-task", "_run", 7, 0},
	{"py39_task", "3.9", "blocking-task", "_run", 7, 0},
	{"py310_task", "3.10", "blocking-task", "_run", 7, 0},
	{"py311_task", "3.11", "blocking-task", "Handle._run", 8, 0},
	{"py312_task", "3.12", "blocking-task", "Handle._run", 8, 0},
	{"py313_task", "3.13", "blocking-task", "Handle._run", 8, 0},
	{"py310_wakeup", "3.10", "Task-2", "_run", 8, 1},
	{"py311_wakeup", "3.11", "Task-2", "Handle._run", 9, 1},
	{"py312_wakeup", "3.12", "Task-2", "Handle._run", 9, 1},
};

static void check_task_frames(const struct task_case *c, const struct py_frame *frames, int n, const char *task)
{
	int i;

	for (i = 0; i < n; i++)
		ck_assert_str_eq(frames[i].task, i == c->at ? task : "");
}

/*
 * Address of the recorded word that points to the str object holding name
 * (the task's task_name), 0 if none: finds the str by its characters.
 */
static uint64_t find_name_ref(struct fixture *f, const char *name, int ascii_data)
{
	size_t len = strlen(name) + 1;
	uint32_t i, j;

	for (i = 0; i < f->nseg; i++) {
		struct segment *s = &f->seg[i];
		uint32_t pos;

		for (pos = ascii_data; pos + len <= s->len; pos++) {
			uint64_t str = s->addr + pos - ascii_data;

			if (memcmp(s->bytes + pos, name, len))
				continue;
			for (j = 0; j < f->nseg; j++) {
				uint32_t k;

				for (k = 0; k + 8 <= f->seg[j].len; k += 8)
					if (!memcmp(f->seg[j].bytes + k, &str, 8))
						return f->seg[j].addr + k;
			}
		}
	}
	return 0;
}

static uint8_t *fixture_bytes(struct fixture *f, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < f->nseg; i++)
		if (f->seg[i].addr <= addr && addr + 8 <= f->seg[i].addr + f->seg[i].len)
			return f->seg[i].bytes + (addr - f->seg[i].addr);
	return NULL;
}

/* A replay that counts its reads. */
struct counted {
	struct fixture *f;
	int reads;
};

static int counted_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct counted *c = ctx;

	c->reads++;
	return replay_read(c->f, addr, buf, len);
}

/* Every version's recorded stack read through a code cache: the same frames, with fewer reads the second time. */
START_TEST(test_code_cache_reads_less_and_the_same)
{
	const struct version_case *c = &pyenv_cases[_i];
	struct py_code_cache *codes = py_code_cache_new();
	struct py_frame frames[64], again[64];
	struct counted cnt;
	struct mem_reader mem = {counted_read, &cnt};
	struct fixture f;
	char name[64];
	bool torn = true;
	int n, first;

	ck_assert_ptr_nonnull(codes);
	snprintf(name, sizeof(name), "%s_main", c->tag);
	load_fixture(name, &f);
	cnt.f = &f;
	cnt.reads = 0;
	n = py_stack_read_cached(&mem, codes, f.version, f.runtime, f.pthread_tid_offset, f.tid, frames, 64, NULL, &torn);
	ck_assert_int_eq(n, c->n_main);
	ck_assert_msg(!torn, "a whole recorded stack taken for one cut short");
	check_frames(frames, c->main, n);
	check_expected_file(name, frames, n);
	first = cnt.reads;
	cnt.reads = 0;
	ck_assert_int_eq(
		py_stack_read_cached(&mem, codes, f.version, f.runtime, f.pthread_tid_offset, f.tid, again, 64, NULL, NULL),
		n);
	ck_assert_msg(cnt.reads < first, "%d reads, then %d", first, cnt.reads);
	ck_assert_mem_eq(frames, again, n * sizeof(frames[0]));
	py_code_cache_free(codes);
	free_fixture(&f);
}
END_TEST

/* An entry serves only the code object whose fields it was made from. */
START_TEST(test_code_cache_checks_the_fields)
{
	struct py_code_cache *codes = py_code_cache_new();
	struct py_code_fields f = {.name = 0x1000,
				   .qualname = 0x2000,
				   .filename = 0x3000,
				   .linetable = 0x4000,
				   .flags = 0x80,
				   .firstlineno = 7,
				   .firsttraceable = 2},
			      g;
	struct py_cached_code *e;
	uint8_t table[PY_CODE_CACHE_LINETABLE + 1] = {1, 2, 3};

	ck_assert_ptr_null(py_code_cache_find(NULL, 0x5000, &f));
	ck_assert_ptr_null(py_code_cache_put(NULL, 0x5000, &f));
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5000, &f));
	e = py_code_cache_put(codes, 0x5000, &f);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(py_code_cache_find(codes, 0x5000, &f), e);
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5010, &f)); /* another code object */
	g = f, g.name++;
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5000, &g));
	g = f, g.linetable += 8;
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5000, &g));
	g = f, g.firstlineno++;
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5000, &g));
	g = f, g.flags = 0;
	ck_assert_ptr_null(py_code_cache_find(codes, 0x5000, &g));
	/* line tables: kept when short, once */
	py_code_cache_keep_linetable(e, table, 3);
	ck_assert_uint_eq(e->linetable_len, 3);
	ck_assert_mem_eq(e->linetable, table, 3);
	py_code_cache_keep_linetable(e, table, 2);
	ck_assert_uint_eq(e->linetable_len, 3);
	e = py_code_cache_put(codes, 0x5000, &f); /* a new object at the address: nothing of the old one */
	ck_assert_ptr_null(e->linetable);
	py_code_cache_keep_linetable(e, table, sizeof(table));
	ck_assert_ptr_null(e->linetable);
	py_code_cache_keep_linetable(NULL, table, 3);
	py_code_cache_free(codes);
	py_code_cache_free(NULL);
}
END_TEST

START_TEST(test_task_name)
{
	const struct task_case *c = &task_cases[_i];
	struct py_frame frames[64];
	struct fixture f;
	int n;

	load_fixture(c->fixture, &f);
	ck_assert_str_eq(f.version, c->version);
	n = replay(&f, f.tid, frames, 64);
	ck_assert_int_eq(n, c->n);
	check_expected_file(c->fixture, frames, n);
	ck_assert_str_eq(frames[c->at].function, "blocker");
	ck_assert(frames[c->at].coroutine);
	ck_assert_str_eq(frames[c->at + 1].function, c->caller);
	check_task_frames(c, frames, n, c->task);

	/* max cutting the stack just after the task's frame: it still sees its caller */
	memset(frames, 0, sizeof(frames));
	ck_assert_int_eq(replay(&f, f.tid, frames, c->at + 1), c->at + 1);
	check_task_frames(c, frames, c->at + 1, c->task);
	free_fixture(&f);
}
END_TEST

/*
 * A task whose task_coro is not the coroutine of the frame, or whose
 * task_name is garbage, names nothing; the frames are unaffected.
 */
START_TEST(test_task_name_cross_check)
{
	const struct task_case *c = &task_cases[_i];
	struct py_frame frames[64];
	uint64_t ref, saved;
	struct fixture f;
	uint8_t *word;
	/* the characters follow PyASCIIObject: 48 bytes in 3.8 - 3.11, 40 since */
	int ascii_data = !strcmp(c->version, "3.12") || !strcmp(c->version, "3.13") ? 40 : 48;

	if (strcmp(c->task, "blocking-task"))
		return; /* the unnamed tasks' names are ints */
	load_fixture(c->fixture, &f);
	ref = find_name_ref(&f, c->task, ascii_data);
	ck_assert_uint_ne(ref, 0);
	word = fixture_bytes(&f, ref - 8); /* task_coro just precedes task_name (3.8 - 3.13) */
	ck_assert_ptr_nonnull(word);
	memcpy(&saved, word, 8);

	*word ^= 0x10; /* another object */
	ck_assert_int_eq(replay(&f, f.tid, frames, 64), c->n);
	check_task_frames(c, frames, c->n, "");
	ck_assert_str_eq(frames[c->at].function, "blocker");
	memcpy(word, &saved, 8);

	word = fixture_bytes(&f, ref);
	*word ^= 0x10; /* task_name no longer a str */
	ck_assert_int_eq(replay(&f, f.tid, frames, 64), c->n);
	check_task_frames(c, frames, c->n, "");
	*word ^= 0x10;

	ck_assert_int_eq(replay(&f, f.tid, frames, 64), c->n);
	check_task_frames(c, frames, c->n, c->task);
	free_fixture(&f);
}
END_TEST

/*
 * 3.8 - 3.10 match threads through struct pthread: without its layout the
 * walk refuses (-ENOTSUP), and a wrong offset matches no thread at all.
 */
START_TEST(test_pthread_tid_offset)
{
	static const char *const tags[] = {"py38_worker", "py39_worker", "py310_worker"};
	struct py_frame frames[8];
	struct fixture f;
	unsigned int i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		struct mem_reader mem;

		load_fixture(tags[i], &f);
		mem = (struct mem_reader){replay_read, &f};
		ck_assert_int_eq(f.pthread_tid_offset, 720); /* glibc 2.36 x86-64 */
		ck_assert_int_eq(py_stack_read_mem(&mem, f.version, f.runtime, f.tid, frames, 8), -ENOTSUP);
		ck_assert_int_eq(py_stack_read_mem_ex(&mem, f.version, f.runtime, -1, f.tid, frames, 8), -ENOTSUP);
		ck_assert_int_eq(py_stack_read_mem_ex(&mem, f.version, f.runtime, 1 << 20, f.tid, frames, 8), -ENOTSUP);
		ck_assert_int_eq(py_stack_read_mem_ex(&mem, f.version, f.runtime, 712, f.tid, frames, 8), 0);
		free_fixture(&f);
	}
}
END_TEST

/* 3.13 checks the table against _Py_DebugOffsets at the start of _PyRuntime. */
START_TEST(test_py313_debug_offsets)
{
	struct py_frame frames[8];
	struct fixture f;
	uint32_t i;
	int checked = 0;

	load_fixture("py313_main", &f);
	ck_assert_int_eq(replay(&f, f.tid, frames, 8), 8);
	for (i = 0; i < f.nseg; i++) {
		struct segment *s = &f.seg[i];

		if (s->addr != f.runtime || s->len < 584)
			continue;
		ck_assert(!memcmp(s->bytes, "xdebugpy", 8));
		s->bytes[40]++; /* runtime_state.interpreters_head */
		ck_assert_int_eq(replay(&f, f.tid, frames, 8), -EPROTONOSUPPORT);
		s->bytes[40]--;
		s->bytes[16] = 1; /* free_threaded: another layout */
		ck_assert_int_eq(replay(&f, f.tid, frames, 8), -EPROTONOSUPPORT);
		s->bytes[16] = 0;
		s->bytes[0] = 'X'; /* no cookie */
		ck_assert_int_eq(replay(&f, f.tid, frames, 8), -EPROTONOSUPPORT);
		s->bytes[0] = 'x';
		ck_assert_int_eq(replay(&f, f.tid, frames, 8), 8);
		checked = 1;
	}
	ck_assert(checked);
	free_fixture(&f);
}
END_TEST

START_TEST(test_unsupported_version)
{
	struct py_frame frames[4];
	struct fixture f;

	load_fixture("py311_main", &f);
	{
		struct mem_reader mem = {replay_read, &f};

		ck_assert_int_eq(py_stack_read_mem(&mem, "3.7", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.6", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.14", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "2.7", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11x", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "", f.runtime, f.tid, frames, 4), -EPROTONOSUPPORT);
		ck_assert_int_eq(py_stack_read_mem(&mem, NULL, f.runtime, f.tid, frames, 4), -EINVAL);
	}
	free_fixture(&f);
}
END_TEST

/* ---- the GIL ------------------------------------------------------------ */

/*
 * gil_spin.py: a thread spins in `x += 1` holding the GIL while the asyncio
 * loop (main thread) waits for it. The fixture's tid is the spinner's, as the
 * script printed it (threading.Thread.native_id), not as loopstall found it.
 */
#define GIL_SCRIPT "/work/main/tests/fixtures/python/gil_spin.py"

static const struct gil_case {
	const char *tag, *version, *script, *thread_run;
} gil_cases[] = {
	{"py38_gil", "3.8", "gil_spin.py", "run"},	 {"py39_gil", "3.9", GIL_SCRIPT, "run"},
	{"py310_gil", "3.10", GIL_SCRIPT, "run"},	 {"py311_gil", "3.11", GIL_SCRIPT, "Thread.run"}, /* Debian's */
	{"py312_gil", "3.12", GIL_SCRIPT, "Thread.run"}, {"py313_gil", "3.13", GIL_SCRIPT, "Thread.run"},
};

static int replay_gil(struct fixture *f, int pthread_tid_offset, bool *locked, pid_t *holder)
{
	struct mem_reader mem = {replay_read, f};

	return py_gil_state_mem(&mem, f->version, f->runtime, pthread_tid_offset, locked, holder);
}

/* Who holds the GIL, and what it runs (a loop test over the versions). */
START_TEST(test_gil_holder)
{
	const struct gil_case *c = &gil_cases[_i];
	struct py_frame frames[16];
	struct fixture f;
	bool locked = false;
	pid_t holder = 0;
	int n;

	load_fixture(c->tag, &f);
	ck_assert_str_eq(f.version, c->version);
	ck_assert_int_eq(replay_gil(&f, f.pthread_tid_offset, &locked, &holder), 0);
	ck_assert(locked);
	ck_assert_int_eq(holder, f.tid);

	n = replay(&f, holder, frames, 16);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(frames[0].function, "spin");
	ck_assert_str_eq(frames[0].file, c->script);
	ck_assert_msg(frames[0].line == 11 || frames[0].line == 12, "line %d", frames[0].line);
	ck_assert(!frames[0].coroutine);
	ck_assert_str_eq(frames[1].function, c->thread_run);
	check_expected_file(c->tag, frames, n);

	/* 3.8 - 3.10 need the struct pthread layout, as for stacks */
	if (f.pthread_tid_offset) {
		ck_assert_int_eq(replay_gil(&f, -1, &locked, &holder), -ENOTSUP);
		/* a wrong one finds the thread state but no tid: holder unknown */
		ck_assert_int_eq(replay_gil(&f, 712, &locked, &holder), 0);
		ck_assert(locked);
		ck_assert_int_eq(holder, 0);
	}
	free_fixture(&f);
}
END_TEST

START_TEST(test_gil_bad_arguments)
{
	struct fixture f;
	struct mem_reader mem = {replay_read, &f};
	bool locked = true;
	pid_t holder = 5;

	load_fixture("py311_gil", &f);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.7", f.runtime, 0, &locked, &holder), -EPROTONOSUPPORT);
	ck_assert(!locked);
	ck_assert_int_eq(holder, 0);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.14", f.runtime, 0, &locked, &holder), -EPROTONOSUPPORT);
	ck_assert_int_eq(py_gil_state_mem(&mem, NULL, f.runtime, 0, &locked, &holder), -EINVAL);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.11", f.runtime, 0, NULL, &holder), -EINVAL);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.11", f.runtime, 0, &locked, NULL), -EINVAL);
	ck_assert_int_eq(py_gil_state_mem(NULL, "3.11", f.runtime, 0, &locked, &holder), -EINVAL);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.11", 0, 0, &locked, &holder), -EFAULT);
	ck_assert_int_eq(py_gil_state_mem(&mem, "3.11", 0x1000, 0, &locked, &holder), -EFAULT);
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
	0x80, 0x00, 0xd8, 0x0c, 0x0d, 0x80, 0x45, 0xdd, 0x0d, 0x12, 0x90, 0x31, 0x89, 0x58, 0x8c, 0x58, 0xf0, 0x00,
	0x06, 0x05, 0x12, 0xf0, 0x00, 0x06, 0x05, 0x12, 0x88, 0x01, 0xd8, 0x0b, 0x0c, 0x88, 0x71, 0x89, 0x35, 0xf0,
	0x00, 0x05, 0x09, 0x12, 0xd8, 0x0c, 0x11, 0x90, 0x61, 0xd8, 0x16, 0x17, 0xf1, 0x03, 0x01, 0x17, 0x18, 0xf1,
	0x00, 0x01, 0x0d, 0x19, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x06, 0x00, 0x0d, 0x12, 0xd8, 0x10, 0x11, 0xf1, 0x03,
	0x01, 0x0d, 0x12, 0x88, 0x45, 0x88, 0x45, 0xf0, 0x04, 0x04, 0x05, 0x0d, 0xdd, 0x0d, 0x11, 0x90, 0x2b, 0xd1,
	0x0d, 0x1e, 0xd4, 0x0d, 0x1e, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xa0, 0x21, 0xd8, 0x0c, 0x0d, 0x8f, 0x46, 0x8a,
	0x46, 0x89, 0x48, 0x8c, 0x48, 0x88, 0x48, 0xf0, 0x03, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0,
	0x00, 0x01, 0x09, 0x15, 0xf1, 0x00, 0x01, 0x09, 0x15, 0xf4, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09,
	0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00,
	0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf8, 0xf8, 0xf8, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00,
	0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf0, 0x00, 0x01, 0x09, 0x15, 0xf8, 0xf8, 0xe5, 0x0b, 0x12,
	0xf0, 0x00, 0x01, 0x05, 0x0d, 0xf0, 0x00, 0x01, 0x05, 0x0d, 0xf0, 0x00, 0x01, 0x05, 0x0d, 0xd8, 0x08, 0x0c,
	0x88, 0x04, 0xf0, 0x03, 0x01, 0x05, 0x0d, 0xf8, 0xf8, 0xf8, 0xf0, 0x0a, 0x00, 0x0c, 0x11, 0x95, 0x33, 0x98,
	0x01, 0x98, 0x31, 0x90, 0x76, 0x91, 0x3b, 0x94, 0x3b, 0xd1, 0x0b, 0x1e, 0xd0, 0x04, 0x1e,
};

static const int sample_lines[] = {
	1,  2,	2,  3,	3,  3,	3,  3,	3,  3,	3,  3,	3,  3,	3,  3,	3,  3,	3,  3,	4,  4,	4,  4,	4,  5,	5,  6,
	5,  5,	5,  5,	5,  5,	8,  9,	8,  8,	8,  8,	10, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
	11, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 11, 11, 11, 11, 11, 11, 11,
	11, 11, 11, 11, 11, 11, 11, 11, 11, -1, -1, -1, 11, 11, 11, 11, -1, -1, 13, 13, 13, 13, 13, 13, 13, 13, 13, 14,
	14, 13, -1, -1, -1, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
};

START_TEST(test_linetable_sample)
{
	const int units = sizeof(sample_lines) / sizeof(sample_lines[0]);
	int i;

	for (i = 0; i < units; i++)
		ck_assert_msg(
			py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, 2 * i) == sample_lines[i],
			"code unit %d: got %d want %d", i,
			py_location_table_line(sample_linetable, sizeof(sample_linetable), 1, 2 * i), sample_lines[i]);
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
		0xe8, 0x0a,	  /* 1 unit, +5 */
		0xe9, 0x07,	  /* 2 units, -3 */
		0xe8, 0x48, 0x03, /* 1 unit, +100 (svarint 200 = 8 | 3 << 6) */
		0xf8,		  /* 1 unit, no location */
		0x80, 0x00,	  /* 1 unit, short form: same line */
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
	static const uint8_t not_entry[] = {0x12, 0x34};
	static const uint8_t cut_varint[] = {0xe8, 0x40};
	static const uint8_t long_varint[] = {0xe8, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x01};
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
#define BASE	  0x10000000ULL
#define MEM_SIZE  0x10000
#define RUNTIME	  (BASE + 0x0000)
#define INTERP	  (BASE + 0x0100)
#define TSTATE	  (BASE + 0x0200)
#define TSTATE2	  (BASE + 0x0400)
#define CFRAME	  (BASE + 0x0600)
#define FRAME_A	  (BASE + 0x0700)
#define FRAME_B	  (BASE + 0x0800)
#define CODE	  (BASE + 0x1000)
#define NAME	  (BASE + 0x2000)
#define FILENAME  (BASE + 0x2100)
#define LINETABLE (BASE + 0x2200)
#define TID	  42

struct fake {
	uint8_t mem[MEM_SIZE];
	bool garbage; /* reads outside mem return pseudo-random words */
	unsigned int reads;
	uint64_t bump; /* if set, a u64 incremented after each read covering it */
};

static int fake_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = ctx;
	size_t i;

	f->reads++;
	if (addr >= BASE && addr - BASE <= MEM_SIZE && len <= MEM_SIZE - (addr - BASE)) {
		memcpy(buf, f->mem + (addr - BASE), len);
		if (f->bump && addr <= f->bump && f->bump + 8 <= addr + len)
			f->mem[f->bump - BASE]++; /* a GIL switch while we look */
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
	static const uint8_t table[] = {0xe8, 0x0a}; /* one unit, line +5 */

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
	put32(f, CODE + 48, 0x80); /* CO_COROUTINE */
	put32(f, CODE + 72, 10);   /* co_firstlineno */
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
	struct mem_reader mem = {fake_read, f};

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
	put64(&f, RUNTIME + 40, 0); /* no interpreter */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, TSTATE + 56, 0); /* no cframe */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, CFRAME + 8, 0); /* no current frame */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 0);

	fake_init(&f);
	put64(&f, FRAME_A + 32, 0); /* NULL code object */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f);
	put64(&f, CODE + 112, 0); /* NULL co_filename */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f);
	put64(&f, FRAME_A + 48, 0xdeadbeef); /* misaligned previous: keep frame A */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 1);

	fake_init(&f);
	put64(&f, FRAME_A + 48, 0xffff880000000000ULL); /* kernel address */
	ck_assert_int_eq(fake_walk(&f, frames, 8), 1);

	fake_init(&f);
	put64(&f, INTERP + 16, 0x20000000); /* unreadable thread state */
	ck_assert_int_eq(fake_walk(&f, frames, 8), -EFAULT);

	fake_init(&f); /* unreadable runtime */
	{
		struct mem_reader mem = {fake_read, &f};

		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", 0x30000000, TID, frames, 8), -EFAULT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", 0, TID, frames, 8), -EFAULT);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", RUNTIME, TID, NULL, 8), -EINVAL);
		ck_assert_int_eq(py_stack_read_mem(&mem, "3.11", RUNTIME, TID, frames, -1), -EINVAL);
	}
}
END_TEST

/*
 * 3.8 - 3.10 fakes (PyFrameObject model), same memory: runtime -> interp ->
 * tstate -> struct pthread (tid at 720, as in glibc) and tstate -> FRAME_A ->
 * FRAME_B -> NULL. 3.8, 3.9 and 3.10 differ only in f_lasti and line tables.
 */
#define PTHREAD	    (BASE + 0x3000)
#define PTHREAD_TID 720

static void fake_frame_object_init(struct fake *f, const char *version)
{
	int lasti = strcmp(version, "3.10") ? 104 : 96;

	memset(f, 0, sizeof(*f));
	put64(f, RUNTIME + 32, INTERP);
	put64(f, INTERP + 8, TSTATE);
	put64(f, TSTATE + 176, PTHREAD);
	put32(f, PTHREAD + PTHREAD_TID, TID);
	put64(f, TSTATE + 24, FRAME_A);
	put64(f, FRAME_A + 24, FRAME_B);
	put64(f, FRAME_A + 32, CODE);
	put32(f, FRAME_A + lasti, 0);
	put64(f, FRAME_B + 32, CODE);
	put32(f, FRAME_B + lasti, (uint32_t)-1); /* not started: the def line */
	put32(f, CODE + 36, 0x200);		 /* CO_ASYNC_GENERATOR */
	put32(f, CODE + 40, 10);		 /* co_firstlineno */
	put64(f, CODE + 104, FILENAME);
	put64(f, CODE + 112, NAME);
	put64(f, CODE + 120, LINETABLE);
	put_ascii(f, NAME, "fake");
	put_ascii(f, FILENAME, "fake.py");
}

static void fake_put_table(struct fake *f, const uint8_t *t, size_t len)
{
	put64(f, LINETABLE + 16, len);
	memcpy(f->mem + (LINETABLE + 32 - BASE), t, len);
}

static int fake_walk_v(struct fake *f, const char *version, struct py_frame *frames, int max)
{
	struct mem_reader mem = {fake_read, f};

	return py_stack_read_mem_ex(&mem, version, RUNTIME, PTHREAD_TID, TID, frames, max);
}

/* Line of frame A with f_lasti = lasti. */
static int fake_line(struct fake *f, const char *version, int lasti)
{
	struct py_frame frames[2];

	put32(f, FRAME_A + (strcmp(version, "3.10") ? 104 : 96), lasti);
	ck_assert_int_eq(fake_walk_v(f, version, frames, 2), 2);
	return frames[0].line;
}

START_TEST(test_frame_objects)
{
	/* 3.8, 3.9 co_lnotab: (byte offset, line delta) */
	static const uint8_t lnotab[] = {0, 1, 6, 2, 4, 0xfd};
	/* 3.10 co_linetable: (byte length, line delta), -128 = no line */
	static const uint8_t linetable[] = {4, 1, 2, 0x80, 6, 2, 0, 5, 2, 0xfd};
	static struct fake f;
	struct py_frame frames[8];

	fake_frame_object_init(&f, "3.9");
	fake_put_table(&f, lnotab, sizeof(lnotab));
	ck_assert_int_eq(fake_walk_v(&f, "3.9", frames, 8), 2);
	ck_assert_str_eq(frames[0].function, "fake");
	ck_assert_str_eq(frames[0].file, "fake.py");
	ck_assert(frames[0].coroutine);
	ck_assert_int_eq(frames[0].line, 11);
	ck_assert_int_eq(frames[1].line, 10);
	ck_assert_int_eq(fake_line(&f, "3.8", 5), 11);
	ck_assert_int_eq(fake_line(&f, "3.8", 6), 13);
	ck_assert_int_eq(fake_line(&f, "3.8", 10), 10);
	ck_assert_int_eq(fake_line(&f, "3.8", 5000), 10);

	fake_frame_object_init(&f, "3.10");
	fake_put_table(&f, linetable, sizeof(linetable));
	ck_assert_int_eq(fake_line(&f, "3.10", 0), 11); /* f_lasti counts code units */
	ck_assert_int_eq(fake_line(&f, "3.10", 1), 11);
	ck_assert_int_eq(fake_line(&f, "3.10", 2), 0); /* no line */
	ck_assert_int_eq(fake_line(&f, "3.10", 3), 13);
	ck_assert_int_eq(fake_line(&f, "3.10", 5), 13);
	ck_assert_int_eq(fake_line(&f, "3.10", 6), 15);
	ck_assert_int_eq(fake_line(&f, "3.10", 7), 0); /* past the end */
	ck_assert_int_eq(fake_walk_v(&f, "3.10", frames, 8), 2);
	ck_assert_int_eq(frames[1].line, 10); /* f_lasti -1 */

	/* f_back cycles end the walk */
	put64(&f, FRAME_B + 24, FRAME_A);
	ck_assert_int_eq(fake_walk_v(&f, "3.10", frames, 8), 2);
	put64(&f, FRAME_A + 24, FRAME_A);
	ck_assert_int_eq(fake_walk_v(&f, "3.10", frames, 8), 1);

	/* another tid, or an exited thread whose struct pthread is gone: no match */
	fake_frame_object_init(&f, "3.9");
	put32(&f, PTHREAD + PTHREAD_TID, TID + 1);
	ck_assert_int_eq(fake_walk_v(&f, "3.9", frames, 8), 0);
	put64(&f, TSTATE + 176, 0x20000000);
	ck_assert_int_eq(fake_walk_v(&f, "3.9", frames, 8), 0);
	put64(&f, TSTATE + 176, 0);
	ck_assert_int_eq(fake_walk_v(&f, "3.9", frames, 8), 0);
}
END_TEST

/*
 * The GIL in the fakes: 3.11 keeps it in _PyRuntime (ceval.gil at 360),
 * 3.12 behind interpreters.main (48) -> ceval.gil (384); both
 * struct _gil_runtime_state { interval; last_holder @8; locked @16;
 * switch_number @24 }.
 */
#define GIL311 (RUNTIME + 360)
#define GIL312 (BASE + 0x3800)

static int fake_gil(struct fake *f, const char *version, bool *locked, pid_t *holder)
{
	struct mem_reader mem = {fake_read, f};

	return py_gil_state_mem(&mem, version, RUNTIME, PTHREAD_TID, locked, holder);
}

START_TEST(test_gil_fake)
{
	static struct fake f;
	bool locked;
	pid_t holder;

	fake_init(&f);
	put64(&f, GIL311 + 8, TSTATE);
	put32(&f, GIL311 + 16, 1);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert(locked);
	ck_assert_int_eq(holder, TID);

	/* free: last_holder is only who had it last, not reported */
	put32(&f, GIL311 + 16, 0);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert(!locked);
	ck_assert_int_eq(holder, 0);

	/* not created yet (or finalized), or garbage */
	put32(&f, GIL311 + 16, (uint32_t)-1);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), -EAGAIN);
	put32(&f, GIL311 + 16, 7);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), -EINVAL);
	put32(&f, GIL311 + 16, 1);

	/* a holder in no thread list (freed, or not linked yet): unknown */
	put64(&f, GIL311 + 8, TSTATE2);
	put64(&f, TSTATE2 + 160, TID + 1);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert(locked);
	ck_assert_int_eq(holder, 0);
	put64(&f, TSTATE + 8, TSTATE2); /* now linked */
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert_int_eq(holder, TID + 1);
	put64(&f, TSTATE2 + 160, 0); /* no native id yet */
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert(locked);
	ck_assert_int_eq(holder, 0);
	put64(&f, GIL311 + 8, 0); /* NULL or misaligned holder */
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert_int_eq(holder, 0);
	put64(&f, GIL311 + 8, TSTATE + 1);
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert_int_eq(holder, 0);

	/* the GIL switching on every read: gives up, bounded */
	put64(&f, GIL311 + 8, TSTATE);
	f.bump = GIL311 + 24;
	f.reads = 0;
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), -EAGAIN);
	ck_assert(!locked);
	ck_assert_uint_lt(f.reads, 200);
	f.bump = 0;

	/* a cycling thread list while looking for the holder: bounded */
	put64(&f, GIL311 + 8, TSTATE2 + 16);
	put64(&f, TSTATE2 + 8, TSTATE);
	f.reads = 0;
	ck_assert_int_eq(fake_gil(&f, "3.11", &locked, &holder), 0);
	ck_assert_int_eq(holder, 0);
	ck_assert_uint_lt(f.reads, 100000);
}
END_TEST

/* 3.12: the main interpreter's GIL, through a pointer. */
START_TEST(test_gil_fake_per_interpreter)
{
	static struct fake f;
	bool locked;
	pid_t holder;

	memset(&f, 0, sizeof(f));
	put64(&f, RUNTIME + 40, INTERP); /* interpreters.head */
	put64(&f, RUNTIME + 48, INTERP); /* interpreters.main */
	put64(&f, INTERP + 72, TSTATE);	 /* threads.head */
	put64(&f, TSTATE + 144, TID);	 /* native_thread_id */
	put64(&f, INTERP + 384, GIL312); /* ceval.gil */
	put64(&f, GIL312 + 8, TSTATE);
	put32(&f, GIL312 + 16, 1);
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), 0);
	ck_assert(locked);
	ck_assert_int_eq(holder, TID);

	put64(&f, INTERP + 384, 0); /* no GIL yet */
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), -EAGAIN);
	put64(&f, INTERP + 384, 0x20000000); /* unreadable */
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), -EFAULT);
	put64(&f, INTERP + 384, GIL312 + 4); /* misaligned */
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), -EFAULT);
	put64(&f, INTERP + 384, GIL312);
	put64(&f, RUNTIME + 48, 0); /* no main interpreter yet */
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), -EAGAIN);
	put64(&f, RUNTIME + 48, 0xffff880000000000ULL);
	ck_assert_int_eq(fake_gil(&f, "3.12", &locked, &holder), -EFAULT);
	ck_assert(!locked);
	ck_assert_int_eq(holder, 0);
}
END_TEST

/*
 * Every word of the fake is random, pointing back into it half the time;
 * for 3.8 - 3.10 the thread list is planted so the frame walk runs on garbage.
 */
START_TEST(test_hostile_random_memory)
{
	static const char *const versions[] = {"3.8", "3.10", "3.11", "3.12", "3.13"};
	const char *version = versions[_i];
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
		if (!strcmp(version, "3.8") || !strcmp(version, "3.10")) {
			put64(&f, RUNTIME + 32, INTERP);
			put64(&f, INTERP + 8, TSTATE);
			put64(&f, TSTATE + 176, PTHREAD);
			put32(&f, PTHREAD + PTHREAD_TID, TID);
		}
		f.garbage = seed & 1;
		{
			bool locked;
			pid_t holder;

			r = fake_gil(&f, version, &locked, &holder);
			ck_assert_int_le(r, 0);
			ck_assert_int_ge(r, -4095);
			ck_assert(r == 0 || (!locked && !holder));
			ck_assert_int_ge(holder, 0);
		}
		r = fake_walk_v(&f, version, frames, 32);
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
	struct proc_maps *maps;

	/* this test binary is not CPython */
	ck_assert_int_eq(proc_maps_read(getpid(), &maps), 0);
	ck_assert_int_eq(py_process_open(getpid(), maps, &p), -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(py_process_open(0, maps, &p), -EINVAL);
	proc_maps_free(maps);
}
END_TEST

static Suite *python_stack_suite(void)
{
	Suite *s = suite_create("python_stack");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_py311_main_thread);
	tcase_add_test(tc, test_py311_worker_thread);
	tcase_add_loop_test(tc, test_pyenv_versions, 0, sizeof(pyenv_cases) / sizeof(pyenv_cases[0]));
	tcase_add_loop_test(tc, test_code_cache_reads_less_and_the_same, 0,
			    sizeof(pyenv_cases) / sizeof(pyenv_cases[0]));
	tcase_add_test(tc, test_code_cache_checks_the_fields);
	tcase_add_loop_test(tc, test_task_name, 0, sizeof(task_cases) / sizeof(task_cases[0]));
	tcase_add_loop_test(tc, test_task_name_cross_check, 0, sizeof(task_cases) / sizeof(task_cases[0]));
	tcase_add_test(tc, test_pthread_tid_offset);
	tcase_add_test(tc, test_py313_debug_offsets);
	tcase_add_test(tc, test_unsupported_version);
	tcase_add_loop_test(tc, test_gil_holder, 0, sizeof(gil_cases) / sizeof(gil_cases[0]));
	tcase_add_test(tc, test_gil_bad_arguments);
	tcase_add_test(tc, test_linetable_sample);
	tcase_add_test(tc, test_linetable_no_columns);
	tcase_add_test(tc, test_linetable_corrupt);
	tcase_add_test(tc, test_hostile_baseline);
	tcase_add_test(tc, test_hostile_cycles);
	tcase_add_test(tc, test_hostile_strings);
	tcase_add_test(tc, test_hostile_null_and_bad_pointers);
	tcase_add_test(tc, test_frame_objects);
	tcase_add_test(tc, test_gil_fake);
	tcase_add_test(tc, test_gil_fake_per_interpreter);
	tcase_add_loop_test(tc, test_hostile_random_memory, 0, 5);
	tcase_add_test(tc, test_open_not_python);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(python_stack_suite());
}
