/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_MEMORY_H
#define LOOPSTALL_PY_MEMORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The bottom of the CPython reader: reading the target's memory, live
 * (process_vm_readv, in process.c) or replayed from a recording by the unit
 * tests, and the checks every pointer from it passes before we follow it.
 */

#define USER_ADDR_END 0x0000800000000000ULL /* x86-64/arm64 48-bit user space */

/* read() returns 0 or -errno and must fill all len bytes. */
struct mem_reader {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* A pointer we are willing to dereference: non-NULL, aligned, user space. */
bool py_valid_ptr(uint64_t p, uint64_t align);
uint64_t py_get_u64(const uint8_t *buf, size_t off);
int32_t py_get_i32(const uint8_t *buf, size_t off);
/* 0 or -errno (-EFAULT beyond user space). */
int py_read_mem(const struct mem_reader *m, uint64_t addr, void *buf, size_t len);
int py_read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out);

#endif
