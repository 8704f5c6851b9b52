#ifndef LOOPSTALL_CGROUP_CPU_H
#define LOOPSTALL_CGROUP_CPU_H
#include <stdint.h>
#include <sys/types.h>

/*
 * How long the CPU cgroup of process pid has been throttled by its CPU
 * limit, in total (cgroup v1 cpu.stat throttled_time, v2 throttled_usec).
 * 0 or -errno (-ENOENT: no CPU controller to read).
 */
int cgroup_throttled_ns(pid_t pid, uint64_t *ns);
/* The same from a /proc/PID/cgroup file and the cgroup mount at sysfs ("/sys/fs/cgroup"), for tests. */
int cgroup_throttled_ns_at(const char *cgroup_file, const char *sysfs, uint64_t *ns);

#endif
