// SPDX-License-Identifier: GPL-2.0
/*
 * Line numbers: the line of an instruction from a code object's line table,
 * in each of the three formats CPython has used: co_lnotab (3.8, 3.9), the
 * co_linetable of 3.10 and the location table of 3.11+. Pure functions of
 * bytes already read from the target.
 */
#include <stdbool.h>
#include <stdint.h>

#include "runtimes/python/lines.h"

/* Varint of the location table: 6 bits per byte, 0x40 = more bytes follow. */
static int lt_varint(const uint8_t *t, size_t len, size_t *pos, uint32_t *out)
{
	uint32_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (*pos >= len || shift > 24)
			return -1;
		b = t[(*pos)++];
		v |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
	} while (b & 0x40);
	*out = v;
	return 0;
}

static int lt_svarint(const uint8_t *t, size_t len, size_t *pos, int64_t *out)
{
	uint32_t u;

	if (lt_varint(t, len, pos, &u))
		return -1;
	*out = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return 0;
}

/*
 * Each entry: a byte 1CCCCLLL (code C, L+1 code units) then code-specific
 * bytes. Only the line delta matters here; columns are skipped.
 */
int py_location_table_line(const uint8_t *table, size_t len, int firstlineno, int addr)
{
	int64_t line = firstlineno, delta;
	int64_t start = 0, end;
	size_t pos = 0;

	if (addr < 0)
		return firstlineno;
	while (pos < len) {
		uint8_t b = table[pos++];
		int code = (b >> 3) & 15;
		bool has_line = true;
		uint32_t skip;

		if (!(b & 0x80))
			return -1; /* not an entry start: corrupt table */
		delta = 0;
		switch (code) {
		case 15: /* no location */ has_line = false; break;
		case 14: /* long form: line, end line, column, end column */
			if (lt_svarint(table, len, &pos, &delta) || lt_varint(table, len, &pos, &skip) ||
			    lt_varint(table, len, &pos, &skip) || lt_varint(table, len, &pos, &skip))
				return -1;
			break;
		case 13: /* no column info */
			if (lt_svarint(table, len, &pos, &delta))
				return -1;
			break;
		case 10:
		case 11:
		case 12: /* one line form: delta 0..2, two column bytes */
			delta = code - 10;
			pos += 2;
			break;
		default: /* short form 0-9: same line, one column byte */ pos += 1; break;
		}
		line += delta;
		end = start + ((b & 7) + 1) * 2;
		if (addr < end)
			return has_line && line > 0 && line <= INT32_MAX ? (int)line : -1;
		start = end;
	}
	return -1;
}

/*
 * 3.8, 3.9 co_lnotab: (byte offset increment, signed line increment) pairs,
 * like their PyCode_Addr2Line(). addr is a byte offset.
 */
int py_lnotab_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr)
{
	int64_t line = firstlineno, start = 0;
	size_t pos;

	for (pos = 0; pos + 1 < len; pos += 2) {
		start += t[pos];
		if (start > addr)
			break;
		line += (int8_t)t[pos + 1];
	}
	return line > 0 && line <= INT32_MAX ? (int)line : -1;
}

/*
 * 3.10 co_linetable (PEP 626): (byte length, signed line delta) pairs, a
 * delta of -128 meaning "no line", like its PyCode_Addr2Line(). addr is a
 * byte offset.
 */
int py_linetable310_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr)
{
	int64_t line = firstlineno, start = 0;
	size_t pos;

	if (addr < 0)
		return firstlineno;
	for (pos = 0; pos + 1 < len; pos += 2) {
		int8_t delta = (int8_t)t[pos + 1];
		int64_t end = start + t[pos];

		if (delta != -128)
			line += delta;
		if (addr < end)
			return delta != -128 && line > 0 && line <= INT32_MAX ? (int)line : -1;
		start = end;
	}
	return -1;
}
