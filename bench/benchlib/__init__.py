"""Helpers for bench/bench.py: processes, load generators, Vitals, reports."""
