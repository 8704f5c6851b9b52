"""via: the API the handler called, as its code names it, for C functions of Python's own modules."""
import os

import pytest

from conftest import APPS, PYTHON

# The name code writes: Python re-exports posix as os, _socket.socket as socket.socket, _thread.lock as
# threading.Lock.
CALLS = {"os.read": "os.read", "os.write": "os.write", "recv": "socket.socket.recv",
         "recvfrom": "socket.socket.recvfrom", "recvfrom_into": "socket.socket.recvfrom_into",
         "recvmsg": "socket.socket.recvmsg", "lock.acquire": "threading.Lock.acquire",
         "io.BufferedReader.read": "io.BufferedReader.read",
         # each of these hands its call on to another C function by a jump: so its own is no frame
         "io.TextIOWrapper.readline": "io.TextIOWrapper.readline", "io.TextIOWrapper.read": "io.TextIOWrapper.read",
         "io.TextIOWrapper.write": "io.TextIOWrapper.write", "input": "input",
         "sqlite3.Connection.commit": "sqlite3.Connection.commit"}


@pytest.mark.parametrize("mode", sorted(CALLS))
def test_blocking_call_is_the_via(loopstall, mode):
    ls = loopstall(["--", PYTHON, os.path.join(APPS, "one_blocking_call.py"), mode])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert begin["culprit"]["function"] == "blocking_call", begin["culprit"]
    # The C function the code called, though its name holds the syscall's (read, recvfrom): no libc wrapper.
    assert begin["via"]["function"] == CALLS[mode], begin.get("via")


def test_begin_record_is_what_the_loop_waits_for_now(loopstall):
    """At its begin a stall is told by the call the loop is blocked in now (the lock), with its own
    stack, not by a longer call that already returned (the sleep before it), nor a mix of both."""
    ls = loopstall(["--", PYTHON, os.path.join(APPS, "one_blocking_call.py"), "lock.acquire"])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert begin["cause"] == "lock" and begin["syscall"] == "futex", begin
    assert "time.sleep" not in [f["function"] for f in begin["stack"]], begin["stack"]
    # One C function listed as acquire_lock, acquire and __enter__: the name the code calls.
    assert begin["via"]["function"] == "threading.Lock.acquire" and begin["hint"]["id"] == "py-threading-lock", begin
