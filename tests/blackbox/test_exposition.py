"""Black-box: the three exposition formats of /metrics over real sockets.
Each body is checked by a parser that is not mmwatch's: promtool for text
0.0.4, the Python client's strict OpenMetrics parser (Debian's
python3-prometheus-client) for OpenMetrics, protoc with the vendored
metrics.proto for protobuf; gzip by curl --compressed; and native
histograms end to end through a real Prometheus answering PromQL."""

import gzip
import json
import math
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.request

from harness import MmwatchTestCase, wait_until
from prom_server import PrometheusServer

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "proto")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# Debian's python3-prometheus-client, whichever python3 runs the tests.
sys.path.append("/usr/lib/python3/dist-packages")
from prometheus_client.openmetrics.parser import text_string_to_metric_families  # noqa: E402

OPENMETRICS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
                      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
PROTOBUF_ACCEPT = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROTO_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

def otlp_json(metrics):
    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeMetrics": [{"scope": {"name": "lib"}, "metrics": metrics}]}]}).encode()


def now_ns():
    return time.time_ns()


# Exponential histograms whose PromQL answers are computed here from the
# definition of the buckets, not from mmwatch's output.
def exp_metrics(t_ns):
    t = str(t_ns)
    start = str(t_ns - 60 * 10**9)
    return [
        # scale 0: (1,2] holds 4, (2,4] holds 6, and 2 zeros; sum 30.
        {"name": "exp.latency", "unit": "s", "exponentialHistogram": {"aggregationTemporality": 2, "dataPoints": [
            {"startTimeUnixNano": start, "timeUnixNano": t, "count": "12", "sum": 30, "scale": 0, "zeroCount": "2",
             "positive": {"offset": 0, "bucketCounts": ["4", "6"]}}]}},
        # scale 10 (reduced to 8): OTLP buckets 4000 and 4008, 3 each.
        {"name": "fine.size", "unit": "By", "exponentialHistogram": {"aggregationTemporality": 2, "dataPoints": [
            {"timeUnixNano": t, "count": "6", "sum": 100, "scale": 10,
             "positive": {"offset": 4000, "bucketCounts": ["3", "0", "0", "0", "0", "0", "0", "0", "3"]}}]}},
        # negative values only: 5 in (-2^1.5, -2] at scale 1.
        {"name": "temp.delta", "exponentialHistogram": {"aggregationTemporality": 2, "dataPoints": [
            {"timeUnixNano": t, "count": "5", "sum": -11, "scale": 1,
             "negative": {"offset": 2, "bucketCounts": ["5"]}}]}},
        {"name": "orders", "sum": {"aggregationTemporality": 2, "isMonotonic": True, "dataPoints": [
            {"startTimeUnixNano": start, "timeUnixNano": t, "asInt": "42"}]}},
    ]


def decode_stream(data):
    """protoc's text form of every MetricFamily of a delimited stream."""
    out, i = [], 0
    while i < len(data):
        n, shift = 0, 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        r = subprocess.run(["protoc", "--proto_path=" + PROTO_DIR, "--decode=io.prometheus.client.MetricFamily",
                            "metrics.proto"], input=data[i:i + n], capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        out.append(r.stdout.decode())
        i += n
    return out


class FormatCase(MmwatchTestCase):
    """A file with a counter, a gauge and a histogram; OTLP metrics posted."""

    def setUp(self):
        super().setUp()
        p = self.producer("app")
        c = p.counter("jobs")
        g = p.gauge("temp")
        h = p.histogram("lat", 2, 10)
        p.publish()
        c.add(7)
        g.set(-3)
        for v in (1, 5, 300):
            h.record(v)

    def fetch(self, m, path="/metrics", headers=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (m.port, path), headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def post_otlp(self, m, metrics):
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % m.port, data=otlp_json(metrics),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

    def started(self, *args):
        m = self.start(*args)
        wait_until(lambda: m.sample('jobs_total{name="app"}') == "7", "file served")
        self.t_ns = now_ns()
        self.post_otlp(m, exp_metrics(self.t_ns))
        return m


class Formats(FormatCase):
    def test_accept_picks_one_concrete_type_and_every_answer_varies(self):
        m = self.started()
        cases = [
            ({}, TEXT_TYPE),
            ({"Accept": "*/*"}, TEXT_TYPE),
            ({"Accept": OPENMETRICS_ACCEPT}, OM_TYPE),
            ({"Accept": PROTOBUF_ACCEPT + ",text/plain;q=0.5"}, PROTO_TYPE),
            ({"Accept": "text/plain;version=1.0.0;escaping=underscores,application/openmetrics-text;q=0.2"},
             TEXT_TYPE),
            ({"Accept": "image/png"}, TEXT_TYPE),
        ]
        for headers, ctype in cases:
            status, h, _ = self.fetch(m, headers=headers)
            self.assertEqual((status, h["Content-Type"]), (200, ctype), headers)
            self.assertEqual(h["Vary"], "Accept, Accept-Encoding")
        for name, ctype in (("openmetrics", OM_TYPE), ("protobuf", PROTO_TYPE), ("text", TEXT_TYPE)):
            status, h, _ = self.fetch(m, "/metrics?format=" + name, {"Accept": PROTOBUF_ACCEPT})
            self.assertEqual((status, h["Content-Type"]), (200, ctype))
        status, _, body = self.fetch(m, "/metrics?format=json")
        self.assertEqual(status, 400)
        self.assertIn(b"format=text, openmetrics or protobuf", body)

    def test_openmetrics_parses_strictly_and_has_created_unit_and_eof(self):
        m = self.started()
        status, _, raw = self.fetch(m, headers={"Accept": OPENMETRICS_ACCEPT})
        self.assertEqual(status, 200)
        body = raw.decode()
        self.assertTrue(body.endswith("\n# EOF\n"))
        families = {f.name: f for f in text_string_to_metric_families(body)}
        self.assertEqual(families["jobs"].type, "counter")
        self.assertEqual(families["jobs"].samples[0].value, 7)
        self.assertEqual(families["temp"].samples[0].value, -3)
        self.assertEqual(families["mmwatch_scrapes"].type, "counter")
        orders = families["orders"]
        values = {s.name: s.value for s in orders.samples}
        self.assertEqual(values["orders_total"], 42)
        self.assertTrue(math.isclose(values["orders_created"], (self.t_ns - 60 * 10**9) / 1e9, abs_tol=1e-6))
        self.assertEqual(families["exp_latency_seconds"].unit, "seconds")
        self.assertEqual(families["target"].type, "info")
        self.assertIn("lat", families)

    def test_text_with_otlp_passes_promtool(self):
        m = self.started()
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=m.metrics(), capture_output=True, text=True)
        remarks = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        # Only lint remarks about the files' missing help and the test's
        # own unit choices; no parse error.
        bad = [l for l in remarks if not l.endswith((" no help text", "instead of \"nanoseconds\""))]
        self.assertEqual(bad, [], remarks)

    def test_protobuf_decodes_with_protoc_and_carries_native_histograms(self):
        m = self.started()
        status, _, raw = self.fetch(m, headers={"Accept": PROTOBUF_ACCEPT})
        self.assertEqual(status, 200)
        families = {f.split('"')[1]: f for f in decode_stream(raw)}
        self.assertIn("counter {\n    value: 7\n  }", families["jobs_total"])
        self.assertIn("type: HISTOGRAM", families["lat"])
        self.assertIn("upper_bound:", families["lat"])
        native = families["exp_latency_seconds"]
        for field in ("sample_count: 12", "sample_sum: 30", "schema: 0", "zero_count: 2", "positive_delta: 4",
                      "positive_delta: 2", "created_timestamp"):
            self.assertIn(field, native)
        self.assertNotIn("bucket {", native)  # native only, no classic approximation
        self.assertIn("schema: 8", families["fine_size_bytes"])
        self.assertIn("offset: 1001", families["fine_size_bytes"])
        self.assertIn("negative_delta: 5", families["temp_delta"])
        self.assertIn("created_timestamp", families["orders_total"])

    def test_gzip_is_made_once_per_render_and_curl_decompresses_it(self):
        m = self.started("--interval", "1h")  # one snapshot: every scrape below shares it
        wait_until(lambda: m.sample('jobs_total{name="app"}') == "7", "served")
        plain = self.fetch(m, headers={"Accept": OPENMETRICS_ACCEPT})[2]
        for _ in range(5):
            status, h, raw = self.fetch(m, headers={"Accept": OPENMETRICS_ACCEPT, "Accept-Encoding": "gzip"})
            self.assertEqual(h["Content-Encoding"], "gzip")
            self.assertEqual(gzip.decompress(raw), plain)
            self.assertLess(len(raw), len(plain))
        out = subprocess.run(["curl", "-s", "--compressed", "-H", "Accept: " + OPENMETRICS_ACCEPT,
                              "http://127.0.0.1:%d/metrics" % m.port], capture_output=True, timeout=30)
        self.assertEqual(out.stdout, plain)
        # The counters as of now: the protobuf body is rendered fresh (the
        # text one is this snapshot's, older than the scrapes above).
        families = {f.split('"')[1]: f for f in decode_stream(self.fetch(m, "/metrics?format=protobuf")[2])}
        compressions = families["mmwatch_compressions_total"]
        self.assertIn('value: "openmetrics"\n  }\n  counter {\n    value: 1\n', compressions)
        scrapes = families["mmwatch_scrapes_total"]
        self.assertIn('value: "gzip"\n  }\n  label {\n    name: "format"\n    value: "openmetrics"\n  }\n'
                      '  counter {\n    value: 6\n', scrapes)
        # Identity when gzip is refused or not asked for.
        _, h, raw = self.fetch(m, headers={"Accept-Encoding": "gzip;q=0, identity"})
        self.assertNotIn("Content-Encoding", h)


class NativeHistogramsThroughPrometheus(FormatCase):
    def test_prometheus_with_native_histograms_answers_exact_values(self):
        m = self.started()
        # Points must stay live for the whole test: post again while waiting.
        with PrometheusServer(["127.0.0.1:%d" % m.port], "--enable-feature=native-histograms") as prom:
            def ask(expr):
                self.post_otlp(m, exp_metrics(now_ns()))
                res = prom.query(expr)
                return res if res else None

            res = wait_until(lambda: ask("histogram_count(exp_latency_seconds)"), "native histogram", timeout=60)
            self.assertEqual(float(res[0]["value"][1]), 12)
            self.assertEqual(float(ask("histogram_sum(exp_latency_seconds)")[0]["value"][1]), 30)
            # Rank 6 of 12 ends the (1,2] bucket (2 zeros + 4): the median is
            # its upper bound whatever the interpolation.
            self.assertEqual(float(ask("histogram_quantile(0.5, exp_latency_seconds)")[0]["value"][1]), 2)
            # Scale 10 reduced to 8: rank 3 ends the first merged bucket,
            # whose upper bound is 2^((4000 // 4 + 1) / 256).
            got = float(ask("histogram_quantile(0.5, fine_size_bytes)")[0]["value"][1])
            self.assertTrue(math.isclose(got, 2 ** ((4000 // 4 + 1) / 256), rel_tol=1e-12), got)
            self.assertEqual(float(ask("histogram_count(fine_size_bytes)")[0]["value"][1]), 6)
            self.assertEqual(float(ask("histogram_count(temp_delta)")[0]["value"][1]), 5)
            self.assertEqual(float(ask("histogram_sum(temp_delta)")[0]["value"][1]), -11)
            # The quantile of negative observations lies in (-2^1.5, -2].
            q = float(ask("histogram_quantile(0.5, temp_delta)")[0]["value"][1])
            self.assertTrue(-(2 ** 1.5) <= q <= -2, q)
            # File series arrive too, over the same protobuf scrapes.
            self.assertEqual(ask('jobs_total{name="app"}')[0]["value"][1], "7")
            res = wait_until(lambda: ask('mmwatch_scrapes_total{format="protobuf"} > 0'), "protobuf used",
                             timeout=30)
            self.assertGreater(float(res[0]["value"][1]), 0)



if __name__ == "__main__":
    unittest.main()
