#ifndef LOOPSTALL_OPTIONS_H
#define LOOPSTALL_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in README. */
enum exit_code {
	EXIT_OK = 0, /* done: duration over, interrupted, or every target gone */
	EXIT_RUNTIME = 1, /* failed while running */
	EXIT_USAGE = 2, /* bad option, duration, PID or command */
	EXIT_PRIVILEGE = 3, /* missing root / CAP_BPF / CAP_PERFMON / CAP_SYS_PTRACE */
	EXIT_KERNEL = 4, /* no BTF, or the BPF programs cannot load or attach */
};

#define MAX_PIDS 256

struct options {
	pid_t pids[MAX_PIDS];
	int npids;
	const char *pattern; /* -n */
	char **command; /* after --, NULL-terminated */
	uint64_t threshold_ns;
	uint64_t duration_ns; /* 0: until interrupted */
	const char *btf_path;
	bool json;
	bool verbose;
	bool help;
	bool version;
};

/* Fills o from argv. On error returns -EINVAL with a one-line message in err. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);
void options_usage(FILE *out);

#endif
