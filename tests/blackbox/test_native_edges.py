"""Black-box, slow: Debian's Prometheus with native histograms scrapes
mmwatch in protobuf while OTLP points at the edges of what a native
histogram can carry are posted; `up` must stay 1 for every scrape. One
such point (a bucket count of 2^63, exposed as a negative bucket) used to
fail the whole scrape, and every series of the target went stale."""

import json
import time
import unittest

from harness import wait_until
from otlp_pb import varint
from prom_server import PrometheusServer
from test_otlp_hostile import OtlpClient

TWO_63 = 2 ** 63


def exp_point(t_ns, count, buckets, offset=0, scale=0, zero=0, negative=None):
    p = {"timeUnixNano": str(t_ns), "count": str(count), "sum": 1.5, "scale": scale, "zeroCount": str(zero),
         "positive": {"offset": offset, "bucketCounts": [str(b) for b in buckets]}}
    if negative:
        p["negative"] = {"offset": negative[0], "bucketCounts": [str(b) for b in negative[1]]}
    return p


def body(name, point, temporality=2):
    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "edge"}}]},
        "scopeMetrics": [{"metrics": [{"name": name, "exponentialHistogram": {
            "aggregationTemporality": temporality, "dataPoints": [point]}}]}]}]}).encode()


# (name, point, reason): refused by name.
def hostile(t):
    return [
        ("bucket_2_63", exp_point(t, TWO_63, [TWO_63]), "count_overflow"),
        ("zero_2_64", exp_point(t, 2 ** 64 - 1, [], zero=2 ** 64 - 1), "count_overflow"),
        ("sum_past_2_63", exp_point(t, TWO_63 - 1, [TWO_63 // 2, TWO_63 // 2]), "count_overflow"),
        ("count_not_sum", exp_point(t, 7, [1, 2]), "count_mismatch"),
        ("offset_2_31", exp_point(t, 1, [1], offset=2 ** 31 - 1), "index_out_of_range"),
        ("offset_minus_2_31", exp_point(t, 1, [1], offset=-(2 ** 31), scale=20), "index_out_of_range"),
        ("negative_past", exp_point(t, 1, [], scale=-4, negative=(64, [1])), "index_out_of_range"),
    ]


# Points at the very edge that are accepted: they must scrape too.
def edges(t):
    return [
        ("max_count", exp_point(t, TWO_63 - 1, [TWO_63 - 2], zero=1)),
        ("top_index", exp_point(t, 2, [1, 1], offset=(1024 << 20) - 2, scale=20)),
        ("bottom_index", exp_point(t, 1, [1], offset=-(1074 << 20), scale=20)),
        ("coarse", exp_point(t, 3, [3], offset=-1, scale=-10)),
        ("negative_edge", exp_point(t, 4, [], scale=8, negative=((1024 << 8) - 1, [4]))),
    ]


class NativeEdges(OtlpClient):
    def post_all(self, m):
        t = time.time_ns()
        for name, point, reason in hostile(t):
            status, text = self.post(m, body(name, point))
            self.assertEqual(status, 200, text)
            self.assertIn(reason, text, name)
        for name, point in edges(t):
            status, text = self.post(m, body(name, point))
            self.assertEqual((status, json.loads(text)), (200, {}), name)
        # Deltas whose total would pass 2^63-1: the second is refused.
        self.post(m, body("delta_total", exp_point(t, TWO_63 // 2 + 1, [TWO_63 // 2 + 1]), temporality=1))
        # Protobuf lengths past 32 bits: 400, never a body read short.
        for length in (2 ** 32 + 5, TWO_63):
            status, _ = self.post(m, b"\x0a" + varint(length) + b"\x0a\x03\x0a\x01x", "application/x-protobuf")
            self.assertEqual(status, 400)

    def test_prometheus_scrapes_stay_up_while_edge_points_are_posted(self):
        m = self.start("--otlp-window", "1h")
        with PrometheusServer(["127.0.0.1:%d" % m.port], "--enable-feature=native-histograms") as prom:
            def scrapes():
                res = prom.query('count_over_time(up{job="mmwatch"}[1h])')
                return int(float(res[0]["value"][1])) if res else 0

            # Twenty scrapes (one a second), each after hostile points.
            seen = scrapes()
            while seen < 20:
                self.post_all(m)
                wait_until(lambda: scrapes() > seen, "the next scrape", timeout=60)
                seen = scrapes()
            res = prom.query('min_over_time(up{job="mmwatch"}[1h])')
            self.assertEqual(res[0]["value"][1], "1")
            # The accepted edge points arrive whole, as native histograms.
            for name, count in (("max_count", TWO_63 - 1), ("top_index", 2), ("bottom_index", 1),
                                ("negative_edge", 4)):
                res = wait_until(lambda: prom.query("histogram_count(%s)" % name), name, timeout=30)
                self.assertEqual(float(res[0]["value"][1]), float(count), name)
            # Scale -10 is below what a native histogram carries: classic.
            res = wait_until(lambda: prom.query('coarse_bucket{le="+Inf"}'), "coarse", timeout=30)
            self.assertEqual(res[0]["value"][1], "3")
            # None of the refused points reached the exposition.
            for name, _, _ in hostile(0):
                self.assertEqual(prom.query("{__name__=~\"%s.*\"}" % name), [], name)
            rejected = {}
            for line in m.metrics().splitlines():
                if line.startswith("mmwatch_otlp_points_rejected_total{"):
                    rejected[line.split('reason="')[1].split('"')[0]] = float(line.rsplit(" ", 1)[1])
            for reason in ("count_overflow", "count_mismatch", "index_out_of_range"):
                self.assertGreaterEqual(rejected[reason], 20, reason)


if __name__ == "__main__":
    unittest.main()
