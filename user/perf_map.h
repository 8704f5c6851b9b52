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
 * a line), as node writes with --perf-basic-prof. The file is the target's
 * and untrusted: malformed lines are skipped, long lines and huge files cut.
 */
struct perf_map;

/* When process pid started, in seconds since the epoch (0 if unknown). */
time_t process_start_time(pid_t pid);
/*
 * Finds process pid's map (/proc/PID/root/tmp/perf-PID.map): true, with its
 * path and stat, when there is one of this process's: a regular file, not
 * older than the process (started, from process_start_time(); a map left by
 * an earlier process with the same PID is), owned by the process's user or root.
 */
bool perf_map_find(pid_t pid, time_t started, char *path, size_t len, struct stat *st);
/* True when process pid writes a perf map. */
bool perf_map_exists(pid_t pid);
/* Returns 0, or -errno (-ENOENT when there is no map). */
int perf_map_load(const char *path, struct perf_map **out);
/* The name of the symbol holding addr, or NULL. */
const char *perf_map_lookup(const struct perf_map *m, uint64_t addr);
size_t perf_map_size(const struct perf_map *m);
/* Bytes of the file read: when the file has grown past this, reload. */
uint64_t perf_map_bytes(const struct perf_map *m);
void perf_map_free(struct perf_map *m);

#endif
