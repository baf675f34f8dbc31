"""FastAPI peer: /live answers at once, /health runs 20 checks per request.

The checks are blocking calls, so the handlers are plain `def` (FastAPI runs
them in its thread pool), as a typical service would write them. Served by
uvicorn, one process.
"""
from fastapi import FastAPI
from fastapi.responses import JSONResponse

import health_checks

app = FastAPI()
CHECKS = health_checks.checks()


@app.get("/live")
def live():
    return {"status": "UP"}


@app.get("/health")
def health():
    body, code = health_checks.run_all(CHECKS)
    return JSONResponse(body, status_code=code)
