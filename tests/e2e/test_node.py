"""Node.js: JavaScript functions read from V8's frames, with no flags; node's perf map for the rest."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import APPS, free_port, http_get, wait_port

SERVER = f"{APPS}/node_server.js"


def start_node(procs, tmp_path, flags=(), node="node"):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    port = free_port()
    p = procs([node, *flags, SERVER, str(port), str(fifo)], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    return p, port, fifo


def line_of(text, path=SERVER):
    """The line (1-based) of the server's source that holds text."""
    with open(path) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def js_frames(record):
    return [f for f in record["stack"] if f["kind"] == "js"]


# No flags (nothing but V8's own frames), the common --perf-basic-prof, and the flags the perf map needs.
FLAG_SETS = pytest.mark.parametrize(
    "flags", [[], ["--perf-basic-prof"], ["--perf-basic-prof-only-functions", "--interpreted-frames-native-stack"]],
    ids=["no-flags", "perf-basic-prof", "readme-flags"])


@FLAG_SETS
def test_read_on_a_fifo_names_the_js_function_file_and_line(procs, loopstall, tmp_path, flags):
    node, port, fifo = start_node(procs, tmp_path, flags)
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    http_get(port, "/fifo")
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    for r in (begin, end):
        assert r["cause"] == "syscall" and r["syscall"] == "read", r
        assert r["fd_target"] == str(fifo), r
        assert r["runtime_status"] == "JavaScript frames from V8", r
        assert r["culprit"] == {"kind": "js", "function": "readFifoSlowly", "file": SERVER,
                                "line": line_of("return fs.readFileSync(fifo)")}, r["culprit"]
        # node's own scripts have lines only where V8 computed their line ends (the perf map does)
        assert {k: r["via"][k] for k in ("kind", "function", "file")} == \
            {"kind": "js", "function": "readFileSync", "file": "node:fs"}, r["via"]
        # The handler that called it, at the line of the call; node's own frames beneath.
        handler = [f for f in js_frames(r) if f["file"] == SERVER][1]
        assert handler["line"] == line_of("readFifoSlowly();"), js_frames(r)
        assert "note" not in r, r
    assert begin["stack"][0]["function"] == "read" and begin["stack"][0]["kind"] == "native"


@FLAG_SETS
def test_pbkdf2_is_cpu_with_the_js_function_named(procs, loopstall, tmp_path, flags):
    node, port, _ = start_node(procs, tmp_path, flags)
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    http_get(port, "/pbkdf2")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    # On CPU; on two shared cores another process can make the wait for a CPU the larger share.
    assert end["cause"] in ("cpu", "runqueue") and end["breakdown_ms"]["cpu"] > 100, end
    assert end["samples"]["native"] >= 10, end["samples"]
    assert end["culprit"] == {"kind": "js", "function": "hashPasswordSlowly", "file": SERVER,
                              "line": line_of("return crypto.pbkdf2Sync")}, end["culprit"]
    assert end["via"]["function"] == "pbkdf2Sync", end["via"]
    hot = [h["function"] for h in end["hot"] if h["kind"] == "js"]
    assert "hashPasswordSlowly" in hot, end["hot"]


def test_unknown_v8_says_why_and_a_stale_perf_map_is_not_used(procs, loopstall, tmp_path):
    """A node whose V8 metadata lacks a symbol the reader needs (a V8 it does not know): the
    record says which, names no JavaScript, and says how to get names; a perf map left by an
    earlier process with the same PID (older than node) is not node's."""
    stand_in = tmp_path / "bin" / "node"
    stand_in.parent.mkdir()
    shutil.copy(shutil.which("node"), stand_in)
    data = stand_in.read_bytes()
    assert data.count(b"v8dbg_off_fp_function\0") >= 1  # .dynstr, and .strtab when not stripped
    stand_in.write_bytes(data.replace(b"v8dbg_off_fp_function\0", b"v8dbg_off_fp_functioX\0"))
    node, port, _ = start_node(procs, tmp_path, node=str(stand_in))
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
    assert end["runtime"] == "node", end
    assert end["runtime_status"] == "JavaScript frames unread: its V8 metadata lacks v8dbg_off_fp_function", end
    assert js_frames(end) == [], end["stack"]
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
        assert time.monotonic() - t0 < 3.0  # not stuck reading the 300 MiB file
    finally:
        os.unlink(huge)
    ends = ls.stalls(phase="end")
    assert all("past loopstall's bounds" in r.get("note", "") for r in ends), ends
    assert ls.stderr().count("perf map is past loopstall's bounds") == 1, ls.stderr()
