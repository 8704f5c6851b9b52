// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the scan for CPython's method tables over hostile memory. The
 * input is the writable data of an extension (mapped at DATA, its code at
 * TEXT); the scan looks for PyMethodDef arrays and their owners in it, and
 * names the functions its words point at. The same bytes serve as the code
 * at TEXT, scanned for the methods' jumps between its first words as
 * function starts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/proc.h"
#include "runtimes/python/methods.h"

#define TEXT 0x7f0000001000ULL
#define DATA 0x7f0000010000ULL

static const uint8_t *blob;
static size_t blob_len;

static int read_blob(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (addr >= TEXT && addr < DATA)
		addr += DATA - TEXT; /* the code: the same bytes */
	if (addr < DATA || addr - DATA > blob_len || len > blob_len - (addr - DATA))
		return -EFAULT;
	memcpy(buf, blob + (addr - DATA), len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_reader mem = {read_blob, NULL};
	struct proc_maps *maps;
	struct py_methods *pm;
	char text[512], name[128];
	uint64_t starts[16];
	size_t i;
	int n = 0;

	if (size < 8 || size > (1 << 20))
		return 0;
	blob = data;
	blob_len = size;
	snprintf(text, sizeof(text),
		 "7f0000001000-7f0000002000 r-xp 00000000 08:01 42 /usr/lib/python3/_x.cpython-311-x86_64-linux-gnu.so\n"
		 "%llx-%llx rw-p 00001000 08:01 42 /usr/lib/python3/_x.cpython-311-x86_64-linux-gnu.so\n",
		 (unsigned long long)DATA, (unsigned long long)(DATA + ((size + 4095) & ~4095ULL)));
	if (proc_maps_parse(text, strlen(text), &maps))
		return 0;
	if (py_methods_read(&mem, maps, &pm) == 0) {
		/* function starts: TEXT plus the first bytes, ascending */
		for (i = 0; i < sizeof(starts) / sizeof(starts[0]) && i < size; i++)
			starts[n++] = TEXT + 64 * i + data[i] % 64;
		(void)py_methods_read_tails(pm, &mem, starts, n);
		for (i = 0; i + 16 <= size && i < 256; i += 8) {
			uint64_t entry, caller;

			memcpy(&entry, data + i, 8);
			memcpy(&caller, data + i + 8, 8);
			(void)py_methods_name(pm, &mem, entry, caller, name, sizeof(name));
		}
		py_methods_free(pm);
	}
	proc_maps_free(maps);
	return 0;
}
