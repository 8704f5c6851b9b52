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

/*
 * One look at a live process: each 256-byte block it reads is fetched once
 * (a walk reads a frame, its code object, a type and its name in 8-byte
 * pieces, many in the same blocks: 77 process_vm_readv calls for one Python
 * stack). A block lies within a page, so it reads wholly or not at all,
 * like any read of the page. What it holds is as old as the look: start a
 * new one (mem_look_begin) for each read of a stack that may have moved.
 */
#define MEM_LOOK_BLOCK	256
#define MEM_LOOK_BLOCKS 64
struct mem_look {
	pid_t pid;
	uint64_t fetched[MEM_LOOK_BLOCKS]; /* each block's address + 1; 0: empty */
	uint8_t data[MEM_LOOK_BLOCKS][MEM_LOOK_BLOCK];
};
/* Empties look and sets *out to read pid's memory through it. */
void mem_look_begin(struct mem_look *look, pid_t pid, struct mem_reader *out);

#endif
