"""The servers Vitals is compared with, started from bench/peers/ on loopback."""
import os
import shutil

from .procs import Service

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(BENCH, "peers")
PYTHON = "/usr/bin/python3"  # Debian's, where python3-flask and friends live


def render(template, destination, **values):
    with open(os.path.join(PEERS, template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    with open(destination, "w") as f:
        f.write(text)
    return destination


def nginx(port, work):
    conf = render("nginx.conf", os.path.join(work, "nginx.conf"), PORT=port, DIR=work)
    return Service("nginx", ["/usr/sbin/nginx", "-c", conf, "-p", work], port, "/",
                   log_dir=work)


def collectd(port, work):
    d = os.path.join(work, "collectd")
    os.makedirs(d, exist_ok=True)
    conf = render("collectd.conf", os.path.join(d, "collectd.conf"), PORT=port, DIR=d)
    return Service("collectd", ["/usr/sbin/collectd", "-f", "-C", conf], port, "/metrics",
                   log_dir=work)


def monit(port, work, target_port):
    d = os.path.join(work, "monit")
    os.makedirs(d, exist_ok=True)
    conf = render("monitrc", os.path.join(d, "monitrc"), PORT=port, DIR=d,
                  TARGET_PORT=target_port)
    os.chmod(conf, 0o600)
    return Service("monit", ["/usr/bin/monit", "-I", "-c", conf], port, "/", log_dir=work)


def python_env(target_port, slow_port=None):
    env = {"PYTHONPATH": PEERS, "BENCH_TARGET_PORT": str(target_port), "PYTHONDONTWRITEBYTECODE": "1"}
    if slow_port:
        env["BENCH_SLOW_PORT"] = str(slow_port)
    return env


def fastapi(port, work, target_port, slow_port=None, name="fastapi"):
    return Service(name, [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
                          "--log-level", "warning", "--no-access-log", "fastapi_app:app"],
                   port, "/live", env=python_env(target_port, slow_port), cwd=PEERS,
                   log_dir=work)


def flask(port, work, target_port, slow_port=None, name="flask"):
    return Service(name, [PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
                          "2", "--log-level", "warning", "flask_app:app"],
                   port, "/live", env=python_env(target_port, slow_port), cwd=PEERS,
                   log_dir=work)


def node_exporter(port, work):
    binary = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"
    return Service("node_exporter", [binary, f"--web.listen-address=127.0.0.1:{port}",
                                     "--log.level=warn"], port, "/metrics", log_dir=work)


def slow_dependency(port, work, delay=2.0):
    return Service("slow_dependency", [PYTHON, os.path.join(PEERS, "slow_dependency.py"),
                                       str(port), str(delay)], port, None, log_dir=work)
