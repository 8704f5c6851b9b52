// SPDX-License-Identifier: GPL-2.0
/* How a container is named beside the comm (text, top) and in the metrics label. */
#include <check.h>
#include <string.h>

#include "record/container.h"
#include "run_suite.h"

#define ID "3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0"

static struct container_info info(const char *runtime, const char *id, const char *uid, const char *ns, const char *pod,
				  const char *name)
{
	struct container_info c;

	memset(&c, 0, sizeof(c));
	strcpy(c.runtime, runtime);
	strcpy(c.id, id);
	strcpy(c.pod_uid, uid);
	strcpy(c.namespace, ns);
	strcpy(c.pod, pod);
	strcpy(c.name, name);
	return c;
}

START_TEST(labels)
{
	struct container_info c;
	char buf[512], id[256];

	c = info("containerd", ID, "5d7e", "shop", "web-1", "app");
	container_label(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pod shop/web-1 container app");
	ck_assert_str_eq(container_metric_name(&c, id, sizeof(id)), "app");
	c = info("cri", ID, "5d7e", "", "", "");
	container_label(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "pod uid 5d7e container 3f4e5d6c7b8a");
	ck_assert_str_eq(container_metric_name(&c, id, sizeof(id)), "3f4e5d6c7b8a");
	c = info("docker", ID, "", "", "", "");
	container_label(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "docker 3f4e5d6c7b8a");
	ck_assert(container_known(&c) && container_shown(&c));
	/* A unit is labelled in metrics, not beside the comm. */
	c = info("systemd", "nginx.service", "", "", "", "");
	container_label(&c, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ck_assert_str_eq(container_metric_name(&c, id, sizeof(id)), "nginx.service");
	ck_assert(container_known(&c) && !container_shown(&c));
	c = info("", "", "", "", "", "");
	ck_assert(!container_known(&c));
	c.pid_in_container = 7;
	ck_assert(container_known(&c) && !container_shown(&c));
	/* Cut to the buffer, always terminated. */
	c = info("containerd", ID, "5d7e", "shop", "web-1", "app");
	container_label(&c, buf, 9);
	ck_assert_str_eq(buf, "pod shop");
}
END_TEST

int main(void)
{
	const TTest *tests[] = {labels};

	return run_tests("container_label", tests, sizeof(tests) / sizeof(tests[0]));
}
