"""A dependency that answers every request after a delay (scenario 3).

Usage: slow_dependency.py PORT [DELAY_SECONDS]. Listens on 127.0.0.1 only;
threaded, so concurrent callers each wait the delay, not in line.
"""
import http.server
import sys
import time

DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0


class Slow(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        time.sleep(DELAY)
        body = b'{"status":"UP"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow).serve_forever()
