#ifndef LOOPSTALL_TOP_H
#define LOOPSTALL_TOP_H
#include <stdbool.h>
#include <stdint.h>

#include "attrib/containers.h"
#include "runtimes/runtime.h"
#include "sinks/sink.h"
#include "trace/tracer.h"

/*
 * top/: loopstall top, the data (here) and its rendering (top_view.c).
 *
 * loopstall top: a live table of every watched event loop, full-screen with
 * ncurses, or plain-text snapshots on stdout in batch mode (--batch, or
 * stdout no terminal). Runs on the main thread; stall records reach it
 * through its sink, on the reporter thread.
 */
struct top;

struct top_config {
	uint64_t threshold_ns;
	bool batch;		       /* --batch: snapshots even on a terminal */
	struct runtimes *runtimes;     /* to name each loop's runtime */
	struct containers *containers; /* each loop's container, as the reporter thread read it (may be NULL) */
};

/*
 * Call before the reporter thread starts (it blocks SIGWINCH, which that
 * thread must inherit). Does not touch the terminal yet: the screen starts
 * on the first top_refresh(). NULL when out of memory.
 */
struct top *top_new(struct tracer *t, const struct top_config *cfg);
/* The sink that feeds top with stall and kill records. Give it to the reporter once. */
struct sink *top_sink(struct top *tp);
/* fd to poll for keys and resizes; -1 in batch mode (and for NULL). */
int top_input_fd(const struct top *tp);
/* Handles what is pending on top_input_fd(). Returns true when the user quits. */
bool top_handle_input(struct top *tp);
/* Reads the loops' state, updates the window and redraws; call every -i interval. */
void top_refresh(struct top *tp);
/* Restores the terminal (endwin) and frees top; its sink lives on until the reporter lets go. */
void top_free(struct top *tp);

#endif
