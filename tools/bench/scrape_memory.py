#!/usr/bin/env python3
"""The scrape path's memory at tools/bench/run.sh's 100,000-series workload
(100 files of 1,000 series, values changing 10 times a second), with and
without the history store, against node_exporter's textfile collector on
the same series (docs/benchmarks.md, "Scrape memory and the history
store"). Side by side in one run: two mmwatch on the same files, one at
the defaults (the history store samples every series every 15 s into its
32 MiB) and one with the store idle (--history-bytes 1Mi
--history-interval 1h: nothing is sampled into it during the run), each
scraped once a second for --seconds, as Prometheus would; then
node_exporter, scraped --ne-scrapes times. Memory is RSS from
/proc/PID/smaps_rollup at the end, and VmHWM. Prints numbers, never
pass/fail.

    PYTHONPATH=tools/bench python3 tools/bench/scrape_memory.py --build build-bench
"""

import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import scale
from scale import free_port, get, memory, start, stop, wait_http

MIB = 2**20


def mib(m):
    return {k: round(v / MIB, 1) for k, v in m.items()}


def history_bytes(port):
    body = get(port)
    # The store's own count: chunks and heads of every tier, and the index.
    found = re.findall(r"^mmwatch_history_(?:index_)?bytes(?:\{[^}]*\})? (\S+)$", body, re.M)
    return sum(float(v) for v in found)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--ne-scrapes", type=int, default=5)
    a = ap.parse_args()
    out = {}
    with tempfile.TemporaryDirectory(prefix="mmwatch-scrape-mem-") as tmp:
        d = os.path.join(tmp, "rezl")
        os.makedirs(d)
        prod = start([os.path.join(a.build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                      "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
        assert prod.stdout.readline().strip() == "ready"
        runs = {}
        for name, extra in (("mmwatch", []),
                            ("mmwatch_history_idle", ["--history-bytes", "1Mi", "--history-interval", "1h"])):
            port = free_port()
            runs[name] = (start([os.path.join(a.build, "src", "mmwatch"), "--dir", d, "--listen",
                                 "127.0.0.1:%d" % port, *extra], stdout=subprocess.DEVNULL), port)
            wait_http(port)
        end = time.monotonic() + a.seconds
        while time.monotonic() < end:
            for _, port in runs.values():
                get(port)
            time.sleep(1)
        for name, (p, port) in runs.items():
            out[name] = mib(memory(p.pid))
            out[name]["history_store_mib"] = round(history_bytes(port) / MIB, 1)
            stop(p)
        stop(prod)
        print(json.dumps({k: out[k] for k in runs}), flush=True)

        d = os.path.join(tmp, "prom")
        os.makedirs(d)
        prod = start([os.path.join(a.build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                      "--format", "prom", "--rate", "10", "--rewrite-ms", "1000"], stdout=subprocess.PIPE, text=True)
        assert prod.stdout.readline().strip() == "ready"
        port = free_port()
        ne = start(["prometheus-node-exporter", "--web.listen-address=127.0.0.1:%d" % port,
                    "--collector.disable-defaults", "--collector.textfile", "--collector.textfile.directory=" + d],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A scrape of 100,000 series takes node_exporter seconds: the
        # readiness check's 5 s may not do.
        end = time.monotonic() + 120
        while True:
            try:
                get(port, timeout=120)
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.5)
        for _ in range(a.ne_scrapes):
            get(port, timeout=120)
        out["node_exporter"] = mib(memory(ne.pid))
        stop(ne)
        stop(prod)
    for name in ("mmwatch", "mmwatch_history_idle"):
        out[name]["node_exporter_rss_over_this"] = round(out["node_exporter"]["rss"] / out[name]["rss"], 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    try:
        main()
    finally:  # nothing left running, whatever failed
        for p in list(scale.procs):
            stop(p)
