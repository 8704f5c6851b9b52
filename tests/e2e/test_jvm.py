"""A JVM's event loops (a plain NIO loop, a Netty server): Java methods named from HotSpot's own tables
(no flags, no perf map), by method, file and line, with the JDK call they made; a perf map, when the JVM
writes one, adds no second name."""
import os
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import APPS, assert_cpu_bound, free_port

SOURCE = os.path.join(APPS, "SelectorLoop.java")
# Debian's libnetty-java: one jar per module (its netty-all.jar names them, holds no classes)
NETTY = [f"/usr/share/java/netty-{m}.jar" for m in ("buffer", "codec", "codec-http", "common", "handler",
                                                     "resolver", "transport")]


@pytest.fixture(scope="module")
def classes(tmp_path_factory):
    out = tmp_path_factory.mktemp("classes")
    subprocess.run(["javac", "-d", str(out), SOURCE], check=True)
    subprocess.run(["javac", "-cp", ":".join(NETTY), "-d", str(out), os.path.join(APPS, "NettyShop.java")],
                   check=True)
    return out


def line_of(text, nth=1, source=SOURCE):
    """The line of source (SelectorLoop.java) that holds text (its nth)."""
    with open(source) as f:
        return [i for i, line in enumerate(f, 1) if text in line][nth - 1]


def start_loop(procs, loopstall, classes, tmp_path):
    trigger = tmp_path / "stall-now"
    p = procs(["java", "-cp", str(classes), "SelectorLoop", str(trigger)], stdout=subprocess.PIPE, text=True)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    assert p.proc.stdout.readline().strip() == "warm"
    return p, ls, trigger


def stall(ls, trigger, what=""):
    trigger.write_text(what)
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=15)
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=15)
    return begin, end


def java_frames(r):
    return [f["function"] for f in r["stack"] if f["kind"] == "jit"]


def test_jvm_blocking_call_named_by_method_and_line(procs, loopstall, classes, tmp_path):
    p, ls, trigger = start_loop(procs, loopstall, classes, tmp_path)
    begin, end = stall(ls, trigger)
    for r in (begin, end):
        assert r["culprit"] == {"kind": "jit", "function": "SelectorLoop.callBackend", "file": "SelectorLoop.java",
                                "line": line_of("Thread.sleep(1500)")}, r["culprit"]
        # the JDK call, by its Java name, and the whole Java stack out to main
        assert r["via"]["function"] == "java.lang.Thread.sleep", r["via"]
        assert java_frames(r)[-3:] == ["SelectorLoop.callBackend", "SelectorLoop.refreshReport", "SelectorLoop.main"]
        assert "note" not in r, r["note"]
        assert r["runtime"] == "jvm" and "VMStructs" in r["runtime_status"], r
        # Thread.sleep parks on a condition variable of its own: no lock another thread holds.
        assert r["cause"] == "syscall" and r["syscall"] == "futex", r
    assert 1400 < end["duration_ms"] < 5000, end


def test_jvm_with_a_perf_map_names_each_method_once(procs, loopstall, classes, tmp_path):
    p, ls, trigger = start_loop(procs, loopstall, classes, tmp_path)
    subprocess.run(["jcmd", str(p.pid), "Compiler.perfmap"], check=True, stdout=subprocess.DEVNULL, timeout=30)
    try:
        _, end = stall(ls, trigger)
    finally:
        os.unlink(f"/tmp/perf-{p.pid}.map")
    assert end["culprit"]["function"] == "SelectorLoop.callBackend", end["culprit"]
    names = java_frames(end)
    assert names.count("SelectorLoop.refreshReport") == 1 and names.count("SelectorLoop.main") == 1, end["stack"]
    assert not [f for f in end["stack"] if f.get("module") == "[jit]"], end["stack"]


def test_jvm_socket_read_names_the_jdk_call(procs, loopstall, classes, tmp_path):
    p, ls, trigger = start_loop(procs, loopstall, classes, tmp_path)
    _, end = stall(ls, trigger, "read")
    assert end["culprit"]["function"] == "SelectorLoop.readReply", end["culprit"]
    assert end["culprit"]["line"] == line_of("return in.read()"), end["culprit"]
    assert end["via"]["function"] == "java.net.Socket$SocketInputStream.read", end["via"]
    assert end["cause"] == "syscall" and end["syscall"] == "read", end


def test_jvm_cpu_stall_names_the_hot_method(procs, loopstall, classes, tmp_path):
    p, ls, trigger = start_loop(procs, loopstall, classes, tmp_path)
    _, end = stall(ls, trigger, "cpu")
    assert_cpu_bound(end)
    assert end["culprit"]["function"] == "SelectorLoop.checksum", end["culprit"]
    assert end["hot"][0]["function"] == "SelectorLoop.checksum", end["hot"]


def test_jvm_lock_lists_its_holder_not_the_jvms_own_threads(procs, loopstall, classes, tmp_path):
    """A loop waits to enter a monitor a thread named cache-warmer holds: that thread is listed among the
    possible holders, with its own Java frame; the JVM's GC, compiler and VM threads (asleep on futexes too) are
    only counted."""
    p, ls, trigger = start_loop(procs, loopstall, classes, tmp_path)
    _, end = stall(ls, trigger, "lock")
    assert end["cause"] == "lock" and end["syscall"] == "futex", end
    assert end["culprit"]["function"] == "SelectorLoop.readCache", end["culprit"]
    assert end["culprit"]["line"] == line_of("synchronized (CACHE)", 2), end["culprit"]
    # HotSpot's monitor enter, by what the code wrote
    assert "synchronized" in [f["function"] for f in end["stack"]], end["stack"]
    threads = {t["name"]: t for t in end["waited_for"]["threads"]}
    assert "cache-warmer" in threads, threads
    assert threads["cache-warmer"]["frame"]["function"] == "SelectorLoop.lambda$readCache$0", threads["cache-warmer"]
    assert not any(n.startswith(("GC Thread", "G1 ", "VM Thread", "C2 Compiler", "C1 Compiler")) for n in threads)
    assert end["waited_for"]["threads_unlisted"] >= 5, end["waited_for"]


def start_shop(procs, loopstall, classes):
    port = free_port()
    p = procs(["java", "-cp", ":".join([str(classes)] + NETTY), "NettyShop", str(port)], stdout=subprocess.PIPE,
              text=True)
    assert p.proc.stdout.readline().strip() == "listening"
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    return port, ls


def get_in_background(port, path):
    def get():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=20) as r:
            r.read()

    t = threading.Thread(target=get)
    t.start()
    return t


def test_netty_handler_blocking_call_named_on_its_event_loop(procs, loopstall, classes):
    """A Netty handler calls a price service that blocks (Thread.sleep for its backend): the record names the
    service's method and line, the JDK call, and Netty's event loop thread, with Netty's own frames below."""
    port, ls = start_shop(procs, loopstall, classes)
    t = get_in_background(port, "/quote")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=20)
    t.join()
    shop = os.path.join(APPS, "NettyShop.java")
    assert end["culprit"] == {"kind": "jit", "function": "PriceService.fetchQuote", "file": "NettyShop.java",
                              "line": line_of("Thread.sleep(1500)", source=shop)}, end["culprit"]
    assert end["via"]["function"] == "java.lang.Thread.sleep", end["via"]
    assert end["comm"].startswith("nioEventLoop"), end["comm"]
    names = java_frames(end)
    assert "NettyShop.channelRead0" in names and "io.netty.channel.nio.NioEventLoop.run" in names, names
    assert 1400 < end["duration_ms"] < 5000, end


def test_netty_cpu_stall_names_the_handlers_work(procs, loopstall, classes):
    port, ls = start_shop(procs, loopstall, classes)
    t = get_in_background(port, "/report")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=20)
    t.join()
    assert_cpu_bound(end)
    assert end["culprit"]["function"] == "Orders.total", end["culprit"]


def test_netty_heavy_regex_blames_the_handler_not_the_regex_engine(procs, loopstall, classes):
    """A backtracking regex on the event loop: every CPU sample is deep in java.util.regex, walked from the
    sample's registers out to the application's method that runs it, which is the culprit; via, the JDK call."""
    port, ls = start_shop(procs, loopstall, classes)
    t = get_in_background(port, "/search")
    _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=20)
    t.join()
    assert_cpu_bound(end)
    shop = os.path.join(APPS, "NettyShop.java")
    assert end["culprit"] == {"kind": "jit", "function": "Catalog.search", "file": "NettyShop.java",
                              "line": line_of("NAME.matcher(query)", source=shop)}, end["culprit"]
    assert end["via"]["function"] == "java.util.regex.Matcher.matches", end["via"]
    assert any(h["function"] == "Catalog.search" and h["of"] == "jvm" for h in end["hot"]), end["hot"]


# BlockHound's list of blocking calls (Reactor's detector), each made in a Netty handler: the JDK API called.
BLOCKING = {"sleep": ("Thread.sleep(1_500)", "java.lang.Thread.sleep"),
            "wait": ("monitor.wait(1500)", "java.lang.Object.wait"),
            "park": ("LockSupport.parkNanos", "java.util.concurrent.locks.LockSupport.parkNanos"),
            "file-read": ("in.read()", "java.io.FileInputStream.read"),
            "random-access": ("f.read()", "java.io.RandomAccessFile.read"),
            "process": ("waitFor()", "java.lang.ProcessImpl.waitFor")}


@pytest.mark.parametrize("call", sorted(BLOCKING))
def test_netty_blocking_calls_name_the_jdk_api(procs, loopstall, classes, tmp_path, call):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    writer = os.open(fifo, os.O_RDWR)  # a writer is there: the server's open returns, its read waits
    try:
        port = free_port()
        p = procs(["java", "-cp", ":".join([str(classes)] + NETTY), "NettyShop", str(port), fifo],
                  stdout=subprocess.PIPE, text=True)
        assert p.proc.stdout.readline().strip() == "listening"
        ls = loopstall(["-p", str(p.pid)])
        ls.wait_ready()
        t = get_in_background(port, "/block/" + call)
        ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin", timeout=20)
        if call in ("file-read", "random-access"):
            time.sleep(1.5)
            os.write(writer, b"x")
        _, end = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "end", timeout=20)
        t.join()
    finally:
        os.close(writer)
    text, via = BLOCKING[call]
    shop = os.path.join(APPS, "NettyShop.java")
    assert end["culprit"] == {"kind": "jit", "function": "Blocking.call", "file": "NettyShop.java",
                              "line": line_of(text, source=shop)}, end["culprit"]
    assert end["via"]["function"] == via, end["via"]
    assert "NettyShop.channelRead0" in java_frames(end), end["stack"]
    assert 1000 < end["duration_ms"] < 5000, end
