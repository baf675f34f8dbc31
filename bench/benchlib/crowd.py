"""Holds N idle keep-alive connections to 127.0.0.1:PORT for SECONDS.

Usage: crowd.py PORT PATH N SECONDS [FIRST_ADDR ADDRS]: the N connections come
round-robin from ADDRS source addresses counting up from FIRST_ADDR (default one,
127.0.0.1), as that many clients would. Each connection sends one GET PATH, reads
the answer, then idles. A connection the server closes is opened again 1 s
later, so about N stay open the whole time, as N slow clients with keep-alive
pools would (the pause keeps a server that refuses at once from turning this
into a connect flood).
Prints one JSON line: how many were open at the end, reopened, answered.
"""
import json
import selectors
import socket
import sys
import time

import ipaddress
port, path, wanted, seconds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
first = ipaddress.IPv4Address(sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1")
sources = [str(first + i) for i in range(int(sys.argv[6]) if len(sys.argv) > 6 else 1)]
next_source = 0
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
selector = selectors.DefaultSelector()
stats = {"opened": 0, "reopened": 0, "answers": 0, "refused": 0}
reopen_at = []  # monotonic times at which to open a replacement
REOPEN_PAUSE = 1.0


def open_one():
    global next_source
    s = socket.socket()
    s.bind((sources[next_source % len(sources)], 0))
    next_source += 1
    s.setblocking(False)
    try:
        s.connect_ex(("127.0.0.1", port))
        selector.register(s, selectors.EVENT_WRITE, "connecting")
        stats["opened"] += 1
    except OSError:
        stats["refused"] += 1
        s.close()


for _ in range(wanted):
    open_one()
end = time.monotonic() + seconds
while time.monotonic() < end:
    now = time.monotonic()
    while reopen_at and reopen_at[0] <= now:
        reopen_at.pop(0)
        stats["reopened"] += 1
        open_one()
    for key, events in selector.select(timeout=0.1):
        s = key.fileobj
        if key.data == "connecting":
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                selector.unregister(s)
                s.close()
                stats["refused"] += 1
                reopen_at.append(time.monotonic() + REOPEN_PAUSE)
                continue
            try:
                s.send(request)
            except OSError:
                pass
            selector.modify(s, selectors.EVENT_READ, "idle")
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if data:
            stats["answers"] += data.count(b"HTTP/1.")
            continue
        selector.unregister(s)  # closed by the server: keep the crowd at N
        s.close()
        reopen_at.append(time.monotonic() + REOPEN_PAUSE)
stats["open_at_end"] = sum(1 for k in selector.get_map().values() if k.data == "idle")
print(json.dumps(stats), flush=True)
