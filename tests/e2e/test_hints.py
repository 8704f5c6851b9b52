"""Hints on live stalls: the FastAPI seed case, Node's readFileSync, Redis's KEYS and Python frameworks with
loops of their own (rules: user/record/hints.rules)."""
import os
import subprocess
import time

import pytest

from conftest import APPS, PYTHON, free_port, http_get, redis_cli, start_gunicorn, start_redis, wait_port, worker_pids


def end_of(ls, timeout=15):
    _, r = ls.wait_for(lambda r: r.get("event") == "stall" and r.get("phase") == "end", timeout=timeout)
    return r


def test_fastapi_async_task_calling_time_sleep_gets_the_time_sleep_hint(procs, loopstall):
    port = free_port()
    arbiter = start_gunicorn(procs, port)
    http_get(port, "/")
    http_get(port, "/action/3")
    ls = loopstall(["-p", str(arbiter.pid)])
    ls.wait_ready()
    text = loopstall(["-p", str(arbiter.pid)], json_output=False)
    text.wait_ready()
    http_get(port, "/action/1")  # a def task: no stall, so no hint
    time.sleep(2)
    assert ls.stalls() == [], ls.stalls()
    http_get(port, "/action/2")
    end = end_of(ls)
    assert end["pid"] in worker_pids(arbiter.pid)
    assert end["hint"]["id"] == "py-time-sleep-starlette-task", end.get("hint")
    assert end["hint"]["text"].startswith("time.sleep blocks the event loop; use await asyncio.sleep()"), end["hint"]
    assert end["hint"]["link"].startswith("https://"), end["hint"]
    begin = ls.stalls(phase="begin")[0]
    assert begin["hint"] == end["hint"]
    # The text line: the hint is the last line of the record
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(l.startswith("STALL END") for _, l in text.lines):
        time.sleep(0.05)
    lines = [l for _, l in text.lines]
    at = next(i for i, l in enumerate(lines) if l.startswith("STALL END"))
    assert lines[at + 1] == "    hint: " + end["hint"]["text"], lines[at:at + 3]


def test_node_read_file_sync_gets_the_fs_promises_hint(procs, loopstall, tmp_path):
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    port = free_port()
    node = procs(["node", f"{APPS}/node_sync.js", str(port), str(fifo)], stdout=subprocess.PIPE, text=True)
    assert node.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    writer = procs(["/bin/sh", "-c", f'exec 3>"{fifo}"; sleep 0.6; echo x >&3'])
    http_get(port, "/read")
    end = end_of(ls)
    assert end["culprit"]["function"] == "readConfig" and end["via"]["function"] == "readFileSync", end
    assert end["hint"]["id"] == "node-fs-sync", end.get("hint")
    assert "fs.promises" in end["hint"]["text"], end["hint"]
    writer.proc.wait(timeout=5)


def test_redis_keys_gets_the_scan_hint_and_debug_sleep_its_own(procs, loopstall, tmp_path):
    redis, port = start_redis(procs, tmp_path)
    redis_cli(port, "DEBUG", "POPULATE", "3000000")
    ls = loopstall(["-p", str(redis.pid)])
    ls.wait_ready()
    redis_cli(port, "KEYS", "nomatch*")
    end = end_of(ls)
    assert end["hint"]["id"] == "redis-keys", end.get("hint")
    assert "SCAN" in end["hint"]["text"], end["hint"]
    # Another stall of the same server gets the hint of what it did.
    redis_cli(port, "DEBUG", "SLEEP", "0.3")
    time.sleep(0.6)
    sleeps = [r for r in ls.stalls(phase="end") if r.get("syscall") == "clock_nanosleep"]
    assert sleeps and sleeps[0]["hint"]["id"] == "redis-debug-sleep", sleeps
    ls.stop()


# framework: its rule, a word of its advice, the handler, the API it called
FRAMEWORK_HINTS = {"trio": ("py-trio-blocking", "trio.to_thread.run_sync", "handle_report", "time.sleep"),
                   "twisted": ("py-twisted-blocking", "deferToThread", "handle_report", "time.sleep"),
                   "tornado": ("py-tornado-blocking", "run_in_executor", "handle_report", "time.sleep"),
                   "django": ("py-django-async-view", "sync_to_async", "record_visit", "sqlite3.Connection.execute"),
                   "sqlalchemy": ("py-sqlalchemy-sync", "AsyncSession", "record_visit", "Connection.execute"),
                   "sqlite": ("py-sqlite-locked", "aiosqlite", "record_visit", "sqlite3.Connection.execute")}


@pytest.mark.parametrize("framework", sorted(FRAMEWORK_HINTS))
def test_a_framework_gets_its_own_advice(procs, loopstall, framework):
    """asyncio's advice is wrong on trio's, Twisted's and Tornado's loops, and not the whole story in a Django
    async view (uvicorn), through SQLAlchemy's synchronous engine or on a locked sqlite database: each gets
    its own way out."""
    rule, advice, handler, via = FRAMEWORK_HINTS[framework]
    app = procs([PYTHON, f"{APPS}/frameworks.py", framework, str(free_port())], stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(app.pid)])
    assert app.proc.stdout.readline().strip() == "ready"
    ls.wait_ready()
    end = end_of(ls)
    assert end["culprit"]["function"].endswith(handler), end.get("culprit")
    assert end.get("via", {}).get("function") == via, end.get("via")
    assert end["hint"]["id"] == rule and advice in end["hint"]["text"], end.get("hint")
    if rule == "py-sqlite-locked":
        # sqlite's busy handler sleeps: the database and the process holding its lock are told
        waited = end.get("waited_for", {})
        holder = waited.get("lock_holder", {})
        assert waited.get("path", "").endswith("/app.db") and holder.get("pid") not in (None, app.pid), waited
        assert "BEGIN EXCLUSIVE" in holder["command"], holder


@pytest.mark.parametrize("mode, rule, advice", [("gevent", "py-gevent-blocking", "monkey.patch_all()"),
                                                 ("gevent-cpu", "py-gevent-cpu", "gevent.sleep(0)")])
def test_a_gevent_greenlet_stall_gets_gevents_advice(procs, loopstall, mode, rule, advice):
    """gevent's hub and greenlets run from compiled modules, so no Python frame says gevent: the process's
    files do. The record names the code and gevent's way out (monkey-patching; a process pool or
    gevent.sleep(0) for computing), never asyncio's."""
    app = procs([PYTHON, f"{APPS}/frameworks.py", mode], stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(app.pid)])
    assert app.proc.stdout.readline().strip() == "ready"
    ls.wait_ready()
    end = end_of(ls)
    assert end["culprit"]["function"].endswith("handle_report"), end.get("culprit")
    assert end.get("framework") == "gevent", end
    if mode == "gevent":
        assert end["via"]["function"] == "time.sleep", end.get("via")
    hint = end.get("hint", {})
    assert hint.get("id") == rule and advice in hint["text"], hint
    assert "asyncio" not in hint["text"], hint
