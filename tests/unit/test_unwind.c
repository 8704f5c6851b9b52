// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for unwind_stack() in user/symbols/symbolize.c: replays registers and
 * stack recorded from a live Debian python3.11 whose threads were blocked in
 * syscalls (tests/fixtures/unwind, see its README.md), unwinding with the
 * .eh_frame of the very binaries of this machine: python3.11 has no frame
 * pointers, so a frame-pointer walk would stop after a frame or two.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../fixtures/unwind/build_id.h"
#include "symbols/symbolize.h"
#include "run_suite.h"

#define FIXTURES   "tests/fixtures/unwind/"
#define MAX_FRAMES 128

struct fixture {
	pid_t pid;
	pid_t tid;
	struct unwind_regs regs;
	uint64_t stack_addr;
	uint32_t stack_len;
	uint8_t *stack;
	int nexpected; /* from NAME.expected: the live unwind at recording time */
	uint64_t ips[MAX_FRAMES];
	char functions[MAX_FRAMES][128];
	char modules[MAX_FRAMES][256];
};

/* The recorded stack is all the memory there is. */
static int replay_read(void *ctx, uint64_t addr, uint64_t *word)
{
	struct fixture *f = ctx;

	if (addr < f->stack_addr || addr - f->stack_addr > f->stack_len ||
	    f->stack_len - (addr - f->stack_addr) < sizeof(*word))
		return -EFAULT;
	memcpy(word, f->stack + (addr - f->stack_addr), sizeof(*word));
	return 0;
}

static int unreadable(void *ctx, uint64_t addr, uint64_t *word)
{
	(void)ctx;
	(void)addr;
	(void)word;
	return -EFAULT;
}

/* The fixture replays only against the binaries it was recorded with. */
static void check_build_ids(const char *name)
{
	char path[256], line[4096], here[128];
	FILE *fp;

	snprintf(path, sizeof(path), FIXTURES "%s.buildids", name);
	fp = fopen(path, "r");
	ck_assert_msg(fp, "cannot open %s (run tests from the repo root)", path);
	while (fgets(line, sizeof(line), fp)) {
		char *file = strchr(line, '\t');

		ck_assert_msg(file, "%s: bad line %s", path, line);
		*file++ = '\0';
		file[strcspn(file, "\n")] = '\0';
		build_id(file, here, sizeof(here));
		ck_assert_msg(strcmp(here, line) == 0,
			      "%s has build-id '%s' here but '%s' in fixture %s: the fixture only "
			      "replays on the image it was recorded on; regenerate it as " FIXTURES "README.md says",
			      file, here, line, name);
	}
	fclose(fp);
}

static void load_fixture(const char *name, struct fixture *f)
{
	char path[256], magic[8], line[1024];
	uint32_t pid, tid;
	FILE *fp;

	check_build_ids(name);
	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), FIXTURES "%s.bin", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp, "cannot open %s (run tests from the repo root)", path);
	ck_assert(fread(magic, 1, 8, fp) == 8 && memcmp(magic, "LSUNWFX1", 8) == 0);
	ck_assert(fread(&pid, sizeof(pid), 1, fp) == 1);
	ck_assert(fread(&tid, sizeof(tid), 1, fp) == 1);
	ck_assert(fread(f->regs.r, sizeof(f->regs.r), 1, fp) == 1);
	ck_assert(fread(&f->stack_addr, sizeof(f->stack_addr), 1, fp) == 1);
	ck_assert(fread(&f->stack_len, sizeof(f->stack_len), 1, fp) == 1);
	f->pid = pid;
	f->tid = tid;
	f->stack = malloc(f->stack_len);
	ck_assert(f->stack && fread(f->stack, 1, f->stack_len, fp) == f->stack_len);
	fclose(fp);

	snprintf(path, sizeof(path), FIXTURES "%s.expected", name);
	fp = fopen(path, "r");
	ck_assert_msg(fp, "cannot open %s", path);
	while (fgets(line, sizeof(line), fp) && f->nexpected < MAX_FRAMES) {
		int i = f->nexpected++;

		line[strcspn(line, "\n")] = '\0';
		ck_assert_msg(sscanf(line, "0x%" SCNx64 "\t%127[^\t]\t%255s", &f->ips[i], f->functions[i],
				     f->modules[i]) >= 2,
			      "%s: bad line %s", path, line);
	}
	fclose(fp);
}

static struct symbolizer *fixture_symbolizer(const char *name, pid_t pid)
{
	struct symbolizer *s;
	char path[256];

	snprintf(path, sizeof(path), FIXTURES "%s.maps", name);
	s = symbolizer_from_maps(pid, path);
	ck_assert_msg(s, "symbolizer_from_maps(%s): %s", path, strerror(errno));
	return s;
}

/* Unwinds f's recorded stack and checks the addresses against the live unwind. */
static int unwind_fixture(struct symbolizer *s, struct fixture *f, uint64_t *ips)
{
	int n = unwind_stack(s, f->pid, f->tid, &f->regs, replay_read, f, ips, MAX_FRAMES), i;

	ck_assert_int_eq(n, f->nexpected);
	for (i = 0; i < n; i++)
		ck_assert_msg(ips[i] == f->ips[i], "frame %d: 0x%" PRIx64 ", recorded live 0x%" PRIx64, i, ips[i],
			      f->ips[i]);
	return n;
}

static void symbolize_all(struct symbolizer *s, struct fixture *f, const uint64_t *ips, int n,
			  struct stall_frame *frames)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&frames[i], 0, sizeof(frames[i]));
		symbolize_ip(s, f->pid, ips[i], i > 0, &frames[i]);
		ck_assert_str_eq(frames[i].module, f->modules[i]);
	}
}

/*
 * Frame i is in module (a path suffix); function is its name when given.
 * Names of static functions come from separate debug info only, which the
 * symbolizer does not load (libc6-dbg is slow to open): those frames check
 * the module only.
 */
static void expect(const struct stall_frame *frames, int i, const char *function, const char *module)
{
	size_t len = strlen(frames[i].module), mlen = strlen(module);

	ck_assert_msg(len >= mlen && strcmp(frames[i].module + len - mlen, module) == 0, "frame %d: module %s, want %s",
		      i, frames[i].module, module);
	if (function)
		ck_assert_msg(strstr(frames[i].function, function), "frame %d: %s, want %s", i, frames[i].function,
			      function);
}

#define PY   "/usr/bin/python3.11"
#define LIBC "/libc.so.6"

/* ---- tests ----------------------------------------------------------- */

START_TEST(test_main_thread_in_sleep)
{
	static struct fixture f;
	struct stall_frame frames[MAX_FRAMES];
	uint64_t ips[MAX_FRAMES];
	struct symbolizer *s;
	int n, i;

	load_fixture("py311_main", &f);
	s = fixture_symbolizer("py311_main", f.pid);
	n = unwind_fixture(s, &f, ips);
	ck_assert_int_eq(n, 16);
	ck_assert(ips[0] == f.regs.r[16]);
	symbolize_all(s, &f, ips, n, frames);

	/* time.sleep(): libc's clock_nanosleep under python's time_sleep */
	expect(frames, 0, "clock_nanosleep", LIBC);
	for (i = 1; i <= 12; i++)
		expect(frames, i, NULL, PY);
	expect(frames, 3, "PyObject_Vectorcall", PY);
	expect(frames, 4, "_PyEval_EvalFrameDefault", PY);
	expect(frames, 5, "PyEval_EvalCode", PY);
	expect(frames, 9, "_PyRun_SimpleFileObject", PY);
	expect(frames, 10, "_PyRun_AnyFileObject", PY);
	expect(frames, 11, "Py_RunMain", PY);
	expect(frames, 12, "Py_BytesMain", PY);
	expect(frames, 13, NULL, LIBC); /* __libc_start_call_main */
	expect(frames, 14, "__libc_start_main", LIBC);
	expect(frames, 15, "_start", PY);
	/*
	 * time_sleep is static and python3.11 stripped: no name, its module and
	 * where its function starts in the file (the call is at 0x5d64b3), as
	 * `readelf --debug-dump=frames /usr/bin/python3.11` shows its FDE:
	 * pc=00000000005d6440..00000000005d64da
	 */
	ck_assert_str_eq(frames[1].function, "python3.11+0x5d6440");
	ck_assert_uint_eq(strlen(frames[1].build_id), 40);
	symbolizer_free(s);
	free(f.stack);
}
END_TEST

START_TEST(test_worker_thread_in_read)
{
	static struct fixture f;
	struct stall_frame frames[MAX_FRAMES];
	uint64_t ips[MAX_FRAMES];
	struct symbolizer *s;
	int n;

	load_fixture("py311_worker", &f);
	ck_assert_int_ne(f.tid, f.pid);
	s = fixture_symbolizer("py311_worker", f.pid);
	n = unwind_fixture(s, &f, ips);
	ck_assert_int_eq(n, 14);
	symbolize_all(s, &f, ips, n, frames);

	/* os.read() in a threading.Thread: down to the thread's start */
	expect(frames, 0, "read", LIBC);
	expect(frames, 1, "_Py_read", PY);
	expect(frames, 4, "PyObject_Vectorcall", PY);
	expect(frames, 5, "_PyEval_EvalFrameDefault", PY);
	expect(frames, 6, "_PyFunction_Vectorcall", PY);
	expect(frames, 7, "_PyEval_EvalFrameDefault", PY);
	expect(frames, 11, NULL, PY);
	expect(frames, 12, NULL, LIBC); /* start_thread: static, named only by separate debug info */
	expect(frames, 13, NULL, LIBC); /* __clone3: named only by separate debug info */
	symbolizer_free(s);
	free(f.stack);
}
END_TEST

/* The Dwfl is attached once: later calls, other threads, reuse it. */
START_TEST(test_repeat_and_other_thread)
{
	static struct fixture main_f, worker_f;
	uint64_t ips[MAX_FRAMES];
	struct symbolizer *s;
	int round;

	load_fixture("py311_main", &main_f);
	load_fixture("py311_worker", &worker_f);
	ck_assert_int_eq(main_f.pid, worker_f.pid);
	s = fixture_symbolizer("py311_main", main_f.pid);
	for (round = 0; round < 3; round++) {
		unwind_fixture(s, &main_f, ips);
		unwind_fixture(s, &worker_f, ips);
	}
	symbolizer_free(s);
	free(main_f.stack);
	free(worker_f.stack);
}
END_TEST

START_TEST(test_max_frames)
{
	static struct fixture f;
	uint64_t ips[4];
	struct symbolizer *s;
	int n;

	load_fixture("py311_main", &f);
	s = fixture_symbolizer("py311_main", f.pid);
	n = unwind_stack(s, f.pid, f.tid, &f.regs, replay_read, &f, ips, 4);
	ck_assert_int_eq(n, 4);
	ck_assert(memcmp(ips, f.ips, sizeof(ips)) == 0);
	n = unwind_stack(s, f.pid, f.tid, &f.regs, replay_read, &f, ips, 1);
	ck_assert_int_eq(n, 1);
	ck_assert(ips[0] == f.regs.r[16]);
	symbolizer_free(s);
	free(f.stack);
}
END_TEST

/* No stack memory: the registers still give the innermost frame. */
START_TEST(test_unreadable_stack)
{
	static struct fixture f;
	uint64_t ips[MAX_FRAMES];
	struct symbolizer *s;
	int n;

	load_fixture("py311_main", &f);
	s = fixture_symbolizer("py311_main", f.pid);
	n = unwind_stack(s, f.pid, f.tid, &f.regs, unreadable, NULL, ips, MAX_FRAMES);
	ck_assert_int_eq(n, 1);
	ck_assert(ips[0] == f.regs.r[16]);
	symbolizer_free(s);
	free(f.stack);
}
END_TEST

/* An ip in no module: nothing to unwind with, but no crash and one frame. */
START_TEST(test_ip_outside_modules)
{
	static struct fixture f;
	struct unwind_regs regs;
	struct stall_frame frame = {0};
	uint64_t ips[MAX_FRAMES];
	struct symbolizer *s;
	int n;

	load_fixture("py311_main", &f);
	s = fixture_symbolizer("py311_main", f.pid);
	regs = f.regs;
	regs.r[16] = 0x1000;
	n = unwind_stack(s, f.pid, f.tid, &regs, replay_read, &f, ips, MAX_FRAMES);
	ck_assert_int_ge(n, 1);
	ck_assert(ips[0] == 0x1000);
	symbolize_ip(s, f.pid, 0x1000, false, &frame);
	ck_assert_str_eq(frame.function, "0x1000");
	ck_assert_str_eq(frame.module, "");
	symbolizer_free(s);
	free(f.stack);
}
END_TEST

/*
 * An ip in the gap after a module that starts where the one before it ends
 * (a 2 MB-aligned libcrypto right after a small extension): in no module,
 * although libdwfl's own lookup gives that module for the whole gap, where
 * a library loaded later is mapped.
 */
START_TEST(test_ip_in_gap_after_adjacent_modules)
{
	static const char maps[] = "7f0000000000-7f0000001000 r-xp 00000000 fe:00 101 /nonexistent/libfront.so\n"
				   "7f0000001000-7f0000003000 r-xp 00000000 fe:00 102 /nonexistent/libback.so\n"
				   "7f0000003000-7f0000004000 rw-p 00000000 00:00 0 \n"
				   "7f0000100000-7f0000101000 r-xp 00000000 fe:00 103 /nonexistent/libnext.so\n";
	char path[] = "/tmp/test_unwind_mapsXXXXXX";
	struct stall_frame frame = {0};
	struct symbolizer *s;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, maps, sizeof(maps) - 1), (int)sizeof(maps) - 1);
	close(fd);
	s = symbolizer_from_maps(1, path);
	unlink(path);
	ck_assert_msg(s, "symbolizer_from_maps: %s", strerror(errno));
	symbolize_ip(s, 1, 0x7f0000002100, true, &frame);
	ck_assert_str_eq(frame.module, "/nonexistent/libback.so");
	memset(&frame, 0, sizeof(frame));
	ck_assert(!symbolize_ip(s, 1, 0x7f0000050117, true, &frame));
	ck_assert_str_eq(frame.module, "");
	ck_assert_str_eq(frame.function, "0x7f0000050117");
	symbolizer_free(s);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct unwind_regs regs = {{0}};
	uint64_t ips[4];
	struct symbolizer *s = symbolizer_new(false);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(unwind_stack(NULL, 1, 1, &regs, NULL, NULL, ips, 4), -EINVAL);
	ck_assert_int_eq(unwind_stack(s, 1, 1, NULL, NULL, NULL, ips, 4), -EINVAL);
	ck_assert_int_eq(unwind_stack(s, 1, 1, &regs, NULL, NULL, ips, 0), -EINVAL);
	/* beyond pid_max: no such process */
	ck_assert_int_lt(unwind_stack(s, 0x7ffffff0, 0x7ffffff0, &regs, NULL, NULL, ips, 4), 0);
	symbolizer_free(s);
	errno = 0;
	ck_assert_ptr_null(symbolizer_from_maps(1, FIXTURES "no-such.maps"));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

static Suite *unwind_suite(void)
{
	Suite *s = suite_create("unwind");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_main_thread_in_sleep);
	tcase_add_test(tc, test_worker_thread_in_read);
	tcase_add_test(tc, test_repeat_and_other_thread);
	tcase_add_test(tc, test_max_frames);
	tcase_add_test(tc, test_unreadable_stack);
	tcase_add_test(tc, test_ip_outside_modules);
	tcase_add_test(tc, test_ip_in_gap_after_adjacent_modules);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(unwind_suite());
}
