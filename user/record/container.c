// SPDX-License-Identifier: GPL-2.0
/* How a record's container is named in text, top and metrics. */
#include <stdio.h>
#include <string.h>

#include "record/container.h"

#define SHORT_ID 12 /* as docker ps and crictl ps show an id */

bool container_known(const struct container_info *c)
{
	return c->runtime[0] || c->pod_uid[0] || c->pid_in_container;
}

bool container_shown(const struct container_info *c)
{
	return c->pod_uid[0] || (c->id[0] && strcmp(c->runtime, "systemd") != 0);
}

/* A runtime's id cut as its tools show it; a unit whole. */
static void short_id(const struct container_info *c, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", strcmp(c->runtime, "systemd") == 0 ? (int)sizeof(c->id) : SHORT_ID, c->id);
}

void container_label(const struct container_info *c, char *buf, size_t len)
{
	char id[sizeof(c->id)];
	int n = 0;

	if (!len)
		return;
	buf[0] = 0;
	if (!container_shown(c))
		return;
	short_id(c, id, sizeof(id));
	if (c->pod[0])
		n = snprintf(buf, len, "pod %s%s%s", c->namespace, c->namespace[0] ? "/" : "", c->pod);
	else if (c->pod_uid[0])
		n = snprintf(buf, len, "pod uid %s", c->pod_uid);
	if (n < 0 || (size_t)n >= len)
		return;
	if (c->pod_uid[0] && (c->name[0] || id[0]))
		snprintf(buf + n, len - n, " container %s", c->name[0] ? c->name : id);
	else if (!c->pod_uid[0])
		snprintf(buf, len, "%s %s", c->runtime, id);
}

const char *container_metric_name(const struct container_info *c, char *buf, size_t len)
{
	if (c->name[0])
		return c->name;
	short_id(c, buf, len);
	return buf;
}
