// SPDX-License-Identifier: GPL-2.0
/*
 * --exec PATH: runs PATH for each stall begin, stall end and kill, with the
 * record's JSON on stdin and LOOPSTALL_* variables in its environment. PATH
 * is executed directly, never through a shell. Hooks never delay anything:
 * at most MAX_RUNNING at once, each loop at most RATE_BURST in a row and then
 * one per RATE_REFILL_NS, and a hook running past --exec-timeout is killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "record/output.h"
#include "base/escape.h"
#include "record/culprit.h"
#include "sinks/hook_output.h"
#include "sinks/sink.h"

#define HOOK_FD	       3 /* the hook's own file, in its process */
#define MAX_RUNNING    4
#define MAX_LOOPS      256
#define RATE_BURST     5
#define RATE_REFILL_NS (6 * 1000000000ULL) /* 10 per minute */

extern char **environ;

struct running_hook {
	pid_t pid;
	uint64_t deadline_ns;
	struct hook_output output;
};

/* A token bucket per loop thread. */
struct loop_rate {
	pid_t tid;
	double tokens;
	uint64_t updated_ns;
};

struct hook_sink {
	struct sink base;
	const char *path;
	int fd; /* the hook as checked at start: what runs, whatever the path names later */
	uint64_t timeout_ns;
	struct counters *counters;
	struct running_hook running[MAX_RUNNING];
	int nrunning;
	struct loop_rate rates[MAX_LOOPS];
	int nrates;
};

static bool take_token(struct hook_sink *h, pid_t tid, uint64_t now)
{
	struct loop_rate *r = NULL, *oldest = &h->rates[0];
	int i;

	for (i = 0; i < h->nrates && !r; i++) {
		if (h->rates[i].tid == tid)
			r = &h->rates[i];
		else if (h->rates[i].updated_ns < oldest->updated_ns)
			oldest = &h->rates[i];
	}
	if (!r) {
		r = h->nrates < MAX_LOOPS ? &h->rates[h->nrates++] : oldest;
		r->tid = tid;
		r->tokens = RATE_BURST;
		r->updated_ns = now;
	}
	r->tokens += (double)(now - r->updated_ns) / RATE_REFILL_NS;
	if (r->tokens > RATE_BURST)
		r->tokens = RATE_BURST;
	r->updated_ns = now;
	if (r->tokens < 1)
		return false;
	r->tokens -= 1;
	return true;
}

/* The record as a file on the hook's stdin: written whole, no pipe to block on. */
static int record_file(const struct stall_record *r, const struct kill_record *k)
{
	int fd = memfd_create("loopstall-record", MFD_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(dup(fd), "w");
	if (!f) {
		close(fd);
		return -1;
	}
	if (k)
		output_kill_json(f, k);
	else
		output_json(f, r);
	if (fclose(f) || lseek(fd, 0, SEEK_SET) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void run_hook(struct hook_sink *h, const struct stall_record *r, const struct kill_record *k)
{
	const struct stall_record *st = k ? &k->stall : r;
	char vars[12][400], *envp[512], comm[320], id[sizeof(st->container.id)];
	struct culprit c;
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	uint64_t now = monotonic_ns();
	char *argv[] = {(char *)h->path, NULL}, exe[32];
	int fd, out_fd, n = 0, i, err;
	struct hook_output output;
	pid_t pid;

	if (h->nrunning == MAX_RUNNING || !take_token(h, st->tid, now)) {
		counter_inc(&h->counters->hooks_dropped);
		fprintf(stderr, "loopstall: hook dropped for tid %d (too many running or too frequent)\n", st->tid);
		return;
	}
	fd = record_file(r, k);
	if (fd < 0) {
		counter_inc(&h->counters->hooks_failed);
		return;
	}
	if (hook_output_open(&output, &out_fd)) {
		close(fd);
		counter_inc(&h->counters->hooks_failed);
		return;
	}
	/* The target's comm is data: it travels in a variable, never through a shell. */
	snprintf(vars[0], sizeof(vars[0]), "LOOPSTALL_EVENT=%s", k ? "kill" : "stall");
	snprintf(vars[1], sizeof(vars[1]), "LOOPSTALL_PHASE=%s", k ? "" : r->ended ? "end" : "begin");
	snprintf(vars[2], sizeof(vars[2]), "LOOPSTALL_PID=%d", st->pid);
	snprintf(vars[3], sizeof(vars[3]), "LOOPSTALL_TID=%d", st->tid);
	/* Escaped as for a terminal: a script that echoes it paints nothing (the JSON has it exact). */
	escape_into(comm, sizeof(comm), term_escape, st->comm);
	snprintf(vars[4], sizeof(vars[4]), "LOOPSTALL_COMM=%s", comm);
	snprintf(vars[5], sizeof(vars[5]), "LOOPSTALL_DURATION_MS=%llu",
		 (unsigned long long)(st->duration_ns / 1000000));
	snprintf(vars[6], sizeof(vars[6]), "LOOPSTALL_CAUSE=%s", stall_cause_name(st->cause));
	/* The culprit as the text line says it: "fetch_stock (shop.py:9)", escaped for a terminal. */
	c = culprit_of(st);
	strcpy(vars[7], "LOOPSTALL_CULPRIT=");
	if (c.at) {
		size_t used = strlen(vars[7]);
		FILE *f = fmemopen(vars[7] + used, sizeof(vars[7]) - used - 1, "w");

		if (f) {
			frame_put(f, c.at, FRAME_SHORT, term_escape);
			fclose(f);
		}
	}
	/* Where it runs, as the metrics label it ("" when in no container), escaped as the comm. */
	escape_into(comm, sizeof(comm), term_escape,
		    st->container.id[0] || st->container.name[0] ? container_metric_name(&st->container, id, sizeof(id))
								 : "");
	snprintf(vars[8], sizeof(vars[8]), "LOOPSTALL_CONTAINER=%s", comm);
	escape_into(comm, sizeof(comm), term_escape, st->container.pod);
	snprintf(vars[9], sizeof(vars[9]), "LOOPSTALL_POD=%s", comm);
	escape_into(comm, sizeof(comm), term_escape, st->container.namespace);
	snprintf(vars[10], sizeof(vars[10]), "LOOPSTALL_NAMESPACE=%s", comm);
	escape_into(comm, sizeof(comm), term_escape, st->container.service);
	snprintf(vars[11], sizeof(vars[11]), "LOOPSTALL_SERVICE=%s", comm);
	for (i = 0; environ[i] && n < 500; i++)
		if (strncmp(environ[i], "LOOPSTALL_", 10) != 0)
			envp[n++] = environ[i];
	for (i = 0; i < 12; i++)
		envp[n++] = vars[i];
	envp[n] = NULL;

	/* loopstall's threads block these signals to read them from a signalfd; hooks must not. */
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGCHLD);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, fd, STDIN_FILENO);
	/* Its output is never mixed into the records on stdout. */
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, out_fd, STDERR_FILENO);
	/* The file checked at start, by its fd (a script's interpreter opens it there too). */
	posix_spawn_file_actions_adddup2(&actions, h->fd, HOOK_FD);
	snprintf(exe, sizeof(exe), "/proc/self/fd/%d", HOOK_FD);
	err = posix_spawn(&pid, exe, &actions, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	close(fd);
	close(out_fd);
	if (err) {
		hook_output_close(&output);
		counter_inc(&h->counters->hooks_failed);
		fprintf(stderr, "loopstall: hook %s could not start: %s\n", h->path, strerror(err));
		return;
	}
	counter_inc(&h->counters->hooks_run);
	output.pid = pid;
	h->running[h->nrunning].pid = pid;
	h->running[h->nrunning].output = output;
	h->running[h->nrunning++].deadline_ns = now + h->timeout_ns;
}

static void on_stall(struct sink *s, const struct stall_record *r)
{
	run_hook((struct hook_sink *)s, r, NULL);
}

static void on_kill(struct sink *s, const struct kill_record *k)
{
	run_hook((struct hook_sink *)s, NULL, k);
}

/* Reaps finished hooks and kills the ones past their timeout. */
static void on_tick(struct sink *s)
{
	struct hook_sink *h = (struct hook_sink *)s;
	uint64_t now = monotonic_ns();
	int i, status;

	for (i = h->nrunning - 1; i >= 0; i--) {
		struct running_hook *run = &h->running[i];
		pid_t done;

		hook_output_drain(&run->output);
		done = waitpid(run->pid, &status, WNOHANG);

		if (done == 0 && now >= run->deadline_ns) {
			/* Still our unreaped child, so the PID cannot have been reused. */
			kill(run->pid, SIGKILL);
			waitpid(run->pid, &status, 0);
			counter_inc(&h->counters->hooks_failed);
			fprintf(stderr, "loopstall: hook %s (pid %d) timed out and was killed\n", h->path, run->pid);
		} else if (done == 0) {
			continue;
		} else if (done == run->pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
			counter_inc(&h->counters->hooks_failed);
			if (WIFEXITED(status))
				fprintf(stderr, "loopstall: hook %s (pid %d) exited with status %d\n", h->path,
					run->pid, WEXITSTATUS(status));
			else
				fprintf(stderr, "loopstall: hook %s (pid %d) killed by signal %d\n", h->path, run->pid,
					WTERMSIG(status));
		}
		hook_output_close(&run->output);
		*run = h->running[--h->nrunning];
	}
}

/* Give running hooks half a second to finish, then end them. */
static void flush(struct sink *s)
{
	struct hook_sink *h = (struct hook_sink *)s;
	uint64_t deadline = monotonic_ns() + 500000000ULL;

	while (h->nrunning && monotonic_ns() < deadline) {
		on_tick(s);
		if (h->nrunning)
			usleep(10000);
	}
	for (int i = 0; i < h->nrunning; i++) {
		kill(h->running[i].pid, SIGKILL);
		waitpid(h->running[i].pid, NULL, 0);
		hook_output_close(&h->running[i].output);
	}
	h->nrunning = 0;
}

static void destroy(struct sink *s)
{
	flush(s);
	close(((struct hook_sink *)s)->fd);
	free(s);
}

static const struct sink_ops hook_ops = {
	.name = "hook",
	.stall = on_stall,
	.kill = on_kill,
	.tick = on_tick,
	.flush = flush,
	.destroy = destroy,
};

/* Owned by loopstall's user or root, and writable by no one else: no local user can change it. */
static int safe_owner(const struct stat *st, const char *what, char *why, size_t len)
{
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return snprintf(why, len, "%s is owned by uid %u, not by loopstall's user", what, (unsigned)st->st_uid),
		       -EPERM;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return snprintf(why, len, "%s is writable by others (mode %04o)", what, (unsigned)(st->st_mode & 07777)),
		       -EPERM;
	return 0;
}

/*
 * Opens PATH as the hook, once: it runs as loopstall's user (root), so it
 * and its directory must be loopstall's user's or root's and writable by
 * no one else (a sticky directory only keeps others from swapping it).
 * PATH is run directly, never by a shell: a regular executable file, a
 * script starting with "#!". The fd, or -errno with why.
 */
static int open_hook(const char *path, char *why, size_t len)
{
	char *real = realpath(path, NULL), *slash, head[4] = {0};
	int dir, fd, err;
	struct stat st;

	if (!real)
		return snprintf(why, len, "%s", strerror(errno)), -errno;
	slash = strrchr(real, '/');
	*slash = 0;
	dir = open(slash == real ? "/" : real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = dir < 0 ? -errno : fstat(dir, &st) ? -errno : safe_owner(&st, "its directory", why, len);
	fd = err ? -1 : openat(dir, slash + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (!err && fd < 0)
		err = -errno;
	if (dir >= 0)
		close(dir);
	free(real);
	if (!err && fstat(fd, &st))
		err = -errno;
	if (!err && S_ISDIR(st.st_mode))
		err = -EISDIR;
	if (!err && (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
		err = -EACCES;
	if (!err)
		err = safe_owner(&st, "it", why, len);
	if (!err && (pread(fd, head, sizeof(head), 0) < 2 ||
		     (memcmp(head, "#!", 2) != 0 && memcmp(head, "\x7f" "ELF", 4) != 0)))
		err = -ENOEXEC;
	if (!err && fd <= HOOK_FD) { /* never the number it gets in the hook's process (spawn's dup2 would keep CLOEXEC) */
		int high = fcntl(fd, F_DUPFD_CLOEXEC, HOOK_FD + 1);

		close(fd);
		fd = high;
		err = fd < 0 ? -errno : 0;
	}
	if (err) {
		if (err != -EPERM)
			snprintf(why, len, "%s", strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

int sink_hook_new(const char *path, uint64_t timeout_ns, struct counters *counters, struct sink **out, char *why,
		  size_t len)
{
	struct hook_sink *h;
	int fd = open_hook(path, why, len);

	if (fd < 0)
		return fd;
	h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return snprintf(why, len, "out of memory"), -ENOMEM;
	}
	h->base.ops = &hook_ops;
	h->path = path;
	h->fd = fd;
	h->timeout_ns = timeout_ns;
	h->counters = counters;
	*out = &h->base;
	return 0;
}
