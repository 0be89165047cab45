"""Black-box tests of the HTTP side: raw sockets, hostile clients, the CLI."""

import http.client
import socket
import subprocess
import time
import unittest

from harness import MMWATCH_CMD, MmwatchTestCase, slow_reader, wait_until


def exchange(sock, data, limit=1 << 20):
    """Sends data and reads until the server closes."""
    sock.sendall(data)
    chunks = []
    while True:
        b = sock.recv(65536)
        if not b:
            break
        chunks.append(b)
        if sum(map(len, chunks)) > limit:
            break
    return b"".join(chunks)


def status_of(response):
    return int(response.split(b" ", 2)[1])


class Requests(MmwatchTestCase):
    def test_nc_style_http10_request(self):
        m = self.start()
        with m.connect() as s:
            resp = exchange(s, b"GET /metrics HTTP/1.0\n\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertIn(b"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n", resp)
        self.assertIn(b"mmwatch_build_info", resp)

    def test_status_codes(self):
        m = self.start()
        cases = [
            (b"GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n", 404),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405),
            (b"GARBAGE\r\n\r\n", 400),
            (b"GET / HTTP/3.0\r\n\r\n", 505),
            (b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 9000 + b"\r\n\r\n", 431),
            (b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 40 + b"\r\n", 431),
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", 413),
            (b"GET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n", 200),
            (b"GET /api/v1/sources HTTP/1.1\r\nConnection: close\r\n\r\n", 200),
            (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 200),
        ]
        for req, want in cases:
            with m.connect() as s:
                self.assertEqual(status_of(exchange(s, req)), want, req[:40])
        with m.connect() as s:
            resp = exchange(s, b"PUT /metrics HTTP/1.1\r\nConnection: close\r\n\r\n")
        self.assertIn(b"Allow: GET, HEAD\r\n", resp)

    def test_head_has_length_and_no_body(self):
        m = self.start()
        with m.connect() as s:
            resp = exchange(s, b"HEAD /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n")
        head, _, body = resp.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 3", head)
        self.assertEqual(body, b"")

    def test_keep_alive_and_pipelining(self):
        m = self.start()
        with m.connect() as s:
            s.sendall(b"GET /-/healthy HTTP/1.1\r\n\r\nGET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        self.assertEqual(data.count(b"HTTP/1.1 200 OK"), 2)

    def test_half_sent_request_does_not_delay_another_scrape(self):
        m = self.start()
        stalled = m.connect()
        stalled.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
        try:
            start = time.monotonic()
            status, _, body = m.get("/metrics")
            elapsed = time.monotonic() - start
            self.assertEqual(status, 200)
            self.assertIn("mmwatch_build_info", body)
            # The scrape was answered while the stalled client still holds
            # its connection (closed only at the 10 s request deadline): it
            # did not wait for it. The time is reported, not asserted.
            stalled.setblocking(False)
            with self.assertRaises(BlockingIOError):
                stalled.recv(1)  # still open, nothing sent to it yet
            print("scrape beside a half-sent request: %.1f ms" % (elapsed * 1000))
        finally:
            stalled.close()

    def test_stalled_client_is_closed_at_the_deadline(self):
        m = self.start()
        with m.connect() as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            s.settimeout(30)
            self.assertEqual(s.recv(100), b"")  # closed by the server
        wait_until(lambda: 'mmwatch_limit_hits_total{limit="request_deadline"} 1' in m.metrics(), "counted")

    def test_client_that_never_reads_does_not_block_others(self):
        m = self.start()
        hogs = []
        for _ in range(20):
            hogs.append(slow_reader(m.port, b"GET /metrics HTTP/1.1\r\n\r\n" * 50))
        try:
            self.healthy(m, 5)
        finally:
            for s in hogs:
                s.close()

    def healthy(self, m, n):
        for _ in range(n):
            status, _, _ = m.get("/-/healthy")
            self.assertEqual(status, 200)

    def test_a_newcomer_shed_for_another_is_told_503(self):
        m = self.start("--max-connections", "4")  # one newcomer, three proven
        held = m.connect()
        held.sendall(b"GET /metrics HTTP/1.1\r\n")  # a request started, never finished
        time.sleep(0.3)
        try:
            self.healthy(m, 1)  # a newer newcomer: the held one waited longer, and goes
            held.settimeout(10)
            resp = held.recv(1000)
            self.assertEqual(status_of(resp), 503)
            self.assertIn(b"Retry-After: 1\r\n", resp)
        finally:
            held.close()
        self.assertRegex(m.metrics(), r'(?m)^mmwatch_http_shed_connections_total\{reason="newcomer"\} [1-9]')

    def test_silent_connections_at_the_cap_make_room_for_a_scraper(self):
        m = self.start("--max-connections", "4")
        idle = [m.connect() for _ in range(4)]  # connected, silent
        time.sleep(0.3)
        try:
            self.healthy(m, 8)
        finally:
            for s in idle:
                s.close()
        body = m.metrics()
        self.assertRegex(body, r'(?m)^mmwatch_http_shed_connections_total\{reason="newcomer"\} [1-9]')

    def test_a_kept_connection_survives_a_flood_of_new_ones(self):
        m = self.start("--max-connections", "8")  # two newcomers, six proven
        kept = http.client.HTTPConnection("127.0.0.1", m.port, timeout=10)
        kept.request("GET", "/-/healthy")
        self.assertEqual(kept.getresponse().read(), b"OK\n")
        flood = []
        try:
            for _ in range(50):
                s = m.connect()
                s.sendall(b"G")
                flood.append(s)
            for _ in range(5):
                kept.request("GET", "/-/healthy")
                self.assertEqual(kept.getresponse().read(), b"OK\n")
        finally:
            for s in flood:
                s.close()
            kept.close()


class CommandLine(unittest.TestCase):
    def run_bin(self, *args):
        return subprocess.run([*MMWATCH_CMD, *args], capture_output=True, text=True, timeout=30)

    def test_help_and_version(self):
        r = self.run_bin("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--histogram-grouping-power", r.stdout)
        self.assertEqual(self.run_bin("-h").stdout, r.stdout)  # -h is --help
        r = self.run_bin("--version")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("mmwatch "))

    def test_errors_exit_2_with_one_line(self):
        for args, needle in ((["--bogus"], "--bogus"), (["--dir", "/nonexistent/dir"], "/nonexistent/dir"),
                             (["--dir", "/tmp", "--interval", "fast"], "--interval"), ([], "--dir")):
            r = self.run_bin(*args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)

    def test_port_in_use_exits_2(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = self.run_bin("--dir", "/tmp", "--listen", "127.0.0.1:%d" % port)
        self.assertEqual(r.returncode, 2)
        self.assertIn("address already in use", r.stderr)

    def test_sigint_exits_0(self):
        m = MmwatchTestCase("run")
        m.setUp()
        try:
            inst = m.start()
            inst.proc.send_signal(2)
            self.assertEqual(inst.proc.wait(timeout=10), 0)
        finally:
            m.tearDown()


if __name__ == "__main__":
    unittest.main()
