"""The kit in examples/, checked by the tools it is written for and against
a live mmwatch: the Prometheus scrape configurations (promtool, and a real
Prometheus scraping over plain HTTP and over mTLS with basic auth), the
alerting rules (promtool check and test rules), the Grafana dashboard's
queries (parsed by promtool, answered with data by mmwatch's own query
API as Grafana sends them), the Kubernetes manifests and the Dockerfile (against --help and
each other). Every metric and label name in a rule or a query must be one
a live /metrics has. The container image itself is built and run in
test_deploy.Package, beside the package it installs."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

import yaml

from harness import BIN, ROOT, WAIT_S, Mmwatch, MmwatchTestCase, Producer, wait_until
from pki import Pki
from prom_server import PrometheusServer
from rw_receiver import Receiver

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
EXAMPLES = os.path.join(ROOT, "examples")
# bcrypt of "changeme", as in docs/security.md.
PROM_HASH = "$2y$10$8B4MNmGp9Bh1E7bL/9NvxOZOyDTe4yrMrht.u4nx3uJZ5XJYx7k1O"
# Labels Prometheus adds to every scraped series, and the one of histograms.
SCRAPE_LABELS = {"job", "instance", "le"}
# Series Prometheus itself makes for each target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}


def example(*parts):
    return os.path.join(EXAMPLES, *parts)


def promtool(*args, cwd=None):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def live_families(extra_args=()):
    """{sample name: set of label names} of a live /metrics with every
    subsystem on: a file source, the OTLP listener, a remote_write URL
    (nothing listens there) with a spool."""
    work = tempfile.mkdtemp(prefix="mmwatch-kit-")
    try:
        p = Producer(work, "app")
        p.counter("app_requests_total")
        p.publish()
        m = Mmwatch(work, "--otlp-listen", "127.0.0.1:0", "--remote-write", "http://127.0.0.1:1/api/v1/write",
                    "--remote-write-spool", os.path.join(work, ".spool"), *extra_args)
        try:
            wait_until(lambda: 'mmwatch_source_stale{name="app"}' in m.metrics(), "the source served")
            text = m.metrics()
        finally:
            m.stop()
            p.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    families = {}
    for line in text.splitlines():
        s = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        if s:
            labels = families.setdefault(s.group(1), set())
            labels.update(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', s.group(2) or ""))
    return families


def names_in(expr):
    """(metric names, label names) a PromQL expression uses (quoted strings
    left out, so label values are not taken for names)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    metrics = set(re.findall(r"\b((?:mmwatch|process)_[a-zA-Z0-9_]+|up)\b", bare))
    labels = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\"\"", bare))
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", bare):
        labels.update(l.strip() for l in group.split(",") if l.strip())
    return metrics, labels


class NameCheck(unittest.TestCase):
    """Checks names against one live /metrics, fetched once per class."""

    @classmethod
    def setUpClass(cls):
        cls.families = live_families()

    def assert_names_live(self, expr, what, template_labels=()):
        metrics, labels = names_in(expr)
        self.assertTrue(metrics, "%s: no mmwatch metric in %r" % (what, expr))
        known = set(SCRAPE_LABELS)
        for name in metrics:
            if name in PROMETHEUS_SERIES:
                continue
            self.assertIn(name, self.families, "%s: %s is not on a live /metrics (%r)" % (what, name, expr))
            known |= self.families[name]
        for label in set(labels) | set(template_labels):
            self.assertIn(label, known, "%s: no series of %s has the label %s" % (what, sorted(metrics), label))


class AlertRules(NameCheck):
    RULES = example("prometheus", "mmwatch-alerts.yml")

    def test_promtool_checks_the_rules(self):
        out = promtool("check", "rules", self.RULES)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS", out.stdout)

    def test_promtool_runs_the_rule_tests(self):
        out = promtool("test", "rules", "mmwatch-alerts.test.yml", cwd=example("prometheus"))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertIn("SUCCESS", out.stdout)

    def test_every_alert_is_tested(self):
        with open(self.RULES) as f:
            alerts = {r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]}
        with open(example("prometheus", "mmwatch-alerts.test.yml")) as f:
            tested = {t["alertname"] for case in yaml.safe_load(f)["tests"] for t in case["alert_rule_test"]
                      if t.get("exp_alerts")}
        self.assertEqual(alerts - tested, set(), "alerts no test sees firing")

    def test_every_metric_and_label_is_one_mmwatch_exports(self):
        with open(self.RULES) as f:
            rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        for rule in rules:
            with self.subTest(alert=rule["alert"]):
                templates = " ".join(rule.get("annotations", {}).values())
                self.assert_names_live(rule["expr"], rule["alert"], re.findall(r"\$labels\.(\w+)", templates))


def parse_with_promtool(test, expr):
    """The query is valid PromQL: promtool parses it as a recording rule."""
    work = tempfile.mkdtemp(prefix="mmwatch-query-")
    try:
        path = os.path.join(work, "query.yml")
        with open(path, "w") as f:
            yaml.safe_dump({"groups": [{"name": "q", "rules": [{"record": "dashboard:query", "expr": expr}]}]}, f)
        out = promtool("check", "rules", path)
        test.assertEqual(out.returncode, 0, "%r: %s" % (expr, out.stdout + out.stderr))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def grafana_to_promql(expr):
    """Grafana's variables replaced by values a query accepts (for promtool
    and the name checks; Dashboard.grafana substitutes as Grafana does)."""
    expr = re.sub(r"\$__(?:rate_)?interval\b", "1m", expr)
    return re.sub(r"\$\{?\w+\}?", ".*", expr)


def regex_escape_for_grafana(value):
    """What Grafana's Prometheus data source puts in a query for a value of
    a multi-value or include-all variable: the regex metacharacters escaped
    with a backslash, itself doubled inside PromQL's double-quoted string
    (prometheusSpecialRegexEscape)."""
    return re.sub(r"([$^*+?.()|\[\]{}'])", r"\\\\\1", value.replace("\\", "\\\\\\\\"))


def dashboard():
    with open(example("grafana", "mmwatch.json")) as f:
        return json.load(f)


def targets(dash):
    """(panel title, target) of every query of the dashboard."""
    for panel in dash["panels"]:
        for t in panel.get("targets", []):
            yield panel["title"], t


class DashboardData:
    """A running mmwatch with real data behind every panel: a producer that
    keeps changing (counter, gauge, histogram) and one that stopped (stale
    after --stale-after 1s), a refused file, OTLP points in, pushes to a
    real remote_write receiver through a spool, and a client that reaches a
    limit (an oversized request head), scrapes in every format and asks
    for a missing page, all the time. History is sampled every second."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mmwatch-dash-")
        self.receiver = Receiver()
        self.app = Producer(self.dir, "app")
        self.requests = self.app.counter("app_requests_total")
        self.queue = self.app.gauge("app_queue_depth")
        self.latency = self.app.histogram("app_latency_ns")
        self.app.publish()
        self.frozen = Producer(self.dir, "frozen")
        frozen = self.frozen.gauge("frozen_value")
        self.frozen.publish()
        frozen.set(1)
        with open(os.path.join(self.dir, "broken.rezl"), "wb") as f:
            f.write(b"not a rezl file, refused and counted")
        self.m = Mmwatch(self.dir, "--history-interval", "1s", "--stale-after", "1s", "--otlp-listen", "127.0.0.1:0",
                         "--remote-write", self.receiver.url(), "--remote-write-interval", "1s",
                         "--remote-write-spool", os.path.join(self.dir, ".spool"))
        self.stopping = threading.Event()
        self.traffic = threading.Thread(target=self.keep_busy, daemon=True)
        self.traffic.start()

    def keep_busy(self):
        otlp = json.dumps({"resourceMetrics": [{"resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "dash"}}]}, "scopeMetrics": [{"metrics": [
                {"name": "temp", "unit": "Cel", "gauge": {"dataPoints": [{"asDouble": 21.5}]}}]}]}]}).encode()
        n = 0
        while not self.stopping.wait(0.25):
            n += 1
            self.requests.add(1)
            self.queue.set(n % 7)
            self.latency.record(1000 * (n % 50 + 1))
            try:
                for accept in ("text/plain", "application/openmetrics-text", "application/vnd.google.protobuf"):
                    urllib.request.urlopen(urllib.request.Request(
                        "http://127.0.0.1:%d/metrics" % self.m.port, headers={"Accept": accept}), timeout=10).read()
                self.m.get("/no-such-page")
                urllib.request.urlopen(urllib.request.Request(
                    "http://127.0.0.1:%d/v1/metrics" % self.m.port, data=otlp,
                    headers={"Content-Type": "application/json"}), timeout=10).read()
                with self.m.connect() as s:  # the request head limit
                    s.sendall(b"GET /metrics HTTP/1.1\r\nX-Big: " + b"x" * (256 << 10) + b"\r\n\r\n")
                    s.recv(4096)
            except OSError:
                pass  # the limit's answer may reset the connection; the next round goes on

    def close(self):
        self.stopping.set()
        self.traffic.join()
        self.m.stop()
        self.receiver.stop()
        self.app.close()
        self.frozen.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Dashboard(NameCheck):
    """Every query of the dashboard, with its variables substituted as
    Grafana substitutes them, answered by mmwatch's own /api/v1/query and
    /api/v1/query_range (mmwatch as Grafana's Prometheus data source) with
    a non-empty result: no panel is empty, since DashboardData gives each
    one what it shows."""
    # The data source's "scrape interval" as a user would set it for
    # --history-interval 1s, rounded up to 5s so the rate windows below
    # hold many samples even when this machine is slow.
    SCRAPE_S = 5
    STEP_S = 2  # $__interval of a range query: its step
    RANGE_S = 30

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = DashboardData()
        try:
            m = cls.data.m
            # Enough history: every second sampled, a push accepted, the
            # frozen file stale, for a whole rate window.
            wait_until(lambda: cls.data.receiver.values("app_requests_total"), "a push the receiver accepted")
            wait_until(lambda: cls.instant_values(m, "mmwatch_stale_sources") == [1.0], "the frozen file stale in history",
                       step=0.2)
            samples = "count_over_time(mmwatch_build_info[%ds])" % (2 * cls.RANGE_S)
            wait_until(lambda: (cls.instant_values(m, samples) or [0])[0] >= cls.RANGE_S, "%d s of history" % cls.RANGE_S,
                       timeout=max(WAIT_S, 4 * cls.RANGE_S), step=0.5)
        except BaseException:
            cls.data.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.data.close()
        super().tearDownClass()

    @staticmethod
    def instant_values(m, query):
        status, _, body = m.get("/api/v1/query?" + urllib.parse.urlencode({"query": query}))
        doc = json.loads(body)
        return [float(r["value"][1]) for r in doc["data"]["result"]] if status == 200 else None

    def setUp(self):
        self.dash = dashboard()

    def api(self, path, **params):
        status, _, body = self.data.m.get(path + "?" + urllib.parse.urlencode(params))
        doc = json.loads(body)
        self.assertEqual((status, doc["status"]), (200, "success"), "%s %s: %s" % (path, params, body))
        return doc["data"]

    def label_values(self, variable, values):
        """Grafana's label_values(selector, label) for a query variable, with
        the variables it uses already chosen, through the API call Grafana
        makes for it."""
        m = re.match(r"^label_values\((.*), *(\w+)\)$", variable["definition"])
        self.assertTrue(m, variable["definition"])
        selector = self.grafana(m.group(1), values)
        now = time.time()
        return self.api("/api/v1/label/%s/values" % m.group(2), **{"match[]": selector, "start": now - 3600, "end": now})

    def grafana(self, expr, values):
        """`expr` as Grafana sends it: $__interval is the step and
        $__rate_interval max($__interval + scrape interval, 4 x scrape
        interval); a variable becomes its value, regex-escaped when the
        variable is multi-value or include-all ("All" is its allValue)."""
        rate = max(self.STEP_S + self.SCRAPE_S, 4 * self.SCRAPE_S)
        expr = re.sub(r"\$__rate_interval\b", "%ds" % rate, expr)
        expr = re.sub(r"\$__interval\b", "%ds" % self.STEP_S, expr)
        variables = {v["name"]: v for v in self.dash["templating"]["list"]}

        def value(match):
            name = match.group(1) or match.group(2)
            v, chosen = variables[name], values[name]
            if chosen == "$__all":
                return v["allValue"]
            return regex_escape_for_grafana(chosen) if v.get("multi") or v.get("includeAll") else chosen
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, expr)

    def chosen_variables(self):
        """The values Grafana offers and picks first (one job, one instance)."""
        values = {"datasource": "mmwatch"}
        for v in self.dash["templating"]["list"]:
            if v["type"] == "query":
                offered = self.label_values(v, values)
                self.assertTrue(offered, "%s offers nothing" % v["name"])
                values[v["name"]] = offered[0]
        return values

    def test_the_variables_offer_the_running_mmwatch(self):
        values = self.chosen_variables()
        self.assertEqual(values["job"], "mmwatch")
        self.assertEqual(values["instance"], "127.0.0.1:%d" % self.data.m.port)

    def test_every_query_answers_with_data(self):
        one = self.chosen_variables()
        every = dict(one, instance="$__all")
        now = time.time()
        for title, t in targets(self.dash):
            for values in (one, every):
                expr = self.grafana(t["expr"], values)
                with self.subTest(panel=title, ref=t["refId"], query=expr):
                    instant = self.api("/api/v1/query", query=expr, time=now)
                    self.assertEqual(instant["resultType"], "vector")
                    self.assertTrue(instant["result"], "no series now")
                    ranged = self.api("/api/v1/query_range", query=expr, start=now - self.RANGE_S, end=now,
                                      step=self.STEP_S)
                    self.assertEqual(ranged["resultType"], "matrix")
                    self.assertTrue(ranged["result"] and all(s["values"] for s in ranged["result"]),
                                    "no points over the last %d s" % self.RANGE_S)


class DashboardShape(NameCheck):
    def setUp(self):
        self.dash = dashboard()

    def test_the_dashboard_is_well_formed(self):
        ids = [p["id"] for p in self.dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids repeat")
        self.assertEqual(self.dash["uid"], "mmwatch")
        for panel in self.dash["panels"]:
            self.assertEqual(set(panel["gridPos"]), {"h", "w", "x", "y"}, panel["title"])
            if panel["type"] != "row":
                self.assertTrue(panel["targets"], panel["title"])
                self.assertEqual(panel["datasource"]["uid"], "${datasource}", panel["title"])
        variables = {v["name"] for v in self.dash["templating"]["list"]}
        for title, t in targets(self.dash):
            for var in re.findall(r"\$\{?([a-zA-Z]\w*)\}?", t["expr"]):
                self.assertIn(var, variables, "%s uses an undefined $%s" % (title, var))

    def test_every_query_is_valid_promql_to_promtool(self):
        for title, t in targets(self.dash):
            with self.subTest(panel=title, ref=t["refId"]):
                parse_with_promtool(self, grafana_to_promql(t["expr"]))
        for v in self.dash["templating"]["list"]:
            if v["type"] == "query":
                m = re.match(r"^label_values\((.*), *(\w+)\)$", v["definition"])
                self.assertTrue(m, v["definition"])
                parse_with_promtool(self, grafana_to_promql(m.group(1)))

    def test_every_metric_and_label_is_one_mmwatch_exports(self):
        for title, t in targets(self.dash):
            with self.subTest(panel=title, ref=t["refId"]):
                self.assert_names_live(grafana_to_promql(t["expr"]), title,
                                       re.findall(r"\{\{(\w+)\}\}", t["legendFormat"]))


def mmwatch_help():
    out = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30)
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (?:-[a-z], )?(--[a-z0-9-]+)(?: (\S+))?", out.stdout, re.M)}


class Kubernetes(MmwatchTestCase):
    def setUp(self):
        super().setUp()
        with open(example("kubernetes", "sidecar.yaml")) as f:
            (self.deploy,) = list(yaml.safe_load_all(f))
        with open(example("kubernetes", "podmonitor.yaml")) as f:
            (self.monitor,) = list(yaml.safe_load_all(f))
        self.pod = self.deploy["spec"]["template"]
        (self.container,) = [c for c in self.pod["spec"]["containers"] if c["name"] == "mmwatch"]

    def flag(self, name):
        args = self.container["args"]
        return args[args.index(name) + 1]

    def test_the_manifests_have_their_kinds_and_select_each_other(self):
        self.assertEqual((self.deploy["apiVersion"], self.deploy["kind"]), ("apps/v1", "Deployment"))
        self.assertEqual((self.monitor["apiVersion"], self.monitor["kind"]), ("monitoring.coreos.com/v1", "PodMonitor"))
        labels = self.pod["metadata"]["labels"]
        for selector in (self.deploy["spec"]["selector"], self.monitor["spec"]["selector"]):
            for k, v in selector["matchLabels"].items():
                self.assertEqual(labels.get(k), v, "the selector %s misses the pod" % selector)
        ports = {p["name"]: p["containerPort"] for p in self.container["ports"]}
        for endpoint in self.monitor["spec"]["podMetricsEndpoints"]:
            self.assertIn(endpoint["port"], ports)
            self.assertEqual(endpoint["path"], "/metrics")
        self.assertEqual(self.pod["metadata"]["annotations"]["prometheus.io/port"], str(ports["metrics"]))

    def test_the_sidecar_runs_the_flags_mmwatch_has_on_the_ports_it_declares(self):
        known = mmwatch_help()
        for a in self.container["args"]:
            if a.startswith("--"):
                self.assertIn(a.split("=")[0], known, "mmwatch has no flag %s" % a)
        port = int(self.flag("--listen").rsplit(":", 1)[1])
        self.assertIn(port, [p["containerPort"] for p in self.container["ports"]])
        mounts = {m["mountPath"]: m for m in self.container["volumeMounts"]}
        self.assertTrue(mounts[self.flag("--dir")]["readOnly"], "mmwatch needs the directory read-only only")
        volumes = {v["name"]: v for v in self.pod["spec"]["volumes"]}
        self.assertEqual(volumes[mounts[self.flag("--dir")]["name"]]["emptyDir"]["medium"], "Memory")
        # The same arguments start a real mmwatch (the address made local);
        # the probes' path answers 200.
        args = [a for a in self.container["args"]]
        args[args.index("--dir") + 1] = self.dir
        args[args.index("--listen") + 1] = "127.0.0.1:0"
        m = Mmwatch(self.dir, *args)
        self.instances.append(m)
        for probe in ("readinessProbe", "livenessProbe"):
            get = self.container[probe]["httpGet"]
            self.assertEqual(get["port"], "metrics")
            self.assertEqual(m.get(get["path"])[0], 200)

    def test_the_sidecar_is_non_root_read_only_and_matches_the_image_user(self):
        sc = self.container["securityContext"]
        self.assertTrue(sc["runAsNonRoot"])
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertFalse(sc["allowPrivilegeEscalation"])
        uid, gid = dockerfile_user()
        self.assertEqual((sc["runAsUser"], sc["runAsGroup"]), (uid, gid))
        self.assertEqual(self.pod["spec"]["securityContext"]["fsGroup"], gid)
        self.assertEqual(self.container["image"].split(":")[0], "mmwatch")


def dockerfile():
    with open(example("container", "Dockerfile")) as f:
        return f.read()


def dockerfile_user():
    m = re.search(r"^USER (\d+):(\d+)$", dockerfile(), re.M)
    return int(m.group(1)), int(m.group(2))


class Dockerfile(unittest.TestCase):
    def test_a_slim_debian_base_the_package_and_a_numeric_non_root_user(self):
        text = dockerfile()
        self.assertRegex(text, r"(?m)^FROM debian:\w+-slim$")
        self.assertRegex(text, r"apt-get install -y --no-install-recommends /tmp/mmwatch_\*\.deb")
        uid, gid = dockerfile_user()
        self.assertNotEqual(uid, 0)
        self.assertIn("--uid %d" % uid, text)
        self.assertIn("--gid %d" % gid, text)
        self.assertRegex(text, r'(?m)^ENTRYPOINT \["/usr/bin/mmwatch"\]$')

    def test_its_default_arguments_are_flags_mmwatch_has(self):
        cmd = json.loads(re.search(r"(?m)^CMD (\[.*\])$", dockerfile()).group(1))
        known = mmwatch_help()
        for a in cmd:
            if a.startswith("--"):
                self.assertIn(a, known)
        self.assertEqual(cmd[cmd.index("--listen") + 1].rsplit(":", 1)[1],
                         re.search(r"(?m)^EXPOSE (\d+)$", dockerfile()).group(1))


class ScrapeConfigs(MmwatchTestCase):
    """The two configurations as promtool sees them, then each used by a
    real Prometheus against a live mmwatch (only the target and the
    scrape interval changed, the TLS files put where they name them)."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="mmwatch-scrape-")
        cls.pki = Pki(os.path.join(cls.work, "pki"))
        for name in ("scrape.yml", "scrape-tls.yml", "mmwatch-alerts.yml"):
            shutil.copy(example("prometheus", name), cls.work)
        # The files scrape-tls.yml names, as docs/security.md makes them.
        shutil.copy(cls.pki.path("ca.crt"), os.path.join(cls.work, "server.crt"))
        for ext in ("crt", "key"):
            shutil.copy(cls.pki.path("client." + ext), os.path.join(cls.work, "client." + ext))
        with open(os.path.join(cls.work, "mmwatch.password"), "w") as f:
            f.write("changeme")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_promtool_checks_both_configurations_and_their_rules(self):
        for name in ("scrape.yml", "scrape-tls.yml"):
            out = promtool("check", "config", name, cwd=self.work)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertIn("SUCCESS: 15 rules found", out.stdout)

    def scrape(self, name, m):
        """Prometheus on the example `name`, pointed at `m`: up == 1 and the
        alerting rules loaded."""
        with open(os.path.join(self.work, name)) as f:
            config = yaml.safe_load(f)
        config["global"]["scrape_interval"] = "1s"
        config["rule_files"] = [os.path.join(self.work, r) for r in config["rule_files"]]
        (job,) = config["scrape_configs"]
        job["static_configs"] = [{"targets": ["127.0.0.1:%d" % m.port]}]
        for section in ("tls_config", "basic_auth"):
            for key, value in job.get(section, {}).items():
                if key.endswith("_file"):
                    job[section][key] = os.path.join(self.work, value)
        with PrometheusServer([], config=yaml.safe_dump(config)) as prom:
            res = wait_until(lambda: prom.query('up{job="mmwatch"} == 1'), "Prometheus scrapes mmwatch", timeout=60)
            self.assertEqual(res[0]["metric"]["instance"], "127.0.0.1:%d" % m.port)
            groups = wait_until(lambda: (prom.api("rules") or {}).get("groups"), "the rules loaded", timeout=60)
            self.assertEqual(sum(len(g["rules"]) for g in groups), 15)

    def test_prometheus_scrapes_over_plain_http(self):
        self.scrape("scrape.yml", self.start())

    def test_prometheus_scrapes_over_mtls_with_basic_auth(self):
        web = os.path.join(self.dir, ".web.yml")  # a dot-name: the watcher ignores it
        with open(web, "w") as f:
            f.write("tls_server_config:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n"
                    "  client_auth_type: RequireAndVerifyClientCert\nbasic_auth_users:\n  prom: '%s'\n"
                    % (self.pki.path("server.crt"), self.pki.path("server.key"), self.pki.path("ca.crt"), PROM_HASH))
        self.scrape("scrape-tls.yml", self.start("--web-config", web))


if __name__ == "__main__":
    unittest.main()
