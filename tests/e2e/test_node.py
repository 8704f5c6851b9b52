"""Node.js: JavaScript functions named from node's perf map."""
import os
import subprocess
import time

from conftest import APPS, free_port, http_get, wait_port

NODE_FLAGS = ["--perf-basic-prof-only-functions", "--interpreted-frames-native-stack"]


def start_node(procs, tmp_path, flags=NODE_FLAGS):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    port = free_port()
    p = procs(["node", *flags, f"{APPS}/node_server.js", str(port), str(fifo)], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    return p, port, fifo


def js_functions(record):
    return [f["function"] for f in record["stack"] if f["kind"] == "js"]


def test_read_on_a_fifo_names_the_js_function(procs, loopstall, tmp_path):
    node, port, fifo = start_node(procs, tmp_path)
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    http_get(port, "/fifo")
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    for r in (begin, end):
        assert r["cause"] == "syscall" and r["syscall"] == "read", r
        assert r["fd_target"] == str(fifo), r
    assert begin["stack"][0]["function"] == "read" and begin["stack"][0]["kind"] == "native"
    names = js_functions(begin)
    assert any("readFifoSlowly" in n and "node_server.js" in n for n in names), begin["stack"]
    assert any("readFileSync" in n for n in names), names


def test_pbkdf2_is_cpu_with_the_js_function_named(procs, loopstall, tmp_path):
    node, port, _ = start_node(procs, tmp_path)
    # V8 makes the per-function trampolines that the perf map names once a function has run.
    http_get(port, "/pbkdf2")
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    http_get(port, "/pbkdf2")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    assert end["cause"] == "cpu", end
    assert end["samples"]["native"] >= 10, end["samples"]
    # The app's JS code is among the hottest frames (a sample taken mid-call can miss a frame,
    # so which of the handler and hashPasswordSlowly ranks is not fixed), and the stack names it.
    hot = [h["function"] for h in end["hot"] if h["kind"] == "js"]
    assert any("node_server.js" in n for n in hot), end["hot"]
    assert any("hashPasswordSlowly" in n for n in js_functions(end)), end["stack"]


def test_without_perf_map_the_report_says_how(procs, loopstall, tmp_path):
    node, port, _ = start_node(procs, tmp_path, flags=[])
    # A map left by an earlier process with the same PID (older than node) is not node's.
    stale = f"/tmp/perf-{node.pid}.map"
    with open(stale, "w") as f:
        f.write("0 7fffffffffff stale_function\n")
    try:
        os.utime(stale, (time.time() - 3600, time.time() - 3600))
        ls = loopstall(["-p", str(node.pid)])
        ls.wait_ready()
        http_get(port, "/pbkdf2")
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    finally:
        os.unlink(stale)
    assert js_functions(end) == []
    assert not any("stale_function" in f["function"] for f in end["stack"]), end["stack"]
    assert "--perf-basic-prof-only-functions" in end.get("note", ""), end



def test_perf_map_past_the_bounds_is_ignored_and_nothing_freezes(procs, loopstall, tmp_path):
    """A 300 MiB perf map (any watched user can write one): refused at once, said once; records
    keep flowing and SIGINT still detaches within a second."""
    node, port, _ = start_node(procs, tmp_path, flags=[])
    huge = f"/tmp/perf-{node.pid}.map"
    with open(huge, "w") as f:
        f.write("1000 10 JS:~planted\n")
        f.truncate(300 << 20)
    try:
        ls = loopstall(["-p", str(node.pid)])
        ls.wait_ready()
        for i in range(3):
            http_get(port, "/pbkdf2")
            ls.wait_for(lambda r: len(ls.stalls(phase="end")) > i, timeout=10)
        t0 = time.monotonic()
        assert ls.stop() == 0
        assert time.monotonic() - t0 < 1.0
    finally:
        os.unlink(huge)
    ends = ls.stalls(phase="end")
    assert all("past loopstall's bounds" in r.get("note", "") for r in ends), ends
    assert ls.stderr().count("perf map is past loopstall's bounds") == 1, ls.stderr()
