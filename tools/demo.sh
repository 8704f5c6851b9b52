#!/bin/bash
# The FastAPI case, live: gunicorn + a uvicorn worker whose BackgroundTasks
# block (or not) the event loop, with loopstall attached to the arbiter.
# Run as root from the repo root: `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-8765}
APP_DIR=tests/e2e/apps
export TASK_SECONDS=${TASK_SECONDS:-3}
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

get() {
	/usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' \
		"http://127.0.0.1:$PORT$1"
}

echo "== starting gunicorn -w 1 -t 10 -k uvicorn.workers.UvicornWorker on 127.0.0.1:$PORT"
(cd "$APP_DIR" && exec /usr/bin/python3 -m gunicorn -w 1 -t 10 -k uvicorn.workers.UvicornWorker \
	--bind "127.0.0.1:$PORT" fastapi_app:app 2>/dev/null) &
arbiter=$!
pids+=("$arbiter")
for _ in $(seq 100); do get / >/dev/null 2>&1 && break; sleep 0.1; done

echo "== attaching: build/loopstall -p $arbiter (the arbiter: its workers are watched too)"
build/loopstall -p "$arbiter" &
pids+=("$!")
sleep 1.5

echo "== action 1: a plain def task calling time.sleep($TASK_SECONDS) runs in the thread pool: no stall expected"
get /action/1
sleep $((TASK_SECONDS + 1))
echo "== action 3: an async def task awaiting asyncio.sleep($TASK_SECONDS) yields to the loop: no stall expected"
get /action/3
sleep $((TASK_SECONDS + 1))
echo "== action 2: an async def task calling time.sleep($TASK_SECONDS) blocks the loop: one stall expected"
get /action/2
sleep $((TASK_SECONDS + 1))
echo "== done"
