#!/usr/bin/env python3
"""Scrape cost by exposition format at 100,000 series (docs/benchmarks.md,
"Exposition formats"). For text 0.0.4, OpenMetrics and protobuf, plain and
gzipped: body bytes, and per scrape the client's wall time and mmwatch's
CPU time, for scrapes that each find a new snapshot (a render, and a
compression when gzipped) and for back-to-back scrapes sharing one body.
Also zlib's levels on the same text body, for the compressor choice.
Prints numbers, never pass/fail.

  tools/bench/formats.sh        # builds, then runs this
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
import zlib

from scale import free_port, start, stop, ticks, wait_http

ACCEPT = {
    "text": "text/plain;version=0.0.4",
    "openmetrics": "application/openmetrics-text;version=1.0.0",
    "protobuf": "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
}
HZ = os.sysconf("SC_CLK_TCK")


def scrape(port, fmt, gz):
    """(wall seconds, body bytes) of one GET /metrics on a new connection."""
    headers = {"Accept": ACCEPT[fmt]}
    if gz:
        headers["Accept-Encoding"] = "gzip"
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/metrics", headers=headers)
    r = c.getresponse()
    body = r.read()
    c.close()
    wall = time.perf_counter() - t0
    assert r.status == 200, r.status
    assert (r.getheader("Content-Encoding") == "gzip") == gz
    return wall, body


def run(build, d, fmt, gz, interval, n, pace_s):
    port = free_port()
    mm = start([os.path.join(build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port,
                "--interval", interval], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port)
    for _ in range(2):
        scrape(port, fmt, gz)  # warm up: the plan, the first render's reservation
    walls = []
    t0 = ticks(mm.pid)
    for _ in range(n):
        if pace_s:
            time.sleep(pace_s)
        wall, body = scrape(port, fmt, gz)
        walls.append(wall)
    cpu = (ticks(mm.pid) - t0) / HZ / n
    stop(mm)
    return {"wall_ms": statistics.median(walls) * 1000, "cpu_ms": cpu * 1000, "bytes": len(body)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    fresh_n, shared_n = (5, 20) if args.quick else (40, 300)
    with tempfile.TemporaryDirectory(prefix="mmwatch-formats-") as tmp:
        d = os.path.join(tmp, "rezl")
        os.makedirs(d)
        prod = start([os.path.join(args.build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                      "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
        assert prod.stdout.readline().strip() == "ready"
        rows = []
        for fmt in ("text", "openmetrics", "protobuf"):
            for gz in (False, True):
                # Fresh: a new snapshot every 100 ms and 150 ms between
                # scrapes, so each renders (and compresses). Shared: one
                # snapshot an hour, back to back, so all share one body.
                fresh = run(args.build, d, fmt, gz, "100ms", fresh_n, 0.15)
                shared = run(args.build, d, fmt, gz, "1h", shared_n, 0)
                rows.append({"format": fmt, "gzip": gz, "fresh": fresh, "shared": shared})
                print(json.dumps(rows[-1]), flush=True)
        # zlib on the same text body, for the compressor choice (mmwatch uses
        # libdeflate level 1: its cost is the fresh gzip row less the plain one).
        port = free_port()
        mm = start([os.path.join(args.build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(port)
        body = scrape(port, "text", False)[1]
        stop(mm)
        stop(prod)
        levels = []
        for level in (1, 6):
            t0 = time.process_time()
            for _ in range(5):
                z = zlib.compressobj(level, zlib.DEFLATED, 31)
                out = z.compress(body) + z.flush()
            levels.append({"zlib_level": level, "ms": (time.process_time() - t0) / 5 * 1000, "bytes": len(out)})
            print(json.dumps(levels[-1]), flush=True)
    print("\n| format | encoding | body bytes | fresh: wall ms | fresh: CPU ms | shared: wall ms | shared: CPU ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %s | %.1f | %.1f | %.2f | %.2f |" % (
            r["format"], "gzip" if r["gzip"] else "identity", "{:,}".format(r["fresh"]["bytes"]),
            r["fresh"]["wall_ms"], r["fresh"]["cpu_ms"], r["shared"]["wall_ms"], r["shared"]["cpu_ms"]))
    for lv in levels:
        print("zlib level %d on the text body: %.1f ms, %s bytes" % (lv["zlib_level"], lv["ms"],
                                                                    "{:,}".format(lv["bytes"])))


if __name__ == "__main__":
    main()
