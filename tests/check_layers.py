#!/usr/bin/env python3
"""The folder order of src/, checked against its one table, src/layers.txt
(which src/meson.build also reads to give each folder's library exactly
the libraries it may use): every folder of src/ is in the table and every
row is a folder; every #include "folder/..." of a source file names its own
folder or one the table lets it use; and the table in docs/ARCHITECTURE.md
says the same. Also the names that go with the folders: every header under
src/FOLDER/ declares namespace mmwatch::FOLDER (or one nested in it), and
no file name is used in two folders. A test, so that nothing quietly puts a
layer back on top of another or lets the docs drift."""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A row of ARCHITECTURE.md's folder table: | `http/` | base | what it is |
DOC_ROW = re.compile(r"^\|\s*`(\w+)/`\s*\|([^|]*)\|", re.M)


def read_table(path):
    """folder -> set of folders it may use, in the file's order."""
    table = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        folder, _, uses = line.partition(":")
        table[folder.strip()] = set(uses.split())
    return table


def check_table(table, src):
    bad = []
    seen = []
    for folder, uses in table.items():
        if not (src / folder).is_dir():
            bad.append("src/layers.txt: %s is not a folder of src/" % folder)
        for used in sorted(uses - set(seen)):
            bad.append("src/layers.txt: %s may use %s, which is not below it" % (folder, used))
        seen.append(folder)
    for d in sorted(p.name for p in src.iterdir() if p.is_dir()):
        if d not in table:
            bad.append("src/%s: folder is not in src/layers.txt" % d)
    return bad


def check_includes(table, src):
    bad = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp", ".h", ".c") or path.parent == src:
            continue
        folder = path.relative_to(src).parts[0]
        if folder not in table:
            continue  # reported by check_table
        for inc in INCLUDE.findall(path.read_text()):
            if "/" not in inc:
                bad.append('%s: #include "%s" names no folder' % (path, inc))
                continue
            top = inc.split("/")[0]
            if top in ("mmwatch",) or top == folder or top in table[folder]:
                continue
            bad.append('%s: %s may not include "%s"' % (path, folder, inc))
    loose = [p.name for p in src.iterdir() if p.is_file() and p.suffix in (".cpp", ".hpp") and p.name != "main.cpp"]
    bad += ["src/%s: loose in src/ (only main.cpp is)" % n for n in loose]
    return bad


def check_docs(table, doc):
    rows = {}
    for folder, uses in DOC_ROW.findall(doc.read_text()):
        uses = uses.strip()
        rows[folder] = set() if uses in ("", "—", "-") else {u.strip() for u in uses.split(",")}
    bad = []
    if list(rows) != list(table):
        bad.append("%s: the folder table lists %s; src/layers.txt has %s" % (doc, " ".join(rows), " ".join(table)))
    for folder, uses in table.items():
        if folder in rows and rows[folder] != uses:
            bad.append("%s: %s may use %s by its table, %s by src/layers.txt" %
                       (doc, folder, ", ".join(sorted(rows[folder])) or "nothing", ", ".join(sorted(uses)) or "nothing"))
    return bad


def check_names(table, src):
    bad = []
    folders_of = {}
    for path in sorted(src.rglob("*")):
        if not path.is_file() or path.parent == src or path.name == "meson.build":
            continue
        folder = path.relative_to(src).parts[0]
        folders_of.setdefault(path.stem, set()).add(folder)
        if path.suffix in (".hpp", ".h") and folder in table:
            if not re.search(r"^namespace mmwatch::%s\b" % folder, path.read_text(), re.M):
                bad.append("%s: declares no namespace mmwatch::%s" % (path, folder))
    for stem, folders in sorted(folders_of.items()):
        if len(folders) > 1:
            bad.append("src: %s is a file name in %s" % (stem, ", ".join(sorted(folders))))
    return bad


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    table = read_table(src / "layers.txt")
    bad = (check_table(table, src) + check_includes(table, src) + check_names(table, src) +
           check_docs(table, src.parent / "docs" / "ARCHITECTURE.md"))
    for line in bad:
        print(line)
    print("%d layering problems" % len(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
