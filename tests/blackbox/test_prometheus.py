"""mmwatch's output against the real Prometheus tools: promtool's parser
and linter, and a real Prometheus server scraping mmwatch on loopback."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import unittest
import urllib.parse
import urllib.request

from harness import MmwatchTestCase, wait_until

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus(MmwatchTestCase):
    def publish_sample(self):
        p = self.producer("app")
        c = p.counter("http_requests_total")
        g = p.gauge("temperature_celsius")
        h = p.histogram("request_duration_seconds", 3, 20)
        p.publish()
        c.add(1234)
        g.set(-40)
        for v in (1, 2, 900, 70000):
            h.record(v)
        q = self.producer('odd "name"\\x')
        q.gauge("temperature_celsius")
        q.counter("9bad.name-here")
        q.publish()
        return p

    def test_promtool_check_metrics_passes(self):
        self.publish_sample()
        m = self.start()
        wait_until(lambda: m.sample('http_requests_total{name="app"}') == "1234", "served")
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=m.metrics(), capture_output=True, text=True)
        # promtool exits 1 for lint remarks too; only "no help text" is
        # acceptable, and only for file metrics, whose help is unknown.
        remarks = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        bad = [l for l in remarks if not l.endswith(" no help text")]
        self.assertEqual(bad, [], "promtool: %s" % remarks)
        for l in remarks:
            self.assertFalse(l.startswith(("mmwatch_", "process_")), l)

    def test_real_prometheus_scrapes_and_answers_a_query(self):
        self.publish_sample()
        m = self.start()
        work = tempfile.mkdtemp(prefix="mmwatch-prom-")
        port = free_port()
        cfg = os.path.join(work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: mmwatch\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % m.port)
        prom = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(work, "data"),
             "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def query(expr):
            url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    res = json.load(r)["data"]["result"]
                    return res
            except OSError:
                return None

        try:
            res = wait_until(lambda: query('http_requests_total{name="app"}'), "prometheus has the value", timeout=60)
            self.assertEqual(res[0]["value"][1], "1234")
            self.assertEqual(res[0]["metric"]["job"], "mmwatch")
            res = wait_until(lambda: query('temperature_celsius{name="app"}'), "gauge", timeout=30)
            self.assertEqual(res[0]["value"][1], "-40")
            res = wait_until(lambda: query('request_duration_seconds_count{name="app"}'), "histogram", timeout=30)
            self.assertEqual(res[0]["value"][1], "4")
            res = wait_until(lambda: query('up{job="mmwatch"}'), "up", timeout=30)
            self.assertEqual(res[0]["value"][1], "1")
            res = query("scrape_samples_scraped")
            self.assertGreater(int(res[0]["value"][1]), 50)
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
