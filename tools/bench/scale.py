#!/usr/bin/env python3
"""Scrape cost at scale: mmwatch and node_exporter's textfile collector on
the same series, the floor, and change latency. Driven by tools/bench/run.sh,
which builds everything first; see docs/benchmarks.md for the method.

    scale.py --build build-bench --out docs [--quick]

Writes OUT/benchmarks/scale-results.json, OUT/benchmarks/scale.png and the
section between the scale markers in OUT/benchmarks.md. Reports numbers,
never pass/fail.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

INTERVAL_MS = 100   # mmwatch --interval during the scrape phases
PACE_MS = 120       # sleep between "fresh" scrapes: each finds a new snapshot
IDLE_S = 2          # idle baseline for the CPU figures
WRK_S = 10

# name, workload spec (files,metrics[,histograms,g,m]), fresh scrapes
WORKLOADS = [
    ("1 x 100", "1,100", 100),
    ("10 x 1,000", "10,1000", 100),
    ("100 x 1,000", "100,1000", 50),
    ("10 x 20 hist (g=4, m=40)", "10,0,20,4,40", 50),
]

procs = []


def log(*a):
    print("[scale]", *a, file=sys.stderr, flush=True)


def start(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in procs:
        procs.remove(p)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path="/metrics", timeout=30):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


def wait_http(port, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        try:
            get(port, timeout=5)
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no answer on port %d" % port)


def ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])  # utime, stime (fields 14 and 15)


def memory(pid):
    """Resident memory from smaps_rollup, in bytes."""
    kb = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                kb[m.group(1)] = int(m.group(2)) * 1024
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                kb["VmHWM"] = int(line.split()[1]) * 1024
    return {
        "rss": kb["Rss"],
        "peak_rss": kb["VmHWM"],
        "private": kb["Private_Clean"] + kb["Private_Dirty"],
        "shared": kb["Shared_Clean"] + kb["Shared_Dirty"],
        "anonymous": kb["Anonymous"],
        "file_backed": kb["Rss"] - kb["Anonymous"],
    }


def self_metric(body, name):
    """The metric summed over its label sets (-1 when absent)."""
    found = re.findall(r"^%s(?:\{[^}]*\})? (\d+)$" % re.escape(name), body, re.M)
    return sum(int(v) for v in found) if found else -1


def run_probe(build, *args):
    out = subprocess.run([os.path.join(build, "bench", "scrape_probe"), *args], check=False,
                         capture_output=True, text=True, timeout=600)
    if not out.stdout.strip():
        raise RuntimeError("scrape_probe failed: " + out.stderr)
    return json.loads(out.stdout)


def wrk(port):
    out = subprocess.run(["wrk", "-t2", "-c4", "-d%ds" % WRK_S, "--timeout", "30s",
                          "http://127.0.0.1:%d/metrics" % port],
                         capture_output=True, text=True, timeout=WRK_S + 60).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    reqs = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
    return {"requests_per_s": float(rps.group(1)) if rps else 0.0,
            "requests": int(reqs.group(1)) if reqs else 0,
            "errors": errors.group(0) if errors else ""}


def cpu_per_scrape(s, idle_rate):
    """The server's CPU time per scrape: its utime+stime over the loop, less
    what it would have used idle over the same wall time; one clock tick
    (10 ms) divided by the scrape count is the resolution."""
    hz = s["ticks_per_s"]
    s["cpu_ms_per_scrape"] = max(0.0, s["cpu_ticks"] - idle_rate * s["wall_s"]) / s["n"] / hz * 1000
    s["cpu_resolution_ms"] = 1000.0 / hz / s["n"]
    return s


def renders(port):
    time.sleep(0.3)
    body = get(port)
    return self_metric(body, "mmwatch_renders_total"), self_metric(body, "mmwatch_scrapes_total")


def measure(build, pid, port, fresh_n, pace_ms, is_mmwatch):
    """The figures common to both observers, for a running server: idle
    baseline, paced sequential scrapes, memory after them."""
    for _ in range(3):
        get(port)  # warm up
    t0 = ticks(pid)
    time.sleep(IDLE_S)
    idle_rate = (ticks(pid) - t0) / IDLE_S
    r = {"idle_ticks_per_s": idle_rate}
    before = renders(port) if is_mmwatch else (0, 0)
    s = run_probe(build, "scrape", "--port", str(port), "--pid", str(pid), "--n", str(fresh_n),
                  "--pace-ms", str(pace_ms))
    r["fresh"] = cpu_per_scrape(s, idle_rate)
    if is_mmwatch:
        # Each read of the counters is itself a scrape that renders: both
        # deltas include the second read.
        after = renders(port)
        r["fresh_renders"], r["fresh_scrapes"] = after[0] - before[0], after[1] - before[1]
    r["memory"] = memory(pid)
    return r


def start_mmwatch(build, d):
    port = free_port()
    mm = start([os.path.join(build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port,
                "--interval", "%dms" % INTERVAL_MS], stdout=subprocess.DEVNULL)
    wait_http(port)
    return mm, port


def phase_mmwatch(build, tmp, name, spec, fresh_n):
    d = os.path.join(tmp, "rezl")
    os.makedirs(d)
    prod = start([os.path.join(build, "bench", "scale_producer"), "--dir", d, "--workload", spec,
                  "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
    assert prod.stdout.readline().strip() == "ready"
    pc0, pt0 = ticks(prod.pid), time.time()
    mm, port = start_mmwatch(build, d)
    r = measure(build, mm.pid, port, fresh_n, PACE_MS, True)
    body = get(port)
    r["series"] = len(re.findall(r"^bench_\S+ ", body, re.M))
    # Back to back: most scrapes share the body rendered for the snapshot.
    b = run_probe(build, "scrape", "--port", str(port), "--pid", str(mm.pid), "--n", "300")
    r["back_to_back"] = cpu_per_scrape(b, r["idle_ticks_per_s"])
    r["wrk"] = wrk(port)
    r["memory"]["peak_rss"] = memory(mm.pid)["peak_rss"]  # concurrent scrapers included
    fl = subprocess.run([os.path.join(build, "bench", "floor"), "--dir", d, "--workload", spec,
                         "--seconds", "2"], capture_output=True, text=True, check=True)
    r["floor"] = json.loads(fl.stdout)
    r["producer_cpu_pct"] = 100.0 * (ticks(prod.pid) - pc0) / os.sysconf("SC_CLK_TCK") / (time.time() - pt0)
    stop(mm)
    stop(prod)
    return r


def phase_node_exporter(build, tmp, name, spec, fresh_n):
    d = os.path.join(tmp, "prom")
    os.makedirs(d)
    prod = start([os.path.join(build, "bench", "scale_producer"), "--dir", d, "--workload", spec,
                  "--format", "prom", "--rate", "10", "--rewrite-ms", "1000"], stdout=subprocess.PIPE, text=True)
    assert prod.stdout.readline().strip() == "ready"
    pc0, pt0 = ticks(prod.pid), time.time()
    port = free_port()
    ne = start(["prometheus-node-exporter", "--web.listen-address=127.0.0.1:%d" % port,
                "--collector.disable-defaults", "--collector.textfile",
                "--collector.textfile.directory=" + d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port)
    r = measure(build, ne.pid, port, fresh_n, PACE_MS, False)
    body = get(port)
    r["series"] = len(re.findall(r"^bench_\S+ ", body, re.M))
    r["scrape_error"] = self_metric(body, "node_textfile_scrape_error")
    r["wrk"] = wrk(port)
    r["memory"]["peak_rss"] = memory(ne.pid)["peak_rss"]  # concurrent scrapers included
    r["producer_cpu_pct"] = 100.0 * (ticks(prod.pid) - pc0) / os.sysconf("SC_CLK_TCK") / (time.time() - pt0)
    stop(ne)
    stop(prod)
    return r


def phase_latency(build, tmp, trials):
    d = os.path.join(tmp, "latency")
    os.makedirs(d)
    prod = start([os.path.join(build, "bench", "scale_producer"), "--dir", d, "--workload", "10,1000",
                  "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
    assert prod.stdout.readline().strip() == "ready"
    mm, port = start_mmwatch(build, d)
    r = run_probe(build, "latency", "--port", str(port), "--dir", d, "--trials", str(trials),
                  "--interval-ms", str(INTERVAL_MS))
    r["interval_ms"] = INTERVAL_MS
    r["background"] = "10 x 1,000"
    stop(mm)
    stop(prod)
    return r


def phase_profile(build, tmp, outdir):
    """callgrind over the largest workload: renders + scrapes, then the top
    functions by inclusive and self cost."""
    d = os.path.join(tmp, "profile")
    os.makedirs(d)
    prod = start([os.path.join(build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                  "--format", "rezl", "--rate", "10"], stdout=subprocess.PIPE, text=True)
    assert prod.stdout.readline().strip() == "ready"
    cg_out = os.path.join(tmp, "callgrind.out")
    port = free_port()
    mm = start(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg_out,
                os.path.join(build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port,
                "--interval", "%dms" % INTERVAL_MS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, 120)
    scrapes = 12
    for _ in range(scrapes):
        get(port, timeout=120)
        time.sleep(0.25)  # under callgrind a tick is slow; let each scrape render anew
    stop(mm)
    stop(prod)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=no", cg_out], capture_output=True, text=True).stdout
    incl = subprocess.run(["callgrind_annotate", "--inclusive=yes", cg_out], capture_output=True, text=True).stdout
    with open(os.path.join(outdir, "scale-callgrind.txt"), "w") as f:
        f.write("# callgrind_annotate, self cost (largest workload, %d scrapes)\n" % scrapes)
        f.write("\n".join(ann.splitlines()[:60]) + "\n\n# inclusive cost\n")
        f.write("\n".join(incl.splitlines()[:60]) + "\n")
    return {"scrapes": scrapes, "self_top": top_lines(ann), "inclusive_top": top_lines(incl)}


def top_lines(ann, n=12):
    rows = []
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            rows.append({"ir": int(m.group(1).replace(",", "")), "pct": float(m.group(2)),
                         "fn": m.group(3).strip()})
    return rows[:n]


def machine():
    def sh(cmd):
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    return {
        "cpu": sh("lscpu | sed -n 's/^Model name: *//p'"),
        "cpus": os.cpu_count(),
        "memory": sh("free -h | awk '/^Mem:/{print $2}'"),
        "kernel": os.uname().release,
        "hypervisor": sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'"),
        "node_exporter": sh("prometheus-node-exporter --version 2>&1 | head -1"),
        "compiler": sh("${CXX:-c++} --version | head -1"),
        "wrk": sh("wrk --version 2>&1 | head -1 | cut -d' ' -f1-2"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True, help="the docs directory")
    ap.add_argument("--quick", action="store_true", help="fewer scrapes, no profile (for trying the script)")
    ap.add_argument("--no-profile", action="store_true")
    a = ap.parse_args()
    global WRK_S
    workloads = WORKLOADS
    if a.quick:
        WRK_S = 2
        workloads = [(n, s, 10) for n, s, _ in WORKLOADS]
    outdir = os.path.join(a.out, "benchmarks")
    os.makedirs(outdir, exist_ok=True)
    res = {"machine": machine(), "load_start": loadavg(), "interval_ms": INTERVAL_MS, "pace_ms": PACE_MS,
           "idle_s": IDLE_S, "wrk_s": WRK_S, "workloads": []}
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="mmwatch-scale-")
    try:
        for name, spec, fresh_n in workloads:
            log("workload", name, "load", loadavg())
            w = {"name": name, "spec": spec}
            os.makedirs(os.path.join(tmp, spec))
            w["mmwatch"] = phase_mmwatch(a.build, os.path.join(tmp, spec), name, spec, fresh_n)
            log("  mmwatch fresh median %.2f ms" % w["mmwatch"]["fresh"]["median_ms"])
            w["node_exporter"] = phase_node_exporter(a.build, os.path.join(tmp, spec), name, spec, fresh_n)
            log("  node_exporter median %.2f ms" % w["node_exporter"]["fresh"]["median_ms"])
            res["workloads"].append(w)
        log("latency")
        res["latency"] = phase_latency(a.build, tmp, 10 if a.quick else 40)
        if not (a.quick or a.no_profile):
            log("profile (callgrind)")
            res["profile"] = phase_profile(a.build, tmp, outdir)
    finally:
        for p in list(procs):
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)
    res["load_end"] = loadavg()
    res["seconds"] = round(time.time() - started, 1)
    with open(os.path.join(outdir, "scale-results.json"), "w") as f:
        json.dump(res, f, indent=1)
    import scale_report
    scale_report.write(res, a.out)
    log("done in %.0f s" % res["seconds"])


if __name__ == "__main__":
    main()
