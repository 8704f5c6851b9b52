"""via: the API the handler called, as its code names it, for C functions of Python's own modules."""
import os

import pytest

from conftest import APPS, PYTHON

# The name code writes: Python re-exports posix as os, _socket.socket as socket.socket, _thread.lock as
# threading.Lock; then the syscall the loop waits in and what it waits for.
PIPE, UDP = ("fd_target", "pipe:["), ("fd_target", "udp 127.0.0.1:")
CALLS = {"os.read": ("os.read", "read", PIPE), "os.write": ("os.write", "write", PIPE),
         "recv": ("socket.socket.recv", "recvfrom", UDP), "recvfrom": ("socket.socket.recvfrom", "recvfrom", UDP),
         "recvfrom_into": ("socket.socket.recvfrom_into", "recvfrom", UDP),
         "recvmsg": ("socket.socket.recvmsg", "recvmsg", UDP),
         "lock.acquire": ("threading.Lock.acquire", "futex", ("holder", "blocking_call.<locals>.hold")),
         "io.BufferedReader.read": ("io.BufferedReader.read", "read", PIPE),
         # each of these hands its call on to another C function by a jump: so its own is no frame
         "io.TextIOWrapper.readline": ("io.TextIOWrapper.readline", "read", PIPE),
         "io.TextIOWrapper.read": ("io.TextIOWrapper.read", "read", PIPE),
         "io.TextIOWrapper.write": ("io.TextIOWrapper.write", "write", PIPE), "input": ("input", "read", PIPE),
         "os.sendfile": ("os.sendfile", "sendfile", ("fd_target", "unix ")),
         "socket.connect": ("socket.socket.connect", "connect", ("fd_target", "tcp 127.0.0.1:")),
         # sqlite's busy handler sleeps between tries: the database file and who holds its lock
         "sqlite3.Connection.commit": ("sqlite3.Connection.commit", "clock_nanosleep", ("path", "app.db"))}


def waits_for(record, what):
    """Whether the record names what the loop waits for: an fd's target, a lock's holder, a locked file."""
    key, want = what
    waited = record.get("waited_for", {})
    if key == "fd_target":
        return record.get("fd_target", "").startswith(want)
    if key == "holder":
        return any(t.get("frame", {}).get("function") == want for t in waited.get("threads", []))
    return waited.get("path", "").endswith(want) and waited.get("lock_holder", {}).get("pid") == record["pid"]


@pytest.mark.parametrize("mode", sorted(CALLS))
def test_blocking_call_is_the_via(loopstall, mode):
    via, syscall, what = CALLS[mode]
    ls = loopstall(["--", PYTHON, os.path.join(APPS, "one_blocking_call.py"), mode])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert begin["culprit"]["function"] == "blocking_call", begin["culprit"]
    # The C function the code called, though its name holds the syscall's (read, recvfrom): no libc wrapper.
    assert begin["via"]["function"] == via, begin.get("via")
    assert begin["syscall"] == syscall and begin["cause"] == ("lock" if syscall == "futex" else "syscall"), begin
    assert waits_for(begin, what), begin


def test_begin_record_is_what_the_loop_waits_for_now(loopstall):
    """At its begin a stall is told by the call the loop is blocked in now (the lock), with its own
    stack, not by a longer call that already returned (the sleep before it), nor a mix of both."""
    ls = loopstall(["--", PYTHON, os.path.join(APPS, "one_blocking_call.py"), "lock.acquire"])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert begin["cause"] == "lock" and begin["syscall"] == "futex", begin
    assert "time.sleep" not in [f["function"] for f in begin["stack"]], begin["stack"]
    # One C function listed as acquire_lock, acquire and __enter__: the name the code calls.
    assert begin["via"]["function"] == "threading.Lock.acquire" and begin["hint"]["id"] == "py-threading-lock", begin
