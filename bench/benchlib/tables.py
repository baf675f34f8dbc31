"""The bench's results as markdown: one table per scenario, then the targets."""
from .report import mb, ms, num, ratio, table, times

BEGIN, END = "<!-- bench-results:begin -->", "<!-- bench-results:end -->"
# Idle private dirty memory (smaps_rollup's Private_Dirty, all of the agent's processes).
PRIVATE_DIRTY_GOAL_BYTES = 3e6


def render(results):
    parts = [machine(results)]
    for key, section in (("footprint", footprint), ("throughput", throughput),
                         ("crowding", crowding), ("decoupling", decoupling), ("scale", scale),
                         ("exec", exec_cost), ("starvation", starvation),
                         ("state", state_cost)):
        if key in results:
            parts.append(section(results))
    parts.append(targets(results))
    return "\n\n".join(parts)


def machine(results):
    m = results["machine"]
    load = ", ".join(f"{x:.2f}" for x in m["loadavg_start"])
    load_end = ", ".join(f"{x:.2f}" for x in results.get("loadavg_end", []))
    return "\n".join([
        f"Run {results['started']} → {results.get('finished', '?')}, Vitals `{m['vitals_commit']}`.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, "
        f"Linux {m['kernel']}; load average at start {load}, at end {load_end}.",
        f"Peers: {m['nginx']}; {m['collectd']}; {m['monit']}; {m['node_exporter']}; "
        f"{m['python']} (Debian's Flask, gunicorn, FastAPI, uvicorn); {m['wrk']}.",
    ])


def find(rows, **match):
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def throughput(results):
    rows = results["throughput"]
    body = [[r["label"], f"`{r['path']}`", r["connections"], num(r["rps"]), ms(r["p50_ms"]),
             ms(r["p99_ms"]), ms(r["p999_ms"]), f"{r['errors']}/{r['non2xx']}"] for r in rows]
    out = ["### 1. Probe throughput and latency (wrk, keep-alive; median of "
           f"{rows[0]['runs']} runs)",
           table(["server", "endpoint", "conns", "req/s", "p50 ms", "p99 ms", "p99.9 ms",
                  "errors/non-2xx"], body)]
    ratio_rows = []
    for c in (16, 256):
        nginx = find(rows, name="nginx", connections=c)
        collectd = find(rows, name="collectd", connections=c)
        fastapi = find(rows, name="fastapi", path="/health", connections=c)
        flask = find(rows, name="flask", path="/health", connections=c)
        for path in ("/health/live", "/health", "/metrics"):
            ours = find(rows, name="vitals", path=path, connections=c)
            if not ours:
                continue
            ratio_rows.append([f"`{path}`", c,
                               times(ratio(ours["rps"], nginx and nginx["rps"])),
                               times(ratio(ours["rps"], collectd and collectd["rps"])),
                               times(ratio(ours["rps"], fastapi and fastapi["rps"])),
                               times(ratio(ours["rps"], flask and flask["rps"]))])
    out.append("Vitals' req/s as a multiple of each peer's, same run:")
    out.append(table(["Vitals endpoint", "conns", "× nginx `return 200`", "× collectd `/metrics`",
                      "× FastAPI `/health`", "× Flask `/health`"], ratio_rows))
    return "\n\n".join(out)


def crowding(results):
    rows = results["crowding"]
    body = [[r["label"], r.get("addresses", 1), f"`{r['path']}`", f"`{r['load_path']}`",
             ms(r["p50_ms"]),
             ms(r["p99_ms"]), ms(r["max_ms"]), f"{r['failed']}/{r['probes']}",
             r["crowd"].get("open_at_end", "?"), r["crowd"].get("reopened", "?")]
            for r in rows]
    return "\n\n".join([
        "### 2. Probe under crowding (500 idle keep-alive connections held open, wrk -c16 in "
        "the background; each probe a fresh connection)",
        table(["server", "crowd's addresses", "probe", "background load", "probe p50 ms",
               "probe p99 ms",
               "probe max ms", "failed", "crowd open at end", "crowd reconnects"], body)])


def decoupling(results):
    rows = results["decoupling"]
    body = [[r["label"], r["note"], f"wrk -c{r['background']}" if r.get("background") else "—",
             num(r["rps"]), ms(r["p50_ms"]), ms(r["p99_ms"]), ms(r.get("p999_ms"))]
            for r in rows]
    return "\n\n".join([
        "### 3. Decoupling: `/health` while one dependency answers in 2 s",
        table(["server", "checks", "beside the probe", "probe req/s", "p50 ms", "p99 ms",
               "p99.9 ms"], body),
        "One keep-alive connection sending `/health` back to back, every request timed by the "
        "client (`benchlib/load.py: probe_keepalive`); Vitals alone and with `wrk -c16` "
        "loading `/health` beside it. The Python peers run the 21 checks per request: 4 "
        "sequential requests each."])


def scale(results):
    body = [[num(r["checks"]), f"{r['cpu_percent']:.2f}", mb(r["rss_bytes"]),
             num(r["runs_per_s"]), ms(r["lag_p50_ms"]), ms(r["lag_p99_ms"]),
             ms(r["lag_max_ms"]), f"{ms(r['wakeup']['p99_ms'])} / {ms(r['wakeup']['max_ms'])}",
             num(r["cpu_us_per_run"], 1), num(r["startup_ms"])]
            for r in results["scale"]]
    return "\n\n".join([
        "### 4. Scheduler scale (no-op plugin, 10 s interval; lag from the agent's own "
        "`vitals_schedule_lag_seconds` histogram over the window, max from "
        "`vitals_schedule_lag_max_seconds`)",
        table(["checks", "CPU % of one core", "RSS MB", "runs/s", "lag p50 ms", "lag p99 ms",
               "lag max ms", "machine wake-up p99 / max ms", "CPU µs/run", "startup ms"], body),
        "Machine wake-up: `cyclictest` (an ordinary thread sleeping 10 ms at a time) during the "
        "same window, the floor under any scheduler's lag on this machine at that moment."])


def exec_cost(results):
    r = results["exec"]
    inproc = r["in_process"]["cpu_us_per_run"]
    body = [
        ["Vitals, 1,000 `exec` checks running `check_dummy`", num(r["exec"]["cpu_us_per_run"], 1),
         times(ratio(r["exec"]["cpu_us_per_run"], inproc)), mb(r["exec"]["rss_bytes"])],
        ["Vitals, 1,000 in-process checks (no-op plugin)", num(inproc, 1), "1.00×",
         mb(r["in_process"]["rss_bytes"])],
        ["shell loop fork/exec `check_dummy` (NRPE/Sensu/Consul model)",
         num(r["script_check_dummy"]["cpu_us_per_run"], 1),
         times(ratio(r["script_check_dummy"]["cpu_us_per_run"], inproc)), "—"],
        ["shell loop fork/exec `check_disk -w 10% -p /`",
         num(r["script_check_disk"]["cpu_us_per_run"], 1),
         times(ratio(r["script_check_disk"]["cpu_us_per_run"], inproc)), "—"],
    ]
    return "\n\n".join([
        "### 5. exec cost (CPU per run, children included)",
        table(["how", "CPU µs per run", "× in-process", "agent RSS MB"], body),
        f"Script model: {num(r['script_check_dummy']['runs_per_cpu_second'])} `check_dummy` "
        f"runs and {num(r['script_check_disk']['runs_per_cpu_second'])} `check_disk` runs "
        "per CPU-second."])


def starvation(results):
    # ?history's timestamps are whole milliseconds: below one, the lag is not resolved.
    def lag(value):
        return "< 1" if value is not None and value < 1 else ms(value)

    body = [[r["build"], f"{r['quick_runs']} of {r['quick_runs_expected']:.0f}",
             lag(r["lag_p50_ms"]), lag(r["lag_p99_ms"]), lag(r["lag_max_ms"]),
             num(r["threads_max"]), f"{r['live_non_200_share']:.0%}"]
            for r in results["starvation"]]
    return "\n\n".join([
        "### 7. A quick check while 300 hang (uptime every 1 s in `live`; 300 `http` checks "
        "every 5 s, timeout 3 s, against a port that accepts and never answers; default "
        "`workers`)",
        table(["build", "quick check's runs", "lag p50 ms", "lag p99 ms", "lag max ms",
               "agent threads, max", "/health/live not 200"], body),
        "Lag: how late each run of the quick check started against its steady cadence "
        "(the most punctual run taken as on time), from its `?history` (millisecond "
        "timestamps)."])


def state_cost(results):
    s = results["state"]
    rows = s["rows"]

    def kb(value_bytes):
        return num(value_bytes / 1e3, 1)

    body = []
    for state in ("off", "on"):
        r = rows[state]
        per_run = r["write_bytes_per_s"] / r["runs_per_s"] if r["runs_per_s"] else None
        body.append([state, f"{r['cpu_percent']:.2f}", num(r["cpu_us_per_run"], 1),
                     num(r["runs_per_s"]), kb(r["write_bytes_per_s"]), num(per_run),
                     kb(r["wchar_per_s"]),
                     num(r["syscw_per_s"], 1), mb(r["rss_bytes"]),
                     mb(r.get("private_dirty_bytes")), ms(r["probe"]["p50_ms"]),
                     ms(r["probe"]["p99_ms"]), ms(r["probe"]["max_ms"]),
                     f"{r['probe']['failed']}/{r['probe']['probes']}"])
    on, off = rows["on"], rows["off"]
    files = on["files"]
    load = ", ".join(f"{x:.2f}" for x in s["loadavg"])
    return "\n\n".join([
        f"### 8. State store cost ({num(s['checks'])} no-op checks at 10 s in two agents side "
        "by side, `state_dir` on and `state_dir = \"\"`; disk writes from `/proc/<pid>/io`)",
        table(["state", "CPU % of one core", "CPU µs/run", "runs/s", "to disk kB/s",
               "to disk bytes/run", "write(2) kB/s", "write(2) calls/s", "RSS MB",
               "private dirty MB", "probe p50 ms", "probe p99 ms", "probe max ms", "failed"], body),
        f"State on costs {on['cpu_percent'] - off['cpu_percent']:+.2f} % of one core and "
        f"{kb(on['write_bytes_per_s'] - off['write_bytes_per_s'])} kB/s of disk writes; "
        f"`state.db` {mb(files.get('state.db'))} MB and its WAL "
        f"{mb(files.get('state.db-wal'))} MB at the end of the window, `state.db` "
        f"{mb(on['files_after_stop'].get('state.db'))} MB after the agent stopped. "
        f"Probes: {num(s['probes'])} fresh connections to `/health/live` per agent after the "
        "window, in rounds of 10 alternating between them, the agents still running. "
        "To disk: `write_bytes`, the bytes the agent dirtied in the page cache for the disk "
        "(what writeback sends; a page written again before that counts once); write(2): "
        "`wchar` and `syscw`, every write-family call, sockets included (no request is "
        f"answered in the window). Load average at the end {load}."])


def footprint(results):
    rows = results["footprint"]
    startup = results.get("startup_ms", {})
    body = []
    for name, r in rows.items():
        first = r.get("startup_ms", startup.get(name))
        private = r.get("private_dirty_bytes")
        body.append([name, mb(r["rss_bytes"]), "—" if private is None else mb(private),
                     r["processes"], f"{r['cpu_s_per_min']:.3f}", ms(first)])
    return "\n\n".join([
        "### 6. Footprint (idle, everything running; Vitals with the repo's default conf.d)",
        table(["server", "RSS MB (all processes)", "private dirty MB", "processes",
               "CPU s per minute", "start to first answer ms"], body),
        "Vitals' start-up is the median of 5 starts; the peers' is their one start in this run. "
        "Private dirty: the pages only that server wrote (heap, stacks, relocated data), "
        "smaps_rollup's Private_Dirty summed over its processes; the idle-memory target is on "
        "this figure. RSS, shown for comparison and no longer a target, also counts every page "
        "of the shared libraries it touched."])


def targets(results):
    rows = []

    def add(what, value, goal, met):
        rows.append([what, value, goal, "met" if met else "**missed**"])

    tp = results.get("throughput", [])
    for c in (16, 256):
        nginx = find(tp, name="nginx", connections=c)
        collectd = find(tp, name="collectd", connections=c)
        python = [find(tp, name=n, path="/health", connections=c) for n in ("fastapi", "flask")]
        for path in ("/health/live", "/health"):
            ours = find(tp, name="vitals", path=path, connections=c)
            if not (ours and nginx and collectd and all(python)):
                continue
            r = ratio(ours["rps"], nginx["rps"])
            add(f"`{path}` c{c} vs nginx", times(r), "≥ 0.6×", r >= 0.6)
            r = ratio(ours["rps"], collectd["rps"])
            add(f"`{path}` c{c} vs collectd `/metrics`", times(r), "≥ 2×", r >= 2)
            r = min(ratio(ours["rps"], p["rps"]) for p in python)
            add(f"`{path}` c{c} vs FastAPI and Flask `/health` (the lower)", times(r), "≥ 10×",
                r >= 10)
    for crowd in results.get("crowding", []):
        if crowd["name"] != "vitals":
            continue
        if crowd.get("addresses", 1) == 1:
            add("probe p99 with 500 idle keep-alive connections from one address",
                f"{ms(crowd['p99_ms'])} ms", "≤ 5 ms", crowd["p99_ms"] <= 5)
        else:
            add(f"probe p99 with 500 idle keep-alive connections from {crowd['addresses']} "
                "addresses", f"{ms(crowd['p99_ms'])} ms", "≤ 50 ms", crowd["p99_ms"] <= 50)
    slow = [r for r in results.get("decoupling", []) if r["label"] == "Vitals"
            and "2 s" in r["note"]]
    for r in slow:
        beside = f", beside wrk -c{r['background']}" if r.get("background") else ""
        add(f"`/health` p99 while a dependency takes 2 s{beside}", f"{ms(r['p99_ms'])} ms",
            "≤ 2 ms", r["p99_ms"] <= 2)
    for r in results.get("scale", []):
        if r["checks"] != 10000:
            continue
        add("10,000 checks: CPU", f"{r['cpu_percent']:.2f} %", "≤ 5 % of one core",
            r["cpu_percent"] <= 5)
        add("10,000 checks: schedule lag p99", f"{ms(r['lag_p99_ms'])} ms", "≤ 5 ms",
            r["lag_p99_ms"] is not None and r["lag_p99_ms"] <= 5)
        add("10,000 checks: RSS", f"{mb(r['rss_bytes'])} MB", "≤ 64 MB", r["rss_bytes"] <= 64e6)
    for r in results.get("starvation", []):
        if r["build"] != "after":
            continue
        add("quick check's lag p99 while 300 checks hang", f"{ms(r['lag_p99_ms'])} ms",
            "≤ 50 ms", r["lag_p99_ms"] is not None and r["lag_p99_ms"] <= 50)
    idle = results.get("footprint", {}).get("vitals_default")
    if idle and idle.get("private_dirty_bytes") is not None:
        # Private dirty, not RSS: what the agent alone costs the host. RSS counts every
        # shared-library page it touched (see the footprint table, where it is still shown).
        add("idle private dirty memory, default conf.d",
            f"{mb(idle['private_dirty_bytes'])} MB", "≤ 3 MB",
            idle["private_dirty_bytes"] <= PRIVATE_DIRTY_GOAL_BYTES)
    if idle:
        add("idle CPU, default conf.d", f"{idle['cpu_s_per_min']:.3f} s/min", "≤ 0.1 s/min",
            idle["cpu_s_per_min"] <= 0.1)
        add("start to first answer", f"{ms(idle['startup_ms'])} ms", "≤ 50 ms",
            idle["startup_ms"] <= 50)
    return "\n\n".join(["### Targets (issue 9; idle memory as private dirty since issue 16)",
                        table(["target", "measured", "goal", ""], rows)])


def update_readme(path, text):
    with open(path) as f:
        readme = f.read()
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{path} lacks the {BEGIN} … {END} markers")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(f"{head}{BEGIN}\n{text}\n{END}{tail}")
