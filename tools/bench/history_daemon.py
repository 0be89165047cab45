#!/usr/bin/env python3
"""The history store through the whole daemon, side by side with Debian's
victoria-metrics single-node (docs/benchmarks.md, "History through the
daemon"): the same remote-write requests (SERIES node-exporter-like series,
one sample each every 15 s of virtual time over HOURS) are posted to both;
reported: each process's CPU time for the ingest (utime + stime from
/proc, so HTTP, snappy and protobuf decoding included), CPU per sample,
RSS growth per series, and bytes per sample on disk (mmwatch: its
segments after a flush; victoria-metrics: vm_data_size_bytes / vm_rows
after /internal/force_flush). Numbers, never pass/fail.
    history_daemon.py --mmwatch BIN [--series N] [--hours H] [--replay FILE]
--replay posts the request bodies of a capture by history_capture.py
(Prometheus scraping node_exporter, as sent) instead: real data.
The times must be within victoria-metrics' retention (a year here)."""

import argparse
import os
import random
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "blackbox"))
from test_history import bits, snappy_literal, write_request  # noqa: E402

STEP_MS = 15_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) * 1024


def get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=60) as r:
        return r.read().decode()


def post(port, body):
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/write" % port, data=body, method="POST")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("Content-Encoding", "snappy")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status in (200, 204), r.status


def metric(text, name, labels=""):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{" + labels) or (not labels and line.startswith(name + " ")):
            total += float(line.rsplit(" ", 1)[1])
    return total


def wait_port(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("port %d never opened" % port)


def make_requests(series, hours):
    """Bodies, built before anything is timed: counters that grow by
    irregular amounts, gauges that wander, a few constant series, as a
    node_exporter's mix."""
    rng = random.Random(24)
    kinds = [("counter", rng.uniform(0, 1e6)) if i % 3 == 0 else ("const", float(i)) if i % 10 == 1 else
             ("gauge", rng.uniform(0, 1e9)) for i in range(series)]
    state = [v for _, v in kinds]
    t0 = (int(time.time()) - hours * 3600) * 1000
    bodies = []
    for step in range(hours * 3600 * 1000 // STEP_MS):
        t = t0 + step * STEP_MS
        batch = []
        for i, (kind, _) in enumerate(kinds):
            if kind == "counter":
                state[i] += rng.choice((0, 0, 1, 2, 5, 17)) * 4096
            elif kind == "gauge":
                state[i] = round(state[i] * (1 + rng.gauss(0, 0.001)), 0)
            labels = {"__name__": "node_metric_%d" % (i % 50), "job": "node", "instance": "host:9100",
                      "cpu": str(i // 50)}
            batch.append((labels, [(t, bits(state[i]))]))
        bodies.append(snappy_literal(write_request(batch)))
    return bodies


def read_capture(path):
    """The bodies of a history_capture.py file: a 4-byte length, then a body."""
    bodies = []
    with open(path, "rb") as f:
        while head := f.read(4):
            bodies.append(f.read(struct.unpack("<I", head)[0]))
    return bodies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mmwatch", required=True)
    ap.add_argument("--victoria", default=shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics")
    ap.add_argument("--series", type=int, default=2000, help="series made (with --replay: in the file, for RSS a series)")
    ap.add_argument("--hours", type=int, default=6)
    ap.add_argument("--replay", help="a history_capture.py file; --samples gives its sample count")
    ap.add_argument("--samples", type=int, help="samples in the --replay file (its JSON report says)")
    a = ap.parse_args()
    if a.replay:
        bodies = read_capture(a.replay)
        samples = a.samples
    else:
        bodies = make_requests(a.series, a.hours)
        samples = a.series * len(bodies)
    work = tempfile.mkdtemp(prefix="history-bench-")
    procs = []
    try:
        mm_port, vm_port = free_port(), free_port()
        mm = subprocess.Popen([a.mmwatch, "--dir", work, "--listen", "127.0.0.1:%d" % mm_port,
                               "--history-dir", os.path.join(work, "mm"), "--history-flush-interval", "10s",
                               "--history-bytes", "512Mi"], stderr=subprocess.DEVNULL)
        vm = subprocess.Popen([a.victoria, "-httpListenAddr=127.0.0.1:%d" % vm_port,
                               "-storageDataPath=" + os.path.join(work, "vm"), "-retentionPeriod=1y"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs = [mm, vm]
        wait_port(mm_port)
        wait_port(vm_port)
        time.sleep(2)
        print("%d samples in %d requests of %.0f KB" % (samples, len(bodies), sum(map(len, bodies)) / len(bodies) / 1024))
        for name, port, proc in (("mmwatch", mm_port, mm), ("victoria-metrics", vm_port, vm)):
            cpu0, rss0, wall0 = cpu_seconds(proc.pid), rss_bytes(proc.pid), time.monotonic()
            for b in bodies:
                post(port, b)
            cpu, wall = cpu_seconds(proc.pid) - cpu0, time.monotonic() - wall0
            rss = rss_bytes(proc.pid)
            print("%-17s ingest CPU %.2f s (%.0f ns a sample, HTTP and decoding included), wall %.1f s; "
                  "RSS %.1f -> %.1f MiB, %.0f bytes a series" %
                  (name, cpu, cpu / samples * 1e9, wall, rss0 / 2**20, rss / 2**20, (rss - rss0) / a.series))
        # On disk: mmwatch after its next flush, victoria-metrics after a forced one.
        flushes = metric(get(mm_port, "/metrics"), "mmwatch_history_flushes_total")
        while metric(get(mm_port, "/metrics"), "mmwatch_history_flushes_total") < flushes + 1:
            time.sleep(0.5)
        page = get(mm_port, "/metrics")
        disk = sum(os.path.getsize(os.path.join(work, "mm", f)) for f in os.listdir(os.path.join(work, "mm"))
                   if f.endswith(".hseg"))
        raw_bytes = metric(page, "mmwatch_history_bytes", 'tier="raw"')
        raw_samples = metric(page, "mmwatch_history_samples", 'tier="raw"')
        print("mmwatch           memory: raw tier %.3f bytes a sample (%d samples held); disk: %d bytes of "
              "segments (every tier and the index) = %.3f bytes a sample" %
              (raw_bytes / raw_samples, raw_samples, disk, disk / samples))
        get(vm_port, "/internal/force_flush")
        time.sleep(5)
        vpage = get(vm_port, "/metrics")
        size = metric(vpage, "vm_data_size_bytes", 'type="storage/')
        rows = metric(vpage, "vm_rows", 'type="storage/')
        print("victoria-metrics  disk: vm_data_size_bytes (storage) %d over vm_rows %d = %.3f bytes a sample" %
              (size, rows, size / max(rows, 1)))
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
