#ifndef LOOPSTALL_SINK_H
#define LOOPSTALL_SINK_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/counters.h"
#include "record/stall_record.h"

/*
 * sinks/: where records go (stdout, a log file, syslog, hooks, metrics,
 * loopstall top), and the reporter thread that feeds them. Each sink gets
 * every record and never knows about another sink.
 *
 * The rules of a sink:
 * - Its calls run on the reporter thread, never on the one that detects
 *   stalls; they must return promptly, for the next sink waits.
 * - A sink whose work can block (a child to wait for, a server to answer)
 *   owns a thread for it: hooks are spawned and reaped without waiting,
 *   metrics are served from libmicrohttpd's own thread. Writes to stdout,
 *   a file or syslog are made in place: they wait only when their reader or
 *   disk stops, and then delay the other sinks, never detection.
 * - Its constructor returns 0 or -errno, never a half-made sink: a sink
 *   that cannot start is an error at start, said in one line.
 */

struct sink;

struct sink_ops {
	const char *name; /* "stdout", "log", ...: for messages */
	void (*stall)(struct sink *s, const struct stall_record *r);
	void (*kill)(struct sink *s, const struct kill_record *k);
	void (*summary)(struct sink *s, const struct loop_summary *ls);
	void (*loss)(struct sink *s, const struct loss_record *l); /* records were lost: said, never silent */
	void (*tick)(struct sink *s);	/* every 100 ms or so: timeouts, reaping */
	void (*reopen)(struct sink *s); /* SIGHUP */
	void (*flush)(struct sink *s);	/* at exit, after the last record: finish what is pending */
	void (*destroy)(struct sink *s);
};

struct sink {
	const struct sink_ops *ops;
	struct sink *next;
};

void sinks_stall(struct sink *list, const struct stall_record *r);
void sinks_kill(struct sink *list, const struct kill_record *k);
void sinks_summary(struct sink *list, const struct loop_summary *ls);
void sinks_loss(struct sink *list, const struct loss_record *l);
void sinks_tick(struct sink *list);
/* Whether a sink has a tick at all (the hook's timeouts): if none, the reporter sleeps until there is work. */
bool sinks_tick_wanted(const struct sink *list);
void sinks_reopen(struct sink *list);
void sinks_flush(struct sink *list);
void sinks_destroy(struct sink *list);
/* Puts s at the head of *list. */
void sinks_push(struct sink **list, struct sink *s);

/* Records to stdout, text or JSON lines. */
int sink_stdout_new(bool json, struct sink **out);
/*
 * --exec PATH: a hook per stall begin, end and kill. -EISDIR, -EACCES or
 * -ENOEXEC when PATH is no executable file (a script needs its #! line).
 */
/* -errno with why: a hook others own or may change is refused (it runs as loopstall's user). */
int sink_hook_new(const char *path, uint64_t timeout_ns, struct counters *counters, struct sink **out, char *why,
		  size_t len);
/* --log FILE: JSON lines, rotated past max_size (0: never) keeping keep files. */
/* -errno with why (a planted link, a file others own or may write, a directory anyone may swap names in). */
int sink_log_new(const char *path, uint64_t max_size, int keep, struct sink **out, char *why, size_t len);
/* --syslog: a line per stall begin, end and kill. */
int sink_syslog_new(struct sink **out);

#endif
