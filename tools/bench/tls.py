#!/usr/bin/env python3
"""TLS cost (docs/benchmarks.md, "TLS"): a 100,000-series scrape over TLS
against plain HTTP (a new connection per scrape, so each TLS scrape pays
a full handshake; and keep-alive, so only the encryption), mmwatch's CPU
per scrape, and full handshakes per second from `openssl s_time -new`.
Certificates are made by tests/blackbox/pki.py. Prints numbers, never
pass/fail.

  tools/bench/tls.sh
"""

import argparse
import http.client
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

from scale import free_port, start, stop, ticks, wait_http

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "blackbox"))
from pki import Pki  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def start_mmwatch(build, d, web_config=None):
    port = free_port()
    args = [os.path.join(build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port, "--interval", "1h"]
    if web_config:
        args += ["--web-config", web_config]
    mm = start(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return mm, port


def scrapes(mm, port, ctx, n, keep_alive):
    conn = None
    walls = []
    t0 = ticks(mm.pid)
    for _ in range(n):
        t = time.perf_counter()
        if conn is None or not keep_alive:
            conn = (http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60) if ctx
                    else http.client.HTTPConnection("127.0.0.1", port, timeout=60))
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200
        if not keep_alive:
            conn.close()
        walls.append(time.perf_counter() - t)
    cpu = (ticks(mm.pid) - t0) / HZ / n
    return {"wall_ms": statistics.median(walls) * 1000, "cpu_ms": cpu * 1000, "bytes": len(body)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 10 if args.quick else 60
    with tempfile.TemporaryDirectory(prefix="mmwatch-tls-") as tmp:
        pki = Pki(os.path.join(tmp, "pki"))
        cfg = os.path.join(tmp, "web.yml")
        with open(cfg, "w") as f:
            f.write("tls_server_config:\n  cert_file: %s\n  key_file: %s\n" % (pki.path("server.crt"),
                                                                            pki.path("server.key")))
        d = os.path.join(tmp, "rezl")
        os.makedirs(d)
        prod = start([os.path.join(args.build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                      "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
        assert prod.stdout.readline().strip() == "ready"
        ctx = ssl.create_default_context(cafile=pki.path("ca.crt"))
        rows = []
        for name, web, context in (("plain HTTP", None, None), ("TLS 1.3", cfg, ctx)):
            mm, port = start_mmwatch(args.build, d, web)
            wait_until_up(port, context)
            scrapes(mm, port, context, 3, True)  # warm: the render of the one snapshot
            for keep in (False, True):
                r = scrapes(mm, port, context, n, keep)
                r.update({"transport": name, "connection": "keep-alive" if keep else "new per scrape"})
                rows.append(r)
                print(r, flush=True)
            if web:
                # Full handshakes (no resumption), for 10 s, one client.
                out = subprocess.run(["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new", "-time", "10",
                                      "-CAfile", pki.path("ca.crt")], capture_output=True, text=True, timeout=60)
                m = re.search(r"(\d+) connections in ([\d.]+) real seconds", out.stdout)
                hs = int(m.group(1)) / float(m.group(2)) if m else 0
                print("full handshakes: %.0f/s (%s)" % (hs, m.group(0) if m else out.stdout[-300:]), flush=True)
            stop(mm)
        stop(prod)
    print("\n| transport | connection | body bytes | wall ms (median) | mmwatch CPU ms per scrape |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %s | %.1f | %.2f |" % (r["transport"], r["connection"], "{:,}".format(r["bytes"]),
                                              r["wall_ms"], r["cpu_ms"]))


def wait_until_up(port, ctx, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            c = (http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5) if ctx
                 else http.client.HTTPConnection("127.0.0.1", port, timeout=5))
            c.request("GET", "/-/healthy")
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("mmwatch did not come up")


if __name__ == "__main__":
    main()
