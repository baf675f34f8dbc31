"""Vitals' side of the bench: agent.toml and conf.d generation, /metrics parsing."""
import os
import re
import urllib.request


STATE_DIR_KEY = re.compile(r"^\s*state_dir\s*=", re.MULTILINE)
OWN_STATE_DIR = "state"  # beside agent.toml: a relative state_dir is relative to it


def agent_toml(directory, port, plugin_dirs, conf_d, extra="", own_state=True):
    """An agent.toml in `directory`. Each agent keeps its state in its own `state/` there
    (relative to agent.toml), unless `extra` sets state_dir: left to the build's default
    `<build>/state`, agents would share one directory, and its lock admits one of them.
    own_state=False writes no state_dir, for a build older than the key (it would refuse it)."""
    os.makedirs(directory, exist_ok=True)
    dirs = ", ".join(f'"{d}"' for d in plugin_dirs)
    own = own_state and not STATE_DIR_KEY.search(extra)
    state = f'state_dir = "{OWN_STATE_DIR}"\n' if own else ""
    path = os.path.join(directory, "agent.toml")
    with open(path, "w") as f:
        f.write(f'listen = "127.0.0.1:{port}"\nplugin_dirs = [{dirs}]\nconf_d = "{conf_d}"\n'
                f'log_level = "warning"\n{state}{extra}')
    return path


def knows_state_dir(vitalsd):
    """Whether a vitalsd binary reads agent.toml's state_dir (issue 18 on): the key's name
    is among its strings. A --before-build may predate it."""
    with open(vitalsd, "rb") as f:
        return b"state_dir" in f.read()


def twenty_checks(target_port, slow_port=None):
    """The checks the Python peers run per request (bench/peers/health_checks.py), as conf.d."""
    init = open("/proc/1/comm").read().strip()
    checks = []

    def add(name, plugin, params, groups='["ready"]', timeout="5s"):
        checks.append(f'[check.{name}]\nplugin = "{plugin}"\ninterval = "10s"\n'
                      f'timeout = "{timeout}"\ngroups = {groups}\nparams = {{ {params} }}\n')

    for name, path in (("disk_root", "/"), ("disk_tmp", "/tmp"), ("disk_var", "/var"),
                       ("disk_usr", "/usr")):
        add(name, "disk", f'path = "{path}", warning = 85, error = 95')
    add("memory", "memory", "available_warning = 10, available_error = 5",
        groups='["live", "ready"]')
    add("load", "load", "per_cpu = true, load5_warning = 4, load5_error = 8",
        groups='["live", "ready"]')
    add("uptime", "uptime", "")
    for name, path in (("file_age_passwd", "/etc/passwd"), ("file_age_hostname", "/etc/hostname"),
                       ("file_age_os_release", "/etc/os-release")):
        add(name, "file_age", f'path = "{path}", warning_age = "3650d", error_age = "3651d"')
    add("process_nginx", "process", 'name = "nginx"')
    add("process_init", "process", f'name = "{init}"')
    for i in range(1, 8):
        add(f"tcp_{i}", "tcp", f'host = "127.0.0.1", port = {target_port}')
    add("http_target", "http", f'url = "http://127.0.0.1:{target_port}/"')
    if slow_port:
        add("slow_dependency", "http", f'url = "http://127.0.0.1:{slow_port}/"')
    return "\n".join(checks)


def many_checks(count, plugin, params="", interval="10s"):
    """`count` identical checks; the exec ones run Nagios' check_dummy."""
    lines = []
    for i in range(count):
        lines.append(f'[check.{plugin}_{i:05d}]\nplugin = "{plugin}"\ninterval = "{interval}"\n'
                     + (f"params = {{ {params} }}\n" if params else ""))
    return "\n".join(lines)


def write_conf_d(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)
    return directory


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(port):
    """The agent's own (unlabelled or le-labelled) scheduler, state and process samples
    from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as reply:
        text = reply.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line.startswith(("vitals_schedule_", "vitals_state_", "process_")):
            continue
        match = SAMPLE.match(line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return samples


def lag_buckets(samples):
    """[(upper bound in seconds, cumulative count)] from a scrape, +Inf last."""
    found = []
    for key, value in samples.items():
        m = re.match(r'vitals_schedule_lag_seconds_bucket\{le="([^"]+)"\}', key)
        if m:
            found.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), value))
    return sorted(found)


def lag_quantile(before, after, q):
    """histogram_quantile(q) over the runs between two scrapes, in seconds (as Prometheus
    computes it: linear within a bucket; the last finite bound if it falls in +Inf)."""
    start = dict(lag_buckets(before))
    buckets = [(bound, count - start.get(bound, 0)) for bound, count in lag_buckets(after)]
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower_bound
            if count == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (count - lower_count)
        lower_bound, lower_count = bound, count
    return lower_bound


def runs_between(before, after):
    return after["vitals_schedule_lag_seconds_count"] - before["vitals_schedule_lag_seconds_count"]
