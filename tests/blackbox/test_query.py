"""Black-box: the Prometheus HTTP API over the history (docs/query.md).
A file counter sampled every second into history, then asked through
/api/v1/query, query_range, series, labels, label values, buildinfo and
a bad query, with exact answers; and Debian's promtool asking the same."""

import json
import math
import subprocess
import time
import urllib.parse
import urllib.request

from harness import MmwatchTestCase, wait_until


class Query(MmwatchTestCase):
    def setUp(self):
        super().setUp()
        p = self.producer("app")
        c = p.counter("jobs_total")
        p.publish()
        c.add(5)
        self.m = self.start("--history-interval", "1s")
        self.labels = {"__name__": "jobs_total", "instance": "127.0.0.1:%d" % self.m.port, "job": "mmwatch",
                       "name": "app"}
        # Three samples stored: the first one's time starts every range below.
        self.stamps = wait_until(lambda: self.sample_times() if len(self.sample_times()) >= 3 else None,
                                 "three samples in history")

    def sample_times(self):
        q = urllib.parse.urlencode({"match[]": "jobs_total"})
        status, _, body = self.m.get("/api/v1/export?" + q)
        self.assertEqual(status, 200, body)
        return json.loads(body.splitlines()[0])["timestamps"] if body else []

    def api(self, path, **params):
        return api(self.m, path, **params)

    def ok(self, path, **params):
        status, headers, doc = self.api(path, **params)
        self.assertEqual(status, 200, doc)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(doc["status"], "success", doc)
        return doc["data"]

    def test_instant_queries_answer_as_prometheus(self):
        t = self.stamps[-1] / 1000
        self.assertEqual(self.ok("/api/v1/query", query="jobs_total", time=t),
                         {"resultType": "vector", "result": [{"metric": self.labels, "value": [t, "5"]}]})
        self.assertEqual(self.ok("/api/v1/query", query="count(jobs_total)", time=t),
                         {"resultType": "vector", "result": [{"metric": {}, "value": [t, "1"]}]})
        # rate drops the name; a counter that does not move has rate 0.
        no_name = {k: v for k, v in self.labels.items() if k != "__name__"}
        self.assertEqual(self.ok("/api/v1/query", query="rate(jobs_total[10s])", time=t),
                         {"resultType": "vector", "result": [{"metric": no_name, "value": [t, "0"]}]})
        self.assertEqual(self.ok("/api/v1/query", query="scalar(jobs_total) * 2", time=t),
                         {"resultType": "scalar", "result": [t, "10"]})
        # Before the first sample nothing is there.
        self.assertEqual(self.ok("/api/v1/query", query="jobs_total", time=self.stamps[0] / 1000 - 1),
                         {"resultType": "vector", "result": []})

    def test_range_query_series_labels_and_buildinfo(self):
        start = math.ceil(self.stamps[0] / 1000)
        wait_until(lambda: self.sample_times()[-1] >= (start + 2) * 1000, "samples up to start+2s")
        data = self.ok("/api/v1/query_range", query="jobs_total", start=start, end=start + 2, step=1)
        self.assertEqual(data, {"resultType": "matrix", "result": [
            {"metric": self.labels, "values": [[start, "5"], [start + 1, "5"], [start + 2, "5"]]}]})
        self.assertEqual(self.ok("/api/v1/series", **{"match[]": 'jobs_total{name="app"}'}), [self.labels])
        labels = self.ok("/api/v1/labels")
        for name in ("__name__", "instance", "job", "name"):
            self.assertIn(name, labels)
        self.assertEqual(labels, sorted(labels))
        self.assertEqual(self.ok("/api/v1/label/name/values"), ["app"])
        self.assertIn("jobs_total", self.ok("/api/v1/label/__name__/values"))
        build = self.ok("/api/v1/status/buildinfo")
        self.assertEqual(set(build), {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"})
        self.assertIn('mmwatch_build_info{version="%s"' % build["version"], self.m.metrics())
        self.assertEqual(self.ok("/api/v1/metadata", metric="jobs_total"),
                         {"jobs_total": [{"type": "counter", "help": "", "unit": ""}]})

    def test_a_bad_query_is_bad_data_400_and_counted(self):
        status, _, doc = self.api("/api/v1/query", query="sum(", time=1)
        self.assertEqual(status, 400)
        self.assertEqual(set(doc), {"status", "errorType", "error"})
        self.assertEqual((doc["status"], doc["errorType"]), ("error", "bad_data"))
        self.assertIn("parse error", doc["error"])
        status, _, doc = self.api("/api/v1/query_range", query="jobs_total", start=10, end=5, step=1)
        self.assertEqual((status, doc["errorType"]), (400, "bad_data"))
        # Every refusal reason is exported, even at zero.
        self.assertEqual(self.m.sample('mmwatch_api_refused_total{reason="bad_request"}'), "2")
        self.assertEqual(self.m.sample('mmwatch_api_refused_total{reason="max_samples"}'), "0")
        self.assertEqual(self.m.sample("mmwatch_api_queries_running"), "0")

    def test_promtool_queries_mmwatch(self):
        url = "http://127.0.0.1:%d" % self.m.port
        t = self.stamps[-1] / 1000
        r = subprocess.run(["promtool", "query", "instant", "--time", "%.3f" % t, url, "jobs_total"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        # promtool prints the time as Go's shortest form: no trailing zeros.
        self.assertEqual(r.stdout, 'jobs_total{instance="127.0.0.1:%d", job="mmwatch", name="app"} => 5 @[%s]\n'
                         % (self.m.port, ("%.3f" % t).rstrip("0").rstrip(".")))
        start = math.ceil(self.stamps[0] / 1000)
        wait_until(lambda: self.sample_times()[-1] >= (start + 1) * 1000, "samples up to start+1s")
        r = subprocess.run(["promtool", "query", "range", "--start", str(start), "--end", str(start + 1),
                            "--step", "1s", url, "jobs_total"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, 'jobs_total{instance="127.0.0.1:%d", job="mmwatch", name="app"} =>\n'
                         '5 @[%d]\n5 @[%d]\n' % (self.m.port, start, start + 1))
        r = subprocess.run(["promtool", "query", "instant", url, "sum("], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad_data", r.stderr)


class LiveValues(MmwatchTestCase):
    """Queries near now see the values as they are now, not as the last
    --history-interval stored them (docs/query.md "Live values")."""

    def value(self, m, query, **params):
        status, _, body = m.get("/api/v1/query?" + urllib.parse.urlencode({"query": query, **params}))
        self.assertEqual(status, 200, body)
        result = json.loads(body)["data"]["result"]
        return [r["value"][1] for r in result]

    def test_a_counter_changed_is_seen_before_the_next_history_interval(self):
        p = self.producer("app")
        c = p.counter("jobs_total")
        p.publish()
        c.add(5)
        # An hour between samples into history: the first is an hour away.
        m = self.start("--history-interval", "1h")
        wait_until(lambda: self.value(m, 'jobs_total{name="app"}') == ["5"], "the live value 5")
        c.add(7)
        wait_until(lambda: self.value(m, 'jobs_total{name="app"}') == ["12"], "the live value 12")
        self.assertEqual(self.value(m, 'sum(jobs_total{name="app"}) * 2'), ["24"])
        # Nothing was stored: the values are live, and a query of the past
        # (beyond the lookback) does not see them.
        status, _, body = m.get("/api/v1/export?" + urllib.parse.urlencode({"match[]": "jobs_total"}))
        self.assertEqual((status, body), (200, ""))
        past = json.loads(m.get("/api/v1/query?" + urllib.parse.urlencode(
            {"query": "jobs_total", "time": "%.3f" % (time.time() - 600)}))[2])["data"]["result"]
        self.assertEqual(past, [])
        self.assertNotEqual(m.sample("mmwatch_api_live_queries_total"), "0")

    def test_the_live_value_follows_the_stored_samples(self):
        p = self.producer("app")
        c = p.counter("jobs_total")
        p.publish()
        c.add(1)
        m = self.start("--history-interval", "1s")
        q = urllib.parse.urlencode({"match[]": "jobs_total"})
        wait_until(lambda: m.get("/api/v1/export?" + q)[2], "a stored sample")
        c.add(1000)
        # Live at once, and the same value once stored.
        wait_until(lambda: self.value(m, 'jobs_total{name="app"}') == ["1001"], "the live value 1001")
        wait_until(lambda: '1001' in m.get("/api/v1/export?" + q)[2], "1001 stored")
        self.assertEqual(self.value(m, 'jobs_total{name="app"}'), ["1001"])
        self.assertEqual(self.value(m, 'count(jobs_total{name="app"})'), ["1"])


class Metadata(MmwatchTestCase):
    """/api/v1/metadata: every family of /metrics (file, OTLP, the daemon's
    own) with the TYPE and HELP the text format writes, the UNIT
    OpenMetrics writes, Prometheus's parameters and its shape."""

    def test_metadata_lists_every_family_of_metrics_as_it_is_exposed(self):
        p = self.producer("app")
        c = p.counter("jobs_total")
        p.publish()
        c.add(3)
        m = self.start("--otlp-listen", "127.0.0.1:0")
        otlp_port = int(m.proc.stderr.readline().strip().rsplit(":", 1)[1])
        body = json.dumps({"resourceMetrics": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "svc"}}]}, "scopeMetrics": [{"metrics": [
                {"name": "request.latency", "description": "Time to \"answer\"\nin full", "unit": "s",
                 "gauge": {"dataPoints": [{"asDouble": 0.5, "timeUnixNano": str(time.time_ns())}]}}]}]}]})
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % otlp_port, data=body.encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        text = wait_until(lambda: (lambda t: "request_latency_seconds" in t and "jobs_total{" in t and t)(m.metrics()),
                          "the file and OTLP metrics on /metrics")
        # The oracle: the text format's # HELP and # TYPE lines, and
        # OpenMetrics' # UNIT lines (names without _total there).
        want = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                name, kind = line[7:].split(" ", 1)
                want.setdefault(name, {})["type"] = kind
            elif line.startswith("# HELP "):
                name, _, help_text = line[7:].partition(" ")
                want.setdefault(name, {})["help"] = help_text.replace("\\n", "\n").replace("\\\\", "\\")
        req = urllib.request.Request("http://127.0.0.1:%d/metrics" % m.port,
                                     headers={"Accept": "application/openmetrics-text;version=1.0.0"})
        with urllib.request.urlopen(req, timeout=10) as r:
            om = r.read().decode()
        units = dict(l[7:].split(" ", 1) for l in om.splitlines() if l.startswith("# UNIT "))
        status, headers, doc = api(m, "/api/v1/metadata")
        self.assertEqual(status, 200)
        got = doc["data"]
        self.assertEqual(set(got), set(want))
        for name, [entry] in got.items():
            self.assertEqual(list(entry), ["type", "help", "unit"])
            self.assertEqual((entry["type"], entry["help"]), (want[name]["type"], want[name].get("help", "")), name)
            self.assertEqual(entry["unit"], units.get(name.removesuffix("_total"), ""), name)
        self.assertEqual(got["request_latency_seconds"],
                         [{"type": "gauge", "help": 'Time to "answer"\nin full', "unit": "seconds"}])
        self.assertEqual(got["jobs_total"][0]["type"], "counter")
        # Prometheus's parameters.
        status, _, doc = api(m, "/api/v1/metadata", metric="jobs_total")
        self.assertEqual(doc["data"], {"jobs_total": got["jobs_total"]})
        status, _, doc = api(m, "/api/v1/metadata", limit=2)
        self.assertEqual(doc["data"], {k: got[k] for k in sorted(got)[:2]})
        status, _, doc = api(m, "/api/v1/metadata", limit=0)
        self.assertEqual(doc["data"], {})
        status, _, doc = api(m, "/api/v1/metadata", metric="nothing_here")
        self.assertEqual(doc["data"], {})
        status, _, doc = api(m, "/api/v1/metadata", limit="x")
        self.assertEqual((status, doc), (400, {"status": "error", "errorType": "bad_data",
                                               "error": "limit must be a number"}))


def api(m, path, **params):
    """(status, headers, document) of an API call to `m`."""
    status, headers, body = m.get(path + "?" + urllib.parse.urlencode(params))
    return status, headers, json.loads(body)


if __name__ == "__main__":
    import unittest
    unittest.main()
