"""Shared fixtures for loopstall's end-to-end tests.

Every test drives the real build/loopstall binary with its real BPF programs,
as root, against real servers started here. A machine where BPF cannot load
fails the whole run: nothing is skipped.
"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# LOOPSTALL_BIN: another build of it, e.g. the sanitized one (make sanitized).
LOOPSTALL = os.environ.get("LOOPSTALL_BIN") or os.path.join(ROOT, "build", "loopstall")
APPS = os.path.join(os.path.dirname(__file__), "apps")
# Debian's interpreter has fastapi, uvicorn and gunicorn; a pyenv one first on PATH does not.
PYTHON = "/usr/bin/python3"


def command(p, line):
    """Sends one line to an app that reads commands on stdin (apps/commanded.py and alike); waits for "done"."""
    p.proc.stdin.write(line + "\n")
    p.proc.stdin.flush()
    assert p.proc.stdout.readline().strip() == "done"


def assert_cpu_bound(r):
    """A stall spent computing: on a shared 2-core machine the loop may wait for a CPU more than it runs (CI
    once saw 64 of its first 100 ms in the runqueue), so the dominant share names the cause, never a syscall."""
    share = r["breakdown_ms"]
    assert r["cause"] == ("cpu" if share["cpu"] >= share["runqueue"] else "runqueue"), r
    assert share["cpu"] + share["runqueue"] > 0.95 * r["duration_ms"], r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def http_get(port, path, timeout=10.0):
    """A minimal HTTP/1.0 GET; returns the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1."), head
    return body.decode()


class Opens:
    """The files each thread of a running process opens, from strace, while the block runs:
    `with Opens(pid) as o: ...`, then o.by_thread[tid] lists their paths."""

    def __init__(self, pid):
        self.pid = pid
        self.by_thread = {}

    def __enter__(self):
        self.out = f"/tmp/loopstall-e2e-strace-{os.getpid()}-{self.pid}"
        self.proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=openat,open", "-o", self.out,
                                      "-p", str(self.pid)], stderr=subprocess.PIPE, text=True)
        # Attached once it reports the syscalls of a thread, or after its attach message.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(f"/proc/{self.pid}/status") as f:
                if any(l.startswith("TracerPid:") and l.split()[1] == str(self.proc.pid) for l in f):
                    return self
            time.sleep(0.02)
        raise AssertionError("strace did not attach")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        with open(self.out) as f:
            for line in f:
                tid, _, call = line.partition(" ")
                if '"' in call:
                    self.by_thread.setdefault(int(tid), []).append(call.split('"')[1])
        os.unlink(self.out)
        return False


class Process:
    """A process started by a test, stopped by PID (with its group) at the end."""

    def __init__(self, argv, **kw):
        self.proc = subprocess.Popen(argv, start_new_session=True, **kw)
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)


class Loopstall:
    """build/loopstall running in the background; its stdout lines timestamped on arrival."""

    def __init__(self, args, json_output=True):
        argv = [LOOPSTALL] + (["--json"] if json_output else []) + list(args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []  # (monotonic arrival time, line)
        self.err_lines = []
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err_lines), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, sink):
        for line in stream:
            sink.append((time.monotonic(), line.rstrip("\n")))

    def wait_ready(self, timeout=20.0):
        """Waits for the 'watching' line that follows a successful attach."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any("watching" in l for _, l in self.err_lines):
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise AssertionError(f"loopstall exited {self.proc.returncode}: {self.stderr()}")
            time.sleep(0.02)
        raise AssertionError(f"loopstall not attached after {timeout}s: {self.stderr()}")

    def records(self):
        return [(t, json.loads(l)) for t, l in list(self.lines)]

    def stalls(self, **match):
        return [r for _, r in self.records() if r.get("event") == "stall" and all(r.get(k) == v for k, v in match.items())]

    def wait_for(self, predicate, timeout=10.0):
        """The first record predicate holds for. Records it cannot ask (a "lost" or "summary" record has no
        phase) are not it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, r in self.records():
                try:
                    if predicate(r):
                        return t, r
                except KeyError:
                    pass
            time.sleep(0.01)
        raise AssertionError(f"no matching record within {timeout}s; got {self.records()} / {self.stderr()}")

    def stderr(self):
        return "\n".join(l for _, l in self.err_lines)

    def stop(self, sig=signal.SIGINT, timeout=5.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("loopstall did not exit on signal")
        for t in self._threads:
            t.join(timeout=2)
        return self.proc.returncode


@pytest.fixture(scope="session", autouse=True)
def bpf_works():
    """Fails the run loudly (never skips) where loopstall cannot load its BPF programs."""
    if os.geteuid() != 0:
        pytest.exit("end-to-end tests need root: run `make test` as root", returncode=1)
    if not os.access(LOOPSTALL, os.X_OK):
        pytest.exit(f"{LOOPSTALL} is not built", returncode=1)
    r = subprocess.run([LOOPSTALL, "-d", "100ms"], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        pytest.exit(f"loopstall cannot run its BPF programs here (exit {r.returncode}): {r.stderr}", returncode=1)


@pytest.fixture
def procs():
    """Processes a test starts; all stopped, by PID, when it ends."""
    started = []

    def start(argv, **kw):
        p = Process(argv, **kw)
        started.append(p)
        return p

    yield start
    for p in reversed(started):
        p.stop()


@pytest.fixture
def loopstall():
    started = []

    def start(args, json_output=True):
        ls = Loopstall(args, json_output)
        started.append(ls)
        return ls

    yield start
    for ls in started:
        if ls.proc.poll() is None:
            ls.proc.kill()
            ls.proc.wait()


def python_frames(record):
    return [f for f in record["stack"] if f["kind"] == "python"]


def start_staller(procs, mode="periodic", **env):
    p = procs([PYTHON, f"{APPS}/stall_loop.py", mode], stdout=subprocess.PIPE, text=True,
              env=dict(os.environ, **env))
    assert p.proc.stdout.readline().strip() == "ready"
    return p


HOOK = """#!/bin/sh
# Records what loopstall hands over; never evaluates it.
n=$(date +%s%N)
cat > "{dir}/$n.json"
env | grep '^LOOPSTALL_' > "{dir}/$n.env"
sleep {sleep}
"""


def make_hook(tmp_path, sleep=0):
    hook = tmp_path / "hook.sh"
    out = tmp_path / "calls"
    out.mkdir()
    hook.write_text(HOOK.format(dir=out, sleep=sleep))
    hook.chmod(stat.S_IRWXU)
    return hook, out


def hook_calls(out):
    calls = []
    for f in sorted(out.glob("*.json")):
        env = dict(line.split("=", 1) for line in f.with_suffix(".env").read_text().splitlines())
        calls.append((json.loads(f.read_text()), env))
    return calls


def scrape(port):
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {f.name: f for f in text_string_to_metric_families(body)}


def sample(families, name, suffix="", **labels):
    values = [s.value for s in families[name].samples
              if s.name == name + suffix and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(values) == 1, (name, labels, families[name].samples)
    return values[0]


sys.path.insert(0, os.path.dirname(__file__))


# Servers, apps and views that the tests of several modules start.

TASK_SECONDS = 1.5  # what apps/fastapi_app.py's blocking handlers take


def start_gunicorn(procs, port, timeout=10, task_seconds=TASK_SECONDS):
    """apps/fastapi_app.py under gunicorn -w 1 -t TIMEOUT with uvicorn's worker; returns the arbiter."""
    env = dict(os.environ, TASK_SECONDS=str(task_seconds))
    arbiter = procs(
        [PYTHON, "-m", "gunicorn", "-w", "1", "-t", str(timeout), "-k", "uvicorn.workers.UvicornWorker",
         "--bind", f"127.0.0.1:{port}", "fastapi_app:app"],
        cwd=APPS, env=env, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    wait_port(port)
    # The arbiter listens before its worker exists: wait for the worker to answer.
    deadline = time.monotonic() + 15
    while not worker_pids(arbiter.pid) or "hello" not in http_get(port, "/"):
        assert time.monotonic() < deadline, "the gunicorn worker did not start"
        time.sleep(0.1)
    return arbiter


def worker_pids(arbiter_pid):
    with open(f"/proc/{arbiter_pid}/task/{arbiter_pid}/children") as f:
        return [int(p) for p in f.read().split()]


def start_redis(procs, tmp_path):
    port = free_port()
    p = procs(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--enable-debug-command", "local", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    wait_port(port)
    return p, port


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def start_frozen(procs, *args):
    """apps/frozen_server.py: an asyncio line server; returns it and its port."""
    p = procs([PYTHON, f"{APPS}/frozen_server.py", *args], stdout=subprocess.PIPE, text=True)
    port = int(p.proc.stdout.readline())
    return p, port


def send_line(port, line):
    """Sends one command line to a line server; returns the connection, to read "done" from or to leave
    hanging."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(line.encode() + b"\n")
    return s


def send_command(port, line):
    """Sends one command line to a line server and waits for its "done"."""
    with send_line(port, line) as s:
        assert s.recv(16) == b"done\n"


def begin_of(ls, timeout=10):
    return ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=timeout)


def end_of(ls, timeout=10):
    return ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=timeout)[1]


def start_loop(procs, block, period, name=None):
    """An asyncio loop blocking in periodic_block() for BLOCK s after every PERIOD s (0: never)."""
    argv = [PYTHON, f"{APPS}/periodic_staller.py", str(block), str(period)] + ([name] if name else [])
    p = procs(argv, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


class Dashboard:
    """`loopstall top ARGS` in a detached tmux session; the shell says when it exits."""

    def __init__(self, args, width, height):
        self.name = f"loopstall-top-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # A server of our own (its socket removed at the end), so no user's tmux is touched.
        self.socket = os.path.join(tempfile.gettempdir(), self.name + ".sock")
        cmd = " ".join([LOOPSTALL, "top"] + args)
        shell = f"{cmd}; echo \"loopstall exited $?\"; exec sleep 600"
        self.tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                  "bash", "--norc", "--noprofile", "-c", shell)
        pane = int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())
        self.pid = None
        deadline = time.monotonic() + 5
        while self.pid is None and time.monotonic() < deadline:
            try:
                with open(f"/proc/{pane}/task/{pane}/children") as f:
                    children = f.read().split()
                self.pid = int(children[0]) if children else None
            except FileNotFoundError:
                break
            time.sleep(0.02)
        assert self.pid, "loopstall did not start in tmux"

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.socket] + list(args), capture_output=True, text=True,
                              timeout=10, check=True).stdout

    def keys(self, *keys):
        self.tmux("send-keys", "-t", self.name, *keys)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, predicate, timeout=15.0, what="the expected screen"):
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} within {timeout}s; the pane shows:\n{screen}")
            time.sleep(0.05)

    def running(self):
        try:
            with open(f"/proc/{self.pid}/stat") as f:
                return f.read().split(") ")[1][0] != "Z"
        except FileNotFoundError:
            return False

    def stop(self):
        if self.pid and self.running():
            os.kill(self.pid, signal.SIGKILL)
        subprocess.run(["tmux", "-S", self.socket, "kill-session", "-t", self.name], capture_output=True, timeout=10)
        if os.path.exists(self.socket):
            os.unlink(self.socket)


@pytest.fixture
def dashboard():
    started = []

    def start(args, width=120, height=30):
        d = Dashboard(args, width, height)
        started.append(d)
        return d

    yield start
    for d in started:
        d.stop()


def commanded(procs, python="/usr/bin/python3.11"):
    """apps/commanded.py: an asyncio loop that runs the commands sent on its stdin (conftest.command)."""
    p = procs([python, f"{APPS}/commanded.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.proc.stdout.readline().strip() == "ready"
    return p


def run_loopstall(args, **kw):
    """loopstall ARGS to its end: its exit code and what it printed."""
    return subprocess.run([LOOPSTALL] + args, capture_output=True, text=True, timeout=30, **kw)


def one_line_error(r, code, text):
    """loopstall failed with exit code CODE and one line on stderr that holds TEXT, and printed nothing else."""
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], r.stderr
    assert "libbpf" not in r.stderr
    assert r.stdout == ""
