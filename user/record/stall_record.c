// SPDX-License-Identifier: GPL-2.0
#include "record/stall_record.h"

const char *stall_cause_name(enum stall_cause cause)
{
	switch (cause) {
	case CAUSE_CPU: return "cpu";
	case CAUSE_SYSCALL: return "syscall";
	case CAUSE_RUNQUEUE: return "runqueue";
	case CAUSE_OTHER: return "other";
	case CAUSE_LOCK: return "lock";
	case CAUSE_GIL: return "gil";
	case CAUSE_STOPPED: return "stopped";
	}
	return "unknown";
}

const char *frame_kind_name(enum frame_kind kind)
{
	return kind == FRAME_PYTHON ? "python" : kind == FRAME_JS ? "js" : "native";
}
