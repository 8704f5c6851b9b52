// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the HotSpot readers (user/runtimes/jvm/vmstructs.c,
 * java_frames.c): a recorded JVM (tests/fixtures/jvm, see its README.md)
 * replayed through a mem_reader, from libjvm's tables to the Java frames
 * of a thread blocked in a socket read; and tables built in a buffer that a
 * JVM the reader does not know, or hostile memory, would hand it.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_suite.h"
#include "runtimes/jvm/java_frames.h"
#include "runtimes/jvm/vmstructs.h"

#define FIXTURE "tests/fixtures/jvm/jdk17_socket_read"

struct segment {
	uint64_t addr;
	uint32_t len;
	uint8_t *bytes;
};

static struct segment *segs;
static uint32_t nseg, tid;
static uint64_t symbols[64];

static int read_recorded(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint32_t i;

	(void)ctx;
	for (i = 0; i < nseg; i++)
		if (addr >= segs[i].addr && addr - segs[i].addr <= segs[i].len && len <= segs[i].len - (addr - segs[i].addr)) {
			memcpy(buf, segs[i].bytes + (addr - segs[i].addr), len);
			return 0;
		}
	return -EFAULT;
}

static void load_fixture(void)
{
	FILE *f = fopen(FIXTURE ".bin", "rb");
	char magic[8];
	uint32_t count, i;

	ck_assert_msg(f, "cannot open " FIXTURE ".bin");
	ck_assert(fread(magic, 1, 8, f) == 8 && memcmp(magic, "LSJVMFX1", 8) == 0);
	ck_assert(fread(&count, 4, 1, f) == 1 && (int)count == vmstructs_nsymbols);
	ck_assert(fread(symbols, 8, count, f) == count);
	ck_assert(fread(&tid, 4, 1, f) == 1 && fread(&nseg, 4, 1, f) == 1);
	segs = calloc(nseg, sizeof(*segs));
	for (i = 0; i < nseg; i++) {
		ck_assert(fread(&segs[i].addr, 8, 1, f) == 1 && fread(&segs[i].len, 4, 1, f) == 1);
		segs[i].bytes = malloc(segs[i].len);
		ck_assert(fread(segs[i].bytes, 1, segs[i].len, f) == segs[i].len);
	}
	fclose(f);
}

static const struct mem_reader recorded = {read_recorded, NULL};

START_TEST(recorded_jvm_thread_in_a_socket_read)
{
	static struct java_vm vm;
	struct stall_frame frames[64];
	char missing[96], want[64][400], line[400];
	FILE *f;
	int n, i, nwant = 0;

	load_fixture();
	ck_assert_int_eq(vmstructs_read(&recorded, symbols, &vm.l, missing, sizeof(missing)), 0);
	ck_assert_int_eq(java_vm_open(&vm, &recorded), 0);
	ck_assert_int_eq(vm.major, 17);
	n = java_read_stack(&vm, &recorded, (pid_t)tid, frames, 64);
	f = fopen(FIXTURE ".expected", "r");
	ck_assert(f);
	while (nwant < 64 && fgets(line, sizeof(line), f))
		snprintf(want[nwant++], sizeof(want[0]), "%s", line);
	fclose(f);
	ck_assert_int_eq(n, nwant);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "%s\t%s\t%d\n", frames[i].function, frames[i].file, frames[i].line);
		ck_assert_str_eq(line, want[i]);
		ck_assert_int_eq(frames[i].kind, FRAME_JIT);
	}
	/* by hand, from tests/e2e/apps/SelectorLoop.java and JDK 17's Socket.java */
	ck_assert_str_eq(frames[0].function, "sun.nio.ch.SocketDispatcher.read0");
	ck_assert_str_eq(frames[n - 3].function, "SelectorLoop.readReply");
	ck_assert_int_eq(frames[n - 3].line, 56); /* return in.read(); */
	ck_assert_str_eq(frames[n - 1].function, "SelectorLoop.main");
	ck_assert_str_eq(frames[n - 4].function, "java.net.Socket$SocketInputStream.read");
	/* another thread of the JVM's: no Java frames, no error */
	ck_assert_int_le(java_read_stack(&vm, &recorded, (pid_t)tid + 100000, frames, 64), 0);
}
END_TEST

/* Each recorded range but one gone, in turn: the reader stops short or fails, never more frames nor a crash. */
START_TEST(recorded_jvm_with_memory_missing)
{
	static struct java_vm vm;
	struct stall_frame frames[64];
	char missing[96];
	uint32_t i, all;

	load_fixture();
	all = nseg;
	for (i = 0; i < all; i++) {
		struct segment gone = segs[i];

		segs[i] = segs[all - 1];
		nseg = all - 1;
		if (vmstructs_read(&recorded, symbols, &vm.l, missing, sizeof(missing)) == 0 &&
		    java_vm_open(&vm, &recorded) == 0)
			ck_assert_int_le(java_read_stack(&vm, &recorded, (pid_t)tid, frames, 64), 11);
		segs[all - 1] = segs[i];
		segs[i] = gone;
	}
	nseg = all;
}
END_TEST

/* A table built in a buffer at TABLES: entries of 48 bytes as JDK 17 lays them out. */
#define TABLES 0x20000000ULL
static uint8_t table_bytes[0x4000];

static int read_tables(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < TABLES || addr - TABLES > sizeof(table_bytes) || len > sizeof(table_bytes) - (addr - TABLES))
		return -EFAULT;
	memcpy(buf, table_bytes + (addr - TABLES), len);
	return 0;
}

static void put(uint64_t at, uint64_t v)
{
	memcpy(table_bytes + (at - TABLES), &v, 8);
}

static uint64_t string_at(uint64_t at, const char *s)
{
	memcpy(table_bytes + (at - TABLES), s, strlen(s) + 1);
	return at;
}

/* Symbols pointing at a struct table of n entries named "T::_f" (and nothing else), strides of 48. */
static void build_tables(int n, uint64_t stride)
{
	uint64_t consts = TABLES + 0x100, structs = TABLES + 0x400, strings = TABLES + 0x200;
	uint64_t values[] = {structs, 0, 8, 32, 24, 40, stride, TABLES + 0x380, 0, 8, 16, TABLES + 0x3c0, 0, 8, 16};
	int i;

	memset(table_bytes, 0, sizeof(table_bytes));
	for (i = 0; i < vmstructs_nsymbols; i++) {
		/* gHotSpotVMStructs and the like hold the tables' addresses; the rest are values */
		put(consts + 8 * i, values[i]);
		symbols[i] = consts + 8 * i;
	}
	for (i = 0; i < n; i++) {
		put(structs + i * stride, string_at(strings, "T"));
		put(structs + i * stride + 8, string_at(strings + 8, "_f"));
	}
}

/* The tables' memory, and past the first struct entry the same entry again, as far as user space goes. */
static int read_endless(void *ctx, uint64_t addr, void *buf, size_t len)
{
	uint64_t structs = TABLES + 0x400;
	size_t i;

	if (addr < structs)
		return read_tables(ctx, addr, buf, len);
	for (i = 0; i < len; i++)
		((uint8_t *)buf)[i] = table_bytes[structs - TABLES + (addr + i - structs) % 48];
	return 0;
}

START_TEST(tables_a_reader_cannot_use)
{
	struct hotspot_layout l;
	char missing[96];

	/* a JVM without the fields the reader needs: says the first it lacks */
	build_tables(3, 48);
	ck_assert_int_eq(vmstructs_read(&(struct mem_reader){read_tables, NULL}, symbols, &l, missing, sizeof(missing)),
			 -ENOENT);
	ck_assert_str_eq(missing, "CodeCache::_heaps");
	/* a table with no end: read as far as the bound, then an error */
	build_tables(1, 48);
	ck_assert_int_eq(vmstructs_read(&(struct mem_reader){read_endless, NULL}, symbols, &l, missing, sizeof(missing)),
			 -E2BIG);
	/* a stride past any JDK's: refused before any read of the entries */
	build_tables(3, 4096);
	ck_assert_int_eq(vmstructs_read(&(struct mem_reader){read_tables, NULL}, symbols, &l, missing, sizeof(missing)),
			 -EPROTO);
	/* no libjvm symbols at all */
	memset(symbols, 0, sizeof(symbols));
	ck_assert_int_eq(vmstructs_read(&(struct mem_reader){read_tables, NULL}, symbols, &l, missing, sizeof(missing)),
			 -ENOENT);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {recorded_jvm_thread_in_a_socket_read, recorded_jvm_with_memory_missing,
				tables_a_reader_cannot_use};

	return run_tests("java_frames", tests, sizeof(tests) / sizeof(tests[0]));
}
