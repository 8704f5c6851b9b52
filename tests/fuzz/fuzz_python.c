// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the CPython reader over hostile memory. The input is a
 * recording in the format of tests/fixtures/python/ (its .bin files seed the
 * corpus): a version, _PyRuntime's address, a tid and memory segments; the
 * stack walk, task names, the GIL and the request served read it as if it
 * were the target's.
 * Also the three line-table decoders over the raw bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "runtimes/python/code_cache.h"
#include "runtimes/python/gil.h"
#include "runtimes/python/lines.h"
#include "runtimes/python/stack.h"

#define MAX_SEGS 4096

struct seg {
	uint64_t addr;
	uint32_t len;
	const uint8_t *bytes;
};

struct image {
	struct seg segs[MAX_SEGS];
	int n;
};

static int read_image(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct image *im = ctx;

	for (int i = 0; i < im->n; i++) {
		const struct seg *s = &im->segs[i];

		if (addr >= s->addr && addr - s->addr <= s->len && len <= s->len - (addr - s->addr)) {
			memcpy(buf, s->bytes + (addr - s->addr), len);
			return 0;
		}
	}
	return -EFAULT;
}

static int take(const uint8_t **p, size_t *left, void *out, size_t n)
{
	if (*left < n)
		return -1;
	memcpy(out, *p, n);
	*p += n;
	*left -= n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct image im;
	struct mem_reader mem = {read_image, &im};
	struct py_frame frames[32], cached[32];
	struct py_code_cache *codes;
	const uint8_t *p = data;
	int n, i;
	size_t left = size;
	char magic[8], version[9] = {0};
	uint64_t runtime;
	uint32_t tid, nseg;
	int32_t tidoff;
	bool locked;
	pid_t holder;
	struct served_request request;
	uint64_t from, to;
	char name[48];

	/* Line tables first: any bytes are one. */
	for (int addr = -2; addr < 64; addr += 7) {
		(void)py_location_table_line(data, size, 1, addr);
		(void)py_lnotab_line(data, size, 1, addr);
		(void)py_linetable310_line(data, size, 1, addr);
	}
	if (take(&p, &left, magic, 8) || memcmp(magic, "LSPYFIX2", 8) || take(&p, &left, version, 8) ||
	    take(&p, &left, &runtime, 8) || take(&p, &left, &tid, 4) || take(&p, &left, &tidoff, 4) ||
	    take(&p, &left, &nseg, 4))
		return 0;
	version[8] = 0;
	im.n = 0;
	while (im.n < MAX_SEGS && nseg--) {
		struct seg *s = &im.segs[im.n];

		if (take(&p, &left, &s->addr, 8) || take(&p, &left, &s->len, 4) || left < s->len)
			break;
		s->bytes = p;
		p += s->len;
		left -= s->len;
		im.n++;
	}
	memset(frames, 0, sizeof(frames));
	n = py_stack_read_mem_ex(&mem, version, runtime, tidoff, (pid_t)tid, frames, 32);
	/* Through a code cache, twice (the second from what the first kept): the same frames. */
	codes = py_code_cache_new();
	if (codes) {
		for (i = 0; i < 2; i++) {
			memset(cached, 0, sizeof(cached));
			if (py_stack_read_cached(&mem, codes, version, runtime, tidoff, (pid_t)tid, cached, 32, NULL, NULL) !=
				    n ||
			    (n > 0 && memcmp(frames, cached, n * sizeof(frames[0]))))
				__builtin_trap();
		}
		py_code_cache_free(codes);
	}
	(void)py_stack_read_mem_ex(&mem, version, runtime, tidoff, (pid_t)tid, frames, 1);
	(void)py_gil_state_mem(&mem, version, runtime, tidoff, &locked, &holder);
	(void)py_stack_read_mem_req(&mem, version, runtime, tidoff, (pid_t)tid, frames, 32, &request);
	(void)py_gil_wait_range_mem(&mem, version, runtime, &from, &to);
	if (py_thread_name_mem(&mem, NULL, version, runtime, tidoff, (pid_t)tid, name, sizeof(name)) == 0 &&
	    strlen(name) >= sizeof(name))
		__builtin_trap();
	return 0;
}
