"""A real Prometheus (Debian's) on loopback for the black-box tests: a
config scraping the given targets every second, a query helper, and a
clean stop. One place for how the tests run it."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.parse
import urllib.request

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusServer:
    """Scrapes `targets` (host:port strings) as job "mmwatch"; `flags` are
    extra command-line flags (e.g. --enable-feature=native-histograms);
    `scrape_extra` are lines of the scrape config (4-space indent: scheme,
    tls_config, basic_auth). `config` is a whole configuration instead
    (targets, job and scrape_extra are then unused)."""

    def __init__(self, targets, *flags, job="mmwatch", scrape_extra="", port=None, config=None):
        self.work = tempfile.mkdtemp(prefix="mmwatch-prom-")
        self.port = port or free_port()
        self.flags = flags
        cfg = os.path.join(self.work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(config or "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: %s\n%s    static_configs:\n"
                    "      - targets: [%s]\n" % (job, scrape_extra, ", ".join("'%s'" % t for t in targets)))
        self.cfg = cfg
        self.start_process()

    def start_process(self):
        """Starts (or starts again, on the same storage) the server."""
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + self.cfg, "--storage.tsdb.path=" + os.path.join(self.work, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn", *self.flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop_process(self):
        """Stops the server and keeps its storage (an outage)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def api(self, path, **params):
        """The `data` of an API answer, or None while Prometheus is not up."""
        url = "http://127.0.0.1:%d/api/v1/%s?%s" % (self.port, path, urllib.parse.urlencode(params))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return json.load(r)["data"]
        except OSError:
            return None

    def query(self, expr):
        """The instant query's result vector, or None while Prometheus is not up."""
        data = self.api("query", query=expr)
        return data and data["result"]

    def stop(self):
        self.stop_process()
        shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
