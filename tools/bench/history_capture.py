#!/usr/bin/env python3
"""Real samples for the history store's benchmark (docs/benchmarks.md,
"History store"). Debian's prometheus-node-exporter is scraped once a
second by Debian's Prometheus, which remote-writes every sample to two
receivers at once:

- Debian's VictoriaMetrics, whose bytes per sample are read after the run
  (`vm_data_size_bytes` / `vm_rows`, after /internal/force_flush and again
  after /internal/force_merge);
- a tiny receiver in this script that appends each request body, as sent
  (snappy-compressed WriteRequest), to OUT as a u32 little-endian length
  and the body. tools/bench/history_bench replays OUT into the store.

So both stores get the same samples in the same run.

    tools/bench/history_capture.py --seconds 900 --out /tmp/node.rw

Prints the receivers' figures as JSON at the end.
"""

import argparse
import http.server
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import free_port, start, stop, ticks, wait_http  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or "/usr/bin/prometheus-node-exporter"


class Dump:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.lock = threading.Lock()
        self.requests = 0
        self.bytes = 0

    def write(self, body):
        with self.lock:
            self.f.write(struct.pack("<I", len(body)))
            self.f.write(body)
            self.requests += 1
            self.bytes += len(body)


def receiver(dump):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            dump.write(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=60) as r:
        return r.read().decode()


def vm_figures(port):
    body = scrape(port)
    out = {}
    for name in ("vm_data_size_bytes", "vm_rows"):
        for labels, value in re.findall(r"^%s\{([^}]*)\} (\S+)$" % name, body, re.M):
            out[name + "{" + labels + "}"] = float(value)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=900)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mmwatch-capture-")
    dump = Dump(args.out)
    srv = receiver(dump)
    ne_port, vm_port, prom_port = free_port(), free_port(), free_port()
    ne = start([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % ne_port],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    vm = start([VICTORIA, "-httpListenAddr=127.0.0.1:%d" % vm_port, "-storageDataPath=" + os.path.join(tmp, "vm"),
                "-loggerLevel=ERROR", "-retentionPeriod=10y"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(ne_port)
    wait_http(vm_port, 30)
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:%d']
remote_write:
  - url: http://127.0.0.1:%d/api/v1/write
  - url: http://127.0.0.1:%d/api/v1/write
""" % (ne_port, vm_port, srv.server_address[1]))
    prom = start([PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(tmp, "prom"),
                  "--web.listen-address=127.0.0.1:%d" % prom_port, "--log.level=error"],
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(prom_port, 60)
    vm_ticks0 = ticks(vm.pid)
    began = time.time()
    time.sleep(args.seconds)
    prom_body = scrape(prom_port)
    stop(prom)  # drains its remote-write queues before it exits
    ne_body_series = len([line for line in scrape(ne_port).splitlines() if line and not line.startswith("#")])
    stop(ne)
    vm_cpu_s = (ticks(vm.pid) - vm_ticks0) / HZ
    urllib.request.urlopen("http://127.0.0.1:%d/internal/force_flush" % vm_port, timeout=60).read()
    time.sleep(2)
    flushed = vm_figures(vm_port)
    month = time.strftime("%Y_%m", time.gmtime())
    urllib.request.urlopen("http://127.0.0.1:%d/internal/force_merge?partition_prefix=%s" % (vm_port, month),
                           timeout=600).read()
    time.sleep(10)
    merged = vm_figures(vm_port)
    stop(vm)
    srv.shutdown()
    dump.f.close()
    sent = re.findall(r'^prometheus_remote_storage_samples_total\{([^}]*)\} (\S+)$', prom_body, re.M)
    print(json.dumps({
        "seconds": round(time.time() - began),
        "node_exporter_series": ne_body_series,
        "dump_requests": dump.requests,
        "dump_bytes": dump.bytes,
        "prometheus_samples_sent": {labels: float(v) for labels, v in sent},
        "vm_cpu_seconds": vm_cpu_s,
        "vm_after_force_flush": flushed,
        "vm_after_force_merge": merged,
    }, indent=1))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
