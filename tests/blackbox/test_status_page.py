"""Black-box: the status page at / (docs/status-page.md).

Page: the real binary with a producer and remote-written series: the page
holds the live values, escapes a hostile label value, is valid HTML (the
HTML5 parser of python3-html5lib in strict mode, and tidy), every link on
it answers 200, the filter and the series page work, and basic auth from
--web-config covers / and /ui/series like every route.

Misbehaving: a dead push target, a broken file and an OTLP service are
found on the page without typing a query.

Browser (suite slow): the page loaded in Debian's chromium, headless: the
DOM it built holds the live values, the console logged nothing, and
screenshots at desktop and phone width are saved as test artefacts in
<build>/test-artefacts/status-page/ (docs/status-page.png is one of them).
"""

import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import MmwatchTestCase, wait_until
from test_history import bits, snappy_literal, write_request
from test_security import htpasswd

HOSTILE = '<script>alert("x")</script>'
# python3-html5lib is a Debian package: run it with Debian's python, whatever
# python runs the tests (a pyenv one has no Debian modules).
DEBIAN_PYTHON = "/usr/bin/python3"
HTML5_STRICT = ("import sys, html5lib\n"
                "html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(sys.stdin.buffer.read())\n")
ARTEFACTS = os.path.join(os.environ.get("MMWATCH_BUILD_ROOT", tempfile.gettempdir()), "test-artefacts",
                         "status-page")


class Links(html.parser.HTMLParser):
    """Every href and src of a document, and the text of its elements."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.srcs, self.scripts = [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if "href" in a and not a["href"].startswith("data:"):
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])


def links_of(page):
    p = Links()
    p.feed(page)
    return p


def post_write(m, series, auth=None):
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/write" % m.port,
                                 data=snappy_literal(write_request(series)), method="POST")
    req.add_header("Content-Type", "application/x-protobuf")
    req.add_header("Content-Encoding", "snappy")
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


class StatusCase(MmwatchTestCase):
    def live(self):
        """mmwatch sampling a producer's gauge and counter into its history
        every second, and a remote-written series with a hostile label value."""
        p = self.producer("app")
        self.gauge = p.gauge("temperature_celsius")
        self.counter = p.counter("requests")
        p.publish()
        self.gauge.set(-17)
        self.counter.set(5)
        m = self.start("--history-interval", "1s")
        now_ms = int(time.time() * 1000)
        self.assertEqual(post_write(m, [({"__name__": "hostile_gauge", "v": HOSTILE},
                                         [(now_ms - 1000, bits(1.5)), (now_ms, bits(2.5))])]), 204)
        wait_until(lambda: ">temperature_celsius</a>" in m.get("/")[2], "the producer's gauge on the page")
        return m


class Page(StatusCase):
    def test_page_holds_the_live_values_and_escapes_a_hostile_label_value(self):
        m = self.live()
        status, headers, page = m.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        self.assertIn('app.rezl</td><td class="ok">active</td>', page)
        self.assertRegex(page, r'>temperature_celsius</a>\{[^<]*name=&quot;app&quot;[^<]*\}</td><td class="n">-17</td>')
        self.assertIn("&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;", page)
        self.assertNotIn(HOSTILE, page)
        self.assertEqual(links_of(page).scripts, 0)
        self.assertEqual(links_of(page).srcs, [])
        # A value the producer changes shows on the next load.
        self.gauge.set(33)
        wait_until(lambda: re.search(r'>temperature_celsius</a>[^<]*</td><td class="n">33</td>', m.get("/")[2]),
                   "the new value on the page")
        # The counter's rate: 5 per second once it moves.
        wait_until(lambda: "requests_total" in m.get("/")[2], "the counter on the page")

    def test_page_is_valid_html(self):
        m = self.live()
        page = m.get("/")[2]
        series_href = re.search(r'href="(/ui/series\?[^"]*)"', page).group(1).replace("&amp;", "&")
        for path in ("/", series_href):
            body = m.get(path)[2]
            # The HTML5 parsing algorithm, strict: any parse error raises.
            out = subprocess.run([DEBIAN_PYTHON, "-c", HTML5_STRICT], input=body.encode(), capture_output=True)
            self.assertEqual(out.returncode, 0, "%s: %s" % (path, out.stderr.decode()[-2000:]))
            # tidy (Debian's HTML5-aware tidy-html5) reports what the parser
            # lets pass: an element where it may not be, an unknown or
            # missing attribute, an empty element; warnings included, so
            # exit status 0 means it found nothing at all.
            out = subprocess.run(["tidy", "-errors", "-q"], input=body.encode(),
                                 capture_output=True)
            self.assertEqual(out.returncode, 0, "%s: %s" % (path, out.stderr.decode()))

    def test_every_link_on_the_page_answers_200(self):
        m = self.live()
        page = m.get("/")[2]
        hrefs = sorted(set(links_of(page).hrefs))
        self.assertIn("/metrics", hrefs)
        self.assertTrue(any(h.startswith("/ui/series?") for h in hrefs))
        for href in hrefs:
            if href.startswith("/#"):
                continue
            status, _, body = m.get(href.split("#")[0])
            self.assertEqual(status, 200, "%s: %s" % (href, body[:200]))
        # The series page's own links (its other ranges, the export).
        series = m.get([h for h in hrefs if h.startswith("/ui/series?")][0])[2]
        for href in sorted(set(links_of(series).hrefs)):
            self.assertEqual(m.get(href.split("#")[0])[0], 200, href)
        self.assertIn('<svg class="chart"', series)

    def test_filter_narrows_the_series_and_a_gone_series_is_404(self):
        m = self.live()
        page = m.get("/?match=" + urllib.parse.quote("hostile"))[2]
        self.assertIn(">hostile_gauge</a>", page)
        self.assertNotIn(">temperature_celsius</a>", page)
        self.assertRegex(page, r"<p>1 matching among \d+ series scanned \(of \d+\)</p>")
        self.assertEqual(m.get("/ui/series?id=99999&gen=0")[0], 404)
        self.assertEqual(m.get("/?page=999999999999999999999")[0], 200)  # not a number: the first page


class Misbehaving(MmwatchTestCase):
    """What the page is for: a failing push target, a broken file and an
    OTLP service are found on it without typing a query."""

    def test_a_failing_push_target_a_broken_file_and_a_service_are_on_the_page(self):
        self.write("broken.rezl", b"x" * 64)
        dead = "http://127.0.0.1:1/api/v1/write"  # nothing listens on port 1
        m = self.start("--remote-write", dead, "--remote-write-interval", "1s")
        now_ns = time.time_ns()
        body = json.dumps({"resourceMetrics": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
            "scopeMetrics": [{"metrics": [{"name": "orders", "gauge": {"dataPoints": [
                {"asDouble": 3, "timeUnixNano": str(now_ns)}]}}]}]}]}).encode()
        req = urllib.request.Request("http://127.0.0.1:%d/v1/metrics" % m.port, data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        page = wait_until(lambda: (lambda p: p if ">retrying</td>" in p else None)(m.get("/")[2]),
                          "the push target shown as retrying")
        self.assertIn(dead + '</td><td class="bad">retrying</td>', page)
        self.assertIn('broken.rezl</td><td class="bad">rejected</td>', page)
        self.assertIn("bad_magic</span>", page)
        self.assertIn("<tr><td class=\"l\">checkout</td>", page)


class Auth(MmwatchTestCase):
    def test_basic_auth_covers_the_status_page(self):
        cfg = os.path.join(self.dir, ".web.yml")
        with open(cfg, "w") as f:
            f.write("basic_auth_users:\n  ops: '%s'\n" % htpasswd("ops", "s3cret"))
        m = self.start("--web-config", cfg)
        for path in ("/", "/ui/series?id=0&gen=0", "/?match=x"):
            status, headers, _ = m.get(path)
            self.assertEqual(status, 401, path)
            self.assertIn("Basic", headers.get("WWW-Authenticate", ""))
        req = urllib.request.Request("http://127.0.0.1:%d/" % m.port)
        req.add_header("Authorization", "Basic b3BzOnMzY3JldA==")  # ops:s3cret
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("<h1>mmwatch ", r.read().decode())


def chromium(*args, timeout=120):
    """Runs headless chromium once with its own profile; (stdout, stderr)."""
    profile = tempfile.mkdtemp(prefix="mmwatch-chromium-")
    try:
        out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-extensions", "--user-data-dir=" + profile,
                              "--enable-logging=stderr", "--v=0", *args],
                             capture_output=True, timeout=timeout)
        return out.stdout.decode("utf-8", "replace"), out.stderr.decode("utf-8", "replace")
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


@unittest.skipUnless(shutil.which("chromium"), "chromium is not installed (tools/deps.sh)")
class Browser(StatusCase):
    def test_chromium_renders_the_live_page_without_console_errors(self):
        # The console check can see a console message at all: a page that
        # logs one is seen to.
        _, probe = chromium("--dump-dom", "data:text/html,<script>console.error('mmwatch-probe')</script>")
        self.assertTrue(any("mmwatch-probe" in l for l in console_lines(probe)), probe[-2000:])

        m = self.live()
        # A few seconds of moving values, so the sparklines have a shape.
        for i in range(8):
            self.gauge.set(-17 + (i % 4) * 3)
            self.counter.set(5 + i * i * 4)
            time.sleep(1.1)
        self.gauge.set(-17)
        wait_until(lambda: re.search(r'>temperature_celsius</a>[^<]*</td><td class="n">-17</td>', m.get("/")[2]),
                   "the gauge back at -17")
        url = "http://127.0.0.1:%d/" % m.port
        dom, log = chromium("--dump-dom", url)
        self.assertEqual(console_lines(log), [])
        self.assertRegex(dom, r'>temperature_celsius</a>[^<]*</td><td class="n">-17</td>')
        self.assertIn('app.rezl</td><td class="ok">active</td>', dom)
        self.assertIn("&lt;script&gt;", dom)
        self.assertNotIn("<script>alert", dom)

        os.makedirs(ARTEFACTS, exist_ok=True)
        for name, size in (("status-page.png", "900,1100"), ("status-page-phone.png", "390,844")):
            path = os.path.join(ARTEFACTS, name)
            if os.path.exists(path):
                os.unlink(path)
            _, log = chromium("--hide-scrollbars", "--window-size=" + size, "--screenshot=" + path, url)
            self.assertEqual(console_lines(log), [])
            self.assertTrue(os.path.exists(path), log[-2000:])
            self.assertEqual(png_size(path), tuple(int(v) for v in size.split(",")))
