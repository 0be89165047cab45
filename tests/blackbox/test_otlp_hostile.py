"""OTLP input as an attacker on the loopback would send it, at default
flags: random hostile requests from a grammar never make /metrics invalid
(promtool and a strict parser check every body), and the amplifications
that crashed mmwatch under a memory limit are refused, counted, survived."""

import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import exposition_check
from harness import BIN, MmwatchTestCase, raw_file, wait_until

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SANITIZED = bool(os.environ.get("MMWATCH_SANITIZED"))

# Pieces names and attributes are made of: the reserved prefix and
# suffixes, characters that sanitize alike, empty strings, and names that
# the files and self-metrics use.
NAME_PIECES = ["a", "x", "lat", "_", "__", ".", "-", "\u00e9", "9", "_count", "_bucket", "_sum", "_total",
               "_created", "le", "job", "target_info", "mmwatch_otlp_", "mmwatch_sources", "__name__", "host.name",
               "host_name", "service.name", "quantile", "instance", "otel_scope_name", ""]
VALUE_PIECES = ["", "a", "b", "NaN", '"', "\\", "\n", "x" * 50, "\u00e9", "0", "-0", "job"]
NUMBERS = [0, -0.0, 1, -1, 2.5, 1e300, "NaN", "Infinity", "-Infinity"]


def piece_string(rng, pieces, n):
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, n)))


def attrs(rng, n):
    return [{"key": piece_string(rng, NAME_PIECES, 3), "value": {"stringValue": piece_string(rng, VALUE_PIECES, 2)}}
            for _ in range(rng.randint(0, n))]


def number(rng):
    return rng.choice(NUMBERS)


def data_point(rng, kind, t_ns):
    p = {"attributes": attrs(rng, 3), "timeUnixNano": str(t_ns)}
    if kind in ("gauge", "sum"):
        p["asDouble"] = number(rng)
    elif kind == "histogram":
        bounds = sorted({rng.choice([0, -0.0, 1, 2, 5, 10]) for _ in range(rng.randint(0, 4))})
        if rng.random() < 0.2:
            bounds.append(rng.choice(["NaN", "Infinity"]))
        p.update(explicitBounds=bounds, bucketCounts=[str(rng.randint(0, 3)) for _ in range(len(bounds) + 1)],
                 count=str(rng.randint(0, 10)), sum=number(rng))
    elif kind == "summary":
        p.update(count=str(rng.randint(0, 10)), sum=number(rng),
                 quantileValues=[{"quantile": rng.choice([0, 0.5, 0.99, 1, -0.0, "NaN", 2]), "value": number(rng)}
                                 for _ in range(rng.randint(0, 3))])
    else:  # exponential histogram
        p.update(scale=rng.randint(-2, 4), zeroCount=str(rng.randint(0, 2)), count=str(rng.randint(0, 10)),
                 positive={"offset": rng.randint(-3, 3), "bucketCounts": ["1", "2"]})
    return p


def metric(rng, t_ns):
    kind = rng.choice(["gauge", "sum", "histogram", "summary", "exponentialHistogram"])
    m = {"name": piece_string(rng, NAME_PIECES, 3) or "g", "unit": rng.choice(["", "s", "By", "1", "{req}", "ms"]),
         "description": piece_string(rng, VALUE_PIECES, 2)}
    points = [data_point(rng, kind, t_ns) for _ in range(rng.randint(1, 3))]
    body = {"dataPoints": points}
    if kind in ("sum", "histogram", "exponentialHistogram"):
        body["aggregationTemporality"] = rng.choice([1, 2])
    if kind == "sum":
        body["isMonotonic"] = rng.random() < 0.5
    m[kind] = body
    return m


def request(rng, t_ns):
    return {"resourceMetrics": [{
        "resource": {"attributes": attrs(rng, 4)},
        "scopeMetrics": [{"scope": {"name": piece_string(rng, VALUE_PIECES, 1)},
                          "metrics": [metric(rng, t_ns) for _ in range(rng.randint(1, 4))]}]}
        for _ in range(rng.randint(1, 2))]}


class OtlpClient(MmwatchTestCase):
    def post(self, m, body, ctype="application/json"):
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % m.port, data=body,
                                     headers={"Content-Type": ctype}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def assert_valid(self, body):
        problems = exposition_check.check(body)
        self.assertEqual(problems, [], "\n".join(problems[:10]))
        out = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60)
        # promtool exits 3 for lint remarks (help text, suffixes), 1 for a
        # body Prometheus would refuse.
        self.assertIn(out.returncode, (0, 3), out.stdout + out.stderr)
        self.assertNotIn("error while linting", out.stdout + out.stderr)


class HostileOtlp(OtlpClient):
    def test_random_hostile_requests_never_make_metrics_invalid(self):
        # Files whose names collide with what the grammar makes.
        self.write("a.rezl", raw_file([(2, "x_count"), (1, "a"), (3, "lat", 1, 4), (2, "x")]))
        m = self.start()
        wait_until(lambda: "x_count{" in m.metrics(), "file metrics")
        self.assert_valid(m.metrics())
        seed = int(os.environ.get("MMWATCH_PROPERTY_SEED", "20261201"))
        rng = random.Random(seed)
        now_ns = time.time_ns()
        statuses = set()
        for round_ in range(25):
            for _ in range(8):
                status, _ = self.post(m, json.dumps(request(rng, now_ns + round_ * 10**9)).encode())
                statuses.add(status)
            body = m.metrics()
            with self.subTest(round=round_, seed=seed):
                self.assert_valid(body)
        self.assertTrue(statuses <= {200, 400}, statuses)
        self.assertIn(200, statuses)
        # The refusals were counted by reason.
        body = m.metrics()
        refused = sum(float(v) for v in re.findall(r'^mmwatch_otlp_points_rejected_total\{reason="[a-z_]+"\} (\S+)$',
                                                   body, re.M))
        self.assertGreater(refused, 0)
        self.assertIn("x_count{name=\"a\"}", body)  # the files keep their families

    def test_clocks_from_2018_and_2099_are_served(self):
        m = self.start()
        for name, t in (("old_clock", 1514764800 * 10**9), ("future_clock", 4070908800 * 10**9)):
            body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
                {"name": name, "gauge": {"dataPoints": [{"timeUnixNano": str(t), "asDouble": 7}]}}]}]}]}
            self.assertEqual(self.post(m, json.dumps(body).encode()), (200, "{}"))
        body = m.metrics()
        self.assertRegex(body, r"(?m)^old_clock(\{[^}]*\})? 7$")
        self.assertRegex(body, r"(?m)^future_clock(\{[^}]*\})? 7$")
        self.assertIn('mmwatch_otlp_points_clock_skewed_total{direction="past"} 1', body)
        self.assertIn('mmwatch_otlp_points_clock_skewed_total{direction="future"} 1', body)
        # The 2099 point does not freeze its series.
        fresh = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"name": "future_clock", "gauge": {"dataPoints": [{"timeUnixNano": str(time.time_ns()), "asDouble": 8}]}}]}]}]}
        self.assertEqual(self.post(m, json.dumps(fresh).encode()), (200, "{}"))
        wait_until(lambda: re.search(r"(?m)^future_clock(\{[^}]*\})? 8$", m.metrics()), "the real point served")


def rss_bytes(m):
    with open("/proc/%d/status" % m.proc.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


@unittest.skipIf(SANITIZED, "ASan reserves terabytes of address space: RLIMIT_AS runs in the plain build")
class UnderAddressSpaceLimit(OtlpClient):
    LIMIT = 512 << 20

    def start_limited(self):
        limit = self.LIMIT
        orig = subprocess.Popen

        def limited(*a, **kw):
            kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            return orig(*a, **kw)

        subprocess.Popen = limited
        try:
            return self.start()
        finally:
            subprocess.Popen = orig

    def test_every_amplification_is_refused_and_survived_under_512_mib(self):
        m = self.start_limited()
        before = rss_bytes(m)
        big = "v" * (1 << 20)
        # A 1 MiB attribute on a 255-bucket histogram, and as service.name.
        hist = {"name": "h", "histogram": {"aggregationTemporality": 2, "dataPoints": [{
            "attributes": [{"key": "k", "value": {"stringValue": big}}], "timeUnixNano": str(time.time_ns()),
            "count": "1", "explicitBounds": list(range(254)), "bucketCounts": ["0"] * 254 + ["1"]}]}}
        for resource_attr in ({"key": "service.name", "value": {"stringValue": big}}, {"key": "a", "value": {"stringValue": "b"}}):
            body = {"resourceMetrics": [{"resource": {"attributes": [resource_attr]},
                                         "scopeMetrics": [{"metrics": [hist]}]}]}
            for _ in range(4):
                status, answer = self.post(m, json.dumps(body).encode())
                self.assertEqual(status, 200)
                self.assertIn("label_too_long", answer)
        # A million empty points in a 3 MB body.
        points = "[" + ",".join(["{}"] * 1_000_000) + "]"
        body = '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"e","gauge":{"dataPoints":%s}}]}]}]}' % points
        self.assertIn(self.post(m, body.encode())[0], (200, 413))
        # New series, names and services until the caps and the budget say no.
        now = time.time_ns()
        for i in range(60):
            metrics = [{"name": "n%d_%d" % (i, j), "gauge": {"dataPoints": [{
                "attributes": [{"key": "k", "value": {"stringValue": "%d-%d-%s" % (i, j, "x" * 900)}}],
                "timeUnixNano": str(now), "asDouble": 1}]}} for j in range(500)]
            body = {"resourceMetrics": [{"resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "svc%d" % i}}]},
                "scopeMetrics": [{"metrics": metrics}]}]}
            self.assertEqual(self.post(m, json.dumps(body).encode())[0], 200)
        # Every answer still comes, bounded.
        status, _, metrics_body = m.get("/metrics", timeout=60)
        self.assertEqual(status, 200)
        self.assertLessEqual(len(metrics_body), 64 << 20)
        for path in ("/api/v1/series?match%5B%5D=h", "/api/v1/series?match%5B%5D=n1_1", "/api/v1/query?query=n1_1",
                     "/api/v1/query?query=count(%7B__name__%3D~%22n.*%22%7D)", "/api/v1/services"):
            status, _, answer = m.get(path, timeout=60)
            self.assertEqual(status, 200, path)
            self.assertLessEqual(len(answer), 5 << 20, path)
        self.assertIsNone(m.proc.poll(), "mmwatch died")
        self.assert_valid(metrics_body)
        grown = rss_bytes(m) - before
        store = int(float(re.search(r"(?m)^mmwatch_otlp_store_bytes (\S+)$", metrics_body).group(1)))
        self.assertLessEqual(store, 64 << 20)
        # The store within its budget; RSS also holds request and answer
        # buffers and the allocator's slack (docs/otlp.md, "Memory").
        self.assertLess(grown, 64 << 20 + 160 << 20, "RSS grew by %d MiB" % (grown >> 20))
        print("under RLIMIT_AS 512 MiB: store %d MiB, RSS +%d MiB" % (store >> 20, grown >> 20))
        rejected = re.findall(r'^mmwatch_otlp_points_rejected_total\{reason="([a-z_]+)"\} (\S+)$', metrics_body, re.M)
        counts = {k: float(v) for k, v in rejected}
        self.assertGreater(counts["label_too_long"], 0)
        self.assertGreater(counts["memory_limit"] + counts["series_limit"] + counts["family_limit"] +
                           counts["service_limit"], 0)


if __name__ == "__main__":
    unittest.main()
