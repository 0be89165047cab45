#!/usr/bin/env python3
"""The folder order of src/ (docs/ARCHITECTURE.md), checked: every
#include "folder/..." of a source file names its own folder or one the
folder may use. A test, so that nothing quietly puts a layer back on top
of another."""
import pathlib
import re
import sys

# Each folder and the folders it may include, lowest first.
ALLOWED = {
    "base": set(),
    "rezl": {"base"},
    "prom": {"base", "rezl"},
    "producer": {"base", "rezl"},
    "inproc": {"base", "rezl", "prom", "producer"},
    "files": {"base", "rezl"},
    "http": {"base"},
    "otlp": {"base", "prom"},
    "push": {"base", "prom"},
    "daemon": {"base", "rezl", "prom", "files", "http", "otlp", "push"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    bad = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h", ".c") or path.parent == src:
            continue
        folder = path.relative_to(src).parts[0]
        if folder not in ALLOWED:
            bad.append("%s: folder %s is not in the order" % (path, folder))
            continue
        for inc in INCLUDE.findall(path.read_text()):
            if "/" not in inc:
                bad.append('%s: #include "%s" names no folder' % (path, inc))
                continue
            top = inc.split("/")[0]
            if top in ("mmwatch",) or top == folder or top in ALLOWED[folder]:
                continue
            bad.append('%s: %s may not include "%s"' % (path, folder, inc))
    loose = [p.name for p in src.iterdir() if p.is_file() and p.suffix in (".cpp", ".hpp") and p.name != "main.cpp"]
    bad += ["src/%s: loose in src/ (only main.cpp is)" % n for n in loose]
    for line in bad:
        print(line)
    print("%d layering problems" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
