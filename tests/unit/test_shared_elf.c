// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <libelf.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "symbols/shared_elf.h"
#include "run_suite.h"

/* A mapping of path as /proc/PID/maps shows it, and an Elf of it opened the way libdwfl does. */
static Elf *open_mapped(const char *path, struct proc_mapping *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	*m = (struct proc_mapping){.dev_major = major(st.st_dev), .dev_minor = minor(st.st_dev), .inode = st.st_ino,
				   .path = path};
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ck_assert_ptr_nonnull(elf);
	/* The session that opened it closes its descriptor: the table's Elf must not need it. */
	ck_assert(elf_cntl(elf, ELF_C_FDREAD) == 0);
	close(fd);
	return elf;
}

START_TEST(one_elf_per_file_while_a_process_uses_it)
{
	struct shared_elfs *t = calloc(1, sizeof(*t));
	struct shared_elf_uses a = {0}, b = {0};
	struct proc_mapping m, other;
	Elf *first = open_mapped("/bin/true", &m), *again;
	size_t n;

	ck_assert(shared_elf_add(t, &m, first, &a));
	ck_assert(!shared_elf_add(t, &m, first, &b)); /* one entry per file */
	again = shared_elf_get(t, &m, &b);
	ck_assert_ptr_eq(again, first); /* the same Elf, referenced again */
	ck_assert_ptr_nonnull(elf_getident(again, &n));
	ck_assert_int_eq(shared_elfs_count(t), 1);
	/* Sessions end their references, then the processes are dropped. */
	elf_end(first);
	elf_end(again);
	shared_elf_release(t, &a);
	ck_assert_int_eq(shared_elfs_count(t), 1); /* b still uses it */
	ck_assert(shared_elf_has(t, &m));
	shared_elf_release(t, &b);
	ck_assert_int_eq(shared_elfs_count(t), 0);
	ck_assert_ptr_null(shared_elf_get(t, &m, &a));
	/* A deleted file's inode may be reused: never shared. */
	first = open_mapped("/bin/true", &other);
	other.deleted = true;
	ck_assert(!shared_elf_add(t, &other, first, &a));
	elf_end(first);
	shared_elfs_clear(t);
	free(t);
}
END_TEST

START_TEST(no_elf_no_entry_and_a_full_table_shares_nothing_more)
{
	struct shared_elfs *t = calloc(1, sizeof(*t));
	struct shared_elf_uses u = {0};
	struct proc_mapping m;
	Elf *text = open_mapped("/etc/passwd", &m), *elf;
	int i;

	ck_assert(!shared_elf_add(t, &m, text, &u));
	elf_end(text);
	elf = open_mapped("/bin/true", &m);
	for (i = 0; i < SHARED_ELF_SLOTS; i++) {
		m.inode = 1000 + i; /* as many files as entries */
		ck_assert(shared_elf_add(t, &m, elf, &u));
	}
	m.inode = 1;
	ck_assert(!shared_elf_add(t, &m, elf, &u));
	ck_assert_int_eq(shared_elfs_count(t), SHARED_ELF_SLOTS);
	elf_end(elf);
	shared_elf_release(t, &u);
	ck_assert_int_eq(shared_elfs_count(t), 0);
	free(t);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {one_elf_per_file_while_a_process_uses_it,
				no_elf_no_entry_and_a_full_table_shares_nothing_more};

	elf_version(EV_CURRENT);
	return run_tests("shared_elf", tests, sizeof(tests) / sizeof(tests[0]));
}
