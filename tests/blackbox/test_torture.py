"""Files truncated, extended, rewritten and removed thousands of times under
a running mmwatch while scrapes run: it must never crash, never serve a
value no producer wrote, and keep serving the healthy file exactly."""

import os
import random
import re
import struct
import threading
import time
import unittest

from harness import MmwatchTestCase, raw_file, wait_until

MARK = 0xABCDE  # low 20 bits of every value a torture producer writes
OPERATIONS = int(os.environ.get("MMWATCH_TORTURE_OPS", "3000"))
HISTOGRAMS = 256
SERIES = re.compile(r'^torture_value\{name="(t\d)"\} (-?\d+)$', re.M)


def read_faults(text):
    return int(re.search(r"^mmwatch_read_faults_total (\d+)$", text, re.M).group(1))


def torture_file(k, histogram=False):
    """A valid file whose gauges all hold marked values (or 0)."""
    entries = [(2, "torture_value"), (2, "torture_other")]
    if histogram:
        entries.append((3, "torture_hist", 7, 64))  # 7,424 buckets: a slow copy
    data = bytearray(raw_file(entries))
    off = len(data) - 8 * (2 + (7424 if histogram else 0))
    struct.pack_into("<qq", data, off, (k << 20) | MARK, ((k + 1) << 20) | MARK)
    return bytes(data)


class Torture(MmwatchTestCase):
    def test_truncate_extend_rewrite_remove_under_scrapes(self):
        anchor = self.producer("anchor")
        c = anchor.counter("anchor_total")
        anchor.publish()
        c.add(123456789)
        m = self.start("--ready-timeout", "50ms", interval="10ms")
        wait_until(lambda: m.sample('anchor_total{name="anchor"}') == "123456789", "anchor")

        bad, scrapes, errors = [], [0], []
        stop = threading.Event()

        def scraper():
            while not stop.is_set():
                try:
                    text = m.metrics()
                except Exception as e:  # the process died or hung
                    errors.append(repr(e))
                    return
                scrapes[0] += 1
                if 'anchor_total{name="anchor"} 123456789\n' not in text:
                    bad.append("anchor value wrong or missing")
                for name, v in SERIES.findall(text):
                    v = int(v)
                    if v != 0 and (v & 0xFFFFF) != MARK:
                        bad.append("%s served %d" % (name, v))

        threads = [threading.Thread(target=scraper) for _ in range(2)]
        for t in threads:
            t.start()
        rng = random.Random(42)
        names = ["t%d.rezl" % i for i in range(4)]
        counts = {}
        try:
            for i in range(OPERATIONS):
                name = rng.choice(names)
                path = os.path.join(self.dir, name)
                op = rng.choice(["create", "create", "truncate", "extend", "rewrite", "remove", "garbage"])
                counts[op] = counts.get(op, 0) + 1
                try:
                    if op == "create":
                        self.write(name, torture_file(i, histogram=rng.random() < 0.5))
                    elif op == "truncate":
                        os.truncate(path, rng.randrange(0, os.path.getsize(path) + 1))
                    elif op == "extend":
                        os.truncate(path, os.path.getsize(path) + rng.choice([1, 8, 4096, 100000]))
                    elif op == "rewrite":
                        # Same layout, new values, written in place.
                        data = torture_file(i, histogram=os.path.getsize(path) > 1000)
                        with open(path, "r+b") as f:
                            f.write(data)
                            f.truncate(len(data))
                    elif op == "remove":
                        os.unlink(path)
                    else:
                        self.write(name, os.urandom(rng.randrange(0, 200)))
                except FileNotFoundError:
                    pass
                if i % 50 == 0:
                    time.sleep(0.01)  # let a few ticks land between bursts
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertEqual(bad[:5], [])
        self.assertGreater(scrapes[0], 10)
        self.assertIsNone(m.proc.poll(), "mmwatch exited")
        text = m.metrics()
        self.assertIn('anchor_total{name="anchor"} 123456789', text)
        faults = read_faults(text)
        print("torture: %d operations %s, %d scrapes, %d read faults" % (OPERATIONS, counts, scrapes[0], faults))

    def test_big_file_truncated_during_copies(self):
        """A 15 MB file (a copy takes milliseconds) truncated and restored in
        a loop, so some truncations land inside a copy and raise SIGBUS."""
        m = self.start("--ready-timeout", "50ms", interval="10ms")
        entries = [(2, "torture_value")] + [(3, "h%d" % i, 7, 64) for i in range(HISTOGRAMS)]
        data = bytearray(raw_file(entries))
        struct.pack_into("<q", data, len(data) - 8 * (1 + HISTOGRAMS * 7424), (1 << 20) | MARK)
        path = self.write("big.rezl", bytes(data))
        wait_until(lambda: m.sources().get("big.rezl", {}).get("state") == "active", "big file active")
        # Until a truncation has landed inside a copy at least once (usually
        # within a second), with a generous cap.
        deadline = time.monotonic() + 60
        cycles = faults = 0
        with open(path, "r+b") as f:
            while time.monotonic() < deadline and (cycles < 100 or faults == 0):
                f.truncate(4096)
                time.sleep(0.002)
                f.seek(0)
                f.write(data)
                f.flush()
                time.sleep(0.02)  # long enough to be validated and copied again
                cycles += 1
                if cycles % 20 == 0:
                    faults = read_faults(m.metrics())
        text = m.metrics()
        self.assertIsNone(m.proc.poll(), "mmwatch exited")
        for v in SERIES.findall(text):
            self.assertTrue(int(v[1]) == 0 or (int(v[1]) & 0xFFFFF) == MARK, v)
        faults = read_faults(text)
        self.assertGreater(faults, 0, "no truncation landed inside a copy")
        wait_until(lambda: m.sources()["big.rezl"]["state"] == "active", "the restored file is served again")
        print("big file: %d truncate/restore cycles, %d read faults (SIGBUS survived)" % (cycles, faults))


if __name__ == "__main__":
    unittest.main()
