"""The FastAPI case under gunicorn: which BackgroundTasks stall the loop."""
import json
import subprocess
import threading
import time

from conftest import (APPS, LOOPSTALL, PYTHON, TASK_SECONDS, free_port, http_get, python_frames, start_gunicorn,
                      worker_pids)

SLEEP_LINE = 22  # time.sleep in async_func_sync_timeout, apps/fastapi_app.py


def test_only_async_def_with_time_sleep_stalls_the_loop(procs, loopstall):
    port = free_port()
    arbiter = start_gunicorn(procs, port)
    (worker,) = worker_pids(arbiter.pid)
    # A worker's first requests import and build things: a real stall on a loaded machine.
    http_get(port, "/")
    http_get(port, "/action/3")
    ls = loopstall(["-p", str(arbiter.pid)])
    ls.wait_ready()

    # Actions 1 (def task in the thread pool) and 3 (awaits asyncio.sleep): no stall.
    assert "sync_func_sync_timeout" in http_get(port, "/action/1")
    assert "async_func_async_timeout" in http_get(port, "/action/3")
    time.sleep(TASK_SECONDS + 0.5)
    assert ls.stalls() == [], ls.stalls()

    # Action 2: an async def calling time.sleep stalls the worker's loop.
    sent = time.monotonic()
    assert "async_func_sync_timeout" in http_get(port, "/action/2?source=e2e")
    t_begin, begin = ls.wait_for(lambda r: r.get("phase") == "begin", timeout=5)
    t_end, end = ls.wait_for(lambda r: r.get("phase") == "end", timeout=5)

    # Reported while still going on: well before the task's sleep is over.
    assert t_begin - sent < TASK_SECONDS - 0.5, (t_begin - sent, begin)
    assert begin["threshold_ms"] <= begin["duration_ms"] < end["duration_ms"] - 500, (begin, end)
    assert begin["threshold_ms"] == 100
    for r in (begin, end):
        assert r["event"] == "stall"
        assert r["pid"] == worker and r["tid"] == worker, (r, worker)
        assert r["cause"] == "syscall"
        assert r["syscall"] == "clock_nanosleep"
    assert abs(end["duration_ms"] - TASK_SECONDS * 1000) < 300, end
    assert end["breakdown_ms"]["syscall"] > TASK_SECONDS * 1000 - 100, end
    assert t_end > t_begin

    frames = python_frames(begin)
    assert frames, begin
    inner = frames[0]
    assert inner["function"] == "async_func_sync_timeout", frames
    assert inner["file"].endswith("fastapi_app.py") and inner["line"] == SLEEP_LINE, inner
    assert inner["coroutine"] is True
    # The native frame at the blocking point comes first, innermost first.
    assert begin["stack"][0]["kind"] == "native"
    assert begin["stack"][0]["function"].startswith("clock_nanosleep"), begin["stack"][0]
    assert "libc" in begin["stack"][0]["module"]
    assert python_frames(end)[0]["function"] == "async_func_sync_timeout"
    # The request being served, from the ASGI scope in the task's locals, and the C function.
    for r in (begin, end):
        assert r["request"]["method"] == "GET" and r["request"]["path"] == "/action/2?\u2026", r["request"]
        host, client_port = r["request"]["client"].rsplit(":", 1)
        assert host == "127.0.0.1" and int(client_port) != port, r["request"]
        assert r["via"]["function"] == "time.sleep", r["via"]

    # Exactly one stall: one begin and one end.
    time.sleep(0.5)
    assert len(ls.stalls()) == 2, ls.stalls()
    assert ls.stop() == 0

    # At exit, the kernel's histogram of the worker loop's iterations.
    time.sleep(0.2)
    summary = [r for _, r in ls.records() if r["event"] == "summary" and r["tid"] == worker]
    assert len(summary) == 1, ls.records()
    s = summary[0]
    assert s["stalls"] == 1 and s["iterations"] >= 4, s
    assert sum(s["histogram_us"].values()) == s["iterations"]
    assert s["p50_ms"] <= s["p99_ms"] <= s["max_ms"]
    # The stall's iteration is in the bucket [1.05s, 2.1s) us.
    assert s["max_ms"] == 2097.152 and s["histogram_us"]["2097152"] == 1, s


def test_worker_timeout_ends_the_stall_and_says_who_killed_the_worker(procs, loopstall):
    """The seed's ending: gunicorn's arbiter kills the stalled worker (WORKER TIMEOUT, SIGABRT). The end
    record says so, and keeps what its begin record named (via time.sleep, the request, the hint)."""
    port = free_port()
    arbiter = start_gunicorn(procs, port, timeout=2, task_seconds=6)
    (worker,) = worker_pids(arbiter.pid)
    ls = loopstall(["-p", str(arbiter.pid)])
    ls.wait_ready()
    threading.Thread(target=lambda: _get_ignoring_errors(port, "/action/2"), daemon=True).start()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and r["pid"] == worker)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["pid"] == worker, timeout=15)
    assert end["exited"] is True and 1500 < end["duration_ms"] < 5500, end
    assert end["ended_by"]["signal"] == "ABRT" and end["ended_by"]["sender"]["pid"] == arbiter.pid, end["ended_by"]
    assert "gunicorn" in end["ended_by"]["sender"]["command"], end["ended_by"]
    for r in (begin, end):
        assert r["via"]["function"] == "time.sleep", r.get("via")
        assert r["culprit"]["function"] == "async_func_sync_timeout", r["culprit"]
        assert r["hint"]["id"] == begin["hint"]["id"], (r.get("hint"), begin.get("hint"))


def _get_ignoring_errors(port, path):
    try:
        http_get(port, path, timeout=15)
    except (OSError, AssertionError):
        pass  # the worker was killed: no answer


def test_records_name_the_service_of_each_process(procs, loopstall, tmp_path):
    """Two python3 processes stalling: the records tell the gunicorn app from the script, in JSON, text
    and report."""
    port = free_port()
    arbiter = start_gunicorn(procs, port)
    script = procs([PYTHON, f"{APPS}/periodic_staller.py", "0.3", "0.5"], stdout=subprocess.PIPE, text=True)
    assert script.proc.stdout.readline().strip() == "ready"
    log = tmp_path / "stalls.log"
    targets = ["-p", f"{arbiter.pid},{script.pid}"]
    ls = loopstall(targets + ["--log", str(log)])
    text = loopstall(targets, json_output=False)
    ls.wait_ready()
    text.wait_ready()
    http_get(port, "/action/2")
    worker = worker_pids(arbiter.pid)[0]
    ls.wait_for(lambda r: r.get("phase") == "end" and r["pid"] == worker, timeout=15)
    ls.wait_for(lambda r: r.get("phase") == "end" and r["pid"] == script.pid, timeout=15)
    services = {r["pid"]: r["service"] for r in ls.stalls(phase="end")}
    assert services == {worker: "gunicorn fastapi_app:app", script.pid: "periodic_staller.py"}, services
    deadline = time.monotonic() + 10
    want = f"STALL END pid {worker} (gunicorn fastapi_app:app) tid {worker} python3 "
    while time.monotonic() < deadline and not any(l.startswith(want) for _, l in text.lines):
        time.sleep(0.05)
    assert any(l.startswith(want) for _, l in text.lines), [l for _, l in text.lines if l.startswith("STALL")][:4]
    assert ls.stop() == 0
    report = subprocess.run([LOOPSTALL, "report", "--json", str(log)], capture_output=True, text=True, timeout=60)
    rows = [json.loads(l) for l in report.stdout.splitlines() if '"culprit"' in l]
    assert {s for r in rows for s in r["services"]} == set(services.values()), report.stdout
