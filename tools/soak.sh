#!/bin/bash
# Soak. First, loopstall on the whole host (no --kill-after, records to
# /dev/null) while 10,000 loop threads stall once and exit: its RSS before,
# at its peak and settled. Then loopstall watching this script's processes
# for MINUTES while gunicorn workers churn and loops stall all the time,
# with every sink on (--log, --exec, --metrics, --syslog, --kill-after);
# never the whole host there: its --kill-after would kill any process of the
# machine that stalls 2 s. It prints that loopstall's RSS, open fds and CPU
# each minute, and the records it made against those the log holds.
# Usage (as root, from the repo root, after make): tools/soak.sh MINUTES
# LOOPSTALL_BIN runs another build (make sanitized: build/sanitized/loopstall).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:?usage: tools/soak.sh MINUTES}
work=$(mktemp -d /tmp/loopstall-soak.XXXXXX)
apps=tests/e2e/apps
port=$((20000 + RANDOM % 20000))
metrics=$((port + 1))
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/hook.sh" <<'HOOK'
#!/bin/sh
cat > /dev/null
echo "hook saw $LOOPSTALL_EVENT $LOOPSTALL_PHASE"
HOOK
chmod +x "$work/hook.sh"

# Workers that stall 0.15 s on every /action/2 and are replaced every 25 requests, killed past 1 s stalls.
(cd "$apps" && TASK_SECONDS=0.15 exec setsid /usr/bin/python3 -m gunicorn -w 2 -t 30 --max-requests 25 \
	-k uvicorn.workers.UvicornWorker --bind "127.0.0.1:$port" fastapi_app:app >/dev/null 2>&1) &
pids+=($!)
# Loops that stall 0.3 s every second, and one stuck for good every 10 s (killed by --kill-after).
for i in 1 2 3; do
	setsid /usr/bin/python3 "$apps/stall_loop.py" periodic >/dev/null 2>&1 &
	pids+=($!)
	disown
done
ulimit -c unlimited

rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# 10,000 loop threads that stall 150 ms once and exit, 500 at a time, beside loopstall on the whole host.
"${LOOPSTALL_BIN:-build/loopstall}" --json >/dev/null 2>"$work/host.stderr" &
host=$!
pids+=($host)
sleep 3
grep -q watching "$work/host.stderr" || { cat "$work/host.stderr"; exit 1; }
before=$(rss_kib $host)
peak=$before
(echo go; sleep 600) | /usr/bin/python3 "$apps/thread_churn.py" 10000 500 > "$work/churn" &
churn=$!
pids+=($churn)
while ! grep -q done "$work/churn" 2>/dev/null; do
	now=$(rss_kib $host)
	[ "$now" -gt "$peak" ] && peak=$now
	sleep 0.2
done
sleep 5
kill $churn 2>/dev/null || true
awk -v b="$before" -v p="$peak" -v s="$(rss_kib $host)" 'BEGIN { printf "host-wide, 10,000 loop threads stalled and exited: RSS %.1f MiB before, %.1f at its peak, %.1f settled 5 s after\n", b / 1024, p / 1024, s / 1024 }'
kill -INT $host
wait $host || true

"${LOOPSTALL_BIN:-build/loopstall}" -p $$ --json --log "$work/stalls.log" --log-max-size 0 --exec "$work/hook.sh" \
	--metrics "127.0.0.1:$metrics" --syslog --kill-after 2s --kill-signal KILL >/dev/null 2>"$work/stderr" &
ls_pid=$!
pids+=($ls_pid)
sleep 2
grep -q watching "$work/stderr" || { cat "$work/stderr"; exit 1; }

metric() { # the sum of a counter's samples
	curl -s "http://127.0.0.1:$metrics/metrics" | awk -v m="$1" '$1 ~ "^"m"({|$)" { s += $2 } END { print s + 0 }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$ls_pid/stat"; }
hz=$(getconf CLK_TCK)

echo "minute  rss_mib  anon_mib  fds  cpu%   records  log_lines  dropped  lost  hooks_dropped"
start_ticks=$(cpu_ticks)
end=$((SECONDS + minutes * 60))
minute=0
next=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	kill -0 $ls_pid 2>/dev/null || { echo "soak: loopstall died" >&2; cat "$work/stderr" >&2; exit 1; }
	curl -s -o /dev/null "http://127.0.0.1:$port/action/2" &
	curl -s -o /dev/null "http://127.0.0.1:$port/" &
	if [ $((SECONDS % 10)) -eq 0 ]; then
		setsid /usr/bin/python3 "$apps/stall_loop.py" forever >/dev/null 2>&1 &
		pids+=($!)
		disown
	fi
	sleep 1
	if [ $SECONDS -ge $next ]; then
		minute=$((minute + 1))
		next=$((next + 60))
		now=$(cpu_ticks)
		printf "%6d  %7.1f  %8.1f  %3d  %5.2f  %8d  %9d  %7d  %4d  %13d\n" "$minute" \
			"$(awk '/VmRSS/ { print $2 / 1024 }' "/proc/$ls_pid/status")" \
			"$(awk '/RssAnon/ { print $2 / 1024 }' "/proc/$ls_pid/status")" \
			"$(ls "/proc/$ls_pid/fd" | wc -l)" \
			"$(awk -v t=$((now - start_ticks)) -v hz="$hz" 'BEGIN { print t * 100 / hz / 60 }')" \
			"$(metric loopstall_records_total)" "$(wc -l < "$work/stalls.log")" \
			"$(metric loopstall_reports_dropped_total)" "$(metric loopstall_lost_events_total)" \
			"$(metric loopstall_hooks_dropped_total)"
		start_ticks=$now
	fi
done
records=$(metric loopstall_records_total)
kill -INT $ls_pid
wait $ls_pid || true
logged=$(grep -c '"event":"\(stall\|kill\)"' "$work/stalls.log" || true)
echo "records made $records, in the log $logged (stall and kill records; summaries aside)"
[ "$records" -le "$logged" ] || { echo "soak: records were lost" >&2; exit 1; }
