// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>

#include "base/escape.h"
#include "run_suite.h"

static char out[1024];

static const char *escaped(void (*fn)(FILE *, const char *), const char *s)
{
	FILE *f;

	out[0] = 0;
	f = fmemopen(out, sizeof(out), "w");

	fn(f, s);
	fclose(f);
	return out;
}

START_TEST(json_specials)
{
	ck_assert_str_eq(escaped(json_escape, "plain"), "plain");
	ck_assert_str_eq(escaped(json_escape, "a\"b\\c"), "a\\\"b\\\\c");
	ck_assert_str_eq(escaped(json_escape, "l1\nl2\r\t"), "l1\\nl2\\r\\t");
	ck_assert_str_eq(escaped(json_escape, "\x1b[31mred\x7f"), "\\u001b[31mred\\u007f");
	ck_assert_str_eq(escaped(json_escape, ""), "");
}
END_TEST

START_TEST(json_utf8)
{
	/* Valid UTF-8 passes through; invalid bytes become U+FFFD. */
	ck_assert_str_eq(escaped(json_escape, "gr\xc3\xb6\xc3\x9f"
					      "e \xe7\x9d\xa1"),
			 "gr\xc3\xb6\xc3\x9f"
			 "e \xe7\x9d\xa1");
	ck_assert_str_eq(escaped(json_escape, "bad\xff"), "bad\\ufffd");
	ck_assert_str_eq(escaped(json_escape, "cut\xe7\x9d"), "cut\\ufffd\\ufffd");
	ck_assert_str_eq(escaped(json_escape, "overlong\xc0\xaf"), "overlong\\ufffd\\ufffd");
	ck_assert_str_eq(escaped(json_escape, "c1\xc2\x9b"), "c1\\ufffd\\ufffd");
}
END_TEST

START_TEST(terminal_controls)
{
	/* A process name cannot paint the terminal: escape sequences are shown, not sent. */
	ck_assert_str_eq(escaped(term_escape, "\x1b]0;pwned\x07name"), "\\x1b]0;pwned\\x07name");
	ck_assert_str_eq(escaped(term_escape, "a\\b"), "a\\\\b");
	ck_assert_str_eq(escaped(term_escape, "csi\xc2\x9b"
					      "2J"),
			 "csi\\xc2\\x9b2J");
	ck_assert_str_eq(escaped(term_escape, "ok \xc3\xa9"), "ok \xc3\xa9");
}
END_TEST

/* Text that reads backwards or breaks lines though it is valid UTF-8: shown as code points. */
START_TEST(deceptive_characters)
{
	const char *name = "evil\xe2\x80\xae" "exe.txt\xe2\x80\xa8" "x"; /* U+202E, U+2028 */

	ck_assert_str_eq(escaped(term_escape, name), "evil\\u202eexe.txt\\u2028x");
	ck_assert_str_eq(escaped(json_escape, name), "evil\\u202eexe.txt\\u2028x");
	ck_assert_str_eq(escaped(label_escape, name), "evil\\\\u202eexe.txt\\\\u2028x");
	ck_assert_str_eq(escaped(term_escape, "\xe2\x81\xa6iso"), "\\u2066iso");
}
END_TEST

/* Prometheus label values: the format's own escapes, and controls or invalid UTF-8 as text. */
START_TEST(label_values)
{
	ck_assert_str_eq(escaped(label_escape, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
	ck_assert_str_eq(escaped(label_escape, "\x1b[31mred"), "\\\\x1b[31mred");
	ck_assert_str_eq(escaped(label_escape, "bad\xff\xfe"), "bad\\\\xff\\\\xfe");
	ck_assert_str_eq(escaped(label_escape, "ok \xc3\xa9"), "ok \xc3\xa9");
}
END_TEST

START_TEST(escape_into_a_buffer)
{
	char buf[8];

	escape_into(buf, sizeof(buf), term_escape, "\x1b\x1b\x1b");
	ck_assert_str_eq(buf, "\\x1b\\x"); /* cut to fit */
}
END_TEST

int main(void)
{
	const TTest *tests[] = {json_specials,	      json_utf8,    terminal_controls,
				deceptive_characters, label_values, escape_into_a_buffer};

	return run_tests("escape", tests, sizeof(tests) / sizeof(tests[0]));
}
