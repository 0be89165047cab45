"""PromQL cost, mmwatch against Debian's Prometheus on the same samples
(docs/benchmarks.md, "PromQL queries"), and the scrape's latency while
eight clients run heavy queries. Prints numbers; asserts nothing.

Both servers get one remote_write stream built here: 10,000 counter
series (bench_requests_total, 10 jobs x 1,000 instances) and 100 classic
histograms of 11 buckets (bench_latency_seconds_bucket), an hour at 15 s
(2.9 M samples; mmwatch with --history-bytes 256Mi, as the default 32 MiB
budget evicts part of it). Then each query of QUERIES, as a range query over the
hour at a 15 s step (and the selector also instant), is run RUNS times on
each server, one at a time: the CPU the server process spent (utime +
stime from /proc/PID/stat, per run) and its peak resident memory during
the runs (VmHWM from /proc/PID/status after writing 5 to
/proc/PID/clear_refs, which resets it), and the answer's size.

Then the loop claim: /metrics of mmwatch is scraped SCRAPES times, paced,
idle and again while 8 client processes send the heaviest query
(sum by (job) (rate(...[5m])) and quantile(0.9, rate(...[5m])) over
the hour) back to back; p50, p99 and max of the scrape's wall time, and how
many queries the clients got answered. mmwatch runs with
--query-max-concurrency 8 so all eight are evaluated at once.

  python3 tools/bench/query.py --build build-bench [--quick]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "blackbox"))
from test_history import bits, snappy_literal, write_request  # noqa: E402

STEP_MS = 15_000
QUERIES = [
    "bench_requests_total",
    "rate(bench_requests_total[5m])",
    "sum by (job) (rate(bench_requests_total[5m]))",
    "histogram_quantile(0.99, sum by (le) (rate(bench_latency_seconds_bucket[5m])))",
]
# CPU-heavy, small answers (a 50 MB answer measures the clients' reading).
HEAVY = ["sum by (job) (rate(bench_requests_total[5m]))", "quantile(0.9, rate(bench_requests_total[5m]))"]
LES = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "+Inf"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def series_labels(quick):
    instances = 100 if quick else 1000
    out = []
    for j in range(10):
        for i in range(instances):
            out.append({"__name__": "bench_requests_total", "job": "job%d" % j, "instance": "i%d" % i})
    for h in range(10 if quick else 100):
        for le in LES:
            out.append({"__name__": "bench_latency_seconds_bucket", "job": "job%d" % (h % 10),
                        "instance": "i%d" % h, "le": le})
    return out


def value(k, labels, i):
    """Deterministic counter values; buckets cumulative in le."""
    if "le" in labels:
        rank = LES.index(labels["le"]) + 1
        return float((i * 7 + k) * rank)
    return float(i * (k % 13 + 1) + k)


def send_all(ports, t0, minutes, series):
    """One request per minute of every series, to every port."""
    per = 60_000 // STEP_MS
    for m in range(minutes):
        body = snappy_literal(write_request(
            [(ls, [(t0 + (m * per + s) * STEP_MS + 250, bits(value(k, ls, m * per + s))) for s in range(per)])
             for k, ls in enumerate(series)]))
        for port in ports:
            req = urllib.request.Request("http://127.0.0.1:%d/api/v1/write" % port, data=body, method="POST")
            req.add_header("Content-Type", "application/x-protobuf")
            req.add_header("Content-Encoding", "snappy")
            req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
            with urllib.request.urlopen(req, timeout=120) as r:
                assert r.status == 204, r.status


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def reset_peak(pid):
    with open("/proc/%d/clear_refs" % pid, "w") as f:
        f.write("5")


def ask(port, path, params, timeout=600):
    url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(params))
    with urllib.request.urlopen(url, timeout=timeout) as r:
        body = r.read()
    doc = json.loads(body)
    assert doc["status"] == "success", doc
    return body, doc


def measure(name, pid, port, path, params, runs):
    reset_peak(pid)
    base_rss = rss_kib(pid)
    cpu, wall, size, series = [], [], 0, 0
    for _ in range(runs):
        c0, w0 = cpu_ticks(pid), time.monotonic()
        body, doc = ask(port, path, params)
        wall.append(time.monotonic() - w0)
        cpu.append((cpu_ticks(pid) - c0) * 1000 / os.sysconf("SC_CLK_TCK"))
        size, series = len(body), len(doc["data"]["result"])
    return {"server": name, "cpu_ms": statistics.median(cpu), "wall_ms": statistics.median(wall) * 1000,
            "rss_mib": base_rss / 1024, "peak_mib": peak_kib(pid) / 1024, "bytes": size, "series": series}


CLIENT = r"""
import sys, time, urllib.request, urllib.error
url, stop = sys.argv[1], float(sys.argv[2])
ok = refused = 0
while time.time() < stop:
    try:
        with urllib.request.urlopen(url, timeout=600) as r:
            r.read()
            ok += 1
    except Exception:
        refused += 1
print(ok, refused)
"""


def scrape_latency(port, n, pace_s, probe=None, pid=0):
    if probe:  # the C client: one HTTP/1.0 connection a scrape, nothing else
        out = subprocess.run([probe, "scrape", "--port", str(port), "--pid", str(pid), "--n", str(n),
                              "--pace-ms", str(int(pace_s * 1000))], capture_output=True, text=True, check=False)
        r = json.loads(out.stdout)
        return {"p50": r["median_ms"], "p99": r["p99_ms"], "max": r["max_ms"]}
    out = []
    for _ in range(n):
        t = time.monotonic()
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=60) as r:
            r.read()
        out.append((time.monotonic() - t) * 1000)
        time.sleep(pace_s)
    out.sort()
    return {"p50": out[len(out) // 2], "p99": out[min(len(out) - 1, int(len(out) * 0.99))], "max": out[-1]}


def loop_figures(port):
    """mmwatch's loop self-metrics: cumulative bucket counts of the loop
    turn histogram and of each kind of query API work."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=60) as r:
        text = r.read().decode()
    out = {"max_ms": {}}
    for m in re.finditer(r'^(mmwatch_loop_turn_max_seconds|mmwatch_api_work_cpu_max_seconds)(?:\{work="(\w+)"\})? (\S+)$',
                         text, re.M):
        out["max_ms"][m.group(2) or "turn"] = round(float(m.group(3)) * 1000, 2)
    for m in re.finditer(r'^(mmwatch_loop_turn_seconds|mmwatch_loop_turn_cpu_seconds|mmwatch_api_work_cpu_seconds)_bucket\{(?:work="(\w+)",)?'
                         r'le="([^"]+)"\} (\S+)$', text, re.M):
        kind = m.group(2) or ("turn_cpu" if "cpu" in m.group(1) else "turn")
        out.setdefault(kind, {})[m.group(3)] = float(m.group(4))
    return out


def sched(pid):
    """The process's main thread: on-CPU and runqueue wait, ns."""
    with open("/proc/%d/schedstat" % pid) as f:
        run, wait, _ = f.read().split()
    return int(run), int(wait)


def loop_report(before, after, s0, s1, seconds):
    """Per kind, how many callbacks held the loop longer than 1/2/5/10/20/50 ms
    meanwhile; and the share of the time mmwatch ran and waited to run."""
    out = {"max_ms_since_start": after["max_ms"]}
    for kind, b in after.items():
        if kind == "max_ms":
            continue
        total = b["+Inf"] - before.get(kind, {}).get("+Inf", 0)
        over = {le: int(total - (b[le] - before.get(kind, {}).get(le, 0))) for le in ("0.001", "0.002", "0.005", "0.01", "0.02", "0.05")}
        out[kind] = {"n": int(total), "over_ms": {str(float(le) * 1000).rstrip("0").rstrip("."): v for le, v in over.items()}}
    out["sched"] = {"on_cpu": round((s1[0] - s0[0]) / 1e9 / seconds, 3),
                    "runqueue_wait": round((s1[1] - s0[1]) / 1e9 / seconds, 3)}
    return out


def under_load(port, t0, t1, n, pace_s, probe=None, pid=0, mm_pid=0):
    stop = time.time() + n * (pace_s + 0.01) + 30
    procs = []
    for c in range(8):
        q = HEAVY[c % len(HEAVY)]
        url = "http://127.0.0.1:%d/api/v1/query_range?%s" % (port, urllib.parse.urlencode(
            {"query": q, "start": t0 / 1000, "end": t1 / 1000, "step": "15s"}))
        procs.append(subprocess.Popen([sys.executable, "-c", CLIENT, url, str(stop)], stdout=subprocess.PIPE,
                                      text=True))
    time.sleep(2)  # every client has a query running
    if mm_pid:
        before, s0, w0 = loop_figures(port), sched(mm_pid), time.monotonic()
    lat = scrape_latency(port, n, pace_s, probe, pid)
    if mm_pid:
        lat["loop"] = loop_report(before, loop_figures(port), s0, sched(mm_pid), time.monotonic() - w0)
    done = [p.communicate(timeout=900)[0].split() for p in procs]
    lat["queries_answered"] = sum(int(d[0]) for d in done)
    lat["queries_failed"] = sum(int(d[1]) for d in done)
    return lat


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true", help="1,000 series, fewer runs")
    ap.add_argument("--scrapes-only", action="store_true", help="only the scrape latency under load")
    ap.add_argument("--probe", action="store_true", help="scrape with the C client (scrape_probe), not Python")
    args = ap.parse_args()
    runs, scrapes = (2, 100) if args.quick else (5, 400)
    work = tempfile.mkdtemp(prefix="mmwatch-query-bench-")
    mm_port, prom_port = free_port(), free_port()
    mm = subprocess.Popen([os.path.join(args.build, "src", "mmwatch"), "--dir", work, "--listen",
                           "127.0.0.1:%d" % mm_port, "--query-max-concurrency", "8", "--max-body-bytes", "64Mi",
                           "--history-bytes", "256Mi"],
                          stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    mm.stderr.readline()
    cfg = os.path.join(work, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: 1h\n")
    prom = subprocess.Popen(["prometheus", "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "p"),
                             "--web.listen-address=127.0.0.1:%d" % prom_port, "--web.enable-remote-write-receiver",
                             "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                ask(prom_port, "status/buildinfo", {}, timeout=1)
                break
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        series = series_labels(args.quick)
        t1 = (int(time.time()) // 60 - 2) * 60_000
        t0 = t1 - 60 * 60_000
        w0 = time.monotonic()
        send_all([mm_port, prom_port], t0 - 5 * 60_000, 65, series)
        print("loaded %d series x %d samples into both in %.0f s" % (len(series), 65 * 4, time.monotonic() - w0))
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % mm_port) as r:
            evicted = [l for l in r.read().decode().splitlines() if l.startswith("mmwatch_history_evicted_total")]
        print("mmwatch history evictions (must be 0):", " ".join(l.rsplit(" ", 1)[1] for l in evicted))
        rows = []
        for q in ([] if args.scrapes_only else QUERIES):
            params = {"query": q, "start": t0 / 1000, "end": t1 / 1000, "step": "15s"}
            for name, pid, port in (("mmwatch", mm.pid, mm_port), ("prometheus", prom.pid, prom_port)):
                rows.append({"query": q + " (range 1h/15s)", **measure(name, pid, port, "query_range", params, runs)})
            if q == QUERIES[0]:
                for name, pid, port in (("mmwatch", mm.pid, mm_port), ("prometheus", prom.pid, prom_port)):
                    rows.append({"query": q + " (instant)", **measure(name, pid, port, "query",
                                                                      {"query": q, "time": t1 / 1000}, runs)})
        for r in rows:
            print(json.dumps(r))
        probe = os.path.join(args.build, "bench", "scrape_probe") if args.probe else None
        for name, pid, port in (("mmwatch", mm.pid, mm_port), ("prometheus", prom.pid, prom_port)):
            mm_pid = mm.pid if name == "mmwatch" else 0
            if mm_pid:
                before, s0, w0 = loop_figures(port), sched(mm_pid), time.monotonic()
            idle = scrape_latency(port, scrapes, 0.02, probe, pid)
            if mm_pid:
                idle["loop"] = loop_report(before, loop_figures(port), s0, sched(mm_pid), time.monotonic() - w0)
            loaded = under_load(port, t0, t1, scrapes, 0.02, probe, pid, mm_pid)
            print(json.dumps({"server": name, "scrape_idle_ms": idle, "scrape_under_8_heavy_queries_ms": loaded}))
    finally:
        for p in (mm, prom):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
