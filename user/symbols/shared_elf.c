// SPDX-License-Identifier: GPL-2.0
#include <libelf.h>
#include <string.h>

#include "symbols/shared_elf.h"

static bool same_file(const struct shared_elf *e, const struct proc_mapping *m)
{
	return e->elf && e->inode == m->inode && e->dev_major == m->dev_major && e->dev_minor == m->dev_minor;
}

static struct shared_elf *find(const struct shared_elfs *t, const struct proc_mapping *m)
{
	/* A deleted file's inode may be another file's later: such mappings share nothing. */
	if (m->deleted || !m->inode)
		return NULL;
	for (int i = 0; i < SHARED_ELF_SLOTS; i++)
		if (same_file(&t->v[i], m))
			return (struct shared_elf *)&t->v[i];
	return NULL;
}

static void use(struct shared_elfs *t, struct shared_elf *e, struct shared_elf_uses *uses)
{
	int i = (int)(e - t->v);

	if (!(uses->bits[i / 64] & (1ULL << (i % 64)))) {
		uses->bits[i / 64] |= 1ULL << (i % 64);
		e->users++;
	}
}

bool shared_elf_has(const struct shared_elfs *t, const struct proc_mapping *m)
{
	return find(t, m) != NULL;
}

Elf *shared_elf_get(struct shared_elfs *t, const struct proc_mapping *m, struct shared_elf_uses *uses)
{
	struct shared_elf *e = find(t, m);
	Elf *ref;

	if (!e)
		return NULL;
	/* libelf's reference counting: the same Elf, ended once per elf_begin. */
	ref = elf_begin(-1, ELF_C_READ_MMAP, e->elf);
	if (ref)
		use(t, e, uses);
	return ref;
}

bool shared_elf_add(struct shared_elfs *t, const struct proc_mapping *m, Elf *elf, struct shared_elf_uses *uses)
{
	struct shared_elf *e = find(t, m);
	int i;

	if (e || m->deleted || !m->inode || elf_kind(elf) != ELF_K_ELF)
		return false;
	for (i = 0; i < SHARED_ELF_SLOTS && t->v[i].elf; i++)
		;
	if (i == SHARED_ELF_SLOTS)
		return false;
	/*
	 * It outlives the descriptor it was opened from: read what is not
	 * mapped, then let go of it (both fail on an Elf let go of already).
	 */
	if (elf_cntl(elf, ELF_C_FDREAD) != 0 && elf_cntl(elf, ELF_C_FDDONE) == 0)
		return false;
	e = &t->v[i];
	e->elf = elf_begin(-1, ELF_C_READ_MMAP, elf);
	if (!e->elf)
		return false;
	e->dev_major = m->dev_major;
	e->dev_minor = m->dev_minor;
	e->inode = m->inode;
	e->users = 0;
	use(t, e, uses);
	return true;
}

void shared_elf_release(struct shared_elfs *t, struct shared_elf_uses *uses)
{
	for (int i = 0; i < SHARED_ELF_SLOTS; i++) {
		struct shared_elf *e = &t->v[i];

		if (!(uses->bits[i / 64] & (1ULL << (i % 64))))
			continue;
		if (--e->users == 0) {
			elf_end(e->elf);
			memset(e, 0, sizeof(*e));
		}
	}
	memset(uses, 0, sizeof(*uses));
}

void shared_elfs_clear(struct shared_elfs *t)
{
	for (int i = 0; i < SHARED_ELF_SLOTS; i++)
		if (t->v[i].elf)
			elf_end(t->v[i].elf);
	memset(t, 0, sizeof(*t));
}

int shared_elfs_count(const struct shared_elfs *t)
{
	int n = 0;

	for (int i = 0; i < SHARED_ELF_SLOTS; i++)
		n += t->v[i].elf != NULL;
	return n;
}
