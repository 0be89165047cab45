"""Black-box: the history store (docs/history.md). File metrics sampled
every --history-interval and read back through GET /api/v1/export, with a
staleness marker once a file goes; kept across a restart with
--history-dir; a SIGKILL and a torn segment tail; POST /api/v1/write with
requests built here (good, hostile, out of order); and (suite slow) a
real Prometheus remote-writing into mmwatch, its samples read back equal
to what Prometheus itself answers."""

import json
import math
import os
import signal
import random
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import MmwatchTestCase, wait_until
from prom_server import PrometheusServer


def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def snappy_literal(data):
    """A valid snappy block of literals only: what a receiver must accept
    whatever the sender's compressor chose."""
    out = bytearray(uvarint(len(data)))
    for i in range(0, len(data), 60):
        piece = data[i:i + 60]
        out.append((len(piece) - 1) << 2)
        out += piece
    return bytes(out)


def field(num, payload):
    return uvarint(num << 3 | 2) + uvarint(len(payload)) + payload


def write_request(series):
    """A remote-write 1.0 WriteRequest: [(labels dict, [(t_ms, value bits)])]."""
    body = b""
    for labels, samples in series:
        ts = b""
        for name in sorted(labels):
            ts += field(1, field(1, name.encode()) + field(2, labels[name].encode()))
        for t, bits in samples:
            ts += field(2, b"\x09" + struct.pack("<Q", bits) + b"\x10" + uvarint(t & (2**64 - 1)))
        body += field(1, ts)
    return body


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


STALE = 0x7FF0000000000002


class History(MmwatchTestCase):
    def post(self, m, path, body, content_type="application/x-protobuf", encoding="snappy"):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (m.port, path), data=body, method="POST")
        req.add_header("Content-Type", content_type)
        if encoding:
            req.add_header("Content-Encoding", encoding)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def export(self, m, selector, **params):
        """The export's lines as (metric, values, timestamps), values as text
        tokens (null, +Inf, NaN, numbers) so nothing is lost in parsing."""
        q = urllib.parse.urlencode({"match[]": selector, **params})
        status, headers, body = m.get("/api/v1/export?" + q)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "application/stream+json")
        out = []
        for line in body.splitlines():
            head, _, rest = line.partition(',"values":[')
            values, _, rest = rest.partition('],"timestamps":[')
            metric = json.loads(head + "}")["metric"]
            stamps = json.loads("[" + rest.rstrip("]}") + "]")
            out.append((metric, values.split(",") if values else [], stamps))
        return out

    def until(self, m, series, value):
        """Waits for a self-metric to read `value` (/metrics renders once a tick)."""
        wait_until(lambda: m.sample(series) == value, "%s == %s" % (series, value))

    def counter(self, m, name):
        return float(m.sample(name) or "nan")

    def test_file_metrics_are_sampled_into_history_and_a_file_gone_gets_a_staleness_marker(self):
        p = self.producer("app")
        g = p.gauge("temperature_celsius")
        p.publish()
        g.set(-40)
        m = self.start("--history-interval", "1s")
        sel = 'temperature_celsius{name="app"}'
        lines = wait_until(lambda: [l for l in self.export(m, sel) if len(l[1]) >= 2], "two samples exported")
        metric, values, stamps = lines[0]
        self.assertEqual(metric["__name__"], "temperature_celsius")
        self.assertEqual(metric["job"], "mmwatch")
        self.assertEqual(values[:2], ["-40", "-40"])
        self.assertLess(stamps[0], stamps[1])
        p.close()  # removes the file
        self.producers.remove(p)
        wait_until(lambda: self.export(m, sel)[0][1][-1] == "null", "a staleness marker (null) after the file went")
        # Still exactly one marker, however many batches pass without it.
        before = self.counter(m, "mmwatch_history_appended_total")
        wait_until(lambda: self.counter(m, "mmwatch_history_appended_total") > before + 1, "later batches")
        self.assertEqual(self.export(m, sel)[0][1].count("null"), 1)

    def test_history_is_kept_across_a_restart_with_a_history_dir(self):
        hdir = os.path.join(self.dir + "-history")
        p = self.producer("app")
        g = p.gauge("level")
        p.publish()
        g.set(7)
        m = self.start("--history-interval", "1s", "--history-dir", hdir)
        first = wait_until(lambda: [l for l in self.export(m, 'level{name="app"}') if len(l[2]) >= 3], "3 samples")
        code, _ = m.stop()
        self.instances.remove(m)
        self.assertEqual(code, 0)
        self.assertTrue(any(f.endswith(".hseg") for f in os.listdir(hdir)))
        m = self.start("--history-interval", "1s", "--history-dir", hdir)
        wait_until(lambda: m.sample("mmwatch_history_loading") == "0", "reload done")
        after = self.export(m, 'level{name="app"}')[0]
        # Every sample of before the restart is back, bit for bit.
        self.assertEqual(after[2][:len(first[0][2])], first[0][2])
        self.assertEqual(after[1][:len(first[0][1])], first[0][1])
        self.assertGreater(self.counter(m, "mmwatch_history_loaded_samples_total"), 0)
        self.until(m, 'mmwatch_history_segments_skipped_total{reason="corrupt"}', "0")

    def test_a_sigkill_and_a_torn_segment_tail_lose_only_what_was_not_flushed(self):
        hdir = os.path.join(self.dir + "-history")
        m = self.start("--history-interval", "1s", "--history-dir", hdir, "--history-flush-interval", "10s")
        # Samples taken before the first flush are on disk once it is done.
        flushed = wait_until(lambda: [l for l in self.export(m, "mmwatch_build_info") if len(l[2]) >= 2],
                             "two samples")[0][2]
        self.assertEqual(self.counter(m, "mmwatch_history_flushes_total"), 0)
        wait_until(lambda: self.counter(m, "mmwatch_history_flushes_total") >= 1, "a flush", timeout=60)
        m.proc.send_signal(signal.SIGKILL)
        m.proc.wait()
        m.proc.stderr.close()
        self.instances.remove(m)
        # The crash cut a record short: the start of a record written again
        # at the end of the newest segment, as a flush stopped mid-write leaves it.
        seg = sorted(f for f in os.listdir(hdir) if f.endswith(".hseg"))[-1]
        path = os.path.join(hdir, seg)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "ab") as f:
            f.write(data[:min(len(data) - 1, 200)])
        m = self.start("--history-interval", "1s", "--history-dir", hdir)
        wait_until(lambda: m.sample("mmwatch_history_loading") == "0", "reload done")
        self.until(m, 'mmwatch_history_segments_skipped_total{reason="torn"}', "1")
        back = self.export(m, "mmwatch_build_info")[0][2]
        for t in flushed:
            self.assertIn(t, back)

    def test_remote_write_stores_samples_bit_exact_and_refuses_by_name(self):
        m = self.start()
        # Recent times: older samples would go with the raw retention (15 days).
        t0 = (int(time.time()) - 600) * 1000
        samples = [(t0, bits(1.5)), (t0 + 1000, bits(-0.0)), (t0 + 2000, bits(math.inf)),
                   (t0 + 3000, STALE), (t0 + 4000, bits(5e-324)), (t0 + 5000, bits(1.7976931348623157e308))]
        req = write_request([({"__name__": "rw_test", "site": "a"}, samples)])
        self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(req))[0], 204)
        [(metric, values, stamps)] = self.export(m, 'rw_test{site="a"}')
        self.assertEqual(metric, {"__name__": "rw_test", "site": "a"})
        self.assertEqual(stamps, [t for t, _ in samples])
        self.assertEqual(values, ["1.5", "-0.0", "+Inf", "null", "5e-324", "1.7976931348623157e+308"])
        # Only part of a range, by start and end in seconds.
        [(_, values, _)] = self.export(m, 'rw_test', start=str(t0 // 1000 + 1), end="%d.5" % (t0 // 1000 + 2))
        self.assertEqual(values, ["-0.0", "+Inf"])
        # Out of order: 400 (as Prometheus answers; the sender does not retry), counted.
        old = write_request([({"__name__": "rw_test", "site": "a"}, [(t0 - 1000, bits(1))])])
        status, body = self.post(m, "/api/v1/write", snappy_literal(old))
        self.assertEqual(status, 400)
        self.assertIn("out of order", body)
        self.until(m, 'mmwatch_history_refused_total{reason="out_of_order"}', "1")
        # Refusals, each named and counted.
        self.assertEqual(self.post(m, "/api/v1/write", b"\x0a\xfe")[0], 400)
        self.until(m, 'mmwatch_history_remote_write_requests_total{error="bad_snappy"}', "1")
        self.assertEqual(self.post(m, "/api/v1/write", b"\xff\xff\xff\xff\x0f")[0], 413)
        self.until(m, 'mmwatch_history_remote_write_requests_total{error="body_too_large"}', "1")
        self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(b"\x0a\x05\x0a"))[0], 400)
        self.until(m, 'mmwatch_history_remote_write_requests_total{error="malformed_protobuf"}', "1")
        self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(req), content_type="text/plain")[0], 415)
        self.until(m, 'mmwatch_history_remote_write_refused_total{reason="unsupported_media_type"}', "1")
        self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(req), encoding="gzip")[0], 415)
        self.until(m, 'mmwatch_history_remote_write_refused_total{reason="unsupported_encoding"}', "1")
        self.assertEqual(m.get("/api/v1/write")[0], 405)
        # PromQL selectors: regexes and negations too.
        self.assertEqual(len(self.export(m, '{__name__=~"rw_.*",site!="b"}')), 1)
        self.assertEqual(self.export(m, 'rw_test{site=~"b|c"}'), [])
        # A bad selector is a 400 that says why.
        status, _, body = m.get("/api/v1/export?" + urllib.parse.urlencode({"match[]": "rw_test[5m]"}))
        self.assertEqual(status, 400)
        self.assertIn("parse error", body)
        status, _, body = m.get("/api/v1/export?" + urllib.parse.urlencode({"match[]": '{site=~".*"}'}))
        self.assertEqual(status, 400)
        self.assertIn("non-empty matcher", body)
        self.assertEqual(m.get("/api/v1/export")[0], 400)

    def test_history_self_metrics_are_exported_at_zero_from_the_start(self):
        m = self.start()
        body = m.metrics()
        for row in ('mmwatch_history_samples{tier="raw"}', 'mmwatch_history_bytes{tier="1h"}',
                    'mmwatch_history_refused_total{reason="memory_budget"}', "mmwatch_history_flushes_total",
                    'mmwatch_history_remote_write_refused_total{reason="loading"}',
                    "mmwatch_history_longest_step_seconds"):
            self.assertIn("\n" + row + " ", body)
        self.assertEqual(m.sample("mmwatch_history_budget_bytes"), str(32 * 1024 * 1024))


class HistoryUnderLoad(MmwatchTestCase):
    """Long history tests (the slow suite): a large export paced across
    loop turns, and SIGKILLs in the middle of flushes."""
    post = History.post
    export = History.export
    counter = History.counter

    def test_scrapes_during_a_large_export_are_answered_and_the_export_is_complete_and_exact(self):
        m = self.start()
        t0 = (int(time.time()) - 3600) * 1000
        rng = random.Random(24)
        sent = {}
        for batch in range(25):  # 250 series x 2,000 samples: about 16 MB of JSON lines
            series = []
            for s in range(batch * 10, batch * 10 + 10):
                samples = [(t0 + i * 1000, bits(rng.uniform(-1, 1) * 10.0 ** rng.randint(-30, 30)))
                           for i in range(2000)]
                sent["big%03d" % s] = samples
                series.append(({"__name__": "big%03d" % s, "job": "bulk"}, samples))
            self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(write_request(series)))[0], 204)
        result = {}

        def export():
            result["lines"] = self.export(m, '{job="bulk"}')

        exporter = threading.Thread(target=export)
        exporter.start()
        scrapes, during = 0, 0
        while exporter.is_alive() or scrapes == 0:
            status, _, body = m.get("/metrics", timeout=60)
            self.assertEqual(status, 200)
            scrapes += 1
            during += "mmwatch_history_exports_running 1\n" in body
        exporter.join()
        print("%d scrapes answered during the export, %d of them rendered while it was being built" %
              (scrapes, during))
        got = {}  # a long series may come as several lines, in order
        for metric, values, stamps in result["lines"]:
            got.setdefault(metric["__name__"], []).extend(zip(stamps, (bits(float(v)) for v in values)))
        self.assertEqual(sorted(got), sorted(sent))
        for name, want in sent.items():
            self.assertEqual(got[name], want, name)
        self.assertIn('mmwatch_history_exports_total{result="ok"} 1\n', m.metrics())

    def kill(self, m):
        m.proc.send_signal(signal.SIGKILL)
        m.proc.wait()
        m.proc.stderr.close()
        self.instances.remove(m)

    def test_sigkills_at_random_moments_of_flushes_lose_nothing_flushed_before(self):
        hdir = self.dir + "-history"
        # Room for every series (the default budget's index half holds a few thousand).
        args = ("--history-dir", hdir, "--history-flush-interval", "10s", "--history-bytes", "512Mi")
        rng = random.Random(2024)
        names = ["crash%05d" % i for i in range(12_000)]  # a flush of 47 steps of 256 series, and their writes
        sent = {n: [] for n in names}
        durable = {n: [] for n in names}  # what a completed flush holds

        def write_round(m, t):
            for i in range(0, len(names), 2000):
                series = []
                for n in names[i:i + 2000]:
                    sample = (t, bits(rng.uniform(-1e9, 1e9)))
                    sent[n].append(sample)
                    series.append(({"__name__": n, "job": "crash"}, [sample]))
                self.assertEqual(self.post(m, "/api/v1/write", snappy_literal(write_request(series))), (204, ""))

        def disk_bytes():
            return sum(os.path.getsize(os.path.join(hdir, f)) for f in os.listdir(hdir) if f.endswith(".hseg"))

        t = (int(time.time()) - 3000) * 1000
        m = self.start(*args)
        kills = []
        for _ in range(3):
            wait_until(lambda: m.sample("mmwatch_history_loading") == "0", "reload done", timeout=120)
            # A: written, then a flush completes: on disk for good.
            done = self.counter(m, "mmwatch_history_flushes_total")
            a_base = disk_bytes()
            write_round(m, t)
            t += 1000
            wait_until(lambda: self.counter(m, "mmwatch_history_flushes_total") >= done + 1, "a flush", timeout=60)
            full = disk_bytes() - a_base  # about what one flush of a round writes
            for n in names:
                durable[n] = list(sent[n])
            # B: written, then killed at a random moment once the next flush writes.
            base = disk_bytes()
            write_round(m, t)
            t += 1000
            wait_until(lambda: disk_bytes() > base, "the next flush writing", timeout=60, step=0.001)
            time.sleep(rng.choice((0, 0.002, 0.005, 0.02)))
            grown = disk_bytes() - base
            self.kill(m)
            kills.append(grown)
            m = self.start(*args)
        wait_until(lambda: m.sample("mmwatch_history_loading") == "0", "reload done", timeout=120)
        self.assertIsNone(m.proc.poll(), "mmwatch died reloading")
        got = {}
        for metric, values, stamps in self.export(m, '{job="crash"}'):
            got.setdefault(metric["__name__"], []).extend(zip(stamps, (bits(float(v)) for v in values)))
        extra = 0
        for n in names:
            have = got.get(n, [])
            self.assertTrue(set(durable[n]) <= set(have), n)  # everything flushed before the last kill
            self.assertTrue(set(have) <= set(sent[n]), n)     # and nothing that was not sent, bit-exact
            extra += len(have) - len(durable[n])
        skipped = {r: m.sample('mmwatch_history_segments_skipped_total{reason="%s"}' % r)
                   for r in ("torn", "corrupt", "bad_record", "unreadable")}
        print("killed after %s bytes of a %d-byte flush; %d of %d samples of the killed flushes reloaded; "
              "skipped %s" % (kills, full, extra, 3 * len(names), skipped))


class PrometheusRemoteWrite(MmwatchTestCase):
    """Debian's Prometheus scrapes mmwatch and remote-writes what it
    scraped into the same mmwatch; the export gives back exactly the
    samples Prometheus answers for the same series."""

    def test_prometheus_remote_writes_into_mmwatch_and_the_export_equals_its_answers(self):
        p = self.producer("app")
        c = p.counter("requests_total")
        p.publish()
        m = self.start()
        config = ("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                  "scrape_configs:\n  - job_name: prom\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                  "remote_write:\n  - url: http://127.0.0.1:%d/api/v1/write\n"
                  "    queue_config:\n      batch_send_deadline: 1s\n" % (m.port, m.port))
        with PrometheusServer([], config=config) as prom:
            for i in range(5):
                c.add(i * 1000 + 1)
                wait_until(lambda: prom.query('requests_total{job="prom"}') and
                           prom.query('requests_total{job="prom"}')[0]["value"][1] == str(sum(
                               j * 1000 + 1 for j in range(i + 1))), "prometheus scraped %d" % i, timeout=60)
            [series] = prom.api("query", query='requests_total{job="prom"}[10m]')["result"]
            want = [(int(round(float(t) * 1000)), v) for t, v in series["values"]]
            self.assertGreaterEqual(len(want), 5)
            sel = '{__name__="requests_total",job="prom"}'

            def ours():
                lines = self.export(m, sel)
                return lines if lines and lines[0][2][-1] >= want[-1][0] else None

            [(metric, values, stamps)] = wait_until(ours, "remote-written up to Prometheus' last", timeout=60)
            self.assertEqual(metric["instance"], "127.0.0.1:%d" % m.port)
            got = [(t, v) for t, v in zip(stamps, values) if t <= want[-1][0]]
            self.assertEqual(got, want)
        self.assertNotEqual(m.sample('mmwatch_history_remote_write_requests_total{error="none"}'), "0")

    export = History.export
