// SPDX-License-Identifier: GPL-2.0
/* loopstall report: read logs, filter, group by culprit, print a table, JSON lines, folded stacks or speedscope. */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/escape.h"
#include "record/record_read.h"
#include "report/culprits.h"
#include "report/log_lines.h"
#include "report/report.h"
#include "report/stack_export.h"

#define MAX_ROWS     10000
#define MAX_PID_LIST 256

enum { REPORT_OK = 0, REPORT_RUNTIME = 1, REPORT_USAGE = 2 }; /* as loopstall's exit codes (man page) */

struct report_opts {
	double since, until; /* 0: open */
	pid_t pids[MAX_PID_LIST];
	int npids;
	const char *comm;
	bool json, folded;
	const char *speedscope;
	int limit; /* rows shown, 0: all */
};

struct report_state {
	struct report_opts o;
	struct culprit_table *table;
	struct speedscope *ss;
	struct read_record *rr;
	unsigned long long lines, records, stalls, matched, skipped, not_exported;
	char first_bad[300];
	bool said_nomem;
};

/*
 * jansson's memory while a line is parsed: one arena, emptied for the next
 * line (nothing of a line's document lives on), malloc past it. Half of
 * the time of a log went to malloc and free before.
 */
#define ARENA_SIZE (64 << 20)
static char *arena;
static size_t arena_used;

static void *arena_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (arena && n <= ARENA_SIZE - arena_used) {
		arena_used += n;
		return arena + arena_used - n;
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if (!arena || (char *)p < arena || (char *)p >= arena + ARENA_SIZE)
		free(p);
}

/* The first bytes output_json writes for a begin record: its end record counts the stall. */
static const char begin_prefix[] = "{\"event\":\"stall\",\"phase\":\"begin\"";

static const char usage_text[] =
	"usage: loopstall report [OPTIONS] [FILE...]\n"
	"The culprits of the stalls in logs that --log wrote (rotated and gzip'd ones too; - for stdin),\n"
	"by total stall time.\n"
	"  --since WHEN          stalls that began at WHEN or later: 2026-12-01T15:00:00Z, 2026-12-01, or\n"
	"                        a duration ago (30m, 1h, 7d)\n"
	"  --until WHEN          stalls that began before WHEN\n"
	"  --pid PID[,PID]       stalls of these processes\n"
	"  --comm PATTERN        stalls of processes whose name matches PATTERN (a shell glob)\n"
	"  -n, --limit N         the first N culprits only\n"
	"  --json                the table as JSON lines\n"
	"  --folded              folded stacks weighted by stall milliseconds (flamegraph.pl, inferno, speedscope)\n"
	"  --speedscope FILE     write a speedscope file, one profile per process\n"
	"  -h, --help\n";

/* "2026-12-01T15:00:00Z", "2026-12-01T15:00:00", "2026-12-01 15:00", "2026-12-01" (UTC), or "7d", "1h" ago. */
static int parse_when(const char *s, double *out)
{
	static const char *const forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
					    "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	uint64_t ns;
	size_t i;
	char *end;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm = {0};
		const char *rest = strptime(s, forms[i], &tm);

		if (!rest)
			continue;
		if (*rest == '.') /* fractions of a second, ignored */
			for (rest++; *rest >= '0' && *rest <= '9'; rest++)
				;
		if (*rest == 'Z')
			rest++;
		if (*rest)
			continue;
		*out = (double)timegm(&tm);
		return 0;
	}
	/* days: "7d"; the rest as durations are written */
	if (s[0] >= '0' && s[0] <= '9') {
		unsigned long days = strtoul(s, &end, 10);

		if (end[0] == 'd' && !end[1] && days < 100000) {
			*out = (double)time(NULL) - days * 86400.0;
			return 0;
		}
	}
	if (duration_parse(s, &ns) == 0) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		*out = now.tv_sec + now.tv_nsec / 1e9 - ns / 1e9;
		return 0;
	}
	return -EINVAL;
}

static int parse_pids(struct report_opts *o, const char *arg)
{
	const char *p = arg;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v <= 0 || v > 0x3fffffff || (*end && *end != ','))
			return -EINVAL;
		if (o->npids == MAX_PID_LIST)
			return -E2BIG;
		o->pids[o->npids++] = (pid_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return -EINVAL;
	}
	return o->npids ? 0 : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct report_opts *o)
{
	enum { O_SINCE = 256, O_UNTIL, O_PID, O_COMM, O_JSON, O_FOLDED, O_SPEEDSCOPE };
	static const struct option longopts[] = {
		{"since", required_argument, NULL, O_SINCE},
		{"until", required_argument, NULL, O_UNTIL},
		{"pid", required_argument, NULL, O_PID},
		{"comm", required_argument, NULL, O_COMM},
		{"limit", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, O_JSON},
		{"folded", no_argument, NULL, O_FOLDED},
		{"speedscope", required_argument, NULL, O_SPEEDSCOPE},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char *end;
	int c;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SINCE:
		case O_UNTIL:
			if (parse_when(optarg, c == O_SINCE ? &o->since : &o->until)) {
				fprintf(stderr,
					"loopstall: report: %s: not a time (2026-12-01T15:00:00Z) or a duration ago "
					"(1h, 7d)\n",
					c == O_SINCE ? "--since" : "--until");
				return -EINVAL;
			}
			break;
		case O_PID:
			if (parse_pids(o, optarg)) {
				fprintf(stderr, "loopstall: report: --pid: not a list of PIDs\n");
				return -EINVAL;
			}
			break;
		case O_COMM: o->comm = optarg; break;
		case 'n':
			o->limit = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || o->limit <= 0) {
				fprintf(stderr, "loopstall: report: --limit: not a positive number\n");
				return -EINVAL;
			}
			break;
		case O_JSON: o->json = true; break;
		case O_FOLDED: o->folded = true; break;
		case O_SPEEDSCOPE: o->speedscope = optarg; break;
		case 'h': fputs(usage_text, stdout); return 1;
		case ':': fprintf(stderr, "loopstall: report: %s needs a value\n", argv[optind - 1]); return -EINVAL;
		default: fprintf(stderr, "loopstall: report: unknown option %s\n", argv[optind - 1]); return -EINVAL;
		}
	}
	if (o->json && o->folded) {
		fprintf(stderr, "loopstall: report: --json and --folded both write to stdout: one of them\n");
		return -EINVAL;
	}
	return 0;
}

static bool wanted(const struct report_opts *o, const struct read_record *rr)
{
	int i;

	if (o->since && rr->start < o->since)
		return false;
	if (o->until && rr->start >= o->until)
		return false;
	if (o->comm && fnmatch(o->comm, rr->rec.comm, 0) != 0)
		return false;
	if (!o->npids)
		return true;
	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == rr->rec.pid)
			return true;
	return false;
}

static void bad_line(struct report_state *st, const char *path, unsigned long long line, const char *why)
{
	if (!st->skipped++)
		snprintf(st->first_bad, sizeof(st->first_bad), "%s:%llu (%s)", path, line, why);
}

/* 0, or -ENOMEM (said), or -errno of the file (said). */
static int read_file(struct report_state *st, const char *path)
{
	struct log_lines *l;
	const char *line;
	unsigned long long n = 0;
	size_t len;
	int ret;

	ret = log_lines_open(path, &l);
	if (ret) {
		fprintf(stderr, "loopstall: report: cannot open %s: %s\n", path, strerror(-ret));
		return ret;
	}
	while ((ret = log_lines_next(l, &line, &len)) != 0) {
		n++;
		st->lines++;
		if (ret == -E2BIG) {
			bad_line(st, path, n, "longer than 4 MiB");
			continue;
		}
		if (ret == -EIO) {
			bad_line(st, path, n, "cannot be read on: truncated gzip?");
			break;
		}
		if (len == 0)
			continue;
		if (len > sizeof(begin_prefix) && !memcmp(line, begin_prefix, sizeof(begin_prefix) - 1)) {
			st->records++; /* not parsed: only end records count */
			continue;
		}
		arena_used = 0;
		ret = record_read_json(line, len, st->rr);
		if (ret < 0) {
			bad_line(st, path, n, "not a record: bad JSON or truncated");
			continue;
		}
		st->records++;
		if (ret == 0 || !st->rr->rec.ended)
			continue; /* a summary or kill; a begin (its end counts the stall) */
		if (st->rr->rec.exiting)
			continue; /* a shutdown, no stall of the application's */
		st->stalls++;
		if (!wanted(&st->o, st->rr))
			continue;
		st->matched++;
		if (culprit_table_add(st->table, &st->rr->rec, &st->rr->culprit, st->rr->start)) {
			log_lines_close(l);
			return -ENOMEM;
		}
		if (st->o.folded)
			folded_write(stdout, &st->rr->rec);
		if (st->ss) {
			ret = speedscope_add(st->ss, &st->rr->rec);
			if (ret == -ENOMEM) {
				log_lines_close(l);
				return ret;
			}
			if (ret)
				st->not_exported++;
		}
	}
	log_lines_close(l);
	return 0;
}

static void put_time(FILE *out, double t)
{
	time_t s = (time_t)t;
	struct tm tm;
	char buf[32];

	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs(buf, out);
}

static void put_ms(FILE *out, double ms, int width)
{
	char buf[32];

	duration_format((uint64_t)(ms * 1e6), buf, sizeof(buf));
	fprintf(out, "%-*s", width, buf);
}

static void put_culprit_text(FILE *out, const struct culprit_row *row)
{
	if (row->other) {
		fputs("(other culprits, past the table's 10000)", out);
		return;
	}
	if (!row->has_at) {
		fputs("(no stack)", out);
		return;
	}
	frame_put(out, &row->at, FRAME_SHORT | FRAME_TAGS, term_escape);
	if (row->holds_gil)
		fputs(" holding the GIL", out);
	if (row->via[0]) {
		fputs(" via ", out);
		term_escape(out, row->via);
	}
}

/* "2 gunicorn app:app,node server.js": how many processes, and their services (else names). */
static void put_processes_text(FILE *out, const struct culprit_row *row)
{
	char buf[160], esc[480];
	int i, n;

	n = snprintf(buf, sizeof(buf), "%d%s", row->npids, row->more_pids ? "+" : "");
	for (i = 0; i < row->nservices && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : " ", row->services[i]);
	for (i = 0; !row->nservices && i < row->ncomms && n < (int)sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : " ", row->comms[i]);
	escape_into(esc, sizeof(esc), term_escape, buf);
	fprintf(out, "  %-22s", esc);
}

static void print_table(const struct report_state *st, struct culprit_row **rows, size_t n)
{
	size_t i;

	printf("%-9s %-7s %-8s %-8s %-8s %-9s %-21s %-21s %-22s %s\n", "TOTAL", "STALLS", "P50", "P99", "MAX", "CAUSE",
	       "FIRST", "LAST", "PROCESSES", "CULPRIT");
	for (i = 0; i < n; i++) {
		const struct culprit_row *row = rows[i];
		const char *hint = culprit_row_hint(row, NULL);

		put_ms(stdout, row->total_ms, 10);
		printf("%-7llu ", (unsigned long long)row->count);
		put_ms(stdout, culprit_row_quantile(row, 0.5), 9);
		put_ms(stdout, culprit_row_quantile(row, 0.99), 9);
		put_ms(stdout, row->max_ms, 9);
		printf("%-9s ", stall_cause_name(culprit_row_cause(row)));
		put_time(stdout, row->first);
		fputs("  ", stdout);
		put_time(stdout, row->last);
		put_processes_text(stdout, row);
		fputc(' ', stdout);
		put_culprit_text(stdout, row);
		fputc('\n', stdout);
		if (hint) {
			fputs("          hint: ", stdout);
			term_escape(stdout, hint);
			fputc('\n', stdout);
		}
	}
	printf("%llu stall%s of %llu in %llu records, %zu culprit%s\n", st->matched, st->matched == 1 ? "" : "s",
	       st->stalls, st->records, n, n == 1 ? "" : "s");
}

static void put_json_string(FILE *out, const char *key, const char *value)
{
	fprintf(out, ",\"%s\":\"", key);
	json_escape(out, value);
	fputc('"', out);
}

static void put_json_time(FILE *out, const char *key, double t)
{
	fprintf(out, ",\"%s\":\"", key);
	put_time(out, t);
	fputc('"', out);
}

static void print_json(const struct report_state *st, struct culprit_row **rows, size_t n)
{
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		const struct culprit_row *row = rows[i];
		const struct hint_rule *rule;
		const char *hint = culprit_row_hint(row, &rule);

		fprintf(stdout, "{\"event\":\"culprit\",\"rank\":%zu", i + 1);
		if (row->has_at) {
			const struct stall_frame *f = &row->at;

			fprintf(stdout, ",\"culprit\":{\"kind\":\"%s\"", frame_kind_name(f->kind));
			put_json_string(stdout, "function", f->function);
			if (f->file[0])
				put_json_string(stdout, "file", f->file);
			if (f->line)
				fprintf(stdout, ",\"line\":%d", f->line);
			if (f->module[0])
				put_json_string(stdout, "module", f->module);
			fputc('}', stdout);
		}
		if (row->holds_gil)
			fputs(",\"holds_gil\":true", stdout);
		if (row->other)
			fputs(",\"other\":true", stdout);
		if (row->via[0])
			put_json_string(stdout, "via", row->via);
		fprintf(stdout, ",\"stalls\":%llu,\"total_ms\":%.3f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f",
			(unsigned long long)row->count, row->total_ms, culprit_row_quantile(row, 0.5),
			culprit_row_quantile(row, 0.99), row->max_ms);
		fprintf(stdout, ",\"cause\":\"%s\"", stall_cause_name(culprit_row_cause(row)));
		put_json_time(stdout, "first", row->first);
		put_json_time(stdout, "last", row->last);
		fputs(",\"pids\":[", stdout);
		for (j = 0; j < row->npids; j++)
			fprintf(stdout, j ? ",%d" : "%d", row->pids[j]);
		fprintf(stdout, "],\"more_pids\":%s,\"comms\":[", row->more_pids ? "true" : "false");
		for (j = 0; j < row->ncomms; j++) {
			fputs(j ? ",\"" : "\"", stdout);
			json_escape(stdout, row->comms[j]);
			fputc('"', stdout);
		}
		fputs("],\"services\":[", stdout);
		for (j = 0; j < row->nservices; j++) {
			fputs(j ? ",\"" : "\"", stdout);
			json_escape(stdout, row->services[j]);
			fputc('"', stdout);
		}
		fputc(']', stdout);
		if (hint) {
			fprintf(stdout, ",\"hint\":{\"id\":\"%s\"", rule->id);
			put_json_string(stdout, "text", hint);
			if (rule->link)
				put_json_string(stdout, "link", rule->link);
			fputc('}', stdout);
		}
		fputs("}\n", stdout);
	}
	printf("{\"event\":\"report\",\"stalls\":%llu,\"stalls_read\":%llu,\"records\":%llu,\"lines\":%llu,"
	       "\"lines_skipped\":%llu,\"culprits\":%zu}\n",
	       st->matched, st->stalls, st->records, st->lines, st->skipped, n);
}

static int write_speedscope(struct report_state *st)
{
	FILE *f = fopen(st->o.speedscope, "we");
	int ret;

	if (!f) {
		fprintf(stderr, "loopstall: report: cannot write %s: %s\n", st->o.speedscope, strerror(errno));
		return -errno;
	}
	ret = speedscope_write(st->ss, f, "loopstall report");
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret)
		fprintf(stderr, "loopstall: report: cannot write %s: %s\n", st->o.speedscope, strerror(-ret));
	return ret;
}

int report_main(int argc, char **argv)
{
	struct report_state st = {0};
	struct culprit_row **rows;
	size_t n;
	int i, ret, code = REPORT_OK;

	ret = parse_opts(argc, argv, &st.o);
	if (ret)
		return ret > 0 ? REPORT_OK : REPORT_USAGE;
	if (optind == argc && isatty(STDIN_FILENO)) {
		fprintf(stderr, "loopstall: report: which logs? loopstall report FILE... (- for stdin)\n");
		return REPORT_USAGE;
	}
	arena = malloc(ARENA_SIZE);
	json_set_alloc_funcs(arena_alloc, arena_free);
	st.table = culprit_table_new(MAX_ROWS);
	st.rr = calloc(1, sizeof(*st.rr));
	st.ss = st.o.speedscope ? speedscope_new() : NULL;
	if (!st.table || !st.rr || (st.o.speedscope && !st.ss)) {
		fprintf(stderr, "loopstall: out of memory\n");
		code = REPORT_RUNTIME;
		goto out;
	}
	for (i = optind; i < argc || (i == optind && optind == argc); i++) {
		ret = read_file(&st, i < argc ? argv[i] : "-");
		if (ret == -ENOMEM) {
			fprintf(stderr, "loopstall: out of memory\n");
			code = REPORT_RUNTIME;
			goto out;
		}
		if (ret) {
			code = REPORT_USAGE;
			goto out;
		}
	}
	rows = culprit_table_sorted(st.table, &n);
	if (st.o.limit && (size_t)st.o.limit < n)
		n = st.o.limit;
	if (st.o.json)
		print_json(&st, rows, n);
	else if (!st.o.folded)
		print_table(&st, rows, n);
	if (fflush(stdout)) {
		code = REPORT_RUNTIME;
		goto out;
	}
	if (st.skipped)
		fprintf(stderr, "loopstall: report: %llu line%s skipped, not stall records; the first: %s\n",
			st.skipped, st.skipped == 1 ? "" : "s", st.first_bad);
	if (st.not_exported)
		fprintf(stderr, "loopstall: report: %llu stalls left out of %s: too many distinct frames or stacks\n",
			st.not_exported, st.o.speedscope);
	if (st.ss && write_speedscope(&st))
		code = REPORT_RUNTIME;
out:
	speedscope_free(st.ss);
	culprit_table_free(st.table);
	free(st.rr);
	json_set_alloc_funcs(malloc, free);
	free(arena);
	arena = NULL;
	return code;
}
