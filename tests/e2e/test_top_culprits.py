"""loopstall top's culprit view (key c) in a real terminal (tmux): stalls since watched, grouped by
culprit, the selected row's hint on the bottom line."""
import re
import subprocess

from conftest import APPS, PYTHON, start_loop


def culprit_rows(screen):
    return [l for l in screen.splitlines() if re.match(r"\s*\d[\d.]*m?s\s+\d+\s", l)]


def test_culprit_view_groups_stalls_and_shows_the_hint(procs, dashboard):
    a = start_loop(procs, 0.3, 0.2)
    b = start_loop(procs, 0.3, 0.2)
    calls = procs([PYTHON, f"{APPS}/blocking_calls.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert calls.proc.stdout.readline().strip() == "ready"
    d = dashboard(["-p", f"{a.pid},{b.pid},{calls.pid}", "-i", "200ms"], width=160, height=30)
    d.wait_for(lambda s: "periodic_block" in s, what="a first stall")
    calls.proc.stdin.write("queue\n")
    calls.proc.stdin.flush()
    assert calls.proc.stdout.readline().strip() == "done"

    d.keys("c")
    # Both stallers go on stalling while wait_for_job stalled once: periodic_block leads once it has
    # more time (at first both may have 600 ms, a tie in either order).
    screen = d.wait_for(lambda s: "TOTAL" in s and "wait_for_job" in s and culprit_rows(s)
                        and "periodic_block" in culprit_rows(s)[0], timeout=15,
                        what="the culprit view with both culprits, periodic_block first")
    rows = culprit_rows(screen)
    assert len(rows) == 2, screen
    # The two stallers' periodic_block is one culprit, in two processes, with most of the time
    top = rows[0]
    assert "periodic_block (apps/periodic_staller.py:" in top and "via time.sleep" in top, rows
    assert re.search(r"\ssyscall\s+2\s+periodic_block", top), top
    assert re.search(r"\slock\s+1\s+wait_for_job", rows[1]), rows
    # The bottom line: the selected (top) row's hint
    assert screen.rstrip().splitlines()[-1].startswith("hint: time.sleep blocks the event loop"), screen
    d.keys("j")
    screen = d.wait_for(lambda s: s.rstrip().splitlines()[-1].startswith("hint: queue.Queue.get waits"), timeout=5,
                        what="the second row's hint")
    # c again: the loops
    d.keys("c")
    d.wait_for(lambda s: re.search(rf"^{a.pid}\s", s, re.M) and "TOTAL" not in s, timeout=5, what="the loops again")
    d.keys("q")
    d.wait_for(lambda s: "exited 0" in s, timeout=10, what="a clean exit")
