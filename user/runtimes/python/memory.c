// SPDX-License-Identifier: GPL-2.0
/* Bounded reads of a CPython target's memory. */
#include <errno.h>
#include <string.h>

#include "runtimes/python/memory.h"

bool py_valid_ptr(uint64_t p, uint64_t align)
{
	return p && p < USER_ADDR_END && !(p & (align - 1));
}

uint64_t py_get_u64(const uint8_t *buf, size_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int32_t py_get_i32(const uint8_t *buf, size_t off)
{
	int32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

int py_read_mem(const struct mem_reader *m, uint64_t addr, void *buf, size_t len)
{
	if (addr >= USER_ADDR_END || len > USER_ADDR_END - addr)
		return -EFAULT;
	return m->read(m->ctx, addr, buf, len);
}

int py_read_ptr(const struct mem_reader *m, uint64_t addr, uint64_t *out)
{
	return py_read_mem(m, addr, out, sizeof(*out));
}
