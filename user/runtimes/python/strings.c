// SPDX-License-Identifier: GPL-2.0
/* CPython str objects read from the target, as UTF-8. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "runtimes/python/strings.h"

/* Appends code point c as UTF-8 if it fits; returns bytes written or 0. */
static size_t put_utf8(char *dst, size_t room, uint32_t c)
{
	if (c > 0x10ffff)
		c = '?';
	if (c < 0x80 && room >= 1) {
		dst[0] = c;
		return 1;
	}
	if (c < 0x800 && room >= 2) {
		dst[0] = 0xc0 | (c >> 6);
		dst[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000 && room >= 3) {
		dst[0] = 0xe0 | (c >> 12);
		dst[1] = 0x80 | ((c >> 6) & 0x3f);
		dst[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	if (c >= 0x10000 && room >= 4) {
		dst[0] = 0xf0 | (c >> 18);
		dst[1] = 0x80 | ((c >> 12) & 0x3f);
		dst[2] = 0x80 | ((c >> 6) & 0x3f);
		dst[3] = 0x80 | (c & 0x3f);
		return 4;
	}
	return 0;
}

/*
 * Copies a str object into dst as UTF-8, truncated to cap - 1 bytes. Only
 * compact strings (all identifiers and file names in code objects) are
 * handled; their characters follow the header, 1, 2 or 4 bytes each.
 */
int py_read_str(const struct mem_reader *m, const struct py_layout *L, uint64_t obj, char *dst, size_t cap)
{
	uint8_t hdr[128], raw[4 * 256];
	unsigned int kind, compact, ascii;
	size_t n, i, out = 0;
	uint32_t state;
	int64_t length;
	int err;

	dst[0] = '\0';
	if (!mem_valid_ptr(obj, 8) || L->unicode_compact_data > sizeof(hdr) || cap > 256)
		return -EFAULT;
	err = mem_read(m, obj, hdr, L->unicode_compact_data);
	if (err)
		return err;
	length = (int64_t)mem_get_u64(hdr, L->unicode_length);
	state = (uint32_t)mem_get_i32(hdr, L->unicode_state);
	/* bitfield: interned:2, kind:3, compact:1, ascii:1 (3.8 - 3.13) */
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (length < 0 || !compact || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
		return -EINVAL;
	n = (uint64_t)length < cap - 1 ? (size_t)length : cap - 1;
	err = mem_read(m, obj + (ascii ? L->unicode_ascii_data : L->unicode_compact_data), raw, n * kind);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		uint32_t c;
		size_t w;

		if (kind == 1)
			c = raw[i];
		else if (kind == 2)
			c = raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			memcpy(&c, raw + 4 * i, 4);
		w = put_utf8(dst + out, cap - 1 - out, c);
		if (!w)
			break; /* never cut a character in half */
		out += w;
	}
	dst[out] = '\0';
	return 0;
}
