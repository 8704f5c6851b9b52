#ifndef LOOPSTALL_TARGETS_H
#define LOOPSTALL_TARGETS_H
#include <stdbool.h>
#include <sys/types.h>

/* Which processes to watch: by PID with descendants, by name, or a command we start. */

typedef void (*target_fn)(void *ctx, pid_t pid);

bool target_exists(pid_t pid);
/* Calls fn for pid's descendants alive now (not pid itself). */
int target_for_each_descendant(pid_t pid, target_fn fn, void *ctx);
/* True when pid's comm or command line contains pattern. */
bool target_matches(pid_t pid, const char *pattern);
/* Calls fn for every process matching pattern now, except loopstall itself. */
int target_for_each_match(const char *pattern, target_fn fn, void *ctx);

/*
 * Forks argv[0] stopped before exec; target_release() lets it exec once it
 * is watched. Returns 0 or -errno.
 */
int target_spawn(char **argv, pid_t *pid, int *release_fd);
int target_release(int release_fd);

#endif
