#ifndef LOOPSTALL_TOP_VIEW_H
#define LOOPSTALL_TOP_VIEW_H
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "loopstall.h"
#include "record/stall_record.h"

/*
 * The rendering half of loopstall top: a model of what one refresh shows,
 * filled by top.c, drawn with ncurses or printed as plain text. Nothing here
 * reads the kernel or keeps data between refreshes. Every string that comes
 * from a target is escaped before it is shown.
 */

enum loop_state { LOOP_IDLE, LOOP_BUSY, LOOP_STALLED };

/* Sort orders, in the order `s` cycles through them. */
enum top_sort { SORT_WORST, SORT_BUSY, SORT_ITERS, SORT_P99, SORT_MAX, SORT_STALLS, SORT_PID, SORT_COMM, SORT_NR };

#define TOP_CULPRIT_LEN 320

/* One loop thread: the kernel's state now, and the window since the last refresh. */
struct top_row {
	pid_t pid;
	pid_t tid;
	char comm[LS_COMM_LEN]; /* raw, as the kernel has it */
	const char *runtime;
	char service[96];   /* unescaped, "gunicorn app:app"; "" when not known */
	char container[96]; /* unescaped, "pod shop/web-1", "docker 3f4e5d6c7b8a"; "" when in none */
	enum loop_state state;
	uint64_t running_ns; /* how long the current iteration has been busy */
	bool has_window;     /* false on a loop's first refresh */
	double iters_per_sec;
	double busy_pct;
	uint64_t p50_ns, p99_ns, max_ns; /* bucket upper bounds; 0: no iteration ended */
	uint64_t stalls_window;
	uint64_t stalls_total;
	uint64_t worst_stall_ns;
	uint64_t kills;
	char culprit[TOP_CULPRIT_LEN]; /* escaped; "" when no stall seen */
	struct ls_hist hist;	       /* since watched */
};

/* The culprit view (key c): every stall ended since watched, grouped by culprit (report/culprits.c). */
struct top_culprit {
	char culprit[TOP_CULPRIT_LEN]; /* escaped: "fetch (app.py:9) via urlopen" */
	uint64_t stalls;
	double total_ms, p50_ms, p99_ms, max_ms;
	const char *cause;
	int processes;
	bool more_processes;
	char hint[512]; /* escaped; "" when no rule names it */
};

struct top_model {
	struct top_row *rows; /* filtered and sorted */
	int nrows;
	int nloops; /* before filtering */
	int nstalled;
	int selected; /* index in rows, -1 when none */
	int first;    /* first row on screen */
	enum top_sort sort;
	const char *filter;
	bool editing_filter;
	bool paused;
	bool help;
	bool detail;
	int detail_scroll;
	const char *report; /* detail: the selected loop's last stall (view_report), or NULL */
	bool culprits;	    /* the culprit view instead of the loops */
	struct top_culprit *crows;
	int ncrows;
	int cselected, cfirst;
	uint64_t threshold_ns;
};

/* "clock_nanosleep in periodic_block (app.py:20)": what a stall did and where, escaped. */
void view_culprit(const struct stall_record *r, char *buf, size_t len);
/* A stall's full report, escaped lines; malloc'd, NULL when out of memory. */
char *view_report(const struct stall_record *r);

/* Full screen on the terminal of stdin/stdout. 0, or -ENOTTY when it cannot start. */
int view_screen_open(void);
void view_screen_close(void);
/* The terminal changed size (SIGWINCH). */
void view_screen_resize(void);
/* Redraws everything; scrolls m->first and m->detail_scroll to what fits. */
void view_draw(struct top_model *m);
/* Rows the list or the detail pane shows at once (for paging). */
int view_page_rows(void);

/* One row of the culprit view, fitted to width columns (at least 60), into buf. */
void view_culprit_row(const struct top_culprit *c, int width, char *buf, size_t len);

/* One plain-text snapshot, every column, for logs and pipes. */
void view_batch(FILE *out, const struct top_model *m);

#endif
