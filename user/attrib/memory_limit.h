#ifndef LOOPSTALL_MEMORY_LIMIT_H
#define LOOPSTALL_MEMORY_LIMIT_H
#include <stdint.h>

/*
 * loopstall's own memory against its cgroup's limit (a DaemonSet's 256Mi, a
 * unit's MemoryMax): when it comes near it, loopstall gives up detail
 * (queued records) rather than be OOM-killed without a word. v2's
 * memory.max and memory.current, else v1's memory.limit_in_bytes and
 * memory.usage_in_bytes.
 */
struct memory_limit {
	char usage[512]; /* the files, found once */
	char limit[512];
};

/* 0, or -ENOENT: in no cgroup with a memory limit (then nothing is watched). */
int memory_limit_find(struct memory_limit *m);
/* Used and limit, in bytes: 0, or -errno. */
int memory_limit_read(const struct memory_limit *m, uint64_t *used, uint64_t *limit);

#endif
