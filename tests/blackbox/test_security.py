"""Black-box: TLS, mTLS and basic auth from --web-config, against curl, a
real Prometheus and the OpenTelemetry JS exporter, with certificates made
by the openssl CLI for each test class (tests/blackbox/pki.py)."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import MMWATCH_CMD, MmwatchTestCase, wait_until
from pki import Pki
from prom_server import PrometheusServer
import test_otlp

OTEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otel")


def htpasswd(user, password):
    """A bcrypt hash as `htpasswd -nBC 10` writes it (Debian apache2-utils)."""
    out = subprocess.run(["htpasswd", "-nbBC", "10", user, password], capture_output=True, text=True, check=True)
    return out.stdout.strip().split(":", 1)[1]


def curl(url, *args):
    """(exit code, HTTP status or 0, body)."""
    out = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args, url], capture_output=True,
                         timeout=30)
    body, _, code = out.stdout.rpartition(b"\n")
    return out.returncode, int(code or 0), body


class TlsCase(MmwatchTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="mmwatch-pki-")
        cls.pki = Pki(cls.pki_dir)
        cls.hash = htpasswd("prom", "s3cret")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def web_config(self, text):
        path = os.path.join(self.dir, ".web.yml")  # a dot-name: the watcher ignores it
        with open(path, "w") as f:
            f.write(text)
        return path

    def live_certs(self):
        """Copies of the server certificate the test may replace."""
        for ext in ("crt", "key"):
            shutil.copy(self.pki.path("server." + ext), os.path.join(self.dir, ".live." + ext))
        return ".live.crt", ".live.key"

    def mtls(self, *extra):
        crt, key = self.live_certs()
        cfg = self.web_config(
            "tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
            "  client_auth_type: RequireAndVerifyClientCert\n%s" % (crt, key, self.pki.path("ca.crt"), "".join(extra)))
        return self.start("--web-config", cfg)

    def client_args(self, name="client"):
        return ["--cacert", self.pki.path("ca.crt"), "--cert", self.pki.path(name + ".crt"),
                "--key", self.pki.path(name + ".key")]

    def url(self, m, path="/metrics"):
        return "https://127.0.0.1:%d%s" % (m.port, path)

    def checked_status(self, m, credentials):
        """The status once `credentials` were checked: each check is bcrypt
        from this address's share of the budget, 429 until it has refilled."""
        statuses = []

        def not_busy():
            statuses.append(curl(self.url(m), "--cacert", self.pki.path("ca.crt"), "-u", credentials)[1])
            return statuses[-1] != 429

        wait_until(not_busy, credentials + " checked", step=0.2)
        return statuses[-1]

    def counters(self, m):
        """/metrics as of now: the body is rendered once per snapshot
        (--interval 100ms in the harness), so wait for the next one."""
        time.sleep(0.3)
        _, status, body = curl(self.url(m), *self.client_args())
        self.assertEqual(status, 200)
        return body.decode()

    def publish(self):
        p = self.producer("app")
        c = p.counter("requests")
        p.publish()
        c.add(42)


class Mtls(TlsCase):
    def test_curl_matrix_right_certificate_only(self):
        self.publish()
        m = self.mtls()
        code, status, body = curl(self.url(m), *self.client_args())
        self.assertEqual((code, status), (0, 200))
        self.assertIn(b'requests_total{name="app"} 42\n', body)
        # No certificate, another CA's, an expired one: the handshake is refused.
        for args in (["--cacert", self.pki.path("ca.crt")], self.client_args("foreign-client"),
                     self.client_args("expired-client")):
            code, status, _ = curl(self.url(m), *args)
            self.assertNotEqual(code, 0, args)
            self.assertEqual(status, 0, args)
        # Plain HTTP on the TLS port: a short plain 400, then closed.
        code, status, body = curl("http://127.0.0.1:%d/metrics" % m.port)
        self.assertEqual(status, 400)
        self.assertIn(b"https://", body)
        text = self.counters(m)
        for reason in ("no_certificate", "unknown_ca", "expired_certificate", "plain_http"):
            self.assertRegex(text, r'mmwatch_tls_handshake_failures_total\{reason="%s"\} [1-9]' % reason)
        self.assertRegex(text, r"mmwatch_tls_handshakes_total [2-9]")

    def test_a_body_of_many_records_arrives_whole_over_tls(self):
        """20,000 series (about 700 KB): the answer goes out in 16 KiB
        slices of TLS records, several a loop turn while the socket takes
        them; every series arrives, once."""
        import attackers
        attackers.write_series_files(20_000, self.write)
        m = self.mtls()
        names = ["gauge_%03d_%04d" % (f, i) for f in range(20) for i in range(1000)]

        def whole():
            code, status, body = curl(self.url(m), *self.client_args())
            self.body = body.decode()
            return (code, status) == (0, 200) and names[-1] in self.body

        wait_until(whole, "every series served")
        found = [line.split("{")[0].split()[0] for line in self.body.splitlines() if line.startswith("gauge_")]
        self.assertEqual(sorted(found), sorted(names))
        self.assertEqual(len(found), len(set(found)))

    def test_verify_client_cert_if_given_and_request_client_cert(self):
        crt, key = self.live_certs()
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
                              "  client_auth_type: VerifyClientCertIfGiven\n" % (crt, key, self.pki.path("ca.crt")))
        m = self.start("--web-config", cfg)
        ca = ["--cacert", self.pki.path("ca.crt")]
        self.assertEqual(curl(self.url(m, "/-/healthy"), *ca)[1], 200)  # none given: fine
        self.assertEqual(curl(self.url(m, "/-/healthy"), *self.client_args())[1], 200)
        self.assertEqual(curl(self.url(m, "/-/healthy"), *self.client_args("foreign-client"))[1], 0)  # verified
        # RequestClientCert asks but neither requires nor verifies.
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                              "  client_auth_type: RequestClientCert\n" % (crt, key))
        m2 = self.start("--web-config", cfg)
        self.assertEqual(curl(self.url(m2, "/-/healthy"), *self.client_args("foreign-client"))[1], 200)
        self.assertEqual(curl(self.url(m2, "/-/healthy"), *ca)[1], 200)

    def test_client_allowed_sans(self):
        m = self.mtls("  client_allowed_sans: [scraper.example]\n")
        self.assertEqual(curl(self.url(m, "/-/healthy"), *self.client_args())[1], 200)
        code, status, _ = curl(self.url(m, "/-/healthy"), *self.client_args("other"))  # intruder.example
        self.assertEqual(status, 0)
        self.assertIn('mmwatch_tls_handshake_failures_total{reason="san_not_allowed"} 1\n', self.counters(m))

    def test_certificates_rotate_without_a_restart_and_a_bad_one_keeps_the_old(self):
        m = self.mtls()

        def served_cn():
            ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
            ctx.load_cert_chain(self.pki.path("client.crt"), self.pki.path("client.key"))
            with socket.create_connection(("127.0.0.1", m.port), timeout=10) as s:
                with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                    return dict(x[0] for x in t.getpeercert()["subject"])["commonName"]

        self.assertEqual(served_cn(), "mmwatch")
        # Rotated the way cert managers do it: new files renamed over the old.
        for ext in ("key", "crt"):
            shutil.copy(self.pki.path("server2." + ext), os.path.join(self.dir, ".new." + ext))
            os.rename(os.path.join(self.dir, ".new." + ext), os.path.join(self.dir, ".live." + ext))
        wait_until(lambda: served_cn() == "mmwatch-rotated", "the new certificate is served", step=0.3)
        self.assertIn('mmwatch_tls_certificate_reloads_total{result="ok"} 1\n', self.counters(m))
        # A truncated certificate: the old one stays, counted and logged.
        with open(os.path.join(self.dir, ".new.crt"), "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nMIIB\n")
        os.rename(os.path.join(self.dir, ".new.crt"), os.path.join(self.dir, ".live.crt"))
        wait_until(lambda: 'mmwatch_tls_certificate_reloads_total{result="failed"} 1\n' in self.counters(m),
                   "the failed reload is counted", step=0.3)
        self.assertEqual(served_cn(), "mmwatch-rotated")
        # The event is written at the next tick, and shows in a body rendered after it.
        wait_until(lambda: 'mmwatch_events_total{kind="tls_reload"} 1\n' in self.counters(m), "the reload event",
                   step=0.2)

    def test_dribbled_client_hellos_do_not_delay_a_scrape(self):
        """100 connections each sending a ClientHello a byte at a time: a
        real client's scrape is answered while they dribble, and they hold
        no more than the newcomers' share of the cap (64 of 256)."""
        self.publish()
        m = self.mtls()
        hello = bytes.fromhex("16030100f8010000f40303") + bytes(32)  # a ClientHello's first bytes
        socks = []
        for _ in range(100):
            s = socket.create_connection(("127.0.0.1", m.port), timeout=10)
            s.sendall(hello[:1])
            socks.append(s)
        try:
            for i in range(1, 4):
                for s in socks:
                    try:
                        s.sendall(hello[i:i + 1])
                    except OSError:
                        pass  # shed to make room: told with a TLS alert, then closed
                t0 = time.monotonic()
                code, status, body = curl(self.url(m), *self.client_args())
                self.assertEqual((code, status), (0, 200))
                self.assertIn(b'requests_total{name="app"} 42\n', body)
                print("scrape beside 100 dribbling handshakes: %.0f ms" % ((time.monotonic() - t0) * 1000))
            text = self.counters(m)
            open_now = int(re.search(r'mmwatch_listener_connections\{listener="metrics"\} (\d+)\n', text).group(1))
            self.assertLessEqual(open_now, 64 + 1)  # the newcomers' share, and this scrape
            self.assertRegex(text, r'mmwatch_http_shed_connections_total\{reason="newcomer"\} [1-9]')
        finally:
            for s in socks:
                s.close()

    def test_a_bad_web_config_exits_2_with_one_line(self):
        for text, needle in (("tls_server_config:\n  cert_file: nope.crt\n  key_file: nope.key\n", "cert_file"),
                             ("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                              % (self.pki.path("server.crt"), self.pki.path("client.key")), "does not match"),
                             ("basic_auth_users:\n  prom: plain\n", "basic_auth_users.prom"),
                             ("colour: blue\n", "unknown key colour")):
            cfg = self.web_config(text)
            out = subprocess.run([*MMWATCH_CMD, "--dir", self.dir, "--listen", "127.0.0.1:0", "--web-config", cfg],
                                 capture_output=True, text=True, timeout=30)
            self.assertEqual(out.returncode, 2, out.stderr)
            lines = out.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, lines)
            self.assertIn(needle, lines[0])

    def test_listening_beyond_loopback_without_tls_or_auth_warns_once(self):
        proc = subprocess.Popen([*MMWATCH_CMD, "--dir", self.dir, "--listen", "0.0.0.0:0"], stderr=subprocess.PIPE,
                                text=True)
        lines = []
        try:
            while not lines or "listening on" not in lines[-1]:
                lines.append(proc.stderr.readline())
                self.assertNotEqual(lines[-1], "", lines)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stderr.close()
        warnings = [l for l in lines if "neither TLS nor basic auth" in l]
        self.assertEqual(len(warnings), 1, lines)


class BasicAuth(TlsCase):
    def start_auth(self, *flags):
        crt, key = self.live_certs()
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                              "basic_auth_users:\n  prom: '%s'\n" % (crt, key, self.hash))
        return self.start("--web-config", cfg, *flags)

    def test_right_and_wrong_passwords(self):
        m = self.start_auth()
        ca = ["--cacert", self.pki.path("ca.crt")]
        self.assertEqual(curl(self.url(m), *ca, "-u", "prom:s3cret")[1], 200)
        self.assertEqual(curl(self.url(m), *ca, "-u", "prom:s3cret")[1], 200)  # remembered
        self.assertEqual(self.checked_status(m, "prom:wrong"), 401)
        self.assertEqual(self.checked_status(m, "root:s3cret"), 401)
        out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", *ca, self.url(m)], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.stdout.splitlines()[0], "HTTP/1.1 401 Unauthorized")
        self.assertIn('WWW-Authenticate: Basic realm="mmwatch"', out.stdout)
        self.assertEqual(curl(self.url(m, "/-/healthy"), *ca)[1], 401)
        _, _, body = curl(self.url(m), *ca, "-u", "prom:s3cret")
        text = body.decode()
        self.assertIn('mmwatch_http_auth_total{result="ok_verified"} 1\n', text)
        self.assertRegex(text, r'mmwatch_http_auth_total\{result="ok_remembered"\} [2-9]')
        self.assertIn('mmwatch_http_auth_total{result="wrong"} 2\n', text)

    def test_healthy_without_auth(self):
        m = self.start_auth("--healthy-without-auth")
        ca = ["--cacert", self.pki.path("ca.crt")]
        self.assertEqual(curl(self.url(m, "/-/healthy"), *ca)[1], 200)
        self.assertEqual(curl(self.url(m), *ca)[1], 401)

    def test_a_storm_of_wrong_passwords_gets_429_and_the_right_one_still_passes(self):
        m = self.start_auth()
        ca = ["--cacert", self.pki.path("ca.crt")]
        self.assertEqual(curl(self.url(m), *ca, "-u", "prom:s3cret")[1], 200)
        status_lines = set()
        # One keep-alive connection per curl call is plenty: each check is bcrypt.
        for i in range(40):
            out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", *ca, "-u", "prom:guess%d" % i,
                                  self.url(m, "/-/healthy")], capture_output=True, text=True, timeout=30)
            status_lines.add(out.stdout.splitlines()[0])
            if "HTTP/1.1 429 Too Many Requests" in status_lines:
                break
        self.assertIn("HTTP/1.1 429 Too Many Requests", status_lines)
        self.assertLessEqual(status_lines, {"HTTP/1.1 401 Unauthorized", "HTTP/1.1 429 Too Many Requests"})
        self.assertEqual(curl(self.url(m), *ca, "-u", "prom:s3cret")[1], 200)  # remembered: no bcrypt


class Sighup(TlsCase):
    """SIGHUP re-reads --web-config and its certificates; never stops
    mmwatch; what cannot change while running keeps the old config."""

    def served_cn(self, m):
        ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
        with socket.create_connection(("127.0.0.1", m.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                return dict(x[0] for x in t.getpeercert()["subject"])["commonName"]

    def config(self, cert, user, header):
        return self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                               "basic_auth_users:\n  %s: '%s'\n"
                               "http_server_config:\n  headers:\n    X-Frame-Options: %s\n"
                               % (self.pki.path(cert + ".crt"), self.pki.path(cert + ".key"), user, self.hash, header))

    def test_sighup_loads_new_certificate_paths_users_and_headers(self):
        m = self.start("--web-config", self.config("server", "prom", "one"))
        ca = ["--cacert", self.pki.path("ca.crt")]
        self.assertEqual(self.served_cn(m), "mmwatch")
        self.assertEqual(curl(self.url(m), *ca, "-u", "prom:s3cret")[1], 200)
        # Another certificate file (a new path, not a rewrite), another user, another header.
        self.config("server2", "scraper", "two")
        m.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: self.served_cn(m) == "mmwatch-rotated", "the new certificate", step=0.2)
        self.assertEqual(self.checked_status(m, "scraper:s3cret"), 200)
        self.assertEqual(self.checked_status(m, "prom:s3cret"), 401)
        out = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", *ca, "-u", "scraper:s3cret", self.url(m)],
                             capture_output=True, text=True, timeout=30)
        self.assertIn("X-Frame-Options: two", out.stdout)
        # Turning TLS off needs a restart: refused whole, the old config serves on.
        self.web_config("basic_auth_users:\n  prom: '%s'\n" % self.hash)
        m.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: 'mmwatch_web_config_reloads_total{result="failed"} 1\n' in
                   curl(self.url(m), *ca, "-u", "scraper:s3cret")[2].decode(), "the refused reload", step=0.3)
        self.assertEqual(self.served_cn(m), "mmwatch-rotated")
        text = curl(self.url(m), *ca, "-u", "scraper:s3cret")[2].decode()
        self.assertIn('mmwatch_web_config_reloads_total{result="ok"} 1\n', text)
        self.assertIn('mmwatch_tls_certificate_reloads_total{result="ok"} 1\n', text)
        self.assertIsNone(m.proc.poll())
        self.instances.remove(m)
        code, err = m.stop()
        self.assertEqual(code, 0)
        self.assertIn("SIGHUP: --web-config %s and its certificates read again" % os.path.join(self.dir, ".web.yml"),
                      err)
        self.assertIn("SIGHUP: --web-config not reloaded, the old one stays: turning TLS on or off needs a restart",
                      err)

    def test_sighup_without_a_web_config_is_said_and_never_stops_mmwatch(self):
        log = os.path.join(self.dir, ".events.log")
        m = self.start("--event-log", log)
        for _ in range(3):
            m.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: m.get("/-/healthy")[0] == 200, "still serving")
        wait_until(lambda: 'mmwatch_web_config_reloads_total{result="failed"} 3\n' in m.metrics(), "counted")
        wait_until(lambda: 'mmwatch_events_total{kind="reload"} 3\n' in m.metrics(), "logged")
        self.instances.remove(m)
        code, err = m.stop()
        self.assertEqual(code, 0)
        self.assertEqual(err.count("SIGHUP: --web-config not reloaded, the old one stays: no --web-config was given"),
                         3, err)


class RealClients(TlsCase):
    def test_prometheus_scrapes_over_mtls_with_basic_auth(self):
        self.publish()
        crt, key = self.live_certs()
        cfg = self.web_config(
            "tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
            "  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  prom: '%s'\n"
            % (crt, key, self.pki.path("ca.crt"), self.hash))
        m = self.start("--web-config", cfg)
        extra = ("    scheme: https\n    tls_config:\n      ca_file: %s\n      cert_file: %s\n      key_file: %s\n"
                 "    basic_auth:\n      username: prom\n      password: s3cret\n"
                 % (self.pki.path("ca.crt"), self.pki.path("client.crt"), self.pki.path("client.key")))
        with PrometheusServer(["127.0.0.1:%d" % m.port], scrape_extra=extra) as prom:
            res = wait_until(lambda: prom.query('requests_total{name="app"}'), "scraped over mTLS", timeout=60)
            self.assertEqual(res[0]["value"][1], "42")
            self.assertEqual(prom.query('up{job="mmwatch"}')[0]["value"][1], "1")

    def test_the_js_exporter_posts_over_https_with_basic_auth(self):
        crt, key = self.live_certs()
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                              "basic_auth_users:\n  prom: '%s'\n" % (crt, key, self.hash))
        m = self.start("--web-config", cfg, "--otlp-listen", "127.0.0.1:0")
        line = m.proc.stderr.readline()
        port = int(re.match(r"^mmwatch: OTLP listening on https://127\.0\.0\.1:(\d+)$", line.strip()).group(1))
        test_otlp.npm_ci()
        token = base64.b64encode(b"prom:s3cret").decode()
        env = dict(os.environ, MMWATCH_OTLP_URL="https://127.0.0.1:%d/v1/metrics" % port,
                   NODE_EXTRA_CA_CERTS=self.pki.path("ca.crt"),
                   OTEL_EXPORTER_OTLP_HEADERS="Authorization=Basic %s" % token)
        out = subprocess.run(["node", "export.mjs"], cwd=OTEL_DIR, env=env, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        _, _, body = curl(self.url(m), "--cacert", self.pki.path("ca.crt"), "-u", "prom:s3cret")
        self.assertIn(b'jobs_processed_total{job="bb/otel-js-test",instance="i-42",queue="a"', body)
        self.assertIn(b'mmwatch_otlp_requests_total{result="ok"} ', body)


if __name__ == "__main__":
    unittest.main()
