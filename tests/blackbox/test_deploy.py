"""Installing and running mmwatch the way a distribution does: the meson
install tree (with the docs, the examples and the bash completion), a C
program built against the installed library with pkg-config alone, the
systemd unit, the tmpfs check, what tools/demo installs, the Debian package (built by
tools/package-deb, listed, and run from an extracted tree) and the
container image examples/container/Dockerfile makes from it."""

import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

import container
from harness import ROOT, Mmwatch, MmwatchTestCase, Producer, wait_until
from prom_server import free_port

BUILD = os.environ.get("MMWATCH_BUILD_ROOT", os.path.join(ROOT, "build"))
EM_AARCH64 = (183).to_bytes(2, "little")

PUBLISH_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "mmwatch/producer.h"
int main(int argc, char** argv) {
    mmw_producer* p;
    mmw_metric c;
    if (argc != 3 || mmw_producer_create(argv[1], "installed_app", 0, &p) != MMW_OK) return 1;
    mmw_declare_counter(p, "installed_requests", &c);
    if (mmw_publish(p) != MMW_OK) {
        fprintf(stderr, "publish: %s\n", mmw_producer_error(p));
        return 1;
    }
    mmw_counter_add(p, c, 42);
    sleep((unsigned)atoi(argv[2]));
    mmw_producer_destroy(p);
    return 0;
}
"""


def read(path):
    with open(path) as f:
        return f.read()


def help_flags(binary):
    out = run(binary, "--help").stdout
    return re.findall(r"(?m)^  (?:-[a-z], )?(--[a-z0-9-]+)", out)


def complete(script, *words):
    """What the bash completion offers for the command line `words` (the
    last one being completed), run by bash itself."""
    line = " ".join("'%s'" % w for w in words)
    prog = ("source %s; compopt() { :; }; COMP_WORDS=(%s); COMP_CWORD=%d; _mmwatch; "
            "printf '%%s\\n' \"${COMPREPLY[@]}\"" % (script, line, len(words) - 1))
    out = run("bash", "-c", prog)
    assert out.returncode == 0, out.stderr
    return [l for l in out.stdout.split("\n") if l]


def run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=kw.pop("timeout", 300), **kw)


class Install(MmwatchTestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="mmwatch-destdir-")
        out = run("meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", cls.root)
        assert out.returncode == 0, out.stdout + out.stderr
        cls.prefix = os.path.join(cls.root, "usr", "local")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def installed(self, pattern):
        found = glob.glob(os.path.join(self.prefix, pattern))
        self.assertTrue(found, "nothing installed at " + pattern)
        return found[0]

    def test_the_installed_tree_has_every_piece_with_its_mode(self):
        for name in ("mmwatch", "mmwatch-dump", "mmwatch-gen"):
            mode = os.stat(self.installed("bin/" + name)).st_mode
            self.assertTrue(mode & stat.S_IXOTH, name)
        for header in ("producer.h", "producer.hpp", "metrics.hpp", "h2.hpp"):
            self.assertEqual(stat.S_IMODE(os.stat(self.installed("include/mmwatch/" + header)).st_mode), 0o644)
        self.assertFalse(os.path.exists(os.path.join(self.prefix, "include", "mmwatch", "rezl.hpp")))
        self.installed("lib/*/libmmwatch_producer.a")
        self.installed("lib/*/libmmwatch_metrics.a")
        for pc in ("mmwatch-producer", "mmwatch-metrics"):
            text = read(self.installed("lib/*/pkgconfig/%s.pc" % pc))
            self.assertIn("Name: %s" % pc, text)
            self.assertRegex(text, r"(?m)^Libs: .*-lmmwatch_")
        for page in ("mmwatch.1", "mmwatch-dump.1", "mmwatch-gen.1"):
            text = read(self.installed("share/man/man1/" + page))
            self.assertIn(".TH", text)
        self.assertIn("--otlp-max-bytes", read(self.installed("share/man/man1/mmwatch.1")).replace("\\-", "-"))
        self.installed("lib/python3*/*-packages/mmwatch_producer.py")
        self.assertIn("ProtectSystem=strict", read(self.installed("lib/systemd/system/mmwatch.service")))
        self.assertIn("/run/mmwatch", read(self.installed("lib/tmpfiles.d/mmwatch.conf")))
        self.assertIn('ARGS="--dir /run/mmwatch', read(self.installed("etc/default/mmwatch")))
        for doc in ("README.md", "docs/security.md", "docs/operations.md", "examples/prometheus/mmwatch-alerts.yml",
                    "examples/container/Dockerfile"):
            self.installed("share/doc/mmwatch/" + doc)
        man = read(self.installed("share/man/man1/mmwatch.1"))
        self.assertIn(os.path.join("/usr/local", "share", "doc", "mmwatch") + "/", man.replace("\\-", "-"))

    def test_the_bash_completion_offers_every_flag_and_paths_where_they_go(self):
        script = self.installed("share/bash-completion/completions/mmwatch")
        flags = help_flags(self.installed("bin/mmwatch"))
        self.assertIn("--remote-write-spool", flags)
        self.assertEqual(complete(script, "mmwatch", ""), flags + ["top"])  # the subcommand too
        self.assertNotIn("top", complete(script, "mmwatch", "--dir", "/tmp", ""))  # only as the first word
        # After `mmwatch top`, its own flags (from `mmwatch top --help`).
        self.assertEqual(complete(script, "mmwatch", "top", "--c"), ["--cacert", "--cert"])
        self.assertEqual(complete(script, "mmwatch", "top", "--user", ""), [])
        self.assertEqual(complete(script, "mmwatch", "--remote-write-sp"),
                         ["--remote-write-spool", "--remote-write-spool-bytes"])
        work = tempfile.mkdtemp(prefix="mmwatch-complete-")
        try:
            os.mkdir(os.path.join(work, "metrics-dir"))
            open(os.path.join(work, "metrics-file"), "w").close()
            stem = os.path.join(work, "metrics-")
            self.assertEqual(complete(script, "mmwatch", "--dir", stem), [stem + "dir"])
            self.assertEqual(sorted(complete(script, "mmwatch", "--web-config", stem)), [stem + "dir", stem + "file"])
            self.assertEqual(complete(script, "mmwatch", "--listen", ""), [])  # a value to type
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @unittest.skipIf(os.environ.get("MMWATCH_SANITIZED"),
                     "a sanitizer build's archive needs the sanitizer runtime: the plain build runs this")
    def test_a_c_program_built_with_pkg_config_alone_publishes_to_a_running_mmwatch(self):
        pcdir = os.path.dirname(self.installed("lib/*/pkgconfig/mmwatch-producer.pc"))
        # The tree is installed under a destdir: the sysroot prefixes its paths.
        env = dict(os.environ, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_SYSROOT_DIR=self.root)
        flags = run("pkg-config", "--cflags", "--libs", "mmwatch-producer", env=env)
        self.assertEqual(flags.returncode, 0, flags.stderr)
        work = tempfile.mkdtemp(prefix="mmwatch-cprog-")
        try:
            src = os.path.join(work, "publish.c")
            with open(src, "w") as f:
                f.write(PUBLISH_C)
            exe = os.path.join(work, "publish")
            cc = run("cc", "-std=c11", "-o", exe, src, *flags.stdout.split())
            self.assertEqual(cc.returncode, 0, cc.stderr)
            m = self.start()
            prog = subprocess.Popen([exe, self.dir, "30"])
            try:
                wait_until(lambda: m.sample('installed_requests_total{name="installed_app"}') == "42",
                           "the installed library's counter served")
            finally:
                prog.kill()
                prog.wait()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    @unittest.skipUnless(shutil.which("systemd-analyze"), "no systemd-analyze on this machine")
    def test_the_systemd_unit_verifies(self):
        unit = read(self.installed("lib/systemd/system/mmwatch.service"))
        work = tempfile.mkdtemp(prefix="mmwatch-unit-")
        try:
            # The unit names /usr/bin/mmwatch; verify it with the built binary there.
            path = os.path.join(work, "mmwatch.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/bin/mmwatch", self.installed("bin/mmwatch")))
            out = run("systemd-analyze", "verify", "--man=no", path)
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            self.assertEqual(out.stderr.strip(), "")
        finally:
            shutil.rmtree(work, ignore_errors=True)


class Tmpfs(MmwatchTestCase):
    def test_a_disk_backed_directory_is_warned_about_once_and_tmpfs_is_not(self):
        out = run("stat", "-f", "-c", "%T", self.dir)
        if out.stdout.strip() in ("tmpfs", "ramfs"):
            self.skipTest("the test directory is on tmpfs here")
        m = self.start()
        self.assertEqual(len(m.warnings), 1, m.warnings)
        self.assertIn("is not on tmpfs", m.warnings[0])
        self.assertIn("mmwatch_directory_disk_backed 1\n", m.metrics())
        self.assertIn('mmwatch_limit_hits_total{limit="disk_backed"} 1\n', m.metrics())
        shm = tempfile.mkdtemp(prefix="mmwatch-shm-", dir="/dev/shm")
        try:
            t = Mmwatch(shm)
            self.instances.append(t)
            self.assertEqual(t.warnings, [])
            self.assertIn("mmwatch_directory_disk_backed 0\n", t.metrics())
        finally:
            shutil.rmtree(shm, ignore_errors=True)


class Demo(unittest.TestCase):
    """tools/demo installs what building mmwatch takes and no more
    (mmwatch_build_debs in tools/deps.sh), not the test tools."""

    def test_the_demo_installs_every_library_the_build_uses_and_no_test_tool(self):
        with open(os.path.join(ROOT, "tools", "demo")) as f:
            self.assertIn("mmwatch_install_packages $(mmwatch_build_debs)", f.read())
        out = run("bash", "-c", "source tools/deps.sh && mmwatch_build_debs", cwd=ROOT)
        self.assertEqual(out.returncode, 0, out.stderr)
        debs = set(out.stdout.split())
        deps = json.loads(run("meson", "introspect", BUILD, "--dependencies").stdout)
        checked = 0
        for d in deps:
            if d["name"] in ("threads", "doctest"):  # the compiler's; the tests'
                continue
            pcdir = run("pkg-config", "--variable=pcfiledir", d["name"]).stdout.strip()
            pc = os.path.realpath(os.path.join(pcdir, d["name"] + ".pc"))
            owner = run("dpkg", "-S", pc).stdout.split(":")[0]
            self.assertIn(owner, debs, "the build uses %s (%s) but the demo would not install it" % (d["name"], owner))
            checked += 1
        self.assertGreaterEqual(checked, 10)
        self.assertIn("libprotozero-dev", debs)  # header-only: a has_header check, not a dependency()
        for tool in ("prometheus", "victoria-metrics", "lintian", "debhelper", "podman", "nodejs", "npm",
                     "doctest-dev", "clang"):
            self.assertNotIn(tool, debs)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        """Builds the packages once for every test of the class."""
        cls.built = run(os.path.join(ROOT, "tools", "package-deb"), timeout=900, cwd=ROOT)
        cls.debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(ROOT, "build-deb", "*.deb"))}

    def setUp(self):
        self.assertEqual(self.built.returncode, 0, self.built.stdout[-3000:] + self.built.stderr[-3000:])

    def test_the_debian_package_builds_lists_and_runs_from_an_extracted_tree(self):
        debs = self.debs
        for name in ("mmwatch", "libmmwatch-dev", "python3-mmwatch"):
            self.assertIn(name, debs)
        listing = run("dpkg-deb", "-c", debs["mmwatch"]).stdout
        for path in ("./usr/bin/mmwatch", "./lib/systemd/system/mmwatch.service", "./usr/lib/tmpfiles.d/mmwatch.conf",
                     "./etc/default/mmwatch", "./usr/share/man/man1/mmwatch.1.gz"):
            self.assertIn(path, listing)
        tree = tempfile.mkdtemp(prefix="mmwatch-deb-")
        try:
            self.assertEqual(run("dpkg-deb", "-x", debs["mmwatch"], tree).returncode, 0)
            conffiles = run("dpkg-deb", "-I", debs["mmwatch"], "conffiles").stdout
            self.assertIn("/etc/default/mmwatch", conffiles)
            binary = os.path.join(tree, "usr", "bin", "mmwatch")
            self.assertRegex(run(binary, "--version").stdout, r"^mmwatch \d+\.\d+\.\d+")
            shm = tempfile.mkdtemp(prefix="mmwatch-pkg-", dir="/dev/shm")
            try:
                p = subprocess.Popen([binary, "--dir", shm, "--listen", "127.0.0.1:0"], stderr=subprocess.PIPE, text=True)
                line = p.stderr.readline()
                self.assertRegex(line, r"^mmwatch: listening on http://127\.0\.0\.1:\d+$")
                p.terminate()
                self.assertEqual(p.wait(timeout=10), 0)
                p.stderr.close()
            finally:
                shutil.rmtree(shm, ignore_errors=True)
            lint = run("lintian", *glob.glob(os.path.join(ROOT, "build-deb", "*.changes")))
            remarks = [l for l in lint.stdout.splitlines() if re.match(r"^[EW]: ", l)]
            self.assertEqual(remarks, [], lint.stdout)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
        if os.geteuid() == 0 and not os.path.exists("/usr/bin/mmwatch"):
            self.install_and_run(debs)

    def test_the_package_ships_completion_docs_and_examples_where_the_man_page_points(self):
        listing = run("dpkg-deb", "-c", self.debs["mmwatch"]).stdout
        for path in ("./usr/share/bash-completion/completions/mmwatch", "./usr/share/doc/mmwatch/README.md",
                     "./usr/share/doc/mmwatch/docs/security.md.gz", "./usr/share/doc/mmwatch/docs/operations.md.gz",
                     "./usr/share/doc/mmwatch/examples/prometheus/mmwatch-alerts.yml",
                     "./usr/share/doc/mmwatch/examples/container/Dockerfile"):
            self.assertIn(path, listing)
        tree = tempfile.mkdtemp(prefix="mmwatch-deb-")
        try:
            self.assertEqual(run("dpkg-deb", "-x", self.debs["mmwatch"], tree).returncode, 0)
            man = run("zcat", os.path.join(tree, "usr", "share", "man", "man1", "mmwatch.1.gz")).stdout
            self.assertIn("/usr/share/doc/mmwatch/", man.replace("\\-", "-"))
            script = os.path.join(tree, "usr", "share", "bash-completion", "completions", "mmwatch")
            self.assertEqual(complete(script, "mmwatch", ""), help_flags(os.path.join(tree, "usr", "bin", "mmwatch")) + ["top"])
        finally:
            shutil.rmtree(tree, ignore_errors=True)

    def test_the_container_image_builds_from_the_deb_and_runs_read_only_as_its_user(self):
        """examples/container/Dockerfile as docs/deploy.md builds it (context
        build-deb/), on a base image mmdebstrap makes (container.py says
        why and what this machine needed)."""
        dockerfile = os.path.join(ROOT, "examples", "container", "Dockerfile")
        base, suite = container.dockerfile_base(dockerfile)
        try:
            podman = container.Podman()
        except container.Unavailable as e:
            self.skipTest(str(e))
        self.addCleanup(podman.close)
        try:
            podman.import_base(container.base_tarball(suite, os.path.join(BUILD, "container-base")), base)
        except container.Unavailable as e:
            self.skipTest(str(e))
        out = podman.build(dockerfile, os.path.join(ROOT, "build-deb"), "mmwatch-test")
        self.assertEqual(out.returncode, 0, out.stdout[-3000:] + out.stderr[-3000:])
        self.assertEqual(podman("image", "inspect", "-f", "{{.Config.User}}", "mmwatch-test").stdout.strip(), "9479:9479")
        work = tempfile.mkdtemp(prefix="mmwatch-ctr-")
        os.chmod(work, 0o755)  # the container's user enters it
        self.addCleanup(shutil.rmtree, work, True)
        producer = Producer(work, "boxed")
        producer.counter("boxed_total")
        producer.publish()
        self.addCleanup(producer.close)
        port = free_port()
        out = podman("run", "-d", "--name", "mmw", "--read-only", "--network", "host", *podman.limits,
                     "-v", work + ":/run/mmwatch:ro", "mmwatch-test", "--dir", "/run/mmwatch",
                     "--listen", "127.0.0.1:%d" % port)
        self.assertEqual(out.returncode, 0, out.stderr)
        url = "http://127.0.0.1:%d/metrics" % port
        wait_until(lambda: 'boxed_total{name="boxed"} 0' in run("curl", "-s", url).stdout,
                   "the container serves the host's file", timeout=60)
        self.assertEqual(podman("exec", "mmw", "id", "-u").stdout.strip(), "9479")
        touch = podman("exec", "mmw", "touch", "/written")
        self.assertNotEqual(touch.returncode, 0)
        self.assertIn("Read-only file system", touch.stderr)
        self.assertEqual(podman("stop", "-t", "10", "mmw").returncode, 0)
        self.assertEqual(podman("inspect", "-f", "{{.State.ExitCode}}", "mmw").stdout.strip(), "0")

    def install_and_run(self, debs):
        """docs/deploy.md on this machine: install the packages, and run what
        the unit runs (as user mmwatch, with /etc/default/mmwatch's ARGS);
        a C program built with pkg-config publishes into /run/mmwatch."""
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if run("dpkg", "--audit").stdout.strip():
            # an earlier run killed mid-install (a test timeout, a machine
            # shut down) leaves dpkg "interrupted", and apt-get refuses
            # everything until it is finished
            run("dpkg", "--configure", "-a", env=env, timeout=600)
        out = run("apt-get", "install", "-y", "-q", debs["mmwatch"], debs["libmmwatch-dev"], debs["python3-mmwatch"],
                  env=env, timeout=600)
        self.assertEqual(out.returncode, 0, out.stdout[-2000:] + out.stderr[-2000:])
        work = tempfile.mkdtemp(prefix="mmwatch-installed-")
        server = prog = None
        try:
            self.assertEqual(run("getent", "passwd", "mmwatch").returncode, 0)
            st = os.stat("/run/mmwatch")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o2775)
            self.assertEqual(run("stat", "-c", "%G", "/run/mmwatch").stdout.strip(), "mmwatch")
            if os.path.isdir("/run/systemd/system"):  # systemd runs this machine: the service itself
                self.assertEqual(run("systemctl", "is-active", "mmwatch").stdout.strip(), "active")
            args = re.search(r'^ARGS="([^"]*)"', read("/etc/default/mmwatch"), re.M).group(1).split()
            args = [a if not a.startswith("127.0.0.1:") else "127.0.0.1:0" for a in args]
            server = subprocess.Popen(["runuser", "-u", "mmwatch", "--", "/usr/bin/mmwatch"] + args,
                                      stderr=subprocess.PIPE, text=True)
            line = server.stderr.readline()
            while line.startswith("mmwatch: warning: "):  # /run is not tmpfs on every machine
                line = server.stderr.readline()
            port = int(re.search(r"127\.0\.0\.1:(\d+)$", line.strip()).group(1))
            src = os.path.join(work, "publish.c")
            with open(src, "w") as f:
                f.write(PUBLISH_C)
            exe = os.path.join(work, "publish")
            flags = run("pkg-config", "--cflags", "--libs", "mmwatch-producer").stdout.split()
            cc = run("cc", "-std=c11", "-o", exe, src, *flags)
            self.assertEqual(cc.returncode, 0, cc.stderr)
            prog = subprocess.Popen([exe, "/run/mmwatch", "30"])
            url = "http://127.0.0.1:%d/metrics" % port
            wait_until(lambda: 'installed_requests_total{name="installed_app"} 42' in run("curl", "-s", url).stdout,
                       "the installed service serves the installed library's counter")
            # python3-mmwatch: the system's Python finds the producer.
            self.assertEqual(run("/usr/bin/python3", "-c", "import mmwatch_producer").returncode, 0)
        finally:
            for p in (prog, server):
                if p:
                    p.terminate()
                    p.wait(timeout=10)
            if server:
                server.stderr.close()
            shutil.rmtree(work, ignore_errors=True)
            run("apt-get", "purge", "-y", "-q", "mmwatch", "libmmwatch-dev", "python3-mmwatch", env=env, timeout=600)


class CrossPackage(unittest.TestCase):
    """tools/package-deb --arch arm64 (docs/deploy.md, "Other architectures"):
    the three packages, lintian clean, and the packaged arm64 binary serving
    a file's counter on /metrics under qemu-aarch64."""

    def test_the_arm64_package_builds_and_its_binary_serves_a_counter_under_qemu(self):
        out = run(os.path.join(ROOT, "tools", "package-deb"), "--arch", "arm64", timeout=900, cwd=ROOT)
        self.assertEqual(out.returncode, 0, out.stdout[-3000:] + out.stderr[-3000:])
        built = os.path.join(ROOT, "build-deb-arm64")
        debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(built, "*.deb"))}
        for name in ("mmwatch", "libmmwatch-dev", "python3-mmwatch"):
            self.assertIn(name, debs)
        self.assertTrue(debs["mmwatch"].endswith("_arm64.deb"), debs["mmwatch"])
        self.assertTrue(debs["python3-mmwatch"].endswith("_all.deb"), debs["python3-mmwatch"])
        lint = run("lintian", *glob.glob(os.path.join(built, "*.changes")))
        remarks = [l for l in lint.stdout.splitlines() if re.match(r"^[EW]: ", l)]
        self.assertEqual(remarks, [], lint.stdout)
        tree = tempfile.mkdtemp(prefix="mmwatch-deb-arm64-")
        shm = tempfile.mkdtemp(prefix="mmwatch-pkg-arm64-", dir="/dev/shm")
        try:
            self.assertEqual(run("dpkg-deb", "-x", debs["mmwatch"], tree).returncode, 0)
            binary = os.path.join(tree, "usr", "bin", "mmwatch")
            with open(binary, "rb") as f:
                self.assertEqual(f.read(20)[18:20], EM_AARCH64)  # the ELF header's machine
            with Producer(shm, "edge") as producer:
                requests = producer.counter("edge_requests_total")
                producer.publish()
                requests.add(42)
                m = Mmwatch(shm, command=["qemu-aarch64", binary])
                try:
                    wait_until(lambda: m.sample('edge_requests_total{name="edge"}') == "42",
                               "the arm64 binary serves the file's counter")
                finally:
                    code, _ = m.stop()
                self.assertEqual(code, 0)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
