// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the table of function starts (.eh_frame_hdr) read from a
 * hostile ELF file, as the symbolizer and CPython's method scan read the
 * files a target maps (user/symbols/elf_symbols.c). Seeded with /bin/true.
 */
#include <libelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/elf_symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *table;
	uint64_t base, sum = 0;
	uint32_t count, i;
	char *copy;
	Elf *elf;

	if (size > (4u << 20) || elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	copy = malloc(size + 1); /* libelf may write to its image */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	elf = elf_memory(copy, size);
	table = elf ? elf_function_table(elf, &base, &count) : NULL;
	for (i = 0; table && i < count; i++)
		sum += (uint64_t)(base + (int64_t)elf_function_table_start(table, i));
	if (elf)
		elf_end(elf);
	free(copy);
	return (int)(sum & 0); /* read every entry; libFuzzer wants 0 */
}
