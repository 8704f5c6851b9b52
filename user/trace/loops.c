// SPDX-License-Identifier: GPL-2.0
/* The loops snapshot: the kernel's per-loop map in one batch read, torn copies read again. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "trace/loops.h"

#define BATCH	    256
#define REREADS	    4 /* a copy torn by an update is read again, this many times at most */

/* A copy is whole when no update overlapped it (see struct ls_loop). */
static bool whole(const struct ls_loop *l)
{
	return l->seq == l->seq_end;
}

/* One syscall for many loops: the scan runs every few milliseconds. */
static int read_batch(int fd, struct ls_loop *out, __u32 *keys, int max)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 token;
	void *in = NULL;
	int got = 0;

	while (got < max) {
		__u32 n = max - got < BATCH ? max - got : BATCH;
		int err = bpf_map_lookup_batch(fd, in, &token, keys + got, out + got, &n, &opts);

		got += n;
		in = &token;
		if (err)
			return errno == ENOENT ? got : -errno;
	}
	return got;
}

/* Kernels without batch lookups for hash maps: a key at a time. */
static int read_one_by_one(int fd, struct ls_loop *out, __u32 *keys, int max)
{
	__u32 key, next;
	void *prev = NULL;
	int n = 0;

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &out[n]) == 0)
			keys[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

int loops_read_map(int fd, int cap, struct loops_snapshot *s)
{
	__u32 *keys;
	int n, i, j, tries;

	if (cap <= 0)
		return -EINVAL;
	if (s->cap != cap) {
		struct ls_loop *v = realloc(s->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	keys = malloc((size_t)cap * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	n = read_batch(fd, s->v, keys, cap);
	if (n < 0)
		n = read_one_by_one(fd, s->v, keys, cap);
	s->torn = 0;
	for (i = 0, j = 0; i < n; i++) {
		for (tries = 0; !whole(&s->v[i]) && tries < REREADS; tries++)
			if (bpf_map_lookup_elem(fd, &keys[i], &s->v[i]))
				break; /* gone meanwhile */
		if (!whole(&s->v[i]) && tries < REREADS)
			continue;
		s->torn += !whole(&s->v[i]);
		s->v[j++] = s->v[i];
	}
	free(keys);
	s->n = j;
	s->now_ns = monotonic_ns();
	return 0;
}

static int loop_read_map(int fd, pid_t tid, struct ls_loop *out)
{
	__u32 key = tid;
	int tries;

	for (tries = 0; tries <= REREADS; tries++) {
		if (bpf_map_lookup_elem(fd, &key, out))
			return -errno;
		if (whole(out))
			return 0;
	}
	return 0; /* kept as last read, as in a snapshot */
}

int loop_read(struct tracer *t, pid_t tid, struct ls_loop *out)
{
	return loop_read_map(tracer_loops_fd(t), tid, out);
}

int loops_read(struct tracer *t, struct loops_snapshot *s)
{
	return loops_read_map(tracer_loops_fd(t), tracer_loops_capacity(t), s);
}

void loops_snapshot_free(struct loops_snapshot *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

uint64_t loop_busy_ns(const struct ls_loop *l, uint64_t now)
{
	return l->iter_start_ns && now > l->iter_start_ns ? now - l->iter_start_ns : 0;
}

bool loop_is_stalled(const struct ls_loop *l, uint64_t now, uint64_t threshold_ns)
{
	return l->iter_start_ns && loop_busy_ns(l, now) >= threshold_ns;
}
