"""A long stall tells its phases: the end record's headline is the part that held the loop longest,
not its first moment, and it lists each part with its time."""
import subprocess

from conftest import APPS, end_of, free_port, http_get, send_command, start_frozen


def test_python_handler_computing_then_sleeping_is_blamed_on_the_sleep(procs, loopstall):
    p, port = start_frozen(procs)
    ls = loopstall(["-p", str(p.pid)])
    ls.wait_ready()
    send_command(port, "twophase 1.2")
    _, begin = ls.wait_for(lambda r: r["event"] == "stall" and r["phase"] == "begin")
    end = end_of(ls)
    # The begin record describes its moment: the computing; the end, what held the loop longest.
    assert begin["culprit"]["function"] == "build_payload", begin["culprit"]
    assert end["cause"] == "syscall" and end["syscall"] == "clock_nanosleep", end
    assert end["culprit"]["function"] == "call_backend" and end["via"]["function"] == "time.sleep", end["culprit"]
    phases = [(ph["what"], ph.get("culprit", {}).get("function")) for ph in end["phases"]]
    assert phases == [("cpu", "build_payload"), ("clock_nanosleep", "call_backend")], end["phases"]
    assert end["phases"][0]["ms"] > 200 and end["phases"][1]["ms"] > 1000, end["phases"]


def test_node_handler_in_two_phases_is_blamed_on_the_longer(procs, loopstall):
    port = free_port()
    node = procs(["node", f"{APPS}/node_frozen.js", str(port)], stdout=subprocess.PIPE, text=True)
    assert node.proc.stdout.readline().strip() == "ready"
    ls = loopstall(["-p", str(node.pid)])
    ls.wait_ready()
    assert http_get(port, "/twophase") == "done\n"
    end = end_of(ls)
    # 0.4 s in phaseA, then 1.2 s in phaseB: the samples, spread over the whole stall, say so (the first
    # 128 of them, 0.64 s at 199 Hz, would have said phaseA).
    app = [h["function"] for h in end["hot"] if h["kind"] == "js" and h["function"] in ("phaseA", "phaseB")]
    assert app and app[0] == "phaseB", end["hot"]
    assert end["culprit"]["function"] == "phaseB", end["culprit"]
