#!/usr/bin/env python3
"""remote_write cost (docs/benchmarks.md, "remote_write"). Two parts:

1. The same series pushed to one VictoriaMetrics, side by side in one run
   on the same files, by: mmwatch itself (--remote-write), once with the
   history store at its defaults and once with it idle (--history-bytes
   1Mi --history-interval 1h: nothing sampled into it during the run);
   Prometheus in agent mode and vmagent, each scraping a second mmwatch
   at the same interval and remote-writing the result. Two workloads, one
   run each: 100,000 series every 5 s and 10,000 series every 1 s. For
   each pusher: CPU seconds per push, steady (median) and peak RSS sampled
   every 100 ms, bytes on the wire per sample (one window, nothing else
   asked of anyone); then, in a stall window per mmwatch (half the
   window's length unless --stall-seconds), the answers of a /-/healthy
   probe every 10 ms (a keep-alive client in its own process): the
   longest, the 99th percentile, how many took over 10 ms. Only what that
   mmwatch needs runs then (the producer, the receiver, it and the probe:
   the agents and the mmwatch they scrape are stopped, the other pusher
   paused), and beside the probe's numbers: the loop turns over 10 ms
   mmwatch counted itself meanwhile (mmwatch_loop_turn_seconds, and of
   CPU, mmwatch_loop_turn_cpu_seconds; one of
   them may be the /metrics render that took the first reading, given
   apart), its longest turn and longest history step since start, and
   how long its loop thread waited for a CPU (/proc schedstat). Apart, so
   that answering the probe (100 requests a second, which the agents are
   not sent) is not counted as mmwatch's push CPU.
2. A small fleet: 20 mmwatch instances (1,000 series each) pushing every
   5 s to one VictoriaMetrics: the receiver's ingest rate and each
   instance's CPU and memory.

Prints numbers, never pass/fail.
  tools/bench/push.sh [--quick] [--no-fleet] [--workload both|100k|10k] [--stall-seconds N]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import scale
from scale import free_port, start, stop, ticks, wait_http

HZ = os.sysconf("SC_CLK_TCK")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
VMAGENT = shutil.which("vmagent") or "/usr/bin/vmagent"


def rss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def metric(port, name):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        body = r.read().decode()
    return sum(float(v) for v in re.findall(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), body, re.M))


def victoria(tmp):
    port = free_port()
    vm = start([VICTORIA, "-httpListenAddr=127.0.0.1:%d" % port, "-storageDataPath=" + os.path.join(tmp, "vm"),
                "-loggerLevel=ERROR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, 30)
    return vm, port


def mmwatch(build, d, *args):
    port = free_port()
    mm = start([os.path.join(build, "src", "mmwatch"), "--dir", d, "--listen", "127.0.0.1:%d" % port, *args],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port)
    return mm, port


PROBE = r"""
import http.client, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
took = []
end = time.monotonic() + seconds
while time.monotonic() < end:
    t = time.monotonic()
    c.request("GET", "/-/healthy")
    c.getresponse().read()
    took.append(time.monotonic() - t)
    time.sleep(max(0.0, 0.010 - took[-1]))
took.sort()
print(took[-1] * 1000, len(took), sum(x > 0.010 for x in took), took[len(took) * 99 // 100] * 1000)
"""


def probe(port, seconds):
    return subprocess.Popen([sys.executable, "-c", PROBE, str(port), str(seconds)], stdout=subprocess.PIPE, text=True)


def turns(port):
    """mmwatch's loop turns so far: per bucket of mmwatch_loop_turn_seconds
    (not cumulative, by upper bound), and its gauges of the longest turn and
    the history keeper's longest step."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30) as r:
        body = r.read().decode()
    def buckets(family):
        cum = [(float(le), float(v)) for le, v in
               re.findall(r'^%s_bucket\{le="([^"]+)"\} (\S+)$' % family, body, re.M)]
        out, prev = {}, 0.0
        for le, v in cum:
            out[le] = v - prev
            prev = v
        return out
    gauge = lambda name: float((re.findall(r"^%s (\S+)$" % name, body, re.M) or ["0"])[0]) * 1000
    return ({"wall": buckets("mmwatch_loop_turn_seconds"), "cpu": buckets("mmwatch_loop_turn_cpu_seconds")},
            gauge("mmwatch_loop_turn_max_seconds"), gauge("mmwatch_history_longest_step_seconds"))


def run_delay_ns(pid):
    """Time the loop's thread (the main one) waited for a CPU so far: the
    second field of /proc/<pid>/task/<pid>/schedstat."""
    with open("/proc/%d/task/%d/schedstat" % (pid, pid)) as f:
        return int(f.read().split()[1])


def over_10ms(buckets):
    return int(sum(n for le, n in buckets.items() if le > 0.010))


def stall(proc, port, seconds):
    """The stall window of one mmwatch: the probe's answers (longest, p99,
    how many over 10 ms), the loop turns over 10 ms mmwatch itself counted
    meanwhile (wall time, and the thread's CPU time in the turn), and how
    long its loop thread waited for a CPU."""
    b0, _, _ = turns(port)
    b1, _, _ = turns(port)  # b1 - b0: the one turn that rendered /metrics for b0
    d0 = run_delay_ns(proc.pid)
    pr = probe(port, seconds)
    worst, n, over, p99 = pr.communicate()[0].split()
    d1 = run_delay_ns(proc.pid)
    b2, turn_max, step_max = turns(port)
    window = {k: {le: b2[k][le] - b1[k][le] for le in b2[k]} for k in b2}
    render = {k: {le: b1[k][le] - b0[k][le] for le in b1[k]} for k in b1}
    top = max((le for le, n in window["wall"].items() if n > 0), default=0)
    return {"longest_stall_ms": round(float(worst), 1), "p99_ms": round(float(p99), 1), "probes": int(n),
            "probes_over_10ms": int(over), "turns_over_10ms": over_10ms(window["wall"]),
            "of_which_metrics_read": over_10ms(render["wall"]), "longest_turn_bucket_le_s": top,
            "turns_over_10ms_of_cpu": over_10ms(window["cpu"]),
            "turns_over_5ms_of_cpu": int(sum(n for le, n in window["cpu"].items() if le > 0.005)),
            "loop_turn_max_ms_since_start": round(turn_max, 1),
            "history_longest_step_ms_since_start": round(step_max, 2),
            "run_delay_ms_per_s": round((d1 - d0) / 1e6 / seconds, 1)}


def vmagent(tmp, name, cfg, write):
    port = free_port()
    p = start([VMAGENT, "-promscrape.config=" + cfg, "-remoteWrite.url=" + write,
               "-remoteWrite.tmpDataPath=" + os.path.join(tmp, name), "-httpListenAddr=127.0.0.1:%d" % port,
               "-loggerLevel=ERROR"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, 30)
    return p, port


def agent(tmp, name, cfg):
    port = free_port()
    p = start([PROMETHEUS, "--enable-feature=agent", "--config.file=" + cfg,
               "--storage.agent.path=" + os.path.join(tmp, name), "--web.listen-address=127.0.0.1:%d" % port,
               "--log.level=warn"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, 30)
    return p, port


def scrape_config(tmp, name, target, interval_s, write=None):
    cfg = os.path.join(tmp, name + ".yml")
    with open(cfg, "w") as f:
        f.write("global:\n  scrape_interval: %ds\n  scrape_timeout: %ds\nscrape_configs:\n"
                "  - job_name: %s\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                % (interval_s, interval_s, name, target))
        if write:
            f.write("remote_write:\n  - url: %s\n" % write)
    return cfg


def compare(build, tmp, write, files, per_file, interval_s, window, stall_s):
    """One workload, every pusher side by side; returns one JSON-able dict."""
    d = os.path.join(tmp, "rezl-%d-%d" % (files * per_file, interval_s))
    os.makedirs(d)
    prod = start([os.path.join(build, "bench", "scale_producer"), "--dir", d, "--workload",
                  "%d,%d" % (files, per_file), "--format", "rezl", "--rate", "1"], stdout=subprocess.PIPE, text=True)
    assert prod.stdout.readline().strip() == "ready"
    every = "%ds" % interval_s
    procs = {}
    procs["mmwatch"] = mmwatch(build, d, "--remote-write", write, "--remote-write-interval", every,
                               "--remote-write-job", "push")
    procs["mmwatch_history_idle"] = mmwatch(build, d, "--remote-write", write, "--remote-write-interval", every,
                                            "--remote-write-job", "push-idle", "--history-bytes", "1Mi",
                                            "--history-interval", "1h")
    # Scraped by the agent and vmagent (its serving cost is part of that approach).
    procs["scraped_mmwatch"] = mmwatch(build, d)
    target = procs["scraped_mmwatch"][1]
    procs["prometheus_agent"] = agent(tmp, "agent-%d" % interval_s,
                                      scrape_config(tmp, "agent-%d" % interval_s, target, interval_s, write))
    procs["vmagent"] = vmagent(tmp, "vmagent-%d" % interval_s,
                               scrape_config(tmp, "vmagent-%d" % interval_s, target, interval_s), write)
    time.sleep(max(15, 3 * interval_s))  # warm up: all have pushed a few times
    pushers = ("mmwatch", "mmwatch_history_idle")
    in0 = {k: metric(procs[k][1], "mmwatch_remote_write_samples_in_total") for k in pushers}
    sent0 = {k: metric(procs[k][1], "mmwatch_remote_write_samples_sent_total") for k in pushers}
    bytes0 = {k: metric(procs[k][1], "mmwatch_remote_write_bytes_sent_total") for k in pushers}
    wire0 = wire(procs)
    t0 = {k: ticks(p.pid) for k, (p, _) in procs.items()}
    rss_seen = {k: [] for k in procs}
    end = time.monotonic() + window
    while time.monotonic() < end:
        for k, (p, _) in procs.items():
            rss_seen[k].append(rss(p.pid))
        time.sleep(0.1)
    cpu = {k: (ticks(p.pid) - t0[k]) / HZ for k, (p, _) in procs.items()}
    wire1 = wire(procs)
    pushes = window / interval_s
    out = {"series": files * per_file, "interval_s": interval_s, "window_s": window, "stall_window_s": stall_s}
    for k in procs:
        seen = sorted(rss_seen[k])
        out[k] = {"cpu_s_per_push": round(cpu[k] / pushes, 4), "steady_rss_mib": round(seen[len(seen) // 2] / 2**20, 1),
                  "peak_rss_mib": round(seen[-1] / 2**20, 1)}
    for k in pushers:
        sent = metric(procs[k][1], "mmwatch_remote_write_samples_sent_total") - sent0[k]
        nbytes = metric(procs[k][1], "mmwatch_remote_write_bytes_sent_total") - bytes0[k]
        pushed = metric(procs[k][1], "mmwatch_remote_write_samples_in_total") - in0[k]
        out[k].update({"samples_per_push": round(pushed / pushes), "bytes_per_sample": round(nbytes / sent, 2) if sent else 0,
                       "working_peak_mib": round(metric(procs[k][1], "mmwatch_remote_write_working_peak_bytes") / 2**20, 2)})
    for k in ("prometheus_agent", "vmagent"):
        samples, nbytes = wire1[k][0] - wire0[k][0], wire1[k][1] - wire0[k][1]
        out[k].update({"samples_per_push": round(samples / pushes),
                       "bytes_per_sample": round(nbytes / samples, 2) if samples else 0})
    # The stall, in its own window per mmwatch: only what it needs runs (the
    # producer, the receiver, that mmwatch and the probe): the agents and
    # the mmwatch they scrape are stopped, the other pusher paused
    # (SIGSTOP) and then stopped before the second window.
    for k in ("prometheus_agent", "vmagent", "scraped_mmwatch"):
        stop(procs.pop(k)[0])
    first, second = procs["mmwatch_history_idle"], procs["mmwatch"]
    second[0].send_signal(signal.SIGSTOP)
    try:
        out["mmwatch_history_idle"].update(stall(*first, stall_s))
    finally:
        second[0].send_signal(signal.SIGCONT)
    stop(procs.pop("mmwatch_history_idle")[0])
    time.sleep(2 * interval_s)  # the paused one catches up on its ticks first
    out["mmwatch"].update(stall(*second, stall_s))
    for p, _ in procs.values():
        stop(p)
    stop(prod)
    return out


def wire(procs):
    """(samples, compressed bytes) each peer has sent so far, from its own metrics."""
    a, v = procs["prometheus_agent"][1], procs["vmagent"][1]
    return {"prometheus_agent": (metric(a, "prometheus_remote_storage_samples_total"),
                                 metric(a, "prometheus_remote_storage_bytes_total")),
            "vmagent": (metric(v, "vmagent_remotewrite_block_size_rows_sum"),
                        metric(v, "vmagent_remotewrite_bytes_sent_total"))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-fleet", action="store_true")
    ap.add_argument("--workload", choices=("both", "100k", "10k"), default="both",
                    help="one of the two comparisons only (each is about 3.5 minutes)")
    ap.add_argument("--stall-seconds", type=int, help="each mmwatch's stall window (default: half the window)")
    args = ap.parse_args()
    window = 30 if args.quick else 120
    stall_s = args.stall_seconds or window // 2
    with tempfile.TemporaryDirectory(prefix="mmwatch-push-") as tmp:
        vm, vm_port = victoria(tmp)
        write = "http://127.0.0.1:%d/api/v1/write" % vm_port
        if args.workload in ("both", "100k"):
            print(json.dumps(compare(args.build, tmp, write, 100, 1000, 5, window, stall_s)), flush=True)
        if args.workload in ("both", "10k"):
            print(json.dumps(compare(args.build, tmp, write, 10, 1000, 1, window, stall_s)), flush=True)
        if args.no_fleet:
            stop(vm)
            return

        # The fleet.
        fleet = []
        rows0 = metric(vm_port, "vm_rows_inserted_total")
        for i in range(20):
            fd = os.path.join(tmp, "fleet-%d" % i)
            os.makedirs(fd)
            fleet.append(start([os.path.join(args.build, "bench", "scale_producer"), "--dir", fd, "--workload",
                                "10,100", "--format", "rezl", "--rate", "1"], stdout=subprocess.PIPE, text=True))
            fleet[-1].stdout.readline()
            fleet.append(mmwatch(args.build, fd, "--remote-write", write, "--remote-write-interval", "5s",
                                 "--remote-write-instance", "edge-%02d" % i)[0])
        time.sleep(10)
        instances = fleet[1::2]
        t0 = {p.pid: ticks(p.pid) for p in instances}
        vm_t0 = ticks(vm.pid)
        rows0 = metric(vm_port, "vm_rows_inserted_total")
        time.sleep(window)
        rows = metric(vm_port, "vm_rows_inserted_total") - rows0
        per_cpu = [(ticks(p.pid) - t0[p.pid]) / HZ / window for p in instances]
        part2 = {
            "instances": len(instances),
            "receiver_rows_per_s": rows / window,
            "receiver_cpu_share": (ticks(vm.pid) - vm_t0) / HZ / window,
            "receiver_rss": rss(vm.pid),
            "instance_cpu_share_mean": sum(per_cpu) / len(per_cpu),
            "instance_cpu_share_max": max(per_cpu),
            "instance_rss_mean": sum(rss(p.pid) for p in instances) / len(instances),
        }
        print(json.dumps(part2), flush=True)
        for p in fleet:
            stop(p)
        stop(vm)


if __name__ == "__main__":
    try:
        main()
    finally:  # nothing left running, whatever failed
        for p in list(scale.procs):
            stop(p)
