#ifndef LOOPSTALL_KILLER_H
#define LOOPSTALL_KILLER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/counters.h"
#include "record/stall_record.h"
#include "trace/tracer.h"

/*
 * --kill-after: signals a process whose loop stays stalled too long, through
 * a pidfd taken while the stall was known to be going on, so that a recycled
 * PID is never hit. SIGKILL follows after the grace period if needed.
 */
struct killer;

struct killer_config {
	int signal;
	uint64_t grace_ns;
	bool dry_run;
	bool watch_all; /* every process is in the watched set */
	/* Each signal sent (or refused) is reported here, before any later record: copy what you keep. */
	void (*report)(void *ctx, const struct kill_record *k);
	void *ctx;
};

struct killer *killer_new(const struct killer_config *cfg, struct tracer *t, struct counters *counters);
void killer_free(struct killer *k);
/* A stall of r->pid began: hold a pidfd for it. */
void killer_stall_began(struct killer *k, pid_t pid);
/* The stall in r lasted --kill-after: report it, then signal its process. */
void killer_kill(struct killer *k, const struct stall_record *r);
/* Escalates to SIGKILL after the grace period; call every KILLER_TICK_NS while killer_pending(). */
void killer_tick(struct killer *k, uint64_t now_ns);
bool killer_pending(const struct killer *k);
#define KILLER_TICK_NS 10000000ULL
/* pid exited: its pidfd is closed. */
void killer_forget(struct killer *k, pid_t pid);

#endif
