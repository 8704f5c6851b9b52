/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_TARGET_MEMORY_H
#define LOOPSTALL_TARGET_MEMORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The bottom of the runtimes' readers (CPython's, V8's): reading a target's
 * memory, live (process_vm_readv, mem_read_live) or replayed from a
 * recording by the unit tests, and the checks every pointer from it passes
 * before we follow it.
 */

#define USER_ADDR_END 0x0000800000000000ULL /* x86-64/arm64 48-bit user space */

/* read() returns 0 or -errno and must fill all len bytes. */
struct mem_reader {
	int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
	void *ctx;
};

/* A pointer we are willing to dereference: non-NULL, aligned, user space. */
bool mem_valid_ptr(uint64_t p, uint64_t align);
uint64_t mem_get_u64(const uint8_t *buf, size_t off);
int32_t mem_get_i32(const uint8_t *buf, size_t off);
/* 0 or -errno (-EFAULT beyond user space). */
int mem_read(const struct mem_reader *m, uint64_t addr, void *buf, size_t len);
/* A mem_reader's read for a live process: ctx points at its pid_t. No stop, nothing injected. */
int mem_read_live(void *ctx, uint64_t addr, void *buf, size_t len);
int mem_read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out);

#endif
