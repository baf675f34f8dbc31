"""Flask peer: /live answers at once, /health runs 20 checks per request.

Run by gunicorn with 2 sync workers (bench/bench.py), the usual deployment.
"""
from flask import Flask, jsonify

import health_checks

app = Flask(__name__)
CHECKS = health_checks.checks()


@app.route("/live")
def live():
    return jsonify({"status": "UP"})


@app.route("/health")
def health():
    body, code = health_checks.run_all(CHECKS)
    return jsonify(body), code
