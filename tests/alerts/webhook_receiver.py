#!/usr/bin/python3
"""A webhook receiver for the notifier tests: webhook_receiver.py PORT OUTFILE [STATUS]

Appends one JSON line per POST to OUTFILE: {"path", "headers", "body"} (body parsed as JSON
when it is). Answers STATUS (default 200) with a one-line reason. Prints READY once it
listens on 127.0.0.1:PORT; exits 0 on SIGTERM.
"""
import http.server
import json
import signal
import sys
import threading

port, out = int(sys.argv[1]), sys.argv[2]
status = int(sys.argv[3]) if len(sys.argv) > 3 else 200
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        record = {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        with lock, open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        answer = b"bad payload: field x\nsecond line\n" if status >= 400 else b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
print("READY", flush=True)
server.serve_forever()
