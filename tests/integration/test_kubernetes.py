"""packaging/kubernetes/logmash.yaml and packaging/Containerfile, tested as
far as a machine without a cluster can: the manifests parse, the DaemonSet
passes only options logmash has, and its config runs on a tree laid out like
a node's /var/log/pods."""
import json
import os
import re
import subprocess

import yaml

from conftest import BIN, PROJECT, ROOT, SCRIPTS, TOKEN, StandIn, wait_for

MANIFEST = os.path.join(ROOT, "packaging", "kubernetes", "logmash.yaml")
CONTAINERFILE = os.path.join(ROOT, "packaging", "Containerfile")


def docs():
    with open(MANIFEST) as f:
        return {d["kind"]: d for d in yaml.safe_load_all(f) if d}


def container():
    pod = docs()["DaemonSet"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    return pod, c


def help_options():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(?:^|\s)(--[a-z][a-z0-9-]*)", out))


def mib(quantity):
    """A Kubernetes memory quantity in Mi or Gi, in MiB."""
    assert quantity.endswith(("Mi", "Gi")), quantity
    return float(quantity[:-2]) * (1024 if quantity.endswith("Gi") else 1)


def test_the_manifests_parse_into_what_a_cluster_takes():
    d = docs()
    assert set(d) == {"Namespace", "ConfigMap", "DaemonSet"}
    ns = d["Namespace"]["metadata"]["name"]
    assert d["ConfigMap"]["metadata"]["namespace"] == ns == d["DaemonSet"]["metadata"]["namespace"]
    ds = d["DaemonSet"]["spec"]
    assert ds["selector"]["matchLabels"].items() <= ds["template"]["metadata"]["labels"].items()
    pod, c = container()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    ann = ds["template"]["metadata"]["annotations"]
    assert ann["prometheus.io/scrape"] == "true" and int(ann["prometheus.io/port"]) == ports["metrics"]
    assert c["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "metrics"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/health", "port": "metrics"}
    # Every mount names a volume; the state survives the pod, on the node.
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert {m["name"] for m in c["volumeMounts"]} <= set(volumes)
    state = next(m for m in c["volumeMounts"] if m["mountPath"] == "/var/lib/logmash")
    assert volumes[state["name"]]["hostPath"]["path"] == "/var/lib/logmash"
    # The limit is the peak make bench measured (its comment), and half again.
    with open(MANIFEST) as f:
        peak = float(re.search(r"peak RSS ([\d.]+) MiB", f.read()).group(1))
    assert mib(c["resources"]["requests"]["memory"]) >= peak
    assert mib(c["resources"]["limits"]["memory"]) >= 1.5 * peak
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_every_argument_is_an_option_logmash_lists():
    _, c = container()
    known = help_options()
    for arg in c["args"]:
        assert arg.startswith("--"), arg
        assert arg.split("=", 1)[0] in known, arg
    # and the paths it names are those the pod mounts
    mounts = [m["mountPath"] for m in c["volumeMounts"]]
    for arg in c["args"]:
        if arg.startswith(("--config=", "--token-file=", "--state-dir=")):
            path = arg.split("=", 1)[1]
            assert any(path == m or path.startswith(m + "/") for m in mounts), arg


def node_tree(tmp_path):
    """A node's /var/log/pods, as kubelet lays it out, with CRI lines."""
    pods = tmp_path / "var" / "log" / "pods"
    for ns, pod, uid, ctr in [("shop", "cart-7d9f", "0a1b", "cart"), ("kube-system", "dns-1", "2c3d", "coredns")]:
        d = pods / ("%s_%s_%s" % (ns, pod, uid)) / ctr
        d.mkdir(parents=True)
        (d / "0.log").write_text(
            "2026-12-06T10:00:00.000000001Z stdout F %s started\n"
            "2026-12-06T10:00:01.000000001Z stderr P ERROR half of a \n"
            "2026-12-06T10:00:01.000000002Z stderr F long line\n"
            "2026-12-06T10:00:02.000000001Z stdout F GET /healthz 200\n" % ctr)
    return pods


def node_config(tmp_path, pods):
    """The ConfigMap's config.lua, its paths pointed into tmp_path."""
    text = docs()["ConfigMap"]["data"]["config.lua"]
    assert "/var/log/pods/" in text and "/usr/share/logmash/scripts/" in text
    text = text.replace("/var/log/pods", str(pods)).replace("/usr/share/logmash/scripts", SCRIPTS)
    cfg = tmp_path / "config.lua"
    cfg.write_text(text)
    return cfg


def node_args(tmp_path, cfg, url):
    _, c = container()
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    token.chmod(0o400)
    paths = {"--config": str(cfg), "--token-file": str(token),
             "--state-dir": str(tmp_path / "state"), "--metrics-listen": "127.0.0.1:0"}
    args = []
    for a in c["args"]:
        k = a.split("=", 1)[0]
        args.append("%s=%s" % (k, paths[k]) if k in paths else a)
    return args + ["--url", url]


def test_check_passes_on_the_configmap_over_a_nodes_tree(tmp_path):
    pods = node_tree(tmp_path)
    cfg = node_config(tmp_path, pods)
    env = {"PATH": os.environ["PATH"], "CODEMASH_PROJECT_ID": PROJECT, "NODE_NAME": "node-1"}
    p = subprocess.run([BIN, "check", *node_args(tmp_path, cfg, "https://api.codemash.io")],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 errors, 0 warnings" in p.stdout, p.stdout
    assert re.search(r"input %s/\*/\*/\*\.log: matches 2 files" % re.escape(str(pods)), p.stdout), p.stdout


def test_the_daemonset_sends_a_nodes_pods_with_their_names(tmp_path):
    """The manifest's own config and arguments, run as the pod would run
    (followed, a state dir, metrics), against the stand-in API."""
    pods = node_tree(tmp_path)
    cfg = node_config(tmp_path, pods)
    api = StandIn()
    env = {"PATH": os.environ["PATH"], "CODEMASH_PROJECT_ID": PROJECT, "NODE_NAME": "node-1"}
    args = node_args(tmp_path, cfg, api.url)
    # Kubelet's files are there before logmash: --from-start sends them
    # (the first -F run joins files at their end).
    proc = subprocess.Popen([BIN, *args, "--from-start"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        assert wait_for(lambda: len(api.logs()) >= 4, 20)
        logs = api.logs()
    finally:
        proc.terminate()
        proc.wait(20)
        proc.stderr.close()
        api.stop()
    assert proc.returncode == 0
    by = {(g["items"]["container"], g["message"]): g for g in logs}
    assert set(by) == {("cart", "cart started"), ("cart", "ERROR half of a long line"),
                       ("coredns", "coredns started"), ("coredns", "ERROR half of a long line")}
    g = by[("cart", "ERROR half of a long line")]
    assert g["items"]["namespace"] == "shop" and g["items"]["pod"] == "cart-7d9f"
    assert g["items"]["node"] == "node-1" and g["items"]["stream"] == "stderr"
    assert g["level"] == "Error"  # levels.lua
    assert json.dumps(logs).count("healthz") == 0  # drop_noise.lua


def test_the_image_installs_the_package_as_the_package_test_does():
    with open(CONTAINERFILE) as f:
        text = f.read()
    assert re.search(r"^FROM debian:bookworm-slim$", text, re.M)
    run = " ".join(l.strip().rstrip("\\") for l in text.splitlines()
                   if l.startswith(("RUN", " ")))
    assert "sh /tmp/install-deb.sh /tmp/logmash_*.deb" in run
    with open(os.path.join(ROOT, "tests", "package", "check.sh")) as f:
        assert 'sh packaging/install-deb.sh "$deb"' in f.read()
    assert re.search(r'^ENTRYPOINT \["/usr/bin/logmash"\]$', text, re.M)
