// SPDX-License-Identifier: GPL-2.0
/*
 * Finding targets in /proc. Linked with realloc and free wrapped
 * (-Wl,--wrap, see the Makefile), so a failing realloc can be made and the
 * blocks it leaves counted.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/targets.h"
#include "run_suite.h"

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static int tracking;	 /* only the calls under test: Check itself may be linked in statically */
static int fail_at = -1; /* the realloc call that fails, counting from 0; -1: none */
static int calls;
static void *live[64]; /* blocks from realloc not freed yet */

static void forget(void *p)
{
	for (int i = 0; p && i < 64; i++)
		if (live[i] == p)
			live[i] = NULL;
}

void *__wrap_realloc(void *p, size_t n)
{
	void *q;

	if (!tracking)
		return __real_realloc(p, n);
	if (calls++ == fail_at)
		return NULL;
	q = __real_realloc(p, n);
	if (q) {
		forget(p);
		for (int i = 0; i < 64; i++)
			if (!live[i]) {
				live[i] = q;
				break;
			}
	}
	return q;
}

void __wrap_free(void *p)
{
	if (tracking)
		forget(p);
	__real_free(p);
}

static int leaked(void)
{
	int n = 0;

	for (int i = 0; i < 64; i++)
		n += live[i] != NULL;
	return n;
}

static void count(void *ctx, pid_t pid)
{
	(void)pid;
	++*(int *)ctx;
}

START_TEST(descendants_of_init)
{
	int n = 0;

	tracking = 1;
	ck_assert_int_eq(target_for_each_descendant(1, count, &n), 0);
	tracking = 0;
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(leaked(), 0);
}
END_TEST

/* Out of memory while listing processes: -ENOMEM, and nothing left behind. */
START_TEST(failed_realloc_leaks_nothing)
{
	int n = 0, at;

	/* The first realloc of each of the two arrays, and a later growth (over 512 processes here). */
	for (at = 0; at < 2; at++) {
		calls = 0;
		fail_at = at;
		tracking = 1;
		ck_assert_int_eq(target_for_each_descendant(1, count, &n), -ENOMEM);
		tracking = 0;
		ck_assert_int_eq(leaked(), 0);
	}
	fail_at = -1;
}
END_TEST

START_TEST(exists)
{
	ck_assert(target_exists(getpid()));
	ck_assert(!target_exists(0));
	ck_assert(!target_exists(-5));
}
END_TEST

static bool in(const char *text, const char *cgroup)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s", text);
	return target_in_cgroup_text(buf, strlen(buf), cgroup);
}

/* --cgroup: as a cgroup path in any hierarchy, or as its directory under /sys/fs/cgroup. */
START_TEST(in_cgroup)
{
	const char *hybrid = "4:memory:/kubepods/burstable/podU/C\n3:cpu,cpuacct:/kubepods/burstable/podU/C\n"
			     "1:name=systemd:/system.slice/api.service\n0::/app.slice/web.service\n";

	ck_assert(in(hybrid, "/kubepods/burstable/podU"));
	ck_assert(in(hybrid, "/kubepods/burstable/podU/C/"));
	ck_assert(!in(hybrid, "/kubepods/burstable/pod")); /* whole components */
	ck_assert(in(hybrid, "/sys/fs/cgroup/memory/kubepods"));
	ck_assert(in(hybrid, "/sys/fs/cgroup/cpu,cpuacct/kubepods/burstable"));
	ck_assert(!in(hybrid, "/sys/fs/cgroup/pids/kubepods"));
	ck_assert(in(hybrid, "/sys/fs/cgroup/systemd/system.slice/api.service"));
	ck_assert(in(hybrid, "/sys/fs/cgroup/unified/app.slice"));
	ck_assert(in("0::/app.slice/web.service\n", "/sys/fs/cgroup/app.slice")); /* a unified host */
	ck_assert(!in(hybrid, "/sys/fs/cgroup/unified/system.slice"));
	ck_assert(!in("garbage\n", "/"));
}
END_TEST

START_TEST(in_container_or_pod)
{
	struct container_info c;
	struct container_target by_id = {.container = "3f4e"}, by_name = {.container = "ap"},
				by_pod = {.pod = "shop/web-1"}, by_name_only = {.pod = "web-1"},
				other_ns = {.pod = "sho/web-1"}, unit = {.container = "nginx.service"};

	memset(&c, 0, sizeof(c));
	ck_assert(!target_in_container(&c, &by_id));
	ck_assert(!target_in_container(&c, &by_pod));
	strcpy(c.runtime, "containerd");
	strcpy(c.id, "3f4e5d6c7b8a");
	strcpy(c.name, "app");
	strcpy(c.namespace, "shop");
	strcpy(c.pod, "web-1");
	ck_assert(target_in_container(&c, &by_id));
	ck_assert(target_in_container(&c, &by_name));
	ck_assert(target_in_container(&c, &by_pod));
	ck_assert(target_in_container(&c, &by_name_only));
	ck_assert(!target_in_container(&c, &other_ns));
	ck_assert(!target_in_container(&c, &unit));
	strcpy(c.runtime, "systemd");
	strcpy(c.id, "nginx.service");
	ck_assert(target_in_container(&c, &unit));
}
END_TEST

int main(void)
{
	const TTest *tests[] = {descendants_of_init, failed_realloc_leaks_nothing, exists, in_cgroup,
				in_container_or_pod};

	return run_tests("targets", tests, sizeof(tests) / sizeof(tests[0]));
}
