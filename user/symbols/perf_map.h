#ifndef LOOPSTALL_PERF_MAP_H
#define LOOPSTALL_PERF_MAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/*
 * A JIT's perf map (/tmp/perf-PID.map, "START SIZE name" in hex, one symbol
 * a line), as node writes with --perf-basic-prof and a JVM on `jcmd PID Compiler.perfmap`. The file is the target's
 * and untrusted: malformed lines are skipped, long names cut, and a map
 * past the bounds below is refused whole (-EFBIG, -E2BIG).
 */
#define PERF_MAP_MAX_BYTES   (16u << 20)
#define PERF_MAP_MAX_SYMBOLS (512u << 10)
struct perf_map;

/*
 * Opens process pid's map, checked on the open file: a regular file owned by
 * the process's user or root, not older than the process (started, from
 * proc_start_time(): a map left by an earlier process with the same PID is).
 * The fd, or -errno (-ENOENT: none, -EPERM: not one of this process's).
 */
int perf_map_open(pid_t pid, time_t started, struct stat *st);
/* True when process pid writes a perf map. */
bool perf_map_exists(pid_t pid);
/* Reads a map from fd (which stays open): 0 or -errno (-EFBIG, -E2BIG: past the bounds). */
int perf_map_read(int fd, struct perf_map **out);
/* Returns 0, or -errno (-ENOENT when there is no map). */
int perf_map_load(const char *path, struct perf_map **out);
/* The name of the symbol holding addr, or NULL. */
const char *perf_map_lookup(const struct perf_map *m, uint64_t addr);
size_t perf_map_size(const struct perf_map *m);
void perf_map_free(struct perf_map *m);

#endif
