#ifndef LOOPSTALL_SHARED_ELF_H
#define LOOPSTALL_SHARED_ELF_H
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/proc.h"

/*
 * The ELF files of the processes one symbolizer caches, opened once per
 * file (device and inode, as the process's maps give them) and handed to
 * each process's libdwfl session as a reference to the same Elf: forty
 * gunicorn workers map libpython once in loopstall, with one open file,
 * not forty. An entry is released when no cached process uses it.
 *
 * libelf is not thread-safe: every call, and every use of a handed-out
 * Elf, is under the symbolizer's lock.
 */
#define SHARED_ELF_SLOTS 128

struct shared_elf {
	Elf *elf; /* the table's own reference; NULL: a free entry */
	unsigned int dev_major, dev_minor;
	uint64_t inode;
	int users; /* cached processes whose session holds a reference */
};

struct shared_elfs {
	struct shared_elf v[SHARED_ELF_SLOTS];
};

/* Which entries one cached process uses: a bit per entry. */
struct shared_elf_uses {
	uint64_t bits[SHARED_ELF_SLOTS / 64];
};

/* Whether m's file has an entry. */
bool shared_elf_has(const struct shared_elfs *t, const struct proc_mapping *m);
/* A new reference to m's file's Elf, counted in *uses; NULL when it has no entry. */
Elf *shared_elf_get(struct shared_elfs *t, const struct proc_mapping *m, struct shared_elf_uses *uses);
/*
 * Enters elf, opened by the caller from m's file, with a reference of the
 * table's (its file descriptor no longer used: the caller closes it), and
 * counts it in *uses; false when the table is full or elf is no ELF file.
 * Never an Elf of libdwfl's: it closes a module's file only with the last
 * reference to its Elf.
 */
bool shared_elf_add(struct shared_elfs *t, const struct proc_mapping *m, Elf *elf, struct shared_elf_uses *uses);
/* A cached process is dropped: entries no one else uses are released. */
void shared_elf_release(struct shared_elfs *t, struct shared_elf_uses *uses);
void shared_elfs_clear(struct shared_elfs *t);
/* Entries in use, for tests and the soak. */
int shared_elfs_count(const struct shared_elfs *t);

#endif
