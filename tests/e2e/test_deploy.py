"""The DaemonSet manifest (tools/deploy/loopstall-daemonset.yaml): every field
the man page names, read with a YAML parser, and kubectl's own client-side
check, offline. kubectl apply needs an API server's discovery even with
--dry-run=client, so a stub on 127.0.0.1 answers it (the kinds the manifest
uses, and 404 for every object: nothing exists, nothing is created)."""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading

import pytest
import yaml

from conftest import ROOT

MANIFEST = os.path.join(ROOT, "tools", "deploy", "loopstall-daemonset.yaml")

RESOURCES = {
    "/api/v1": [("namespaces", "Namespace", False), ("services", "Service", True)],
    "/apis/apps/v1": [("daemonsets", "DaemonSet", True)],
    "/apis/monitoring.coreos.com/v1": [("servicemonitors", "ServiceMonitor", True)],
}


class Discovery(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/api":
            return self.reply(200, {"kind": "APIVersions", "versions": ["v1"]})
        if path == "/apis":
            groups = [{"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                       "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"}}
                      for g in ("apps", "monitoring.coreos.com")]
            return self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if path in RESOURCES:
            gv = "v1" if path == "/api/v1" else path[len("/apis/"):]
            res = [{"name": n, "singularName": "", "namespaced": ns, "kind": k,
                    "verbs": ["create", "get", "list", "patch", "update", "delete"]} for n, k, ns in RESOURCES[path]]
            return self.reply(200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                                    "resources": res})
        return self.reply(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                "code": 404, "message": "not found"})


@pytest.fixture
def stub_cluster():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tempfile.mkdtemp()
    config = os.path.join(home, "config")
    with open(config, "w") as f:
        yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": "stub",
                        "clusters": [{"name": "stub", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
                        "users": [{"name": "stub", "user": {"token": "stub"}}],
                        "contexts": [{"name": "stub", "context": {"cluster": "stub", "user": "stub"}}]}, f)
    yield dict(os.environ, KUBECONFIG=config, HOME=home)
    server.shutdown()
    server.server_close()
    shutil.rmtree(home)


def docs():
    with open(MANIFEST) as f:
        return {d["kind"]: d for d in yaml.safe_load_all(f)}


def test_kubectl_accepts_the_manifest_offline(stub_cluster):
    kubectl = shutil.which("kubectl")
    assert kubectl, "no kubectl: tools/install-deps.sh installs kubernetes-client"
    r = subprocess.run([kubectl, "apply", "--dry-run=client", "--validate=false", "-o", "yaml", "-f", MANIFEST],
                       capture_output=True, text=True, env=stub_cluster, timeout=120)
    assert r.returncode == 0, r.stderr
    out = list(yaml.safe_load_all(r.stdout))
    items = out[0]["items"] if len(out) == 1 and out[0].get("kind") == "List" else out
    assert sorted(i["kind"] for i in items) == ["DaemonSet", "Namespace", "Service", "ServiceMonitor"], r.stdout
    # What kubectl would send keeps the fields as written.
    ds = next(i for i in items if i["kind"] == "DaemonSet")
    assert ds["spec"]["template"]["spec"]["hostPID"] is True
    # A broken manifest fails the same check: the check can fail.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as bad:
        bad.write(open(MANIFEST).read().replace("kind: DaemonSet", "kind: DaemonSett"))
        bad.flush()
        r = subprocess.run([kubectl, "apply", "--dry-run=client", "--validate=false", "-o", "yaml", "-f", bad.name],
                           capture_output=True, text=True, env=stub_cluster, timeout=120)
        assert r.returncode != 0


def test_daemonset_fields_the_readme_names():
    d = docs()
    ds = d["DaemonSet"]
    pod = ds["spec"]["template"]
    spec = pod["spec"]
    assert spec["hostPID"] is True
    (c,) = spec["containers"]
    sc = c["securityContext"]
    assert sc.get("privileged") is not True
    assert sc["allowPrivilegeEscalation"] is False
    assert sorted(sc["capabilities"]["add"]) == ["BPF", "PERFMON", "SYS_NICE", "SYS_PTRACE", "SYS_RESOURCE"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    for path in ("/sys/kernel/btf", "/sys/kernel/tracing", "/sys/fs/cgroup", "/proc", "/var/log/pods", "/var/log/containers",
                 "/var/lib/kubelet/pods"):
        assert mounts[path]["readOnly"] is True, path
        assert volumes[mounts[path]["name"]]["hostPath"]["path"] == path
    # The log: on a hostPath, rotated by loopstall's own options.
    args = c["args"]
    log = args[args.index("--log") + 1]
    assert volumes[mounts[os.path.dirname(log)]["name"]]["hostPath"]["path"] == "/var/log/loopstall"
    assert "--log-max-size" in args and "--log-keep" in args
    # The metrics port, announced to Prometheus.
    port = int(args[args.index("--metrics") + 1].rsplit(":", 1)[1])
    assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in c["ports"]
    ann = pod["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and ann["prometheus.io/port"] == str(port)
    assert ann["prometheus.io/path"] == "/metrics"
    res = c["resources"]
    assert res["requests"]["cpu"] and res["requests"]["memory"] and res["limits"]["cpu"] and res["limits"]["memory"]
    assert pod["metadata"]["labels"] == ds["spec"]["selector"]["matchLabels"]


def test_service_monitor_scrapes_the_daemonset():
    d = docs()
    svc, sm, ds = d["Service"], d["ServiceMonitor"], d["DaemonSet"]
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert svc["spec"]["selector"] == ds["spec"]["template"]["metadata"]["labels"]
    assert sm["spec"]["selector"]["matchLabels"] == svc["metadata"]["labels"]
    assert svc["metadata"]["namespace"] in sm["spec"]["namespaceSelector"]["matchNames"]
    (ep,) = sm["spec"]["endpoints"]
    assert ep["port"] in [p["name"] for p in svc["spec"]["ports"]] and ep["path"] == "/metrics"
    # The pod, namespace and container labels are the watched pod's, not loopstall's own.
    assert ep["honorLabels"] is True
