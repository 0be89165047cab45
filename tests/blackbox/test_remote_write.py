"""Black-box: --remote-write to real receivers started here on loopback
(Debian's prometheus with --web.enable-remote-write-receiver and Debian's
victoria-metrics), values queried back exactly; a receiver that starts
late; and a scripted fake receiver for 500, 429 with Retry-After, 400 and
a receiver that never answers."""

import base64
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

from harness import MmwatchTestCase, wait_until
from prom_server import PrometheusServer, free_port

VICTORIA = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


def otlp_gauge(value):
    return json.dumps({"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop"}}]},
        "scopeMetrics": [{"metrics": [{"name": "temp", "unit": "Cel", "gauge": {"dataPoints": [
            {"asDouble": value, "timeUnixNano": str(time.time_ns())}]}}]}]}]}).encode()


class FakeReceiver:
    """Answers POSTs from a script of (status, headers, body), the last entry
    repeating; "hang" accepts and never answers. Records each request's
    arrival time and headers."""

    def __init__(self, script, tls=None):
        self.script = list(script)
        self.scheme = "https" if tls else "http"
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append((time.monotonic(), dict(self.headers), len(body)))
                    step = outer.script[0] if len(outer.script) == 1 else outer.script.pop(0)
                if step == "hang":
                    time.sleep(3600)
                    return
                status, headers, text = step
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self):
        return "%s://127.0.0.1:%d/api/v1/write" % (self.scheme, self.port)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PushCase(MmwatchTestCase):
    def publish(self):
        p = self.producer("app")
        c = p.counter("requests")
        g = p.gauge("temp")
        h = p.histogram("lat", 2, 10)
        p.publish()
        c.add(1234)
        g.set(-40)
        for v in (1, 2, 900):
            h.record(v)
        return p

    def counter(self, m, name, **labels):
        want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
        for line in m.metrics().splitlines():
            if line.startswith(name + "{") and want in line:
                return float(line.rsplit(" ", 1)[1])
        return None

    def post_otlp(self, m, value):
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % m.port, data=otlp_gauge(value),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)


class RealReceivers(PushCase):
    def test_prometheus_receives_exact_values_labels_and_staleness(self):
        self.publish()
        with PrometheusServer([], "--web.enable-remote-write-receiver") as prom:
            m = self.start("--remote-write", "http://127.0.0.1:%d/api/v1/write" % prom.port,
                           "--remote-write-interval", "1s", "--external-label", "region=eu",
                           "--otlp-window", "1h")
            self.post_otlp(m, 21.5)
            inst = "127.0.0.1:%d" % m.port

            def one(q):
                res = prom.query(q)
                return res[0] if res else None

            r = wait_until(lambda: one('requests_total{name="app"}'), "the counter arrives", timeout=60)
            self.assertEqual(r["value"][1], "1234")
            self.assertEqual(r["metric"], {"__name__": "requests_total", "name": "app", "job": "mmwatch",
                                           "instance": inst, "region": "eu"})
            self.assertEqual(wait_until(lambda: one('temp{name="app"}'), "gauge")["value"][1], "-40")
            self.assertEqual(wait_until(lambda: one('lat_bucket{name="app",le="+Inf"}'), "bucket")["value"][1], "3")
            # An OTLP series, its own job kept as exported_job, as a scrape does.
            r = wait_until(lambda: one('temp_celsius{exported_job="shop"}'), "the OTLP series")
            self.assertEqual(r["value"][1], "21.5")
            self.assertEqual(r["metric"]["job"], "mmwatch")
            self.assertEqual(one("mmwatch_remote_write_samples_dropped_total")["value"][1], "0")
            # The file goes: one staleness marker, and the series is gone.
            os.unlink(os.path.join(self.dir, "app.rezl"))
            wait_until(lambda: one('requests_total{name="app"}') is None, "the series goes stale", timeout=30)

    def test_victoria_metrics_receives_exact_values(self):
        self.publish()
        work = tempfile.mkdtemp(prefix="mmwatch-vm-")
        port = free_port()
        vm = subprocess.Popen([VICTORIA, "-httpListenAddr=127.0.0.1:%d" % port, "-storageDataPath=" + work,
                               "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=ERROR"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            m = self.start("--remote-write", "http://127.0.0.1:%d/api/v1/write" % port, "--remote-write-interval",
                           "1s", "--external-label", "site=lab")

            def one(q):
                url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        res = json.load(r)["data"]["result"]
                        return res[0] if res else None
                except OSError:
                    return None

            r = wait_until(lambda: one('requests_total{name="app",site="lab"}'), "VictoriaMetrics has it", timeout=60)
            self.assertEqual(r["value"][1], "1234")
            self.assertEqual(wait_until(lambda: one('temp{name="app"}'), "gauge")["value"][1], "-40")
            self.assertEqual(wait_until(lambda: one('lat_bucket{name="app",le="+Inf"}'), "bucket")["value"][1], "3")
        finally:
            vm.terminate()
            vm.wait(timeout=30)
            shutil.rmtree(work, ignore_errors=True)

    def test_a_receiver_that_starts_15_seconds_late_gets_every_sample(self):
        self.publish()
        port = free_port()
        m = self.start("--remote-write", "http://127.0.0.1:%d/api/v1/write" % port, "--remote-write-interval", "1s")
        t_start = time.time()
        time.sleep(15)
        self.assertGreater(self.counter(m, "mmwatch_remote_write_pending_samples"), 0)
        prom = PrometheusServer([], "--web.enable-remote-write-receiver", port=port)
        try:
            wait_until(lambda: self.counter(m, "mmwatch_remote_write_pending_samples") == 0, "the queue drains",
                       timeout=90, step=0.5)
            res = prom.query('requests_total{name="app"}[5m]')
            stamps = [float(v[0]) for v in res[0]["values"]]
            # Every push from the first (before the receiver existed) on,
            # one a second, no gap.
            self.assertLess(stamps[0], t_start + 2.5)
            self.assertGreaterEqual(len(stamps), 15)
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            self.assertLess(max(gaps), 1.9, gaps)
            self.assertEqual(self.counter(m, "mmwatch_remote_write_samples_dropped_total", reason="queue_full"), 0)
        finally:
            prom.stop()


class Outages(PushCase):
    def stamps(self, prom, selector):
        res = prom.query(selector + "[10m]")
        return [float(v[0]) for v in res[0]["values"]] if res else []

    def test_a_30_second_outage_loses_nothing(self):
        self.publish()
        with PrometheusServer([], "--web.enable-remote-write-receiver") as prom:
            m = self.start("--remote-write", "http://127.0.0.1:%d/api/v1/write" % prom.port,
                           "--remote-write-interval", "1s")
            wait_until(lambda: len(self.stamps(prom, 'requests_total{name="app"}')) >= 3, "pushing", timeout=60)
            prom.stop_process()
            t_down = time.time()
            time.sleep(30)
            self.assertGreater(self.counter(m, "mmwatch_remote_write_samples_failed_total"), 0)
            prom.start_process()
            wait_until(lambda: self.counter(m, "mmwatch_remote_write_pending_samples") == 0
                       and self.stamps(prom, 'requests_total{name="app"}')[-1] > t_down + 30, "caught up",
                       timeout=120, step=0.5)
            stamps = self.stamps(prom, 'requests_total{name="app"}')
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            self.assertLess(max(gaps), 1.9, gaps)  # one a second, through the outage
            self.assertGreaterEqual(len([t for t in stamps if t_down < t < t_down + 30]), 28)

    def test_samples_spooled_before_a_sigkill_arrive_after_the_restart(self):
        from harness import Mmwatch
        self.publish()
        port = free_port()
        spool = os.path.join(tempfile.mkdtemp(prefix="mmwatch-spool-"), "spool")
        url = "http://127.0.0.1:%d/api/v1/write" % port
        first = Mmwatch(self.dir, "--remote-write", url, "--remote-write-interval", "1s",
                        "--remote-write-spool", spool)
        first_instance = "127.0.0.1:%d" % first.port
        time.sleep(8)  # eight pushes, none taken: all on disk
        t_kill = time.time()
        first.proc.kill()
        first.proc.wait()
        first.proc.stderr.close()
        m = self.start("--remote-write", url, "--remote-write-interval", "1s", "--remote-write-spool", spool)
        self.assertGreater(self.counter(m, "mmwatch_remote_write_spool_samples"), 0)
        with PrometheusServer([], "--web.enable-remote-write-receiver", port=port) as prom:
            wait_until(lambda: self.counter(m, "mmwatch_remote_write_spool_samples") == 0
                       and self.counter(m, "mmwatch_remote_write_pending_samples") == 0, "the spool drains",
                       timeout=120, step=0.5)
            stamps = self.stamps(prom, 'requests_total{name="app",instance="%s"}' % first_instance)
            before = [t for t in stamps if t < t_kill]
            self.assertGreaterEqual(len(before), 6, stamps)
            gaps = [b - a for a, b in zip(before, before[1:])]
            self.assertLess(max(gaps), 1.9, gaps)
            self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_corrupt_records_total"), 0)
        shutil.rmtree(os.path.dirname(spool), ignore_errors=True)


class FakeReceivers(PushCase):
    def test_500_is_retried_until_accepted_and_nothing_is_lost(self):
        self.publish()
        f = FakeReceiver([(500, {}, b"busy"), (500, {}, b"busy"), (200, {}, b"")])
        try:
            m = self.start("--remote-write", f.url(), "--remote-write-interval", "1s")
            wait_until(lambda: (self.counter(m, "mmwatch_remote_write_samples_sent_total") or 0) > 0, "sent",
                       timeout=30)
            self.assertGreater(self.counter(m, "mmwatch_remote_write_samples_failed_total"), 0)
            self.assertEqual(self.counter(m, "mmwatch_remote_write_samples_dropped_total", reason="rejected"), 0)
            _, headers, size = f.requests[0]
            self.assertEqual(headers["Content-Encoding"], "snappy")
            self.assertEqual(headers["Content-Type"], "application/x-protobuf")
            self.assertEqual(headers["X-Prometheus-Remote-Write-Version"], "0.1.0")
            self.assertTrue(headers["User-Agent"].startswith("mmwatch/"))
            self.assertGreater(size, 0)
        finally:
            f.stop()

    def test_https_with_a_ca_file_basic_auth_bearer_token_and_headers(self):
        import ssl
        from pki import Pki
        work = tempfile.mkdtemp(prefix="mmwatch-rw-tls-")
        pki = Pki(os.path.join(work, "pki"))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.path("server.crt"), pki.path("server.key"))
        self.publish()
        f = FakeReceiver([(200, {}, b"")], tls=ctx)
        password = os.path.join(work, "password")
        with open(password, "w") as fh:
            fh.write("s3cret\n")
        try:
            m = self.start("--remote-write", f.url(), "--remote-write-interval", "1s", "--remote-write-ca-file",
                           pki.path("ca.crt"), "--remote-write-user", "push", "--remote-write-password-file", password,
                           "--remote-write-header", "X-Scope-OrgID: tenant-7")
            wait_until(lambda: (self.counter(m, "mmwatch_remote_write_samples_sent_total") or 0) > 0, "sent over TLS",
                       timeout=30)
            headers = f.requests[0][1]
            self.assertEqual(headers["Authorization"], "Basic " + base64.b64encode(b"push:s3cret").decode())
            self.assertEqual(headers["X-Scope-OrgID"], "tenant-7")
            token = os.path.join(work, "token")
            with open(token, "w") as fh:
                fh.write("abc123\n")
            m2 = self.start("--remote-write", f.url(), "--remote-write-interval", "1s", "--remote-write-ca-file",
                            pki.path("ca.crt"), "--remote-write-bearer-token-file", token)
            wait_until(lambda: any(r[1].get("Authorization") == "Bearer abc123" for r in f.requests), "bearer token",
                       timeout=30)
        finally:
            f.stop()
            shutil.rmtree(work, ignore_errors=True)

    def test_429_waits_at_least_retry_after(self):
        self.publish()
        f = FakeReceiver([(429, {"Retry-After": "3"}, b"slow down"), (200, {}, b"")])
        try:
            m = self.start("--remote-write", f.url(), "--remote-write-interval", "1s")
            wait_until(lambda: len(f.requests) >= 2, "retried", timeout=30)
            self.assertGreaterEqual(f.requests[1][0] - f.requests[0][0], 2.9)
        finally:
            f.stop()

    def test_400_drops_the_batch_counts_it_and_logs_the_reason_once(self):
        self.publish()
        log = os.path.join(tempfile.mkdtemp(prefix="mmwatch-log-"), "events.log")
        f = FakeReceiver([(400, {}, b"out of order sample\n")])
        try:
            m = self.start("--remote-write", f.url(), "--remote-write-interval", "1s", "--event-log", log)
            wait_until(lambda: len(f.requests) >= 3, "three batches refused", timeout=30)
            wait_until(lambda: (self.counter(m, "mmwatch_remote_write_samples_dropped_total", reason="rejected")
                                or 0) > 0, "dropped")
            time.sleep(1.2)  # the event log is written once per tick
            with open(log) as fh:
                lines = [l for l in fh if "remote_write refused a batch" in l]
            self.assertEqual(len(lines), 1, lines)
            self.assertIn("HTTP 400: out of order sample", lines[0])
        finally:
            f.stop()

    def test_a_receiver_that_never_answers_delays_no_scrape(self):
        self.publish()
        f = FakeReceiver(["hang"])
        try:
            m = self.start("--remote-write", f.url(), "--remote-write-interval", "1s", "--remote-write-timeout", "1s")
            wait_until(lambda: (self.counter(m, "mmwatch_remote_write_samples_failed_total") or 0) > 0,
                       "the timeout counted as a failure", timeout=30)
            for _ in range(5):
                t0 = time.monotonic()
                self.assertIsNotNone(m.sample('requests_total{name="app"}'))
                print("scrape beside a hung receiver: %.1f ms" % ((time.monotonic() - t0) * 1000))
            self.assertGreater(self.counter(m, "mmwatch_remote_write_pending_samples"), 0)
        finally:
            f.stop()


if __name__ == "__main__":
    unittest.main()
