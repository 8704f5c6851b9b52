#!/bin/bash
# Installs the Debian packages that building, testing and benchmarking
# loopstall need. Idempotent: does nothing when all are present.
set -euo pipefail

PACKAGES=(
	# build
	clang llvm make gcc pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev libdw-dev libmicrohttpd-dev
	linux-libc-dev libncurses-dev libjansson-dev libiberty-dev
	gcc-aarch64-linux-gnu # make arm64-check: user space compiles for arm64
	# tests
	libclang-rt-dev
	check python3 python3-pytest python3-fastapi python3-uvicorn gunicorn python3-httpx python3-prometheus-client python3-aiohttp python3-jsonschema
	util-linux procps strace tmux redis-server nodejs python3-uvloop nginx-light
	libc6-dbg # separate debug files: names of stripped libc's static functions
	php-cli liburing-dev librust-tokio-dev # loops on stream_select, io_uring, tokio (test_found.py)
	openjdk-17-jdk-headless libnetty-java # JVM event loops: a NIO loop and a Netty server (test_jvm.py)
	ruby ruby-async # a Ruby reactor (test_ruby.py)
	golang-go # a Go server, none of whose threads is a loop (test_found.py)
	python3-trio python3-gevent python3-twisted python3-tornado python3-django python3-sqlalchemy # framework hints (test_hints.py)
	# packaging: make deb, the man page, the unit and package checks
	scdoc dpkg-dev debhelper fakeroot lintian groff man-db logrotate systemd python3-yaml
	# benchmark
	wrk
)
# Offline manifest checks (kubectl apply --dry-run=client): Debian's kubernetes-client, unless a
# kubectl is on PATH already (another package's, whose /usr/bin/kubectl it would conflict with).
command -v kubectl >/dev/null 2>&1 || PACKAGES+=(kubernetes-client)
# The tokio test server builds offline with cargo: root's rustup one if there, else Debian's.
[ -x "$HOME/.cargo/bin/cargo" ] || command -v cargo >/dev/null 2>&1 || PACKAGES+=(cargo)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
