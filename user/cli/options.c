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
#include "cli/option_table.h"
#include "cli/options.h"

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

/* One option's value into o (a default's too); how options go together is options_parse's. */
static int apply(struct options *o, const struct option_spec *spec, const char *arg, char *err, size_t errlen)
{
	char opt[32];
	int ret;

	snprintf(opt, sizeof(opt), "--%s", spec->name);
	switch (spec->key) {
	case 'p': return add_pids(o, arg, err, errlen);
	case 'n':
		if (!arg[0])
			return fail(err, errlen, "empty pattern for -n");
		if (o->pattern)
			return fail(err, errlen, "one -n PATTERN at a time");
		o->pattern = arg;
		return 0;
	case OPT_CONTAINER: return container_arg(opt, arg, &o->container, err, errlen);
	case OPT_POD: return container_arg(opt, arg, &o->pod, err, errlen);
	case OPT_CGROUP:
		ret = container_arg(opt, arg, &o->cgroup, err, errlen);
		if (!ret && arg[0] != '/')
			ret = fail(err, errlen, "--cgroup takes an absolute path: /kubepods.slice/... or /sys/fs/cgroup/...");
		return ret;
	case 't': return parse_duration_arg(opt, arg, &o->threshold_ns, err, errlen);
	case 'd': return parse_duration_arg(opt, arg, &o->duration_ns, err, errlen);
	case OPT_JSON: o->json = true; return 0;
	case OPT_STACK_DEPTH:
		ret = parse_count(opt, arg, &o->stack_depth, err, errlen);
		if (!ret && !o->stack_depth)
			ret = fail(err, errlen, "--stack-depth needs at least 1 frame");
		return ret;
	case OPT_BTF: o->btf_path = arg; return 0;
	case OPT_MAX_LOOPS: return parse_map_size(opt, arg, &o->max_loops, err, errlen);
	case OPT_MAX_PROCESSES: return parse_map_size(opt, arg, &o->max_processes, err, errlen);
	case OPT_REALTIME: o->realtime = REALTIME_ASKED; return 0;
	case OPT_NO_REALTIME: o->realtime = REALTIME_OFF; return 0;
	case OPT_REQUEST_QUERY: o->request_query = true; return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': o->help = true; return 0;
	case 'V': o->version = true; return 0;
	case OPT_KILL_AFTER: return parse_duration_arg(opt, arg, &o->kill_after_ns, err, errlen);
	case OPT_KILL_SIGNAL: return parse_signal(arg, &o->kill_signal, err, errlen);
	case OPT_KILL_GRACE: return parse_duration_arg(opt, arg, &o->kill_grace_ns, err, errlen);
	case OPT_DRY_RUN: o->dry_run = true; return 0;
	case OPT_EXEC: o->exec_path = arg; return 0;
	case OPT_EXEC_TIMEOUT: return parse_duration_arg(opt, arg, &o->exec_timeout_ns, err, errlen);
	case OPT_METRICS: o->metrics_addr = arg; return 0;
	case OPT_LOG: o->log_path = arg; return 0;
	case OPT_LOG_MAX_SIZE: return parse_size(arg, &o->log_max_size, err, errlen);
	case OPT_LOG_KEEP: return parse_count(opt, arg, &o->log_keep, err, errlen);
	case OPT_SYSLOG: o->syslog = true; return 0;
	case 'i': return parse_duration_arg(opt, arg, &o->interval_ns, err, errlen);
	case OPT_BATCH: o->batch = true; return 0;
	}
	return fail(err, errlen, "option --%s is in the table but not handled", spec->name);
}

/* getopt_long's tables, from the option table. */
static void getopt_tables(struct option *longopts, char *shortopts)
{
	char *s = shortopts;
	int i;

	/* '+': stop at the first non-option, so "-- cmd -x" keeps -x for cmd; ':': say a missing value. */
	*s++ = '+';
	*s++ = ':';
	for (i = 0; i < option_count; i++) {
		const struct option_spec *o = &option_specs[i];

		longopts[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
		if (o->key < 256) {
			*s++ = (char)o->key;
			if (o->arg)
				*s++ = ':';
		}
	}
	longopts[i] = (struct option){0};
	*s = '\0';
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	struct option longopts[option_count + 1];
	char shortopts[2 * option_count + 3];
	bool interval_given = false;
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < option_count; i++) {
		if (option_specs[i].def && (ret = apply(o, &option_specs[i], option_specs[i].def, err, errlen)))
			return ret;
	}
	getopt_tables(longopts, shortopts);
	opterr = 0;
	/* "loopstall top ...": parse what follows "top" as if it were the program name. */
	if (argc > 1 && strcmp(argv[1], "top") == 0) {
		o->top = true;
		argc--;
		argv++;
	}
	optind = 0; /* 0, not 1: getopt forgets all it kept of an earlier parse (a cluster cut short) */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_spec *spec = option_spec(c);

		if (c == ':')
			return fail(err, errlen, "option %s needs a value", argv[optind - 1]);
		if (!spec)
			return fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		ret = apply(o, spec, optarg, err, errlen);
		if (ret)
			return ret;
		if (o->help || o->version)
			return 0;
		interval_given |= c == 'i';
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
