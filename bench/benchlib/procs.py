"""Starting servers on loopback, measuring them from /proc, stopping them by PID."""
import os
import signal
import socket
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def port_is_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def http_answers(port, path="/", timeout=1.0):
    """The status code of GET path, or None when nothing answers yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            if head.startswith(b"HTTP/1."):
                return int(head.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def tcp_accepts(port, timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def children(pid):
    """Every descendant of pid (read from /proc/*/stat)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pid, with_reaped_children=False):
    """User plus system time of one process; with its reaped children's if asked."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[11..14] are utime, stime, cutime, cstime (stat(5) fields 14-17).
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def io_counters(pid):
    """/proc/<pid>/io as a dict (proc(5)): write_bytes is what the process sent towards
    the disk (the page cache's dirtying counted, tmpfs not); wchar and syscw count every
    write(2)-family call, sockets included."""
    with open(f"/proc/{pid}/io") as f:
        return {name: int(value) for name, value in (line.split(":") for line in f)}


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


def tree(pid):
    return [pid] + children(pid)


def tree_sum(pid, measure):
    """`measure` summed over a process and its descendants; one that exits meanwhile counts 0."""
    total = 0
    for p in tree(pid):
        try:
            total += measure(p)
        except OSError:
            pass
    return total


def tree_cpu_seconds(pid):
    return tree_sum(pid, cpu_seconds)


def private_dirty_bytes(pid):
    """Pages only this process has written (heap, stacks, relocated data): what it costs
    the host beyond the libraries every process maps, which RSS counts in full."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_private_dirty_bytes(pid):
    return tree_sum(pid, private_dirty_bytes)


def tree_rss_bytes(pid):
    return tree_sum(pid, rss_bytes)


class Service:
    """One server process, started in its own session and stopped by its PID."""

    def __init__(self, name, argv, port, probe_path="/", env=None, cwd=None, log_dir="."):
        """probe_path: what start() polls for the first answer; None: a TCP connect."""
        self.name, self.argv, self.port, self.probe_path = name, argv, port, probe_path
        self.env, self.cwd = env, cwd
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.process = None
        self.startup_seconds = None

    @property
    def pid(self):
        return self.process.pid

    def start(self, timeout=30.0):
        if not port_is_free(self.port):
            raise RuntimeError(f"{self.name}: port {self.port} is busy; pick another --port-base")
        env = dict(os.environ, **(self.env or {}))
        log = open(self.log_path, "ab")
        began = time.perf_counter()
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env, cwd=self.cwd,
                                        start_new_session=True)
        log.close()
        deadline = began + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            # A server is up at its first HTTP answer (any status); one with
            # no probe path (a deliberately slow one) when it accepts.
            up = tcp_accepts(self.port) if self.probe_path is None else \
                http_answers(self.port, self.probe_path, timeout=0.5) is not None
            if up:
                self.startup_seconds = time.perf_counter() - began
                return self
            time.sleep(0.001)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on 127.0.0.1:{self.port} within "
                           f"{timeout} s; see {self.log_path}")

    def stop(self, grace=10.0):
        """SIGTERM to our PID, then SIGKILL to it and any child it left behind."""
        if self.process is None or self.process.poll() is not None:
            return
        leftovers = children(self.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cpu_seconds(self):
        return tree_cpu_seconds(self.pid)

    def rss_bytes(self):
        return tree_rss_bytes(self.pid)


def listening_addresses(pid_list):
    """The (address, port) pairs the given processes listen on (from /proc/net/tcp*)."""
    inodes = set()
    for pid in pid_list:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                    continue
                address, port = fields[1].split(":")
                found.append((decode_address(address, width), int(port, 16)))
    return found


def decode_address(hex_address, width):
    raw = bytes.fromhex(hex_address)
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)
