// SPDX-License-Identifier: GPL-2.0
/*
 * bench_floor OBJECT [PROGRAM...]: loads and attaches the floor's empty
 * programs of OBJECT (tools/bench_floor.bpf.c, floor_*), or the named ones, says so on
 * stderr (as loopstall says "watching"), and holds them until a signal ends it.
 */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The kernel detaches the programs with the process. */
static void on_signal(int sig)
{
	(void)sig;
	_exit(0);
}

/* No names: the floor's own (floor_*). */
static bool wanted(const char *name, int n, char **names)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(name, names[i]))
			return true;
	return n == 0 && !strncmp(name, "floor_", 6);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_floor OBJECT [PROGRAM...]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "bench_floor: cannot load %s\n", argv[1]);
		return 4;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (!wanted(bpf_program__name(prog), argc - 2, argv + 2))
			continue;
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "bench_floor: cannot attach %s\n", bpf_program__name(prog));
			return 4;
		}
	}
	/* Handled, not left to the default: a shell may start it with SIGINT ignored. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "bench_floor: attached\n");
	for (;;)
		pause();
}
