"""A JVM's event loop: its compiled methods named from the perf map the JVM writes on request."""
import os
import subprocess

import pytest

from conftest import APPS


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("classes")
    subprocess.run(["javac", "-d", str(out), os.path.join(APPS, "SelectorLoop.java")], check=True)
    return out


def start_loop(procs, classes, tmp_path):
    trigger = tmp_path / "stall-now"
    p = procs(["java", "-cp", str(classes), "SelectorLoop", str(trigger)], stdout=subprocess.PIPE, text=True)
    return p, trigger


def test_jvm_method_named_from_its_perf_map(procs, loopstall, classes, tmp_path):
    p, trigger = start_loop(procs, classes, tmp_path)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "warm"
    perf_map = f"/tmp/perf-{p.pid}.map"
    subprocess.run(["jcmd", str(p.pid), "Compiler.perfmap"], check=True, stdout=subprocess.DEVNULL, timeout=30)
    trigger.touch()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
    for r in (begin, end):
        assert r["culprit"]["kind"] == "jit" and r["culprit"]["function"] == "SelectorLoop.refreshReport", r["culprit"]
        assert r["service"] == "SelectorLoop" and r["runtime"] == "jvm", r
        assert "note" not in r, r["note"]
        # The Java call, by its Java name (libjvm's JVM_Sleep), not the JVM's interpreter or stubs.
        assert r["via"]["function"] == "java.lang.Thread.sleep", r["via"]
        # Thread.sleep parks on a condition variable of its own: no lock another thread holds.
        assert r["cause"] == "syscall" and r["syscall"] == "futex", r
    assert 1400 < end["duration_ms"] < 5000, end
    os.unlink(perf_map)


def test_jvm_without_a_perf_map_says_how_to_get_one(procs, loopstall, classes, tmp_path):
    p, trigger = start_loop(procs, classes, tmp_path)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "warm"
    trigger.touch()
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    assert f"jcmd {p.pid} Compiler.perfmap" in begin["note"], begin
    assert begin["culprit"]["kind"] != "jit", begin["culprit"]


def test_jvm_lock_lists_its_holder_not_the_jvms_own_threads(procs, loopstall, classes, tmp_path):
    """A loop waits to enter a monitor a thread named cache-warmer holds: that thread is listed among the
    possible holders, the JVM's GC, compiler and VM threads (asleep on futexes too) are only counted."""
    p, trigger = start_loop(procs, classes, tmp_path)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "warm"
    trigger.write_text("lock")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
    assert end["cause"] == "lock" and end["syscall"] == "futex", end
    # HotSpot's monitor enter, by what the code wrote
    assert "synchronized" in [f["function"] for f in end["stack"]], end["stack"]
    names = [t["name"] for t in end["waited_for"]["threads"]]
    assert "cache-warmer" in names, names
    assert not any(n.startswith(("GC Thread", "G1 ", "VM Thread", "C2 Compiler", "C1 Compiler")) for n in names), names
    assert end["waited_for"]["threads_unlisted"] >= 5, end["waited_for"]
