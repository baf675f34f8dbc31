"""Load generators: wrk for throughput, a crowd of idle keep-alive
connections, and a fresh-connection prober."""
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = os.path.join(HERE, "wrk_report.lua")


def wrk(port, path, connections, seconds, threads=2, timeout="2s"):
    """One wrk run: req/s and latency percentiles in ms (wrk's own histogram)."""
    threads = min(threads, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}",
         "-s", WRK_SCRIPT, f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH "))
    raw = json.loads(line[len("BENCH "):])
    seconds_run = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds_run,
        "p50_ms": raw["p50_us"] / 1e3,
        "p99_ms": raw["p99_us"] / 1e3,
        "p999_ms": raw["p999_us"] / 1e3,
        "max_ms": raw["max_us"] / 1e3,
        "errors": raw["socket_errors"] + raw["timeouts"],
        "non2xx": raw["non2xx"],
        "requests": raw["requests"],
    }


def median_of(runs):
    """Field-wise median of several wrk results (counts are summed)."""
    merged = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        merged[key] = sum(values) if key in ("errors", "non2xx", "requests") \
            else statistics.median(values)
    merged["runs"] = len(runs)
    return merged


def start_wrk_background(port, path, connections, seconds):
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}{path}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_crowd(port, path, connections, seconds, addresses=1):
    """A separate process holding `connections` idle keep-alive connections, from
    127.0.0.1, or spread over `addresses` source addresses from 127.0.0.2 on."""
    first = "127.0.0.1" if addresses == 1 else "127.0.0.2"
    return subprocess.Popen(
        [sys.executable, os.path.join(HERE, "crowd.py"), str(port), path, str(connections),
         str(seconds), first, str(addresses)],
        stdout=subprocess.PIPE, text=True)


def read_response(sock, deadline):
    """Reads one HTTP/1.1 response (Content-Length or until close); returns the status."""
    data = b""
    while b"\r\n\r\n" not in data:
        sock.settimeout(max(deadline - time.perf_counter(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the headers")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(None, 2)[1])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while length is None or len(body) < length:
        sock.settimeout(max(deadline - time.perf_counter(), 0.001))
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status


def probe_fresh(port, path, count, pause=0.01, timeout=5.0):
    """`count` requests, each on a new connection: latencies in ms (None: failed)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                s.sendall(request)
                read_response(s, began + timeout)
            latencies.append((time.perf_counter() - began) * 1e3)
        except (OSError, ValueError, IndexError):
            latencies.append(None)
        time.sleep(pause)
    return latencies


def probe_keepalive(port, path, seconds, timeout=5.0):
    """Sequential requests on one keep-alive connection for `seconds`, as a probe that
    reuses its connection would send them: (requests per second, latencies in ms).

    Timed here, request by request, because wrk 4.1's own latency figures for one
    connection cannot be right: their mean times the request count exceeds the run's
    duration (seen against nginx too), so its percentiles are not those requests'."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    latencies = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        started = time.perf_counter()
        end = started + seconds
        while time.perf_counter() < end:
            began = time.perf_counter()
            s.sendall(request)
            read_response(s, began + timeout)
            latencies.append((time.perf_counter() - began) * 1e3)
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


def percentile(values, q):
    """Nearest-rank percentile of a list of numbers."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summarize_probes(latencies):
    ok = [l for l in latencies if l is not None]
    return {
        "probes": len(latencies),
        "failed": len(latencies) - len(ok),
        "p50_ms": percentile(ok, 50),
        "p99_ms": percentile(ok, 99) if len(ok) == len(latencies) else float("inf"),
        "max_ms": max(ok) if ok and len(ok) == len(latencies) else float("inf"),
    }


def start_wakeup_reference(seconds):
    """cyclictest as an ordinary (SCHED_OTHER) thread waking every 10 ms: how late
    this machine wakes any sleeper right now, the floor under a scheduler's lag."""
    return subprocess.Popen(
        ["cyclictest", "-q", "--laptop", "--policy=other", "-p", "0", "-i", "10000",
         "-h", "200000", "-D", f"{int(seconds)}s"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def wakeup_reference(process):
    """Latency percentiles in ms from cyclictest's histogram (one line per µs)."""
    out = process.communicate()[0]
    counts = []
    maximum = None
    for line in out.splitlines():
        if line.startswith("# Max Latencies:"):
            maximum = int(line.split(":")[1]) / 1e3
        elif line and not line.startswith("#"):
            microseconds, count = line.split()[:2]
            counts.append((int(microseconds), int(count)))
    total = sum(c for _, c in counts)
    if not total:
        return {"p50_ms": None, "p99_ms": None, "max_ms": maximum}

    def quantile(q):
        seen = 0
        for microseconds, count in counts:
            seen += count
            if seen >= q * total:
                return microseconds / 1e3
        return maximum

    return {"p50_ms": quantile(0.5), "p99_ms": quantile(0.99), "max_ms": maximum}
