// SPDX-License-Identifier: GPL-2.0
/* Bounded reads of a target's memory. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "base/target_memory.h"

bool mem_valid_ptr(uint64_t p, uint64_t align)
{
	return p && p < USER_ADDR_END && !(p & (align - 1));
}

uint64_t mem_get_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int32_t mem_get_i32(const uint8_t *buf, size_t off)
{
	int32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int mem_read(const struct mem_reader *m, uint64_t addr, void *buf, size_t len)
{
	if (addr >= USER_ADDR_END || len > USER_ADDR_END - addr)
		return -EFAULT;
	return m->read(m->ctx, addr, buf, len);
}

int mem_read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out)
{
	return mem_read(m, addr, out, sizeof(*out));
}

int mem_read_live(void *ctx, uint64_t addr, void *buf, size_t len)
{
	pid_t pid = *(pid_t *)ctx;
	struct iovec local = {buf, len};
	struct iovec remote = {(void *)(uintptr_t)addr, len};
	ssize_t r;

	if (!len)
		return 0;
	r = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EFAULT; /* short: ran into an unmapped page */
}

static int mem_read_look(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct mem_look *look = ctx;
	uint8_t *out = buf;

	if (len > 2 * MEM_LOOK_BLOCK)
		return mem_read_live(&look->pid, addr, buf, len); /* a stack's page: no reuse to gain */
	while (len) {
		uint64_t block = addr & ~(uint64_t)(MEM_LOOK_BLOCK - 1), at = addr - block;
		unsigned int i = (unsigned int)(block / MEM_LOOK_BLOCK) % MEM_LOOK_BLOCKS;
		size_t n = MEM_LOOK_BLOCK - at < len ? MEM_LOOK_BLOCK - at : len;

		if (look->fetched[i] != block + 1) {
			int r = mem_read_live(&look->pid, block, look->data[i], MEM_LOOK_BLOCK);

			if (r)
				return r;
			look->fetched[i] = block + 1;
		}
		memcpy(out, look->data[i] + at, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

void mem_look_begin(struct mem_look *look, pid_t pid, struct mem_reader *out)
{
	look->pid = pid;
	memset(look->fetched, 0, sizeof(look->fetched));
	out->read = mem_read_look;
	out->ctx = look;
}
