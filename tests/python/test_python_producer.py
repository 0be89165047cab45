"""The Python producer's files as mmwatch reads them: each file is checked
by mmwatch-dump, which validates with the daemon's own reader. Also drives
mmwatch-gen as a black box. Run by meson (MMWATCH_DUMP and MMWATCH_GEN
point at the built tools):  meson test -C build python_producer
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "python"))

from mmwatch_producer import Producer, ProducerError, bucket_count, bucket_index  # noqa: E402

# A cross build's exe_wrapper (qemu-user) runs the tools; see docs/testing.md.
EXE_WRAPPER = [os.environ["MMWATCH_EXE_WRAPPER"]] if os.environ.get("MMWATCH_EXE_WRAPPER") else []
DUMP = EXE_WRAPPER + [os.environ.get("MMWATCH_DUMP", "build/tools/mmwatch-dump")]
GEN = EXE_WRAPPER + [os.environ.get("MMWATCH_GEN", "build/tools/mmwatch-gen")]
# Generous: a loaded CI machine must not fail these, only a broken tool.
WAIT_S = 20


def dump(path):
    """Runs mmwatch-dump; returns (exit status, values) where values maps a
    metric name to its value, or for histograms to {(lower, upper): count}."""
    out = subprocess.run([*DUMP, path], capture_output=True, text=True, check=False)
    values, hist = {}, None
    for line in out.stdout.splitlines():
        m = re.match(r"^(counter|gauge) (\S+) (-?\d+)$", line)
        if m:
            values[m.group(2)] = int(m.group(3))
            continue
        m = re.match(r"^histogram (\S+) g=\d+ m=\d+ count=\d+$", line)
        if m:
            hist = values[m.group(1)] = {}
            continue
        m = re.match(r"^  bucket \[(\d+), (\d+)\] (\d+)$", line)
        if m:
            hist[(int(m.group(1)), int(m.group(2)))] = int(m.group(3))
    return out.returncode, values, out.stdout


class PythonProducerFiles(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mmwatch-py-")
        self.dir = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_type_and_edge_is_read_back_exactly(self):
        with Producer(self.dir, "py") as p:
            big = p.counter("big_total")
            neg = p.gauge("negative")
            h = p.histogram("small", grouping_power=2, max_value_power=4)
            h64 = p.histogram("wide", grouping_power=7, max_value_power=64)
            p.publish()
            big.add(2**64 - 1)
            neg.set(-(2**63))
            for v in (0, 7, 8, 15, 16, 10**6):  # 0, 2^(g+1)-1, 2^(g+1), max, above max
                h.record(v)
            h64.record(2**64 - 1)
            h64.record(2**64 + 5)  # beyond u64: still the last bucket
            status, values, text = dump(p.path)
            self.assertEqual(status, 0, text)
            self.assertEqual(values["big_total"], 2**64 - 1)
            self.assertEqual(values["negative"], -(2**63))
            self.assertEqual(values["small"], {(0, 0): 1, (7, 7): 1, (8, 9): 1, (14, 15): 3})
            self.assertEqual(values["wide"], {(2**63 + 127 * 2**56, 2**64 - 1): 2})

    def test_gauge_add_wraps_and_counter_wraps_like_the_c_library(self):
        with Producer(self.dir, "wrap") as p:
            c, g = p.counter("c_total"), p.gauge("g")
            p.publish()
            c.add(2**64 - 1)
            c.add(2)
            g.set(2**63 - 1)
            g.add(1)
            _, values, _ = dump(p.path)
            self.assertEqual(values["c_total"], 1)
            self.assertEqual(values["g"], -(2**63))

    def test_bucket_math_matches_the_format_examples(self):
        self.assertEqual(bucket_count(7, 64), 7424)
        self.assertEqual(bucket_index(256, 7, 64), 256)
        self.assertEqual(bucket_index(1024, 7, 64), 512)
        self.assertEqual(bucket_index(2**64 - 1, 7, 64), 7423)
        self.assertEqual(bucket_index(16, 2, 4), 11)

    def test_bad_inputs_raise_and_leave_no_file(self):
        p = Producer(self.dir, "bad")
        for bad in ("", "x" * 256):
            with self.assertRaises(ProducerError):
                p.counter(bad)
        p.counter("x" * 255)
        p.gauge("dup")
        with self.assertRaises(ProducerError):
            p.counter("dup")
        for g, m in ((4, 4), (4, 65), (12, 64), (-1, 4)):
            with self.assertRaises(ProducerError):
                p.histogram("h%d_%d" % (g, m), g, m)
        with self.assertRaises(ProducerError):
            p.counter("late_total").add(1)  # not published yet
        for i in range(1024 - 3):
            p.counter("c%d" % i)
        with self.assertRaises(ProducerError):
            p.counter("one_too_many")
        for bad_file in ("", ".hidden", "a/b", "n" * 201):
            with self.assertRaises(ProducerError):
                Producer(self.dir, bad_file)
        self.assertEqual(os.listdir(self.dir), [])
        p.publish()
        with self.assertRaises(ProducerError):
            p.counter("after_publish")
        with self.assertRaises(ProducerError):
            p.publish()
        status, values, text = dump(p.path)
        self.assertEqual(status, 0, text)
        self.assertEqual(len(values), 1024)
        p.close()
        p.close()
        self.assertEqual(os.listdir(self.dir), [])

    def test_out_of_range_values_are_refused(self):
        with Producer(self.dir, "range") as p:
            c, g, h = p.counter("c_total"), p.gauge("g"), p.histogram("h", 2, 4)
            p.publish()
            for call in (lambda: c.add(-1), lambda: c.set(2**64), lambda: g.set(2**63), lambda: h.record(-1)):
                with self.assertRaises(ProducerError):
                    call()

    def test_missing_directory_raises_and_creates_nothing(self):
        p = Producer(os.path.join(self.dir, "missing"), "x")
        p.counter("a_total")
        with self.assertRaises(OSError):
            p.publish()
        self.assertEqual(os.listdir(self.dir), [])

    def test_no_dot_file_after_publish_and_keep_leaves_the_file(self):
        p = Producer(self.dir, "kept", keep=True)
        p.counter("a_total")
        p.publish()
        self.assertEqual(os.listdir(self.dir), ["kept.rezl"])
        p.close()
        status, values, _ = dump(os.path.join(self.dir, "kept.rezl"))
        self.assertEqual((status, values), (0, {"a_total": 0}))


    def script(self, body):
        """A Python producer process on self.dir running `body`."""
        return [sys.executable, "-c", "import sys\nsys.path.insert(0, %r)\nfrom mmwatch_producer import Producer\n%s\n"
                % (os.path.join(HERE, "..", "..", "tools", "python"), body), self.dir]

    def run_script(self, body):
        return subprocess.run(self.script(body), capture_output=True, text=True, timeout=60)

    def test_a_script_that_never_closes_leaves_no_file_at_exit(self):
        # Ends normally, by sys.exit and by an uncaught exception: each removes
        # the file; keep=True keeps it, as close() would.
        for name, end in (("ends", ""), ("exits", "sys.exit(3)"), ("raises", "raise RuntimeError('boom')")):
            out = self.run_script("p = Producer(sys.argv[1], %r)\np.counter('a_total')\np.publish()\n"
                                  "assert __import__('os').listdir(sys.argv[1]) == [%r]\n%s" % (name, name + ".rezl", end))
            self.assertNotIn("AssertionError", out.stderr)
            self.assertEqual(os.listdir(self.dir), [], (name, out.stderr))
        out = self.run_script("p = Producer(sys.argv[1], 'kept', keep=True)\np.counter('a_total')\np.publish()")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(os.listdir(self.dir), ["kept.rezl"])

    def test_sigterm_made_an_exit_removes_the_file_as_documented(self):
        proc = subprocess.Popen(self.script(
            "import signal, time\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
            "p = Producer(sys.argv[1], 'svc')\np.counter('a_total')\np.publish()\nprint('up', flush=True)\n"
            "time.sleep(600)"), stdout=subprocess.PIPE, text=True)
        self.assertEqual(proc.stdout.readline(), "up\n")
        self.assertEqual(os.listdir(self.dir), ["svc.rezl"])
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=60), 0)
        proc.stdout.close()
        self.assertEqual(os.listdir(self.dir), [])


class GenTool(unittest.TestCase):
    def test_gen_files_update_and_disappear_on_sigterm(self):
        with tempfile.TemporaryDirectory(prefix="mmwatch-gen-") as d:
            args = [*GEN, "--dir", d, "--files", "3", "--metrics", "6", "--histograms", "2", "--rate", "50"]
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
            try:
                names = ["gen-%04d.rezl" % i for i in range(3)]
                deadline = time.monotonic() + WAIT_S
                while sorted(os.listdir(d)) != names and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertEqual(sorted(os.listdir(d)), names)
                path = os.path.join(d, names[2])
                status, first, text = dump(path)
                self.assertEqual(status, 0, text)
                self.assertEqual(sorted(first), sorted([
                    "gen_requests_0_total", "gen_level_0", "gen_requests_1_total", "gen_level_1",
                    "gen_latency_0_nanoseconds", "gen_latency_1_nanoseconds"]))
                later = first
                while later["gen_requests_0_total"] == first["gen_requests_0_total"] and time.monotonic() < deadline:
                    time.sleep(0.05)
                    later = dump(path)[1]
                self.assertGreater(later["gen_requests_0_total"], first["gen_requests_0_total"])
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=WAIT_S)
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(os.listdir(d), [])

    def test_gen_refuses_bad_arguments(self):
        for args in (["--files", "1"], ["--dir", "/tmp", "--histograms", "5", "--metrics", "2"],
                     ["--dir", "/tmp", "--g", "8", "--m", "8"], ["--dir", "/tmp", "--rate", "0"]):
            self.assertEqual(subprocess.run(GEN + args, capture_output=True).returncode, 1, args)


if __name__ == "__main__":
    unittest.main()
