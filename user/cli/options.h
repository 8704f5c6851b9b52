#ifndef LOOPSTALL_OPTIONS_H
#define LOOPSTALL_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * cli/: the command line (here), the checks made before BPF (preflight.c),
 * the targets (targets.c), and main.c, which wires the stages together and
 * runs loopstall's own event loop.
 */

/* Exit codes, documented in the man page (EXIT STATUS). */
enum exit_code {
	EXIT_OK = 0,	    /* done: duration over, interrupted, or every target gone */
	EXIT_RUNTIME = 1,   /* failed while running */
	EXIT_USAGE = 2,	    /* bad option, duration, PID or command */
	EXIT_PRIVILEGE = 3, /* missing root / CAP_BPF / CAP_PERFMON / CAP_SYS_PTRACE */
	EXIT_KERNEL = 4,    /* no BTF, or the BPF programs cannot load or attach */
};

#define MAX_PIDS 256

struct options {
	/* targets */
	pid_t pids[MAX_PIDS];
	int npids;
	const char *pattern;   /* -n */
	char **command;	       /* after --, NULL-terminated */
	const char *container; /* --container ID-or-name-prefix */
	const char *pod;       /* --pod [NAMESPACE/]NAME */
	const char *cgroup;    /* --cgroup PATH */

	/* detection and output */
	uint64_t threshold_ns;
	uint64_t duration_ns; /* 0: until interrupted */
	const char *btf_path;
	int max_loops;	   /* the kernel's loop map */
	int max_processes; /* the kernel's watched set */
	bool json;
	int stack_depth; /* --stack-depth, 0: the defaults */
	bool verbose;
	bool help;
	bool version;

	/* acting on stalls */
	uint64_t kill_after_ns; /* 0: never kill */
	int kill_signal;
	uint64_t kill_grace_ns;
	bool dry_run;
	const char *exec_path; /* --exec hook */
	uint64_t exec_timeout_ns;
	const char *metrics_addr; /* HOST:PORT */
	const char *log_path;
	uint64_t log_max_size; /* bytes; 0: no rotation */
	int log_keep;
	bool syslog;
	bool request_query; /* --request-query: keep query strings in records */
	/* SCHED_FIFO 1 where CAP_SYS_NICE allows; asked (--realtime): said when refused; off: --no-realtime */
	enum { REALTIME_WHERE_ALLOWED, REALTIME_ASKED, REALTIME_OFF } realtime;

	/* loopstall top */
	bool top;
	bool batch;
	uint64_t interval_ns;
};

/* Fills o from argv. On error returns -EINVAL with a one-line message in err. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);

#endif
