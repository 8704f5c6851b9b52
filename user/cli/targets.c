// SPDX-License-Identifier: GPL-2.0
/* Finding target processes in /proc and starting a command to watch. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib/cgroup_file.h"
#include "attrib/container.h"
#include "base/proc.h"
#include "cli/targets.h"

bool target_exists(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", pid);
	return pid > 0 && access(path, F_OK) == 0;
}

static pid_t parent_of(pid_t pid)
{
	struct proc_stat st;

	return proc_stat_read(pid, &st) ? -1 : st.ppid;
}

/* Every process's (pid, ppid) at this moment. */
static int list_processes(pid_t **pids, pid_t **ppids)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	int n = 0, cap = 0;

	*pids = *ppids = NULL;
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (n == cap) {
			pid_t *more_pids, *more_ppids;

			cap = cap ? cap * 2 : 512;
			more_pids = realloc(*pids, cap * sizeof(pid_t));
			if (more_pids)
				*pids = more_pids;
			more_ppids = more_pids ? realloc(*ppids, cap * sizeof(pid_t)) : NULL;
			if (more_ppids)
				*ppids = more_ppids;
			if (!more_pids || !more_ppids) {
				free(*pids);
				free(*ppids);
				*pids = *ppids = NULL;
				closedir(dir);
				return -ENOMEM;
			}
		}
		(*pids)[n] = pid;
		(*ppids)[n] = parent_of(pid);
		n++;
	}
	closedir(dir);
	return n;
}

int target_for_each_descendant(pid_t root, target_fn fn, void *ctx)
{
	pid_t *pids, *ppids, *queue;
	int n, head = 0, tail = 0, i;

	n = list_processes(&pids, &ppids);
	if (n < 0)
		return n;
	queue = malloc((n + 1) * sizeof(pid_t));
	if (!queue) {
		free(pids);
		free(ppids);
		return -ENOMEM;
	}
	queue[tail++] = root;
	while (head < tail) {
		pid_t parent = queue[head++];

		for (i = 0; i < n; i++) {
			if (ppids[i] != parent || tail > n)
				continue;
			queue[tail++] = pids[i];
			fn(ctx, pids[i]);
		}
	}
	free(queue);
	free(pids);
	free(ppids);
	return 0;
}

#define MAX_CMDLINE (1u << 20) /* bytes of a command line searched: more than ARG_MAX allows */

/* Whether the file (NULs read as spaces, for cmdline) contains pattern; read whole up to MAX_CMDLINE. */
static bool file_contains(const char *path, const char *pattern)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1), *more;
	bool found = false;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		goto out;
	while ((n = read(fd, buf + len, cap - len)) > 0) {
		len += n;
		if (len < cap)
			continue;
		if (cap >= MAX_CMDLINE)
			break;
		more = realloc(buf, 2 * cap + 1);
		if (!more)
			break;
		buf = more;
		cap *= 2;
	}
	for (size_t i = 0; i < len; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	buf[len] = 0;
	found = len > 0 && strstr(buf, pattern) != NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return found;
}

bool target_matches(pid_t pid, const char *pattern)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (file_contains(path, pattern))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	return file_contains(path, pattern);
}

/* fn for every process but loopstall for which wanted(pid, arg) holds. */
static int for_each_process(bool (*wanted)(pid_t pid, const void *arg), const void *arg, target_fn fn, void *ctx)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = atoi(de->d_name);
		if (pid != self && wanted(pid, arg))
			fn(ctx, pid);
	}
	closedir(dir);
	return 0;
}

static bool matches_pattern(pid_t pid, const void *pattern)
{
	return target_matches(pid, pattern);
}

int target_for_each_match(const char *pattern, target_fn fn, void *ctx)
{
	return for_each_process(matches_pattern, pattern, fn, ctx);
}

/* Whether path is prefix or below it (whole components: /a/b is below /a, /ab is not). */
static bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

#define CGROUP_FS "/sys/fs/cgroup"

/* One hierarchy's path against the target: as a cgroup path, or as the directory it is on this host. */
static int in_cgroup_entry(void *ctx, const struct cgroup_entry *e)
{
	const char *want = ctx;
	const char *name = e->controllers;
	char dir[4200];

	if (strncmp(want, CGROUP_FS "/", sizeof(CGROUP_FS)) != 0)
		return path_under(e->path, want);
	if (!*name) {
		/* v2: at /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one. */
		snprintf(dir, sizeof(dir), CGROUP_FS "/unified%s", e->path);
		if (path_under(dir, want))
			return 1;
		snprintf(dir, sizeof(dir), CGROUP_FS "%s", e->path);
		return path_under(dir, want);
	}
	/* v1: mounted as its controllers are listed ("cpu,cpuacct"), a named one by its name ("systemd"). */
	if (strncmp(name, "name=", 5) == 0)
		name += 5;
	snprintf(dir, sizeof(dir), CGROUP_FS "/%s%s", name, e->path);
	return path_under(dir, want);
}

bool target_in_cgroup_text(char *text, size_t len, const char *cgroup)
{
	return cgroup_file_parse(text, len, in_cgroup_entry, (void *)cgroup) > 0;
}

bool target_in_container(const struct container_info *c, const struct container_target *t)
{
	if (t->container) {
		size_t n = strlen(t->container);

		return (c->id[0] && strncmp(c->id, t->container, n) == 0) ||
		       (c->name[0] && strncmp(c->name, t->container, n) == 0);
	}
	if (t->pod) {
		const char *slash = strchr(t->pod, '/');

		if (!c->pod[0])
			return false;
		if (!slash)
			return strcmp(c->pod, t->pod) == 0;
		return strlen(c->namespace) == (size_t)(slash - t->pod) &&
		       strncmp(c->namespace, t->pod, slash - t->pod) == 0 && strcmp(c->pod, slash + 1) == 0;
	}
	return false;
}

/*
 * Called for every exec on the host, on the detecting thread: the cgroup
 * file alone decides for most processes; the kubelet's directories (the
 * names of pods and containers) are read only for a process in a pod.
 */
bool target_in(pid_t pid, const struct container_target *t)
{
	struct container_info c;
	char path[48], *text;
	bool in = false;
	int len;

	text = malloc(CGROUP_FILE_MAX + 1);
	if (!text)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	len = cgroup_file_read(path, text, CGROUP_FILE_MAX + 1);
	if (len <= 0) {
		free(text);
		return false;
	}
	if (t->cgroup) {
		in = target_in_cgroup_text(text, len, t->cgroup);
		free(text);
		return in;
	}
	memset(&c, 0, sizeof(c));
	container_parse_cgroup(text, len, &c);
	free(text);
	if (target_in_container(&c, t))
		return true;
	/* Names: a pod's, its namespace, its containers'. */
	return c.pod_uid[0] && container_read(pid, &c) == 0 && target_in_container(&c, t);
}

static bool in_container(pid_t pid, const void *t)
{
	return target_in(pid, t);
}

int target_for_each_in(const struct container_target *t, target_fn fn, void *ctx)
{
	return for_each_process(in_container, t, fn, ctx);
}

int target_spawn(char **argv, struct spawned *out)
{
	int gate[2], report[2], err;
	char go;
	pid_t child;

	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(report, O_CLOEXEC)) {
		err = -errno;
		close(gate[0]);
		close(gate[1]);
		return err;
	}
	child = fork();
	if (child < 0) {
		err = -errno;
		close(gate[0]);
		close(gate[1]);
		close(report[0]);
		close(report[1]);
		return err;
	}
	if (child == 0) {
		sigset_t none;

		close(gate[1]);
		close(report[0]);
		/* loopstall blocks signals to read them from a signalfd: not the command. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Wait until loopstall watches us, so no early stall is missed. */
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		/* The report pipe closes on a successful exec; here it carries why not. */
		err = errno;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(126);
		_exit(127);
	}
	close(gate[0]);
	close(report[1]);
	out->pid = child;
	out->gate_fd = gate[1];
	out->report_fd = report[0];
	return 0;
}

int target_release(struct spawned *s)
{
	int err = write(s->gate_fd, "g", 1) == 1 ? 0 : -errno, exec_err;

	close(s->gate_fd);
	s->gate_fd = -1;
	/* EOF: the command is running; an errno: it could not be. */
	if (!err && read(s->report_fd, &exec_err, sizeof(exec_err)) == sizeof(exec_err))
		err = -exec_err;
	close(s->report_fd);
	s->report_fd = -1;
	return err;
}

void target_abandon(struct spawned *s)
{
	/* The child sees EOF on its gate and exits without running. */
	if (s->gate_fd >= 0)
		close(s->gate_fd);
	if (s->report_fd >= 0)
		close(s->report_fd);
	s->gate_fd = s->report_fd = -1;
}
