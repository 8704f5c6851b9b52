// SPDX-License-Identifier: GPL-2.0
/* Go programs behind the runtime interface (go.h): recognized, and known to run no event loop. */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtimes/go/go.h"

/* Go's linker writes both sections, and strip keeps them (runtime/debug.ReadBuildInfo needs the first). */
static bool has_go_section(Elf *e)
{
	Elf_Scn *scn = NULL;
	size_t names;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(e, &names))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, names, sh.sh_name) : NULL;

		if (name && (strcmp(name, ".go.buildinfo") == 0 || strcmp(name, ".note.go.buildid") == 0))
			return true;
	}
	return false;
}

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	char path[64];
	bool go = false;
	Elf *e;
	int fd;

	(void)exe;
	snprintf(path, sizeof(path), "/proc/%d/exe", maps->pid); /* the target's own, in any mount namespace */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF)
		go = has_go_section(e);
	elf_end(e);
	close(fd);
	return go;
}

static int loop_of_thread(void *state, pid_t pid, pid_t tid, bool running, char *how, size_t len)
{
	(void)state, (void)pid, (void)tid, (void)running;
	snprintf(how, len, "go: goroutines run on any thread; none is an event loop");
	return THREAD_NO_LOOP;
}

const struct runtime_ops go_runtime = {
	.name = "go",
	.recognize = recognize,
	.loop_of_thread = loop_of_thread,
	.runs_no_loops = true,
};
