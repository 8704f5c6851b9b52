// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/proc.h"
#include "symbols/jit_map.h"
#include "symbols/perf_map.h"
#include "run_suite.h"

static char path[] = "/tmp/loopstall-perfmap-XXXXXX";

static void write_map(const char *text, size_t len)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fwrite(text, 1, len, f);
	fclose(f);
}

static struct perf_map *load(const char *text)
{
	struct perf_map *m = NULL;

	strcpy(path, "/tmp/loopstall-perfmap-XXXXXX");
	write_map(text, strlen(text));
	ck_assert_int_eq(perf_map_load(path, &m), 0);
	unlink(path);
	return m;
}

START_TEST(finds_symbols)
{
	struct perf_map *m = load("3f00 10 LazyCompile:*handler /app/server.js:12\n"
				  "1000 20 Builtin:ArgumentsAdaptorTrampoline\n"
				  "0x2000 8 JS:~readSlowly file:///app/x.mjs:3:10\n");

	ck_assert_uint_eq(perf_map_size(m), 3);
	ck_assert_str_eq(perf_map_lookup(m, 0x3f00), "LazyCompile:*handler /app/server.js:12");
	ck_assert_str_eq(perf_map_lookup(m, 0x3f0f), "LazyCompile:*handler /app/server.js:12");
	ck_assert_ptr_null(perf_map_lookup(m, 0x3f10));
	ck_assert_str_eq(perf_map_lookup(m, 0x1010), "Builtin:ArgumentsAdaptorTrampoline");
	ck_assert_str_eq(perf_map_lookup(m, 0x2004), "JS:~readSlowly file:///app/x.mjs:3:10");
	ck_assert_ptr_null(perf_map_lookup(m, 0xfff));
	ck_assert_ptr_null(perf_map_lookup(m, 0x2008));
	perf_map_free(m);
}
END_TEST

START_TEST(skips_garbage)
{
	struct perf_map *m = load("not a line\n"
				  "zz 10 name\n"
				  "10 0 zero-size\n"
				  "10 10\n"
				  "ffffffffffffffff 10 wraps\n"
				  "\n"
				  "\x01\x02\x03 garbage\n"
				  "40 10 good\n"
				  "50 10 no newline at end");

	ck_assert_uint_eq(perf_map_size(m), 2);
	ck_assert_str_eq(perf_map_lookup(m, 0x45), "good");
	ck_assert_str_eq(perf_map_lookup(m, 0x55), "no newline at end");
	perf_map_free(m);
}
END_TEST

START_TEST(cuts_long_lines_and_names)
{
	const size_t long_line = 100000, long_name = 3000;
	char *text = malloc(long_line + long_name + 16), *p = text;
	struct perf_map *m;
	const char *name;

	/* A 100 KB line (skipped whole, symbol and all), then a symbol with a 3000-byte name (cut). */
	p += sprintf(p, "10 10 ");
	memset(p, 'a', long_line - 7);
	p += long_line - 7;
	*p++ = '\n';
	p += sprintf(p, "80 10 ");
	memset(p, 'b', long_name);
	p += long_name;
	strcpy(p, "\n");
	m = load(text);
	ck_assert_ptr_null(perf_map_lookup(m, 0x15));
	name = perf_map_lookup(m, 0x85);
	ck_assert_ptr_nonnull(name);
	ck_assert_uint_eq(strlen(name), 127);
	ck_assert_int_eq(name[0], 'b');
	perf_map_free(m);
	free(text);
}
END_TEST

START_TEST(many_symbols)
{
	size_t count = 200000, i;
	char *text = malloc(count * 32), *p = text;
	struct perf_map *m;

	for (i = 0; i < count; i++)
		p += sprintf(p, "%zx %x fn%zu\n", 0x100000 + i * 0x40, 0x40, i);
	m = load(text);
	ck_assert_uint_eq(perf_map_size(m), count);
	ck_assert_str_eq(perf_map_lookup(m, 0x100000 + 12345 * 0x40 + 3), "fn12345");
	perf_map_free(m);
	free(text);
}
END_TEST

START_TEST(missing_file)
{
	struct perf_map *m = NULL;

	ck_assert_int_eq(perf_map_load("/nonexistent/perf-1.map", &m), -ENOENT);
}
END_TEST

/* A map at /tmp/perf-PID.map for this process, as a JIT writes one. */
static void write_own_map(const char *at)
{
	FILE *f = fopen(at, "w");

	ck_assert_ptr_nonnull(f);
	fputs("1000 10 JS:~f\n", f);
	fclose(f);
}

START_TEST(finds_only_the_process_own_map)
{
	pid_t pid = getpid();
	time_t started = proc_start_time(pid), hour_ago = time(NULL) - 3600;
	struct timeval old[2] = {{hour_ago, 0}, {hour_ago, 0}};
	char mine[64], other[64];
	struct stat st;
	int fd;

	ck_assert(started > 0 && started <= time(NULL));
	snprintf(mine, sizeof(mine), "/tmp/perf-%d.map", pid);
	snprintf(other, sizeof(other), "/tmp/perf-%d.map.target", pid);
	write_own_map(mine);
	fd = perf_map_open(pid, started, &st);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_eq(st.st_size, 14);
	close(fd);
	/* Older than the process: left by an earlier one with the same PID. */
	ck_assert_int_eq(utimes(mine, old), 0);
	ck_assert_int_eq(perf_map_open(pid, started, &st), -EPERM);
	/* Fresh, but another user's. */
	write_own_map(mine);
	ck_assert_int_eq(chown(mine, 65534, 65534), 0);
	ck_assert_int_eq(perf_map_open(pid, started, &st), -EPERM);
	/* A symlink, even to a good map. */
	unlink(mine);
	write_own_map(other);
	ck_assert_int_eq(symlink(other, mine), 0);
	ck_assert_int_eq(perf_map_open(pid, started, &st), -EPERM);
	unlink(mine);
	unlink(other);
}
END_TEST

/* A JIT reuses code space: of the lines starting at one address, the last one names it. */
START_TEST(later_lines_win_ties)
{
	char *text = malloc(64 * 5000);
	size_t len = 0;
	struct perf_map *m;
	int i;

	/* Enough lines for a sort that is not stable to reorder them. */
	for (i = 0; i < 5000; i++)
		len += sprintf(text + len, "%x 10 v%d\n", 0x1000 + (i % 7) * 0x100, i);
	m = load(text);
	ck_assert_str_eq(perf_map_lookup(m, 0x1000), "v4998");
	ck_assert_str_eq(perf_map_lookup(m, 0x1605), "v4997");
	perf_map_free(m);
	free(text);
}
END_TEST

START_TEST(empty_and_all_garbage_maps)
{
	struct perf_map *m = load("");

	ck_assert_uint_eq(perf_map_size(m), 0);
	ck_assert_ptr_null(perf_map_lookup(m, 0x1000));
	perf_map_free(m);
	m = load("nothing here\n\n zz zz\n");
	ck_assert_uint_eq(perf_map_size(m), 0);
	ck_assert_ptr_null(perf_map_lookup(m, 0));
	perf_map_free(m);
}
END_TEST

/* Past the bounds, a map is refused whole, at once, whatever it holds. */
START_TEST(huge_maps_are_refused)
{
	struct perf_map *m = NULL;
	char *text;
	size_t len = 0;
	int fd, i;

	strcpy(path, "/tmp/loopstall-perfmap-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_eq(ftruncate(fd, 300ULL << 20), 0); /* 300 MiB of nothing, sparse */
	close(fd);
	ck_assert_int_eq(perf_map_load(path, &m), -EFBIG);
	ck_assert_ptr_null(m);
	unlink(path);
	/* Small lines, too many of them. */
	text = malloc(12 * (PERF_MAP_MAX_SYMBOLS + 10));
	for (i = 0; i < (int)PERF_MAP_MAX_SYMBOLS + 10; i++)
		len += sprintf(text + len, "%x 1 f\n", i);
	ck_assert_uint_le(len, PERF_MAP_MAX_BYTES);
	strcpy(path, "/tmp/loopstall-perfmap-XXXXXX");
	write_map(text, len);
	ck_assert_int_eq(perf_map_load(path, &m), -E2BIG);
	unlink(path);
	free(text);
}
END_TEST

static volatile int swapping;

/* Renames a foreign-owned map and a good one over the process's map, over and over. */
static void *swap_maps(void *arg)
{
	const char *const *names = arg;

	while (swapping) {
		link(names[1], names[3]);
		rename(names[3], names[0]);
		link(names[2], names[3]);
		rename(names[3], names[0]);
	}
	return NULL;
}

/*
 * The checks apply to the file that is read: a map swapped between a check
 * on its path and the open (another user's, renamed over it) is never read.
 */
START_TEST(checks_the_file_it_reads)
{
	pid_t pid = getpid();
	time_t started = proc_start_time(pid);
	char mine[64], bad[64], good[64], tmp[64];
	const char *names[] = {mine, bad, good, tmp};
	pthread_t swapper;
	int i, fd, loaded = 0;
	struct stat st;

	snprintf(mine, sizeof(mine), "/tmp/perf-%d.map", pid);
	snprintf(bad, sizeof(bad), "/tmp/perf-%d.map.bad", pid);
	snprintf(good, sizeof(good), "/tmp/perf-%d.map.good", pid);
	snprintf(tmp, sizeof(tmp), "/tmp/perf-%d.map.tmp", pid);
	write_own_map(good);
	write_own_map(bad);
	ck_assert_int_eq(chown(bad, 65534, 65534), 0);
	ck_assert_int_eq(truncate(bad, 0), 0);
	fd = open(bad, O_WRONLY);
	ck_assert_int_eq(write(fd, "1000 10 JS:~forged\n", 19), 19);
	close(fd);
	swapping = 1;
	ck_assert_int_eq(pthread_create(&swapper, NULL, swap_maps, names), 0);
	for (i = 0; i < 20000; i++) {
		struct perf_map *m = NULL;

		fd = perf_map_open(pid, started, &st);
		if (fd < 0)
			continue;
		ck_assert_int_eq(perf_map_read(fd, &m), 0);
		close(fd);
		ck_assert_str_eq(perf_map_lookup(m, 0x1000), "JS:~f");
		loaded++;
		perf_map_free(m);
	}
	swapping = 0;
	pthread_join(swapper, NULL);
	ck_assert_int_gt(loaded, 0);
	unlink(mine);
	unlink(bad);
	unlink(good);
	unlink(tmp);
}
END_TEST

/* A JIT's signature cut to its function; anything else as it is. */
START_TEST(short_names)
{
	static const char *const cases[][2] = {
		{"void Slow.handle(int)", "Slow.handle"},
		{"long java.lang.Thread.sleep(long)", "java.lang.Thread.sleep"},
		{"void shop.Handler$1.run()", "shop.Handler$1.run"},
		{"[OptimizedTier1] Shop.Cart::Add(int)", "Shop.Cart::Add"},
		{"StubRoutines (1)", "StubRoutines (1)"},
		{"Interpreter", "Interpreter"},
		{"LazyCompile:*handler /app/server.js:12", "LazyCompile:*handler /app/server.js:12"},
		{"(weird", "(weird"},
	};
	char name[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "%s", cases[i][0]);
		jit_short_name(name);
		ck_assert_str_eq(name, cases[i][1]);
	}
}
END_TEST

/* The JIT writes line to this process's map (mode "w": a new snapshot, "a": more), later than the last read. */
static void jit_writes(const char *path, const char *mode, const char *line, bool later)
{
	FILE *f = fopen(path, mode);

	ck_assert_ptr_nonnull(f);
	fputs(line, f);
	fclose(f);
	if (later) {
		sleep(1);
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
	}
}

/* This process's own map, read when asked and again once it has changed (at most once a second). */
START_TEST(jit_map_reads_the_process_map_when_it_grows)
{
	char own[64], name[64];
	struct jit_map *m;

	snprintf(own, sizeof(own), "/tmp/perf-%d.map", getpid());
	jit_writes(own, "w", "0x1000 0x100 void App.first()\n", false);
	m = jit_map_new(getpid());
	ck_assert_int_eq(jit_map_name(m, 0x1010, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "void App.first()");
	ck_assert_int_eq(jit_map_name(m, 0x2010, name, sizeof(name)), -ENOENT);
	ck_assert_int_eq(jit_map_refused(m), 0);
	/* The JIT wrote more; the map is read again after a second, not on every miss. */
	jit_writes(own, "a", "0x2000 0x100 void App.second()\n", true);
	ck_assert_int_eq(jit_map_name(m, 0x2010, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "void App.second()");
	/* A new snapshot over it (a JVM's, smaller): its names, not the old ones. */
	jit_writes(own, "w", "0x2000 0x100 void App.moved()\n", true);
	ck_assert_int_eq(jit_map_name(m, 0x2010, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "void App.moved()");
	ck_assert_int_eq(jit_map_name(m, 0x1010, name, sizeof(name)), -ENOENT);
	jit_map_free(m);
	unlink(own);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {finds_symbols,
				skips_garbage,
				cuts_long_lines_and_names,
				many_symbols,
				missing_file,
				finds_only_the_process_own_map,
				later_lines_win_ties,
				empty_and_all_garbage_maps,
				checks_the_file_it_reads,
				huge_maps_are_refused,
				short_names,
				jit_map_reads_the_process_map_when_it_grows};

	return run_tests("perf_map", tests, sizeof(tests) / sizeof(tests[0]));
}
