"""Black-box (suite slow): mmwatch's PromQL answers side by side with a
real Prometheus (Debian's) holding the same samples. One remote-write
stream, built here from a seeded generator (counters with a reset,
classic histograms, gauges of arbitrary floats, an info metric, a series
that goes stale, +Inf and NaN), is posted to both: to mmwatch's
/api/v1/write and to Prometheus's (--web.enable-remote-write-receiver).
Then every query of the corpus below, and every query of
examples/grafana/mmwatch.json, is asked of both over HTTP, instant at
several times and as a range query, and the answers are compared: the
same series, the same timestamps, the same values as text (Go's
shortest float form, so bit for bit).

Debian's Prometheus is 2.42; mmwatch follows Prometheus 3. Where the two
versions differ by design the data and times are chosen so it does not
show, never the comparison loosened:
- 3 made range windows and the lookback left-open ((t-r, t]; 2.42 takes
  [t-r, t]): every sample time has a millisecond part that is neither 0
  nor 500 and every query time ends in .500 s, so no sample ever sits on
  a window's edge (subquery steps land on whole seconds, so they do not
  either).
- 3 sums with Kahan compensation (sum, avg_over_time), 2.42 adds plainly
  (and averages over time incrementally): those answers differ in the
  last bits when the values are arbitrary floats. The queries marked
  APPROX, the ones where that shows on this data, are compared with a
  relative tolerance of 1e-12, and only those.
- 3 extrapolates rate's start to the zero point of a counter after
  limiting it to half a sample interval, 2.42 before (Prometheus commit
  7f912db, 2.51): they differ when a window starts well before a
  series' first sample, so every window (subqueries' too) lies within the
  data: queries start 1000 s into it, the longest lookback is 15 min.
- Go's math.Exp, Log and Pow are not correctly rounded (glibc's are):
  queries marked ULPS are compared within 1e-15 relative (a few ulps).
- Which of equal values topk keeps, and the order sort gives equal
  values, differ between versions (2.42 pops and pushes its heap, 3
  overwrites its top; Go's sort is not stable) and with the head's series
  order: the corpus ranks and sorts values without ties.
- Answers' infos and warnings are not compared (2.42 has no infos).
"""

import json
import math
import os
import random
import re
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import ROOT, MmwatchTestCase, wait_until
from prom_server import PrometheusServer
from test_history import STALE, bits, snappy_literal, write_request

STEP_MS = 15_000
MINUTES = 45
SAMPLES = MINUTES * 60_000 // STEP_MS
NAN_BITS = 0x7FF8000000000001  # Prometheus's value.NormalNaN

# Sorted answers are compared in order; every other instant vector as a set.
ORDERED = ("sort(", "sort_desc(")

# The corpus: query text with {t} for an absolute time in seconds
# (the instant query's time). Tuples mark a relative tolerance (reason above).
APPROX = 1e-12
ULPS = 1e-15
QUERIES = [
    # Selectors and modifiers.
    'http_requests_total',
    'http_requests_total{job="api",code!="200"}',
    'http_requests_total{method=~"g.*",instance!~"i1"}',
    '{__name__=~"node_.*",instance="i0"}',
    'http_requests_total offset 5m',
    'http_requests_total offset -2m',
    'node_temperature_celsius @ {t}',
    'node_temperature_celsius @ end()',
    'node_temperature_celsius @ start() offset 1m',
    'flaky_gauge',
    'weird_gauge',
    # Counters.
    'rate(http_requests_total[5m])',
    'rate(http_requests_total[1m])',
    'irate(http_requests_total[2m])',
    'increase(http_requests_total[10m])',
    'resets(http_requests_total[30m])',
    'changes(node_temperature_celsius[10m])',
    'delta(node_temperature_celsius[5m])',
    'idelta(node_temperature_celsius[5m])',
    'deriv(memory_bytes[10m])',
    'predict_linear(memory_bytes[10m], 3600)',
    # Aggregations.
    ('sum(rate(http_requests_total[5m]))', APPROX),
    ('sum by (job) (rate(http_requests_total[5m]))', APPROX),
    ('sum without (instance, method) (increase(http_requests_total[5m]))', APPROX),
    'avg by (instance) (node_temperature_celsius)',
    'max by (instance) (node_temperature_celsius)',
    'min without (sensor) (node_temperature_celsius)',
    'count by (code) (http_requests_total)',
    'group by (job) (http_requests_total)',
    'stddev by (instance) (node_temperature_celsius)',
    'stdvar(node_temperature_celsius)',
    'topk(3, rate(http_request_duration_seconds_sum[5m]))',
    'bottomk(2, node_temperature_celsius)',
    'topk by (job) (1, http_requests_total)',
    'quantile(0.9, node_temperature_celsius)',
    'quantile by (instance) (0.25, node_temperature_celsius)',
    'count_values("value", node_info)',
    'sum(weird_gauge)',
    'max(weird_gauge)',
    # Classic histograms.
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.5, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[10m]))',
    'rate(http_request_duration_seconds_sum[5m]) / rate(http_request_duration_seconds_count[5m])',
    # Binary operators.
    'http_requests_total * 2 - 1',
    'node_temperature_celsius > 50',
    'node_temperature_celsius > bool 50',
    'http_requests_total{code="500"} / ignoring(code) http_requests_total{code="200"}',
    'http_requests_total / on(job, instance, method) group_left sum by (job, instance, method) (http_requests_total)',
    'node_temperature_celsius * on(instance) group_left(version) node_info',
    'node_info * on(instance) group_right(version) node_temperature_celsius',
    'http_requests_total and http_requests_total{code="200"}',
    'node_temperature_celsius or flaky_gauge',
    'http_requests_total unless on(code) http_requests_total{code="500"}',
    '1 / (memory_bytes - memory_bytes)',
    # Subqueries.
    'max_over_time(rate(http_requests_total[5m])[10m:1m])',
    ('avg_over_time(sum by (job) (http_requests_total)[15m:30s])', APPROX),
    'min_over_time(node_temperature_celsius[20m:1m] offset 2m)',
    # *_over_time.
    ('avg_over_time(node_temperature_celsius[10m])', APPROX),
    'max_over_time(node_temperature_celsius[10m])',
    'min_over_time(node_temperature_celsius[10m])',
    'sum_over_time(node_temperature_celsius[3m])',
    'count_over_time(flaky_gauge[10m])',
    'last_over_time(flaky_gauge[10m])',
    'quantile_over_time(0.75, node_temperature_celsius[10m])',
    'stddev_over_time(node_temperature_celsius[10m])',
    'present_over_time(flaky_gauge[10m])',
    # Absent, labels, sorting, the rest.
    'absent(nonexistent_metric{job="x"})',
    'absent(flaky_gauge)',
    'absent_over_time(flaky_gauge[2m])',
    'label_replace(http_requests_total, "kind", "$1xx", "code", "(.).*")',
    'label_join(node_info, "id", "/", "instance", "version")',
    'sort(node_temperature_celsius)',
    'sort_desc(rate(http_request_duration_seconds_sum[5m]))',
    'sort(memory_bytes)',
    'timestamp(node_temperature_celsius)',
    'time() - batch_last_success_timestamp_seconds',
    'scalar(sum(node_info))',
    'vector(1) + scalar(count(node_info))',
    'clamp(node_temperature_celsius, 30, 60)',
    'clamp_min(node_temperature_celsius, 40)',
    'round(node_temperature_celsius, 0.5)',
    ('abs(-node_temperature_celsius) ^ 0.5', ULPS),
    ('ln(memory_bytes)', ULPS),
    'hour(batch_last_success_timestamp_seconds)',
    'day_of_week()',
    ('exp(node_temperature_celsius / 100)', ULPS),
    'sgn(deriv(node_temperature_celsius[5m]))',
]


def series_set(seed):
    """The data: {labels frozenset: (labels, [(t_ms offset, value bits)])}
    over SAMPLES steps, each series at its own millisecond phase."""
    rng = random.Random(seed)
    out = []
    phase = [37]

    def next_phase():  # ms part never 0 or 500 (see the module's note)
        phase[0] = (phase[0] + 1237) % STEP_MS
        while phase[0] % 1000 in (0, 500):
            phase[0] += 1
        return phase[0]

    def add(labels, values):
        off = next_phase()
        out.append((labels, [(off + i * STEP_MS, v) for i, v in enumerate(values) if v is not None]))

    for job in ("api", "web"):
        for inst in ("i0", "i1"):
            for method in ("get", "post"):
                for code in ("200", "500"):
                    v, vals = rng.randint(0, 1000), []
                    for i in range(SAMPLES):
                        v += rng.randint(0, 20)
                        if (job, inst, method, code) == ("api", "i1", "post", "500") and i == SAMPLES // 2:
                            v = rng.randint(0, 5)  # a counter reset
                        vals.append(bits(float(v)))
                    add({"__name__": "http_requests_total", "job": job, "instance": inst, "method": method,
                         "code": code}, vals)
            les = ("0.05", "0.1", "0.25", "0.5", "1", "+Inf")
            counts, total, buckets = [0] * len(les), 0.0, {le: [] for le in les}
            sums, totals = [], []
            for i in range(SAMPLES):
                for _ in range(rng.randint(0, 30)):
                    x = rng.expovariate(4.0)
                    total += x
                    for k, le in enumerate(les):
                        if x <= float(le):
                            counts[k] += 1
                for k, le in enumerate(les):
                    buckets[le].append(bits(float(counts[k])))
                sums.append(bits(total))
                totals.append(bits(float(counts[-1])))
            base = {"job": job, "instance": inst}
            for le in les:
                add({"__name__": "http_request_duration_seconds_bucket", **base, "le": le}, buckets[le])
            add({"__name__": "http_request_duration_seconds_sum", **base}, sums)
            add({"__name__": "http_request_duration_seconds_count", **base}, totals)
    for inst in ("i0", "i1", "i2"):
        for sensor in ("a", "b"):
            v, vals = rng.uniform(20, 80), []
            for i in range(SAMPLES):
                v = min(95.0, max(5.0, v + rng.gauss(0, 2)))
                vals.append(bits(v))
            add({"__name__": "node_temperature_celsius", "instance": inst, "sensor": sensor}, vals)
        add({"__name__": "node_info", "instance": inst, "version": "1.%d" % ord(inst[1])}, [bits(1.0)] * SAMPLES)
        m, vals = rng.uniform(1e8, 2e8), []
        for i in range(SAMPLES):
            m += rng.randint(-2**20, 2**21)
            vals.append(bits(float(m)))
        add({"__name__": "memory_bytes", "instance": inst}, vals)
    # Present for 25 minutes, then a staleness marker, then nothing.
    flaky = [bits(rng.uniform(0, 10)) for _ in range(100)] + [STALE] + [None] * (SAMPLES - 101)
    add({"__name__": "flaky_gauge", "instance": "i0"}, flaky)
    weird = [bits(float(i % 7)) for i in range(SAMPLES)]
    for i in range(0, SAMPLES, 11):
        weird[i] = bits(math.inf)
    for i in range(5, SAMPLES, 13):
        weird[i] = NAN_BITS
    add({"__name__": "weird_gauge", "instance": "i0"}, weird)
    add({"__name__": "weird_gauge", "instance": "i1"}, [bits(-float(i)) for i in range(SAMPLES)])
    add({"__name__": "batch_last_success_timestamp_seconds", "job": "batch"},
        [bits(1.7e9 + 60.0 * (i // 4)) for i in range(SAMPLES)])
    return out


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def dashboard_series(page):
    """Series for the dashboard's queries: every sample of mmwatch's own
    /metrics page under instance and job "dash", each value v growing as
    (v + 1) * (1 + i * f) with f fixed per name (so counters grow and a
    histogram's buckets stay in order), a gauge at 0 or 1 flipping every
    two minutes (flags such as mmwatch_source_stale)."""
    out = []
    for line in page.splitlines():
        m = LINE.match(line)
        if not m or line.startswith("#"):
            continue
        name, labels, value = m.groups()
        labels = dict(LABEL.findall(labels or ""))
        labels.update({"__name__": name, "instance": "dash", "job": "dash"})
        try:
            v0 = float(value)
        except ValueError:
            continue
        f = (0.0, 0.01, 0.1)[sum(name.encode()) % 3]
        flag = v0 in (0.0, 1.0) and not name.endswith(("_total", "_bucket", "_count", "_sum"))
        values = [float(i // 8 % 2) if flag else (v0 + 1) * (1 + i * f) for i in range(SAMPLES)]
        out.append((labels, [(i * STEP_MS + 4321, bits(v)) for i, v in enumerate(values)]))
    return out


def grafana_queries():
    """The dashboard's queries with its variables set to match everything."""
    with open(os.path.join(ROOT, "examples", "grafana", "mmwatch.json")) as f:
        dash = json.load(f)
    out = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                out.append(node["expr"].replace("$__rate_interval", "1m").replace("$instance", "dash")
                           .replace("$job", "dash"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(dash)
    return out


def post(port, body):
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/write" % port, data=snappy_literal(body), method="POST")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("Content-Encoding", "snappy")
    req.add_header("X-Prometheus-Remote-Write-Version", "0.1.0")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def ask(port, path, params):
    """(status, document) of one API call."""
    url = "http://127.0.0.1:%d/api/v1/%s?%s" % (port, path, urllib.parse.urlencode(params))
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def close(a, b, tol):
    if a == b:
        return True
    if not tol:
        return False
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return math.isfinite(x) and math.isfinite(y) and abs(x - y) <= tol * max(abs(x), abs(y))


def same_data(ours, theirs, tol, ordered):
    """True if two successful answers' data match (series, stamps, values)."""
    if ours["resultType"] != theirs["resultType"]:
        return False
    kind, a, b = ours["resultType"], ours["result"], theirs["result"]
    if kind in ("scalar", "string"):
        return a[0] == b[0] and close(a[1], b[1], tol)
    if kind == "vector" and not ordered:
        key = lambda s: sorted(s["metric"].items())  # noqa: E731
        a, b = sorted(a, key=key), sorted(b, key=key)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x["metric"] != y["metric"]:
            return False
        px = x.get("values") or [x["value"]]
        py = y.get("values") or [y["value"]]
        if len(px) != len(py) or any(p[0] != q[0] or not close(p[1], q[1], tol) for p, q in zip(px, py)):
            return False
    return True


def describe(path, params, ours, theirs):
    """One line on where two answers part."""
    head = "%s %s: " % (path, params)
    if not (isinstance(ours, dict) and "result" in ours and "result" in theirs):
        return head + "ours %s, Prometheus %s" % (json.dumps(ours)[:300], json.dumps(theirs)[:300])
    if ours["resultType"] != theirs["resultType"] or ours["resultType"] in ("scalar", "string"):
        return head + "ours %s, Prometheus %s" % (json.dumps(ours)[:300], json.dumps(theirs)[:300])
    key = lambda s: json.dumps(sorted(s["metric"].items()))  # noqa: E731
    a, b = {key(x): x for x in ours["result"]}, {key(x): x for x in theirs["result"]}
    if set(a) != set(b):
        return head + "series only ours %s, only Prometheus' %s" % (sorted(set(a) - set(b))[:3], sorted(set(b) - set(a))[:3])
    for k in a:
        pa, pb = a[k].get("values") or [a[k]["value"]], b[k].get("values") or [b[k]["value"]]
        if pa != pb:
            diff = [(p, q) for p, q in zip(pa, pb) if p != q][:2]
            return head + "%s: %d vs %d points, first differing %s" % (k, len(pa), len(pb), diff)
    return head + "order differs"


class SideBySide(MmwatchTestCase):
    maxDiff = None

    def test_mmwatch_answers_every_query_as_prometheus_does(self):
        # A file (the sources' metrics) and a remote_write URL nobody
        # answers (the push metrics) fill the /metrics page the dashboard reads.
        self.producer("app").counter("jobs_total")
        self.producers[0].publish()
        m = self.start("--remote-write", "http://127.0.0.1:9/api/v1/write")
        wait_until(lambda: "mmwatch_remote_write_pending_bytes{" in m.metrics(), "push metrics")
        with PrometheusServer([], "--web.enable-remote-write-receiver",
                              config="global:\n  scrape_interval: 1m\n") as prom:
            wait_until(lambda: prom.api("status/buildinfo"), "prometheus up", timeout=60)
            t0 = (int(time.time()) - MINUTES * 60 - 60) * 1000
            # Sorted by labels: Prometheus's head hands a selector's series out
            # in creation order, its blocks and mmwatch in label order; ties
            # (topk, sort) are broken by that order.
            data = sorted(series_set(20261206) + dashboard_series(m.metrics()),
                          key=lambda s: sorted(s[0].items()))
            # Five minutes of every series per request, in time order:
            # Prometheus's head takes samples up to an hour behind its newest.
            for lo in range(0, MINUTES * 60_000, 5 * 60_000):
                body = write_request([(labels, part) for labels, samples in data
                                      if (part := [(t0 + t, v) for t, v in samples if lo <= t < lo + 5 * 60_000])])
                self.assertEqual(post(m.port, body), 204)
                self.assertEqual(post(prom.port, body), 204)
            total = sum(len(s) for _, s in data)
            wait_until(lambda: m.sample("mmwatch_history_remote_write_samples_total") == str(total),
                       "mmwatch stored every sample")
            wait_until(lambda: (ask(prom.port, "query", {"query": "count(http_requests_total)",
                                                          "time": t0 / 1000 + 600})[1]
                                .get("data", {}).get("result")), "prometheus has the samples", timeout=60)

            s = t0 / 1000
            times = [s + 1000.5, s + 1507.5, s + 1530.5, s + 2111.5, s + 2690.5]
            ranges = [(s + 1000.5, s + 2650.5, 30), (s + 1400.5, s + 1700.5, 15)]
            mismatches, asked, empty = [], 0, []
            corpus = [(q, 0) if isinstance(q, str) else q for q in QUERIES]
            corpus += [(q, 0) for q in grafana_queries()]
            for query, tol in corpus:
                ordered = query.startswith(ORDERED)
                self.answered = False
                for t in times:
                    q = query.replace("{t}", "%.3f" % (t - 120))
                    asked += 1
                    mismatches += self.compare(m, prom, "query", {"query": q, "time": "%.3f" % t}, tol, ordered)
                for start, end, step in ranges:
                    q = query.replace("{t}", "%.3f" % (start + 60))
                    asked += 1
                    mismatches += self.compare(m, prom, "query_range",
                                               {"query": q, "start": "%.3f" % start, "end": "%.3f" % end,
                                                "step": step}, tol, True)
                if not self.answered:
                    empty.append(query)
            print("side by side: %d queries, %d answers compared, %d differ" % (len(corpus), asked, len(mismatches)))
            self.assertGreaterEqual(len(corpus), 100)
            self.assertEqual([describe(*x) for x in mismatches], [])
            self.assertEqual(empty, [], "queries whose every answer was empty compare nothing")

    def compare(self, m, prom, path, params, tol, ordered):
        ours, theirs = ask(m.port, path, params), ask(prom.port, path, params)
        if ours[0] != theirs[0]:
            return [(path, params, ours, theirs)]
        if ours[1].get("status") != "success":
            same = ours[1].get("errorType") == theirs[1].get("errorType")
            return [] if same else [(path, params, ours, theirs)]
        if not same_data(ours[1]["data"], theirs[1]["data"], tol, ordered):
            return [(path, params, ours[1]["data"], theirs[1]["data"])]
        self.answered = self.answered or bool(ours[1]["data"]["result"])
        return []


if __name__ == "__main__":
    import unittest
    unittest.main()
