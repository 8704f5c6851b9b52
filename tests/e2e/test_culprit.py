"""The culprit and what the loop waited for, on services written for these tests."""
import http.server
import os
import re
import shutil
import subprocess

import pytest
import threading
import time

from conftest import APPS, PYTHON, assert_cpu_bound, free_port, http_get, redis_cli, start_redis, wait_port


def start_waits(procs):
    p = procs([PYTHON, f"{APPS}/waits.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


def send(p, line):
    p.proc.stdin.write(line + "\n")
    p.proc.stdin.flush()


def begin_of(ls, **match):
    _, r = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin" and
                       all(r.get(k) == v for k, v in match.items()), timeout=10)
    return r


def text_lines(ls, prefix):
    return [l for _, l in ls.lines if l.startswith(prefix)]


class SlowStock(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        time.sleep(1.0)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"7")

    def log_message(self, *args):
        pass


def test_blocking_http_client_names_the_app_function_via_urlopen_and_the_peer(procs, loopstall):
    stock = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowStock)
    threading.Thread(target=stock.serve_forever, daemon=True).start()
    stock_port = stock.server_address[1]
    port = free_port()
    try:
        arbiter = procs([PYTHON, "-m", "gunicorn", "-w", "1", "-k", "uvicorn.workers.UvicornWorker",
                         "--bind", f"127.0.0.1:{port}", "shop_app:app"], cwd=APPS,
                        env=dict(os.environ, STOCK_URL=f"http://127.0.0.1:{stock_port}"),
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        ls = loopstall(["-p", str(arbiter.pid)])
        ls.wait_ready()
        time.sleep(1)
        assert '"stock":7' in http_get(port, "/reserve/apples")
        begin = begin_of(ls, cause="syscall")
    finally:
        stock.shutdown()
    assert begin["culprit"]["function"] == "fetch_stock" and begin["culprit"]["file"].endswith("shop_app.py"), begin
    assert begin["via"]["function"] == "urlopen" and begin["via"]["file"].endswith("urllib/request.py"), begin["via"]
    assert begin["coroutine"]["function"] == "reserve_items", begin.get("coroutine")
    fds = begin["waited_for"]["fds"]
    assert any(f.get("target", "").endswith(f" -> 127.0.0.1:{stock_port}") for f in fds), begin["waited_for"]


def test_open_of_a_fifo_names_the_path(procs, loopstall, tmp_path):
    fifo = tmp_path / "nobody-writes"
    os.mkfifo(fifo)
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)], json_output=False)
    ls.wait_ready()
    send(p, f"fifo {fifo}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not text_lines(ls, "STALL pid"):
        time.sleep(0.05)
    with open(fifo, "w"):
        pass  # lets it go
    line = text_lines(ls, "STALL pid")[0]
    assert "blocked in openat" in line and f" on {fifo} at open_fifo (apps/waits.py:" in line, line


def test_subprocess_names_the_child(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send(p, "child")
    begin = begin_of(ls, syscall="wait4")
    child = begin["waited_for"]["child"]
    assert child["pid"] > 0 and child["command"] == "sleep 1", child
    # the app's run() called subprocess.run: its name, not Popen.wait's under it
    assert begin["culprit"]["function"] == "run" and begin["via"]["function"] == "run", begin
    assert begin["via"]["file"].endswith("/subprocess.py"), begin["via"]


HOLD_FLOCK = "import fcntl, sys, time; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); print('locked', flush=True); " \
             "time.sleep(1)"


def test_flock_names_the_process_holding_the_lock(procs, loopstall, tmp_path):
    """flock on a file another process has locked: the record names that process (from /proc/locks)."""
    path = tmp_path / "jobs.lock"
    path.touch()
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    text = loopstall(["-p", str(p.pid)], json_output=False)
    ls.wait_ready()
    text.wait_ready()
    holder = procs([PYTHON, "-c", HOLD_FLOCK, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.proc.stdout.readline().strip() == "locked"
    send(p, f"flock {path}")
    begin = begin_of(ls, syscall="flock")
    assert begin["waited_for"]["lock_holder"]["pid"] == holder.pid, begin.get("waited_for")
    assert begin["waited_for"]["lock_holder"]["command"].startswith(f"{PYTHON} -c import fcntl"), begin["waited_for"]
    assert begin["culprit"]["function"] == "lock_file", begin["culprit"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not text_lines(text, "STALL pid"):
        time.sleep(0.05)
    line = text_lines(text, "STALL pid")[0]
    assert "blocked in flock" in line and f"({path}) held by pid {holder.pid} ({PYTHON} -c import" in line, line


def test_lock_names_the_thread_that_holds_it(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send(p, "cache")
    begin = begin_of(ls, syscall="futex")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["cause"] == "lock")
    assert begin["culprit"]["function"] == "read_cache", begin
    # A static function of Debian's stripped libc: named from libc6-dbg's separate debug file
    # (/usr/lib/debug/.build-id/), else it would be libc.so.6+0x...
    assert begin["stack"][0]["function"] == "__futex_abstimed_wait_common", begin["stack"][0]
    threads = {t["name"]: t for t in begin["waited_for"]["threads"]}
    holder = threads["cache-rebuild"]
    assert holder["frame"]["function"] == "rebuild_cache" and holder.get("syscall") == "clock_nanosleep", holder
    # The other waiter sleeps on the same futex word: it cannot hold the lock, so it is counted, not listed.
    assert "cache-reader" not in threads and begin["waited_for"]["co_waiters"] == 1, begin["waited_for"]


def test_lock_holder_is_listed_before_idle_threads(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send(p, "pool-cache")
    waited = begin_of(ls, syscall="futex")["waited_for"]
    # Ten threads parked on futexes of their own came first; the holder, asleep in a sleep, is
    # listed; the idle ones fill the rest and those left out are counted.
    names = [t["name"] for t in waited["threads"]]
    assert names[0] == "cache-rebuild" and len(names) == 8, waited
    assert all(t.get("syscall") == "futex" for t in waited["threads"][1:]), waited
    assert waited["threads_unlisted"] == 3 and waited["co_waiters"] == 1, waited


def test_gil_holder_has_its_name_stack_and_culprit(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send(p, "username")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["cause"] == "gil", timeout=15)
    holder = end["gil_holder"]
    assert holder["thread"] == "validator", holder
    assert holder["frame"]["function"] == "validate_username", holder  # not re.match: the application's
    assert [f["function"] for f in holder["stack"]][:2] == ["match", "validate_username"], holder["stack"]


def test_c_extension_hot_loop_keeps_its_leaf(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)], json_output=False)
    ls.wait_ready()
    send(p, "compress")
    assert p.proc.stdout.readline().strip() == "done"
    time.sleep(0.3)
    ls.stop()
    end = text_lines(ls, "STALL END")
    hot = [l for _, l in ls.lines if l.startswith("    hot:")]
    assert end and "on CPU" in end[0] and "at compress_catalog (apps/waits.py:" in end[0], end
    # libz is stripped: its static deflate_slow/longest_match are the module and where each function
    # starts, so each one's samples count together (not one entry per address).
    m = re.search(r"libz\.so[.0-9]*\+0x[0-9a-f]+ \(libz[^)]*\) (\d+)/(\d+) of (\d+) native samples", hot[-1] if hot else "")
    assert m and int(m.group(1)) >= int(m.group(3)) // 4, hot


def test_python_hot_names_where_time_went_and_the_app_function_that_spent_it(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send(p, "export")
    assert p.proc.stdout.readline().strip() == "done"
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end" and r["cause"] in ("cpu", "runqueue"))
    assert_cpu_bound(end)
    hot = [h for h in end["hot"] if h["of"] == "python"]
    n = end["samples"]["python"]
    assert n >= 5, end["samples"]
    # Where the time went: json's encoder (indent= runs its Python code), by samples innermost.
    assert hot[0]["file"].endswith("json/encoder.py") and hot[0]["self"] >= n // 10, hot
    assert all(h["self"] <= hot[0]["self"] for h in hot), hot
    # The application's function that spent it: on the stack in most samples, innermost itself in
    # few (between two dumps calls).
    app = [h for h in hot if h["function"] == "export_catalog"]
    assert app and app[0]["samples"] >= 0.8 * n and app[0]["self"] <= 0.05 * n, hot
    assert end["culprit"]["function"] == "export_catalog", end["culprit"]


def test_redis_debug_sleep_is_debug_command(procs, loopstall, tmp_path):
    redis, port = start_redis(procs, tmp_path)
    ls = loopstall(["-p", str(redis.pid)])
    ls.wait_ready()
    redis_cli(port, "DEBUG", "SLEEP", "2")
    begin = begin_of(ls)
    # Said while it went on, not at its end: the kernel's timer over loops off CPU fires on a
    # host whose CPUs idle (CPU-clock samples do not tick there). How late is the bench's to say.
    assert begin["duration_ms"] < 1000, begin["duration_ms"]
    assert begin["culprit"]["function"] == "debugCommand", begin.get("culprit")
    # Debian's redis-server is a symlink to redis-check-rdb: the module is the executable's real path
    assert begin["culprit"]["module"] == os.path.realpath(shutil.which("redis-server")), begin["culprit"]


def test_duration_ending_mid_stall_closes_it(procs, loopstall):
    p = start_waits(procs)
    ls = loopstall(["-p", str(p.pid), "-d", "1500ms"])
    ls.wait_ready()
    send(p, "child")
    time.sleep(0.3)
    send(p, "child")  # a second second of it: still going on when -d ends
    assert ls.proc.wait(timeout=10) == 0
    ends = ls.stalls(phase="end")
    begins = ls.stalls(phase="begin")
    assert len(ends) == len(begins), (begins, ends)
    assert ends[-1].get("unfinished") is True, ends[-1]


def test_name_pattern_matching_nothing_is_said(loopstall):
    ls = loopstall(["-n", "no-process-has-this-name-" + str(os.getpid()), "-d", "300ms"])
    ls.proc.wait(timeout=10)
    assert "watching 0 processes matching the pattern" in ls.stderr()


def test_c_functions_named_as_python_names_them(procs, loopstall):
    """Debian's stripped python3.11: a C function is an address, named from the method tables."""
    app = procs([PYTHON, f"{APPS}/c_functions.py"], stdout=subprocess.PIPE, text=True)
    assert app.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(app.pid)])
    ls.wait_ready()
    ls.wait_for(lambda r: len(ls.stalls(phase="end")) >= 3, timeout=20)
    ends = ls.stalls(phase="end")
    want = [("cpu", "hashlib.pbkdf2_hmac"), ("cpu", "zlib.compress"), ("syscall", "socket.socket.recv")]
    for r, (cause, via) in zip(ends, want):
        if cause == "cpu":
            assert_cpu_bound(r)
        else:
            assert r["cause"] == cause, r
        assert r["via"]["function"] == via and r["via"]["kind"] == "native", r["via"]
        assert r["culprit"]["function"] == "main", r["culprit"]
    # The interpreter's plumbing between recv and the Python frame is marked as such.
    native = [f for f in ends[2]["stack"] if f["kind"] == "native"]
    at = [f["function"] for f in native].index("socket.socket.recv")
    assert native[at + 1:] and all(f.get("interpreter") for f in native[at + 1:]), native


def test_aiohttp_handler_names_the_request(procs, loopstall):
    """aiohttp: the request from the handler's web.Request (its parsed message, its peer)."""
    port = free_port()
    app = procs([PYTHON, f"{APPS}/aiohttp_app.py", str(port)], stdout=subprocess.PIPE, text=True)
    assert app.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    ls = loopstall(["-p", str(app.pid)])
    ls.wait_ready()
    http_get(port, "/report?week=48")
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end")
    for r in (begin, end):
        assert r["culprit"]["function"] == "report", r["culprit"]
        assert r["request"]["method"] == "GET" and r["request"]["path"] == "/report?\u2026", r
        assert r["request"]["client"].startswith("127.0.0.1:"), r["request"]


MAN_NODE_FLAGS = ["--perf-basic-prof-only-functions", "--interpreted-frames-native-stack"]
# JavaScript frames come from V8's own frames whatever node was started with: no flags, the
# common --perf-basic-prof alone, or the flags that make a perf map name interpreted functions.
NODE_FLAG_SETS = pytest.mark.parametrize("flags", [[], ["--perf-basic-prof"], MAN_NODE_FLAGS],
                                         ids=["no-flags", "perf-basic-prof", "readme-flags"])


def start_node_shop(procs, flags):
    port = free_port()
    p = procs(["node", *flags, f"{APPS}/node_shop.js", str(port)], stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    return p, port


def node_cpu_stall(procs, loopstall, path, flags, warm_path=None):
    p, port = start_node_shop(procs, flags)
    http_get(port, warm_path or path)  # run once, so its functions are in the perf map
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    http_get(port, path, timeout=30)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=30)
    return end


def assert_js_culprit(end, function):
    assert_cpu_bound(end)
    c = end["culprit"]
    assert c["kind"] == "js" and c["function"] == function, c
    assert c["file"] == f"{APPS}/node_shop.js" and c["line"] > 0, c
    assert end["runtime_status"] == "JavaScript frames from V8", end


@NODE_FLAG_SETS
def test_node_json_stringify_culprit_from_the_samples(procs, loopstall, flags):
    end = node_cpu_stall(procs, loopstall, "/export", flags)
    assert_js_culprit(end, "exportCatalog")
    assert end["via"]["function"] == "JSON.stringify", end.get("via")  # V8's C++ builtin, by its API
    assert not any(f["function"].startswith("__mprotect") for f in end["stack"][:1]), end["stack"][:3]


@NODE_FLAG_SETS
def test_node_catastrophic_regex_names_the_function_that_ran_it(procs, loopstall, flags):
    # A short address first: V8 compiles the regex to machine code on its first run, and the
    # long one then backtracks there for ~1.3 s.
    end = node_cpu_stall(procs, loopstall, "/email?n=27", flags, warm_path="/email?n=5")
    assert_js_culprit(end, "validateEmail")
    assert end["via"]["function"] == "RegExp.prototype.test", end.get("via")  # the builtin, by its object


@pytest.mark.parametrize("path,function,via", [("/parse", "loadCatalog", "JSON.parse"),
                                                ("/wait", "waitForWorker", "Atomics.wait"),
                                                ("/gzip", "compressReport", "zlib.gzipSync"),
                                                ("/alloc", "makeArena", "Buffer.alloc")])
def test_node_builtins_in_cpp_are_the_via_of_their_caller(procs, loopstall, tmp_path, path, function, via):
    """The API as code calls it: JSON.parse and Atomics.wait run in V8's C++ (no JavaScript frame of theirs),
    gzipSync is a wrapper zlib's factory made (named syncBufferWrapper), alloc a static method of Buffer."""
    port = free_port()
    p = procs(["node", f"{APPS}/node_sync.js", str(port), str(tmp_path / "unused")], stdout=subprocess.PIPE,
              text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    wait_port(port)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    http_get(port, path, timeout=30)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=30)
    assert end["culprit"]["function"] == function, end["culprit"]
    assert end["via"]["function"] == via, end.get("via")
    if path == "/wait":
        assert end["cause"] == "lock" and end["syscall"] == "futex", end["cause"]


NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    log_format big '$request_uri $request_uri $request_uri $request_uri';
    access_log {fifo} big;
    client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
    uwsgi_temp_path {dir}; scgi_temp_path {dir};
    server {{ listen 127.0.0.1:{port}; location / {{ return 200 "ok"; }} }}
}}
"""


def test_nginx_blocked_on_its_access_log_fifo(procs, loopstall, tmp_path):
    fifo = tmp_path / "access.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, never read: writes fill it, then block
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp_path, fifo=fifo, port=port))
    try:
        master = procs(["/usr/sbin/nginx", "-c", str(conf), "-p", str(tmp_path)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        ls = loopstall(["-p", str(master.pid)])
        ls.wait_ready()
        uri = "/" + "x" * 4000
        for _ in range(40):  # 16 KB of log a request: the FIFO's 64 KB fill up
            threading.Thread(target=lambda: http_get(port, uri, timeout=30), daemon=True).start()
        begin = begin_of(ls, syscall="write")
    finally:
        os.close(reader)
    assert begin["fd_target"] == str(fifo), begin
    assert begin["culprit"]["module"].endswith("/nginx"), begin["culprit"]
    assert begin["service"] == "nginx", begin["service"]  # the worker's title, not "nginx: worker process"
