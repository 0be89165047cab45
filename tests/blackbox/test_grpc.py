"""Black-box: OTLP over gRPC (--otlp-grpc-listen, docs/grpc.md) with real
clients started here on loopback: the OpenTelemetry JS SDK's gRPC exporter
(npm, pinned by tests/blackbox/otel/package-lock.json), Debian's
python3-grpcio calling MetricsService/Export with hand-encoded requests,
TLS and mTLS with ALPN, basic auth from the authorization metadata, the
listener's connection cap; and (class GrpcAttacks, the slow suite) every
HTTP/2 attack of the issue built frame by frame with python3-h2's
libraries, at default flags, each refused by name while a scrape of
/metrics on the other listener still succeeds."""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from grpc_client import (EXPORT, FLOODS, INVALID_ARGUMENT, MAGIC, OK, RESOURCE_EXHAUSTED, UNIMPLEMENTED, DataFrame,
                         GoAwayFrame, HeadersFrame, RawH2, SettingsFrame, channel, export, framed, gauge_request, grpc,
                         gzipped, request_headers)
import test_otlp
import test_security
from harness import Background, MmwatchTestCase, wait_until
from pki import Pki

ENHANCE_YOUR_CALM = 0xB


class GrpcCase(MmwatchTestCase):
    def start_grpc(self, *args):
        m = self.start("--otlp-grpc-listen", "127.0.0.1:0", *args)
        line = m.proc.stderr.readline()
        found = re.match(r"^mmwatch: OTLP gRPC listening on https?://127\.0\.0\.1:(\d+)$", line.strip())
        self.assertIsNotNone(found, line)
        m.grpc_port = int(found.group(1))
        return m

    def channel(self, m, **kw):
        ch = channel(m.grpc_port, **kw)
        self.addCleanup(ch.close)
        return ch

    def wait_line(self, m, line):
        """/metrics is rendered once per snapshot: wait for the line."""
        return wait_until(lambda: line + "\n" in m.metrics(), line)

    def wait_count(self, m, series, at_least=1):
        """Waits for a counter series (text before the value) to reach at_least."""
        def value():
            v = m.sample(series)
            return v is not None and float(v) >= at_least
        return wait_until(value, "%s >= %s" % (series, at_least))


class TestJsGrpcExporter(GrpcCase):
    @classmethod
    def setUpClass(cls):
        test_otlp.npm_ci()

    def test_js_sdk_grpc_exporter_counter_histogram_exponential_histogram_served_exactly(self):
        m = self.start_grpc()
        env = dict(os.environ, MMWATCH_OTLP_URL="http://127.0.0.1:%d" % m.grpc_port, MMWATCH_OTLP_PROTOCOL="grpc")
        out = subprocess.run(["node", "export.mjs"], cwd=test_otlp.OTEL_DIR, env=env, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        exports = len(json.loads(out.stdout.strip().splitlines()[-1])["results"])
        self.assertGreaterEqual(exports, 2)
        self.wait_line(m, 'mmwatch_otlp_grpc_calls_total{outcome="ok"} %d' % exports)
        text = m.metrics()
        lab = 'job="bb/otel-js-test",instance="i-42"'
        scope = 'otel_scope_name="mmwatch-blackbox",otel_scope_version="1.0.0"'
        # The counter, cumulative over both rounds.
        self.assertIn("# TYPE jobs_processed_total counter\n", text)
        self.assertEqual(m.sample('jobs_processed_total{%s,queue="a",%s}' % (lab, scope)), "10")
        self.assertEqual(m.sample('jobs_processed_total{%s,queue="b",%s}' % (lab, scope)), "4")
        self.assertEqual(m.sample("queue_depth{%s,%s}" % (lab, scope)), "5")
        self.assertEqual(m.sample('memory_usage_bytes{%s,kind="heap",%s}' % (lab, scope)), "23456")
        # The histogram, bucket by bucket.
        h = "http_server_request_duration_seconds"
        self.assertIn("# TYPE %s histogram\n" % h, text)
        ok = '%s,http_response_status_code="200",%s' % (lab, scope)
        for le, n in (("0.1", "2"), ("0.5", "3"), ("1", "3"), ("+Inf", "3")):
            self.assertEqual(m.sample('%s_bucket{%s,le="%s"}' % (h, ok, le)), n)
        self.assertEqual(m.sample("%s_count{%s}" % (h, ok)), "3")
        self.assertAlmostEqual(float(m.sample("%s_sum{%s}" % (h, ok))), 0.42, places=9)
        err = '%s,http_response_status_code="500",%s' % (lab, scope)
        self.assertEqual(m.sample("%s_count{%s}" % (h, err)), "1")
        # The exponential histogram (1, 2, 4, 3) in the text format's classic form.
        self.assertEqual(m.sample("exp_latency_seconds_count{%s,%s}" % (lab, scope)), "4")
        self.assertEqual(m.sample("exp_latency_seconds_sum{%s,%s}" % (lab, scope)), "10")
        self.assertEqual(m.sample('exp_latency_seconds_bucket{%s,%s,le="+Inf"}' % (lab, scope)), "4")
        info = [line for line in text.splitlines() if line.startswith("target_info{")]
        self.assertEqual(len(info), 1, info)
        self.assertIn('telemetry_sdk_language="nodejs"', info[0])
        self.assertIn('mmwatch_http2_connection_refusals_total{reason="protocol_error"} 0\n', text)
        self.assertIn('mmwatch_otlp_grpc_decode_errors_total{reason="malformed_protobuf"} 0\n', text)


class TestGrpcio(GrpcCase):
    def test_identity_and_gzip_calls_are_stored_and_answered_with_an_empty_response(self):
        m = self.start_grpc()
        ch = self.channel(m)
        code, _, response, trailers = export(ch, gauge_request("room_temp", 21.5, attrs=[{"room": "a"}]))
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual(response, b"")  # an ExportMetricsServiceResponse with nothing refused
        self.assertNotIn("grpc-message", trailers)
        code, _, _, _ = export(ch, gauge_request("room_temp", 19, attrs=[{"room": "b"}]),
                               compression=grpc.Compression.Gzip)
        self.assertEqual(code, grpc.StatusCode.OK)
        # A gzip message built here, flag and grpc-encoding set by hand.
        raw = RawH2(m.grpc_port)
        self.addCleanup(raw.close)
        raw.call(1, gzipped(gauge_request("room_temp", 17, attrs=[{"room": "c"}])),
                 request_headers(extra=[("grpc-encoding", "gzip")]))
        head, body, trailers = raw.response(1)
        self.assertEqual(head[":status"], "200")
        self.assertEqual(head["content-type"], "application/grpc")
        self.assertEqual(trailers["grpc-status"], "0")
        self.assertEqual(body, framed(b""))
        self.wait_line(m, 'room_temp{job="grpcio",room="c",otel_scope_name="grpcio-test"} 17')
        self.assertEqual(m.sample('room_temp{job="grpcio",room="a",otel_scope_name="grpcio-test"}'), "21.5")
        self.assertEqual(m.sample('room_temp{job="grpcio",room="b",otel_scope_name="grpcio-test"}'), "19")
        self.assertEqual(m.sample('mmwatch_otlp_grpc_calls_total{outcome="ok"}'), "3")

    def test_refused_points_come_back_as_partial_success(self):
        m = self.start_grpc("--otlp-max-series", "1")
        ch = self.channel(m)
        code, _, response, _ = export(ch, gauge_request("g", 1, attrs=[{"k": "1"}, {"k": "2"}, {"k": "3"}]))
        self.assertEqual(code, grpc.StatusCode.OK)
        # ExportMetricsServiceResponse { 1: partial_success { 1: rejected_data_points, 2: error_message } }
        decoded = subprocess.run(["protoc", "--decode_raw"], input=response, capture_output=True, timeout=30)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertIn(b"  1: 2\n", decoded.stdout)
        self.assertIn(b"series_limit", decoded.stdout)
        self.wait_line(m, 'mmwatch_otlp_grpc_calls_total{outcome="partial"} 1')

    def test_malformed_oversized_and_unknown_calls_get_their_status_codes(self):
        m = self.start_grpc()
        ch = self.channel(m)
        code, details, _, _ = export(ch, b"\x0a\x05ab")
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("malformed_protobuf", details)
        # Over the 4 MiB message cap, as sent...
        code, details, _, _ = export(ch, b"\x0a" * ((4 << 20) + 1))
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        # ...and after gzip (a bomb: 6 KiB as sent, 6 MiB inflated).
        raw = RawH2(m.grpc_port)
        self.addCleanup(raw.close)
        raw.call(1, gzipped(b"\0" * (6 << 20)), request_headers(extra=[("grpc-encoding", "gzip")]))
        _, _, trailers = raw.response(1)
        self.assertEqual(trailers["grpc-status"], str(RESOURCE_EXHAUSTED))
        self.assertIn("after decompression", trailers["grpc-message"])
        code, details, _, _ = export(ch, gauge_request("g", 1), path="/opentelemetry.proto.collector.trace.v1."
                                                                      "TraceService/Export")
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn(EXPORT, details)
        # An encoding other than identity and gzip: UNIMPLEMENTED, and what is taken.
        raw.call(3, framed(b"x", compressed=True), request_headers(extra=[("grpc-encoding", "br")]))
        head, _, trailers = raw.response(3)
        self.assertEqual(trailers["grpc-status"], str(UNIMPLEMENTED))
        self.assertEqual(head["grpc-accept-encoding"], "identity,gzip")
        # A body that is not one message.
        raw.call(5, framed(b"") + b"\0")
        self.assertEqual(raw.response(5)[2]["grpc-status"], str(INVALID_ARGUMENT))
        # The service still takes a good call on the same connection.
        raw.call(7, framed(gauge_request("after", 1)))
        self.assertEqual(raw.response(7)[2]["grpc-status"], str(OK))
        self.wait_line(m, 'mmwatch_otlp_grpc_calls_total{outcome="unimplemented"} 2')
        text = m.metrics()
        self.assertIn('mmwatch_otlp_grpc_calls_total{outcome="invalid_argument"} 2\n', text)
        self.assertIn('mmwatch_otlp_grpc_calls_total{outcome="resource_exhausted"} 2\n', text)
        self.assertIn('mmwatch_otlp_grpc_decode_errors_total{reason="malformed_protobuf"} 1\n', text)
        self.assertIn('mmwatch_otlp_grpc_message_errors_total{reason="trailing_bytes"} 1\n', text)
        self.assertIn('mmwatch_http2_stream_refusals_total{reason="body_too_large"} 1\n', text)

    def test_not_grpc_gets_415_and_http1_gets_505(self):
        m = self.start_grpc()
        raw = RawH2(m.grpc_port)
        self.addCleanup(raw.close)
        raw.call(1, b"{}", request_headers(content_type="application/json"))
        head, body, _ = raw.response(1)
        self.assertEqual(head[":status"], "415")
        self.assertIn(b"application/grpc", body)
        with socket.create_connection(("127.0.0.1", m.grpc_port), timeout=30) as s:
            s.sendall(b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            answer = b""
            while chunk := s.recv(4096):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 505 "), answer)
        self.assertIn(b"--otlp-listen", answer)
        self.wait_line(m, 'mmwatch_http2_connection_refusals_total{reason="bad_preface"} 1')

    def test_many_calls_share_one_connection_concurrently(self):
        m = self.start_grpc()
        ch = self.channel(m)
        call = ch.unary_unary(EXPORT)
        futures = [call.future(gauge_request("par", i, attrs=[{"i": str(i)}]), timeout=60) for i in range(64)]
        for f in futures:
            self.assertEqual(f.code(), grpc.StatusCode.OK)
        self.wait_line(m, 'mmwatch_otlp_grpc_calls_total{outcome="ok"} 64')
        self.assertEqual(m.sample('par{job="grpcio",i="63",otel_scope_name="grpcio-test"}'), "63")
        self.assertEqual(m.sample('mmwatch_listener_connections{listener="otlp_grpc"}'), "1")


class TestGrpcSecurity(GrpcCase):
    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="mmwatch-pki-")
        cls.pki = Pki(cls.pki_dir)
        cls.hash = test_security.htpasswd("otel", "s3cret")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def web_config(self, text):
        path = os.path.join(self.dir, ".web.yml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def read(self, name):
        with open(self.pki.path(name), "rb") as f:
            return f.read()

    def credentials(self, client=None):
        if client:
            return grpc.ssl_channel_credentials(self.read("ca.crt"), self.read(client + ".key"),
                                                self.read(client + ".crt"))
        return grpc.ssl_channel_credentials(self.read("ca.crt"))

    def alpn(self, m, offer, client="client"):
        import ssl
        ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
        ctx.load_cert_chain(self.pki.path(client + ".crt"), self.pki.path(client + ".key"))
        ctx.set_alpn_protocols(offer)
        with socket.create_connection(("127.0.0.1", m.grpc_port), timeout=30) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                return t.selected_alpn_protocol()

    def test_mtls_with_alpn_h2_takes_the_right_certificate_only(self):
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
                              "  client_auth_type: RequireAndVerifyClientCert\n"
                              % (self.pki.path("server.crt"), self.pki.path("server.key"), self.pki.path("ca.crt")))
        m = self.start_grpc("--web-config", cfg)
        self.assertEqual(self.alpn(m, ["h2"]), "h2")
        self.assertEqual(self.alpn(m, ["h2", "http/1.1"]), "h2")
        code, _, response, _ = export(self.channel(m, credentials=self.credentials("client")),
                                      gauge_request("tls_g", 3))
        self.assertEqual(code, grpc.StatusCode.OK)
        self.assertEqual(response, b"")
        # No client certificate, or one from another CA: no call.
        for creds in (self.credentials(), self.credentials("foreign-client")):
            code, _, _, _ = export(self.channel(m, credentials=creds), gauge_request("tls_g", 4), timeout=10)
            self.assertEqual(code, grpc.StatusCode.UNAVAILABLE)
        # /metrics is on the same TLS: read it with a client certificate.
        out = subprocess.run(["curl", "-s", "--cacert", self.pki.path("ca.crt"), "--cert",
                              self.pki.path("client.crt"), "--key", self.pki.path("client.key"),
                              "https://127.0.0.1:%d/metrics" % m.port], capture_output=True, text=True, timeout=30)
        self.assertIn('tls_g{job="grpcio",otel_scope_name="grpcio-test"} 3\n', out.stdout)
        self.assertRegex(out.stdout, r'mmwatch_tls_handshake_failures_total\{reason="no_certificate"\} [1-9]')
        self.assertRegex(out.stdout, r'mmwatch_tls_handshake_failures_total\{reason="unknown_ca"\} [1-9]')

    def test_basic_auth_reads_the_authorization_metadata(self):
        cfg = self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  otel: '%s'\n"
                              % (self.pki.path("server.crt"), self.pki.path("server.key"), self.hash))
        m = self.start_grpc("--web-config", cfg)
        ch = self.channel(m, credentials=self.credentials())

        def auth(user_password):
            return [("authorization", "Basic " + base64.b64encode(user_password.encode()).decode())]

        code, details, _, _ = export(ch, gauge_request("auth_g", 1))
        self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("unauthorized", details)
        self.assertEqual(export(ch, gauge_request("auth_g", 2), metadata=auth("otel:s3cret"))[0], grpc.StatusCode.OK)
        self.assertEqual(export(ch, gauge_request("auth_g", 3), metadata=auth("otel:s3cret"))[0], grpc.StatusCode.OK)
        # A wrong password costs a bcrypt check from the per-second budget.
        # On a loaded machine the check of the right password above may have
        # spent this second's budget: then the answer is "busy" (UNAVAILABLE,
        # counted as busy), and a later try gets its check.
        deadline = time.monotonic() + 30
        while True:
            time.sleep(1)
            code, _, _, _ = export(ch, gauge_request("auth_g", 4), metadata=auth("otel:wrong"))
            if code != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                break
        self.assertEqual(code, grpc.StatusCode.UNAUTHENTICATED)
        out = subprocess.run(["curl", "-s", "--cacert", self.pki.path("ca.crt"), "-u", "otel:s3cret",
                              "https://127.0.0.1:%d/metrics" % m.port], capture_output=True, text=True, timeout=30)
        self.assertIn('auth_g{job="grpcio",otel_scope_name="grpcio-test"} 3\n', out.stdout)
        self.assertIn('mmwatch_http_auth_total{result="ok_verified"} 1\n', out.stdout)
        self.assertIn('mmwatch_http_auth_total{result="wrong"} 1\n', out.stdout)
        self.assertRegex(out.stdout, r'mmwatch_http_auth_total\{result="missing"\} [1-9]')


class TestGrpcListener(GrpcCase):
    def test_off_by_default_with_its_series_at_zero(self):
        m = self.start()
        text = m.metrics()
        self.assertIn('mmwatch_otlp_grpc_calls_total{outcome="ok"} 0\n', text)
        self.assertIn('mmwatch_http2_connection_refusals_total{reason="rapid_reset"} 0\n', text)
        self.assertNotIn('listener="otlp_grpc"', text)

    def test_at_the_cap_a_proven_connection_is_kept_and_a_newcomer_shed_in_http2_terms(self):
        # The cap of 2 is one slot for connections that completed a call
        # (proven) and one for newcomers (docs/operations.md, "Who is shed
        # at the cap"): the same policy as the HTTP/1 listeners.
        m = self.start_grpc("--max-connections", "2")
        ch = self.channel(m)
        self.assertEqual(export(ch, gauge_request("proven", 1))[0], grpc.StatusCode.OK)
        # A newcomer that has begun a call but not finished it holds the
        # newcomers' slot...
        first = RawH2(m.grpc_port)
        self.addCleanup(first.close)
        first.frames(first.headers(1, request_headers(), end_stream=False))
        self.wait_line(m, "mmwatch_http2_streams_total 2")
        # ...until another newcomer comes: the one that waited longest on
        # its client goes, told in HTTP/2: GOAWAY ENHANCE_YOUR_CALM.
        second = RawH2(m.grpc_port)
        self.addCleanup(second.close)
        g = first.goaway()
        self.assertIsNotNone(g)
        self.assertEqual(g.error_code, ENHANCE_YOUR_CALM)
        self.assertEqual(g.additional_data, b"too_many_connections")
        self.wait_line(m, 'mmwatch_http_shed_connections_total{reason="newcomer"} 1')
        # The proven connection was never a candidate: its calls go on.
        self.assertEqual(export(ch, gauge_request("proven", 2))[0], grpc.StatusCode.OK)
        second.call(1, framed(b""))
        self.assertEqual(second.response(1)[2]["grpc-status"], str(OK))


def scraping(m, results):
    """Scrapes /metrics on the main listener until stopped, each status kept."""
    def run(stop):
        while True:
            results.append(m.get("/metrics", timeout=30)[0])
            if stop.wait(0.05):
                return
    return Background(run)


class GrpcAttacks(GrpcCase):
    """Each attack of the issue, at default flags: refused by its name,
    counted, the connection ended with GOAWAY ENHANCE_YOUR_CALM (or its
    own answer), /metrics on the other listener served throughout, and a
    real call answered afterwards."""

    def attack(self, reason, build, goaway_code=ENHANCE_YOUR_CALM, settings=None, timeout=30):
        m = self.start_grpc()
        scrapes = []
        with scraping(m, scrapes):
            raw = RawH2(m.grpc_port, settings=settings, timeout=timeout)
            self.addCleanup(raw.close)
            build(raw)
            g = raw.goaway()
        self.assertIsNotNone(g, "no GOAWAY for %s" % reason)
        self.assertEqual(g.error_code, goaway_code)
        self.assertEqual(g.additional_data, reason.encode())
        self.assertTrue(scrapes)
        self.assertEqual(set(scrapes), {200})
        self.wait_count(m, 'mmwatch_http2_connection_refusals_total{reason="%s"}' % reason)
        self.assertEqual(export(self.channel(m), gauge_request("survived", 1))[0], grpc.StatusCode.OK)
        return m

    def test_rapid_reset(self):
        self.attack("rapid_reset", FLOODS["rapid_reset"])

    def test_continuation_without_end_headers(self):
        self.attack("continuation_flood", FLOODS["continuation_flood"])

    def test_settings_flood(self):
        self.attack("settings_flood", FLOODS["settings_flood"])

    def test_ping_flood(self):
        self.attack("ping_flood", FLOODS["ping_flood"])

    def test_window_update_flood(self):
        self.attack("window_update_flood", FLOODS["window_update_flood"])

    def test_empty_data_flood(self):
        self.attack("empty_data_flood", FLOODS["empty_data_flood"])

    def test_priority_flood(self):
        self.attack("priority_flood", FLOODS["priority_flood"])

    def test_a_peer_that_never_opens_its_window(self):
        def build(raw):
            # Its SETTINGS gave an initial window of 0: the answers' DATA waits
            # for a WINDOW_UPDATE that never comes (kH2WindowStallMs, 30 s).
            for i in (1, 3, 5):
                raw.call(i, framed(gauge_request("stall", i)))
        self.attack("stalled_window", build, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}, timeout=120)

    def test_hpack_bomb_refuses_the_stream_and_the_connection_goes_on(self):
        m = self.start_grpc()
        scrapes = []
        with scraping(m, scrapes):
            raw = RawH2(m.grpc_port)
            self.addCleanup(raw.close)
            # One 4,000-byte field into HPACK's table, then referenced by one
            # byte each: a block of under 4 KiB that decodes to over 1 MiB.
            bomb = raw.headers(1, request_headers() + [("x-bomb", "a" * 4000)] * 300, end_stream=True)
            self.assertLess(len(bomb.data), 4096)
            raw.frames(bomb)
            _, _, trailers = raw.response(1)
            raw.call(3, framed(gauge_request("after_bomb", 1)))
            after = raw.response(3)[2]
        self.assertEqual(trailers["grpc-status"], str(RESOURCE_EXHAUSTED))
        self.assertEqual(after["grpc-status"], str(OK))
        self.assertEqual(set(scrapes), {200})
        self.wait_count(m, 'mmwatch_http2_stream_refusals_total{reason="header_list_too_large"}')

    def test_stream_ids_exhausted_answers_the_last_stream_then_goaway(self):
        m = self.start_grpc()
        raw = RawH2(m.grpc_port)
        self.addCleanup(raw.close)
        last = 2**31 - 1
        raw.call(last, framed(gauge_request("last_stream", 1)))
        # The GOAWAY may come before the answer or after it: both must come.
        frames = []
        while not (any(isinstance(f, GoAwayFrame) for f in frames) and
                   any(f.stream_id == last and "END_STREAM" in f.flags for f in frames)):
            f = raw.read_frame()
            self.assertIsNotNone(f, "closed before both the answer and the GOAWAY came")
            frames.append(f)
        g = [f for f in frames if isinstance(f, GoAwayFrame)][0]
        self.assertEqual(g.error_code, 0)
        self.assertEqual(g.last_stream_id, last)
        answer = [f for f in frames if isinstance(f, HeadersFrame) and f.stream_id == last]
        self.assertEqual(answer[-1].fields["grpc-status"], str(OK))
        self.wait_count(m, 'mmwatch_http2_connection_refusals_total{reason="stream_ids_exhausted"}')

    def test_a_wrong_preface_is_refused_without_a_frame(self):
        m = self.start_grpc()
        raw = RawH2(m.grpc_port, preface=False)
        self.addCleanup(raw.close)
        raw.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64)  # a TLS ClientHello
        self.assertIsNone(raw.read_frame())
        self.wait_count(m, 'mmwatch_http2_connection_refusals_total{reason="bad_preface"}')

    def test_a_dribbled_preface_is_refused_at_its_deadline(self):
        m = self.start_grpc()
        scrapes = []
        with scraping(m, scrapes):
            raw = RawH2(m.grpc_port, preface=False)
            self.addCleanup(raw.close)
            for b in MAGIC[:-1]:
                if not raw.send(bytes([b])):
                    break
                time.sleep(0.3)  # 23 bytes over 7 s: past kH2PrefaceDeadlineMs (5 s)
            self.assertIsNone(raw.read_frame())
        self.assertEqual(set(scrapes), {200})
        self.wait_count(m, 'mmwatch_http2_connection_refusals_total{reason="preface_timeout"}')


class GrpcTimeouts(GrpcCase):
    """The HTTP listeners' timeouts on the gRPC listener, at default flags."""

    def test_a_silent_connection_is_closed_at_the_first_byte_timeout(self):
        m = self.start_grpc()
        with socket.create_connection(("127.0.0.1", m.grpc_port), timeout=60) as s:
            self.assertEqual(s.recv(1), b"")
        self.wait_count(m, 'mmwatch_limit_hits_total{limit="first_byte"}')

    def test_a_request_that_never_ends_is_closed_at_the_request_deadline(self):
        m = self.start_grpc()
        raw = RawH2(m.grpc_port, timeout=60)
        self.addCleanup(raw.close)
        raw.frames(raw.headers(1, request_headers(), end_stream=False), DataFrame(1, data=b"\0"))
        self.assertIsNone(raw.read_until(lambda f: False))
        self.wait_count(m, 'mmwatch_limit_hits_total{limit="request_deadline"}')

    def test_an_idle_connection_gets_goaway_no_error_then_closes(self):
        m = self.start_grpc()
        raw = RawH2(m.grpc_port, timeout=90)
        self.addCleanup(raw.close)
        raw.call(1, framed(gauge_request("before_idle", 1)))
        self.assertEqual(raw.response(1)[2]["grpc-status"], str(OK))
        g = raw.goaway()  # after kKeepAliveIdleMs (30 s) without a stream
        self.assertEqual(g.error_code, 0)
        self.assertEqual(g.last_stream_id, 1)
        self.assertIsNone(raw.read_until(lambda f: False))


if __name__ == "__main__":
    unittest.main()
