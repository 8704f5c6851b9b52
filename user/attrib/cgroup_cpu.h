#ifndef LOOPSTALL_CGROUP_CPU_H
#define LOOPSTALL_CGROUP_CPU_H
#include <stdint.h>
#include <sys/types.h>

#include <stdbool.h>

/*
 * Where a process's CPU cgroup counts the time its CPU limit throttled it
 * (cgroup v1 cpu.stat throttled_time, v2 throttled_usec): found once at a
 * stall's begin, read again at its end.
 */
struct cgroup_throttle {
	char stat[512]; /* its cpu.stat */
	bool usec;	/* v2's throttled_usec, else v1's throttled_time (ns) */
};

/* pid's, and the time throttled so far in ns: 0 or -errno (-ENOENT: no CPU controller to read). */
int cgroup_throttle_find(pid_t pid, struct cgroup_throttle *t, uint64_t *ns);
/* The same from a /proc/PID/cgroup file and the cgroup mount at sysfs ("/sys/fs/cgroup"), for tests. */
int cgroup_throttle_find_at(const char *cgroup_file, const char *sysfs, struct cgroup_throttle *t, uint64_t *ns);
/* The time throttled so far, in ns: 0 or -errno. */
int cgroup_throttle_read(const struct cgroup_throttle *t, uint64_t *ns);

#endif
