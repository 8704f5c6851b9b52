// SPDX-License-Identifier: GPL-2.0
/* Loads and attaches bpf/loopstall.bpf.c through its skeleton; reads its maps. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loopstall.skel.h"
#include "trace/tracer.h"

#define SAMPLE_HZ 199 /* CPU samples of a busy loop: prime, so not in step with timers */
#define CONSUME_MAX 1024 /* records delivered by one tracer_consume(): the caller's loop gets its turn */

struct tracer {
	struct loopstall_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **sample_links; /* one per CPU */
	int ncpus;
	struct tracer_callbacks cb;
	uint64_t unwatched; /* tracer_watch() calls refused by a full watched set */
	int consumed;	    /* records delivered by the tracer_consume() in progress */
};

static bool verbose;

/* libbpf's warnings always (why a load failed), its info and debug lines with -v, as bcc's tools do. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level != LIBBPF_WARN && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	__u32 type = size >= sizeof(__u32) ? *(__u32 *)data : 0;

	if (type == LS_EV_SAMPLE && size >= sizeof(struct ls_sample))
		t->cb.sample(t->cb.ctx, data);
	else if (type == LS_EV_BUSY && size >= sizeof(struct ls_busy))
		t->cb.busy(t->cb.ctx, data);
	else if (type == LS_EV_FUTEX && size >= sizeof(struct ls_busy))
		t->cb.futex(t->cb.ctx, data);
	else if (type != LS_EV_SAMPLE && type != LS_EV_BUSY && type != LS_EV_FUTEX && size >= sizeof(struct ls_event))
		t->cb.event(t->cb.ctx, data);
	/* A storm never holds the caller here: its deadlines, signals and checks come first (the rest waits). */
	return ++t->consumed >= CONSUME_MAX ? -EAGAIN : 0;
}

/* A CPU clock sampler on every online CPU, running ls_sample. */
static int attach_samplers(struct tracer *t)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 1000000000ULL / SAMPLE_HZ, /* ns of the CPU clock; it ticks on an idle CPU too */
	};
	int cpu, fd, attached = 0;

	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0)
		return -EINVAL;
	t->sample_links = calloc(t->ncpus, sizeof(*t->sample_links));
	if (!t->sample_links)
		return -ENOMEM;
	for (cpu = 0; cpu < t->ncpus; cpu++) {
		fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* offline CPU */
			return -errno;
		}
		t->sample_links[cpu] = bpf_program__attach_perf_event(t->skel->progs.ls_sample, fd);
		if (!t->sample_links[cpu]) {
			close(fd);
			return -errno;
		}
		attached++;
	}
	return attached ? 0 : -ENODEV;
}

/* The kernel's timer over loops pending off CPU, started by running its program once. */
static int start_pending_timer(struct tracer *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err = bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.ls_start_pending_timer), &opts);

	if (err)
		return -errno;
	return opts.retval ? -EINVAL : 0;
}

int tracer_open(const struct tracer_config *cfg, const struct tracer_callbacks *cb, struct tracer **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = cfg->btf_path);
	struct tracer *t;
	int err;

	verbose = cfg->verbose;
	libbpf_set_print(libbpf_print);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cb = *cb;
	t->skel = loopstall_bpf__open_opts(&opts);
	if (!t->skel) {
		err = -errno;
		goto fail;
	}
	t->skel->rodata->watch_all = cfg->watch_all;
	t->skel->rodata->report_execs = cfg->report_execs;
	t->skel->rodata->self_pid = getpid();
	t->skel->rodata->threshold_ns = cfg->threshold_ns;
	t->skel->rodata->tick_ns = 1000000000ULL / sysconf(_SC_CLK_TCK);
	t->skel->rodata->busy_margin_ns = 2 * (1000000000ULL / SAMPLE_HZ);
	t->skel->rodata->nr_cpus = libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1;
	if (cfg->max_loops > 0) {
		bpf_map__set_max_entries(t->skel->maps.loops, cfg->max_loops);
		bpf_map__set_max_entries(t->skel->maps.stacks, cfg->max_loops);
	}
	if (cfg->max_processes > 0)
		bpf_map__set_max_entries(t->skel->maps.watched, cfg->max_processes);
	/* Iterators run on demand, over the threads user space names (tracer_scan_threads, tracer_adopt_loop). */
	bpf_program__set_autoattach(t->skel->progs.ls_scan_threads, false);
	bpf_program__set_autoattach(t->skel->progs.ls_adopt_loop, false);
	err = loopstall_bpf__load(t->skel);
	if (err)
		goto fail;
	err = loopstall_bpf__attach(t->skel);
	if (err)
		goto fail;
	err = attach_samplers(t);
	if (err)
		goto fail;
	err = start_pending_timer(t);
	if (err)
		goto fail;
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_ring_record, t, NULL);
	if (!t->rb) {
		err = -errno;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tracer_close(t);
	return err < 0 ? err : -EINVAL;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	for (int cpu = 0; t->sample_links && cpu < t->ncpus; cpu++)
		bpf_link__destroy(t->sample_links[cpu]);
	free(t->sample_links);
	ring_buffer__free(t->rb);
	loopstall_bpf__destroy(t->skel);
	free(t);
}

void tracer_strerror(int err, char *buf, size_t len)
{
	/* libbpf's own errors (-4000 and beyond) have their own texts */
	if (libbpf_strerror(err, buf, len))
		snprintf(buf, len, "%s", strerror(-err));
}

int tracer_watch(struct tracer *t, pid_t pid, unsigned long long start)
{
	__u32 key = pid;
	__u64 value = start;

	if (!bpf_map_update_elem(bpf_map__fd(t->skel->maps.watched), &key, &value, BPF_ANY))
		return 0;
	if (errno == E2BIG)
		t->unwatched++;
	return -errno;
}

bool tracer_unwatch(struct tracer *t, pid_t pid)
{
	__u32 key = pid;

	return bpf_map_delete_elem(bpf_map__fd(t->skel->maps.watched), &key) == 0;
}

bool tracer_is_watched(struct tracer *t, pid_t pid, unsigned long long start)
{
	__u32 key = pid;
	__u64 value;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.watched), &key, &value))
		return false;
	return !value || value == start;
}

int tracer_watched_count(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.watched), n = 0;
	__u32 key, next;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		n++;
		key = next;
		prev = &key;
	}
	return n;
}

int tracer_event_fd(struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer_consume(struct tracer *t)
{
	int n;

	t->consumed = 0;
	n = ring_buffer__consume(t->rb);
	return n == -EAGAIN ? t->consumed : n;
}

int tracer_loops_fd(struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.loops);
}

int tracer_loops_capacity(struct tracer *t)
{
	return (int)bpf_map__max_entries(t->skel->maps.loops);
}

int tracer_read_stacks(struct tracer *t, pid_t tid, struct ls_stack out[2])
{
	__u32 key = tid;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &key, out)) {
		memset(out, 0, 2 * sizeof(*out));
		return -errno;
	}
	return 0;
}

uint64_t tracer_loops_untracked(struct tracer *t)
{
	return t->skel->bss->loops_untracked;
}

uint64_t tracer_procs_unwatched(struct tracer *t)
{
	return t->skel->bss->procs_unwatched + t->unwatched;
}

int tracer_watched_capacity(struct tracer *t)
{
	return (int)bpf_map__max_entries(t->skel->maps.watched);
}

uint64_t tracer_lost_events(struct tracer *t)
{
	return t->skel->bss->lost_events;
}

/* Runs iterator prog over the threads of pid (tid: just that one; both 0: every task); reads what it writes. */
static int run_task_iter(struct bpf_program *prog, pid_t pid, pid_t tid, void *buf, size_t len)
{
	union bpf_iter_link_info info = {.task = {.pid = tid ? 0 : pid, .tid = tid}};
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));
	struct bpf_link *link = bpf_program__attach_iter(prog, &opts);
	size_t got = 0;
	ssize_t n;
	int fd, err = 0;

	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	while ((n = read(fd, (char *)buf + got, len - got)) > 0) {
		got += n;
		if (got == len)
			break; /* full: the caller asks again with more room */
	}
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	return err ? err : (int)(got > INT32_MAX ? INT32_MAX : got);
}

/*
 * One pass of the scan on the CPU this thread is on: each thread's record.
 * Those that last ran on this CPU get their off-CPU time, whose clock is
 * this CPU's.
 */
static int scan_pass(struct tracer *t, pid_t pid, struct ls_thread **buf, int *cap)
{
	for (;;) {
		int got = run_task_iter(t->skel->progs.ls_scan_threads, pid, 0, *buf, *cap * sizeof(**buf));
		struct ls_thread *more;

		if (got < 0)
			return got;
		if ((size_t)got < *cap * sizeof(**buf))
			return got / sizeof(**buf);
		more = realloc(*buf, 2 * *cap * sizeof(**buf));
		if (!more)
			return -ENOMEM;
		*buf = more;
		*cap *= 2;
	}
}

int tracer_scan_threads(struct tracer *t, pid_t pid, struct ls_thread **out)
{
	int cap = 256, n = 0, got, cpu, i, j;
	struct ls_thread *all = NULL, *pass = malloc(cap * sizeof(*pass));
	cpu_set_t saved, one;

	*out = NULL;
	if (!pass || sched_getaffinity(0, sizeof(saved), &saved)) {
		free(pass);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		got = scan_pass(t, pid, &pass, &cap);
		if (got < 0)
			continue;
		/* A thread's record from the pass on its CPU (with its off-CPU time), else the first seen. */
		for (i = 0; i < got; i++) {
			for (j = 0; j < n && all[j].tid != pass[i].tid; j++)
				;
			if (j < n && (all[j].since_ns || !pass[i].since_ns))
				continue;
			if (j == n) {
				struct ls_thread *more = realloc(all, (n + 1) * sizeof(*all));

				if (!more)
					break;
				all = more;
				n++;
			}
			all[j] = pass[i];
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	free(pass);
	*out = all;
	return n;
}

int tracer_adopt_loop(struct tracer *t, struct ls_adopt *req)
{
	__u32 zero = 0;
	int fd = bpf_map__fd(t->skel->maps.adopt_request), err;
	char buf[8];

	req->result = -ESRCH;
	if (bpf_map_update_elem(fd, &zero, req, BPF_ANY))
		return -errno;
	err = run_task_iter(t->skel->progs.ls_adopt_loop, req->pid, req->tid, buf, sizeof(buf));
	if (err < 0)
		return err;
	if (bpf_map_lookup_elem(fd, &zero, req))
		return -errno;
	return req->result;
}

int tracer_loop_ctl(struct tracer *t, struct ls_ctl *req)
{
	/* A syscall program's context is copied back into ctx_in (ctx_out is refused). */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = req, .ctx_size_in = sizeof(*req));

	req->result = -ESRCH;
	if (bpf_prog_test_run_opts(bpf_program__fd(t->skel->progs.ls_loop_ctl), &opts))
		return -errno;
	return req->result;
}
