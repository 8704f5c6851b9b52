// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the HotSpot readers over hostile memory. The input's first 32
 * bytes choose where things lie, the rest is one blob mapped at BLOB: read
 * as libjvm's tables (vmstructs_read), then, with the layout of the
 * recorded JDK 17 (tests/fixtures/jvm), as its code heaps, thread list
 * and stacks (java_read_stack, java_read_frame).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtimes/jvm/java_frames.h"
#include "runtimes/jvm/vmstructs.h"

#define BLOB	0x10000000ULL
#define FIXTURE "tests/fixtures/jvm/jdk17_socket_read.bin"

static const uint8_t *blob;
static size_t blob_len;
static struct hotspot_layout jdk17;

static int read_blob(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr < BLOB || addr - BLOB > blob_len || len > blob_len - (addr - BLOB))
		return -EFAULT;
	memcpy(buf, blob + (addr - BLOB), len);
	return 0;
}

/* The recording's segments, for reading its layout once. */
static uint8_t *rec;
static size_t rec_len;

static int read_recording(void *ctx, uint64_t addr, void *buf, size_t len)
{
	size_t at = 8 + 4 + 8 * (size_t)vmstructs_nsymbols + 8;
	uint32_t nseg, i;

	(void)ctx;
	memcpy(&nseg, rec + at - 4, 4);
	for (i = 0; i < nseg && at + 12 <= rec_len; i++) {
		uint64_t a;
		uint32_t n;

		memcpy(&a, rec + at, 8);
		memcpy(&n, rec + at + 8, 4);
		at += 12;
		if (addr >= a && addr - a <= n && len <= n - (addr - a) && at + n <= rec_len) {
			memcpy(buf, rec + at + (addr - a), len);
			return 0;
		}
		at += n;
	}
	return -EFAULT;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f = fopen(FIXTURE, "rb");
	uint64_t symbols[64];
	char missing[96];

	(void)argc, (void)argv;
	rec = malloc(1 << 20);
	if (!f || !rec || (rec_len = fread(rec, 1, 1 << 20, f)) < 16) {
		fprintf(stderr, "fuzz_jvm: cannot read %s\n", FIXTURE);
		exit(1);
	}
	fclose(f);
	memcpy(symbols, rec + 12, 8 * (size_t)vmstructs_nsymbols);
	if (vmstructs_read(&(struct mem_reader){read_recording, NULL}, symbols, &jdk17, missing, sizeof(missing))) {
		fprintf(stderr, "fuzz_jvm: %s: no layout (%s)\n", FIXTURE, missing);
		exit(1);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_reader mem = {read_blob, NULL};
	static struct java_vm vm;
	struct stall_frame frames[16];
	uint64_t at[4], symbols[64];
	struct hotspot_layout l;
	char missing[96];
	int i;

	if (size < sizeof(at) + 8)
		return 0;
	memcpy(at, data, sizeof(at));
	blob = data + sizeof(at);
	blob_len = size - sizeof(at);
	for (i = 0; i < vmstructs_nsymbols; i++)
		symbols[i] = BLOB + (at[0] + 8 * i) % blob_len;
	(void)vmstructs_read(&mem, symbols, &l, missing, sizeof(missing));
	vm.l = jdk17;
	vm.l.code_heaps = BLOB + at[1] % blob_len;
	vm.l.java_threads = BLOB + at[2] % blob_len;
	if (java_vm_open(&vm, &mem) == 0) {
		(void)java_read_stack(&vm, &mem, (pid_t)(at[3] & 0xffff), frames, 16);
		(void)java_read_frame(&vm, &mem, &mem, BLOB + at[3] % blob_len, BLOB + (at[3] >> 24) % blob_len,
				      &frames[0]);
	}
	return 0;
}
