/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_LINES_H
#define LOOPSTALL_PY_LINES_H
#include <stddef.h>
#include <stdint.h>

/*
 * Line numbers from a code object's line table, in each format CPython has
 * used. Pure functions of bytes already read from the target.
 */

/* 3.8, 3.9 co_lnotab; addr is a byte offset. The line, or -1. */
int py_lnotab_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr);
/* 3.10 co_linetable; addr is a byte offset. The line, or -1. */
int py_linetable310_line(const uint8_t *t, size_t len, int firstlineno, int64_t addr);
/*
 * Line of the code unit at byte offset addr in a 3.11+ location table
 * (co_linetable, see CPython's Objects/locations.md), like PyCode_Addr2Line():
 * firstlineno for addr < 0, -1 if the instruction has no line or addr is
 * beyond the table.
 */
int py_location_table_line(const uint8_t *table, size_t len, int firstlineno, int addr);

#endif
