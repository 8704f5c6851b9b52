"""Every CPython 3.8-3.13 on this machine, and uvloop: the same Python attribution."""
import glob

import pytest

from conftest import PYTHON, python_frames

PYENV = sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3"))
SCRIPT = """
import asyncio, sys, time
async def late_sleeper():
    time.sleep(0.4)
async def main():
    await asyncio.sleep(0.5)
    await asyncio.create_task(late_sleeper(), name="sleepy")
    await asyncio.sleep(0.3)
if len(sys.argv) > 1:
    import uvloop
    uvloop.install()
asyncio.run(main())
"""


def interpreters():
    found = {}
    for path in PYENV:
        version = path.split("/")[-3]
        minor = ".".join(version.split(".")[:2])
        if minor in ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13"):
            found[minor] = path
    return found


def run_and_watch(loopstall, argv, options=()):
    ls = loopstall(["-t", "150ms", *options, "--", *argv])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=20)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=10)
    assert ls.proc.wait(timeout=20) == 0
    return begin, end


def test_pyenv_interpreters_are_present():
    # The six versions this machine is said to have; a missing one would silently drop its test.
    assert sorted(interpreters()) == ["3.10", "3.11", "3.12", "3.13", "3.8", "3.9"], PYENV


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_cpython_version(loopstall, minor, tmp_path):
    script = tmp_path / "late.py"
    script.write_text(SCRIPT)
    begin, end = run_and_watch(loopstall, [interpreters()[minor], str(script)])
    assert begin["python"] == minor, begin
    frames = python_frames(begin)
    assert frames[0]["function"] == "late_sleeper" and frames[0]["line"] == 4 and frames[0]["coroutine"], frames
    assert frames[0]["file"] == str(script)
    # The asyncio task's name, on the task's outermost coroutine frame.
    assert frames[0]["task"] == "sleepy", frames[0]
    assert [f for f in frames if f.get("task")] == [frames[0]], frames
    # 3.8-3.10 sleep in select(2), newer ones in clock_nanosleep(2).
    assert begin["syscall"] in ("clock_nanosleep", "pselect6", "select"), begin
    # The C function that blocked, by its Python name, and the via of the headline.
    for r in (begin, end):
        assert "time.sleep" in [f["function"] for f in r["stack"] if f["kind"] == "native"], r["stack"]
        assert r["via"]["function"] == "time.sleep", r
    assert 350 < end["duration_ms"] < 700, end


ASGI_SCRIPT = """
import asyncio, time
async def endpoint():
    time.sleep(0.4)
async def app(scope, receive, send):
    await endpoint()
async def main():
    await asyncio.sleep(0.5)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/orders/17", "raw_path": b"/orders/17", "query_string": b"expand=items",
             "headers": [(b"host", b"shop")], "client": ("10.1.2.3", 51234), "server": ("10.1.2.1", 80)}
    await app(scope, None, None)
    await asyncio.sleep(0.3)
asyncio.run(main())
"""


AIOHTTP_LIKE_SCRIPT = """
import asyncio, collections, time
RawRequestMessage = collections.namedtuple("RawRequestMessage", "method path version")
class Request:  # aiohttp's web.Request, as far as loopstall reads it
    def __init__(self):
        self._loop = None
        self._message = RawRequestMessage("DELETE", "/carts/9?force=1", (1, 1))
        self._transport_peername = ("10.9.8.7", 40001)
async def handler(request):
    time.sleep(0.4)
async def main():
    await asyncio.sleep(0.5)
    await handler(Request())
    await asyncio.sleep(0.3)
asyncio.run(main())
"""


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_request_served_from_an_instance_attribute(loopstall, minor, tmp_path):
    """An object's attributes in every version's layout (a dict; 3.11+ values beside the object,
    tagged in 3.12, inline in 3.13): a web.Request-like local's _message and peer."""
    script = tmp_path / "aio_like.py"
    script.write_text(AIOHTTP_LIKE_SCRIPT)
    begin, end = run_and_watch(loopstall, [interpreters()[minor], str(script)])
    for r in (begin, end):  # the query string kept out by default: it may hold secrets
        assert r["request"] == {"method": "DELETE", "path": "/carts/9?\u2026", "client": "10.9.8.7:40001"}, r


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_request_served_from_an_asgi_scope(loopstall, minor, tmp_path):
    """The scope dict in an ASGI app's locals, in every version: its request, read while it stalls."""
    script = tmp_path / "asgi.py"
    script.write_text(ASGI_SCRIPT)
    begin, end = run_and_watch(loopstall, [interpreters()[minor], str(script)], ["--request-query"])
    for r in (begin, end):
        assert r["request"] == {"method": "POST", "path": "/orders/17?expand=items", "client": "10.1.2.3:51234"}, r
        assert r["culprit"]["function"] == "endpoint", r["culprit"]


THREADS_SCRIPT = """
import asyncio, threading, time
lock = threading.Lock()
def rebuild_cache():
    with lock:
        time.sleep(0.6)
def idle_worker():
    time.sleep(3)
async def read_cache():
    with lock:
        pass
async def main():
    await asyncio.sleep(0.5)
    threading.Thread(target=idle_worker, daemon=True).start()
    threading.Thread(target=rebuild_cache, name="cache-rebuild", daemon=True).start()
    await asyncio.sleep(0.05)
    await read_cache()
    await asyncio.sleep(0.3)
asyncio.run(main())
"""


@pytest.mark.parametrize("minor", ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"])
def test_threads_by_their_python_names(loopstall, minor, tmp_path):
    """A lock's possible holders by the names threading gave them (none set a kernel name)."""
    script = tmp_path / "threads.py"
    script.write_text(THREADS_SCRIPT)
    begin, _ = run_and_watch(loopstall, [interpreters()[minor], str(script)])
    assert begin["cause"] == "lock" and begin["culprit"]["function"] == "read_cache", begin
    threads = {t["name"]: t for t in begin["waited_for"]["threads"]}
    assert threads["cache-rebuild"]["frame"]["function"] == "rebuild_cache", threads
    # threading's own name: "Thread-1 (idle_worker)" from 3.10, "Thread-1" before
    assert "Thread-1 (idle_worker)" in threads or minor in ("3.8", "3.9") and "Thread-1" in threads, threads


def test_uvloop(loopstall, tmp_path):
    script = tmp_path / "late.py"
    script.write_text(SCRIPT)
    begin, end = run_and_watch(loopstall, [PYTHON, str(script), "uvloop"])
    frames = python_frames(begin)
    assert frames[0]["function"] == "late_sleeper" and frames[0]["coroutine"], frames
    assert begin["syscall"] == "clock_nanosleep"
    # uvloop runs callbacks from compiled code: the task is not reachable, so not named.
    assert "task" not in frames[0]
    assert 350 < end["duration_ms"] < 700, end
