/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_ELF_SYMBOLS_H
#define LOOPSTALL_ELF_SYMBOLS_H
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

#endif
