"""A plain asyncio server: CPU-bound and pipe-blocked handlers, and an idle loop; a script that is none."""
import subprocess
import time

from conftest import APPS, PYTHON, assert_cpu_bound, free_port, http_get, python_frames, wait_port


def start_server(procs):
    port = free_port()
    server = procs([PYTHON, f"{APPS}/asyncio_server.py", str(port)])
    wait_port(port)
    return server, port


def test_cpu_bound_handler_is_cause_cpu_and_named(procs, loopstall):
    server, port = start_server(procs)
    ls = loopstall(["-p", str(server.pid)])
    ls.wait_ready()
    http_get(port, "/cpu")
    _, begin = ls.wait_for(lambda r: r["phase"] == "begin")
    _, end = ls.wait_for(lambda r: r["phase"] == "end")
    assert begin["pid"] == server.pid and begin["tid"] == server.pid
    for r in (begin, end):
        assert_cpu_bound(r)
    split = end["breakdown_ms"]
    assert split["cpu"] > 100 and split["syscall"] < 10, end
    names = [f["function"] for f in python_frames(begin)]
    assert "cpu_bound_handler" in names, names
    assert any(h["function"] in ("cpu_bound_handler", "cpu_bound_handler.<locals>.<genexpr>")
               for h in end["hot"] if h["of"] == "python"), end["hot"]
    assert names[names.index("cpu_bound_handler") + 1] == "handle", names
    handle = python_frames(begin)[names.index("handle")]
    assert handle["coroutine"] is True and handle["file"].endswith("asyncio_server.py")
    assert 500 < end["duration_ms"] < 1500, end


def test_pipe_blocked_handler_is_cause_syscall_with_fd(procs, loopstall):
    server, port = start_server(procs)
    ls = loopstall(["-p", str(server.pid)])
    ls.wait_ready()
    http_get(port, "/pipe")
    _, begin = ls.wait_for(lambda r: r["phase"] == "begin")
    _, end = ls.wait_for(lambda r: r["phase"] == "end")
    for r in (begin, end):
        assert r["cause"] == "syscall" and r["syscall"] == "read", r
        assert r["fd_target"].startswith("pipe:["), r
    assert python_frames(begin)[0]["function"] == "pipe_read_handler", begin["stack"]
    assert 700 < end["duration_ms"] < 1600, end


def test_idle_loop_reports_nothing(procs, loopstall):
    server, _ = start_server(procs)
    ls = loopstall(["-p", str(server.pid), "-d", "3s"])
    ls.wait_ready()
    assert ls.proc.wait(timeout=10) == 0
    time.sleep(0.2)
    assert ls.stalls() == [], ls.records()
    # Nothing but, possibly, the exit summary of the loop's few iterations.
    assert all(r["event"] == "summary" and r["stalls"] == 0 for _, r in ls.records()), ls.records()


def test_a_script_running_commands_is_no_loop_nor_killed_and_its_later_loop_is_watched(procs, loopstall):
    """subprocess.run(capture_output=True) polls the child's pipes: a script that does it and then sleeps
    has no event loop, so no stall and no kill; the asyncio loop the same thread runs later is watched."""
    script = procs([PYTHON, f"{APPS}/subprocess_script.py", "then-asyncio"], stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(script.pid), "--kill-after", "500ms"])
    ls.wait_ready()
    assert script.proc.stdout.readline().strip() == "done"
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert end["culprit"]["function"] == "main" and end["via"]["function"] == "time.sleep", end
    # The script's three sleeps of 0.8 s were no stalls: the loop's is the only one, and nothing was killed.
    assert [r["culprit"]["function"] for r in ls.stalls()] == ["main", "main"], ls.records()
    assert not [r for _, r in ls.records() if r["event"] == "kill"] and script.proc.poll() is None, ls.records()
