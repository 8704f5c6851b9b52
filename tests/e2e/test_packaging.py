"""The Debian package, as an operator installs it: make deb, apt-get install, the
man page, the systemd unit, lintian; and make install into a staging directory.
The package is removed (purged) at the end, whatever happened."""
import glob
import os
import re
import subprocess
import tempfile

import pytest

from conftest import ROOT

PATH_ENV = dict(os.environ, PATH="/usr/bin:/usr/sbin:/bin:/sbin:" + os.environ.get("PATH", ""))


def run(argv, env=None, **kw):
    return subprocess.run(argv, capture_output=True, text=True, env=env or PATH_ENV, timeout=600, **kw)


def apt_get(*args):
    """apt-get, waiting for the dpkg lock if another install holds it."""
    return run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "-y", "-q", *args])


@pytest.fixture(scope="module")
def installed():
    r = run(["make", "--no-print-directory", "deb"], cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = glob.glob(os.path.join(ROOT, "build", "loopstall_*_amd64.deb"))
    assert len(debs) == 1, debs
    try:
        r = apt_get("install", "--reinstall", debs[0])
        assert r.returncode == 0, r.stdout + r.stderr
        yield debs[0]
    finally:
        r = apt_get("purge", "loopstall")
        assert r.returncode == 0, r.stdout + r.stderr
        assert not os.path.exists("/usr/sbin/loopstall")


def test_version_names_the_commit(installed):
    r = run(["/usr/sbin/loopstall", "--version"])
    assert r.returncode == 0
    commit = run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]).stdout.strip()
    assert re.fullmatch(rf"loopstall \d+\.\d+\.\d+ \(commit {commit}(-dirty)?\)\n", r.stdout), r.stdout
    assert re.search(r"_(\d+\.\d+\.\d+)_amd64\.deb$", installed).group(1) in r.stdout


def test_depends_come_from_the_binary(installed):
    r = run(["dpkg-deb", "-f", installed, "Depends"])
    for lib in ("libbpf1", "libc6", "libdw1", "libelf1", "libmicrohttpd12", "libncursesw6"):
        assert re.search(rf"\b{lib} \(>= [^)]+\)", r.stdout), r.stdout


def test_man_page_renders_without_warnings_and_covers_the_options(installed):
    r = run(["man", "-w", "loopstall"])
    assert r.returncode == 0 and r.stdout.strip() == "/usr/share/man/man8/loopstall.8.gz", r.stdout + r.stderr
    page = run(["sh", "-c", "zcat /usr/share/man/man8/loopstall.8.gz"]).stdout
    r = subprocess.run(["groff", "-man", "-ww", "-z"], input=page, capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = page.replace("\\-", "-").replace("\\fB", "").replace("\\fR", "").replace("\\fI", "")
    # Every long option of --help is in the page, and every exit code.
    usage = run([os.path.join(ROOT, "build", "loopstall"), "--help"]).stdout
    for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", usage))):
        assert opt in text, opt
    for code in range(5):
        assert re.search(rf"^{code}$", text, re.M), code
    for field in ("pid_in_container", "pod_uid", "waited_for", "culprit", "breakdown_ms", "histogram_us"):
        assert field in text, field


def test_unit_verifies_and_its_capabilities_suffice(installed):
    unit = "/lib/systemd/system/loopstall@.service"
    with open(unit) as f:
        text = f.read()
    for key in ("CapabilityBoundingSet=", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "ReadWritePaths=/var/log/loopstall"):
        assert key in text, key
    with tempfile.TemporaryDirectory() as d:
        os.symlink(unit, os.path.join(d, "loopstall@api.service"))
        with open(os.path.join(d, "api.service"), "w") as f:
            f.write("[Service]\nExecStart=/bin/sleep 1000\n")
        r = run(["systemd-analyze", "verify", os.path.join(d, "loopstall@api.service")],
                env=dict(PATH_ENV, SYSTEMD_UNIT_PATH=d + ":"))
        # verify exits 0 on keys it ignores: what it says about the unit is what counts.
        assert r.returncode == 0 and "loopstall@" not in r.stdout + r.stderr, r.stdout + r.stderr
    # loopstall runs within the unit's bounding set (those of its capabilities this machine has).
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
    have = int(re.search(r"CapBnd:\s*([0-9a-f]+)", open("/proc/self/status").read()).group(1), 16)
    numbers = {"CAP_DAC_READ_SEARCH": 2, "CAP_KILL": 5, "CAP_SYS_PTRACE": 19, "CAP_SYS_NICE": 23,
               "CAP_SYS_RESOURCE": 24, "CAP_PERFMON": 38, "CAP_BPF": 39}
    keep = [c for c in caps if have >> numbers[c] & 1]
    assert "CAP_BPF" in keep and "CAP_PERFMON" in keep and "CAP_SYS_PTRACE" in keep
    bounding = "-all," + ",".join("+" + c[4:].lower() for c in keep)
    r = run(["setpriv", f"--bounding-set={bounding}", "--inh-caps=-all", "--no-new-privs", "/usr/sbin/loopstall",
             "--json", "-d", "500ms"])
    assert r.returncode == 0, r.stderr
    # Without CAP_SYS_PTRACE it says so and exits 3: the bounding set is what decides.
    r = run(["setpriv", "--bounding-set=-all,+bpf,+perfmon", "--inh-caps=-all", "/usr/sbin/loopstall", "-d", "1s"])
    assert r.returncode == 3 and "CAP_SYS_PTRACE" in r.stderr, r.stderr


def test_logrotate_snippet_parses_and_signals(installed):
    with open("/etc/logrotate.d/loopstall") as f:
        text = f.read()
    assert "/var/log/loopstall/*.json" in text and "HUP" in text
    r = run(["logrotate", "-d", "/etc/logrotate.d/loopstall"])
    assert r.returncode == 0 and "error" not in r.stderr.lower(), r.stderr


def test_lintian_finds_no_errors(installed):
    r = run(["lintian", "--fail-on", "error", installed])
    assert r.returncode == 0, r.stdout + r.stderr
    assert not re.search(r"^E: ", r.stdout, re.M), r.stdout


def test_make_install_honours_prefix_and_destdir():
    with tempfile.TemporaryDirectory() as d:
        r = run(["make", "--no-print-directory", "install", f"DESTDIR={d}", "PREFIX=/opt/ls"], cwd=ROOT)
        assert r.returncode == 0, r.stdout + r.stderr
        for path in ("opt/ls/sbin/loopstall", "opt/ls/share/man/man8/loopstall.8",
                     "opt/ls/lib/systemd/system/loopstall@.service", "etc/logrotate.d/loopstall"):
            assert os.path.isfile(os.path.join(d, path)), path
        assert os.access(os.path.join(d, "opt/ls/sbin/loopstall"), os.X_OK)
        with open(os.path.join(d, "opt/ls/lib/systemd/system/loopstall@.service")) as f:
            assert "ExecStart=/opt/ls/sbin/loopstall " in f.read()
