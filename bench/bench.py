#!/usr/bin/python3
"""Vitals against the peers operators use instead, side by side in one run.

Run through bench/run.sh, which installs the peers and builds Vitals in release
mode first. Every server listens on 127.0.0.1 only, on ports from --port-base
(below 32768), and is stopped by its PID. Prints markdown tables; absolute
figures plus ratios to the peers measured in this same run. See bench/README.md.
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from benchlib import load, peers, procs, report, starvation, vitals

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
NAGIOS = "/usr/lib/nagios/plugins"
SCENARIOS = {
    1: "probe throughput and latency",
    2: "probe under crowding",
    3: "decoupling from a slow dependency",
    4: "scheduler scale",
    5: "exec cost",
    6: "footprint",
    7: "a quick check while 300 hang",
    8: "state store cost",
}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                        help="where run.sh built Vitals (default: build-bench/ in the repo)")
    parser.add_argument("--port-base", type=int, default=23000,
                        help="first of 20 loopback ports to use (default 23000; below 32768)")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6,7,8",
                        help="comma-separated scenario numbers: " +
                        ", ".join(f"{k} {v}" for k, v in SCENARIOS.items()))
    parser.add_argument("--quick", action="store_true",
                        help="short windows and one repeat: a smoke run, not for the README")
    parser.add_argument("--repeat", type=int, help="wrk runs per row, median kept (default 3)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 5)")
    parser.add_argument("--window", type=int,
                        help="seconds measured in scenarios 4-6 and 8 (default 60)")
    parser.add_argument("--scale", default="1000,10000",
                        help="check counts for scenario 4 (default 1000,10000)")
    parser.add_argument("--before-build",
                        help="scenario 7 also runs this build's vitalsd, as the 'before' row "
                        "(e.g. a build of the previous release)")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--update-readme", action="store_true",
                        help="put the tables into bench/README.md between its markers")
    args = parser.parse_args(argv)
    args.scenarios = sorted({int(s) for s in args.scenarios.split(",") if s.strip()})
    unknown = [s for s in args.scenarios if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}")
    if not 1024 <= args.port_base <= 32768 - 20:
        parser.error("--port-base must leave 20 ports below 32768")
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.duration = args.duration or (2 if args.quick else 5)
    args.window = args.window or (10 if args.quick else 60)
    args.scale = [int(n) for n in args.scale.split(",") if n.strip()]
    args.build_dir = os.path.abspath(args.build_dir)
    if args.before_build:
        args.before_build = os.path.abspath(args.before_build)
    if args.quick:
        args.scale = [min(n, 1000) for n in args.scale]
    return args


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="vitals-bench-")
        self.running = []
        self.results = {"started": datetime.datetime.now().isoformat(timespec="seconds")}
        self.vitalsd = os.path.join(args.build_dir, "agent", "vitalsd")
        self.plugin_dirs = [os.path.join(args.build_dir, "plugins"),
                            os.path.join(args.build_dir, "bench_plugins")]
        for needed in [self.vitalsd, os.path.join(self.plugin_dirs[1], "noop.so")]:
            if not os.path.exists(needed):
                sys.exit(f"{needed} is missing: build with bench/run.sh (or -DVITALS_BUILD_BENCH=ON)")

    def port(self, offset):
        return self.args.port_base + offset

    # ------------------------------------------------------------ services

    def start(self, service):
        service.start()
        self.running.append(service)
        exposed = [(a, p) for a, p in procs.listening_addresses(procs.tree(service.pid))
                   if a not in ("127.0.0.1", "::1")]
        if exposed:
            self.stop(service)
            raise RuntimeError(f"{service.name} listens beyond loopback: {exposed}")
        log(f"  {service.name} up on 127.0.0.1:{service.port} (pid {service.pid}, "
            f"{service.startup_seconds * 1e3:.0f} ms)")
        return service

    def stop(self, service):
        service.stop()
        if service in self.running:
            self.running.remove(service)

    def stop_all(self):
        for service in reversed(list(self.running)):
            self.stop(service)

    def vitals_service(self, name, port, conf_files, extra=""):
        directory = os.path.join(self.work, name)
        conf_d = vitals.write_conf_d(os.path.join(directory, "conf.d"), conf_files)
        config = vitals.agent_toml(directory, port, self.plugin_dirs, conf_d, extra)
        return procs.Service(name, [self.vitalsd, "--config", config], port, "/health/live",
                             log_dir=self.work)

    def default_vitals(self):
        """vitalsd with the repo's own conf.d, as shipped."""
        config = vitals.agent_toml(os.path.join(self.work, "vitals_default"), self.port(11),
                                   self.plugin_dirs[:1], os.path.join(REPO, "conf.d"))
        return procs.Service("vitals_default", [self.vitalsd, "--config", config],
                             self.port(11), "/health/live", log_dir=self.work)

    def peers(self, slow_port=None, suffix="", offset=0):
        target = self.port(0)
        return {
            "fastapi": peers.fastapi(self.port(3 + offset), self.work, target, slow_port,
                                     "fastapi" + suffix),
            "flask": peers.flask(self.port(4 + offset), self.work, target, slow_port,
                                 "flask" + suffix),
        }

    # ------------------------------------------------------------ scenarios

    def start_peers(self):
        log("starting the peers")
        self.nginx = self.start(peers.nginx(self.port(0), self.work))
        self.collectd = self.start(peers.collectd(self.port(1), self.work))
        self.monit = self.start(peers.monit(self.port(2), self.work, self.port(0)))
        python_peers = self.peers()
        self.fastapi = self.start(python_peers["fastapi"])
        self.flask = self.start(python_peers["flask"])
        self.node = self.start(peers.node_exporter(self.port(5), self.work))
        self.agent = self.start(self.vitals_service(
            "vitals", self.port(10), {"bench.toml": vitals.twenty_checks(self.port(0))}))
        wait_healthy(self.agent.port, "/health")
        for path in ("/health/live", "/metrics"):
            status = procs.http_answers(self.agent.port, path)
            if status != 200:
                # Measuring error pages would make every Vitals row meaningless.
                raise RuntimeError(f"Vitals answers {status} to GET {path}; not measuring a "
                                   "broken build")
        self.results["startup_ms"] = {s.name: s.startup_seconds * 1e3 for s in self.running}

    def run(self):
        a = self.args
        log(f"work directory {self.work}")
        self.results["machine"] = machine()
        # The scale, exec and starvation scenarios start agents of their own.
        if any(s in a.scenarios for s in (1, 2, 3, 6)):
            self.start_peers()
        if 6 in a.scenarios:
            self.footprint()
        if 1 in a.scenarios:
            self.throughput()
        if 2 in a.scenarios:
            self.crowding()
        if 3 in a.scenarios:
            self.decoupling()
        self.stop_all()  # the scale scenarios want the machine to themselves
        if 4 in a.scenarios:
            self.scale()
        if 5 in a.scenarios:
            self.exec_cost()
        if 7 in a.scenarios:
            self.starvation()
        if 8 in a.scenarios:
            self.state_cost()
        self.results["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        self.results["loadavg_end"] = os.getloadavg()

    def footprint(self):
        log(f"scenario 6: footprint (idle {self.args.window} s, everything running)")
        agent = self.default_vitals()
        startups = []
        for _ in range(5):
            self.start(agent)
            startups.append(agent.startup_seconds * 1e3)
            self.stop(agent)
            agent = self.default_vitals()
        self.start(agent)
        idle = [self.nginx, self.collectd, self.monit, self.fastapi, self.flask, self.node, agent]
        time.sleep(5)
        before = {s.name: s.cpu_seconds() for s in idle}
        time.sleep(self.args.window)
        rows = {}
        for s in idle:
            rows[s.name] = {
                "rss_bytes": s.rss_bytes(),
                "main_rss_bytes": procs.rss_bytes(s.pid),
                "private_dirty_bytes": procs.tree_private_dirty_bytes(s.pid),
                "processes": len(procs.tree(s.pid)),
                "cpu_s_per_min": (s.cpu_seconds() - before[s.name]) * 60 / self.args.window,
            }
        for name, r in rows.items():
            log(f"  {name}: private dirty {r['private_dirty_bytes'] / 1e6:.1f} MB, "
                f"RSS {r['rss_bytes'] / 1e6:.1f} MB, {r['processes']} process(es), "
                f"{r['cpu_s_per_min']:.3f} CPU s/min")
        rows["vitals_default"]["startup_ms_runs"] = startups
        rows["vitals_default"]["startup_ms"] = sorted(startups)[len(startups) // 2]
        self.stop(agent)
        self.results["footprint"] = rows

    def throughput(self):
        a = self.args
        targets = [
            ("Vitals", self.agent, "/health/live"),
            ("Vitals", self.agent, "/health"),
            ("Vitals", self.agent, "/metrics"),
            ("nginx return 200", self.nginx, "/"),
            ("collectd write_prometheus", self.collectd, "/metrics"),
            ("monit status page", self.monit, "/"),
            ("FastAPI/uvicorn", self.fastapi, "/live"),
            ("FastAPI/uvicorn", self.fastapi, "/health"),
            ("Flask/gunicorn ×2", self.flask, "/live"),
            ("Flask/gunicorn ×2", self.flask, "/health"),
            ("node-exporter", self.node, "/metrics"),
        ]
        rows = []
        for connections in (16, 256):
            log(f"scenario 1: wrk -c{connections}, {a.repeat} × {a.duration} s per row")
            runs = {i: [] for i in range(len(targets))}
            # Round-robin, so drift on a shared machine hits every row alike.
            for _ in range(a.repeat):
                for i, (_, service, path) in enumerate(targets):
                    runs[i].append(load.wrk(service.port, path, connections, a.duration))
            for i, (label, service, path) in enumerate(targets):
                result = load.median_of(runs[i])
                result.update(label=label, name=service.name, path=path, connections=connections)
                rows.append(result)
                log(f"  {label} {path} c{connections}: {result['rps']:,.0f} req/s, "
                    f"p99 {result['p99_ms']:.2f} ms, errors {result['errors']}, "
                    f"non-2xx {result['non2xx']}")
        self.results["throughput"] = rows

    def crowding(self):
        probes, idle = (60, 500) if self.args.quick else (200, 500)
        log(f"scenario 2: {idle} idle keep-alive connections + wrk -c16, {probes} fresh probes")
        targets = [
            ("Vitals", self.agent, "/health/live", "/health"),
            ("nginx return 200", self.nginx, "/", "/"),
            ("collectd write_prometheus", self.collectd, "/metrics", "/metrics"),
            ("monit status page", self.monit, "/", "/"),
            ("FastAPI/uvicorn", self.fastapi, "/live", "/health"),
            ("Flask/gunicorn ×2", self.flask, "/live", "/health"),
        ]
        # One address holding all 500, then (for Vitals and nginx) 50 addresses
        # (127.0.0.2-.51) holding 10 each: what a per-address cap cannot refuse.
        runs = [(1, target) for target in targets] + [(50, target) for target in targets[:2]]
        rows = []
        for addresses, (label, service, probe_path, load_path) in runs:
            seconds = probes * 0.02 + 8
            crowd = load.start_crowd(service.port, probe_path, idle, seconds, addresses)
            background = load.start_wrk_background(service.port, load_path, 16, seconds)
            time.sleep(2)  # let the crowd connect and settle
            latencies = load.probe_fresh(service.port, probe_path, probes)
            background.send_signal(signal.SIGINT)
            background.wait()
            stats = json.loads(crowd.communicate()[0] or "{}")
            summary = load.summarize_probes(latencies)
            summary.update(label=label, name=service.name, path=probe_path, crowd=stats,
                           load_path=load_path, addresses=addresses)
            rows.append(summary)
            log(f"  {label} {probe_path}, crowd from {addresses} address(es): p50 {report.ms(summary['p50_ms'])} ms, "
                f"p99 {report.ms(summary['p99_ms'])} ms, failed {summary['failed']}, "
                f"crowd {stats}")
            time.sleep(1)
        self.results["crowding"] = rows

    def decoupling(self):
        a = self.args
        log("scenario 3: one dependency answers in 2 s")
        slow = self.start(peers.slow_dependency(self.port(6), self.work, 2.0))
        agent = self.start(self.vitals_service(
            "vitals_slow", self.port(12),
            {"bench.toml": vitals.twenty_checks(self.port(0), slow.port)}))
        python_peers = self.peers(slow.port, "_slow", offset=4)
        fastapi = self.start(python_peers["fastapi"])
        flask = self.start(python_peers["flask"])
        wait_check_done(agent.port, "slow_dependency")
        rows = []
        # A probe's view: one keep-alive connection, each request timed by the client,
        # alone and while wrk -c16 loads the same endpoint.
        for label, service, note in (("Vitals", self.agent, "20 checks, none slow"),
                                     ("Vitals", agent, "21 checks, one takes 2 s")):
            for background in (0, 16):
                runs = []
                for _ in range(a.repeat):
                    loader = (load.start_wrk_background(service.port, "/health", background,
                                                        a.duration + 2) if background else None)
                    if loader:
                        time.sleep(0.5)
                    rps, latencies = load.probe_keepalive(service.port, "/health", a.duration)
                    if loader:
                        loader.send_signal(signal.SIGINT)
                        loader.wait()
                    runs.append({"rps": rps, "p50_ms": load.percentile(latencies, 50),
                                 "p99_ms": load.percentile(latencies, 99),
                                 "p999_ms": load.percentile(latencies, 99.9),
                                 "max_ms": max(latencies), "requests": len(latencies),
                                 "errors": 0, "non2xx": 0})
                result = load.median_of(runs)
                result.update(label=label, note=note, connections=1, background=background)
                rows.append(result)
        for label, service in (("FastAPI/uvicorn", fastapi), ("Flask/gunicorn ×2", flask)):
            latencies = []
            for _ in range(2 if a.quick else 4):
                began = time.perf_counter()
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"http://127.0.0.1:{service.port}/health",
                                           timeout=10).read()
                latencies.append((time.perf_counter() - began) * 1e3)
            rows.append({"label": label, "note": "21 checks per request, one takes 2 s",
                         "connections": 1, "rps": 1e3 / (sum(latencies) / len(latencies)),
                         "p50_ms": load.percentile(latencies, 50),
                         "p99_ms": load.percentile(latencies, 99), "p999_ms": None,
                         "requests": len(latencies), "errors": 0, "non2xx": 0})
        for row in rows:
            log(f"  {row['label']} ({row['note']}) c{row['connections']}: "
                f"p50 {report.ms(row['p50_ms'])} ms, p99 {report.ms(row['p99_ms'])} ms")
        for service in (fastapi, flask, agent, slow):
            self.stop(service)
        self.results["decoupling"] = rows

    def measure_agent(self, name, conf_files, warmup, window, with_children=False):
        """Starts vitalsd on its own, lets it settle, then measures one window."""
        agent = self.start(self.vitals_service(name, self.port(13), conf_files))
        try:
            time.sleep(warmup)
            before = vitals.scrape(agent.port)
            reference = load.start_wakeup_reference(window)
            cpu0, t0 = procs.cpu_seconds(agent.pid, with_children), time.monotonic()
            time.sleep(window)
            cpu1, t1 = procs.cpu_seconds(agent.pid, with_children), time.monotonic()
            wakeup = load.wakeup_reference(reference)
            rss = procs.rss_bytes(agent.pid)
            after = vitals.scrape(agent.port)
        finally:
            self.stop(agent)
        runs = vitals.runs_between(before, after)
        # A histogram estimate interpolates inside a bucket: never past the largest seen.
        largest = after["vitals_schedule_lag_max_seconds"]
        quantile = lambda q: ms_or_none(min(vitals.lag_quantile(before, after, q) or 0, largest))
        return {
            "startup_ms": agent.startup_seconds * 1e3,
            "cpu_percent": (cpu1 - cpu0) / (t1 - t0) * 100,
            "cpu_seconds": cpu1 - cpu0,
            "rss_bytes": rss,
            "runs": runs,
            "runs_per_s": runs / (t1 - t0),
            "cpu_us_per_run": (cpu1 - cpu0) / runs * 1e6 if runs else None,
            "lag_p50_ms": quantile(0.50),
            "lag_p99_ms": quantile(0.99),
            "lag_max_ms": after["vitals_schedule_lag_max_seconds"] * 1e3,
            "window_s": t1 - t0,
            "wakeup": wakeup,
        }

    def scale(self):
        rows = []
        for count in self.args.scale:
            log(f"scenario 4: {count} no-op checks at 10 s, {self.args.window} s window")
            files = split_checks(count, "noop")
            row = self.measure_agent(f"vitals_scale_{count}", files, warmup=15,
                                     window=self.args.window)
            row["checks"] = count
            rows.append(row)
            log(f"  {count}: {row['cpu_percent']:.2f}% CPU, RSS {row['rss_bytes'] / 1e6:.1f} MB, "
                f"lag p50 {report.ms(row['lag_p50_ms'])} p99 {report.ms(row['lag_p99_ms'])} "
                f"max {report.ms(row['lag_max_ms'])} ms, {row['runs_per_s']:.0f} runs/s; "
                f"machine wake-up p99 {report.ms(row['wakeup']['p99_ms'])} "
                f"max {report.ms(row['wakeup']['max_ms'])} ms")
        self.results["scale"] = rows

    def exec_cost(self):
        count, window = 1000, max(self.args.window // 2, 10)
        log(f"scenario 5: {count} exec checks (check_dummy) vs {count} in-process, {window} s")
        rows = {}
        rows["exec"] = self.measure_agent(
            "vitals_exec", split_checks(count, "exec",
                                        'command = ["check_dummy", "0", "fine"]'),
            warmup=12, window=window, with_children=True)
        rows["in_process"] = self.measure_agent(
            "vitals_noop", split_checks(count, "noop"), warmup=12, window=window)
        for name, command in (("check_dummy", [f"{NAGIOS}/check_dummy", "0", "fine"]),
                              ("check_disk", [f"{NAGIOS}/check_disk", "-w", "10%", "-p", "/"])):
            rows[f"script_{name}"] = script_model(command, 200 if self.args.quick else 1000)
        for name, row in rows.items():
            log(f"  {name}: {report.num(row.get('cpu_us_per_run'), 1)} µs CPU per run")
        self.results["exec"] = rows

    def starvation(self):
        window = max(self.args.window // 2, 10)
        builds = [("after", self.args.build_dir)]
        if self.args.before_build:
            builds.insert(0, ("before", self.args.before_build))
        log(f"scenario 7: a 1 s live check beside {starvation.HUNG_CHECKS} http checks that "
            f"hang, {window} s window")
        hole = starvation.BlackHole(self.port(14))
        rows = []
        try:
            for label, build in builds:
                binary = os.path.join(build, "agent", "vitalsd")
                directory = os.path.join(self.work, f"vitals_starvation_{label}")
                conf_d = vitals.write_conf_d(os.path.join(directory, "conf.d"),
                                             starvation.conf_files(self.port(14)))
                # Each build with its own plugins: the http plugin's threads count too.
                config = vitals.agent_toml(directory, self.port(13),
                                           [os.path.join(build, "plugins")], conf_d,
                                           "history = 200\n",
                                           own_state=vitals.knows_state_dir(binary))
                agent = self.start(procs.Service(f"vitals_starvation_{label}",
                                                 [binary, "--config", config], self.port(13),
                                                 "/metrics", log_dir=self.work))
                try:
                    time.sleep(10)  # every hung check is in its first or second run
                    row = starvation.measure(agent, window, since=time.time())
                finally:
                    self.stop(agent)
                row["build"] = label
                rows.append(row)
                log(f"  {label}: quick ran {row['quick_runs']} of ~{row['quick_runs_expected']:.0f}"
                    f", lag p50 {report.ms(row['lag_p50_ms'])} p99 {report.ms(row['lag_p99_ms'])}"
                    f" max {report.ms(row['lag_max_ms'])} ms, threads up to {row['threads_max']}"
                    f", /health/live not 200 in {row['live_non_200_share']:.0%} of samples")
        finally:
            hole.close()
        self.results["starvation"] = rows

    def state_cost(self):
        """The same 1,000 checks in two agents side by side, one keeping state, one not:
        whatever else loads the machine meanwhile loads both alike."""
        count, window = 1000, self.args.window
        probes = 200 if self.args.quick else 1000
        log(f"scenario 8: {count} no-op checks at 10 s, state on beside state off, "
            f"{window} s window, then {probes} fresh /health/live probes each")
        files = split_checks(count, "noop")
        state_dir = os.path.join(self.work, "vitals_state_on", vitals.OWN_STATE_DIR)
        agents = {}
        try:
            for state, port, extra in (("off", self.port(13), 'state_dir = ""\n'),
                                       ("on", self.port(15), "")):
                agents[state] = self.start(self.vitals_service(f"vitals_state_{state}", port,
                                                               files, extra))
            time.sleep(15)  # every check has run once: the state holds all 1,000
            rows = measure_side_by_side(agents, window)
            rows["on"]["files"] = state_files(state_dir)
            if not rows["on"]["files"].get("state.db") or not rows["on"]["state_ok"]:
                raise RuntimeError(f"the state-on agent keeps no state in {state_dir} "
                                   f"(vitals_state_ok {rows['on']['state_ok']}); not measuring "
                                   "a store that does not write")
            latencies = {state: [] for state in agents}
            # In rounds of 10, alternating, so a stall of the machine hits both alike.
            for _ in range(probes // 10):
                for state, agent in agents.items():
                    latencies[state] += load.probe_fresh(agent.port, "/health/live", 10)
            for state in agents:
                rows[state]["probe"] = load.summarize_probes(latencies[state])
        finally:
            for agent in agents.values():
                self.stop(agent)
        rows["on"]["files_after_stop"] = state_files(state_dir)
        for state, row in rows.items():
            log(f"  state {state}: {row['cpu_percent']:.2f}% CPU "
                f"({report.num(row['cpu_us_per_run'], 1)} µs/run), "
                f"{row['write_bytes_per_s'] / 1e3:.1f} kB/s written to disk, "
                f"{row['syscw_per_s']:.1f} write calls/s, "
                f"probe p50 {report.ms(row['probe']['p50_ms'])} "
                f"p99 {report.ms(row['probe']['p99_ms'])} ms, "
                f"failed {row['probe']['failed']}, "
                f"vitals_state_errors_total {row['state_errors']}")
        log(f"  state files at the end of the window: {rows['on']['files']}, "
            f"after stop: {rows['on']['files_after_stop']}")
        self.results["state"] = {"checks": count, "probes": probes, "rows": rows,
                                 "loadavg": os.getloadavg()}


# ---------------------------------------------------------------- helpers

def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ms_or_none(seconds):
    return None if seconds is None else seconds * 1e3


def measure_side_by_side(agents, window):
    """CPU, disk writes and runs of each agent over one shared window."""
    def sample():
        return {state: (procs.cpu_seconds(agent.pid), procs.io_counters(agent.pid))
                for state, agent in agents.items()}

    # Scrapes outside the window: answering them costs CPU and socket writes.
    before = {state: vitals.scrape(agent.port) for state, agent in agents.items()}
    first, t0 = sample(), time.monotonic()
    time.sleep(window)
    last, t1 = sample(), time.monotonic()
    after = {state: vitals.scrape(agent.port) for state, agent in agents.items()}
    elapsed, rows = t1 - t0, {}
    for state, agent in agents.items():
        (cpu0, io0), (cpu1, io1) = first[state], last[state]
        runs = vitals.runs_between(before[state], after[state])
        rows[state] = {
            "cpu_percent": (cpu1 - cpu0) / elapsed * 100,
            "cpu_us_per_run": (cpu1 - cpu0) / runs * 1e6 if runs else None,
            "runs_per_s": runs / elapsed,
            "write_bytes_per_s": (io1["write_bytes"] - io0["write_bytes"]) / elapsed,
            "wchar_per_s": (io1["wchar"] - io0["wchar"]) / elapsed,
            "syscw_per_s": (io1["syscw"] - io0["syscw"]) / elapsed,
            "rss_bytes": procs.rss_bytes(agent.pid),
            "private_dirty_bytes": procs.private_dirty_bytes(agent.pid),
            "startup_ms": agent.startup_seconds * 1e3,
            "state_ok": after[state].get("vitals_state_ok"),
            "state_errors": after[state].get("vitals_state_errors_total"),
            "window_s": elapsed,
        }
    return rows


def state_files(directory):
    """Sizes in bytes of the SQLite files in a state_dir (the database and its WAL)."""
    sizes = {}
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        with contextlib.suppress(FileNotFoundError):
            sizes[name] = os.path.getsize(os.path.join(directory, name))
    return sizes


def split_checks(count, plugin, params=""):
    """conf.d files of at most 1,000 checks each, as an operator would split them."""
    files = {}
    for start in range(0, count, 1000):
        text = vitals.many_checks(min(1000, count - start), plugin, params)
        # Names must be unique across files: offset the numbering per file.
        text = text.replace(f"[check.{plugin}_", f"[check.{plugin}_{start // 1000:02d}_")
        files[f"{plugin}-{start // 1000:02d}.toml"] = text
    return files


def script_model(command, runs):
    """NRPE/Sensu/Consul style: a shell forks and execs the plugin once per check."""
    script = 'for i in $(seq "$1"); do "${@:2}" > /dev/null; done'
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(["bash", "-c", script, "bash", str(runs)] + command, check=False)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"runs": runs, "cpu_seconds": cpu, "cpu_us_per_run": cpu / runs * 1e6,
            "runs_per_cpu_second": runs / cpu, "wall_s": elapsed}


def wait_healthy(port, path, limit=20.0):
    deadline = time.monotonic() + limit
    status = None
    while time.monotonic() < deadline:
        status = procs.http_answers(port, path)
        if status == 200:
            return
        time.sleep(0.1)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
    except urllib.error.HTTPError as error:
        body = error.read()
    except OSError:
        body = b""
    log(f"  warning: {path} answers {status}, not 200 (its rows count non-2xx answers): "
        f"{body[:600]!r}")


def wait_check_done(port, name, limit=15.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            reply = urllib.request.urlopen(
                f"http://127.0.0.1:{port}/health/checks/{name}", timeout=5)
            if not json.loads(reply.read()).get("pending", True):
                return
        time.sleep(0.2)
    log(f"  warning: check {name} still pending after {limit} s")


def machine():
    def first(path, key, separator):
        with contextlib.suppress(OSError):
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(separator, 1)[1].strip().strip('"')
        return "?"

    def version(argv):
        with contextlib.suppress(OSError):
            out = subprocess.run(argv, capture_output=True, text=True)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        return "?"

    commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"],
                            capture_output=True, text=True).stdout.strip()
    return {
        "cpu": first("/proc/cpuinfo", "model name", ":"),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "os": first("/etc/os-release", "PRETTY_NAME", "="),
        "loadavg_start": os.getloadavg(),
        "vitals_commit": commit,
        "nginx": version(["/usr/sbin/nginx", "-v"]),
        "collectd": version(["dpkg-query", "-W", "-f", "collectd ${Version}", "collectd-core"]),
        "node_exporter": version(["dpkg-query", "-W", "-f", "node-exporter ${Version}",
                                  "prometheus-node-exporter"]),
        "monit": version(["/usr/bin/monit", "-V"]),
        "python": version([peers.PYTHON, "--version"]),
        "wrk": version(["wrk", "-v"]),
    }


def main(argv):
    args = parse_args(argv)
    bench = Bench(args)
    # Stop what we started on Ctrl-C or SIGTERM too, by PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        bench.run()
    except BaseException:
        log(f"failed; logs kept in {bench.work}")
        raise
    finally:
        bench.stop_all()
    from benchlib import tables
    text = tables.render(bench.results)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(bench.results, f, indent=1, default=str)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.update_readme:
        tables.update_readme(os.path.join(BENCH, "README.md"), text)
    shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
