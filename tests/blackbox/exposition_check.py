"""A strict parser of the Prometheus text format 0.0.4, stricter than
promtool where a scrape would still go wrong: every sample belongs to one
declared family, no two families share a sample name, no series twice, no
label twice or starting with __, histograms whole. check() returns the list
of problems (empty when the body is valid)."""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(text, i, problems, lineno):
    """Parses {k="v",...} from text[i] == '{'; returns (labels, next index)."""
    labels = []
    i += 1
    while i < len(text) and text[i] != "}":
        m = LABEL.match(text, i)
        if not m:
            problems.append("line %d: bad label name at %r" % (lineno, text[i:i + 20]))
            return labels, len(text)
        name = m.group(0)
        i = m.end()
        if text[i:i + 2] != '="':
            problems.append("line %d: label %s without =\"" % (lineno, name))
            return labels, len(text)
        i += 2
        value = []
        while i < len(text) and text[i] != '"':
            if text[i] == "\\":
                if i + 1 >= len(text) or text[i + 1] not in '\\"n':
                    problems.append("line %d: bad escape in label %s" % (lineno, name))
                    return labels, len(text)
                value.append({"\\": "\\", '"': '"', "n": "\n"}[text[i + 1]])
                i += 2
            else:
                value.append(text[i])
                i += 1
        i += 1
        labels.append((name, "".join(value)))
        if i < len(text) and text[i] == ",":
            i += 1
    return labels, i + 1


def parse_value(s):
    if s in ("+Inf", "Inf"):
        return math.inf
    if s == "-Inf":
        return -math.inf
    if s == "NaN":
        return math.nan
    return float(s)


def owner(sample, families):
    """The family a sample name belongs to, by the format's suffix rules."""
    if sample in families and families[sample] not in ("histogram",):
        return sample
    for suffix, kinds in (("_bucket", ("histogram",)), ("_count", ("histogram", "summary")),
                          ("_sum", ("histogram", "summary"))):
        base = sample[:-len(suffix)]
        if sample.endswith(suffix) and families.get(base) in kinds:
            return base
    return None


def check(body):
    problems = []
    families = {}        # family -> type
    helps = set()
    claimed = {}         # sample name -> family
    series = set()
    finished = set()     # families whose samples are over
    current = None
    buckets = {}         # (family, labels without le) -> [(le, value)]
    counts = {}          # (family, labels) -> value of _count
    if body and not body.endswith("\n"):
        problems.append("body does not end with a newline")
    for lineno, line in enumerate(body.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            name = line[7:].split(" ", 1)[0]
            if name in helps:
                problems.append("line %d: second HELP for %s" % (lineno, name))
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            parts = line[7:].split(" ")
            if len(parts) != 2 or not NAME.fullmatch(parts[0]) or parts[1] not in TYPES:
                problems.append("line %d: bad TYPE line %r" % (lineno, line))
                continue
            name, kind = parts
            if name in families:
                problems.append("line %d: second TYPE for %s" % (lineno, name))
            families[name] = kind
            names = [name] + {"histogram": ["_bucket", "_count", "_sum"], "summary": ["_count", "_sum"]}.get(kind, [])
            for n in names:
                n = n if n == name else name + n
                if n in claimed and claimed[n] != name:
                    problems.append("line %d: sample name %s of %s is also %s's" % (lineno, n, name, claimed[n]))
                claimed[n] = name
            continue
        if line.startswith("#") or not line:
            problems.append("line %d: unexpected line %r" % (lineno, line))
            continue
        m = NAME.match(line)
        if not m:
            problems.append("line %d: bad metric name in %r" % (lineno, line[:60]))
            continue
        sample = m.group(0)
        i = m.end()
        labels = []
        if i < len(line) and line[i] == "{":
            labels, i = parse_labels(line, i, problems, lineno)
        rest = line[i:]
        if not rest.startswith(" "):
            problems.append("line %d: no space before the value" % lineno)
            continue
        try:
            value = parse_value(rest[1:].split(" ")[0])
        except ValueError:
            problems.append("line %d: bad value %r" % (lineno, rest))
            continue
        names = [n for n, _ in labels]
        if len(set(names)) != len(names):
            problems.append("line %d: a label twice in %s" % (lineno, line[:80]))
        if any(n.startswith("__") for n in names):
            problems.append("line %d: reserved label name in %s" % (lineno, line[:80]))
        fam = owner(sample, families)
        if fam is None:
            problems.append("line %d: sample %s has no TYPE" % (lineno, sample))
            continue
        if fam != current:
            if fam in finished:
                problems.append("line %d: samples of %s are not together" % (lineno, fam))
            if current:
                finished.add(current)
            current = fam
        key = (sample, tuple(sorted(labels)))
        if key in series:
            problems.append("line %d: series twice: %s" % (lineno, line[:80]))
        series.add(key)
        kind = families[fam]
        plain = tuple(sorted(l for l in labels if l[0] != "le"))
        if kind == "histogram" and sample == fam + "_bucket":
            le = dict(labels).get("le")
            if le is None:
                problems.append("line %d: bucket without le" % lineno)
                continue
            try:
                bound = parse_value(le)
            except ValueError:
                problems.append("line %d: bad le %r" % (lineno, le))
                continue
            if math.isnan(bound):
                problems.append("line %d: le is NaN" % lineno)
            if le == "-0":
                problems.append("line %d: le is -0" % lineno)
            buckets.setdefault((fam, plain), []).append((bound, value))
        elif kind == "histogram" and sample == fam + "_count":
            counts[(fam, plain)] = value
        elif kind == "summary" and sample == fam:
            q = dict(labels).get("quantile")
            try:
                if q is None or not 0 <= parse_value(q) <= 1:
                    problems.append("line %d: quantile %r" % (lineno, q))
            except ValueError:
                problems.append("line %d: bad quantile %r" % (lineno, q))
    for (fam, labels), bs in buckets.items():
        if not any(b == math.inf for b, _ in bs):
            problems.append("histogram %s%s has no +Inf bucket" % (fam, labels))
            continue
        bounds = [b for b, _ in bs]
        if len(set(bounds)) != len(bounds):
            problems.append("histogram %s%s has a bound twice" % (fam, labels))
        inf = [v for b, v in bs if b == math.inf][0]
        if (fam, labels) in counts and counts[(fam, labels)] != inf:
            problems.append("histogram %s%s: +Inf %s != _count %s" % (fam, labels, inf, counts[(fam, labels)]))
    return problems
