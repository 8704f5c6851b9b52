"""via: the API the handler called, as its code names it, for C functions of Python's own modules."""
import os

import pytest

from conftest import APPS, PYTHON

CALLS = {"os.read": "os.read", "os.write": "os.write", "recv": "_socket.socket.recv",
         "recvfrom": "_socket.socket.recvfrom", "recvfrom_into": "_socket.socket.recvfrom_into",
         "recvmsg": "_socket.socket.recvmsg"}


@pytest.mark.parametrize("mode", sorted(CALLS))
def test_blocking_call_is_the_via(loopstall, mode):
    ls = loopstall(["--", PYTHON, os.path.join(APPS, "blocking_calls.py"), mode])
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert begin["culprit"]["function"] == "blocking_call", begin["culprit"]
    # The C function the code called, though its name holds the syscall's (read, recvfrom): no libc wrapper.
    assert begin["via"]["function"] == CALLS[mode], begin.get("via")
