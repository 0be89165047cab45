"""`mmwatch top` driven in tmux as a person would (send-keys, capture-pane),
against a real mmwatch on loopback whose producer changes its values: the
values appear and move, a filter narrows the rows, sort changes their
order, a resize to 40x10 and back leaves a sane screen, a server killed and
restarted shows "disconnected" then data again; and `--once` parsed.
Every wait is for behaviour, with generous deadlines."""

import json
import os
import re
import shlex
import shutil
import subprocess
import unittest
import urllib.request
import uuid

from harness import MMWATCH_CMD, Mmwatch, MmwatchTestCase, wait_until
from pki import Pki

TMUX = shutil.which("tmux")
# Each test its own tmux server (-L), so tests never see each other's panes.
ROW = re.compile(r'^(\S+\{[^}]*\})\s+(-?[0-9][0-9.e+-]*|NaN)\b')


def selector(name, producer):
    return '%s{instance="127.0.0.1:PORT",job="mmwatch",name="%s"}' % (name, producer)


@unittest.skipUnless(TMUX, "tmux is not installed (tools/deps.sh installs it)")
class TopInTmux(MmwatchTestCase):
    def setUp(self):
        super().setUp()
        self.socket = "mmwatch-top-" + uuid.uuid4().hex[:8]
        p = self.producer("app")
        self.jobs = p.counter("jobs_total")
        self.level = p.gauge("queue_depth")
        self.other = p.gauge("zeta_gauge")
        p.publish()
        self.jobs.add(5)
        self.level.set(100)
        self.other.set(1)
        self.m = self.start("--history-interval", "1s")

    def tearDown(self):
        for name in (self.socket, self.socket.removesuffix("-dumb")):
            subprocess.run(["tmux", "-L", name, "kill-server"], capture_output=True)
            # tmux leaves its socket file behind: where -L puts it.
            path = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), "tmux-%d" % os.getuid(), name)
            if os.path.exists(path):
                os.unlink(path)
        super().tearDown()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def open_top(self, port, *args, env=("TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8")):
        command = ["env", *env, *MMWATCH_CMD,
                   "top", "http://127.0.0.1:%d" % port, "--interval", "1s", *args]
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", "140", "-y", "30", shlex.join(command))

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def value_on_screen(self, name):
        for line in self.screen().splitlines():
            if line.startswith(name + "{"):
                return line.split()[1]
        return None

    def rows(self):
        return [line.split("{")[0] for line in self.screen().splitlines() if ROW.match(line)]

    def test_values_appear_and_move(self):
        self.open_top(self.m.port)
        wait_until(lambda: self.value_on_screen("queue_depth") == "100", "queue_depth 100 on screen")
        self.level.set(250)
        wait_until(lambda: self.value_on_screen("queue_depth") == "250", "queue_depth moves to 250")
        self.jobs.add(10)
        wait_until(lambda: self.value_on_screen("jobs_total") == "15", "jobs_total moves to 15")
        self.assertIn("[1 series]", self.screen())
        # The rate of a counter appears once the history holds two points of it.
        self.jobs.add(100)
        wait_until(lambda: [l for l in self.screen().splitlines()
                            if l.startswith("jobs_total{") and len(l.split()) >= 3], "a rate beside jobs_total", 60)
        # Ctrl-C while typing a filter quits (raw mode: a key, not a signal that would skip endwin).
        self.tmux("send-keys", "/", "abc", "C-c")
        wait_until(lambda: subprocess.run(["tmux", "-L", self.socket, "has-session"],
                                          capture_output=True).returncode != 0, "top quit on Ctrl-C")

    def test_filter_narrows_and_sort_orders(self):
        self.open_top(self.m.port)
        wait_until(lambda: set(self.rows()) >= {"jobs_total", "queue_depth", "zeta_gauge"}, "three series")
        self.assertEqual(self.rows(), sorted(self.rows()), "sorted by name at first")
        # A substring.
        self.tmux("send-keys", "/", "queue", "Enter")
        wait_until(lambda: self.rows() == ["queue_depth"], "only queue_depth")
        # A selector, applied by the server.
        self.tmux("send-keys", "/", "C-u")
        for _ in range(10):
            self.tmux("send-keys", "BSpace")
        self.tmux("send-keys", "-l", '{__name__=~"zeta.*|jobs.*"}')
        self.tmux("send-keys", "Enter")
        wait_until(lambda: self.rows() == ["jobs_total", "zeta_gauge"], "the selector's two series")
        # Sort by value: jobs_total (5) above zeta_gauge (1); reversed: below.
        self.tmux("send-keys", "s")
        wait_until(lambda: self.rows() == ["jobs_total", "zeta_gauge"] and "sort value" in self.screen(), "by value")
        self.other.set(1000)
        wait_until(lambda: self.rows() == ["zeta_gauge", "jobs_total"], "zeta_gauge on top once larger")
        self.tmux("send-keys", "r")
        wait_until(lambda: self.rows() == ["jobs_total", "zeta_gauge"], "reversed")

    def test_resize_to_40x10_and_back(self):
        self.open_top(self.m.port)
        wait_until(lambda: self.value_on_screen("queue_depth") == "100", "data on screen")
        self.tmux("resize-window", "-x", "40", "-y", "10")

        def sane_small():
            lines = self.screen().split("\n")
            lines = lines[:-1] if lines and lines[-1] == "" else lines
            return (len(lines) == 10 and all(len(l) <= 40 for l in lines) and "series" in lines[0]
                    and lines[1].startswith("SERIES") and any(l.startswith("queue_depth{") for l in lines))
        wait_until(sane_small, "a sane 40x10 screen")
        self.tmux("resize-window", "-x", "140", "-y", "30")
        wait_until(lambda: "LAST 5m" in self.screen() and self.value_on_screen("queue_depth") == "100",
                   "the wide screen back, sparklines included")
        # Focus the selected series: its chart; then help; then quit.
        self.tmux("send-keys", "Enter")
        wait_until(lambda: "[5m]" in self.screen(), "the focused chart")
        self.tmux("send-keys", "Escape", "?")
        wait_until(lambda: "filter: a selector" in self.screen(), "help")
        self.tmux("send-keys", "x", "q")
        wait_until(lambda: subprocess.run(["tmux", "-L", self.socket, "has-session"],
                                          capture_output=True).returncode != 0, "top quit, its session gone")

    def test_ascii_sparklines_without_utf8_and_plain_tables_on_a_dumb_terminal(self):
        self.open_top(self.m.port, env=("TERM=xterm", "LANG=C", "LC_ALL=C", "NO_COLOR=1"))
        wait_until(lambda: "LAST 5m" in self.screen() and self.value_on_screen("queue_depth") == "100", "drawn")
        self.level.set(5)  # a change the sparkline shows
        spark = wait_until(lambda: [l[-20:] for l in self.screen().splitlines()
                                    if l.startswith("queue_depth{") and l[-20:].strip()], "a sparkline")[0]
        self.assertTrue(set(spark) <= set(" _.-~=+*#"), "ASCII levels only: %r" % spark)
        self.tmux("kill-server")
        self.socket += "-dumb"  # a tmux server of its own: the first may still be going
        self.open_top(self.m.port, env=("TERM=dumb", "LANG=C.UTF-8"))
        # No screen to draw on: one plain table per interval, the header each time.
        wait_until(lambda: self.screen().count("SERIES") >= 2 and "[1 series]" not in self.screen(),
                   "plain tables, one after another")

    def test_server_gone_then_back(self):
        port = self.m.port
        self.open_top(port)
        wait_until(lambda: self.value_on_screen("queue_depth") == "100", "data on screen")
        code, _ = self.m.stop()
        self.instances.remove(self.m)
        self.assertEqual(code, 0)
        wait_until(lambda: "disconnected from http://127.0.0.1:%d" % port in self.screen(), "disconnected shown")
        self.assertEqual(self.value_on_screen("queue_depth"), "100", "the last data stays on screen")
        self.level.set(7)
        self.instances.append(Mmwatch(self.dir, "--history-interval", "1s", "--listen", "127.0.0.1:%d" % port))
        wait_until(lambda: self.value_on_screen("queue_depth") == "7" and "disconnected" not in self.screen(),
                   "data again from the restarted server", 60)


class TopOnce(MmwatchTestCase):
    """`mmwatch top --once`: one plain table, no terminal needed."""

    def test_once_prints_a_table_scripts_can_read(self):
        p = self.producer("app")
        g = p.gauge("queue_depth")
        p.publish()
        g.set(42)
        m = self.start("--history-interval", "1s")

        def table():
            r = subprocess.run(MMWATCH_CMD + ["top", "127.0.0.1:%d" % m.port, "--once"], capture_output=True,
                               text=True, timeout=60)
            return r if r.returncode == 0 and "queue_depth{" in r.stdout else None
        r = wait_until(table, "queue_depth in --once's table")
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["SERIES", "VALUE", "RATE/S"])
        rows = {ROW.match(l).group(1): ROW.match(l).group(2) for l in lines[1:]}
        want = 'queue_depth{instance="127.0.0.1:%d",job="mmwatch",name="app"}' % m.port
        self.assertEqual(rows[want], "42")
        self.assertFalse(any(k.startswith("mmwatch_") for k in rows), "self-metrics are in the daemon view")
        self.assertNotIn("\x1b", r.stdout, "no terminal escapes in a plain table")
        # The files view, and the daemon's own figures.
        # The files view: a broken file first, with its reason.
        self.write("broken.rezl", b"LZER" + bytes(60))
        files = wait_until(lambda: (lambda out: out if "broken.rezl" in out else None)(subprocess.run(
            MMWATCH_CMD + ["top", "127.0.0.1:%d" % m.port, "--once", "--view", "files"],
            capture_output=True, text=True, timeout=60).stdout), "broken.rezl listed").splitlines()
        self.assertRegex(files[1], r"^broken\.rezl +rejected +[a-z_]+ +")
        self.assertRegex(files[2], r"^app\.rezl +active +- ")
        daemon = wait_until(lambda: subprocess.run(
            MMWATCH_CMD + ["top", "127.0.0.1:%d" % m.port, "--once", "--view", "daemon"],
            capture_output=True, text=True, timeout=60).stdout, "daemon figures")
        self.assertRegex(daemon, r"(?m)^memory: resident +[0-9.]+ [KMG]iB$")
        # A selector the server refuses: its message, exit status 1.
        bad = subprocess.run(MMWATCH_CMD + ["top", "127.0.0.1:%d" % m.port, "--once", "--filter", "{"],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("HTTP 400", bad.stderr)

    def test_once_finds_a_failing_push_target_and_an_otlp_service(self):
        # A receiver that refuses every connection: a port a stopped mmwatch freed.
        gone = self.start()
        dead = "http://127.0.0.1:%d/api/v1/write" % gone.port
        gone.stop()
        self.instances.remove(gone)
        m = self.start("--history-interval", "1s", "--remote-write", dead, "--remote-write-interval", "1s")
        body = json.dumps({"resourceMetrics": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "checkout"}}]}, "scopeMetrics": [{"metrics": [
                {"name": "temp", "gauge": {"dataPoints": [{"asDouble": 21.5}]}}]}]}]}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % m.port, data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)

        def view(name):
            r = subprocess.run(MMWATCH_CMD + ["top", "127.0.0.1:%d" % m.port, "--once", "--view", name],
                               capture_output=True, text=True, timeout=60)
            return r.stdout if r.returncode == 0 else ""
        push = wait_until(lambda: re.search(r"(?m)^%s +failing +\d+ +never +" % re.escape(dead), view("push")),
                          "the dead receiver shown failing, never a success", 60)
        self.assertTrue(push)
        otlp = view("otlp")
        self.assertRegex(otlp, r"(?m)^checkout +ok +\d+s ago +- +- +- +1$")

    def test_once_against_nothing_says_disconnected(self):
        # A port nothing listens on: a mmwatch started and stopped.
        m = self.start()
        port = m.port
        m.stop()
        self.instances.remove(m)
        r = subprocess.run(MMWATCH_CMD + ["top", "127.0.0.1:%d" % port, "--once"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("disconnected from http://127.0.0.1:%d" % port, r.stderr)
        self.assertEqual(r.stdout, "")


class TopOverTlsAndAuth(MmwatchTestCase):
    """curl's names: --cacert, --cert, --key, --user, against mTLS and basic auth."""

    def test_tls_client_certificate_and_basic_auth(self):
        pki = Pki(os.path.join(self.dir, "pki"))
        hashed = subprocess.run(["htpasswd", "-nbBC", "10", "ops", "s3cret"], capture_output=True, text=True,
                                check=True).stdout.strip().split(":", 1)[1]
        config = os.path.join(self.dir, "web.yml")
        with open(config, "w") as f:
            f.write("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
                    "  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  ops: '%s'\n"
                    % (pki.path("server.crt"), pki.path("server.key"), pki.path("ca.crt"), hashed))
        os.makedirs(os.path.join(self.dir, "files"))
        m = Mmwatch(os.path.join(self.dir, "files"), "--web-config", config)
        self.instances.append(m)
        url = "https://127.0.0.1:%d" % m.port
        tls = ["--cacert", pki.path("ca.crt"), "--cert", pki.path("client.crt"), "--key", pki.path("client.key")]

        def top(*args):
            return subprocess.run(MMWATCH_CMD + ["top", url, "--once", "--view", "files", *args],
                                  capture_output=True, text=True, timeout=60)
        ok = top(*tls, "--user", "ops:s3cret")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout.split(), ["FILE", "STATE", "REASON", "CHANGED", "STALE", "METRICS"])
        # A wrong password is 401 (or 429 while the server's bcrypt budget is spent: asked again).
        wrong = wait_until(lambda: (lambda r: r if "HTTP 429" not in r.stderr else None)(top(*tls, "--user", "ops:nope")),
                           "an answer past the bcrypt budget")
        self.assertEqual(wrong.returncode, 1)
        self.assertEqual(wrong.stderr, "mmwatch top: HTTP 401\n")
        unverified = top("--user", "ops:s3cret")  # the server's certificate is not trusted
        self.assertEqual(unverified.returncode, 1)
        self.assertIn("disconnected from " + url, unverified.stderr)


class TopCommandLine(unittest.TestCase):
    def run_bin(self, *args):
        return subprocess.run([*MMWATCH_CMD, *args], capture_output=True, text=True, timeout=30)

    def test_help_names_the_subcommand_and_top_has_its_own(self):
        self.assertIn("mmwatch top [URL] [options]", self.run_bin("--help").stdout)
        r = self.run_bin("top", "--help")
        self.assertEqual(r.returncode, 0)
        for flag in ("--interval DUR", "--once", "--cacert FILE", "--cert FILE", "--key FILE", "--user U:P"):
            self.assertIn("  " + flag, r.stdout)
        self.assertIn("default http://127.0.0.1:9479", r.stdout.replace("defaults to", "default"))

    def test_bad_arguments_exit_2_with_one_line(self):
        for args, needle in ((["--bogus"], "--bogus"), (["--interval", "100ms"], "--interval"),
                             (["--view", "nope"], "--view"), (["--user"], "--user needs a value")):
            r = self.run_bin("top", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertIn(needle, r.stderr)


if __name__ == "__main__":
    unittest.main()
