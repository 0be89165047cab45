"""Black-box: the real OpenTelemetry JS SDK (from the npm registry, pinned
by tests/blackbox/otel/package-lock.json) exports to mmwatch over OTLP/HTTP
JSON, and /metrics then shows the metrics with the translated names and the
exported values. Plus the receiver's status codes over a real socket."""

import gzip
import json
import os
import re
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import MmwatchTestCase

OTEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otel")


def npm_ci():
    """Installs the pinned SDK once (node_modules is not committed), and
    again when the lock file changed since (a merge that adds a package)."""
    installed = os.path.join(OTEL_DIR, "node_modules", ".package-lock.json")
    lock = os.path.join(OTEL_DIR, "package-lock.json")
    if os.path.exists(installed) and os.path.getmtime(installed) >= os.path.getmtime(lock):
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OTEL_DIR, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)


class OtlpCase(MmwatchTestCase):
    def start_otlp(self, *args):
        m = self.start("--otlp-listen", "127.0.0.1:0", *args)
        line = m.proc.stderr.readline()
        found = re.match(r"^mmwatch: OTLP listening on http://127\.0\.0\.1:(\d+)$", line.strip())
        self.assertIsNotNone(found, line)
        m.otlp_port = int(found.group(1))
        return m

    def post(self, port, body, ctype="application/json", encoding=None, path="/v1/metrics", raw=False):
        headers = {"Content-Type": ctype}
        if encoding:
            headers["Content-Encoding"] = encoding
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, headers=headers,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                data = r.read()
                return r.status, data if raw else data.decode()
        except urllib.error.HTTPError as e:
            data = e.read()
            return e.code, data if raw else data.decode()


class TestOpenTelemetryJsSdk(OtlpCase):
    @classmethod
    def setUpClass(cls):
        npm_ci()

    def test_js_sdk_counter_updown_histogram_gauge_reach_metrics_translated(self):
        self.export_and_check("json")

    def test_js_sdk_protobuf_exporter_is_served_exactly(self):
        m = self.export_and_check("proto")
        # The exponential histogram's classic form: total, sum, +Inf.
        lab = 'job="bb/otel-js-test",instance="i-42"'
        scope = 'otel_scope_name="mmwatch-blackbox",otel_scope_version="1.0.0"'
        self.assertEqual(m.sample("exp_latency_seconds_count{%s,%s}" % (lab, scope)), "4")
        self.assertEqual(m.sample("exp_latency_seconds_sum{%s,%s}" % (lab, scope)), "10")
        self.assertEqual(m.sample('exp_latency_seconds_bucket{%s,%s,le="+Inf"}' % (lab, scope)), "4")
        self.assertIn('mmwatch_otlp_decode_errors_total{reason="malformed_protobuf"} 0\n', m.metrics())

    def export_and_check(self, protocol):
        m = self.start_otlp()
        env = dict(os.environ, MMWATCH_OTLP_URL="http://127.0.0.1:%d/v1/metrics" % m.otlp_port,
                   MMWATCH_OTLP_PROTOCOL=protocol)
        out = subprocess.run(["node", "export.mjs"], cwd=OTEL_DIR, env=env, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        # Two forceFlush() rounds, then shutdown() exports once more.
        exports = len(json.loads(out.stdout.strip().splitlines()[-1])["results"])
        self.assertGreaterEqual(exports, 2)

        text = m.metrics()
        lab = 'job="bb/otel-js-test",instance="i-42"'
        scope = 'otel_scope_name="mmwatch-blackbox",otel_scope_version="1.0.0"'
        self.assertIn("# TYPE jobs_processed_total counter\n", text)
        self.assertIn("# HELP jobs_processed_total Jobs processed\n", text)
        self.assertEqual(m.sample('jobs_processed_total{%s,queue="a",%s}' % (lab, scope)), "10")
        self.assertEqual(m.sample('jobs_processed_total{%s,queue="b",%s}' % (lab, scope)), "4")
        self.assertIn("# TYPE queue_depth gauge\n", text)
        self.assertEqual(m.sample("queue_depth{%s,%s}" % (lab, scope)), "5")
        self.assertIn("# TYPE memory_usage_bytes gauge\n", text)
        self.assertEqual(m.sample('memory_usage_bytes{%s,kind="heap",%s}' % (lab, scope)), "23456")
        h = "http_server_request_duration_seconds"
        self.assertIn("# TYPE %s histogram\n" % h, text)
        ok = '%s,http_response_status_code="200",%s' % (lab, scope)
        self.assertEqual(m.sample('%s_bucket{%s,le="0.1"}' % (h, ok)), "2")
        self.assertEqual(m.sample('%s_bucket{%s,le="0.5"}' % (h, ok)), "3")
        self.assertEqual(m.sample('%s_bucket{%s,le="1"}' % (h, ok)), "3")
        self.assertEqual(m.sample('%s_bucket{%s,le="+Inf"}' % (h, ok)), "3")
        self.assertEqual(m.sample("%s_count{%s}" % (h, ok)), "3")
        self.assertAlmostEqual(float(m.sample("%s_sum{%s}" % (h, ok))), 0.42, places=9)
        err = '%s,http_response_status_code="500",%s' % (lab, scope)
        self.assertEqual(m.sample('%s_bucket{%s,le="1"}' % (h, err)), "0")
        self.assertEqual(m.sample("%s_count{%s}" % (h, err)), "1")
        info = [l for l in text.splitlines() if l.startswith("target_info{")]
        self.assertEqual(len(info), 1, info)
        self.assertIn('deployment_environment="test"', info[0])
        self.assertIn('telemetry_sdk_language="nodejs"', info[0])
        self.assertIn('%s,' % lab, info[0])
        self.assertEqual(text.count("# TYPE jobs_processed_total "), 1)
        self.assertIn('mmwatch_otlp_requests_total{result="ok"} %d\n' % exports, text)

        services = json.loads(m.get("/api/v1/services")[2])["services"]
        svc = [s for s in services if s["name"] == "otel-js-test"]
        self.assertEqual(len(svc), 1, services)
        self.assertEqual(svc[0]["namespace"], "bb")
        self.assertEqual(svc[0]["http"]["requests"], 4)
        self.assertEqual(svc[0]["http"]["errors_5xx"], 1)
        self.assertAlmostEqual(svc[0]["http"]["error_ratio"], 0.25)

        # The points live in the history store, at their own timestamps,
        # under the labels a scrape of mmwatch stores (the resource's job as
        # exported_job): asked through the Prometheus API (docs/query.md).
        q = urllib.parse.urlencode({"match[]": 'jobs_processed_total{exported_job="bb/otel-js-test"}'})
        series = json.loads(m.get("/api/v1/series?" + q)[2])["data"]
        self.assertEqual(sorted(s["queue"] for s in series), ["a", "b"])
        self.assertEqual({s["exported_instance"] for s in series}, {"i-42"})
        q = urllib.parse.urlencode({"query": 'jobs_processed_total{queue="a"}[1h]', "time": "%.3f" % time.time()})
        result = json.loads(m.get("/api/v1/query?" + q)[2])["data"]["result"]
        self.assertEqual(len(result), 1, result)
        values = [float(v[1]) for v in result[0]["values"]]
        self.assertEqual(values[:2], [7, 10])
        self.assertEqual(set(values[2:]), {10} if values[2:] else set())
        return m


class TestOtlpReceiver(OtlpCase):
    BODY = json.dumps({"resourceMetrics": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "curl"}}]}, "scopeMetrics": [{"metrics": [
            {"name": "temp", "unit": "Cel", "gauge": {"dataPoints": [{"asDouble": 21.5}]}}]}]}]}).encode()

    def test_main_listener_accepts_otlp_and_answers_per_the_spec(self):
        m = self.start_otlp("--max-body-bytes", "64Ki")
        self.assertEqual(self.post(m.port, self.BODY), (200, "{}"))
        self.assertEqual(self.post(m.otlp_port, gzip.compress(self.BODY), encoding="gzip"), (200, "{}"))
        # Protobuf is answered in protobuf: a google.rpc.Status, decoded here
        # by protoc, independently of mmwatch's encoder.
        status, raw = self.post(m.port, b"\x0a\x02", ctype="application/x-protobuf", raw=True)
        self.assertEqual(status, 400)
        decoded = subprocess.run(["protoc", "--decode_raw"], input=raw, capture_output=True, timeout=30)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertIn(b"1: 3\n", decoded.stdout)  # INVALID_ARGUMENT
        self.assertIn(b"malformed_protobuf", decoded.stdout)
        self.assertEqual(self.post(m.port, b"{}", ctype="text/plain")[0], 415)
        status, body = self.post(m.port, b'{"resourceMetrics":[{')
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["code"], 3)
        bomb = gzip.compress(self.BODY[:-1] + b" " * (8 << 20) + b"}")
        self.assertEqual(self.post(m.otlp_port, bomb, encoding="gzip")[0], 413)
        self.assertEqual(self.post(m.otlp_port, b"{}", path="/metrics")[0], 404)
        self.assertEqual(m.sample('temp_celsius{job="curl"}'), "21.5")
        text = m.metrics()
        self.assertIn('mmwatch_otlp_requests_total{result="too_large"}', text)
        self.assertIn('mmwatch_otlp_decode_errors_total{reason="malformed_json"} 1\n', text)

    def query(self, m, path, **params):
        status, _, body = m.get(path + "?" + urllib.parse.urlencode(params))
        self.assertEqual(status, 200, body)
        return json.loads(body)["data"]

    def test_points_are_kept_once_at_their_own_timestamps_though_the_sampler_sees_them(self):
        m = self.start_otlp("--history-interval", "1s")
        t_ms = (time.time_ns() // 1_000_000) - 30_000  # 30 s ago, within the clock rule's 10 minutes
        points = []
        for i, v in enumerate((1.5, 2.5, 2.5)):  # the last a new point with the same value
            points.append({"asDouble": v, "timeUnixNano": str((t_ms + i * 1000) * 1_000_000)})
        body = {"resourceMetrics": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "curl"}}]}, "scopeMetrics": [{"metrics": [
                {"name": "own", "gauge": {"dataPoints": points}}]}]}]}
        self.assertEqual(self.post(m.port, json.dumps(body).encode()), (200, "{}"))
        # A point at the same time with another value: history keeps one
        # value per timestamp, and says so by name.
        points[2]["asDouble"] = 9
        body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"] = [points[2]]
        self.assertEqual(self.post(m.port, json.dumps(body).encode()), (200, "{}"))
        # Wait until the sampler has taken /metrics (with `own` on it) into
        # history three times more.
        def sampled():
            r = self.query(m, "/api/v1/query", query="count_over_time(mmwatch_otlp_series[1h])")["result"]
            return int(float(r[0]["value"][1])) if r else 0
        start = sampled()
        deadline = time.monotonic() + 120
        while sampled() < start + 3 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertGreaterEqual(sampled(), start + 3)
        series = self.query(m, "/api/v1/series", **{"match[]": "own"})
        self.assertEqual(len(series), 1, series)
        self.assertEqual(series[0]["exported_job"], "curl")
        now = "%.3f" % time.time()
        result = self.query(m, "/api/v1/query", query="own[1h]", time=now)["result"]
        self.assertEqual(result[0]["values"], [[(t_ms + i * 1000) / 1000, v] for i, v in
                                               enumerate(("1.5", "2.5", "2.5"))])
        self.assertIn('mmwatch_history_otlp_points_total{result="stored"} 3\n', m.metrics())
        self.assertIn('mmwatch_history_otlp_points_total{result="duplicate"} 1\n', m.metrics())

    def test_an_otlp_metric_named_as_a_file_metric_is_kept_out_of_history_and_counted_name_taken(self):
        p = self.producer("app")
        g = p.gauge("temperature_celsius")
        p.publish()
        g.set(-40)
        m = self.start_otlp("--history-interval", "1s")
        self.assertIn('mmwatch_history_otlp_points_total{result="name_taken"} 0\n', m.metrics())
        # No resource, no scope and the file's `name` label: the OTLP
        # series' labels equal the file series' (job, instance included).
        t_ns = time.time_ns()
        body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"name": "temperature_celsius", "gauge": {"dataPoints": [
                {"asDouble": 99, "timeUnixNano": str(t_ns), "attributes": [
                    {"key": "name", "value": {"stringValue": "app"}}]}]}}]}]}]}
        self.assertEqual(self.post(m.port, json.dumps(body).encode()), (200, "{}"))
        wait = time.monotonic() + 120
        values = []
        while time.monotonic() < wait:
            r = self.query(m, "/api/v1/query", query='temperature_celsius{name="app"}[1h]')["result"]
            values = r[0]["values"] if r else []
            if sum(1 for t, _ in values if t * 1e9 > t_ns) >= 3:
                break
            time.sleep(0.2)
        self.assertGreaterEqual(sum(1 for t, _ in values if t * 1e9 > t_ns), 3, values)
        self.assertEqual({v for _, v in values}, {"-40"})
        self.assertIn('mmwatch_history_otlp_points_total{result="name_taken"} 1\n', m.metrics())
        self.assertIn('mmwatch_history_otlp_points_total{result="stored"} 0\n', m.metrics())


if __name__ == "__main__":
    unittest.main()
