// SPDX-License-Identifier: GPL-2.0
/* CRuby behind the runtime interface (ruby.h). */
#include <stdio.h>
#include <string.h>

#include "base/proc.h"
#include "runtimes/ruby/ruby.h"

static bool recognize(const struct proc_maps *maps, const char *exe)
{
	int i;

	if (strncmp(exe, "ruby", 4) == 0)
		return true;
	for (i = 0; i < maps->n; i++)
		if (maps->v[i].path[0] == '/' && strncmp(base_name(maps->v[i].path), "libruby", 7) == 0)
			return true;
	return false;
}

/* No state yet: opened so that records carry the runtime's name. */
static int open_process(pid_t pid, const struct proc_maps *maps, void **state)
{
	(void)pid, (void)maps;
	*state = NULL;
	return 0;
}

/* Never silent: the record says why no Ruby method is named. */
static void refine(void *state, struct stall_record *r, const struct stall_frame *native, int n)
{
	(void)state, (void)native, (void)n;
	if (!r->note[0])
		snprintf(r->note, sizeof(r->note),
			 "Ruby methods are not named: loopstall does not read Ruby's VM yet (the frames are libruby's)");
}

const struct runtime_ops ruby_runtime = {
	.name = "ruby",
	.recognize = recognize,
	.open = open_process,
	.refine = refine,
};
