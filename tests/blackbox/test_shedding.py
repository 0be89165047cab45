"""Black-box, slow suite: issue 29's attacks at default flags. Each attack
runs beside two Prometheus-style scrapers (one kept connection, and a new
connection per scrape) and the test asserts the scrapers' success rate,
never their latency (the p99 is printed; docs/benchmarks.md has the numbers).
Then the memory a stalled TLS reader holds, fair basic auth (a never-seen
credential during a storm; timing parity of unknown users at two bcrypt
costs, compared as a ratio of medians), and every --web-config file case
(a FIFO, a directory, a device, an oversized file) at start and while
running. The attackers and scrapers are tests/blackbox/attackers.py."""

import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import tempfile
import time
import unittest

import attackers
from harness import MMWATCH_CMD, MmwatchTestCase, wait_until
from pki import Pki
from test_security import curl, htpasswd

ATTACK_SECONDS = 8
# What a scraper must keep through an attack, the keep-alive one and the
# one that opens a new connection per scrape alike: with ~70 scrapes in an
# attack, any refused or failed scrape fails the test. The attackers come
# from 127.0.0.2 (attackers.ATTACKER_ADDRESS), the scrapers from 127.0.0.1,
# as a Prometheus scrapes from its own address: its address is proven by
# its first scrape, and newcomers from it are shed only after every
# newcomer from an unknown address (docs/operations.md, "Who is shed at the
# cap"). Before that policy a new-connection scraper was a newcomer like
# the attacker's and got 83-94% over TLS in CI runs beside a package build.
MIN_SUCCESS = 0.99
# Beside the pullers, whose address is proven too (they complete
# requests), the new-connection scraper is the lone newcomer of its
# address among a crowd from theirs, and the crowd is shed first (it was
# 79-85% over TLS before that rule, docs/benchmarks.md).
TLS_STALLED_READERS = 100


def rss_bytes(m):
    with open("/proc/%d/status" % m.proc.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


class WebConfigCase(MmwatchTestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="mmwatch-pki-")
        cls.pki = Pki(cls.pki_dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki_dir, ignore_errors=True)

    def web_config(self, text, name=".web.yml"):
        path = os.path.join(self.dir, name)  # a dot-name: the watcher ignores it
        with open(path, "w") as f:
            f.write(text)
        return path

    def tls_config(self, extra=""):
        return self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\n%s"
                               % (self.pki.path("server.crt"), self.pki.path("server.key"), extra))

    def https(self, m, path="/metrics", *args):
        return curl("https://127.0.0.1:%d%s" % (m.port, path), "--cacert", self.pki.path("ca.crt"), *args)


class ScrapersUnderAttack(WebConfigCase):
    """Each attack of issue 29, plain and TLS, at default flags."""

    def survive(self, name, tls):
        flags = []
        cafile = None
        if tls:
            flags = ["--web-config", self.tls_config()]
            cafile = self.pki.path("ca.crt")
        attackers.write_series_files(100_000 if name == "pullers" else 1000, self.write)
        m = self.start(*flags, interval="1s")  # the default: the harness's 100 ms renders 100,000 series 10 times a second
        what, k, f, stats = attackers.beside_scrapers(m.port, cafile, tls, name, ATTACK_SECONDS)
        print("%s, %s: keep-alive %s; new connection %s; attacker %s"
              % (what, "TLS" if tls else "plain", k.summary(), f.summary(), stats))
        self.assertGreater(len(k.outcomes), 0)  # how many depends on the machine's speed
        self.assertGreater(len(f.outcomes), 0)
        self.assertGreater(stats.get("connects", 0), 0, "the attack ran")
        self.assertGreaterEqual(k.success, MIN_SUCCESS, "keep-alive scraper: " + k.summary())
        self.assertGreaterEqual(f.success, MIN_SUCCESS, "new-connection scraper: " + f.summary())

    def test_replayed_first_flights(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("replay", tls)

    def test_dribbled_first_flights(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("dribble", tls)

    def test_silent_connections(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("silent", tls)

    def test_silent_connections_refreshed(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("refresh", tls)

    def test_one_byte_each(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("one_byte", tls)

    def test_a_thousand_pullers_of_a_large_body(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                self.survive("pullers", tls)


class TlsMemory(WebConfigCase):
    def test_stalled_tls_readers_hold_their_share_and_give_it_back(self):
        """100 TLS clients ask for the 100,000-series body and never read:
        each holds at most a record in flight plus its session (the
        documented share, docs/security.md), and RSS comes back near its
        baseline once they are cut."""
        attackers.write_series_files(100_000, self.write)
        # One render for the whole test (the next tick is 30 s away): every
        # reader shares one body, so what grows is what each connection holds.
        m = self.start("--web-config", self.tls_config(), interval="30s")
        wait_until(lambda: b"gauge_099_0999" in self.https(m)[2], "100,000 series served", timeout=60)
        self.https(m)  # the shared body rendered, the allocator warmed
        time.sleep(0.5)
        before = rss_bytes(m)
        ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
        stalled = []
        for _ in range(TLS_STALLED_READERS):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", m.port))
            t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
            t.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            stalled.append(t)
        time.sleep(2)  # every one stalled: its socket buffers full
        during = rss_bytes(m)
        per_reader = max(0, during - before) / TLS_STALLED_READERS
        for t in stalled:
            t.close()
        wait_until(lambda: 'mmwatch_listener_connections{listener="metrics"} 1\n' in self.https(m)[2].decode(),
                   "the stalled readers are gone", step=0.2)
        time.sleep(0.5)
        after = rss_bytes(m)
        print("TLS: RSS %.1f MiB before, %.1f MiB with %d stalled readers (%.0f KiB each), %.1f MiB after"
              % (before / 2**20, during / 2**20, TLS_STALLED_READERS, per_reader / 1024, after / 2**20))
        # The documented share: one 16 KiB record and the session's
        # buffers, 96 KiB with room for the allocator (was 737 KiB).
        self.assertLess(per_reader, 96 * 1024)
        self.assertLess(after - before, 8 << 20)


class FairAuth(WebConfigCase):
    def auth_config(self, users):
        return self.web_config("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n%s"
                               % (self.pki.path("server.crt"), self.pki.path("server.key"),
                                  "".join("  %s: %s\n" % u for u in users)))

    def test_a_new_credential_logs_in_during_a_wrong_password_storm(self):
        cfg = self.auth_config([("prom", htpasswd("prom", "s3cret"))])
        m = self.start("--web-config", cfg)
        cafile = self.pki.path("ca.crt")
        storm = [attackers.Scraper(m.port, cafile, pause=0, auth="prom:guess").start() for _ in range(4)]
        try:
            time.sleep(2)  # the storm has spent the budget
            tries = []
            t0 = time.monotonic()
            for _ in range(20):
                tries.append(self.https(m, "/metrics", "-u", "prom:s3cret", "--interface", "127.0.0.2")[1])
                if tries[-1] == 200:
                    break
                time.sleep(0.25)
            first_login_ms = (time.monotonic() - t0) * 1000
        finally:
            tallies = [s.stop() for s in storm]
        refused = sum(t.failures.count(429) for t in tallies)
        print("storm: %d wrong, %d x 429; the new credential's tries: %s, %.0f ms to its 200"
              % (sum(t.failures.count(401) for t in tallies), refused, tries, first_login_ms))
        self.assertGreater(refused, 0, "the storm was over the budget")
        self.assertEqual(tries[-1], 200)
        # Its first check runs at once; a 429 only if the whole budget was
        # spent that instant: a quarter second later it has refilled.
        self.assertLessEqual(len(tries), 2, tries)

    def check_times_ms(self, m, users, n=5):
        """n timed checks (401) of each of `users`' credentials, taken in
        turn on one kept connection so that both see the same load: a 429
        (this address's share spent) is waited out, not timed."""
        import http.client
        import base64
        ctx = ssl.create_default_context(cafile=self.pki.path("ca.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", m.port, context=ctx, timeout=60)
        times = {u: [] for u in users}
        try:
            for _ in range(n):
                for credentials in users:
                    headers = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
                    while True:
                        if conn.sock is None:
                            conn.connect()  # the handshake is not timed
                        t0 = time.monotonic()
                        try:
                            conn.request("GET", "/-/healthy", headers=headers)
                            resp = conn.getresponse()
                            resp.read()
                        except (ConnectionError, ssl.SSLError):
                            # Never authenticated, it is still a newcomer:
                            # closed 10 s after connecting (docs/operations.md).
                            conn.close()
                            continue
                        elapsed = time.monotonic() - t0
                        if resp.status != 429:
                            break
                        time.sleep(0.2)
                    self.assertEqual(resp.status, 401)
                    times[credentials].append(elapsed * 1000)
        finally:
            conn.close()
        return [statistics.median(times[u]) for u in users]

    def test_unknown_users_cost_what_users_cost_at_any_bcrypt_cost(self):
        # A cost-5 check is about 2 ms, as small as the machine's noise:
        # more of them. Cost 11 is on the other side of the old dummy's 10.
        for cost, n in ((5, 25), (11, 5)):
            with self.subTest(cost=cost):
                hashed = subprocess.run(["htpasswd", "-nbBC", str(cost), "prom", "s3cret"], capture_output=True,
                                        text=True, check=True).stdout.strip().split(":", 1)[1]
                m = self.start("--web-config", self.auth_config([("prom", hashed)]))
                wrong, unknown = self.check_times_ms(m, ["prom:wrong", "nobody:wrong"], n)
                print("bcrypt cost %d: wrong password %.1f ms, unknown user %.1f ms (medians of %d)"
                      % (cost, wrong, unknown, n))
                # Before: 1.9 vs 51.9 ms at cost 5, 212 vs 52 ms at cost 12.
                self.assertLess(unknown / wrong, 2.0)
                self.assertGreater(unknown / wrong, 0.5)


# What a config file must not be, and the phrase that says so.
BAD_KINDS = ("a FIFO", "a directory", "a character device", "oversized")


def put_bad_file(path, kind, max_bytes):
    """Replaces whatever is at `path` by a file of `kind`; returns the phrase
    mmwatch uses for it."""
    if os.path.isdir(path) and not os.path.islink(path):
        os.rmdir(path)
    elif os.path.lexists(path):
        os.remove(path)
    if kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a directory":
        os.mkdir(path)
    elif kind == "a character device":
        os.symlink("/dev/zero", path)
    else:
        with open(path, "w") as f:
            f.write("# padding\n" * (max_bytes // 10 + 1))
        return "over the %d allowed" % max_bytes
    return "is %s, not a regular file" % kind


class ConfigFiles(WebConfigCase):
    WEB_CONFIG_MAX = 64 * 1024  # kMaxWebConfigBytes
    TLS_FILE_MAX = 1024 * 1024  # kMaxTlsFileBytes

    def refused_at_start(self, cfg, needle):
        out = subprocess.run([*MMWATCH_CMD, "--dir", self.dir, "--listen", "127.0.0.1:0", "--web-config", cfg],
                             capture_output=True, text=True, timeout=30)
        lines = out.stderr.strip().splitlines()
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(needle, lines[0])

    def test_every_bad_file_at_start_is_one_line_and_exit_2(self):
        for kind in BAD_KINDS:
            with self.subTest(web_config=kind):
                path = os.path.join(self.dir, ".web.yml")
                self.refused_at_start(path, put_bad_file(path, kind, self.WEB_CONFIG_MAX))
            for key in ("cert_file", "key_file", "client_ca_file"):
                with self.subTest(file=key, kind=kind):
                    files = {"cert_file": self.pki.path("server.crt"), "key_file": self.pki.path("server.key")}
                    files[key] = os.path.join(self.dir, ".tls_file")
                    needle = put_bad_file(files[key], kind, self.TLS_FILE_MAX)
                    cfg = self.web_config("tls_server_config:\n" +
                                          "".join("  %s: %s\n" % kv for kv in files.items()), ".bad.yml")
                    self.refused_at_start(cfg, needle)

    def stop_and_read_stderr(self, m):
        self.instances.remove(m)
        code, rest = m.stop()
        self.assertEqual(code, 0)
        return rest

    def test_a_certificate_swapped_for_a_bad_file_is_a_refused_reload(self):
        for ext in ("crt", "key"):
            shutil.copy(self.pki.path("server." + ext), os.path.join(self.dir, ".live." + ext))
        m = self.start("--web-config", self.web_config("tls_server_config:\n  cert_file: .live.crt\n"
                                                       "  key_file: .live.key\n"))
        live = os.path.join(self.dir, ".live.crt")
        needles = []
        for failures, kind in enumerate(BAD_KINDS, start=1):
            with self.subTest(kind=kind):
                needles.append(put_bad_file(live, kind, self.TLS_FILE_MAX))
                # Never a blocked loop: every answer comes (a stuck loop
                # times curl out), from the old certificate.
                wait_until(lambda: ('mmwatch_tls_certificate_reloads_total{result="failed"} %d\n' % failures)
                           in self.https(m)[2].decode(), "the failed reload counted", step=0.3)
                code, status, _ = self.https(m, "/-/healthy", "--max-time", "5")
                self.assertEqual((code, status), (0, 200))
        put_bad_file(live, "a directory", 0)
        os.rmdir(live)
        shutil.copy(self.pki.path("server.crt"), live)
        wait_until(lambda: 'mmwatch_tls_certificate_reloads_total{result="ok"} 1\n' in self.https(m)[2].decode(),
                   "a good certificate loads again", step=0.3)
        rest = self.stop_and_read_stderr(m)
        self.assertEqual(rest.count("certificate reload failed, the old ones stay"), len(BAD_KINDS), rest)
        for needle in needles:
            self.assertIn(needle, rest)

    def test_sighup_with_the_config_swapped_for_a_bad_file_keeps_the_old(self):
        cfg = self.tls_config()
        m = self.start("--web-config", cfg)
        needles = []
        for failures, kind in enumerate(BAD_KINDS, start=1):
            with self.subTest(kind=kind):
                needles.append(put_bad_file(cfg, kind, self.WEB_CONFIG_MAX))
                m.proc.send_signal(signal.SIGHUP)
                wait_until(lambda: ('mmwatch_web_config_reloads_total{result="failed"} %d\n' % failures)
                           in self.https(m)[2].decode(), "the failed reload counted", step=0.3)
                code, status, _ = self.https(m, "/-/healthy", "--max-time", "5")
                self.assertEqual((code, status), (0, 200))
        rest = self.stop_and_read_stderr(m)
        self.assertEqual(rest.count("SIGHUP: --web-config not reloaded, the old one stays"), len(BAD_KINDS), rest)
        for needle in needles:
            self.assertIn(needle, rest)


if __name__ == "__main__":
    unittest.main()
