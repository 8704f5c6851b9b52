// SPDX-License-Identifier: GPL-2.0
/* Command line: options into one struct with defaults, like libbpf-tools' env. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/duration.h"
#include "cli/options.h"

static const char usage_text[] =
	"Usage: loopstall [OPTIONS] [-p PID[,PID...]]... [-n PATTERN] [-- COMMAND [ARGS...]]\n"
	"       loopstall [OPTIONS] --container ID | --pod [NS/]NAME | --cgroup PATH\n"
	"       loopstall top [OPTIONS] [targets as above]\n"
	"       loopstall report [OPTIONS] [FILE...]   (loopstall report --help)\n"
	"Detects stalled event loops (threads that wait in epoll, poll, select or io_uring, or park in\n"
	"a runtime's own way) and says why they stall.\n"
	"\n"
	"Targets (none: every event loop on the host):\n"
	"  -p, --pid PID[,PID]     watch these processes and their descendants, also later ones\n"
	"  -n, --name PATTERN      watch processes whose comm or command line contains PATTERN\n"
	"      --container ID      every process in the container whose id or name starts with ID\n"
	"                          (a systemd service by its unit: nginx.service), also later ones\n"
	"      --pod [NS/]NAME     every process in the Kubernetes pod, also later ones\n"
	"      --cgroup PATH       every process in the cgroup PATH or below it, also later ones\n"
	"  -- COMMAND [ARGS...]    start COMMAND and watch it\n"
	"\n"
	"Options:\n"
	"  -t, --threshold DUR     report iterations busy for at least DUR (default 100ms)\n"
	"  -d, --duration DUR      exit after DUR\n"
	"      --json              one JSON object per line instead of text\n"
	"      --stack-depth N     frames shown per stack (default: text to the culprit and 5 more,\n"
	"                          JSON all)\n"
	"      --btf FILE          kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
	"      --max-loops N       loop threads followed at once (default 65536; 1 to 1048576)\n"
	"      --max-processes N   processes watched at once, targets and their children\n"
	"                          (default 65536; 1 to 1048576)\n"
	"      --realtime          run the detecting thread, and the reporter writing records, at\n"
	"                          SCHED_FIFO 1: a loop stalled on CPU does not delay them\n"
	"  -v, --verbose           show libbpf's messages\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Acting on stalls:\n"
	"      --kill-after DUR    signal a process whose loop stays stalled for DUR\n"
	"      --kill-signal SIG   signal to send, name or number (default TERM)\n"
	"      --kill-grace DUR    SIGKILL if still alive DUR later (default 2s)\n"
	"      --dry-run           say what would be killed, kill nothing\n"
	"      --exec PATH         run PATH for each stall begin, end and kill (JSON on stdin)\n"
	"      --exec-timeout DUR  kill a hook running longer (default 10s)\n"
	"      --metrics HOST:PORT serve Prometheus metrics at /metrics\n"
	"      --log FILE          append every record to FILE as JSON lines\n"
	"      --log-max-size SIZE rotate FILE past SIZE (default 10M; 0: never)\n"
	"      --log-keep N        rotated files kept (default 5)\n"
	"      --syslog            one line per stall and kill to syslog\n"
	"      --request-query     keep requests' query strings in records (they may hold secrets)\n"
	"\n"
	"loopstall top:\n"
	"  -i, --interval DUR      refresh every DUR (default 1s)\n"
	"      --batch             print plain-text snapshots (also when stdout is no terminal)\n"
	"\n"
	"DUR is a number with a unit: 250ms, 2s, 1.5s, 1m (also us, h).\n"
	"SIZE is bytes with an optional K, M or G suffix.\n"
	"Exit status: 0 done, 1 runtime error, 2 bad usage or target, 3 missing privileges,\n"
	"4 kernel unsupported (no BTF, BPF cannot load).\n";

void options_usage(FILE *out)
{
	fputs(usage_text, out);
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "PID[,PID...]": every element a PID; the same PID twice is watched once. */
static int add_pids(struct options *o, const char *list, char *err, size_t len)
{
	const char *p = list;

	if (!*p)
		return fail(err, len, "invalid PID list '%s'", list);
	for (;;) {
		size_t n = strcspn(p, ",");
		char tok[16], *end;
		long pid;
		int i;

		if (n == 0 || n >= sizeof(tok))
			return fail(err, len, "invalid PID '%.*s' in '%s'", (int)(n < 16 ? n : 16), p, list);
		memcpy(tok, p, n);
		tok[n] = '\0';
		errno = 0;
		pid = strtol(tok, &end, 10);
		if (errno || *end || !(tok[0] >= '0' && tok[0] <= '9') || pid <= 0 || pid > 0x3fffffff)
			return fail(err, len, "invalid PID '%s'", tok);
		for (i = 0; i < o->npids && o->pids[i] != pid; i++)
			;
		if (i == o->npids) {
			if (o->npids == MAX_PIDS)
				return fail(err, len, "too many PIDs (at most %d)", MAX_PIDS);
			o->pids[o->npids++] = pid;
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int parse_duration_arg(const char *opt, const char *arg, uint64_t *ns, char *err, size_t len)
{
	if (duration_parse(arg, ns))
		return fail(err, len, "invalid duration '%s' for %s: use a number and a unit, e.g. 250ms, 2s, 1m", arg,
			    opt);
	return 0;
}

static int parse_signal(const char *arg, int *sig, char *err, size_t len)
{
	const char *name = strncasecmp(arg, "SIG", 3) == 0 ? arg + 3 : arg;
	char *end;
	long n;
	int i;

	n = strtol(arg, &end, 10);
	if (*arg && !*end) {
		if (n > 0 && n < NSIG)
			return *sig = n, 0;
		return fail(err, len, "invalid signal '%s'", arg);
	}
	for (i = 1; i < SIGRTMIN; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && strcasecmp(abbrev, name) == 0)
			return *sig = i, 0;
	}
	return fail(err, len, "invalid signal '%s' (e.g. TERM, KILL, ABRT or a number)", arg);
}

static int parse_size(const char *arg, uint64_t *bytes, char *err, size_t len)
{
	char *end;
	unsigned long long n;
	unsigned int shift = 0;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno || end == arg || !(arg[0] >= '0' && arg[0] <= '9'))
		return fail(err, len, "invalid size '%s': use bytes with an optional K, M or G", arg);
	switch (*end) {
	case 'K': shift = 10, end++; break;
	case 'M': shift = 20, end++; break;
	case 'G': shift = 30, end++; break;
	}
	if (*end)
		return fail(err, len, "invalid size '%s': use bytes with an optional K, M or G", arg);
	/* 1 EiB is plenty: beyond it the number wraps around to a small one. */
	if (n > (1ULL << (60 - shift)))
		return fail(err, len, "size '%s' too large", arg);
	*bytes = n << shift;
	return 0;
}

/* A whole decimal number from lo to hi: true, and *out; false for anything else. */
static bool number_in(const char *arg, long lo, long hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < lo || n > hi)
		return false;
	*out = n;
	return true;
}

static int parse_count(const char *opt, const char *arg, int *count, char *err, size_t len)
{
	if (!number_in(arg, 0, 1000, count))
		return fail(err, len, "invalid number '%s' for %s", arg, opt);
	return 0;
}

/* The size of a kernel map: 1 to 2^20 entries. */
static int parse_map_size(const char *opt, const char *arg, int *n, char *err, size_t len)
{
	if (!number_in(arg, 1, 1 << 20, n))
		return fail(err, len, "invalid number '%s' for %s (1 to 1048576)", arg, opt);
	return 0;
}

/* --container, --pod, --cgroup: one of each, not empty. */
static int container_arg(const char *opt, const char *arg, const char **out, char *err, size_t len)
{
	if (!arg[0])
		return fail(err, len, "empty value for %s", opt);
	if (*out)
		return fail(err, len, "one %s at a time", opt);
	*out = arg;
	return 0;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	enum {
		OPT_JSON = 256,
		OPT_BTF,
		OPT_KILL_AFTER,
		OPT_KILL_SIGNAL,
		OPT_KILL_GRACE,
		OPT_DRY_RUN,
		OPT_EXEC,
		OPT_EXEC_TIMEOUT,
		OPT_METRICS,
		OPT_LOG,
		OPT_LOG_MAX_SIZE,
		OPT_LOG_KEEP,
		OPT_SYSLOG,
		OPT_BATCH,
		OPT_STACK_DEPTH,
		OPT_MAX_LOOPS,
		OPT_MAX_PROCESSES,
		OPT_CONTAINER,
		OPT_POD,
		OPT_CGROUP,
		OPT_REALTIME,
		OPT_REQUEST_QUERY,
	};
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"name", required_argument, NULL, 'n'},
		{"threshold", required_argument, NULL, 't'},
		{"duration", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, OPT_JSON},
		{"btf", required_argument, NULL, OPT_BTF},
		{"kill-after", required_argument, NULL, OPT_KILL_AFTER},
		{"kill-signal", required_argument, NULL, OPT_KILL_SIGNAL},
		{"kill-grace", required_argument, NULL, OPT_KILL_GRACE},
		{"dry-run", no_argument, NULL, OPT_DRY_RUN},
		{"exec", required_argument, NULL, OPT_EXEC},
		{"exec-timeout", required_argument, NULL, OPT_EXEC_TIMEOUT},
		{"metrics", required_argument, NULL, OPT_METRICS},
		{"log", required_argument, NULL, OPT_LOG},
		{"log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
		{"log-keep", required_argument, NULL, OPT_LOG_KEEP},
		{"syslog", no_argument, NULL, OPT_SYSLOG},
		{"interval", required_argument, NULL, 'i'},
		{"batch", no_argument, NULL, OPT_BATCH},
		{"stack-depth", required_argument, NULL, OPT_STACK_DEPTH},
		{"max-loops", required_argument, NULL, OPT_MAX_LOOPS},
		{"max-processes", required_argument, NULL, OPT_MAX_PROCESSES},
		{"container", required_argument, NULL, OPT_CONTAINER},
		{"pod", required_argument, NULL, OPT_POD},
		{"cgroup", required_argument, NULL, OPT_CGROUP},
		{"realtime", no_argument, NULL, OPT_REALTIME},
		{"request-query", no_argument, NULL, OPT_REQUEST_QUERY},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	bool interval_given = false;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	o->threshold_ns = 100 * NSEC_PER_MSEC;
	o->kill_signal = SIGTERM;
	o->kill_grace_ns = 2 * NSEC_PER_SEC;
	o->exec_timeout_ns = 10 * NSEC_PER_SEC;
	o->log_max_size = 10 << 20;
	o->log_keep = 5;
	o->interval_ns = NSEC_PER_SEC;
	o->max_loops = 65536;
	o->max_processes = 65536;
	opterr = 0;
	/* "loopstall top ...": parse what follows "top" as if it were the program name. */
	if (argc > 1 && strcmp(argv[1], "top") == 0) {
		o->top = true;
		argc--;
		argv++;
	}
	optind = 0; /* 0, not 1: getopt forgets all it kept of an earlier parse (a cluster cut short) */
	/* '+': stop at the first non-option, so "-- cmd -x" keeps -x for cmd. */
	while ((c = getopt_long(argc, argv, "+:p:n:t:d:i:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = add_pids(o, optarg, err, errlen);
			if (ret)
				return ret;
			break;
		case 'n':
			if (!optarg[0])
				return fail(err, errlen, "empty pattern for -n");
			if (o->pattern)
				return fail(err, errlen, "one -n PATTERN at a time");
			o->pattern = optarg;
			break;
		case 't':
			ret = parse_duration_arg("--threshold", optarg, &o->threshold_ns, err, errlen);
			if (ret)
				return ret;
			break;
		case 'd':
			ret = parse_duration_arg("--duration", optarg, &o->duration_ns, err, errlen);
			if (ret)
				return ret;
			break;
		case OPT_JSON: o->json = true; break;
		case OPT_BTF: o->btf_path = optarg; break;
		case OPT_KILL_AFTER:
			ret = parse_duration_arg("--kill-after", optarg, &o->kill_after_ns, err, errlen);
			break;
		case OPT_KILL_SIGNAL: ret = parse_signal(optarg, &o->kill_signal, err, errlen); break;
		case OPT_KILL_GRACE:
			ret = parse_duration_arg("--kill-grace", optarg, &o->kill_grace_ns, err, errlen);
			break;
		case OPT_DRY_RUN: o->dry_run = true; break;
		case OPT_EXEC: o->exec_path = optarg; break;
		case OPT_EXEC_TIMEOUT:
			ret = parse_duration_arg("--exec-timeout", optarg, &o->exec_timeout_ns, err, errlen);
			break;
		case OPT_METRICS: o->metrics_addr = optarg; break;
		case OPT_LOG: o->log_path = optarg; break;
		case OPT_LOG_MAX_SIZE: ret = parse_size(optarg, &o->log_max_size, err, errlen); break;
		case OPT_LOG_KEEP: ret = parse_count("--log-keep", optarg, &o->log_keep, err, errlen); break;
		case OPT_SYSLOG: o->syslog = true; break;
		case OPT_REALTIME: o->realtime = true; break;
		case OPT_REQUEST_QUERY: o->request_query = true; break;
		case 'i':
			ret = parse_duration_arg("--interval", optarg, &o->interval_ns, err, errlen);
			interval_given = true;
			break;
		case OPT_BATCH: o->batch = true; break;
		case OPT_STACK_DEPTH:
			ret = parse_count("--stack-depth", optarg, &o->stack_depth, err, errlen);
			if (!ret && !o->stack_depth)
				ret = fail(err, errlen, "--stack-depth needs at least 1 frame");
			break;
		case OPT_MAX_LOOPS: ret = parse_map_size("--max-loops", optarg, &o->max_loops, err, errlen); break;
		case OPT_MAX_PROCESSES:
			ret = parse_map_size("--max-processes", optarg, &o->max_processes, err, errlen);
			break;
		case OPT_CONTAINER: ret = container_arg("--container", optarg, &o->container, err, errlen); break;
		case OPT_POD: ret = container_arg("--pod", optarg, &o->pod, err, errlen); break;
		case OPT_CGROUP:
			ret = container_arg("--cgroup", optarg, &o->cgroup, err, errlen);
			if (!ret && optarg[0] != '/')
				ret = fail(
					err, errlen,
					"--cgroup takes an absolute path: /kubepods.slice/... or /sys/fs/cgroup/...");
			break;
		case 'v': o->verbose = true; break;
		case 'h': o->help = true; return 0;
		case 'V': o->version = true; return 0;
		case ':': return fail(err, errlen, "option %s needs a value", argv[optind - 1]);
		default: return fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
		if (ret)
			return ret;
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, errlen, "unexpected argument '%s' (a command goes after --)", argv[optind]);
		o->command = &argv[optind];
	} else if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
		return fail(err, errlen, "no command after --");
	}
	if ((o->npids > 0) + (o->pattern != NULL) + (o->command != NULL) + (o->container != NULL) + (o->pod != NULL) +
		    (o->cgroup != NULL) >
	    1)
		return fail(err, errlen,
			    "choose one kind of target: -p, -n, --container, --pod, --cgroup or -- COMMAND");
	if (o->dry_run && !o->kill_after_ns)
		return fail(err, errlen, "--dry-run goes with --kill-after");
	if (!o->top && (o->batch || interval_given))
		return fail(err, errlen, "-i and --batch go with loopstall top");
	if (o->top && o->json && !o->batch)
		return fail(err, errlen, "--json in loopstall top goes with --batch (or use --log FILE)");
	return 0;
}
