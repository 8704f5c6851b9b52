// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/symbols/elf_symbols.c's code reader, on this test's
 * own executable as the kernel mapped it: its function starts, as
 * .eh_frame_hdr lists them, and its code read from the file agree with
 * the process's memory.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_suite.h"
#include "symbols/elf_symbols.h"

/* A function of this file: its start must be listed, its bytes read as they run. */
static __attribute__((noinline)) int sum_to(int n)
{
	int s = 0;

	for (int i = 1; i <= n; i++)
		s += i * (n & 3);
	return s;
}

static struct elf_code *own_code(void)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const struct proc_mapping *m;
	struct proc_maps *maps;
	struct elf_code *code = NULL;

	ck_assert_int_gt(len, 0);
	exe[len] = 0;
	ck_assert_int_eq(proc_maps_read(getpid(), &maps), 0);
	m = proc_maps_find(maps, exe);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(elf_code_open(getpid(), m, &code), 0);
	proc_maps_free(maps);
	return code;
}

START_TEST(function_starts_and_code_as_the_process_runs_them)
{
	struct elf_code *code = own_code();
	uint64_t fn = (uint64_t)(uintptr_t)sum_to, other = (uint64_t)(uintptr_t)elf_code_close;
	uint8_t bytes[64];
	bool listed = false;
	int i;

	ck_assert_int_gt(code->nstarts, 10);
	for (i = 0; i < code->nstarts; i++) {
		if (i)
			ck_assert(code->starts[i - 1] <= code->starts[i]);
		listed |= code->starts[i] == fn;
	}
	ck_assert(listed);
	ck_assert_int_eq(elf_code_read(code, fn, bytes, sizeof(bytes)), 0);
	ck_assert_mem_eq(bytes, (const void *)(uintptr_t)fn, sizeof(bytes));
	/* another function (loopstall's), then the first again */
	ck_assert_int_eq(elf_code_read(code, other, bytes, 16), 0);
	ck_assert_mem_eq(bytes, (const void *)(uintptr_t)other, 16);
	ck_assert_int_eq(elf_code_read(code, fn + 8, bytes, 8), 0);
	ck_assert_mem_eq(bytes, (const void *)(uintptr_t)(fn + 8), 8);
	/* outside the executable segments, or past one's end */
	ck_assert_int_eq(elf_code_read(code, 8, bytes, 8), -EFAULT);
	ck_assert_int_eq(elf_code_read(code, code->seg[0].end - 4, bytes, 8), -EFAULT);
	ck_assert_int_eq(sum_to(5), 15);
	elf_code_close(code);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {function_starts_and_code_as_the_process_runs_them};

	return run_tests("elf_code", tests, sizeof(tests) / sizeof(tests[0]));
}
