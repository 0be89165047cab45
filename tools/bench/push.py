#!/usr/bin/env python3
"""remote_write cost (docs/benchmarks.md, "remote_write"). Two parts:

1. 100,000 series (100 files of 1,000) pushed every 5 s to one
   VictoriaMetrics, by mmwatch itself (--remote-write), and, in the same
   run on the same files, by Prometheus in agent mode scraping a second
   mmwatch every 5 s and remote-writing to the same receiver: CPU seconds
   per push and resident memory of each, bytes on the wire per sample.
2. A small fleet: 20 mmwatch instances (1,000 series each) pushing every
   5 s to one VictoriaMetrics: the receiver's ingest rate and each
   instance's CPU and memory.

Prints numbers, never pass/fail.   tools/bench/push.sh [--quick]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request

from scale import free_port, start, stop, ticks, wait_http

HZ = os.sysconf("SC_CLK_TCK")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    window = 30 if args.quick else 120
    with tempfile.TemporaryDirectory(prefix="mmwatch-push-") as tmp:
        vm, vm_port = victoria(tmp)
        write = "http://127.0.0.1:%d/api/v1/write" % vm_port
        d = os.path.join(tmp, "rezl")
        os.makedirs(d)
        prod = start([os.path.join(args.build, "bench", "scale_producer"), "--dir", d, "--workload", "100,1000",
                      "--format", "rezl", "--rate", "1"], stdout=subprocess.PIPE, text=True)
        assert prod.stdout.readline().strip() == "ready"
        # mmwatch pushing by itself; a second mmwatch on the same files for
        # the agent to scrape (its serving cost is part of that approach).
        pusher, pusher_port = mmwatch(args.build, d, "--remote-write", write, "--remote-write-interval", "5s",
                                      "--remote-write-job", "push")
        scraped, scraped_port = mmwatch(args.build, d)
        cfg = os.path.join(tmp, "agent.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 5s\n  scrape_timeout: 5s\nscrape_configs:\n"
                    "  - job_name: agent\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                    "remote_write:\n  - url: %s\n" % (scraped_port, write))
        agent_port = free_port()
        agent = start([PROMETHEUS, "--enable-feature=agent", "--config.file=" + cfg,
                       "--storage.agent.path=" + os.path.join(tmp, "agent"),
                       "--web.listen-address=127.0.0.1:%d" % agent_port, "--log.level=warn"],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(15)  # warm up: both have pushed a few times
        t0 = {p.pid: ticks(p.pid) for p in (pusher, scraped, agent)}
        sent0 = metric(pusher_port, "mmwatch_remote_write_samples_sent_total")
        bytes0 = metric(pusher_port, "mmwatch_remote_write_bytes_sent_total")
        time.sleep(window)
        cpu = {pid: (ticks(pid) - t) / HZ for pid, t in t0.items()}
        sent = metric(pusher_port, "mmwatch_remote_write_samples_sent_total") - sent0
        nbytes = metric(pusher_port, "mmwatch_remote_write_bytes_sent_total") - bytes0
        pushes = window / 5
        part1 = {
            "window_s": window,
            "samples_per_push": sent / pushes,
            "bytes_per_sample": nbytes / sent if sent else 0,
            "mmwatch_push_cpu_s_per_push": cpu[pusher.pid] / pushes,
            "mmwatch_push_rss": rss(pusher.pid),
            "agent_cpu_s_per_push": cpu[agent.pid] / pushes,
            "agent_rss": rss(agent.pid),
            "scraped_mmwatch_cpu_s_per_push": cpu[scraped.pid] / pushes,
            "scraped_mmwatch_rss": rss(scraped.pid),
        }
        print(json.dumps(part1), flush=True)
        for p in (agent, pusher, scraped):
            stop(p)
        stop(prod)

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
    main()
