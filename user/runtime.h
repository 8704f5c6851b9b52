#ifndef LOOPSTALL_RUNTIME_H
#define LOOPSTALL_RUNTIME_H
#include <sys/types.h>

/*
 * The language runtime a process runs, for display: "python", "node",
 * "redis" or "other". Recognized from the executable's name, then from the
 * libraries it maps (an embedded libpython). Reads /proc: call it once per
 * process, not on every refresh.
 */
const char *runtime_of(pid_t pid);

#endif
