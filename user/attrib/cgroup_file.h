#ifndef LOOPSTALL_CGROUP_FILE_H
#define LOOPSTALL_CGROUP_FILE_H
#include <stdbool.h>
#include <stddef.h>

/*
 * The one parser of /proc/PID/cgroup, "ID:controllers:path" a line: v1
 * hierarchies name their controllers ("cpu,cpuacct", "name=systemd"), the
 * v2 one none ("0::/app.slice"). Used for CPU throttling (cgroup_cpu.c),
 * container identity (container.c) and cgroup targets. The file is written
 * by the kernel, but the paths are named by whoever made the cgroups, a
 * container with delegated cgroups included: untrusted.
 */

#define CGROUP_FILE_MAX (64u << 10) /* bytes of a cgroup file read: far more than any host's */

struct cgroup_entry {
	const char *controllers; /* "" for v2 */
	const char *path;	 /* "/kubepods/burstable/pod.../ID" */
};

/* Called for each well-formed line; a non-zero return stops the walk and is returned. */
typedef int (*cgroup_entry_fn)(void *ctx, const struct cgroup_entry *e);

/*
 * Walks the lines of text (len bytes, need not end in NUL; modified: each
 * line is cut in place). Returns what fn returned to stop, else 0.
 */
int cgroup_file_parse(char *text, size_t len, cgroup_entry_fn fn, void *ctx);
/* Reads the file at path into buf (cap bytes, NUL-terminated, cut at CGROUP_FILE_MAX): its length or -errno. */
int cgroup_file_read(const char *path, char *buf, size_t cap);
/* Whether the comma-separated list holds controller name ("cpu" is in "cpuacct,cpu", not in "cpuset"). */
bool cgroup_has_controller(const char *list, const char *name);

#endif
