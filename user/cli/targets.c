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

int target_for_each_match(const char *pattern, target_fn fn, void *ctx)
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
		if (pid != self && target_matches(pid, pattern))
			fn(ctx, pid);
	}
	closedir(dir);
	return 0;
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
