// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "attrib/service.h"
#include "run_suite.h"

/* The service of a command line written with spaces between arguments (each becomes a NUL). */
static const char *service(const char *spaced)
{
	static char out[96];
	char cmdline[512];
	size_t n = strlen(spaced), i;

	for (i = 0; i <= n; i++)
		cmdline[i] = spaced[i] == ' ' ? 0 : spaced[i];
	service_of_cmdline(cmdline, n + 1, out, sizeof(out));
	return out;
}

START_TEST(python_servers_by_their_app)
{
	ck_assert_str_eq(service("/usr/bin/python3 -m gunicorn -w 1 -t 2 -k uvicorn.workers.UvicornWorker "
				 "--bind 127.0.0.1:8000 app:app"),
			 "gunicorn app:app");
	ck_assert_str_eq(service("/usr/bin/python3 /usr/bin/gunicorn --bind=0.0.0.0:80 shop.wsgi:application"),
			 "gunicorn shop.wsgi:application");
	ck_assert_str_eq(service("/usr/local/bin/uvicorn main:app --port 8000"), "uvicorn main:app");
	ck_assert_str_eq(service("uvicorn --factory app.main:create_app()"), "uvicorn app.main:create_app()");
	ck_assert_str_eq(service("python3 -u -X dev /srv/checkout/checkout_service.py --port 9000"),
			 "checkout_service.py");
	ck_assert_str_eq(service("python3.11 -c import time"), "python3.11 -c");
	ck_assert_str_eq(service("python3"), "python3");
	ck_assert_str_eq(service("python3 - periodic"), "python3"); /* the script from stdin, then its arguments */
}
END_TEST

START_TEST(other_runtimes)
{
	ck_assert_str_eq(service("node --require ./tracing.js /srv/api/server.js 8080"), "node server.js");
	ck_assert_str_eq(service("/usr/bin/redis-server 127.0.0.1:6379"), "redis-server");
	ck_assert_str_eq(service("java -Xmx1g -cp lib/* -jar /opt/shop/shop.jar"), "shop.jar");
	ck_assert_str_eq(service("java -cp lib/netty.jar com.example.Server 8080"), "com.example.Server");
	ck_assert_str_eq(service("ruby -I lib app.rb"), "app.rb");
	ck_assert_str_eq(service("/srv/bin/tokio_server 9000"), "tokio_server");
}
END_TEST

/* A process that set its title over its arguments: one argument with spaces, maybe no final NUL. */
START_TEST(titles)
{
	char out[96];
	const char title[] = "nginx: worker process";

	service_of_cmdline(title, strlen(title), out, sizeof(out));
	ck_assert_str_eq(out, "nginx");
	service_of_cmdline("gunicorn: worker [app:app]", 27, out, sizeof(out));
	ck_assert_str_eq(out, "gunicorn app:app");
	/* nginx's workers: the title, then NULs over the rest of the old arguments' space */
	service_of_cmdline("nginx: worker process\0\0\0\0\0\0\0\0", 29, out, sizeof(out));
	ck_assert_str_eq(out, "nginx");
}
END_TEST

START_TEST(nothing_to_name)
{
	/* Bounded: a long name is cut to the buffer, never past it. */
	static const char long_name[] = "python3\0-m\0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	char out[96] = "x";

	service_of_cmdline("", 0, out, sizeof(out));
	ck_assert_str_eq(out, "");
	service_of_cmdline("\0\0", 2, out, sizeof(out));
	ck_assert_str_eq(out, "");
	service_of_cmdline(long_name, sizeof(long_name), out, 16);
	ck_assert_str_eq(out, "aaaaaaaaaaaaaaa");
	ck_assert_str_eq(service("gunicorn 127.0.0.1:80 unix:/run/x.sock"), "gunicorn");
}
END_TEST

START_TEST(what_says_little)
{
	const char *little[] = {"", "python3", "python3.11", "python3.11 -c", "pypy3", "node", "ruby3.1", "java"};
	const char *enough[] = {"gunicorn app:app", "checkout_service.py", "node server.js", "python_worker.py",
				"redis-server", "php-fpm", "com.example.Server"};

	for (size_t i = 0; i < sizeof(little) / sizeof(little[0]); i++)
		ck_assert_msg(service_says_little(little[i]), "%s", little[i]);
	for (size_t i = 0; i < sizeof(enough) / sizeof(enough[0]); i++)
		ck_assert_msg(!service_says_little(enough[i]), "%s", enough[i]);
}
END_TEST

int main(void)
{
	const TTest *tests[] = {python_servers_by_their_app, other_runtimes, titles, nothing_to_name, what_says_little};

	return run_tests("service", tests, sizeof(tests) / sizeof(tests[0]));
}
