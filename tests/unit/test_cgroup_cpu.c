// SPDX-License-Identifier: GPL-2.0
/* Throttled time from /proc/PID/cgroup and cpu.stat, v1 and v2, on files made here. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/cgroup_cpu.h"
#include "run_suite.h"

static char root[] = "/tmp/loopstall-cgroup-XXXXXX";

static void write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void make_dirs(const char *rel)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	ck_assert_int_eq(system(cmd), 0);
}

static void remove_root(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* The throttled time of the cgroup a /proc/PID/cgroup file names, found as a stall's begin finds it, and
 * read again as its end reads it. */
static int throttled_ns(const char *cgroup_file, const char *sysfs, uint64_t *ns)
{
	struct cgroup_throttle t;
	uint64_t found;
	int r = cgroup_throttle_find_at(cgroup_file, sysfs, &t, &found);

	if (r)
		return r;
	ck_assert_int_eq(cgroup_throttle_read(&t, ns), 0);
	ck_assert_uint_eq(*ns, found);
	return 0;
}

START_TEST(v1_cpu_controller_in_any_order)
{
	char file[512];
	uint64_t ns = 0;

	ck_assert_ptr_nonnull(mkdtemp(root));
	make_dirs("cpu/kubepods/pod1");
	write_file("cpu/kubepods/pod1/cpu.stat", "nr_periods 10\nnr_throttled 3\nthrottled_time 715000000\n");
	write_file("cgroup", "12:memory:/kubepods/pod1\n4:cpuacct,cpu:/kubepods/pod1\n0::/\n");
	snprintf(file, sizeof(file), "%s/cgroup", root);
	ck_assert_int_eq(throttled_ns(file, root, &ns), 0);
	ck_assert_uint_eq(ns, 715000000);
	/* "cpuset" is not "cpu". */
	write_file("cgroup", "3:cpuset:/kubepods/pod1\n");
	ck_assert_int_eq(throttled_ns(file, root, &ns), -ENOENT);
	remove_root();
}
END_TEST

START_TEST(v2_unified)
{
	char file[512];
	uint64_t ns = 0;

	ck_assert_ptr_nonnull(mkdtemp(root));
	make_dirs("app.slice");
	write_file("app.slice/cpu.stat", "usage_usec 100\nthrottled_usec 2500\n");
	write_file("cgroup", "0::/app.slice\n");
	snprintf(file, sizeof(file), "%s/cgroup", root);
	ck_assert_int_eq(throttled_ns(file, root, &ns), 0);
	ck_assert_uint_eq(ns, 2500000);
	write_file("cgroup", "garbage without colons\n::\n");
	ck_assert_int_lt(throttled_ns(file, root, &ns), 0);
	remove_root();
}
END_TEST

int main(void)
{
	const TTest *tests[] = {v1_cpu_controller_in_any_order, v2_unified};

	return run_tests("cgroup_cpu", tests, sizeof(tests) / sizeof(tests[0]));
}
