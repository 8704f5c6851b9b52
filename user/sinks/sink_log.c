// SPDX-License-Identifier: GPL-2.0
/*
 * --log FILE: every record appended as a JSON line with one write(2), so a
 * crash loses at most the record being written. Rotated by size
 * (FILE -> FILE.1 -> ... -> FILE.keep), reopened on SIGHUP for logrotate.
 * Written as root beside files others may plant: every name is opened in
 * its directory (held open), never through a symbolic link, a new file only
 * where none is (O_EXCL), and an existing one only if loopstall's user owns
 * it, no one else may write it and no other name links to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/output.h"
#include "sinks/sink.h"

struct log_sink {
	struct sink base;
	const char *path;
	char name[256]; /* its last component, opened in dir */
	int dir;
	uint64_t max_size;
	int keep;
	int fd;
	bool failed; /* said once on stderr */
};

/*
 * The file an fd holds may take records: a regular file of loopstall's user
 * (or root), which no one else may write and no other name links to. 0, or
 * -EPERM with why.
 */
static int safe_file(int fd, char *why, size_t len)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return snprintf(why, len, "not a regular file"), -EPERM;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return snprintf(why, len, "owned by uid %u, not by loopstall's user", (unsigned)st.st_uid), -EPERM;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return snprintf(why, len, "writable by others (mode %04o)", (unsigned)(st.st_mode & 07777)), -EPERM;
	if (st.st_nlink != 1)
		return snprintf(why, len, "it has %lu names (a hard link)", (unsigned long)st.st_nlink), -EPERM;
	return 0;
}

/*
 * Opens the log in its directory. create: only a new file (after a
 * rotation: a name someone planted meanwhile is refused, not followed).
 * The fd, or -errno with why.
 */
static int open_log(struct log_sink *l, bool create, char *why, size_t len)
{
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | (create ? O_EXCL : 0);
	int fd = openat(l->dir, l->name, flags, 0640), err;

	if (fd < 0) {
		struct stat st;

		err = -errno;
		/* The kernel says ELOOP, or EACCES where fs.protected_symlinks is set: a link either way. */
		if (!fstatat(l->dir, l->name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
			snprintf(why, len, "a symbolic link%s", create ? " (planted after a rotation)" : "");
		else
			snprintf(why, len, "%s", err == -EEXIST ? "someone made it first" : strerror(-err));
		return err;
	}
	err = safe_file(fd, why, len);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* The directory of path, opened, if others cannot swap names in it under loopstall. The fd, or -errno with why. */
static int open_dir(const char *path, char *name, size_t name_len, char *why, size_t len)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;
	int fd;

	if (slash && (size_t)(slash - path) >= sizeof(dir))
		return snprintf(why, len, "path too long"), -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1, slash ? path : ".");
	snprintf(name, name_len, "%s", slash ? slash + 1 : path);
	if (!name[0] || strlen(slash ? slash + 1 : path) >= name_len)
		return snprintf(why, len, "no file name"), -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return snprintf(why, len, "%s: %s", dir, strerror(errno)), -errno;
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		close(fd);
		snprintf(why, len, "%s is writable by anyone and not sticky", dir);
		return -EPERM;
	}
	return fd;
}

/* FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1, then a fresh FILE, all in the log's directory. */
static void rotate(struct log_sink *l)
{
	char from[300], to[300], why[128];
	int i;

	close(l->fd);
	if (l->keep == 0) {
		unlinkat(l->dir, l->name, 0);
	} else {
		for (i = l->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%d", l->name, i);
			snprintf(to, sizeof(to), "%s.%d", l->name, i + 1);
			renameat(l->dir, from, l->dir, to);
		}
		snprintf(to, sizeof(to), "%s.1", l->name);
		renameat(l->dir, l->name, l->dir, to);
	}
	l->fd = open_log(l, true, why, sizeof(why));
	if (l->fd < 0)
		fprintf(stderr, "loopstall: cannot start a new %s after rotating it: %s\n", l->path, why);
}

/*
 * Whole records or none: a short write (a full disk) is finished if the
 * rest goes, else cut back to where the record began, so the next record
 * does not end up glued to half of this one. 0 or -errno.
 */
static int write_whole(int fd, const char *line, size_t len)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;

	if (fstat(fd, &st))
		return -errno;
	while (done < len) {
		n = write(fd, line + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -ENOSPC;

			/* Cannot cut it back: end the half line at least. */
			if (done && ftruncate(fd, st.st_size) && write(fd, "\n", 1) < 0)
				err = -errno;
			return err;
		}
		done += n;
	}
	return 0;
}

static void append(struct log_sink *l, char *line, size_t len)
{
	char why[128] = "";
	struct stat st;
	int err;

	if (l->fd < 0)
		l->fd = open_log(l, false, why, sizeof(why));
	err = l->fd < 0 ? l->fd : write_whole(l->fd, line, len);
	if (err) {
		if (!l->failed)
			fprintf(stderr, "loopstall: cannot write %s: %s\n", l->path, why[0] ? why : strerror(-err));
		l->failed = true;
		return;
	}
	l->failed = false;
	if (l->max_size && fstat(l->fd, &st) == 0 && (uint64_t)st.st_size >= l->max_size)
		rotate(l);
}

/* Renders through a memory stream, then appends the whole line at once. */
#define RENDER(l, fn, rec)                                                                                             \
	do {                                                                                                           \
		char *buf = NULL;                                                                                      \
		size_t len = 0;                                                                                        \
		FILE *m = open_memstream(&buf, &len);                                                                  \
		if (!m)                                                                                                \
			break;                                                                                         \
		fn(m, rec);                                                                                            \
		if (fclose(m) == 0)                                                                                    \
			append(l, buf, len);                                                                           \
		free(buf);                                                                                             \
	} while (0)

static void on_stall(struct sink *s, const struct stall_record *r)
{
	RENDER((struct log_sink *)s, output_json, r);
}

static void on_kill(struct sink *s, const struct kill_record *k)
{
	RENDER((struct log_sink *)s, output_kill_json, k);
}

static void on_summary(struct sink *s, const struct loop_summary *ls)
{
	RENDER((struct log_sink *)s, output_summary_json, ls);
}

static void on_loss(struct sink *s, const struct loss_record *l)
{
	RENDER((struct log_sink *)s, output_loss_json, l);
}

static void reopen(struct sink *s)
{
	struct log_sink *l = (struct log_sink *)s;
	char why[128];

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open_log(l, false, why, sizeof(why));
	if (l->fd < 0)
		fprintf(stderr, "loopstall: cannot reopen %s: %s\n", l->path, why);
}

static void destroy(struct sink *s)
{
	struct log_sink *l = (struct log_sink *)s;

	if (l->fd >= 0)
		close(l->fd);
	if (l->dir >= 0)
		close(l->dir);
	free(l);
}

/* What is written is on the disk before loopstall exits. */
static void flush(struct sink *s)
{
	struct log_sink *l = (struct log_sink *)s;

	if (l->fd >= 0)
		fdatasync(l->fd);
}

static const struct sink_ops log_ops = {
	.name = "log",
	.stall = on_stall,
	.kill = on_kill,
	.summary = on_summary,
	.loss = on_loss,
	.reopen = reopen,
	.flush = flush,
	.destroy = destroy,
};

int sink_log_new(const char *path, uint64_t max_size, int keep, struct sink **out, char *why, size_t len)
{
	struct log_sink *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return snprintf(why, len, "out of memory"), -ENOMEM;
	l->base.ops = &log_ops;
	l->path = path;
	l->max_size = max_size;
	l->keep = keep;
	l->fd = -1;
	l->dir = open_dir(path, l->name, sizeof(l->name), why, len);
	if (l->dir < 0) {
		err = l->dir;
		free(l);
		return err;
	}
	l->fd = open_log(l, false, why, len);
	if (l->fd < 0) {
		err = l->fd;
		close(l->dir);
		free(l);
		return err;
	}
	*out = &l->base;
	return 0;
}
