#!/usr/bin/env python3
"""OTLP over gRPC against OTLP/HTTP (docs/benchmarks.md, "OTLP over gRPC"):
the same 1,000-point protobuf request (10 monotonic sums of 100 points, two
attributes each, as tools/bench/otlp_bench.cpp builds them) sent by h2load
(Debian's nghttp2-client) to --otlp-grpc-listen (HTTP/2, several streams
per connection) and to --otlp-listen (HTTP/1.1 keep-alive), rounds
alternating. Points per second on one core are the points mmwatch stored
divided by the CPU time it spent (its one loop is one core, whatever the
machine's load); then mmwatch's resident memory per connection, for
connections that have made one one-point call and stay open, each
transport in a fresh mmwatch. Prints numbers, never pass/fail.

  tools/bench/otlp_grpc.sh [--quick]
"""

import argparse
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from scale import free_port, get, memory, start, stop, ticks, wait_http

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "blackbox"))
from grpc_client import EXPORT, FLOODS, RawH2, framed, gauge_request  # noqa: E402
from otlp_pb import attributes, f64, ld, metric, request, vi  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
POINTS = 1000


def request_1000():
    """ExportMetricsServiceRequest of 10 cumulative monotonic sums with 100
    points each; each point has host (one of 10) and route (one of 100).
    Stamped in 1970: each point is stored at its receipt time (the clock
    rule, docs/otlp.md), so the same body sent again is new points, never
    out of order."""
    metrics = []
    for m in range(10):
        points = b"".join(ld(1, attributes({"host": "host-%d" % (p % 10), "route": "/api/v%d" % p})
                                + f64(2, 1) + f64(3, 1000) + f64(6, 7 * m + p)) for p in range(100))
        # Sum: its points, cumulative (2), monotonic.
        metrics.append(metric("bench.metric.%d" % m, 7, points + vi(2, 2) + vi(3, 1), b"By"))
    return request(metrics, "bench", scope=(b"bench", b"1.0"), resource=[("service.instance.id", "i-1")])


def h2load(args, n, clients, streams, body_file, url, h1):
    cmd = ["h2load", "-n", str(n), "-c", str(clients), "-m", str(streams), "-d", body_file]
    if h1:
        cmd += ["--h1", "-H", "content-type: application/x-protobuf"]
    else:
        cmd += ["-H", "content-type: application/grpc", "-H", "te: trailers"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=600)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out.stdout)
    if out.returncode != 0 or not done or int(done.group(2)) != n:
        raise RuntimeError("h2load failed: %s %s" % (out.stdout[-2000:], out.stderr[-2000:]))
    took = re.search(r"finished in ([\d.]+)(us|ms|s),", out.stdout)
    return float(took.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[took.group(2)]


def counter(text, series):
    m = re.search(r"^%s (\S+)$" % re.escape(series), text, re.M)
    return float(m.group(1)) if m else 0.0


def calls_ok(port, series, want):
    """The counter once it reaches `want`: /metrics is composed once per
    --interval, so it can lag the last call by that long."""
    for _ in range(50):
        got = counter(get(port), series)
        if got >= want:
            return got
        time.sleep(0.1)
    return got


def throughput(mm, ports, bodies, rounds, n):
    """Alternating rounds; per transport the median of points stored per
    CPU second of mmwatch, and of wall time."""
    runs = {
        "gRPC (h2load: 4 connections x 8 streams)": dict(
            url="http://127.0.0.1:%d%s" % (ports["grpc"], EXPORT), body=bodies["grpc"], h1=False, clients=4,
            streams=8, ok='mmwatch_otlp_grpc_calls_total{outcome="ok"}'),
        "OTLP/HTTP (h2load --h1: 4 keep-alive connections)": dict(
            url="http://127.0.0.1:%d/v1/metrics" % ports["otlp"], body=bodies["http"], h1=True, clients=4,
            streams=1, ok='mmwatch_otlp_requests_total{result="ok"}'),
    }
    results = {name: {"cpu_points_per_s": [], "wall_points_per_s": []} for name in runs}
    for r in range(rounds):
        for name, run in runs.items():
            before = counter(get(ports["metrics"]), run["ok"])
            t0 = ticks(mm.pid)
            wall = h2load(None, n, run["clients"], run["streams"], run["body"], run["url"], run["h1"])
            cpu = (ticks(mm.pid) - t0) / HZ
            after = calls_ok(ports["metrics"], run["ok"], before + n)
            if after - before != n:
                raise RuntimeError("%s: %d calls ok, not %d" % (name, after - before, n))
            results[name]["cpu_points_per_s"].append(n * POINTS / cpu)
            results[name]["wall_points_per_s"].append(n * POINTS / wall)
            print("round %d %-50s cpu %.2f s  wall %.2f s" % (r, name, cpu, wall), file=sys.stderr, flush=True)
    return {name: {k: statistics.median(v) for k, v in res.items()} | {"runs": res["cpu_points_per_s"]}
            for name, res in results.items()}


def grpc_connections(port, k, body):
    conns = []
    for i in range(k):
        c = RawH2(port)
        c.call(1, body)
        c.response(1)
        conns.append(c)
    return conns


def http_connections(port, k, body):
    conns = []
    req = (b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
           b"Content-Length: %d\r\n\r\n" % len(body)) + body
    for _ in range(k):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(req)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += s.recv(4096)
        conns.append(s)
    return conns


def start_mmwatch(build, tmp, ports):
    d = tempfile.mkdtemp(dir=tmp)
    mm = start([os.path.join(build, "src", "mmwatch"), "--dir", d, "--interval", "1s",
                "--listen", "127.0.0.1:%d" % ports["metrics"], "--otlp-listen", "127.0.0.1:%d" % ports["otlp"],
                "--otlp-grpc-listen", "127.0.0.1:%d" % ports["grpc"], "--max-connections", "1024"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(ports["metrics"])
    return mm


def per_connection(build, tmp, k):
    """Resident memory added by k connections that made one call each and
    stay open, each transport in a fresh mmwatch. The call is one point of
    one series (the same for every connection), so what grows is the
    connections, not the store; one call on a connection closed before
    the measurement creates the series first."""
    out = {}
    one = gauge_request("bench.connection", 1.0)
    for name, opener, port_name, body in (("gRPC", grpc_connections, "grpc", framed(one)),
                                          ("OTLP/HTTP", http_connections, "otlp", one)):
        ports = {"metrics": free_port(), "otlp": free_port(), "grpc": free_port()}
        mm = start_mmwatch(build, tmp, ports)
        try:
            for c in opener(ports[port_name], 1, body):
                c.close()
            time.sleep(0.5)
            base = memory(mm.pid)["rss"]
            conns = opener(ports[port_name], k, body)
            time.sleep(0.5)
            grown = memory(mm.pid)["rss"] - base
            out[name] = grown / k
            for c in conns:
                c.close()
        finally:
            stop(mm)
        print("%-10s %d connections: RSS +%d KiB" % (name, k, grown // 1024), file=sys.stderr, flush=True)
    return out


def attacker(port, kind, seconds):
    """One connection after another, each making the attack `kind` and
    reading until the server's GOAWAY (or close)."""
    end = time.time() + seconds
    while time.time() < end:
        raw = RawH2(port)
        FLOODS[kind](raw)
        raw.goaway()
        raw.close()


def scrape_latencies(port, seconds):
    """Milliseconds of each GET /metrics (a new connection each, 10 ms
    apart) for `seconds`."""
    out = []
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        get(port)
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)
    return out


def under_attack(build, tmp, seconds):
    """Scrape latency on the main listener with no attack, then while one
    client repeats each flood of FLOODS on the gRPC listener; the refusals
    counted by name."""
    ports = {"metrics": free_port(), "otlp": free_port(), "grpc": free_port()}
    mm = start_mmwatch(build, tmp, ports)
    rows = []
    try:
        rows.append(("none", 0, scrape_latencies(ports["metrics"], seconds)))
        for kind in FLOODS:
            series = 'mmwatch_http2_connection_refusals_total{reason="%s"}' % kind
            before = counter(get(ports["metrics"]), series)
            p = multiprocessing.Process(target=attacker, args=(ports["grpc"], kind, seconds))
            p.start()
            lat = scrape_latencies(ports["metrics"], seconds)
            p.join()
            time.sleep(1.1)  # /metrics is composed once per --interval
            rows.append((kind, counter(get(ports["metrics"]), series) - before, lat))
    finally:
        stop(mm)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds, n, k = (2, 500, 50) if args.quick else (5, 3000, 200)
    raw = request_1000()
    tmp = tempfile.mkdtemp(prefix="mmwatch-grpc-bench-")
    bodies = {"raw": raw, "http": os.path.join(tmp, "request.pb"), "grpc": os.path.join(tmp, "request.grpc")}
    with open(bodies["http"], "wb") as f:
        f.write(raw)
    with open(bodies["grpc"], "wb") as f:
        f.write(framed(raw))
    ports = {"metrics": free_port(), "otlp": free_port(), "grpc": free_port()}
    mm = start_mmwatch(args.build, tmp, ports)
    try:
        print("request: %d bytes of protobuf for %d points" % (len(raw), POINTS))
        res = throughput(mm, ports, bodies, rounds, n)
        for name, r in res.items():
            print("%-50s %6.2f M points/s per CPU second (runs: %s), %6.2f M points/s wall" % (
                name, r["cpu_points_per_s"] / 1e6, ", ".join("%.2f" % (x / 1e6) for x in r["runs"]),
                r["wall_points_per_s"] / 1e6))
        names = list(res)
        print("gRPC / HTTP, per CPU second: %.0f%%" % (
            100 * res[names[0]]["cpu_points_per_s"] / res[names[1]]["cpu_points_per_s"]))
    finally:
        stop(mm)
    for name, b in per_connection(args.build, tmp, k).items():
        print("%-10s resident memory per open connection after one call: %.1f KiB" % (name, b / 1024))
    print("GET /metrics on --listen while one client repeats an attack on the gRPC listener (ms):")
    for kind, refused, lat in under_attack(args.build, tmp, 2 if args.quick else 5):
        q = statistics.quantiles(lat, n=100)
        print("  %-20s %5d refused  %4d scrapes  median %.2f  p99 %.2f  max %.2f" % (
            kind, refused, len(lat), statistics.median(lat), q[98], max(lat)))


if __name__ == "__main__":
    main()
