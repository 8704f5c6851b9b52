"""Every stuck loop is found, and no idle loop is blamed: loops already stuck when loopstall attaches,
stalls inside a wait of the code's own (node's *Sync child calls, a sync client's selector), loops on
poll, select and io_uring, tokio's workers (their idle park is a futex), a Go server (none of its
threads is a loop), a loop that makes a new instance, and a process shutting down. Each service is written for these tests."""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import (APPS, PYTHON, ROOT, begin_of, end_of, free_port, http_get, send_command, send_line, start_frozen,
                      start_redis, wait_port)


def fire_http(port, path):
    """A GET left to finish (or not: the server is stopped first) on its own."""
    def get():
        try:
            http_get(port, path, timeout=120)
        except (OSError, AssertionError):
            pass
    threading.Thread(target=get, daemon=True).start()


def wait_on_cpu(pid, timeout=20):
    """Until pid's main thread has used 0.2 s of CPU in half a second (it spins)."""
    def cpu():
        with open(f"/proc/{pid}/task/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu()
        time.sleep(0.5)
        if cpu() - before >= 0.2:
            return
    raise AssertionError(f"pid {pid} does not spin")


# Loops already stuck when loopstall attaches: the on-call moment.

def test_asyncio_loop_stuck_in_sleep_before_attach_is_reported_at_once(procs, loopstall):
    p, port = start_frozen(procs)
    conn = send_line(port, "sleep 60")
    time.sleep(3)
    attached = time.monotonic()
    ls = loopstall(["-p", str(p.pid), "--kill-after", "2s", "--dry-run"])
    ls.wait_ready()
    t, begin = begin_of(ls)
    # Said while it is stuck (its sleep has 57 s to go), with the lower bound of how long it has been.
    assert t - attached < 10, t - attached
    # (its lower bound reaches back before loopstall started, 3 s after the request: 2 s on a loaded host)
    assert begin["tid"] == p.pid and begin["duration_ms"] >= 2000, begin
    assert begin["found_by"].startswith("python: "), begin
    assert begin["cause"] == "syscall" and begin["syscall"] == "clock_nanosleep", begin
    assert begin["culprit"]["function"] == "price_order", begin["culprit"]
    assert begin["via"]["function"] == "time.sleep", begin.get("via")
    # And --kill-after acts on it (a dry run here).
    _, kill = ls.wait_for(lambda r: r["event"] == "kill", timeout=10)
    assert kill["pid"] == p.pid and kill["dry_run"] is True, kill
    conn.close()


def test_whole_host_finds_a_loop_stuck_before_attach(procs, loopstall):
    p, port = start_frozen(procs)
    conn = send_line(port, "sleep 60")
    time.sleep(2)
    ls = loopstall([])  # no target: every loop on the host
    ls.wait_ready()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and r["pid"] == p.pid, timeout=15)
    assert begin["found_by"].startswith("python: ") and begin["duration_ms"] >= 2000, begin
    assert begin["culprit"]["function"] == "price_order", begin["culprit"]
    conn.close()


def test_asyncio_loop_stuck_in_recv_before_attach_names_the_peer(procs, loopstall):
    peer = socket.socket()
    peer.bind(("127.0.0.1", 0))
    peer.listen(1)
    peer_port = peer.getsockname()[1]
    p, port = start_frozen(procs)
    conn = send_line(port, f"recv {peer_port}")
    accepted, _ = peer.accept()  # connected: it waits for a reply that never comes
    time.sleep(3)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    _, begin = begin_of(ls)
    assert begin["found_by"].startswith("python: ") and begin["duration_ms"] >= 2500, begin
    assert begin["syscall"] == "recvfrom" and begin["fd_target"].endswith(f"-> 127.0.0.1:{peer_port}"), begin
    assert begin["culprit"]["function"] == "fetch_inventory", begin["culprit"]
    accepted.close()  # the peer hangs up: recv returns, the stall ends
    end = end_of(ls)
    assert end["found_by"] == begin["found_by"] and end["duration_ms"] >= begin["duration_ms"], end
    conn.close()
    peer.close()


def test_node_spinning_before_attach_is_reported(procs, loopstall):
    port = free_port()
    node = procs(["node", f"{APPS}/node_frozen.js", str(port)], stdout=subprocess.PIPE, text=True)
    assert node.proc.stdout.readline().strip() == "ready"
    fire_http(port, "/spin")
    wait_on_cpu(node.pid)  # the request may take a moment to arrive on a loaded machine
    time.sleep(1)
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    try:
        _, begin = begin_of(ls)
    except AssertionError as e:  # rare here: say whether node still spun (its state, CPU ticks, syscall)
        with open(f"/proc/{node.pid}/task/{node.pid}/stat") as st, \
                open(f"/proc/{node.pid}/task/{node.pid}/syscall") as sc:
            raise AssertionError(f"{e}; node's main thread now: {st.read().rsplit(')', 1)[1].split()[:13]}, "
                                 f"syscall {sc.read().split()[:1]}") from None
    assert begin["tid"] == node.pid and begin["found_by"].startswith("node: "), begin
    # On the CPU since before loopstall: its share of the stall is CPU, or a CPU it waited for.
    assert begin["cause"] in ("cpu", "runqueue"), begin
    assert begin["culprit"]["function"] == "crunchNumbers", begin["culprit"]


def test_redis_in_debug_sleep_before_attach_is_reported(procs, loopstall, tmp_path):
    redis, port = start_redis(procs, tmp_path)
    procs(["redis-cli", "-p", str(port), "DEBUG", "SLEEP", "30"], stdout=subprocess.DEVNULL)
    time.sleep(2)
    ls = loopstall(["-p", str(redis.pid)])
    ls.wait_ready()
    _, begin = begin_of(ls)
    assert begin["found_by"].startswith("redis: ") and begin["duration_ms"] >= 1500, begin
    assert begin["syscall"] == "clock_nanosleep" and begin["culprit"]["function"] == "debugCommand", begin


def test_process_with_no_loop_says_so(procs, loopstall):
    """A watched process whose threads wait in nothing loopstall knows as a loop's wait: said once."""
    p = procs([PYTHON, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
              stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    deadline = time.monotonic() + 15
    while "no event loop seen yet" not in ls.stderr() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = [l for l in ls.stderr().splitlines() if "no event loop" in l]
    assert line == [f"loopstall: pid {p.pid} (python3): no event loop seen yet; its threads wait in clock_nanosleep"], \
        ls.stderr()
    assert ls.stalls() == []


# A wait of the code's own inside an iteration is a blocking call, not the loop idling.

@pytest.mark.parametrize("path,function,api", [
    ("/exec", "renderReport", "execSync"),
    ("/spawn", "convertImage", "spawnSync"),
    ("/execfile", "runMigration", "execFileSync"),
])
def test_node_sync_child_call_is_a_stall_with_its_child(procs, loopstall, path, function, api):
    port = free_port()
    node = procs(["node", f"{APPS}/node_frozen.js", str(port)], stdout=subprocess.PIPE, text=True)
    assert node.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    assert http_get(port, path) == "done\n"
    _, begin = begin_of(ls)
    end = end_of(ls)
    assert 800 < end["duration_ms"] < 3000, end
    for r in (begin, end):
        assert r["tid"] == node.pid and r["cause"] == "syscall" and r["syscall"].startswith("epoll"), r
        assert r["culprit"]["function"] == function and r["via"]["function"] == api, r
        assert r["hint"]["id"] == "node-child-process-sync", r.get("hint")
    assert "sleep 1" in begin["waited_for"]["child"]["command"], begin.get("waited_for")


def test_sync_client_selector_inside_async_def_is_a_stall(procs, loopstall):
    p, port = start_frozen(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send_command(port, "selector 0.8")
    _, begin = begin_of(ls)
    end = end_of(ls)
    assert begin["syscall"] == "epoll_wait" and begin["culprit"]["function"] == "sync_client_wait", begin
    assert 600 < end["duration_ms"] < 2000, end


# Loops that wait in poll, select or io_uring.

def test_asyncio_on_poll_selector(procs, loopstall):
    p, port = start_frozen(procs, "poll")
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send_command(port, "sleep 0")
    time.sleep(1)
    assert ls.stalls() == []  # idle in poll(2), with one fd and a timeout: no stall
    send_command(port, "sleep 0.7")
    _, begin = begin_of(ls)
    end = end_of(ls)
    assert begin["syscall"] == "clock_nanosleep" and begin["culprit"]["function"] == "price_order", begin
    assert 500 < end["duration_ms"] < 1500, end


def line_server_stall(procs, loopstall, argv):
    """A line server ("ready", then "sleep" blocks 0.7 s): idle, then one stall."""
    port = free_port()
    p = procs([*argv, str(port)], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send_command(port, "hello")
    time.sleep(1)
    assert ls.stalls() == []
    send_command(port, "sleep")
    _, begin = begin_of(ls)
    end = end_of(ls)
    assert begin["tid"] == p.pid and begin["syscall"] == "clock_nanosleep", begin
    assert 500 < end["duration_ms"] < 1500, end
    return begin


def test_php_stream_select_server(procs, loopstall):
    begin = line_server_stall(procs, loopstall, ["php", f"{APPS}/select_server.php"])
    assert "usleep" in [f["function"] for f in begin["stack"]], begin["stack"]


def test_io_uring_server(procs, loopstall, tmp_path):
    binary = tmp_path / "uring_server"
    subprocess.run(["cc", "-O1", "-g", "-o", str(binary), f"{APPS}/uring_server.c", "-luring"], check=True)
    begin = line_server_stall(procs, loopstall, [str(binary)])
    assert begin["culprit"]["function"] == "handle_line", begin["culprit"]


# tokio: idle workers park on a futex; a task that blocks a worker is a stall, on whichever worker.

CARGO_CONFIG = """[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
"""


@pytest.fixture(scope="module")
def tokio_server():
    """apps/tokio_server built offline against Debian's vendored crates (build/e2e/, kept between runs)."""
    cargo = next((c for c in (os.path.expanduser("~/.cargo/bin/cargo"), shutil.which("cargo")) if c and os.access(c, os.X_OK)),
                 None)
    assert cargo, "no cargo: tools/install-deps.sh installs Debian's"
    work = os.path.join(ROOT, "build", "e2e", "tokio_server")
    os.makedirs(os.path.join(work, ".cargo"), exist_ok=True)
    for name in ("Cargo.toml", "src/main.rs"):
        os.makedirs(os.path.dirname(os.path.join(work, name)), exist_ok=True)
        shutil.copy(os.path.join(APPS, "tokio_server", name), os.path.join(work, name))
    with open(os.path.join(work, ".cargo", "config.toml"), "w") as f:
        f.write(CARGO_CONFIG)
    subprocess.run([cargo, "build", "--release", "--quiet"], cwd=work, check=True, timeout=600,
                   env=dict(os.environ, CARGO_HOME=os.path.join(work, ".cargo")))
    return os.path.join(work, "target", "release", "tokio_server")


def test_tokio_idle_workers_are_never_stalled_and_a_blocked_one_is(procs, loopstall, tokio_server):
    server = procs([tokio_server], stdout=subprocess.PIPE, text=True)
    port = int(server.proc.stdout.readline())
    ls = loopstall(["-p", str(server.pid), "--kill-after", "3s"])
    ls.wait_ready()
    send_command(port, "hello")
    time.sleep(5)  # idle past --kill-after, its housekeeping tick every 50 ms: workers park on their condvars
    assert ls.stalls() == [] and not [r for _, r in ls.records() if r["event"] == "kill"], ls.records()
    assert server.proc.poll() is None
    send_command(port, "sleep")  # std::thread::sleep(900 ms) in a task
    _, begin = begin_of(ls)
    end = end_of(ls)
    time.sleep(1)
    stalls = ls.stalls(phase="end")
    assert len(stalls) == 1, stalls
    assert begin["tid"] == end["tid"] != server.pid and end["comm"] == "tokio-runtime-w", end
    assert 800 < end["duration_ms"] < 1500 and end["syscall"] == "clock_nanosleep", end
    # Its Rust names demangled; std and tokio are no code of the application's (block_the_worker is
    # inlined into serve's future in a release build).
    c = begin["culprit"]
    assert c["function"].startswith("tokio_server::") and c["file"].endswith("main.rs"), c
    assert begin["via"]["function"].startswith("std::thread::"), begin.get("via")
    assert server.proc.poll() is None


# Go: goroutines move between threads; a thread that waited in epoll and then parks, computes or blocks
# holds up no loop.

@pytest.fixture(scope="module")
def go_server():
    """apps/go_server built with Debian's Go (build/e2e/)."""
    go = shutil.which("go")
    assert go, "no go: tools/install-deps.sh installs Debian's golang-go"
    work = os.path.join(ROOT, "build", "e2e", "go_server")
    os.makedirs(work, exist_ok=True)
    subprocess.run([go, "build", "-o", os.path.join(work, "go_server"), os.path.join(APPS, "go_server", "main.go")],
                   check=True, timeout=600, env=dict(os.environ, GOCACHE=os.path.join(work, "cache"), HOME=work))
    return os.path.join(work, "go_server")


def test_a_go_server_is_never_stalled_nor_killed(procs, loopstall, go_server):
    server = procs([go_server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(server.proc.stdout.readline())
    ls = loopstall(["-p", str(server.pid), "--kill-after", "1s"])
    ls.wait_ready()
    assert http_get(port, "/").strip() == "ok"
    assert int(http_get(port, "/cpu", timeout=10)) > 0  # a goroutine on CPU for 1.5 s
    time.sleep(3)  # idle: its threads park on futexes, one blocked in a read of stdin throughout
    assert ls.stalls() == [] and not [r for _, r in ls.records() if r["event"] == "kill"], ls.records()
    assert server.proc.poll() is None


# A loop that ends and makes a new one; a process that shuts down.

def test_asyncio_run_twice_in_one_thread(procs, loopstall):
    p = procs([PYTHON, f"{APPS}/two_loops.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    p.proc.stdin.write("go\n")
    p.proc.stdin.flush()
    assert p.proc.stdout.readline().strip() == "done"
    end = end_of(ls)
    time.sleep(0.5)
    # The work between and after the loops is no loop's: the one stall is the second loop's.
    stalls = ls.stalls(phase="end")
    assert len(stalls) == 1 and end["culprit"]["function"] == "second", stalls
    assert 400 < end["duration_ms"] < 900, end


def test_shutdown_after_sigterm_is_not_an_application_stall(procs, loopstall):
    p = procs([PYTHON, f"{APPS}/shutdown_worker.py"], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    time.sleep(0.5)
    os.kill(p.pid, signal.SIGTERM)
    p.proc.wait(timeout=10)
    assert ls.proc.wait(timeout=10) == 0  # its target gone, loopstall is done
    # Its exit handlers ran 0.4 s on the CPU after the loop closed: no stall of the application.
    assert [r for r in ls.stalls() if not r.get("exiting")] == [], ls.stalls()
