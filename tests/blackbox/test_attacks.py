"""The scraper keeps getting 200 while an attacker on the loopback holds
connections, floods bytes or reads slowly, at default flags; memory stays
within the documented budgets; every file is served or counted. Times are
printed, never asserted (docs/benchmarks.md has the numbers)."""

import os
import re
import resource
import socket
import subprocess
import threading
import time
import unittest

from harness import Background, MmwatchTestCase, raw_file, slow_reader, wait_until

SANITIZED = bool(os.environ.get("MMWATCH_SANITIZED"))


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_bytes(m):
    with open("/proc/%d/status" % m.proc.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


def counter(body, family, label, value):
    m = re.search(r'^%s\{%s="%s"\} (\S+)$' % (re.escape(family), label, value), body, re.M)
    return float(m.group(1)) if m else None


class Attacks(MmwatchTestCase):
    def scrapes(self, m, n, path="/metrics", needle="mmwatch_build_info"):
        """n normal scrapes that must all succeed; returns the times."""
        times = []
        for _ in range(n):
            t = time.monotonic()
            status, _, body = m.get(path, timeout=30)
            times.append(time.monotonic() - t)
            self.assertEqual(status, 200)
            self.assertIn(needle, body)
        return times

    def report(self, what, times, m=None):
        times = sorted(times)
        lag = ""
        if m is not None:
            body = m.metrics()
            total = float(re.search(r"^mmwatch_loop_lag_seconds_sum (\S+)$", body, re.M).group(1))
            count = float(re.search(r"^mmwatch_loop_lag_seconds_count (\S+)$", body, re.M).group(1))
            busy = float(re.search(r"^mmwatch_loop_busy_ratio (\S+)$", body, re.M).group(1))
            lag = "; loop lag mean %.1f ms, busy %.0f%%" % (total / max(count, 1) * 1000, busy * 100)
        print("%s: scrape median %.1f ms, max %.1f ms%s" % (what, times[len(times) // 2] * 1000, times[-1] * 1000, lag))

    def test_calm_baseline(self):
        self.big_body_files()
        m = self.start()
        wait_until(lambda: "gauge_099_0999" in m.metrics(), "100,000 series served", timeout=60)
        self.report("calm, 100,000 series", self.scrapes(m, 20, needle="gauge_099_0999"), m)

    def big_body_files(self, series=100_000):
        per_file = 1000
        for f in range(series // per_file):
            self.write("s%03d.rezl" % f, raw_file([(2, "gauge_%03d_%04d" % (f, i)) for i in range(per_file)]))

    def test_a_thousand_idle_and_reconnecting_connections_do_not_take_the_scrapers_place(self):
        if raise_nofile() < 2200:
            self.skipTest("needs 2,200 file descriptors for the test's own sockets")
        m = self.start()
        idle = []
        for _ in range(1000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", m.port))
            idle.append(s)
        def reconnect(stop):  # an attacker that opens new silent connections all the time
            held = []
            while not stop.is_set():
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", m.port))
                held.append(s)
                if len(held) > 300:
                    held.pop(0).close()
                time.sleep(0.002)
            for s in held:
                s.close()

        try:
            with Background(reconnect):
                time.sleep(1)
                times = self.scrapes(m, 50)
        finally:
            for s in idle:
                s.close()
        self.report("1,000 idle + reconnecting connections", times, m)
        self.assertGreater(counter(m.metrics(), "mmwatch_http_shed_connections_total", "reason", "newcomer"), 0)

    def test_a_crlf_flood_is_refused_at_the_head_cap(self):
        m = self.start()
        with m.connect() as s:
            try:
                for _ in range(20):
                    s.sendall(b"\r\n" * 512)  # 20 KiB of blank lines, past the 8 KiB head cap
            except (BrokenPipeError, ConnectionResetError):
                pass
            s.settimeout(10)
            answer = s.recv(200)
        self.assertTrue(answer.startswith(b"HTTP/1.1 431"), answer)
        self.scrapes(m, 5)

    def test_one_byte_chunks_are_decoded_once_while_scrapes_go_on(self):
        m = self.start()
        payload = (b'{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"chunky","gauge":'
                   b'{"dataPoints":[{"asDouble":5}]}}]}]}],"pad":"' + b"x" * 20000 + b'"}')
        framed = b"".join(b"1\r\n" + payload[i:i + 1] + b"\r\n" for i in range(len(payload))) + b"0\r\n\r\n"
        senders = []
        for _ in range(4):
            s = m.connect()
            s.sendall(b"POST /v1/metrics HTTP/1.1\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            senders.append(s)
        times = []
        try:
            for i in range(0, len(framed), 4096):  # the framing arrives in pieces, as a slow sender's would
                for s in senders:
                    s.sendall(framed[i:i + 4096])
                if i % (4096 * 16) == 0:
                    times += self.scrapes(m, 1)
            for s in senders:
                s.settimeout(10)
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 200"))
        finally:
            for s in senders:
                s.close()
        self.report("4 senders of 1-byte chunks", times, m)
        wait_until(lambda: "chunky" in m.metrics(), "the chunked point served")

    def test_slow_readers_of_a_large_body_stay_within_the_response_budget(self):
        self.big_body_files()
        m = self.start()
        wait_until(lambda: "gauge_099_0999" in m.metrics(), "100,000 series served", timeout=60)
        before = rss_bytes(m)
        readers = [slow_reader(m.port, b"GET /metrics HTTP/1.1\r\n\r\n") for _ in range(200)]

        def trickle(stop):  # 1 KB/s each, as the attack did
            while not stop.is_set():
                for s in readers:
                    try:
                        s.setblocking(False)
                        s.recv(100)
                    except (BlockingIOError, OSError):
                        pass
                time.sleep(0.1)

        peak = 0
        times = []
        try:
            with Background(trickle):
                for _ in range(10):
                    times += self.scrapes(m, 1, needle="gauge_099_0999")
                    peak = max(peak, rss_bytes(m) - before)
                    time.sleep(0.5)
        finally:
            for s in readers:
                s.close()
        self.report("200 slow readers of a 100,000-series body", times, m)
        print("  RSS growth at most %d MiB (response budget 128 MiB)" % (peak >> 20))
        self.assertLess(peak, (128 + 64) << 20)

    def test_unread_large_bodies_stay_within_the_request_budget(self):
        m = self.start()
        before = rss_bytes(m)
        body = b"{" + b" " * (4 * 1024 * 1024 - 2) + b"}"
        senders = []
        statuses = []

        def send(s):
            try:
                s.sendall(b"POST /v1/metrics HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                          % len(body) + body)
            except OSError:
                pass

        threads = []
        for _ in range(200):
            s = socket.socket()
            s.connect(("127.0.0.1", m.port))
            senders.append(s)
            th = threading.Thread(target=send, args=(s,))
            th.start()
            threads.append(th)
        peak = 0
        try:
            for th in threads:
                th.join(timeout=60)
                peak = max(peak, rss_bytes(m) - before)
            for s in senders:
                s.settimeout(10)
                try:
                    statuses.append(s.recv(12)[9:12])
                except OSError:
                    statuses.append(b"")
            peak = max(peak, rss_bytes(m) - before)
            self.scrapes(m, 5)
        finally:
            for s in senders:
                s.close()
        print("200 x 4 MiB bodies: answers %s, RSS growth at most %d MiB (request budget 64 MiB)"
              % ({k.decode(): statuses.count(k) for k in set(statuses)}, peak >> 20))
        self.assertIn(b"503", statuses)
        self.assertLess(peak, (64 + 64) << 20)
        self.assertGreater(counter(m.metrics(), "mmwatch_limit_hits_total", "limit", "request_memory"), 0)

    def test_more_files_than_file_descriptors_are_served_or_counted(self):
        for i in range(1100):
            self.write("f%04d.rezl" % i, raw_file([(2, "g")]))
        orig = subprocess.Popen

        def limited(*a, **kw):
            kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
            return orig(*a, **kw)

        subprocess.Popen = limited
        try:
            m = self.start()
        finally:
            subprocess.Popen = orig
        def settled():
            body = m.metrics()
            active = counter(body, "mmwatch_sources", "state", "active") or 0
            waiting = float(re.search(r"^mmwatch_files_waiting_for_fds (\S+)$", body, re.M).group(1))
            return active + waiting == 1100 and waiting > 0 and (active, waiting)
        active, waiting = wait_until(settled, "every file served or counted", timeout=60)
        print("1,100 files under ulimit -n 1024: %d served, %d waiting for an fd" % (active, waiting))
        self.scrapes(m, 5)
        # A user sees why a file is not served: /api/v1/sources lists it.
        listed = [s for s in m.sources().values() if s.get("state") == "waiting"]
        self.assertGreater(len(listed), 0)
        self.assertTrue(all(s["reason"] == "open_fds" and s["message"] for s in listed), listed[:3])
        self.assertEqual(len(m.sources()), 1100)
        # Room frees: files are removed, and the waiting ones are taken.
        for i in range(400):
            os.unlink(os.path.join(self.dir, "f%04d.rezl" % i))
        wait_until(lambda: counter(m.metrics(), "mmwatch_sources", "state", "active") == 700, "the rest served", timeout=60)
        self.assertIn("mmwatch_files_waiting_for_fds 0\n", m.metrics())

    def test_a_swapped_dir_symlink_is_followed(self):
        base = self.dir
        os.mkdir(os.path.join(base, "v1"))
        os.mkdir(os.path.join(base, "v2"))
        with open(os.path.join(base, "v1", "old.rezl"), "wb") as f:
            f.write(raw_file([(2, "old_gauge")]))
        with open(os.path.join(base, "v2", "new.rezl"), "wb") as f:
            f.write(raw_file([(2, "new_gauge")]))
        os.symlink("v1", os.path.join(base, "current"))
        from harness import Mmwatch
        m = Mmwatch(os.path.join(base, "current"))
        self.instances.append(m)
        wait_until(lambda: "old_gauge" in m.metrics(), "the first target served")
        os.symlink("v2", os.path.join(base, "next"))
        os.rename(os.path.join(base, "next"), os.path.join(base, "current"))  # ln -sfn v2 current
        wait_until(lambda: "new_gauge" in m.metrics() and "old_gauge" not in m.metrics(), "the new target served")


if __name__ == "__main__":
    unittest.main()
