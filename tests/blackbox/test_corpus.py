"""Black-box: the malformed-file corpus (tests/corpus/make_corpus.py) and
valid files in one directory. Every malformed file is rejected with its
reason in /api/v1/sources and counted under that reason; the valid files
are served exactly; mmwatch stays up."""

import collections
import os
import re
import sys
import time
import unittest

from harness import ROOT, MmwatchTestCase, wait_until

sys.path.insert(0, os.path.join(ROOT, "tests", "corpus"))
import make_corpus  # noqa: E402

REJECTION = re.compile(r'^mmwatch_source_rejections_total\{reason="([a-z0-9_]+)"\} (\d+)$', re.M)


def parse_samples(text):
    """Exposed series text -> value text, comments skipped."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            out[series] = value
    return out


class Corpus(MmwatchTestCase):
    def setUp(self):
        super().setUp()
        self.cases = make_corpus.cases()
        self.valid = [c for c in self.cases if c.reason == "none"]
        self.bad = [c for c in self.cases if c.reason != "none"]
        self.assertGreaterEqual(len(self.bad), 40)

    def settled(self, m):
        """The sources once every file has its final state, else None."""
        src = m.sources()
        for c in self.cases:
            want = "active" if c.reason == "none" else "rejected"
            if src.get(c.name, {}).get("state") != want:
                return None
        return src

    def check_all(self, m):
        src = wait_until(lambda: self.settled(m), "every corpus file active or rejected")
        for c in self.bad:
            self.assertEqual(src[c.name].get("reason"), c.reason, "%s: %s" % (c.name, c.what))
            self.assertTrue(src[c.name].get("message"), c.name)
            self.assertEqual(src[c.name]["metrics"], 0, c.name)
        self.assertEqual(len(src), len(self.cases), "a file is missing from /api/v1/sources or extra")

        text = m.metrics()
        expected = collections.Counter(c.reason for c in self.bad)
        counted = {reason: int(n) for reason, n in REJECTION.findall(text)}
        self.assertLessEqual(set(expected), set(counted), "a reason has no counter")
        for reason, n in counted.items():
            self.assertEqual(n, expected.get(reason, 0), "mmwatch_source_rejections_total{reason=%r}" % reason)
        self.assertIn('mmwatch_sources{state="rejected"} %d\n' % len(self.bad), text)
        self.assertIn('mmwatch_sources{state="active"} %d\n' % len(self.valid), text)
        self.assertIn('mmwatch_sources{state="pending"} 0\n', text)

        samples = parse_samples(text)
        for c in self.valid:
            for series, value in c.samples.items():
                self.assertEqual(samples.get(series), value, "%s: %s" % (c.name, series))
            self.assertEqual(src[c.name]["size"], len(c.data), c.name)
        # Nothing of a rejected file leaks into the exposition.
        for c in self.bad:
            label = 'name="%s"' % c.name.rsplit(".", 1)[0]
            self.assertNotIn(label, text, c.name)

        self.assertIsNone(m.proc.poll(), "mmwatch exited")
        self.assertEqual(m.get("/-/healthy")[0], 200)

    def test_corpus_present_at_start_is_rejected_with_its_reasons(self):
        make_corpus.write(self.dir, self.cases)
        m = self.start("--ready-timeout", "200ms")
        self.check_all(m)

    def test_corpus_arriving_while_running_is_rejected_with_its_reasons(self):
        m = self.start("--ready-timeout", "200ms")
        for c in self.cases:
            self.write(c.name, c.data)
        self.check_all(m)

    def test_zero_metric_file_is_snapshotted_without_undefined_behaviour(self):
        # Its data vectors are empty (data() is null): the snapshot once
        # compared them with memcmp(null, null, 0), which UBSan aborts on.
        self.write("nothing.rezl", make_corpus.rezl([]))
        m = self.start("--interval", "10ms")
        wait_until(lambda: m.sources().get("nothing.rezl", {}).get("state") == "active", "active")
        # Many snapshots of it (--interval 10ms) before the process is checked.
        time.sleep(0.5)
        src = m.sources()["nothing.rezl"]
        self.assertEqual((src["metrics"], src["size"]), (0, 16))
        self.assertIsNone(m.proc.poll(), "mmwatch exited while snapshotting an empty file")


if __name__ == "__main__":
    unittest.main()
