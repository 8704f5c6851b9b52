#ifndef LOOPSTALL_TARGETS_H
#define LOOPSTALL_TARGETS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "record/container.h"

/* Which processes to watch: by PID with descendants, by name, or a command we start. */

typedef void (*target_fn)(void *ctx, pid_t pid);

bool target_exists(pid_t pid);
/* Calls fn for pid's descendants alive now (not pid itself). */
int target_for_each_descendant(pid_t pid, target_fn fn, void *ctx);
/* True when pid's comm or command line contains pattern. */
bool target_matches(pid_t pid, const char *pattern);
/* Calls fn for every process matching pattern now, except loopstall itself. */
int target_for_each_match(const char *pattern, target_fn fn, void *ctx);

/* --container, --pod, --cgroup: the processes in a container, a pod or a cgroup. One field is set. */
struct container_target {
	const char *container; /* a prefix of the container's id or name (or of a systemd unit's) */
	const char *pod;       /* "NAMESPACE/NAME", or "NAME" in any namespace */
	const char *cgroup;    /* a cgroup path ("/kubepods.slice/...") or its directory ("/sys/fs/cgroup/...") */
};

/* Whether pid is in the container, pod or cgroup (at or below the path). */
bool target_in(pid_t pid, const struct container_target *t);
/* The same from a cgroup file's text (modified) and a container's identity; for tests. */
bool target_in_cgroup_text(char *text, size_t len, const char *cgroup);
bool target_in_container(const struct container_info *c, const struct container_target *t);
/* Calls fn for every process in it now, except loopstall itself. */
int target_for_each_in(const struct container_target *t, target_fn fn, void *ctx);

/* A command forked and held before exec until it is watched. */
struct spawned {
	pid_t pid;
	int gate_fd;   /* a byte here lets it exec */
	int report_fd; /* EOF once it exec'd, or the errno of a failed exec */
};

/* Forks argv[0] held before exec: 0 or -errno. */
int target_spawn(char **argv, struct spawned *out);
/* Lets it exec: 0 once it runs, or -errno (-ENOENT: no such command). */
int target_release(struct spawned *s);
/* Gives it up unreleased: it exits without running. */
void target_abandon(struct spawned *s);

#endif
