"""Black-box test harness: runs the real mmwatch binary on a temporary
directory and a free loopback port, and talks to it over real sockets."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "python"))

sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))

from make_corpus import rezl  # noqa: E402
from mmwatch_producer import Producer  # noqa: E402

BIN = os.environ.get("MMWATCH_BIN", os.path.join(ROOT, "build", "src", "mmwatch"))
# A cross build runs what it built through its exe_wrapper (qemu-user,
# docs/testing.md "ARM under emulation"); every program a test starts goes through it.
EXE_WRAPPER = [os.environ["MMWATCH_EXE_WRAPPER"]] if os.environ.get("MMWATCH_EXE_WRAPPER") else []
MMWATCH_CMD = EXE_WRAPPER + [BIN]
# Generous: tests wait for behaviour, they never assert speed.
WAIT_S = float(os.environ.get("MMWATCH_TEST_WAIT_S", "15"))


def wait_until(pred, what, timeout=WAIT_S, step=0.02):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("timed out waiting for: %s (last: %r)" % (what, last))


def raw_file(entries, ready=True, magic=b"REZL", major=1, count=None, catalog_size=None, extra=0):
    """REZL bytes from (type, name[, g, m]) entries, with overridable fields;
    `extra` bytes are appended (or cut, when negative). Built by the
    malformed-file corpus's generator, the one REZL writer of the tests."""
    data = rezl(entries, magic=magic, major=major, status=1 if ready else 0, count=count,
                catalog_size=catalog_size)
    return data[:len(data) + extra] if extra < 0 else data + bytes(extra)


def slow_reader(port, request, rcvbuf=4096):
    """A connection with a small receive buffer that has sent `request`
    and reads nothing (until the test does)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.sendall(request)
    return s


class Background:
    """Runs fn(stop_event) in a thread for the length of a with-block."""

    def __init__(self, fn):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=fn, args=(self.stop,))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Mmwatch:
    def __init__(self, directory, *args, interval="100ms", command=None, preexec_fn=None):
        """Runs `command` (the binary under test by default) on `directory`."""
        self.dir = directory
        cmd = [*(command or MMWATCH_CMD), "--dir", directory, "--listen", "127.0.0.1:0", "--interval", interval] + list(args)
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                     preexec_fn=preexec_fn)
        line = self.proc.stderr.readline()
        self.warnings = []
        while line.startswith("mmwatch: warning: "):  # e.g. the directory is not on tmpfs
            self.warnings.append(line.strip())
            line = self.proc.stderr.readline()
        m = re.match(r"^mmwatch: listening on https?://127\.0\.0\.1:(\d+)$", line.strip())
        if not m:
            self.proc.kill()
            raise AssertionError("unexpected first line: %r" % line)
        self.port = int(m.group(1))

    def get(self, path, timeout=10):
        """(status, headers, body) of a GET."""
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path))
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8")

    def metrics(self):
        status, _, body = self.get("/metrics")
        assert status == 200, status
        return body

    def sources(self):
        return {s["path"]: s for s in json.loads(self.get("/api/v1/sources")[2])["sources"]}

    def sample(self, series):
        """Value of one exposed series line (exact text before the value), or None."""
        for line in self.metrics().splitlines():
            if line.startswith(series + " "):
                return line[len(series) + 1:]
        return None

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stderr.read()
        self.proc.stderr.close()
        return self.proc.returncode, rest


class MmwatchTestCase(unittest.TestCase):
    """A temporary directory per test; start() runs mmwatch on it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mmwatch-test-")
        self.instances = []
        self.producers = []

    def tearDown(self):
        for p in self.producers:
            p.close()
        for m in self.instances:
            code, _ = m.stop()
            self.assertEqual(code, 0, "mmwatch did not exit 0 on SIGTERM")
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, *args, **kw):
        m = Mmwatch(self.dir, *args, **kw)
        self.instances.append(m)
        return m

    def producer(self, name, **kw):
        p = Producer(self.dir, name, **kw)
        self.producers.append(p)
        return p

    def write(self, name, data):
        """Writes a file atomically (dot-name + rename), as a careful producer would."""
        tmp = os.path.join(self.dir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.dir, name))
        return os.path.join(self.dir, name)
