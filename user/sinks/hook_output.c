// SPDX-License-Identifier: GPL-2.0
/* Hooks' output on loopstall's stderr, bounded and escaped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/escape.h"
#include "sinks/hook_output.h"

/* Lines said, all hooks together: a token bucket refilled HOOK_LINES_PER_SEC a second. */
static double tokens = HOOK_LINES_PER_SEC;
static uint64_t refilled_ns;

static bool take_line(void)
{
	uint64_t now = monotonic_ns();

	tokens += (double)(now - refilled_ns) * HOOK_LINES_PER_SEC / NSEC_PER_SEC;
	refilled_ns = now;
	if (tokens > HOOK_LINES_PER_SEC)
		tokens = HOOK_LINES_PER_SEC;
	if (tokens < 1)
		return false;
	tokens -= 1;
	return true;
}

int hook_output_open(struct hook_output *o, int *hook_end)
{
	int p[2];

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	/* Our end never blocks; the hook's end is dup'ed onto its stdout and stderr. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	o->fd = p[0];
	*hook_end = p[1];
	return 0;
}

static void say_line(struct hook_output *o)
{
	if (o->cut || !o->len)
		goto done;
	if (o->said + o->len > HOOK_OUTPUT_MAX || !take_line()) {
		fprintf(stderr, "loopstall: hook %d: more output, not shown\n", o->pid);
		o->cut = true;
		goto done;
	}
	o->line[o->len] = '\0';
	fprintf(stderr, "loopstall: hook %d: ", o->pid);
	term_escape(stderr, o->line);
	fputc('\n', stderr);
	o->said += o->len;
done:
	o->len = 0;
}

void hook_output_drain(struct hook_output *o)
{
	char buf[4096];
	ssize_t n, i;

	while (o->fd >= 0 && (n = read(o->fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || o->len == sizeof(o->line) - 1)
				say_line(o);
			if (buf[i] != '\n')
				o->line[o->len++] = buf[i] ? buf[i] : ' ';
		}
	}
}

void hook_output_close(struct hook_output *o)
{
	if (o->fd < 0)
		return;
	hook_output_drain(o);
	say_line(o); /* a last line without its newline */
	close(o->fd);
	o->fd = -1;
}
