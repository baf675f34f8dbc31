#!/usr/bin/python3
"""Checks that the alerting rules select the scrape jobs the shipped configurations define.

  prometheus_jobs.py RULES CONFIG... [--test RULES_TEST]

The rules find the agents' targets by job name (up{job=~"vitals.*"}): a job
named otherwise would be scraped but never alerted on, VitalsAgentDown silent
for it. Every job_name in each CONFIG must satisfy every job matcher in RULES
(and no relabeling may rewrite `job` behind the name's back); each CONFIG must
load RULES; and with --test, the promtool unit tests have series of every
shipped job, so they exercise the names a real scrape produces (other jobs may
be there too, as the jobs the rules must ignore). Prints what it checked;
exits 1 naming each mismatch.

Needs PyYAML (Debian python3-yaml). SPDX-License-Identifier: MIT
"""
import os
import re
import sys

import yaml

MATCHER = re.compile(r'\bjob\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')


def load(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def selects(op, value, job):
    """Prometheus label matchers; regexes are anchored at both ends."""
    if op == "=":
        return job == value
    if op == "!=":
        return job != value
    matched = re.fullmatch(value, job) is not None
    return matched if op == "=~" else not matched


def job_matchers(rules):
    found = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            for op, value in MATCHER.findall(rule["expr"]):
                found.append((rule.get("alert") or rule.get("record"), op, value))
    return found


def main(argv):
    test_file = None
    if "--test" in argv:
        at = argv.index("--test")
        test_file = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    rules_file, configs = argv[0], argv[1:]
    matchers = job_matchers(load(rules_file))
    problems = []
    if not matchers:
        problems.append(f"{rules_file}: no rule selects by job, so nothing ties them to the scrape jobs")

    def check(where, job):
        for alert, op, value in matchers:
            if not selects(op, value, job):
                problems.append(f'{where}: job "{job}" is not selected by {alert}\'s job{op}"{value}"')

    shipped = set()
    for config_file in configs:
        config = load(config_file)
        loaded = [os.path.basename(f) for f in config.get("rule_files", [])]
        if os.path.basename(rules_file) not in loaded:
            problems.append(f"{config_file}: rule_files does not load {os.path.basename(rules_file)}")
        jobs = config.get("scrape_configs", [])
        if not jobs:
            problems.append(f"{config_file}: no scrape job")
        for job in jobs:
            name = job["job_name"]
            print(f"{config_file}: job {name}")
            shipped.add(name)
            check(config_file, name)
            for relabel in job.get("relabel_configs", []) + job.get("metric_relabel_configs", []):
                if relabel.get("target_label") == "job":
                    problems.append(f"{config_file}: job {name} relabels `job`, so its name is not what the rules see")
    if test_file:
        series_jobs = set()
        for test in load(test_file)["tests"]:
            for series in test.get("input_series", []):
                series_jobs.update(value for op, value in MATCHER.findall(series["series"]) if op == "=")
        print(f"{test_file}: series of jobs {', '.join(sorted(series_jobs))}")
        for name in sorted(shipped - series_jobs):
            problems.append(f"{test_file}: no series of the shipped job {name}")
    for alert, op, value in matchers:
        print(f'{rules_file}: {alert} selects job{op}"{value}"')
    for problem in problems:
        print("FAIL: " + problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
