// SPDX-License-Identifier: GPL-2.0
/* The /proc layer: parsing maps, comparing them, opening a mapped file as the target sees it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/proc.h"
#include "run_suite.h"

static const char MAPS[] =
	"00400000-00423000 r--p 00000000 08:01 1316                       /usr/bin/python3.11\n"
	"00423000-0067b000 r-xp 00023000 08:01 1316                       /usr/bin/python3.11\n"
	"01a0e000-01b2a000 rw-p 00000000 00:00 0                          [heap]\n"
	"this line is garbage\n"
	"7f1c3c000000-7f1c3c021000 rw-p 00000000 00:00 0 \n"
	"7f1c40000000-7f1c40100000 r-xp 00000000 fd:00 77                 /tmp/x/lib with space.so (deleted)\n"
	"7ffd0c5e5000-7ffd0c5e7000 r-xp 00000000 00:00 0                  [vdso]";

START_TEST(parses_maps)
{
	struct proc_maps *m;

	ck_assert_int_eq(proc_maps_parse(MAPS, strlen(MAPS), &m), 0);
	ck_assert_int_eq(m->n, 6);
	ck_assert_str_eq(m->v[0].path, "/usr/bin/python3.11");
	ck_assert_uint_eq(m->v[1].start, 0x423000);
	ck_assert_uint_eq(m->v[1].offset, 0x23000);
	ck_assert_uint_eq(m->v[1].inode, 1316);
	ck_assert_uint_eq(m->v[1].dev_major, 8);
	ck_assert_str_eq(m->v[1].perms, "r-xp");
	ck_assert_str_eq(m->v[2].path, "[heap]");
	ck_assert_str_eq(m->v[3].path, "");
	ck_assert_str_eq(m->v[4].path, "/tmp/x/lib with space.so");
	ck_assert(m->v[4].deleted);
	ck_assert_uint_eq(m->v[4].dev_major, 0xfd);
	ck_assert_str_eq(m->v[5].path, "[vdso]");
	ck_assert_ptr_eq(proc_maps_find(m, "/usr/bin/python3.11"), &m->v[0]);
	ck_assert_ptr_null(proc_maps_find(m, "/usr/bin/python3"));
	proc_maps_free(m);
}
END_TEST

/* The heap and anonymous mappings move all the time; only mapped files count. */
START_TEST(same_mapped_files)
{
	static const char grown_heap[] =
		"00400000-00423000 r--p 00000000 08:01 1316 /usr/bin/python3.11\n"
		"01a0e000-01f00000 rw-p 00000000 00:00 0 [heap]\n";
	static const char small_heap[] =
		"00400000-00423000 r--p 00000000 08:01 1316 /usr/bin/python3.11\n"
		"01a0e000-01b2a000 rw-p 00000000 00:00 0 [heap]\n";
	static const char new_lib[] =
		"00400000-00423000 r--p 00000000 08:01 1316 /usr/bin/python3.11\n"
		"7f00000000-7f00001000 r-xp 00000000 08:01 99 /usr/lib/python3.11/lib-dynload/_json.so\n";
	struct proc_maps *a, *b, *c;

	ck_assert_int_eq(proc_maps_parse(grown_heap, strlen(grown_heap), &a), 0);
	ck_assert_int_eq(proc_maps_parse(small_heap, strlen(small_heap), &b), 0);
	ck_assert_int_eq(proc_maps_parse(new_lib, strlen(new_lib), &c), 0);
	ck_assert(proc_maps_same(a, b));
	ck_assert(!proc_maps_same(a, c));
	ck_assert(!proc_maps_same(c, b));
	proc_maps_free(a);
	proc_maps_free(b);
	proc_maps_free(c);
}
END_TEST

/* Empty, NUL bytes, a line with no end, lines of nothing but digits: no crash, no bogus entry. */
START_TEST(hostile_maps)
{
	static const char nul[] = "00400000-00423000 r--p 00000000 08:01 1316 /a\0b\n1-0 r--p 0 0:0 0 /reversed\n";
	struct proc_maps *m;

	ck_assert_int_eq(proc_maps_parse("", 0, &m), 0);
	ck_assert_int_eq(m->n, 0);
	proc_maps_free(m);
	ck_assert_int_eq(proc_maps_parse(nul, sizeof(nul) - 1, &m), 0);
	ck_assert_int_eq(m->n, 1);
	ck_assert_str_eq(m->v[0].path, "/a");
	proc_maps_free(m);
	ck_assert_int_eq(proc_maps_parse("1-2 r 3 4:5 6", 13, &m), 0);
	proc_maps_free(m);
}
END_TEST

/*
 * A mapped file whose path now names another file (renamed over it) is
 * opened through map_files, never by the path: the inode is checked.
 */
START_TEST(opens_the_mapped_inode_not_the_path)
{
	struct proc_maps *m;
	struct proc_mapping fake;
	const struct proc_mapping *exe = NULL;
	char self[PATH_MAX], opened[PATH_MAX + 64], other[] = "/tmp/loopstall-test-proc-XXXXXX";
	struct stat st;
	ssize_t n;
	int fd, i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = 0;
	ck_assert_int_eq(proc_maps_read(getpid(), &m), 0);
	for (i = 0; i < m->n && !exe; i++)
		if (strcmp(m->v[i].path, self) == 0)
			exe = &m->v[i];
	ck_assert_ptr_nonnull(exe);
	/* As mapped: through /proc/PID/root, the same inode. */
	fd = proc_open_mapped(getpid(), exe, opened, sizeof(opened));
	ck_assert_int_ge(fd, 0);
	ck_assert(strstr(opened, "/root/"));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_ino, exe->inode);
	close(fd);
	/* The path now holds another file. */
	fd = mkstemp(other);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fake = *exe;
	fake.path = other;
	fd = proc_open_mapped(getpid(), &fake, opened, sizeof(opened));
	ck_assert_int_ge(fd, 0);
	ck_assert(strstr(opened, "/map_files/"));
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_ino, exe->inode);
	close(fd);
	unlink(other);
	proc_maps_free(m);
}
END_TEST

START_TEST(exe_and_start_time)
{
	struct proc_stat st, again;
	char exe[256];

	ck_assert_int_eq(proc_stat_read(getpid(), &st), 0);
	ck_assert_int_eq(st.state, 'R');
	ck_assert_int_eq(st.ppid, getppid());
	ck_assert_int_eq(proc_stat_read(getppid(), &again), 0);
	ck_assert(again.start <= st.start);
	ck_assert(proc_alive(getpid(), st.start));
	ck_assert(!proc_alive(getpid(), st.start + 1)); /* another process with this PID */
	ck_assert(proc_alive(getpid(), 0));
	ck_assert_int_eq(proc_stat_read(-1, &st), -ESRCH);

	ck_assert_int_eq(proc_exe_name(getpid(), exe, sizeof(exe)), 0);
	ck_assert_str_eq(exe, "test_proc");
	ck_assert(proc_start_time(getpid()) > 0);
	ck_assert_int_eq(proc_start_time(-1), 0);
	ck_assert_str_eq(base_name("/usr/bin/python3"), "python3");
	ck_assert_str_eq(base_name("python3"), "python3");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {parses_maps, same_mapped_files, hostile_maps, opens_the_mapped_inode_not_the_path,
				exe_and_start_time};

	return run_tests("proc", tests, sizeof(tests) / sizeof(tests[0]));
}
