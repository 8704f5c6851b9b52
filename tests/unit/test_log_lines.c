// SPDX-License-Identifier: GPL-2.0
/* Lines of a log: plain, gzip'd, cut short, with a line past the limit, without a last newline. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "record/record_read.h"
#include "report/log_lines.h"
#include "run_suite.h"

static char dir[] = "/tmp/test_log_lines.XXXXXX";

static const char *path_of(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_plain(const char *name, const char *data, size_t len)
{
	FILE *f = fopen(path_of(name), "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void write_gz(const char *name, const char *data, size_t len)
{
	gzFile g = gzopen(path_of(name), "wb");

	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(gzwrite(g, data, len), (int)len);
	gzclose(g);
}

/* Every result of log_lines_next, lines as "L<text>", the rest as "E<errno>". */
static char *read_all(const char *name)
{
	static char out[1 << 18];
	struct log_lines *l;
	const char *line;
	size_t len, used = 0;
	int ret;

	ck_assert_int_eq(log_lines_open(path_of(name), &l), 0);
	out[0] = 0;
	while ((ret = log_lines_next(l, &line, &len)) != 0) {
		if (used > sizeof(out) - 64)
			continue; /* enough said: the rest is read, not kept */
		if (ret == 1)
			used += snprintf(out + used, sizeof(out) - used, "L%.*s|", (int)(len < 40 ? len : 40), line);
		else
			used += snprintf(out + used, sizeof(out) - used, "E%d|", -ret);
	}
	log_lines_close(l);
	return out;
}

START_TEST(plain_and_gzip_read_the_same)
{
	const char *data = "one\ntwo\n\nthree";

	write_plain("plain", data, strlen(data));
	write_gz("gz", data, strlen(data));
	ck_assert_str_eq(read_all("plain"), "Lone|Ltwo|L|Lthree|");
	ck_assert_str_eq(read_all("gz"), "Lone|Ltwo|L|Lthree|");
}
END_TEST

START_TEST(a_cut_gzip_stream_gives_what_it_holds_then_says_so)
{
	char big[200000], *gz;
	size_t i, n;
	FILE *f;

	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 100 == 99 ? '\n' : 'a' + (i * 7919) % 26;
	write_gz("whole.gz", big, sizeof(big));
	f = fopen(path_of("whole.gz"), "r");
	gz = malloc(1 << 20);
	n = fread(gz, 1, 1 << 20, f);
	fclose(f);
	write_plain("cut.gz", gz, n / 2);
	free(gz);
	/* the lines before the cut, then EIO */
	ck_assert_ptr_nonnull(strstr(read_all("cut.gz"), "E5|"));
	ck_assert_int_eq(read_all("cut.gz")[0], 'L');
}
END_TEST

START_TEST(a_line_past_the_limit_is_skipped_whole)
{
	size_t n = RECORD_LINE_MAX + 100;
	char *data = malloc(n + 20);

	memcpy(data, "first\n", 6);
	memset(data + 6, 'x', n);
	memcpy(data + 6 + n, "\nlast\n", 6);
	write_plain("long", data, n + 12);
	free(data);
	ck_assert_str_eq(read_all("long"), "Lfirst|E7|Llast|"); /* E2BIG */
}
END_TEST

START_TEST(a_missing_file_is_its_errno)
{
	struct log_lines *l;

	ck_assert_int_eq(log_lines_open(path_of("none"), &l), -ENOENT);
}
END_TEST

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

int main(void)
{
	Suite *s = suite_create("log_lines");
	TCase *tc = tcase_create("core");
	int ret;

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, plain_and_gzip_read_the_same);
	tcase_add_test(tc, a_cut_gzip_stream_gives_what_it_holds_then_says_so);
	tcase_add_test(tc, a_line_past_the_limit_is_skipped_whole);
	tcase_add_test(tc, a_missing_file_is_its_errno);
	suite_add_tcase(s, tc);
	ret = run_suite(s);
	for (const char *const *f = (const char *const[]){"plain", "gz", "whole.gz", "cut.gz", "long", NULL}; *f; f++)
		unlink(path_of(*f));
	rmdir(dir);
	return ret;
}
