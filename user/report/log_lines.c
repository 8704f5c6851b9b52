// SPDX-License-Identifier: GPL-2.0
/* Lines of a log, plain or gzip'd, through zlib's gzread, in one fixed buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "record/record_read.h"
#include "report/log_lines.h"

#define BUF_SIZE (RECORD_LINE_MAX + (1 << 20))

struct log_lines {
	gzFile gz;
	char *buf;
	size_t start, end; /* the unread bytes: buf[start..end) */
	bool eof, failed;
	bool skipping; /* inside a line too long, until its newline */
};

int log_lines_open(const char *path, struct log_lines **out)
{
	struct log_lines *l = calloc(1, sizeof(*l));
	int fd;

	if (!l)
		return -ENOMEM;
	l->buf = malloc(BUF_SIZE);
	fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
	if (!l->buf || fd < 0) {
		int err = fd < 0 ? -errno : -ENOMEM;

		if (fd >= 0)
			close(fd);
		free(l->buf);
		free(l);
		return err;
	}
	l->gz = gzdopen(fd, "rb");
	if (!l->gz) {
		close(fd);
		free(l->buf);
		free(l);
		return -ENOMEM;
	}
	gzbuffer(l->gz, 1 << 18);
	*out = l;
	return 0;
}

/* Moves what is unread to the front and reads more after it. */
static void fill(struct log_lines *l)
{
	int n, err;

	if (l->start) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	while (!l->eof && l->end < BUF_SIZE) {
		size_t want = BUF_SIZE - l->end;

		n = gzread(l->gz, l->buf + l->end, want > (1u << 30) ? 1u << 30 : (unsigned)want);
		if (n > 0) {
			l->end += n;
			return;
		}
		/* The end, or an error: a gzip stream cut short says Z_BUF_ERROR */
		l->eof = true;
		gzerror(l->gz, &err);
		l->failed = n < 0 || err != Z_OK;
	}
}

int log_lines_next(struct log_lines *l, const char **line, size_t *len)
{
	for (;;) {
		char *nl = l->end > l->start ? memchr(l->buf + l->start, '\n', l->end - l->start) : NULL;

		if (nl) {
			size_t at = l->start;

			l->start = nl - l->buf + 1;
			if (l->skipping || (size_t)(nl - (l->buf + at)) > RECORD_LINE_MAX) {
				l->skipping = false;
				return -E2BIG;
			}
			*line = l->buf + at;
			*len = nl - (l->buf + at);
			return 1;
		}
		if (l->eof) {
			if (l->end > l->start && !l->skipping) {
				/* A last line without its newline: the parser says whether it is whole. */
				*line = l->buf + l->start;
				*len = l->end - l->start;
				l->start = l->end;
				return 1;
			}
			l->start = l->end;
			if (l->skipping) {
				l->skipping = false;
				return -E2BIG;
			}
			if (l->failed) {
				l->failed = false;
				return -EIO;
			}
			return 0;
		}
		if (l->end - l->start > RECORD_LINE_MAX) {
			/* No newline in reach: the line is too long; drop what is read of it. */
			l->skipping = true;
			l->start = l->end;
		}
		fill(l);
	}
}

void log_lines_close(struct log_lines *l)
{
	if (!l)
		return;
	gzclose(l->gz);
	free(l->buf);
	free(l);
}
