/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_JIT_MAP_H
#define LOOPSTALL_JIT_MAP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The names a process's JIT gives its code, from its perf map (perf_map.h),
 * kept per process and read again when the file has changed: node with
 * --perf-basic-prof, a JVM after `jcmd PID Compiler.perfmap`, any JIT that
 * writes /tmp/perf-PID.map.
 */
struct jit_map;

struct jit_map *jit_map_new(pid_t pid);
void jit_map_free(struct jit_map *m);
/* The name of the code at addr: 0 and buf, or -ENOENT (no map, or not in it). */
int jit_map_name(struct jit_map *m, uint64_t addr, char *buf, size_t len);
/* -EFBIG or -E2BIG when the process's map is past perf_map.h's bounds and ignored (said once on stderr), else 0. */
int jit_map_refused(const struct jit_map *m);
/*
 * A JIT's name cut to the function: "void Slow.handle(int)" (a JVM's) is
 * "Slow.handle"; "[OptimizedTier1] Shop.Cart::Add(int)" is "Shop.Cart::Add".
 * Names that are no method with a parameter list stay as they are.
 */
void jit_short_name(char *name);

#endif
