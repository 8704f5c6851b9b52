#ifndef LOOPSTALL_REPORTER_H
#define LOOPSTALL_REPORTER_H
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "attrib/containers.h"
#include "sinks/sink.h"
#include "record/stall_record.h"

/*
 * The reporter thread: symbolizes captured records and hands them to the
 * sinks, so that nothing slow (a binary's first symbolization, a hook, a
 * full disk) delays detecting the next stall. Records keep their order.
 */
struct reporter;

/*
 * What the detecting thread caches of a process, kept in step from the
 * reporter thread: warm loads it for each new loop's process, forget drops
 * it again when the process exits or execs (after any warming queued
 * before, which would otherwise bring back a process that is gone).
 */
struct detector_cache {
	void (*warm)(void *ctx, pid_t pid);
	void (*forget)(void *ctx, pid_t pid);
	void *ctx;
};

/*
 * Takes ownership of the sink list (destroyed on failure too); counts its
 * CPU time in counters; cache (may be NULL) is the detecting thread's;
 * containers (may be NULL) is filled here and names each record's container.
 */
struct reporter *reporter_new(struct sink *sinks, struct counters *counters, const struct detector_cache *cache,
			      struct containers *containers);
/* Delivers what is queued, then stops the thread and destroys the sinks. */
void reporter_free(struct reporter *rep);

/* Each copies what it is given. A full queue drops the record and counts it; summaries wait for room. */
void reporter_stall(struct reporter *rep, const struct stall_record *r);
void reporter_kill(struct reporter *rep, const struct kill_record *k);
void reporter_summary(struct reporter *rep, const struct loop_summary *ls);
/* Records lost: to every sink, waiting for room in the queue. */
void reporter_loss(struct reporter *rep, const struct loss_record *l);
/* Loads pid's symbols ahead of its first stall, for both threads. */
void reporter_warm(struct reporter *rep, pid_t pid);
/* pid exited or exec'd: its cached symbols are stale (the detector's too). */
void reporter_forget(struct reporter *rep, pid_t pid);
/*
 * Records are named and written at realtime priority (SCHED_FIFO 1, where
 * permitted; the rest of the thread's work, warming a process's symbols
 * above all, at normal priority): set before the first record.
 */
void reporter_set_realtime(struct reporter *rep, bool realtime);
/* SIGHUP: sinks reopen their files. */
void reporter_reopen(struct reporter *rep);
/*
 * Records queued at most (0: the default, 256 of them, 264 KiB each): fewer
 * when loopstall's memory is short, the ones past it dropped and counted.
 */
void reporter_set_queue_limit(struct reporter *rep, int records);
/* The reporter's thread (kept off the CPUs of stalled loops with the detecting one). */
pthread_t reporter_thread(const struct reporter *rep);
uint64_t reporter_dropped(struct reporter *rep);

#endif
