// SPDX-License-Identifier: GPL-2.0
/*
 * Drawing loopstall top: the table of loops, the detail pane of one loop,
 * the help, and batch mode's plain-text snapshots. Strings from targets are
 * escaped (escape.h) before they reach the screen, so a process cannot
 * paint the terminal through its name or its function names.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "base/duration.h"
#include "base/escape.h"
#include "base/histogram.h"
#include "record/output.h"
#include "base/syscalls.h"
#include "record/culprit.h"
#include "top/top_view.h"

#define MIN_CULPRIT   20 /* narrow terminals hide columns to leave the culprit this much, */
#define CULPRIT_SHARE 4	 /* or 1/4 of the width on wider ones */
#define PAIR_STALLED  1
#define CELL_LEN      2048

enum col {
	COL_PID,
	COL_TID,
	COL_COMM,
	COL_SERVICE,   /* shown when some loop's service is not its name */
	COL_CONTAINER, /* shown when some loop runs in a container or pod */
	COL_RUNTIME,
	COL_STATE,
	COL_ITERS,
	COL_BUSY,
	COL_P50,
	COL_P99,
	COL_MAX,
	COL_STALLS,
	COL_CULPRIT,
	COL_NR,
};

struct column {
	const char *title;
	int width;	    /* 0: the rest of the line */
	bool right;	    /* numbers */
	int drop;	    /* narrow terminals hide columns by increasing drop; 0: never */
	enum top_sort sort; /* the order this column marks with '*'; SORT_NR: none */
};

static const struct column columns[COL_NR] = {
	[COL_PID] = {"PID", 7, false, 0, SORT_PID},	    [COL_TID] = {"TID", 7, false, 3, SORT_NR},
	[COL_COMM] = {"COMM", 15, false, 0, SORT_COMM},	    [COL_RUNTIME] = {"RUNTIME", 7, false, 8, SORT_NR},
	[COL_STATE] = {"STATE", 14, false, 0, SORT_WORST},  [COL_ITERS] = {"ITER/S", 7, true, 5, SORT_ITERS},
	[COL_BUSY] = {"BUSY%", 6, true, 6, SORT_BUSY},	    [COL_P50] = {"P50", 7, true, 2, SORT_NR},
	[COL_P99] = {"P99", 7, true, 7, SORT_P99},	    [COL_MAX] = {"MAX", 7, true, 4, SORT_MAX},
	[COL_STALLS] = {"STALLS", 8, true, 0, SORT_STALLS}, [COL_CULPRIT] = {"LAST CULPRIT", 0, false, 0, SORT_NR},
	[COL_CONTAINER] = {"CONTAINER", 24, false, 9, SORT_NR}, [COL_SERVICE] = {"SERVICE", 20, false, 1, SORT_NR},
};

static const char *const sort_names[SORT_NR] = {
	[SORT_WORST] = "worst stall", [SORT_BUSY] = "busy%",	[SORT_ITERS] = "iter/s", [SORT_P99] = "p99",
	[SORT_MAX] = "max",	      [SORT_STALLS] = "stalls", [SORT_PID] = "pid",	 [SORT_COMM] = "comm",
};

static const char *const help_text = "loopstall top: one row per event-loop thread, the loop in trouble on top.\n"
				     "\n"
				     "  Up/Down, j/k   select a loop (PgUp/PgDn, Home/End too)\n"
				     "  Enter          details: the last stall's report and the iteration histogram\n"
				     "  Esc            back from the details; clear the filter\n"
				     "  s              next sort order (its column is marked *)\n"
				     "  /              filter: substring of the command, service or container, or the PID\n"
				     "  p              pause or resume updates\n"
				     "  c              culprits: stalls since watched, grouped by culprit, most time\n"
				     "                 first; the bottom line is the selected one's hint (c: back)\n"
				     "  ?              this help\n"
				     "  q              quit\n"
				     "\n"
				     "  STATE    idle (waiting in epoll), busy (in an iteration), STALLED (busy\n"
				     "           for the threshold or longer, counting)\n"
				     "  ITER/S   iterations per second over the last interval\n"
				     "  BUSY%    share of the last interval spent in iterations\n"
				     "  P50 P99 MAX  iteration times in the last interval (log2 bucket bounds)\n"
				     "  STALLS   stalls ended in the last interval / since watched\n"
				     "  LAST CULPRIT  the last stall: what blocked, in which function\n"
				     "\n"
				     "Press any key to close this help.\n";

static SCREEN *screen;
static bool ascii_only; /* the terminal's locale is not UTF-8: other bytes show as '?' */

static const char *view_sort_name(enum top_sort s)
{
	return s < SORT_NR ? sort_names[s] : "?";
}

/* s escaped for a terminal, into buf (cut to fit). */
static const char *escaped(const char *s, char *buf, size_t len)
{
	escape_into(buf, len, term_escape, s);
	return buf;
}

static const char *dur(uint64_t ns, char *buf, size_t len)
{
	duration_format(ns, buf, len);
	return buf;
}

/* Length in bytes of the character at s, and its width in columns. */
static int char_at(const char *s, int *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	wchar_t cp = p[0];
	int n = 1, i;

	if (p[0] >= 0xf0)
		n = 4, cp = p[0] & 0x07;
	else if (p[0] >= 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xc0)
		n = 2, cp = p[0] & 0x1f;
	for (i = 1; i < n; i++) {
		/* A sequence cut short by a truncated buffer: one byte. */
		if ((p[i] & 0xc0) != 0x80) {
			n = 1;
			cp = p[0];
			break;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*cols = cp < 0x80 || ascii_only ? 1 : wcwidth(cp);
	if (*cols < 0)
		*cols = 1;
	return n;
}

/* s (escaped) cut or padded to width columns, into out; width < 0: as is. */
static const char *fit(const char *s, int width, bool right, char *out, size_t len)
{
	size_t end = 0, o = 0, i;
	int used = 0, cols, n, pad;

	while (s[end]) {
		n = char_at(s + end, &cols);
		if (width >= 0 && used + cols > width)
			break;
		used += cols;
		end += n;
	}
	pad = width > used ? width - used : 0;
	for (; right && pad > 0 && o + 1 < len; pad--)
		out[o++] = ' ';
	for (i = 0; i < end; i += n) {
		n = char_at(s + i, &cols);
		if (ascii_only && (unsigned char)s[i] >= 0x80) {
			if (o + 1 < len)
				out[o++] = '?';
		} else if (o + n < len) {
			memcpy(out + o, s + i, n);
			o += n;
		}
	}
	for (; pad > 0 && o + 1 < len; pad--)
		out[o++] = ' ';
	out[o] = '\0';
	return out;
}

/* One frame: "function (file:line)" or "function (module)"; the long form with its tags. */
static void put_frame(FILE *f, const struct stall_frame *fr, bool short_form)
{
	frame_put(f, fr, short_form ? FRAME_SHORT : FRAME_TAGS, term_escape);
}

static const char *cause_word(const struct stall_record *r)
{
	const char *name = syscall_name(r->syscall_nr);

	switch (r->cause) {
	case CAUSE_SYSCALL: return name ? name : "syscall";
	case CAUSE_CPU: return "on CPU";
	case CAUSE_RUNQUEUE: return "waiting for a CPU";
	case CAUSE_LOCK: return "lock";
	case CAUSE_GIL: return "GIL";
	case CAUSE_STOPPED: return "stopped";
	case CAUSE_OTHER: break;
	}
	return "off CPU";
}

void view_culprit(const struct stall_record *r, char *buf, size_t len)
{
	struct culprit c = culprit_of(r);
	FILE *f;

	memset(buf, 0, len);
	f = fmemopen(buf, len - 1, "w");
	if (!f)
		return;
	fputs(cause_word(r), f);
	if (c.at) {
		fputs(" in ", f);
		put_frame(f, c.at, true);
	}
	if (c.via) {
		fputs(" via ", f);
		put_frame(f, c.via, true);
	}
	if (c.coroutine) {
		fputs(" in coroutine ", f);
		put_frame(f, c.coroutine, true);
	}
	fclose(f);
}

char *view_report(const struct stall_record *r)
{
	char *text = NULL, wall[16], d[32], thr[32];
	size_t size = 0;
	struct tm tm;
	FILE *f;
	int i;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	localtime_r(&r->start_wall.tv_sec, &tm);
	strftime(wall, sizeof(wall), "%H:%M:%S", &tm);
	fprintf(f, "Stall of %s%s, began %s.%03ld, threshold %s, pid %d tid %d ", dur(r->duration_ns, d, sizeof(d)),
		r->ended ? "" : " so far (going on)", wall, r->start_wall.tv_nsec / 1000000,
		dur(r->threshold_ns, thr, sizeof(thr)), r->pid, r->tid);
	term_escape(f, r->comm);
	fputs(r->exited ? " (thread exited)\n" : "\n", f);
	fputs("  cause:     ", f);
	output_cause(f, r);
	fprintf(f, "\n  breakdown: cpu %s", dur(r->cpu_ns, d, sizeof(d)));
	fprintf(f, ", syscall %s", dur(r->blocked_sys_ns, d, sizeof(d)));
	fprintf(f, ", runqueue %s", dur(r->runq_ns, d, sizeof(d)));
	fprintf(f, ", other %s\n", dur(r->other_ns, d, sizeof(d)));
	if (r->runtime_status[0]) {
		char label[24];

		snprintf(label, sizeof(label), "%s:", r->runtime);
		fprintf(f, "  %-11s", label);
		term_escape(f, r->runtime_status);
		fputc('\n', f);
	}
	fputs(r->nframes ? "  stack, innermost first:\n" : "  no stack\n", f);
	for (i = 0; i < r->nframes; i++) {
		fprintf(f, "    #%-2d %-6s ", i, frame_kind_name(r->frames[i].kind));
		put_frame(f, &r->frames[i], false);
		fputc('\n', f);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The text of one cell; strings from the target come out escaped. */
static const char *cell(const struct top_row *r, enum col c, char *buf, size_t len)
{
	char d[32];

	switch (c) {
	case COL_PID: snprintf(buf, len, "%d", r->pid); break;
	case COL_TID: snprintf(buf, len, "%d", r->tid); break;
	case COL_COMM: escaped(r->comm, buf, len); break;
	case COL_SERVICE: escaped(r->service, buf, len); break;
	case COL_CONTAINER: escaped(r->container, buf, len); break;
	case COL_RUNTIME: snprintf(buf, len, "%s", r->runtime); break;
	case COL_STATE:
		if (r->state == LOOP_STALLED)
			snprintf(buf, len, "STALLED %s", dur(r->running_ns, d, sizeof(d)));
		else
			snprintf(buf, len, "%s", r->state == LOOP_BUSY ? "busy" : "idle");
		break;
	case COL_ITERS:
		if (!r->has_window)
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, r->iters_per_sec < 1000 ? "%.1f" : "%.0f", r->iters_per_sec);
		break;
	case COL_BUSY: snprintf(buf, len, r->has_window ? "%.1f" : "-", r->busy_pct); break;
	case COL_P50:
	case COL_P99:
	case COL_MAX: {
		uint64_t ns = c == COL_P50 ? r->p50_ns : c == COL_P99 ? r->p99_ns : r->max_ns;

		if (r->has_window && ns)
			snprintf(buf, len, "<%s", dur(ns, d, sizeof(d)));
		else
			snprintf(buf, len, "-");
		break;
	}
	case COL_STALLS:
		snprintf(buf, len, "%llu/%llu", (unsigned long long)r->stalls_window,
			 (unsigned long long)r->stalls_total);
		break;
	case COL_CULPRIT:
	case COL_NR: snprintf(buf, len, "%s", r->culprit); break;
	}
	return buf;
}

static const char *column_title(const struct top_model *m, enum col c, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", columns[c].title, columns[c].sort == m->sort ? "*" : "");
	return buf;
}

static void title_text(const struct top_model *m, char *buf, size_t len)
{
	char clock[16], thr[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(buf, len, "loopstall top  %s  %d loop%s, %d stalled  threshold %s  sort: %s%s%s%s", clock, m->nloops,
		 m->nloops == 1 ? "" : "s", m->nstalled, dur(m->threshold_ns, thr, sizeof(thr)),
		 view_sort_name(m->sort), m->filter && m->filter[0] ? "  filter: " : "", m->filter ? m->filter : "",
		 m->paused ? "  PAUSED" : "");
}

/* Whether a loop of the model runs in a container: else its column is left out. */
static bool any_container(const struct top_model *m)
{
	int i;

	for (i = 0; i < m->nrows; i++)
		if (m->rows[i].container[0])
			return true;
	return false;
}

/* Whether a loop's service says more than its name: else its column is left out. */
static bool any_service(const struct top_model *m)
{
	int i;

	for (i = 0; i < m->nrows; i++)
		if (m->rows[i].service[0] && strcmp(m->rows[i].service, m->rows[i].comm) != 0)
			return true;
	return false;
}

/* Columns a model may leave out, the others always there. */
static bool column_wanted(const struct top_model *m, int c)
{
	return (c != COL_CONTAINER || any_container(m)) && (c != COL_SERVICE || any_service(m));
}

/* Hides columns, least useful first, until the culprit gets its share of the width. */
static void visible_columns(const struct top_model *m, int width, bool shown[COL_NR])
{
	int used = 0, rank, i, culprit = width / CULPRIT_SHARE > MIN_CULPRIT ? width / CULPRIT_SHARE : MIN_CULPRIT;

	for (i = 0; i < COL_NR; i++) {
		shown[i] = column_wanted(m, i);
		if (columns[i].width && shown[i])
			used += columns[i].width + 1;
	}
	for (rank = 1; used + culprit > width && rank <= COL_NR; rank++) {
		for (i = 0; i < COL_NR; i++) {
			if (columns[i].drop == rank && shown[i]) {
				shown[i] = false;
				used -= columns[i].width + 1;
			}
		}
	}
}

/* One line of every column, title or row i (-1: titles), without trailing blanks. */
static void batch_line(FILE *out, const struct top_model *m, int i)
{
	char line[2 * CELL_LEN] = "", buf[CELL_LEN], txt[CELL_LEN];
	size_t len;
	int c;

	for (c = 0; c < COL_NR; c++) {
		if (!column_wanted(m, c))
			continue;
		if (i < 0)
			column_title(m, c, txt, sizeof(txt));
		else
			cell(&m->rows[i], c, txt, sizeof(txt));
		fit(txt, columns[c].width ? columns[c].width : -1, columns[c].right, buf, sizeof(buf));
		strncat(line, buf, sizeof(line) - strlen(line) - 2);
		strcat(line, " ");
	}
	len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = '\0';
	fprintf(out, "%s\n", line);
}

void view_batch(FILE *out, const struct top_model *m)
{
	char buf[CELL_LEN];
	int i;

	title_text(m, buf, sizeof(buf));
	fprintf(out, "%s\n", buf);
	for (i = -1; i < m->nrows; i++)
		batch_line(out, m, i);
	fputc('\n', out);
	fflush(out);
}

int view_screen_open(void)
{
	/* newterm, unlike initscr, fails with NULL instead of exiting on an unknown $TERM. */
	screen = newterm(NULL, stdout, stdin);
	if (!screen)
		return -ENOTTY;
	set_term(screen);
	ascii_only = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(PAIR_STALLED, COLOR_RED, -1);
	}
	return 0;
}

void view_screen_close(void)
{
	if (!screen)
		return;
	endwin();
	delscreen(screen);
	screen = NULL;
}

void view_screen_resize(void)
{
	struct winsize ws;

	if (screen && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
}

int view_page_rows(void)
{
	return LINES > 3 ? LINES - 3 : 1;
}

/* Text at (y, x), cut or padded to width columns. */
static void put(int y, int x, const char *s, int width, bool right, attr_t attr)
{
	char buf[CELL_LEN];

	if (width <= 0 || y < 0 || y >= LINES)
		return;
	attron(attr);
	mvaddstr(y, x, fit(s, width, right, buf, sizeof(buf)));
	attroff(attr);
}

static void draw_list(struct top_model *m)
{
	int page = view_page_rows(), x, c, i, y, w;
	char txt[CELL_LEN];
	bool shown[COL_NR];
	attr_t attr;

	visible_columns(m, COLS, shown);
	if (m->selected >= 0 && m->selected < m->first)
		m->first = m->selected;
	if (m->selected >= m->first + page)
		m->first = m->selected - page + 1;
	if (m->first > m->nrows - page)
		m->first = m->nrows > page ? m->nrows - page : 0;
	if (m->first < 0)
		m->first = 0;
	put(1, 0, "", COLS, false, A_REVERSE);
	for (x = 0, c = 0; c < COL_NR && x < COLS; c++) {
		if (!shown[c])
			continue;
		w = columns[c].width ? columns[c].width : COLS - x;
		put(1, x, column_title(m, c, txt, sizeof(txt)), w < COLS - x ? w : COLS - x, columns[c].right,
		    A_REVERSE | (columns[c].sort == m->sort ? A_BOLD : 0));
		x += w + 1;
	}
	for (i = m->first, y = 2; i < m->nrows && y < 2 + page; i++, y++) {
		attr = i == m->selected ? A_REVERSE : 0;
		put(y, 0, "", COLS, false, attr);
		for (x = 0, c = 0; c < COL_NR && x < COLS; c++) {
			if (!shown[c])
				continue;
			w = columns[c].width ? columns[c].width : COLS - x;
			if (w > COLS - x)
				w = COLS - x;
			if (c == COL_STATE && m->rows[i].state == LOOP_STALLED)
				put(y, x, cell(&m->rows[i], c, txt, sizeof(txt)), w, false,
				    attr | A_BOLD | (has_colors() ? COLOR_PAIR(PAIR_STALLED) : 0));
			else
				put(y, x, cell(&m->rows[i], c, txt, sizeof(txt)), w, columns[c].right, attr);
			x += w + 1;
		}
	}
}

static void status_line(const struct top_model *m)
{
	const struct top_row *r = m->selected >= 0 ? &m->rows[m->selected] : NULL;
	char buf[CELL_LEN], comm[64];

	if (m->editing_filter)
		snprintf(buf, sizeof(buf), "filter: %s_   (Enter: keep, Esc: cancel)", m->filter ? m->filter : "");
	else if (m->help)
		snprintf(buf, sizeof(buf), "any key: back");
	else if (m->culprits && m->ncrows)
		snprintf(buf, sizeof(buf), "hint: %s",
			 m->crows[m->cselected].hint[0] ? m->crows[m->cselected].hint : "none known for this culprit");
	else if (m->culprits)
		snprintf(buf, sizeof(buf), "c: back to the loops  q: quit");
	else if (m->detail)
		snprintf(buf, sizeof(buf), "Esc: back  j/k, PgUp/PgDn: scroll  q: quit");
	else if (r)
		snprintf(buf, sizeof(buf), "pid %d tid %d %s: %s", r->pid, r->tid, escaped(r->comm, comm, sizeof(comm)),
			 r->culprit[0] ? r->culprit : "no stall seen");
	else if (m->nloops)
		snprintf(buf, sizeof(buf), "no loop matches the filter (Esc clears it)");
	else
		snprintf(buf, sizeof(buf), "no event loop seen yet");
	/* Not the last column of the last line: writing there may scroll some terminals. */
	put(LINES - 1, 0, buf, COLS - 1, false, m->editing_filter ? A_BOLD : 0);
}

/* The detail pane's text: the loop, its iteration histogram, its last stall. */
static char *detail_text(const struct top_model *m)
{
	const struct top_row *r = &m->rows[m->selected];
	char *text = NULL, buf[CELL_LEN], d[64], lo[32];
	uint64_t total = hist_count(&r->hist), most = 0;
	size_t size = 0;
	int i, bar = COLS - 30 < 40 ? COLS - 30 : 40;
	FILE *f;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	fprintf(f, "pid %d  tid %d  comm %s  runtime %s  state %s\n", r->pid, r->tid,
		escaped(r->comm, buf, sizeof(buf)), r->runtime, cell(r, COL_STATE, d, sizeof(d)));
	if (r->service[0])
		fprintf(f, "service %s\n", escaped(r->service, buf, sizeof(buf)));
	if (r->container[0])
		fprintf(f, "in %s\n", escaped(r->container, buf, sizeof(buf)));
	if (r->has_window) {
		fprintf(f, "last interval: %.1f iterations/s, busy %.1f%%", r->iters_per_sec, r->busy_pct);
		fprintf(f, ", p50 %s", cell(r, COL_P50, d, sizeof(d)));
		fprintf(f, ", p99 %s", cell(r, COL_P99, d, sizeof(d)));
		fprintf(f, ", max %s\n", cell(r, COL_MAX, d, sizeof(d)));
	}
	fprintf(f, "stalls: %llu in the last interval, %llu since watched", (unsigned long long)r->stalls_window,
		(unsigned long long)r->stalls_total);
	if (r->worst_stall_ns)
		fprintf(f, ", longest %s", dur(r->worst_stall_ns, d, sizeof(d)));
	if (r->kills)
		fprintf(f, ", signalled %llu time%s", (unsigned long long)r->kills, r->kills == 1 ? "" : "s");
	fprintf(f, "\n\nIteration times since watched: %llu iterations (log2 buckets)\n", (unsigned long long)total);
	for (i = 0; i < LS_HIST_BUCKETS; i++)
		if (r->hist.slots[i] > most)
			most = r->hist.slots[i];
	for (i = 0; i < LS_HIST_BUCKETS && bar > 0; i++) {
		int n = r->hist.slots[i] ? (int)((r->hist.slots[i] * bar + most - 1) / most) : 0;

		if (!r->hist.slots[i])
			continue;
		fprintf(f, "  %6s .. <%-6s |%-*.*s %llu\n", i ? dur(hist_bucket_upper_ns(i - 1), lo, sizeof(lo)) : "0",
			dur(hist_bucket_upper_ns(i), d, sizeof(d)), bar, n,
			"################################################################################",
			(unsigned long long)r->hist.slots[i]);
	}
	fprintf(f, "\nLast stall:%s", m->report ? "\n" : " none seen\n");
	if (m->report)
		fputs(m->report, f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static void draw_lines(struct top_model *m, const char *text, bool scroll)
{
	int page = view_page_rows(), total = 0, line = 0, y = 2;
	const char *p, *nl;
	char buf[CELL_LEN];

	for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		total++;
		if (!nl)
			break;
	}
	if (scroll) {
		if (m->detail_scroll > total - page)
			m->detail_scroll = total - page;
		if (m->detail_scroll < 0)
			m->detail_scroll = 0;
	}
	for (p = text; *p && y < 2 + page; p = nl ? nl + 1 : p + strlen(p), line++) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (scroll && line < m->detail_scroll)
			continue;
		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		put(y++, 0, buf, COLS, false, 0);
	}
}

/* "  3.01s      3   1.00s   1.00s   1.00s syscall     1  nap (app.py:9) via time.sleep" */
void view_culprit_row(const struct top_culprit *c, int width, char *buf, size_t len)
{
	char total[16], p50[16], p99[16], max[16], procs[16], head[128], name[CELL_LEN];
	int n;

	duration_format((uint64_t)(c->total_ms * 1e6), total, sizeof(total));
	duration_format((uint64_t)(c->p50_ms * 1e6), p50, sizeof(p50));
	duration_format((uint64_t)(c->p99_ms * 1e6), p99, sizeof(p99));
	duration_format((uint64_t)(c->max_ms * 1e6), max, sizeof(max));
	snprintf(procs, sizeof(procs), "%d%s", c->processes, c->more_processes ? "+" : "");
	n = snprintf(head, sizeof(head), "%8s %7llu %7s %7s %7s %-9s %5s  ", total, (unsigned long long)c->stalls, p50,
		     p99, max, c->cause, procs);
	if (width < 60)
		width = 60;
	snprintf(buf, len, "%s%s", head, fit(c->culprit, width - n, false, name, sizeof(name)));
}

static void draw_culprits(struct top_model *m)
{
	int page = view_page_rows(), i, y;
	char line[CELL_LEN];

	if (m->cselected >= m->ncrows)
		m->cselected = m->ncrows - 1;
	if (m->cselected < 0)
		m->cselected = 0;
	if (m->cselected < m->cfirst)
		m->cfirst = m->cselected;
	if (m->cselected >= m->cfirst + page)
		m->cfirst = m->cselected - page + 1;
	snprintf(line, sizeof(line), "%8s %7s %7s %7s %7s %-9s %5s  %s", "TOTAL", "STALLS", "P50", "P99", "MAX",
		 "CAUSE", "PROCS", "CULPRIT");
	put(1, 0, line, COLS, false, A_REVERSE);
	for (i = m->cfirst, y = 2; i < m->ncrows && y < 2 + page; i++, y++) {
		view_culprit_row(&m->crows[i], COLS, line, sizeof(line));
		put(y, 0, line, COLS, false, i == m->cselected ? A_REVERSE : 0);
	}
	if (!m->ncrows)
		put(2, 0, "no stall has ended since loopstall started watching", COLS, false, 0);
}

void view_draw(struct top_model *m)
{
	char buf[CELL_LEN], *text;

	erase();
	title_text(m, buf, sizeof(buf));
	put(0, 0, buf, COLS, false, A_BOLD);
	if ((int)strlen(buf) + 10 <= COLS)
		put(0, COLS - 8, "? help", 6, false, 0);
	if (m->help) {
		put(1, 0, "Help", COLS, false, A_REVERSE);
		draw_lines(m, help_text, false);
	} else if (m->culprits) {
		draw_culprits(m);
	} else if (m->detail && m->selected >= 0) {
		snprintf(buf, sizeof(buf), "Details of pid %d tid %d", m->rows[m->selected].pid,
			 m->rows[m->selected].tid);
		put(1, 0, buf, COLS, false, A_REVERSE);
		text = detail_text(m);
		if (text)
			draw_lines(m, text, true);
		free(text);
	} else {
		draw_list(m);
	}
	status_line(m);
	refresh();
}
