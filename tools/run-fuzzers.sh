#!/bin/bash
# Runs each libFuzzer harness of tests/fuzz/ for SECONDS: its corpus in
# build/fuzz/corpus/NAME, seeded from tests/fuzz/seeds/NAME and the fixtures.
# Usage: tools/run-fuzzers.sh SECONDS NAME...   Exits non-zero on the first crash.
# FUZZ_SEED=N makes the inputs tried repeatable (make test sets it); unset, each run differs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=$1
shift
for name in "$@"; do
	corpus=build/fuzz/corpus/$name
	mkdir -p "$corpus"
	seeds=()
	[ -d "tests/fuzz/seeds/$name" ] && seeds+=("tests/fuzz/seeds/$name")
	case $name in
	python) seeds+=(tests/fixtures/python) ;;
	proc_maps) seeds+=(tests/fixtures/unwind) ;;
	record) seeds+=(tests/fixtures/records) ;;
	elf) mkdir -p build/fuzz/seed-elf && cp /bin/true build/fuzz/seed-elf/ && seeds+=(build/fuzz/seed-elf) ;;
	esac
	echo "== fuzz $name (${seconds}s)"
	if ! build/fuzz/fuzz_"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 ${FUZZ_SEED:+-seed="$FUZZ_SEED"} "$corpus" "${seeds[@]}" > "build/fuzz/$name.log" 2>&1; then
		tail -40 "build/fuzz/$name.log"
		echo "run-fuzzers: fuzz_$name failed; the input is in $(grep -o 'crash-[0-9a-f]*\|leak-[0-9a-f]*\|timeout-[0-9a-f]*' "build/fuzz/$name.log" | head -1)" >&2
		exit 1
	fi
	grep -E "^#[0-9]+.*(DONE|pulse)" "build/fuzz/$name.log" | tail -1 || true
done
