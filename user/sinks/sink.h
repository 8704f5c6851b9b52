#ifndef LOOPSTALL_SINK_H
#define LOOPSTALL_SINK_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/counters.h"
#include "record/stall_record.h"

/*
 * Where records go: stdout, a log file, syslog, hooks, metrics. Each sink
 * gets every record and never knows about another sink. All sinks run on
 * the reporter thread, never on the one that detects stalls.
 */

struct sink;

struct sink_ops {
	void (*stall)(struct sink *s, const struct stall_record *r);
	void (*kill)(struct sink *s, const struct kill_record *k);
	void (*summary)(struct sink *s, const struct loop_summary *ls);
	void (*tick)(struct sink *s);	/* every 100 ms or so: timeouts, reaping */
	void (*reopen)(struct sink *s); /* SIGHUP */
	void (*destroy)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	struct sink *next;
};

void sinks_stall(struct sink *list, const struct stall_record *r);
void sinks_kill(struct sink *list, const struct kill_record *k);
void sinks_summary(struct sink *list, const struct loop_summary *ls);
void sinks_tick(struct sink *list);
void sinks_reopen(struct sink *list);
void sinks_destroy(struct sink *list);

/* Records to stdout, text or JSON lines. */
struct sink *sink_stdout_new(bool json);
/* --exec PATH: a hook per stall begin, end and kill. */
struct sink *sink_hook_new(const char *path, uint64_t timeout_ns, struct counters *counters);
/* --log FILE: JSON lines, rotated past max_size (0: never) keeping keep files. NULL with errno on failure. */
struct sink *sink_log_new(const char *path, uint64_t max_size, int keep);
/* --syslog: a line per stall begin, end and kill. */
struct sink *sink_syslog_new(void);

#endif
