// SPDX-License-Identifier: GPL-2.0
/* Reads of a live process through one look: the blocks it read, as they were then. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/target_memory.h"
#include "run_suite.h"

/* Two pages of this process: the second made unreadable. */
static uint8_t *two_pages(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	ck_assert_ptr_ne(p, MAP_FAILED);
	for (i = 0; i < page; i++)
		p[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(mprotect(p + page, page, PROT_NONE), 0);
	return p;
}

START_TEST(reads_what_is_there_across_blocks)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = two_pages(), buf[3 * MEM_LOOK_BLOCK];
	struct mem_look *look = malloc(sizeof(*look));
	struct mem_reader m;
	uint64_t base = (uintptr_t)p;

	mem_look_begin(look, getpid(), &m);
	/* within a block, across two, and longer than two (read directly) */
	ck_assert_int_eq(mem_read(&m, base + 3, buf, 8), 0);
	ck_assert_mem_eq(buf, p + 3, 8);
	ck_assert_int_eq(mem_read(&m, base + MEM_LOOK_BLOCK - 5, buf, 20), 0);
	ck_assert_mem_eq(buf, p + MEM_LOOK_BLOCK - 5, 20);
	ck_assert_int_eq(mem_read(&m, base + 1, buf, sizeof(buf)), 0);
	ck_assert_mem_eq(buf, p + 1, sizeof(buf));
	/* up to the page's end, and one byte past it into the unreadable page */
	ck_assert_int_eq(mem_read(&m, base + page - 8, buf, 8), 0);
	ck_assert_mem_eq(buf, p + page - 8, 8);
	ck_assert_int_ne(mem_read(&m, base + page - 8, buf, 9), 0);
	ck_assert_int_ne(mem_read(&m, base + page, buf, 1), 0);
	munmap(p, 2 * page);
	free(look);
}
END_TEST

START_TEST(a_look_holds_memory_as_it_was_until_the_next)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = two_pages();
	struct mem_look *look = malloc(sizeof(*look));
	struct mem_reader m;
	uint64_t base = (uintptr_t)p, v;

	memcpy(p + 16, &(uint64_t){41}, 8);
	mem_look_begin(look, getpid(), &m);
	ck_assert_int_eq(mem_read_ptr(&m, base + 16, &v), 0);
	ck_assert_uint_eq(v, 41);
	/* The block was read once: a change since is not seen in this look, */
	memcpy(p + 16, &(uint64_t){42}, 8);
	ck_assert_int_eq(mem_read_ptr(&m, base + 16, &v), 0);
	ck_assert_uint_eq(v, 41);
	/* the next look reads it anew. */
	mem_look_begin(look, getpid(), &m);
	ck_assert_int_eq(mem_read_ptr(&m, base + 16, &v), 0);
	ck_assert_uint_eq(v, 42);
	munmap(p, 2 * page);
	free(look);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {reads_what_is_there_across_blocks, a_look_holds_memory_as_it_was_until_the_next};

	return run_tests("target_memory", tests, sizeof(tests) / sizeof(tests[0]));
}
