#ifndef LOOPSTALL_CONTAINERS_H
#define LOOPSTALL_CONTAINERS_H
#include <stdbool.h>
#include <sys/types.h>

#include "record/container.h"

/*
 * Each watched process's container, read once (container.c) on the
 * reporter thread and shared, under a lock held only to copy, with the
 * threads that label what they show: metrics and top look it up, never
 * read /proc for it. A process is known by its PID and start time.
 */
struct containers;

struct containers *containers_new(void);
void containers_free(struct containers *cs);
/* Reporter thread: pid's container, read the first time. */
void containers_get(struct containers *cs, pid_t pid, struct container_info *out);
/* Any thread: what is known of pid; false (out cleared) when nothing is yet. */
bool containers_peek(struct containers *cs, pid_t pid, struct container_info *out);
/* pid exited or exec'd. */
void containers_forget(struct containers *cs, pid_t pid);

#endif
