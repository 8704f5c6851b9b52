#ifndef LOOPSTALL_LOG_LINES_H
#define LOOPSTALL_LOG_LINES_H
#include <stddef.h>

/*
 * report/: loopstall report over --log files: their lines (here), the
 * culprit table (culprits.c), folded stacks and speedscope files
 * (stack_export.c), and the subcommand (report.c).
 *
 * The lines of one log: plain, gzip'd (zlib tells them apart) or stdin
 * ("-"), in bounded memory: a line longer than RECORD_LINE_MAX is skipped
 * whole and said to be too long.
 */
struct log_lines;

/* 0 and *out, or -errno (the file cannot be opened). */
int log_lines_open(const char *path, struct log_lines **out);
/*
 * The next line, without its newline, valid until the next call: 1; 0 at
 * the end; -E2BIG for a line too long (skipped); -EIO when the file cannot
 * be read on (a truncated gzip stream: what came before counts).
 */
int log_lines_next(struct log_lines *l, const char **line, size_t *len);
void log_lines_close(struct log_lines *l);

#endif
