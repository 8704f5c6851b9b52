"""The sinks: --metrics (parsed with prometheus_client, a bad address, idle connections), --log (rotation,
SIGHUP, a full disk), --syslog, and a hostile thread name escaped in each."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from conftest import free_port, hook_calls, make_hook, one_line_error, run_loopstall, sample, scrape, start_staller


def test_metrics_parse_and_move_with_stalls(procs, loopstall):
    p = start_staller(procs, "periodic")
    port = free_port()
    ls = loopstall(["-p", str(p.pid), "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    m1 = scrape(port)
    pid = str(p.pid)
    stalls1 = sample(m1, "loopstall_stalls", "_total", pid=pid, cause="syscall")
    count1 = sample(m1, "loopstall_iteration_seconds", "_count", pid=pid, tid=pid, comm="python3")
    assert stalls1 >= 1 and count1 >= 1
    inf = sample(m1, "loopstall_iteration_seconds", "_bucket", pid=pid, le="+Inf")
    assert inf == count1
    assert sample(m1, "loopstall_iteration_seconds", "_sum", pid=pid) >= 0.3 * stalls1
    # Two more stalls; and one scrape while a stall is going on (one that ended before the scrape is
    # no longer stalled: try the next).
    n = len(ls.stalls(phase="end"))
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 2, timeout=5)
    for _ in range(3):
        ls.wait_for(lambda r: len(ls.stalls(phase="begin")) > len(ls.stalls(phase="end")), timeout=5)
        ends = len(ls.stalls(phase="end"))
        m2 = scrape(port)
        time.sleep(0.3)  # an end record of the stall, if it ended before the scrape, is out by now
        if len(ls.stalls(phase="end")) == ends:
            break
    assert sample(m2, "loopstall_stalled", pid=pid) == 1
    assert sample(m2, "loopstall_stalls", "_total", pid=pid, cause="syscall") >= stalls1 + 2
    assert sample(m2, "loopstall_iteration_seconds", "_count", pid=pid) > count1
    for name in ("loopstall_kills", "loopstall_lost_events", "loopstall_hooks_dropped", "loopstall_hooks_failed"):
        assert sample(m2, name, "_total") == 0


def test_metrics_bad_address():
    one_line_error(run_loopstall(["--metrics", "nonsense", "-d", "1s"]), 2, "cannot serve metrics on nonsense")


def test_log_rotation(procs, loopstall, tmp_path):
    log = tmp_path / "stalls.log"
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--log", str(log), "--log-max-size", "3K", "--log-keep", "2"])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 6, timeout=12)
    time.sleep(0.3)
    assert (tmp_path / "stalls.log.1").exists() and (tmp_path / "stalls.log.2").exists()
    assert not (tmp_path / "stalls.log.3").exists()
    for f in (log, tmp_path / "stalls.log.1", tmp_path / "stalls.log.2"):
        for line in f.read_text().splitlines():
            assert json.loads(line)["event"] == "stall"
    assert os.path.getsize(tmp_path / "stalls.log.1") >= 3072


def test_log_reopens_on_sighup(procs, loopstall, tmp_path):
    log = tmp_path / "stalls.log"
    p = start_staller(procs, "periodic")
    ls = loopstall(["-p", str(p.pid), "--log", str(log), "--log-max-size", "0"])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 1, timeout=5)
    time.sleep(0.2)
    # logrotate's way: move the file away, then SIGHUP.
    os.rename(log, tmp_path / "moved.log")
    ls.proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    n = len(ls.stalls(phase="end"))
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 1, timeout=5)
    time.sleep(0.2)
    moved = [json.loads(l) for l in (tmp_path / "moved.log").read_text().splitlines()]
    fresh = [json.loads(l) for l in log.read_text().splitlines()]
    assert moved and fresh, (moved, fresh)
    assert all(r["event"] == "stall" for r in moved + fresh)
    assert ls.proc.poll() is None


def test_syslog_lines(procs, loopstall, tmp_path):
    if os.path.exists("/dev/log"):
        import pytest
        pytest.fail("/dev/log exists: this test binds its own syslog socket there")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("/dev/log")
    try:
        p = start_staller(procs, "periodic")
        ls = loopstall(["-p", str(p.pid), "--syslog"])
        ls.wait_ready()
        ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
        sock.settimeout(2)
        lines = [sock.recv(4096).decode() for _ in range(2)]
    finally:
        sock.close()
        os.unlink("/dev/log")
    assert "loopstall[" in lines[0] and "stall phase=begin" in lines[0], lines
    assert f"pid={p.pid}" in lines[0] and 'comm="python3"' in lines[0] and "syscall=clock_nanosleep" in lines[0]
    assert 'at="periodic_block (' in lines[0] and "stall phase=end" in lines[1], lines


def test_log_on_a_full_disk_keeps_whole_lines(procs, loopstall, tmp_path):
    """A full disk cuts writes short: no half line stays, ENOSPC is said once, logging resumes."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "none", str(disk)], check=True)
    try:
        filler = disk / "filler"
        with open(filler, "wb") as f:
            try:
                f.write(b"x" * (64 << 10))
            except OSError:
                pass
        os.truncate(filler, os.path.getsize(filler) - 6000)  # room for a record or two, not more
        log = disk / "stalls.log"
        p = start_staller(procs, "periodic")
        ls = loopstall(["-p", str(p.pid), "--log", str(log)])
        ls.wait_ready()
        ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 4, timeout=12)
        ls.wait_for(lambda r: "No space left on device" in ls.stderr(), timeout=5)
        os.unlink(filler)
        n = len(ls.stalls(phase="end"))
        ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= n + 2, timeout=8)
        assert ls.stop() == 0
        lines = log.read_text().splitlines()
        assert len(lines) >= 3
        for line in lines:
            assert json.loads(line)["event"] in ("stall", "summary"), line[:80]
        assert ls.stderr().count("No space left on device") == 1, ls.stderr()
    finally:
        subprocess.run(["umount", "-l", str(disk)])


def test_hostile_name_is_escaped_in_every_sink(procs, loopstall, tmp_path):
    """ESC, a bidi override and U+2028 in a thread name: escaped in text, JSON, metrics, hook variables and syslog."""
    name = "\x1b[31m\u202eab\u2028c"  # 15 bytes
    assert len(name.encode()) <= 15
    hook, out = make_hook(tmp_path)
    p = start_staller(procs, "periodic", STALL_COMM=name)
    port = free_port()
    log = tmp_path / "stalls.log"
    ls = loopstall(["-p", str(p.pid), "--exec", str(hook), "--metrics", f"127.0.0.1:{port}", "--log", str(log)],
                   json_output=False)
    ls.wait_ready()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(l.startswith("STALL END") for _, l in ls.lines):
        time.sleep(0.05)
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
    time.sleep(0.5)
    ls.stop()
    text = "\n".join(l for _, l in ls.lines)
    for rendering in (text, body.decode(), hook_calls(out)[0][1]["LOOPSTALL_COMM"]):
        assert "\x1b" not in rendering and "\u202e" not in rendering and "\u2028" not in rendering, rendering[:300]
    assert "\\x1b[31m\\u202eab\\u2028c" in text
    assert 'comm="\\\\x1b[31m\\\\u202eab\\\\u2028c"' in body.decode()
    assert hook_calls(out)[0][1]["LOOPSTALL_COMM"] == "\\x1b[31m\\u202eab\\u2028c"
    raw = log.read_bytes()
    assert b"\x1b" not in raw and "\u202e".encode() not in raw and "\u2028".encode() not in raw
    assert json.loads(raw.splitlines()[0])["comm"] == name  # the JSON says it exactly


def test_idle_metrics_connections_do_not_starve_scrapes(procs, loopstall):
    """1500 idle connections (past the default ulimit -n 1024): a scrape still answers, -n matches still work."""
    import resource
    port = free_port()
    ls = loopstall(["-n", "stall_loop.py", "--metrics", f"127.0.0.1:{port}"])
    ls.wait_ready()
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle = []
    try:
        for _ in range(min(1500, hard - 200)):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        deadline, answered = time.monotonic() + 8, False
        while time.monotonic() < deadline and not answered:
            try:
                answered = "loopstall_records_total" in scrape_text(port)
            except OSError:
                time.sleep(0.2)
        assert answered, "no scrape answered"
        p = start_staller(procs, "periodic")  # started now: matched by -n, watched, reported
        ls.wait_for(lambda r: r["event"] == "stall" and r["pid"] == p.pid, timeout=10)
    finally:
        for s in idle:
            s.close()


def scrape_text(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
