// SPDX-License-Identifier: GPL-2.0
/*
 * loopstall top, the data half: each refresh reads every loop's state and
 * histogram from the kernel and compares them with the previous refresh
 * (the window); stall records arrive through a sink on the reporter thread
 * and land in a table under a mutex. Keys, sorting and filtering are here
 * too; top_view.c draws.
 */
#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/histogram.h"
#include "record/culprit.h"
#include "report/culprits.h"
#include "runtimes/runtime.h"
#include "top/top.h"
#include "trace/loops.h"
#include "top/top_view.h"

#define FORGET_NS    (30 * NSEC_PER_SEC) /* a gone loop's stalls are kept this long */
#define TOP_CULPRITS 1000		 /* culprits the culprit view keeps (the rest counted as other) */
#define FILTER_LEN   64

/* What the sink learned about one loop thread from its stall records. */
struct stall_entry {
	pid_t tid;
	uint64_t stalls; /* ended */
	uint64_t worst_ns;
	uint64_t kills;
	char culprit[TOP_CULPRIT_LEN];
	char *report;	  /* view_report() of the last stall */
	uint64_t seen_ns; /* last record, or last refresh that saw the loop */
};

/*
 * Shared by the main thread and the sink (reporter thread). The reporter
 * may deliver records after top_free(), so the last of the two frees it.
 */
struct stall_table {
	struct sink sink;
	pthread_mutex_t lock;
	int refs;
	struct stall_entry *v;
	int n, cap;
	struct culprit_table *culprits; /* ended stalls since watched, by culprit: the c view */
};

/* A loop as it was at the previous refresh: the start of the window. */
struct loop_snap {
	pid_t tid;
	pid_t pid;
	char comm[LS_COMM_LEN];
	const char *runtime;
	uint64_t iter_seq;
	uint64_t running_ns;
	uint64_t stalls;
	struct ls_hist hist;
};

struct top {
	struct tracer *tracer;
	struct runtimes *runtimes;     /* the detecting thread's: top runs there too */
	struct containers *containers; /* looked up, never read here */
	uint64_t threshold_ns;
	struct stall_table *table;
	bool batch;
	bool screen_on;
	int input_fd; /* epoll: stdin and winch_fd */
	int winch_fd;
	struct loops_snapshot loops;
	struct loop_snap *prev; /* sorted by tid */
	int nprev;
	uint64_t prev_ns;
	struct top_row *all; /* every loop at the last refresh */
	int nall;
	struct top_row *shown; /* the filtered and sorted part of all */
	pid_t selected_tid;
	bool follow; /* the user picked a loop: keep it selected as rows move; else the top row */
	char filter[FILTER_LEN];
	char filter_saved[FILTER_LEN]; /* restored by Esc while editing */
	struct top_model m;
};

static void table_put(struct stall_table *t)
{
	bool last;
	int i;

	pthread_mutex_lock(&t->lock);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (!last)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].report);
	free(t->v);
	culprit_table_free(t->culprits);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* The entry of tid, created if asked; call with the lock held. */
static struct stall_entry *table_find(struct stall_table *t, pid_t tid, bool create)
{
	struct stall_entry *v;
	int i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].tid == tid)
			return &t->v[i];
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		v = realloc(t->v, (t->cap ? 2 * t->cap : 16) * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = t->cap ? 2 * t->cap : 16;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].tid = tid;
	return &t->v[t->n++];
}

/* Reporter thread: keep the last stall of each loop, count the ended ones. */
static void sink_stall(struct sink *s, const struct stall_record *r)
{
	struct stall_table *t = (struct stall_table *)s;
	char culprit[TOP_CULPRIT_LEN], *report, *old = NULL;
	struct stall_entry *e;
	struct culprit c = culprit_of(r);

	/* Rendered outside the lock: the main thread waits for nothing slow. */
	view_culprit(r, culprit, sizeof(culprit));
	report = view_report(r);
	pthread_mutex_lock(&t->lock);
	if (r->ended && t->culprits)
		culprit_table_add(t->culprits, r, &c, r->start_wall.tv_sec + r->start_wall.tv_nsec / 1e9);
	e = table_find(t, r->tid, true);
	if (e) {
		if (r->ended)
			e->stalls++;
		if (r->duration_ns > e->worst_ns)
			e->worst_ns = r->duration_ns;
		memcpy(e->culprit, culprit, sizeof(culprit));
		old = e->report;
		e->report = report;
		e->seen_ns = monotonic_ns();
	} else {
		old = report;
	}
	pthread_mutex_unlock(&t->lock);
	free(old);
}

static void sink_kill(struct sink *s, const struct kill_record *k)
{
	struct stall_table *t = (struct stall_table *)s;
	struct stall_entry *e;

	if (k->dry_run || k->error)
		return;
	pthread_mutex_lock(&t->lock);
	e = table_find(t, k->tid, true);
	if (e)
		e->kills++;
	pthread_mutex_unlock(&t->lock);
}

static void sink_destroy(struct sink *s)
{
	table_put((struct stall_table *)s);
}

static const struct sink_ops top_sink_ops = {
	.name = "top",
	.stall = sink_stall,
	.kill = sink_kill,
	.destroy = sink_destroy,
};

struct sink *top_sink(struct top *tp)
{
	pthread_mutex_lock(&tp->table->lock);
	tp->table->refs++;
	pthread_mutex_unlock(&tp->table->lock);
	return &tp->table->sink;
}

static int cmp_snap(const void *a, const void *b)
{
	const struct loop_snap *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static const struct loop_snap *find_prev(const struct top *tp, pid_t tid)
{
	struct loop_snap key = {.tid = tid};

	return tp->nprev ? bsearch(&key, tp->prev, tp->nprev, sizeof(key), cmp_snap) : NULL;
}

/* The window of one loop: rates and quantiles since the previous refresh. */
static void window(struct top_row *r, const struct loop_snap *p, const struct loop_snap *s, uint64_t dt_ns)
{
	struct ls_hist d;
	double busy;

	hist_delta(&p->hist, &s->hist, &d);
	r->has_window = true;
	r->iters_per_sec = s->iter_seq >= p->iter_seq ? (double)(s->iter_seq - p->iter_seq) * 1e9 / dt_ns : 0;
	/*
	 * The kernel adds an iteration's time to sum_ns when it ends; the part
	 * of a running one already shown in the previous window is taken back.
	 */
	busy = (double)d.sum_ns + (double)s->running_ns - (double)p->running_ns;
	r->busy_pct = busy <= 0 ? 0 : busy >= dt_ns ? 100 : 100 * busy / dt_ns;
	r->p50_ns = hist_quantile_ns(&d, 0.5);
	r->p99_ns = hist_quantile_ns(&d, 0.99);
	r->max_ns = hist_quantile_ns(&d, 1.0);
}

/* Reads every loop from the kernel and rebuilds tp->all and tp->prev. */
static int collect(struct top *tp)
{
	uint64_t now, dt;
	const struct loop_snap *p;
	struct loop_snap *snaps;
	struct stall_entry *e;
	struct top_row *rows;
	int n, i;

	n = loops_read(tp->tracer, &tp->loops);
	if (n < 0)
		return n;
	n = tp->loops.n;
	now = tp->loops.now_ns;
	dt = tp->prev_ns && now > tp->prev_ns ? now - tp->prev_ns : 0;
	snaps = calloc(n ? n : 1, sizeof(*snaps));
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (!snaps || !rows) {
		free(snaps);
		free(rows);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct ls_loop *l = &tp->loops.v[i];
		struct top_row *r = &rows[i];
		struct loop_snap *s = &snaps[i];
		struct container_info where;

		s->tid = r->tid = l->tid;
		s->pid = r->pid = l->pid;
		memcpy(s->comm, l->comm, sizeof(s->comm));
		s->comm[sizeof(s->comm) - 1] = '\0';
		memcpy(r->comm, s->comm, sizeof(r->comm));
		s->iter_seq = l->iter_seq;
		s->hist = l->hist;
		r->hist = s->hist;
		s->running_ns = r->running_ns = loop_busy_ns(l, now);
		r->state = !l->iter_start_ns			       ? LOOP_IDLE
			   : loop_is_stalled(l, now, tp->threshold_ns) ? LOOP_STALLED
								       : LOOP_BUSY;
		p = find_prev(tp, l->tid);
		/* The registry reads /proc once per process; an exec changes its pid's comm. */
		if (p && p->pid == s->pid && strcmp(p->comm, s->comm) == 0) {
			s->runtime = p->runtime;
		} else {
			if (p && p->pid == s->pid)
				runtimes_forget(tp->runtimes, l->pid); /* exec'd */
			s->runtime = runtimes_name(tp->runtimes, l->pid);
		}
		r->runtime = s->runtime;
		if (containers_peek(tp->containers, l->pid, &where)) {
			container_label(&where, r->container, sizeof(r->container));
			snprintf(r->service, sizeof(r->service), "%s", where.service);
		}
		if (p && dt)
			window(r, p, s, dt);
	}

	/* Then what the sink knows, under its lock, in one go. */
	pthread_mutex_lock(&tp->table->lock);
	for (i = 0; i < n; i++) {
		e = table_find(tp->table, rows[i].tid, false);
		if (!e)
			continue;
		p = find_prev(tp, rows[i].tid);
		snaps[i].stalls = rows[i].stalls_total = e->stalls;
		rows[i].stalls_window = p && e->stalls >= p->stalls ? e->stalls - p->stalls : 0;
		rows[i].worst_stall_ns = e->worst_ns;
		rows[i].kills = e->kills;
		memcpy(rows[i].culprit, e->culprit, sizeof(rows[i].culprit));
		e->seen_ns = now;
	}
	for (i = 0; i < tp->table->n;) {
		e = &tp->table->v[i];
		if (e->seen_ns + FORGET_NS > now) {
			i++;
			continue;
		}
		free(e->report);
		*e = tp->table->v[--tp->table->n];
	}
	pthread_mutex_unlock(&tp->table->lock);

	qsort(snaps, n, sizeof(*snaps), cmp_snap);
	free(tp->prev);
	tp->prev = snaps;
	tp->nprev = n;
	tp->prev_ns = now;
	free(tp->all);
	free(tp->shown);
	tp->all = rows;
	tp->nall = n;
	tp->shown = calloc(n ? n : 1, sizeof(*tp->shown));
	return tp->shown ? 0 : -ENOMEM;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return (a < b) - (a > b);
}

static int cmp_double_desc(double a, double b)
{
	return (a < b) - (a > b);
}

/* Worst first: stalled now (longest first), then by the longest stall seen. */
static int cmp_worst(const struct top_row *a, const struct top_row *b)
{
	int c = (b->state == LOOP_STALLED) - (a->state == LOOP_STALLED);

	if (c)
		return c;
	if (a->state == LOOP_STALLED && (c = cmp_u64_desc(a->running_ns, b->running_ns)))
		return c;
	if ((c = cmp_u64_desc(a->worst_stall_ns, b->worst_stall_ns)))
		return c;
	if ((c = cmp_u64_desc(a->stalls_total, b->stalls_total)))
		return c;
	return cmp_double_desc(a->busy_pct, b->busy_pct);
}

static int cmp_rows(const void *x, const void *y, void *arg)
{
	const struct top_row *a = x, *b = y;
	enum top_sort sort = *(const enum top_sort *)arg;
	int c = 0;

	switch (sort) {
	case SORT_WORST: c = cmp_worst(a, b); break;
	case SORT_BUSY: c = cmp_double_desc(a->busy_pct, b->busy_pct); break;
	case SORT_ITERS: c = cmp_double_desc(a->iters_per_sec, b->iters_per_sec); break;
	case SORT_P99: c = cmp_u64_desc(a->p99_ns, b->p99_ns); break;
	case SORT_MAX: c = cmp_u64_desc(a->max_ns, b->max_ns); break;
	case SORT_STALLS: c = cmp_u64_desc(a->stalls_total, b->stalls_total); break;
	case SORT_COMM: c = strcmp(a->comm, b->comm); break;
	case SORT_PID:
	case SORT_NR: break;
	}
	if (!c)
		c = (a->pid > b->pid) - (a->pid < b->pid);
	return c ? c : (a->tid > b->tid) - (a->tid < b->tid);
}

static bool matches(const struct top_row *r, const char *filter)
{
	char num[16];

	if (!filter[0] || strstr(r->comm, filter) || strstr(r->service, filter) || strstr(r->container, filter))
		return true;
	snprintf(num, sizeof(num), "%d", r->pid);
	if (strstr(num, filter))
		return true;
	snprintf(num, sizeof(num), "%d", r->tid);
	return strstr(num, filter) != NULL;
}

/* Filters and sorts tp->all into the model; the selection follows its loop. */
static void arrange(struct top *tp)
{
	struct top_model *m = &tp->m;
	int i;

	m->rows = tp->shown;
	m->nrows = 0;
	m->nloops = tp->nall;
	m->nstalled = 0;
	for (i = 0; i < tp->nall; i++) {
		m->nstalled += tp->all[i].state == LOOP_STALLED;
		if (matches(&tp->all[i], tp->filter))
			m->rows[m->nrows++] = tp->all[i];
	}
	qsort_r(m->rows, m->nrows, sizeof(*m->rows), cmp_rows, &m->sort);
	for (i = 0; tp->follow && i < m->nrows; i++)
		if (m->rows[i].tid == tp->selected_tid)
			break;
	if (!tp->follow)
		i = 0;
	else if (i == m->nrows)
		i = m->selected < 0 ? 0 : m->selected < m->nrows ? m->selected : m->nrows - 1;
	m->selected = m->nrows ? i : -1;
	tp->selected_tid = m->nrows ? m->rows[i].tid : 0;
	if (m->selected < 0)
		m->detail = false;
}

/* "fetch (app.py:9) via urlopen", escaped. */
static void culprit_name(const struct culprit_row *row, char *buf, size_t len)
{
	FILE *m = fmemopen(buf, len, "w");

	buf[0] = 0;
	if (!m)
		return;
	if (row->other)
		fputs("(other culprits)", m);
	else if (!row->has_at)
		fputs("(no stack)", m);
	else
		frame_put(m, &row->at, FRAME_SHORT | FRAME_TAGS, term_escape);
	if (row->holds_gil)
		fputs(" holding the GIL", m);
	if (row->via[0]) {
		fputs(" via ", m);
		term_escape(m, row->via);
	}
	fclose(m);
	buf[len - 1] = 0;
}

/* The culprit view's rows, from the sink's table, under its lock. */
static void collect_culprits(struct top *tp)
{
	struct top_model *m = &tp->m;
	struct culprit_row **rows;
	struct top_culprit *c;
	size_t n, i;

	if (!m->culprits)
		return;
	pthread_mutex_lock(&tp->table->lock);
	rows = tp->table->culprits ? culprit_table_sorted(tp->table->culprits, &n) : NULL;
	if (!rows)
		n = 0;
	c = n ? realloc(m->crows, n * sizeof(*c)) : m->crows;
	if (c) {
		m->crows = c;
		for (i = 0; i < n; i++) {
			const char *hint = culprit_row_hint(rows[i], NULL);

			culprit_name(rows[i], c[i].culprit, sizeof(c[i].culprit));
			c[i].stalls = rows[i]->count;
			c[i].total_ms = rows[i]->total_ms;
			c[i].p50_ms = culprit_row_quantile(rows[i], 0.5);
			c[i].p99_ms = culprit_row_quantile(rows[i], 0.99);
			c[i].max_ms = rows[i]->max_ms;
			c[i].cause = stall_cause_name(culprit_row_cause(rows[i]));
			c[i].processes = rows[i]->npids;
			c[i].more_processes = rows[i]->more_pids;
			escape_into(c[i].hint, sizeof(c[i].hint), term_escape, hint ? hint : "");
		}
		m->ncrows = (int)n;
	}
	pthread_mutex_unlock(&tp->table->lock);
	if (m->cselected >= m->ncrows)
		m->cselected = m->ncrows ? m->ncrows - 1 : 0;
}

/* The selected loop's last stall report, copied: the sink may replace it meanwhile. */
static char *selected_report(struct top *tp)
{
	struct stall_entry *e;
	char *report = NULL;

	pthread_mutex_lock(&tp->table->lock);
	e = table_find(tp->table, tp->selected_tid, false);
	if (e && e->report)
		report = strdup(e->report);
	pthread_mutex_unlock(&tp->table->lock);
	return report;
}

static void draw(struct top *tp)
{
	char *report = NULL;

	if (tp->m.detail)
		report = selected_report(tp);
	tp->m.report = report;
	view_draw(&tp->m);
	tp->m.report = NULL;
	free(report);
}

/* Starts the full screen on first use, after main's "watching" line. */
static int screen_start(struct top *tp)
{
	int err;

	if (tp->screen_on || tp->batch)
		return 0;
	err = view_screen_open();
	if (err) {
		fprintf(stderr, "loopstall: cannot use this terminal (TERM=%s); printing snapshots instead\n",
			getenv("TERM") ? getenv("TERM") : "");
		tp->batch = true;
		/* Closing them takes them out of main's epoll set too. */
		close(tp->input_fd);
		close(tp->winch_fd);
		tp->input_fd = tp->winch_fd = -1;
		return err;
	}
	tp->screen_on = true;
	return 0;
}

void top_refresh(struct top *tp)
{
	if (!tp->m.paused && collect(tp))
		return;
	arrange(tp);
	if (!tp->m.paused)
		collect_culprits(tp);
	if (!tp->batch)
		screen_start(tp);
	if (tp->batch) {
		/* Whole snapshots: --json records from the reporter thread go between them. */
		flockfile(stdout);
		view_batch(stdout, &tp->m);
		funlockfile(stdout);
		return;
	}
	/* Repaints every line: a stderr message may have been written over the screen. */
	redrawwin(stdscr);
	draw(tp);
}

static void move_selection(struct top *tp, int by)
{
	struct top_model *m = &tp->m;
	int i = m->selected + by;

	if (m->culprits) {
		i = m->cselected + by;
		m->cselected = i >= m->ncrows ? m->ncrows - 1 : i;
		if (m->cselected < 0)
			m->cselected = 0;
		return;
	}
	if (m->detail) {
		m->detail_scroll += by;
		if (m->detail_scroll < 0)
			m->detail_scroll = 0;
		return;
	}
	if (!m->nrows)
		return;
	tp->follow = true;
	if (i < 0)
		i = 0;
	if (i >= m->nrows)
		i = m->nrows - 1;
	m->selected = i;
	tp->selected_tid = m->rows[i].tid;
}

/* A key while typing a filter. */
static void filter_key(struct top *tp, int ch)
{
	size_t len = strlen(tp->filter);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		tp->m.editing_filter = false;
	} else if (ch == 27) {
		memcpy(tp->filter, tp->filter_saved, sizeof(tp->filter));
		tp->m.editing_filter = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			tp->filter[len - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(tp->filter)) {
		tp->filter[len] = (char)ch;
		tp->filter[len + 1] = '\0';
	}
}

/* One key; true to quit. */
static bool handle_key(struct top *tp, int ch)
{
	struct top_model *m = &tp->m;
	int page = view_page_rows();

	if (ch == KEY_RESIZE)
		return false;
	if (m->editing_filter) {
		filter_key(tp, ch);
		return false;
	}
	if (m->help) {
		m->help = false;
		return ch == 'q';
	}
	switch (ch) {
	case 'q': return true;
	case KEY_UP:
	case 'k': move_selection(tp, -1); break;
	case KEY_DOWN:
	case 'j': move_selection(tp, 1); break;
	case KEY_PPAGE: move_selection(tp, -page); break;
	case KEY_NPAGE:
	case ' ': move_selection(tp, page); break;
	case KEY_HOME:
	case 'g': move_selection(tp, -m->nrows); break;
	case KEY_END:
	case 'G': move_selection(tp, m->nrows); break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		m->detail = !m->detail && m->selected >= 0;
		m->detail_scroll = 0;
		tp->follow = true; /* the pane stays on this loop */
		break;
	case 27: /* Esc */
	case KEY_LEFT:
	case KEY_BACKSPACE:
		if (m->detail)
			m->detail = false;
		else if (ch == 27)
			tp->filter[0] = '\0';
		break;
	case 's': m->sort = (m->sort + 1) % SORT_NR; break;
	case 'S': m->sort = (m->sort + SORT_NR - 1) % SORT_NR; break;
	case '/':
		memcpy(tp->filter_saved, tp->filter, sizeof(tp->filter));
		m->editing_filter = true;
		m->detail = false;
		break;
	case 'p': m->paused = !m->paused; break;
	case 'c':
		m->culprits = !m->culprits;
		m->detail = false;
		collect_culprits(tp);
		break;
	case '?':
	case 'h': m->help = true; break;
	}
	return false;
}

bool top_handle_input(struct top *tp)
{
	struct signalfd_siginfo si;
	struct epoll_event ev;
	bool resized = false;
	int ch;

	if (tp->batch || screen_start(tp))
		return false;
	while (read(tp->winch_fd, &si, sizeof(si)) == sizeof(si))
		resized = true;
	if (resized)
		view_screen_resize();
	/* A hung-up terminal stays readable: stop listening to it rather than spin. */
	if (epoll_wait(tp->input_fd, &ev, 1, 0) == 1 && ev.data.fd == STDIN_FILENO &&
	    (ev.events & (EPOLLHUP | EPOLLERR)))
		epoll_ctl(tp->input_fd, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
	while ((ch = getch()) != ERR)
		if (handle_key(tp, ch))
			return true;
	arrange(tp);
	draw(tp);
	return false;
}

int top_input_fd(const struct top *tp)
{
	return tp && !tp->batch ? tp->input_fd : -1;
}

/* An epoll fd for main's loop: keys on stdin and SIGWINCH, through a signalfd. */
static int input_open(struct top *tp)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGWINCH);
	/* Blocked before the reporter thread starts, so no thread takes it. */
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	tp->winch_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tp->input_fd = epoll_create1(EPOLL_CLOEXEC);
	if (tp->winch_fd < 0 || tp->input_fd < 0)
		return -errno;
	ev.data.fd = tp->winch_fd;
	if (epoll_ctl(tp->input_fd, EPOLL_CTL_ADD, tp->winch_fd, &ev))
		return -errno;
	ev.data.fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO) && epoll_ctl(tp->input_fd, EPOLL_CTL_ADD, STDIN_FILENO, &ev))
		return -errno;
	return 0;
}

struct top *top_new(struct tracer *t, const struct top_config *cfg)
{
	struct top *tp = calloc(1, sizeof(*tp));

	if (!tp)
		return NULL;
	tp->input_fd = tp->winch_fd = -1;
	tp->tracer = t;
	tp->runtimes = cfg->runtimes;
	tp->containers = cfg->containers;
	tp->threshold_ns = cfg->threshold_ns;
	tp->batch = cfg->batch || !isatty(STDOUT_FILENO);
	tp->m.selected = -1;
	tp->m.sort = SORT_WORST;
	tp->m.filter = tp->filter;
	tp->m.threshold_ns = cfg->threshold_ns;
	tp->table = calloc(1, sizeof(*tp->table));
	if (!tp->table) {
		free(tp->table);
		tp->table = NULL;
		top_free(tp);
		return NULL;
	}
	tp->table->culprits = culprit_table_new(TOP_CULPRITS);
	if (!tp->table->culprits) {
		free(tp->table);
		tp->table = NULL;
		top_free(tp);
		return NULL;
	}
	pthread_mutex_init(&tp->table->lock, NULL);
	tp->table->refs = 1;
	tp->table->sink.ops = &top_sink_ops;
	/* Only the character type: numbers in other sinks' output stay "3.00s". */
	setlocale(LC_CTYPE, "");
	if (!tp->batch && input_open(tp)) {
		top_free(tp);
		return NULL;
	}
	return tp;
}

void top_free(struct top *tp)
{
	if (!tp)
		return;
	if (tp->screen_on)
		view_screen_close();
	if (tp->input_fd >= 0)
		close(tp->input_fd);
	if (tp->winch_fd >= 0)
		close(tp->winch_fd);
	if (tp->table)
		table_put(tp->table);
	loops_snapshot_free(&tp->loops);
	free(tp->prev);
	free(tp->all);
	free(tp->shown);
	free(tp->m.crows);
	free(tp);
}
