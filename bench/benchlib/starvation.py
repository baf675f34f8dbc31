"""Scenario 7: a quick probe check's schedule while 300 http checks hang (issue 15).

A "black hole" on loopback accepts every connection and never answers, so each http
check holds its run until the plugin gives up just short of its 3 s timeout. The
quick check (uptime, every second, in the live group) must keep its schedule; the
agent's threads must stay within their documented bound.
"""
import contextlib
import datetime
import json
import socket
import threading
import time
import urllib.error
import urllib.request

from . import load, procs

HUNG_CHECKS = 300
QUICK_INTERVAL_S = 1.0


class BlackHole:
    """A TCP listener on 127.0.0.1 that accepts and holds every connection, silent."""

    def __init__(self, port):
        self.listener = socket.create_server(("127.0.0.1", port), backlog=1024)
        self.held = []
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.listener.settimeout(0.2)
        while not self.stopping:
            with contextlib.suppress(socket.timeout, OSError):
                connection, _ = self.listener.accept()
                self.held.append(connection)
                # The agent closes its end at the plugin's deadline: drop those.
                self.held = [c for c in self.held if not _closed(c)]

    def close(self):
        self.stopping = True
        self.thread.join()
        for connection in self.held:
            connection.close()
        self.listener.close()


def _closed(connection):
    try:
        return connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def conf_files(hole_port):
    quick = (f'[check.quick]\nplugin = "uptime"\ninterval = "{QUICK_INTERVAL_S:g}s"\n'
             'groups = ["live"]\n')
    hung = "\n".join(
        f'[check.hung_{i:03d}]\nplugin = "http"\ninterval = "5s"\ntimeout = "3s"\n'
        f'params = {{ url = "http://127.0.0.1:{hole_port}/" }}\n' for i in range(HUNG_CHECKS))
    return {"quick.toml": quick, "hung.toml": hung}


def thread_count(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def _parse(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def quick_starts(port):
    """The quick check's recent run start times (Unix seconds), oldest first."""
    url = f"http://127.0.0.1:{port}/health/checks/quick?history"
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            body = json.loads(reply.read())
    except urllib.error.HTTPError as error:  # 503 while it is pending or stale: same body
        body = json.loads(error.read())
    return sorted(_parse(entry["time"]) for entry in body.get("history", []))


def cadence_lags(starts):
    """How late each run started against the check's steady cadence (a run is due one
    interval after the one before was due), the most punctual run taken as on time. A
    gap of more than an interval (a run skipped, the cadence reset) counts in full."""
    lags, phase = [], None
    for before, start in zip([None] + starts, starts):
        if before is not None and start - before >= 2 * QUICK_INTERVAL_S:
            lags.append(start - before - QUICK_INTERVAL_S)
            phase = None
            continue
        offset = start % QUICK_INTERVAL_S
        phase = offset if phase is None else phase
        # Signed, so a run earlier in the interval than the first one is not a wrap.
        half = QUICK_INTERVAL_S / 2
        lags.append((offset - phase + half) % QUICK_INTERVAL_S - half)
    punctual = min(lags, default=0.0)
    return [lag - punctual for lag in lags]


def measure(service, window, since):
    """Samples threads and /health/live for `window` s, then reads the quick check's runs."""
    threads, live_failures, samples = [], 0, 0
    end = time.monotonic() + window
    while time.monotonic() < end:
        threads.append(thread_count(service.pid))
        samples += 1
        if procs.http_answers(service.port, "/health/live") != 200:
            live_failures += 1
        time.sleep(0.5)
    starts = [t for t in quick_starts(service.port) if t >= since]
    lags = [lag * 1e3 for lag in cadence_lags(starts)]
    expected = window / QUICK_INTERVAL_S
    return {
        "quick_runs": len(starts),
        "quick_runs_expected": expected,
        "lag_p50_ms": load.percentile(lags, 50) if lags else None,
        "lag_p99_ms": load.percentile(lags, 99) if lags else None,
        "lag_max_ms": max(lags) if lags else None,
        "threads_max": max(threads) if threads else None,
        "live_non_200_share": live_failures / samples if samples else None,
    }
