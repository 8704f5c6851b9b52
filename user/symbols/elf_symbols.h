/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_ELF_SYMBOLS_H
#define LOOPSTALL_ELF_SYMBOLS_H
#include <libelf.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/proc.h"

/*
 * Where a runtime's exported data lies in a process: the run-time addresses
 * of named symbols (.dynsym or .symtab) of one mapped file, from the file
 * and the load bias of mapping m. addrs[i] is 0 where the file does not
 * define names[i]. 0, or -errno when the file cannot be read.
 */
int elf_symbol_addresses(pid_t pid, const struct proc_mapping *m, const char *const *names, uint64_t *addrs, int n);

/*
 * The binary search table of .eh_frame_hdr (PT_GNU_EH_FRAME), which every
 * linked binary keeps for unwinding: *count {start, FDE} pairs of int32
 * (8 bytes, unaligned), one per function, sorted by start, each relative to
 * *base (a file address). Only the encoding linkers write (datarel sdata4
 * pairs, udata4 count): NULL otherwise.
 */
const uint8_t *elf_function_table(Elf *elf, uint64_t *base, uint32_t *count);
/* Where function i of that table starts, relative to its base. */
int32_t elf_function_table_start(const uint8_t *table, uint32_t i);

/*
 * A mapped file's code as the file holds it, at run-time addresses: the
 * starts of its functions (from that table) and its executable segments,
 * read by elf_code_read (a mem_reader's read: none from the process) with
 * pread through a window, fastest in ascending order (a copy, not a map,
 * so a file truncated meanwhile cannot fault its reader).
 */
struct elf_code {
	uint64_t *starts; /* sorted */
	int nstarts;
	int fd;
	int nsegs;
	struct {
		uint64_t start, end, offset; /* run-time addresses; where start lies in the file */
	} seg[8];
	uint8_t *window;
	uint64_t window_at, window_len; /* a run-time address and the bytes from there in window */
};

/* Opens the file mapped as m: 0 and *out, or -errno (-ENOENT: no table of function starts). */
int elf_code_open(pid_t pid, const struct proc_mapping *m, struct elf_code **out);
int elf_code_read(void *code, uint64_t addr, void *buf, size_t len);
void elf_code_close(struct elf_code *c);

#endif
