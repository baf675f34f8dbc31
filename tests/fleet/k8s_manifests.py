#!/usr/bin/python3
"""Reads the Kubernetes manifests in packaging/kubernetes/ for the fleet tests.

  k8s_manifests.py describe FILE...
      Prints JSON: every workload's containers, probes (httpGet path and the
      port number it resolves to), the agent container's ConfigMap files as
      they appear under its mount, its Secret volumes' files with their modes, its listen port and resources, and a list
      of "problems" found by structural checks (probe ports that are not the
      agent's, files in a ConfigMap that no volume item maps, a listen address
      the kubelet cannot reach, ...). The C++ test starts the real agent with
      those files and asks it every probe path.

  k8s_manifests.py prometheus-config CONFIG OUT MANIFEST...
      Writes to OUT a copy of the Prometheus configuration CONFIG that Debian's
      promtool can check (its Prometheus is built without Kubernetes service
      discovery: kubernetes_sd_configs become static_configs, rule_files become
      absolute), after checking that its `keep` relabeling on the container
      port name keeps the agent port every manifest declares.

Needs PyYAML (Debian python3-yaml). SPDX-License-Identifier: MIT
"""
import base64
import json
import os
import re
import sys
import tomllib

import yaml

WORKLOAD_KINDS = {"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "Pod"}
AGENT_CONTAINER = "vitals"
DEFAULT_CONFIG = "/etc/vitals/agent.toml"
DEFAULT_LISTEN = "127.0.0.1:9188"

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(duration):
    """Vitals durations: 500ms, 10s, 5m, 1h30m, 1d."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", duration)
    if not parts or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"not a duration: {duration!r}")
    return sum(float(n) * UNITS[u] for n, u in parts)


def quantity(text):
    """Kubernetes quantities: 64Mi, 1G, 10m (milli), 0.5."""
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "K": 1e3,
                "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3, "": 1}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T|m|)", str(text))
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    return float(match.group(1)) * suffixes[match.group(2)]


def listen_port(listen):
    match = re.fullmatch(r"(\[[^\]]+\]|[^:]+):(\d+)", listen)
    if not match:
        raise ValueError(f"listen {listen!r} is not HOST:PORT")
    return match.group(1), int(match.group(2))


def documents(files):
    for file in files:
        with open(file, encoding="utf-8") as stream:
            for doc in yaml.safe_load_all(stream):
                if doc:
                    yield file, doc


def pod_spec(doc):
    if doc["kind"] == "Pod":
        return doc.get("metadata", {}), doc["spec"]
    if doc["kind"] == "Job":
        return doc["spec"]["template"].get("metadata", {}), doc["spec"]["template"]["spec"]
    template = doc["spec"]["template"]
    return template.get("metadata", {}), template["spec"]


def option(args, name):
    """--name VALUE or --name=VALUE in a container's args."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


def describe(files):
    problems = []
    config_maps = {}
    secrets = {}
    workloads = []
    for file, doc in documents(files):
        kind = doc.get("kind")
        meta = doc.get("metadata", {})
        if kind == "ConfigMap":
            config_maps[(meta.get("namespace"), meta["name"])] = doc.get("data", {})
        elif kind == "Secret":
            data = {k: base64.b64decode(v).decode() for k, v in doc.get("data", {}).items()}
            data.update(doc.get("stringData", {}))
            secrets[(meta.get("namespace"), meta["name"])] = data
        elif kind in WORKLOAD_KINDS:
            workloads.append((file, doc))

    described = []
    for file, doc in workloads:
        meta = doc["metadata"]
        where = f"{os.path.basename(file)}: {doc['kind']}/{meta['name']}"
        namespace = meta.get("namespace")
        template_meta, spec = pod_spec(doc)
        if doc["kind"] != "Pod":
            wanted = doc["spec"].get("selector", {}).get("matchLabels", {})
            labels = template_meta.get("labels", {})
            if not wanted or any(labels.get(k) != v for k, v in wanted.items()):
                problems.append(f"{where}: selector {wanted} does not match the pod labels {labels}")

        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        containers = []
        agent = None
        pod_ports = {}
        for container in spec.get("containers", []):
            ports = {}
            for port in container.get("ports", []):
                pod_ports[port["containerPort"]] = container["name"]
                if "name" in port:
                    ports[port["name"]] = port["containerPort"]
            probes = []
            for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(kind)
                if probe is None:
                    continue
                http = probe.get("httpGet")
                if http is None:
                    problems.append(f"{where}: {container['name']}.{kind} is not an httpGet probe")
                    continue
                port = http.get("port")
                if isinstance(port, str) and not port.isdigit():
                    # A named port is looked up in the probed container's own ports.
                    if port not in ports:
                        problems.append(f"{where}: {container['name']}.{kind} names port "
                                        f"{port!r}, which container {container['name']} does not declare")
                        continue
                    port = ports[port]
                if http.get("host"):
                    problems.append(f"{where}: {container['name']}.{kind} sets host: the kubelet "
                                    "must probe the pod's own address")
                probes.append({"kind": kind, "path": http.get("path", "/"), "port": int(port),
                               "scheme": http.get("scheme", "HTTP")})
            entry = {"name": container["name"], "args": container.get("args", []),
                     "ports": ports, "probes": probes}
            containers.append(entry)
            if container["name"] == AGENT_CONTAINER:
                agent = (container, entry)
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in volumes:
                    problems.append(f"{where}: {container['name']} mounts undefined volume {mount['name']!r}")

        if agent is None:
            problems.append(f"{where}: no container named {AGENT_CONTAINER!r}")
            continue
        container, entry = agent
        args = container.get("args", [])
        config_file = option(args, "--config") or DEFAULT_CONFIG

        # The ConfigMap files as the agent sees them under the mount holding agent.toml.
        files_seen, mount_path = {}, None
        for mount in container.get("volumeMounts", []):
            prefix = mount["mountPath"].rstrip("/") + "/"
            if not config_file.startswith(prefix) or mount["name"] not in volumes:
                continue
            source = volumes[mount["name"]].get("configMap")
            if source is None:
                problems.append(f"{where}: {config_file} is not on a ConfigMap volume")
                break
            data = config_maps.get((namespace, source["name"]))
            if data is None:
                problems.append(f"{where}: ConfigMap {source['name']!r} is not in the manifest "
                                f"(namespace {namespace})")
                break
            mount_path = mount["mountPath"].rstrip("/")
            items = source.get("items")
            if items is None:
                files_seen = dict(data)
            else:
                for item in items:
                    if item["key"] not in data:
                        problems.append(f"{where}: volume item key {item['key']!r} is not in "
                                        f"ConfigMap {source['name']!r}")
                    else:
                        files_seen[item["path"]] = data[item["key"]]
                mapped = {item["key"] for item in items}
                for key in data:
                    if key not in mapped:
                        problems.append(f"{where}: ConfigMap {source['name']!r} key {key!r} is "
                                        "mapped by no volume item, so the agent never sees it")
            break
        # Secret volumes: their files as the agent sees them, with the mode the kubelet
        # gives them (defaultMode, 0644 unless set), which the agent requires not to be
        # readable or writable by every user.
        secret_files = []
        for mount in container.get("volumeMounts", []):
            source = volumes.get(mount["name"], {}).get("secret")
            if source is None:
                continue
            data = secrets.get((namespace, source["secretName"]))
            if data is None:
                problems.append(f"{where}: Secret {source['secretName']!r} is not in the manifest")
                continue
            default_mode = source.get("defaultMode", 0o644)
            items = source.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                mode = item.get("mode", default_mode)
                path = mount["mountPath"].rstrip("/") + "/" + item["path"]
                if mode & 0o006:
                    problems.append(f"{where}: secret file {path} has mode {mode:04o}, which "
                                    "every user may read: the agent refuses it")
                secret_files.append({"path": path, "text": data[item["key"]], "mode": mode})
        relative_config = os.path.relpath(config_file, mount_path) if mount_path else None
        if relative_config not in files_seen:
            problems.append(f"{where}: {config_file} comes from no ConfigMap in the manifest")
            continue

        settings = tomllib.loads(files_seen[relative_config])
        listen = option(args, "--listen") or settings.get("listen", DEFAULT_LISTEN)
        host, port = listen_port(listen)
        if host not in ("0.0.0.0", "[::]", "::"):
            problems.append(f"{where}: the agent listens on {listen}; the kubelet probes the pod's "
                            "IP, so listen on 0.0.0.0 or [::]")
        if entry["ports"].get(AGENT_CONTAINER) != port:
            problems.append(f"{where}: the agent container's port named {AGENT_CONTAINER!r} is "
                            f"{entry['ports'].get(AGENT_CONTAINER)}, the agent listens on {port}")
        conf_d = settings.get("conf_d", "conf.d")
        conf_d = os.path.normpath(os.path.join(os.path.dirname(config_file), conf_d))
        conf_d_files = sorted(p for p in files_seen
                              if os.path.dirname(os.path.join(mount_path, p)) == conf_d
                              and p.endswith(".toml"))
        if not conf_d_files:
            problems.append(f"{where}: no *.toml file lands in conf_d {conf_d}")

        # The root file system is read-only: a state_dir must be on a writable volume, or
        # the agent keeps nothing across restarts and warns every 30 s. None set means
        # the image's default, /var/lib/vitals.
        state_dir = settings.get("state_dir", "/var/lib/vitals")
        read_only_root = container.get("securityContext", {}).get("readOnlyRootFilesystem")
        if state_dir and read_only_root:
            writable = [m for m in container.get("volumeMounts", [])
                        if not m.get("readOnly")
                        and (state_dir + "/").startswith(m["mountPath"].rstrip("/") + "/")]
            if not writable:
                problems.append(f"{where}: state_dir {state_dir} is on no writable volume "
                                "(readOnlyRootFilesystem): set one, or state_dir = \"\"")

        # Every probe in the pod asks the agent (these manifests use no other probe).
        for c in containers:
            for probe in c["probes"]:
                if probe["port"] != port:
                    problems.append(f"{where}: {c['name']}.{probe['kind']} probes port "
                                    f"{probe['port']}, the agent listens on {port}")
                if probe["scheme"] != "HTTP":
                    problems.append(f"{where}: {c['name']}.{probe['kind']} uses {probe['scheme']}; "
                                    "the agent serves plain HTTP")

        # Grace period: the drain (shutdown_delay) and the slowest run must fit.
        longest_timeout = 0.0
        for p in conf_d_files:
            for name, check in tomllib.loads(files_seen[p]).get("check", {}).items():
                interval = seconds(check.get("interval", "30s"))
                timeout = seconds(check["timeout"]) if "timeout" in check else min(10.0, interval)
                longest_timeout = max(longest_timeout, timeout)
        delay = seconds(settings.get("shutdown_delay", "0s"))
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if grace <= delay + longest_timeout:
            problems.append(f"{where}: terminationGracePeriodSeconds {grace} does not cover "
                            f"shutdown_delay {delay}s plus the longest check timeout {longest_timeout}s")

        resources = container.get("resources", {})
        requests, limits = resources.get("requests", {}), resources.get("limits", {})
        for needed, table in (("cpu", requests), ("memory", requests), ("memory", limits)):
            if needed not in table:
                problems.append(f"{where}: the agent container sets no {needed} "
                                f"{'request' if table is requests else 'limit'}")
        if "memory" in requests and "memory" in limits and \
                quantity(requests["memory"]) > quantity(limits["memory"]):
            problems.append(f"{where}: memory request above the limit")

        described.append({
            "file": file, "kind": doc["kind"], "name": meta["name"], "where": where,
            "containers": containers,
            "app_ports": sorted(p for p, owner in pod_ports.items() if owner != AGENT_CONTAINER),
            "agent": {
                "args": args, "config_file": config_file, "mount_path": mount_path,
                "files": files_seen, "conf_d_files": conf_d_files, "listen_port": port,
                "secret_files": secret_files,
                "shutdown_delay_seconds": delay,
                "memory_request_bytes": quantity(requests.get("memory", "0")),
                "memory_limit_bytes": quantity(limits.get("memory", "0")),
                "cpu_request_cores": quantity(requests.get("cpu", "0")),
            },
        })
    return {"workloads": described, "problems": problems}


def prometheus_config(config_file, out_file, manifests):
    with open(config_file, encoding="utf-8") as stream:
        config = yaml.safe_load(stream)
    port_names = {AGENT_CONTAINER}
    for _, doc in documents(manifests):
        if doc.get("kind") in WORKLOAD_KINDS:
            for container in pod_spec(doc)[1].get("containers", []):
                if container["name"] == AGENT_CONTAINER:
                    port_names |= {p["name"] for p in container.get("ports", []) if "name" in p}
    problems = []
    for job in config.get("scrape_configs", []):
        if "kubernetes_sd_configs" not in job:
            continue
        keeps = [r for r in job.get("relabel_configs", [])
                 if r.get("action") == "keep"
                 and r.get("source_labels") == ["__meta_kubernetes_pod_container_port_name"]]
        if not keeps:
            problems.append(f"job {job['job_name']}: no keep on the container port name")
        for rule in keeps:
            for name in port_names:
                if not re.fullmatch(rule.get("regex", "(.*)"), name):
                    problems.append(f"job {job['job_name']}: keep regex {rule.get('regex')!r} "
                                    f"drops the agent port {name!r}")
        del job["kubernetes_sd_configs"]
        job["static_configs"] = [{"targets": ["127.0.0.1:9188"]}]
    base = os.path.dirname(os.path.abspath(config_file))
    config["rule_files"] = [os.path.join(base, f) for f in config.get("rule_files", [])]
    with open(out_file, "w", encoding="utf-8") as stream:
        yaml.safe_dump(config, stream)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "describe":
        json.dump(describe(argv[1:]), sys.stdout, indent=1)
        return 0
    if len(argv) >= 3 and argv[0] == "prometheus-config":
        return prometheus_config(argv[1], argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
