// SPDX-License-Identifier: GPL-2.0
/* Command line: options into one struct with defaults, like libbpf-tools' env. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "options.h"

static const char usage_text[] =
	"Usage: loopstall [OPTIONS] [-p PID[,PID...]]... [-n PATTERN] [-- COMMAND [ARGS...]]\n"
	"Detects stalled event loops (threads that wait in epoll_wait) and says why they stall.\n"
	"\n"
	"Targets (none: every event loop on the host):\n"
	"  -p, --pid PID[,PID]     watch these processes and their descendants, also later ones\n"
	"  -n, --name PATTERN      watch processes whose comm or command line contains PATTERN\n"
	"  -- COMMAND [ARGS...]    start COMMAND and watch it\n"
	"\n"
	"Options:\n"
	"  -t, --threshold DUR     report iterations busy for at least DUR (default 100ms)\n"
	"  -d, --duration DUR      exit after DUR\n"
	"      --json              one JSON object per line instead of text\n"
	"      --btf FILE          kernel BTF to use instead of /sys/kernel/btf/vmlinux\n"
	"  -v, --verbose           show libbpf's messages\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"DUR is a number with a unit: 250ms, 2s, 1.5s, 1m (also us, h).\n"
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

static int add_pids(struct options *o, const char *list, char *err, size_t len)
{
	char *copy = strdup(list), *tok, *save = NULL, *end;
	int ret = 0, added = 0;

	if (!copy)
		return fail(err, len, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long pid;

		errno = 0;
		pid = strtol(tok, &end, 10);
		if (errno || *end || end == tok || pid <= 0 || pid > 0x3fffffff) {
			ret = fail(err, len, "invalid PID '%s'", tok);
			break;
		}
		if (o->npids == MAX_PIDS) {
			ret = fail(err, len, "too many PIDs (at most %d)", MAX_PIDS);
			break;
		}
		o->pids[o->npids++] = pid;
		added++;
	}
	if (!ret && !added)
		ret = fail(err, len, "invalid PID list '%s'", list);
	free(copy);
	return ret;
}

static int parse_duration_arg(const char *opt, const char *arg, uint64_t *ns, char *err, size_t len)
{
	if (duration_parse(arg, ns))
		return fail(err, len, "invalid duration '%s' for %s: use a number and a unit, e.g. 250ms, 2s, 1m",
			    arg, opt);
	return 0;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	enum { OPT_JSON = 256, OPT_BTF };
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, 'n' },
		{ "threshold", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->threshold_ns = 100 * NSEC_PER_MSEC;
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so "-- cmd -x" keeps -x for cmd. */
	while ((c = getopt_long(argc, argv, "+:p:n:t:d:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = add_pids(o, optarg, err, errlen);
			if (ret)
				return ret;
			break;
		case 'n':
			if (!optarg[0])
				return fail(err, errlen, "empty pattern for -n");
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
		case 'v': o->verbose = true; break;
		case 'h': o->help = true; return 0;
		case 'V': o->version = true; return 0;
		case ':': return fail(err, errlen, "option %s needs a value", argv[optind - 1]);
		default: return fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, errlen, "unexpected argument '%s' (a command goes after --)", argv[optind]);
		o->command = &argv[optind];
	} else if (optind > 1 && strcmp(argv[optind - 1], "--") == 0) {
		return fail(err, errlen, "no command after --");
	}
	if ((o->npids > 0) + (o->pattern != NULL) + (o->command != NULL) > 1)
		return fail(err, errlen, "choose one kind of target: -p, -n or -- COMMAND");
	return 0;
}
