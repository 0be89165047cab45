"""mmwatch's output against the real Prometheus tools: promtool's parser
and linter, and a real Prometheus server scraping mmwatch on loopback."""

import shutil
import subprocess
import unittest

from harness import MmwatchTestCase, wait_until
from prom_server import PrometheusServer

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


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
        """With its default Accept and Accept-Encoding, Prometheus 2 gets
        OpenMetrics, gzipped; the values are the same as in text."""
        self.publish_sample()
        m = self.start()
        with PrometheusServer(["127.0.0.1:%d" % m.port]) as prom:
            res = wait_until(lambda: prom.query('http_requests_total{name="app"}'), "prometheus has the value",
                             timeout=60)
            self.assertEqual(res[0]["value"][1], "1234")
            self.assertEqual(res[0]["metric"]["job"], "mmwatch")
            res = wait_until(lambda: prom.query('temperature_celsius{name="app"}'), "gauge", timeout=30)
            self.assertEqual(res[0]["value"][1], "-40")
            # OpenMetrics carries an H2 histogram's count in its +Inf bucket
            # (no _count without _sum): docs/http.md, "Formats".
            res = wait_until(lambda: prom.query('request_duration_seconds_bucket{name="app",le="+Inf"}'),
                             "histogram", timeout=30)
            self.assertEqual(res[0]["value"][1], "4")
            res = wait_until(lambda: prom.query('up{job="mmwatch"}'), "up", timeout=30)
            self.assertEqual(res[0]["value"][1], "1")
            res = prom.query("scrape_samples_scraped")
            self.assertGreater(int(res[0]["value"][1]), 50)
            # mmwatch's own count of how it answered those scrapes.
            res = wait_until(lambda: prom.query(
                'mmwatch_scrapes_total{format="openmetrics",encoding="gzip"} > 0'), "OpenMetrics and gzip used",
                timeout=30)
            self.assertGreater(float(res[0]["value"][1]), 0)
            res = prom.query('sum(mmwatch_scrapes_total{format!="openmetrics"}) + '
                             'sum(mmwatch_scrapes_total{encoding="identity"})')
            self.assertEqual(res[0]["value"][1], "0")


if __name__ == "__main__":
    unittest.main()
