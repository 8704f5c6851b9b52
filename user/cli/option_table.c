// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "cli/option_table.h"

const struct option_spec option_specs[] = {
	{'p', "pid", "PID[,PID]", NULL, SECTION_TARGETS,
	 "watch these processes and their descendants, also later ones", NULL},
	{'n', "name", "PATTERN", NULL, SECTION_TARGETS,
	 "watch processes whose comm or command line contains PATTERN", NULL},
	{OPT_CONTAINER, "container", "ID", NULL, SECTION_TARGETS,
	 "every process in the container whose id or name starts with ID (a systemd service by its unit: "
	 "nginx.service), also later ones",
	 NULL},
	{OPT_POD, "pod", "[NS/]NAME", NULL, SECTION_TARGETS, "every process in the Kubernetes pod, also later ones",
	 NULL},
	{OPT_CGROUP, "cgroup", "PATH", NULL, SECTION_TARGETS,
	 "every process in the cgroup PATH or below it, also later ones", NULL},

	{'t', "threshold", "DUR", "100ms", SECTION_GENERAL, "report iterations busy for at least DUR",
	 "An iteration busy this long is a stall."},
	{'d', "duration", "DUR", NULL, SECTION_GENERAL, "exit after DUR",
	 "Exit after _DUR_. Default: run until interrupted."},
	{OPT_JSON, "json", NULL, NULL, SECTION_GENERAL, "one JSON object per line instead of text",
	 "One JSON object per line on stdout instead of text (see JSON RECORDS)."},
	{OPT_STACK_DEPTH, "stack-depth", "N", NULL, SECTION_GENERAL,
	 "frames shown per stack (default: text to the culprit and 5 more, JSON all)",
	 "Frames shown of each stack (1 to 1000), the rest counted. Default: in text, down to the culprit and 5 "
	 "more; in JSON, all."},
	{OPT_BTF, "btf", "FILE", NULL, SECTION_GENERAL, "kernel BTF to use instead of /sys/kernel/btf/vmlinux",
	 "Kernel BTF to use instead of */sys/kernel/btf/vmlinux*, for kernels that do not expose their own: raw "
	 "BTF or an ELF file with a .BTF section."},
	{OPT_MAX_LOOPS, "max-loops", "N", "65536", SECTION_GENERAL, "loop threads followed at once (1 to 1048576)",
	 "Loop threads the kernel follows at once (1 to 1048576; memory is taken per loop, not for _N_). Loops "
	 "past it are not watched: said once on stderr (*loopstall: the loop map is full (65536 loop threads): "
	 "loops past it are not watched*) and counted in *loopstall_loops_untracked_total*."},
	{OPT_MAX_PROCESSES, "max-processes", "N", "65536", SECTION_GENERAL,
	 "processes watched at once, targets and their children (1 to 1048576)",
	 "Processes in the kernel's watched set at once, targets and their descendants (1 to 1048576). Processes "
	 "past it (a target, or a child forked by a watched process) are not watched: said once on stderr and "
	 "counted in *loopstall_processes_unwatched_total*."},
	{OPT_REALTIME, "realtime", NULL, NULL, SECTION_GENERAL,
	 "insist on SCHED_FIFO 1 (the default where allowed): say so on stderr when it is refused",
	 "Insist on realtime priority, the default where CAP_SYS_NICE allows it: the detecting thread, and the "
	 "reporter thread while it waits for and writes records (not while it warms a process's symbols), run "
	 "at SCHED_FIFO priority 1, the lowest, reset for every thread or process they start (hooks). A loop "
	 "stalled on CPU keeps its CPU busy; loopstall's threads keep off that CPU, but where every other CPU "
	 "is busy too, a thread woken at the threshold under the fair scheduler waits for a time slice to end "
	 "(3 ms by default); at realtime priority it does not. Without CAP_SYS_NICE loopstall runs at normal "
	 "priority, and with *--realtime* it says so once on stderr."},
	{OPT_NO_REALTIME, "no-realtime", NULL, NULL, SECTION_GENERAL, "run every thread at normal priority",
	 "Run every thread at normal priority, as the fair scheduler places them: begin records may come a time "
	 "slice late on a host whose CPUs are all busy."},
	{OPT_REQUEST_QUERY, "request-query", NULL, NULL, SECTION_GENERAL,
	 "keep requests' query strings in records (they may hold secrets)",
	 "Keep requests' query strings in records. By default a request's path keeps its *?* and an ellipsis "
	 "stands for the rest: query strings carry tokens and passwords."},
	{'v', "verbose", NULL, NULL, SECTION_GENERAL, "show libbpf's messages",
	 "Show libbpf's messages (silent otherwise)."},
	{'h', "help", NULL, NULL, SECTION_GENERAL, "show this help", "Show the options."},
	{'V', "version", NULL, NULL, SECTION_GENERAL, "show the version",
	 "Show the version and the git commit it was built from: *loopstall 0.1.0 (commit 4dffbef1a2b3)*, "
	 "*-dirty* when built from a modified tree, *unknown* outside git."},

	{OPT_KILL_AFTER, "kill-after", "DUR", NULL, SECTION_ACTING, "signal a process whose loop stays stalled for DUR",
	 "When one stall of a loop lasts _DUR_, report it, then signal its process (see ACTING ON STALLS). Time "
	 "the process spends stopped (SIGSTOP, a debugger) does not count, and a stopped process is never "
	 "signalled."},
	{OPT_KILL_SIGNAL, "kill-signal", "SIG", "TERM", SECTION_ACTING, "signal to send, name or number",
	 "The signal, by name (TERM, SIGKILL, ABRT, any case) or number."},
	{OPT_KILL_GRACE, "kill-grace", "DUR", "2s", SECTION_ACTING, "SIGKILL if still alive DUR later",
	 "SIGKILL a signalled process still alive _DUR_ later."},
	{OPT_DRY_RUN, "dry-run", NULL, NULL, SECTION_ACTING, "say what would be killed, kill nothing",
	 "With *--kill-after*: report what would be killed, kill nothing."},
	{OPT_EXEC, "exec", "PATH", NULL, SECTION_ACTING, "run PATH for each stall begin, end and kill (JSON on stdin)",
	 "Run the executable _PATH_ for every stall begin, stall end and kill (see HOOKS)."},
	{OPT_EXEC_TIMEOUT, "exec-timeout", "DUR", "10s", SECTION_ACTING, "kill a hook running longer",
	 "Kill a hook still running after _DUR_."},
	{OPT_METRICS, "metrics", "HOST:PORT", NULL, SECTION_ACTING, "serve Prometheus metrics at /metrics",
	 "Serve Prometheus metrics at http://_HOST_:_PORT_/metrics (see METRICS). *:*_PORT_ binds 127.0.0.1; an "
	 "IPv6 address goes in brackets."},
	{OPT_LOG, "log", "FILE", NULL, SECTION_ACTING, "append every record to FILE as JSON lines",
	 "Append every record to _FILE_ as JSON lines (see LOG AND SYSLOG)."},
	{OPT_LOG_MAX_SIZE, "log-max-size", "SIZE", "10M", SECTION_ACTING, "rotate FILE past SIZE (0: never)",
	 "Rotate _FILE_ when it reaches _SIZE_ (K, M, G suffixes; 0: never)."},
	{OPT_LOG_KEEP, "log-keep", "N", "5", SECTION_ACTING, "rotated files kept",
	 "Rotated files kept, _FILE_.1 (newest) to _FILE_._N_ (0 to 1000; 0: the full file is deleted and "
	 "started anew)."},
	{OPT_SYSLOG, "syslog", NULL, NULL, SECTION_ACTING, "one line per stall and kill to syslog",
	 "One structured line per stall begin, stall end, kill and loss to syslog (see LOG AND SYSLOG)."},

	{'i', "interval", "DUR", "1s", SECTION_TOP, "refresh every DUR", "*loopstall top*: refresh interval."},
	{OPT_BATCH, "batch", NULL, NULL, SECTION_TOP, "print plain-text snapshots (also when stdout is no terminal)",
	 "*loopstall top*: plain-text snapshots instead of the full screen (also when stdout is no terminal)."},
};

const int option_count = sizeof(option_specs) / sizeof(option_specs[0]);

const struct option_spec *option_spec(int key)
{
	for (int i = 0; i < option_count; i++)
		if (option_specs[i].key == key)
			return &option_specs[i];
	return NULL;
}

static const char usage_head[] =
	"Usage: loopstall [OPTIONS] [-p PID[,PID...]]... [-n PATTERN] [-- COMMAND [ARGS...]]\n"
	"       loopstall [OPTIONS] --container ID | --pod [NS/]NAME | --cgroup PATH\n"
	"       loopstall top [OPTIONS] [targets as above]\n"
	"       loopstall report [OPTIONS] [FILE...]   (loopstall report --help)\n"
	"Detects stalled event loops (threads that wait in epoll, poll, select or io_uring, or park in\n"
	"a runtime's own way) and says why they stall.\n";

static const char usage_tail[] =
	"\n"
	"DUR is a number with a unit: 250ms, 2s, 1.5s, 1m (also us, h).\n"
	"SIZE is bytes with an optional K, M or G suffix.\n"
	"Exit status: 0 done, 1 runtime error, 2 bad usage or target, 3 missing privileges,\n"
	"4 kernel unsupported (no BTF, BPF cannot load).\n";

static const char *const section_titles[SECTIONS] = {
	[SECTION_TARGETS] = "Targets (none: every event loop on the host):",
	[SECTION_GENERAL] = "Options:",
	[SECTION_ACTING] = "Acting on stalls:",
	[SECTION_TOP] = "loopstall top:",
};

#define HELP_COLUMN 26
#define HELP_WIDTH  92

/* text from column *col on, words wrapped at width, continued at indent (a tab when indent < 0). */
static void wrap(FILE *out, const char *text, int *col, int indent, int width)
{
	int start = indent < 0 ? 8 : indent;
	const char *p = text;

	while (*p) {
		int n = (int)strcspn(p, " ");

		if (*col > start && *col + 1 + n > width) {
			if (indent < 0)
				fputs("\n\t", out);
			else
				fprintf(out, "\n%*s", indent, "");
			*col = start;
		} else if (*col > start) {
			fputc(' ', out), (*col)++;
		}
		fwrite(p, 1, n, out);
		*col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
}

void options_help(FILE *out)
{
	char text[512];
	int n;

	fputs(usage_head, out);
	for (int s = 0; s < SECTIONS; s++) {
		fprintf(out, "\n%s\n", section_titles[s]);
		for (int i = 0; i < option_count; i++) {
			const struct option_spec *o = &option_specs[i];
			int col;

			if ((int)o->section != s)
				continue;
			if (o->key < 256)
				col = fprintf(out, "  -%c, --%s%s%s", o->key, o->name, o->arg ? " " : "",
					      o->arg ? o->arg : "");
			else
				col = fprintf(out, "      --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			if (col < HELP_COLUMN) {
				fprintf(out, "%*s", HELP_COLUMN - col, "");
				col = HELP_COLUMN;
			}
			/* "... (1 to 1048576; default 65536)", "... (default 1s)" */
			n = snprintf(text, sizeof(text), "%s", o->help);
			if (o->def && n > 0 && text[n - 1] == ')')
				snprintf(text + n - 1, sizeof(text) - n + 1, "; default %s)", o->def);
			else if (o->def)
				snprintf(text + n, sizeof(text) - n, " (default %s)", o->def);
			wrap(out, text, &col, HELP_COLUMN, HELP_WIDTH);
			fputc('\n', out);
		}
		if (s == SECTION_TARGETS)
			fprintf(out, "  -- COMMAND [ARGS...]%*sstart COMMAND and watch it\n", HELP_COLUMN - 22, "");
	}
	fputs(usage_tail, out);
}

void options_manual(FILE *out)
{
	for (int i = 0; i < option_count; i++) {
		const struct option_spec *o = &option_specs[i];
		int col = 8;

		if (!o->manual)
			continue;
		if (o->key < 256)
			fprintf(out, "*-%c, --%s*", o->key, o->name);
		else
			fprintf(out, "*--%s*", o->name);
		fprintf(out, "%s%s%s\n\t", o->arg ? " _" : "", o->arg ? o->arg : "", o->arg ? "_" : "");
		wrap(out, o->manual, &col, -1, 80);
		if (o->def) {
			char def[64];

			snprintf(def, sizeof(def), "Default: %s.", o->def);
			wrap(out, def, &col, -1, 80);
		}
		fputs("\n\n", out);
	}
}
