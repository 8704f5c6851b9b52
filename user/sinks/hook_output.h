#ifndef LOOPSTALL_HOOK_OUTPUT_H
#define LOOPSTALL_HOOK_OUTPUT_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * What a hook writes on its stdout and stderr: never on loopstall's stdout
 * (the records' own), but read from a pipe without waiting and said on
 * loopstall's stderr, a line at a time, escaped and prefixed
 * ("loopstall: hook 1234: ..."), at most HOOK_OUTPUT_MAX bytes a hook and
 * HOOK_LINES_PER_SEC lines a second in all; the rest is read and dropped, so
 * a chatty hook never blocks on a full pipe.
 */
#define HOOK_OUTPUT_MAX	   4096
#define HOOK_LINES_PER_SEC 20

struct hook_output {
	int fd; /* the pipe's read end, -1 when closed */
	pid_t pid;
	size_t said; /* bytes said so far */
	bool cut;    /* past HOOK_OUTPUT_MAX: said so, the rest dropped */
	size_t len;
	char line[256];
};

/* A pipe for a hook about to start: 0 and the end to give the hook as stdout and stderr, or -errno. */
int hook_output_open(struct hook_output *o, int *hook_end);
/* Reads what is there now and says whole lines. */
void hook_output_drain(struct hook_output *o);
/* The hook ended: says the rest and closes. */
void hook_output_close(struct hook_output *o);

#endif
