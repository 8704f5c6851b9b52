"""A Ruby async service: its stall found and said, with why no Ruby method is named yet."""
import os
import subprocess
import threading

from conftest import APPS


def test_ruby_reactor_blocked_in_open_names_the_caller_and_says_why(procs, loopstall, tmp_path):
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    p = procs(["ruby", os.path.join(APPS, "async_app.rb"), str(fifo)], stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "ready"
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    # Let it go: a writer opens the FIFO, the read returns.
    threading.Thread(target=lambda: fifo.write_text("x"), daemon=True).start()
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
    for r in (begin, end):
        assert r["runtime"] == "ruby" and r["syscall"] == "openat", r
        assert r["waited_for"]["path"] == str(fifo), r
        # The caller of the C library, not libc's own wrapper (__open), and no via from libc.
        assert r["culprit"]["function"] == "rb_cloexec_open", r["culprit"]
        assert "via" not in r, r["via"]
        assert "Ruby methods are not named" in r["note"], r
