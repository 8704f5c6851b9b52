/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LOOPSTALL_PY_REQUEST_H
#define LOOPSTALL_PY_REQUEST_H

#include "base/target_memory.h"
#include "record/stall_record.h"
#include "runtimes/python/frame.h"
#include "runtimes/python/layouts.h"

/*
 * The HTTP request a stalled task serves, from its frames' locals, as
 * `py-spy dump --locals` reads them: the innermost coroutine frame with a
 * local `scope` that is an ASGI scope (a dict whose "type" is "http" or
 * "websocket": uvicorn, hypercorn, Starlette, FastAPI) gives its method,
 * path and query string, and client; for aiohttp, the innermost with a
 * local `request` whose _message is a RawRequestMessage (method, path with
 * its query) and _transport_peername the client. Locals are untrusted: every object's
 * type is checked before it is read, dicts and tuples are bounded, nothing
 * is followed past the scope's own values. 0 and *out, or -ENOENT.
 */
int py_find_request(const struct mem_reader *m, const struct py_layout *L, const struct walk *w, int n,
		    struct served_request *out);

#endif
