// SPDX-License-Identifier: GPL-2.0
/*
 * --log FILE: every record appended as a JSON line with one write(2), so a
 * crash loses at most the record being written. Rotated by size
 * (FILE -> FILE.1 -> ... -> FILE.keep), reopened on SIGHUP for logrotate.
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
	uint64_t max_size;
	int keep;
	int fd;
	bool failed; /* said once on stderr */
};

static int open_log(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1, then a fresh FILE. */
static void rotate(struct log_sink *l)
{
	char from[4096], to[4096];
	int i;

	close(l->fd);
	if (l->keep == 0) {
		unlink(l->path);
	} else {
		for (i = l->keep - 1; i >= 1; i--) {
			snprintf(from, sizeof(from), "%s.%d", l->path, i);
			snprintf(to, sizeof(to), "%s.%d", l->path, i + 1);
			rename(from, to);
		}
		snprintf(to, sizeof(to), "%s.1", l->path);
		rename(l->path, to);
	}
	l->fd = open_log(l->path);
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
	struct stat st;
	int err;

	if (l->fd < 0)
		l->fd = open_log(l->path);
	err = l->fd < 0 ? -errno : write_whole(l->fd, line, len);
	if (err) {
		if (!l->failed)
			fprintf(stderr, "loopstall: cannot write %s: %s\n", l->path, strerror(-err));
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

static void reopen(struct sink *s)
{
	struct log_sink *l = (struct log_sink *)s;

	if (l->fd >= 0)
		close(l->fd);
	l->fd = open_log(l->path);
}

static void destroy(struct sink *s)
{
	struct log_sink *l = (struct log_sink *)s;

	if (l->fd >= 0)
		close(l->fd);
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
	.reopen = reopen,
	.flush = flush,
	.destroy = destroy,
};

int sink_log_new(const char *path, uint64_t max_size, int keep, struct sink **out)
{
	struct log_sink *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->base.ops = &log_ops;
	l->path = path;
	l->max_size = max_size;
	l->keep = keep;
	l->fd = open_log(path);
	if (l->fd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	*out = &l->base;
	return 0;
}
