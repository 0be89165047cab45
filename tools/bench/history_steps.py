#!/usr/bin/env python3
"""The daemon's history steps under load (docs/benchmarks.md, "History
store"): remote-writes SERIES series x SAMPLES samples into a running
mmwatch with --history-dir, waits for a flush, restarts it on the same
directory, and prints mmwatch's own figures: the longest single flush or
reload step (the longest the loop waited on history work), the last
flush's duration, bytes on disk and samples loaded.
  tools/bench/history_steps.py BUILD/src/mmwatch [SERIES] [SAMPLES]"""

import os
import shutil
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "blackbox"))
os.environ.setdefault("MMWATCH_BIN", os.path.abspath(sys.argv[1]))
from harness import Mmwatch, wait_until  # noqa: E402
from test_history import bits, snappy_literal, write_request  # noqa: E402


def post(m, body):
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/write" % m.port, data=body, method="POST")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("Content-Encoding", "snappy")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 204, r.status


def figures(m):
    names = ("mmwatch_history_longest_step_seconds", "mmwatch_history_last_flush_seconds",
             "mmwatch_history_flushed_samples_total", "mmwatch_history_disk_bytes",
             "mmwatch_history_loaded_samples_total", "mmwatch_history_series")
    return {n: m.sample(n) for n in names}


def main():
    series = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    work = tempfile.mkdtemp(prefix="mmwatch-hsteps-")
    hdir = os.path.join(work, "history")
    os.mkdir(os.path.join(work, "files"))
    args = ("--history-dir", hdir, "--history-flush-interval", "10s", "--history-bytes", "512Mi",
            "--history-max-series", str(series + 1000), "--max-body-bytes", "64Mi")
    m = Mmwatch(os.path.join(work, "files"), *args, interval="1s")
    t0 = int(time.time() * 1000) - samples * 15000
    per_request = 2000
    for i in range(samples):
        for first in range(0, series, per_request):
            req = write_request([({"__name__": "bench_value", "series": str(s)},
                                  [(t0 + i * 15000, bits(float((s * 7 + i * 13) % 1000) / 8))])
                                 for s in range(first, min(series, first + per_request))])
            post(m, snappy_literal(req))
    wait_until(lambda: float(m.sample("mmwatch_history_flushes_total") or 0) >= 1, "a flush", timeout=120)
    before = figures(m)
    m.stop()
    m = Mmwatch(os.path.join(work, "files"), *args, interval="1s")
    wait_until(lambda: m.sample("mmwatch_history_loading") == "0", "reload", timeout=300)
    after = figures(m)
    m.stop()
    print("%d series x %d samples" % (series, samples))
    for k, v in before.items():
        print("  after the flush  %-40s %s" % (k, v))
    for k, v in after.items():
        print("  after the reload %-40s %s" % (k, v))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
