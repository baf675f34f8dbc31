"""The 20 checks the Python peers run on every /health request.

The same work as bench's Vitals /health configuration (disk, memory, load,
uptime, tcp, http, file age, process), written the way hand-made endpoints
do it (see shared/seeds/001_*.txt): each check returns (ok, message), the
handler runs them all and answers {"status": "UP"/"DOWN", "timestamp",
"components": {...}} with 200 or 503. Standard library only.
"""
import http.client
import os
import socket
import time

# Set by the app from the environment: what the tcp/http checks probe.
TARGET_PORT = int(os.environ.get("BENCH_TARGET_PORT", "0"))
SLOW_PORT = int(os.environ.get("BENCH_SLOW_PORT", "0"))


def disk(path, warning=85.0):
    def check():
        st = os.statvfs(path)
        used = 100.0 * (1 - st.f_bavail / st.f_blocks) if st.f_blocks else 0.0
        return used < warning, f"{path} {used:.1f}% used"
    return check


def memory():
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0])
    available = 100.0 * fields["MemAvailable"] / fields["MemTotal"]
    return available > 10, f"{available:.1f}% available"


def load():
    load1, load5, load15 = os.getloadavg()
    per_cpu = load5 / (os.cpu_count() or 1)
    return per_cpu < 8, f"load5 per cpu {per_cpu:.2f}"  # Vitals: load5_error = 8


def uptime():
    with open("/proc/uptime") as f:
        seconds = float(f.read().split()[0])
    return True, f"up {seconds:.0f} s"


def tcp(port, timeout=1.0):
    def check():
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True, f"127.0.0.1:{port} accepts connections"
    return check


def http_get(port, path="/", timeout=3.0):
    def check():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", path)
            status = conn.getresponse().status
        finally:
            conn.close()
        return status == 200, f"GET :{port}{path} answered {status}"
    return check


def file_age(path, max_age):
    def check():
        age = time.time() - os.stat(path).st_mtime
        return age < max_age, f"{path} is {age:.0f} s old"
    return check


def process(name):
    def check():
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == name:
                        return True, f"{name} runs (pid {pid})"
            except OSError:
                continue
        return False, f"no {name} process"
    return check


def checks():
    """name -> callable; mirrors vitals_checks() in bench/bench.py."""
    found = {
        "disk_root": disk("/"),
        "disk_tmp": disk("/tmp"),
        "disk_var": disk("/var"),
        "disk_usr": disk("/usr"),
        "memory": memory,
        "load": load,
        "uptime": uptime,
        "file_age_passwd": file_age("/etc/passwd", 10 * 365 * 86400),
        "file_age_hostname": file_age("/etc/hostname", 10 * 365 * 86400),
        "file_age_os_release": file_age("/etc/os-release", 10 * 365 * 86400),
        "process_nginx": process("nginx"),
        "process_init": process(open("/proc/1/comm").read().strip()),
    }
    for i in range(1, 8):
        found[f"tcp_{i}"] = tcp(TARGET_PORT)
    found["http_target"] = http_get(TARGET_PORT)
    if SLOW_PORT:
        # Scenario 3: one dependency that answers in 2 s.
        found["slow_dependency"] = http_get(SLOW_PORT, timeout=5.0)
    return found


def run_all(named):
    components = {}
    healthy = True
    for name, check in named.items():
        try:
            ok, message = check()
        except Exception as error:  # a failing dependency is a DOWN component, not a 500
            ok, message = False, f"{type(error).__name__}: {error}"
        healthy = healthy and ok
        components[name] = {"status": "UP" if ok else "DOWN", "message": message}
    body = {
        "status": "UP" if healthy else "DOWN",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "components": components,
    }
    return body, 200 if healthy else 503
