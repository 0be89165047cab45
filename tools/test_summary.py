#!/usr/bin/env python3
"""Sums individual test cases over meson test logs (testlog.json): doctest
cases, Python unittest cases, and any other meson test as one case. Prints
one line "N passed, N failed" and exits 1 if anything failed."""

import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+) \|\s*(\d+) passed \|\s*(\d+) failed")
UNITTEST_RAN = re.compile(r"^Ran (\d+) tests? in", re.M)
UNITTEST_FAILED = re.compile(r"^FAILED \(([^)]*)\)", re.M)
UNITTEST_SKIPPED = re.compile(r"skipped=(\d+)")


def count(entry):
    """(passed, failed) for one meson test."""
    out = (entry.get("stdout") or "") + (entry.get("stderr") or "")
    ok = entry.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    m = DOCTEST.search(out)
    if m:
        total, passed, failed = map(int, m.groups())
        return passed, failed + (0 if ok or failed else 1)
    m = UNITTEST_RAN.search(out)
    if m:
        total = int(m.group(1))
        failed = 0
        skipped = 0
        f = UNITTEST_FAILED.search(out)
        if f:
            for part in f.group(1).split(","):
                k, _, v = part.strip().partition("=")
                if k in ("failures", "errors", "unexpected successes"):
                    failed += int(v)
                elif k == "skipped":
                    skipped = int(v)
        s = UNITTEST_SKIPPED.search(out)
        if s:
            skipped = int(s.group(1))
        if not ok and failed == 0:
            failed = 1  # crashed or timed out after the summary
        return total - failed - skipped, failed
    return (1, 0) if ok else (0, 1)


def main(paths):
    passed = failed = 0
    for path in paths:
        try:
            with open(path) as f:
                entries = [json.loads(line) for line in f if line.strip()]
        except OSError as e:
            print("missing test log %s: %s" % (path, e))
            failed += 1
            continue
        for e in entries:
            p, f_ = count(e)
            passed += p
            failed += f_
            if f_:
                print("FAILED: %s (%s)" % (e.get("name"), path))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
