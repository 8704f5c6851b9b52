#ifndef LOOPSTALL_METRICS_H
#define LOOPSTALL_METRICS_H
#include <stdint.h>

#include "attrib/containers.h"
#include "base/counters.h"
#include "sinks/sink.h"
#include "trace/tracer.h"

/*
 * --metrics HOST:PORT: Prometheus text exposition at /metrics, served by
 * libmicrohttpd on its own thread, so it answers while stalls and kills go
 * on. Histograms come straight from the kernel's per-loop maps at scrape
 * time; no per-iteration work happens in user space.
 */
struct metrics;

struct metrics_sources {
	struct tracer *tracer;
	struct counters *counters;
	uint64_t threshold_ns;
	struct containers *containers; /* labels each loop with its container (may be NULL) */
};

/* Returns 0 or -errno (-EINVAL for a malformed address, -EADDRINUSE, ...). */
int metrics_start(const char *addr, const struct metrics_sources *src, struct metrics **out);
/* The sink that counts stalls for the endpoint; destroying it frees m. */
struct sink *metrics_sink(struct metrics *m);
/* Stops serving (before the tracer it reads is closed). */
void metrics_stop(struct metrics *m);

#endif
