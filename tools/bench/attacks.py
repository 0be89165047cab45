#!/usr/bin/env python3
"""The scraper under attack (docs/benchmarks.md, "Serving under attack"):
each attack of issue 29 against mmwatch at default flags, plain and TLS,
while two Prometheus-style scrapers (one keep-alive connection, and a new
connection per scrape) scrape every 100 ms. Prints each scraper's success
rate and p99; never pass/fail. The attackers and scrapers are
tests/blackbox/attackers.py, the same the slow tests use.

  python3 tools/bench/attacks.py --bin build/src/mmwatch [--seconds 10] [--only replay,silent]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "blackbox"))
import attackers  # noqa: E402
from harness import Mmwatch  # noqa: E402
from pki import Pki  # noqa: E402


def write_file(d):
    def write(name, data):
        with open(os.path.join(d, name), "wb") as out:
            out.write(data)
    return write


def run(args, name, tls, pki):
    d = tempfile.mkdtemp(prefix="mmwatch-attack-")
    try:
        attackers.write_series_files(100_000 if name == "pullers" else 1000, write_file(d))
        flags = []
        cafile = None
        if tls:
            cfg = os.path.join(d, ".web.yml")
            with open(cfg, "w") as f:
                f.write("tls_server_config:\n  cert_file: %s\n  key_file: %s\n"
                        % (pki.path("server.crt"), pki.path("server.key")))
            flags = ["--web-config", cfg]
            cafile = pki.path("ca.crt")
        os.environ["MMWATCH_BIN"] = args.bin
        m = Mmwatch(d, *flags, interval="1s")
        try:
            time.sleep(1.5)
            what, k, f, stats = attackers.beside_scrapers(m.port, cafile, tls, name, args.seconds)
            body = m.get("/metrics", timeout=30)[2] if not tls else ""
            if tls:
                import ssl, urllib.request
                ctx = ssl.create_default_context(cafile=cafile)
                body = urllib.request.urlopen("https://127.0.0.1:%d/metrics" % m.port, context=ctx,
                                              timeout=30).read().decode()
            counted = [l for l in body.splitlines() if l.startswith(("mmwatch_http_shed", "mmwatch_listener_refused"))
                       or ('limit_hits' in l and any(k in l for k in ("connections", "first_byte", "deadline")))]
            print("%-8s %-5s %s\n    keep-alive:     %s\n    new connection: %s\n    attacker: %s\n    %s"
                  % (name, "TLS" if tls else "plain", what, k.summary(), f.summary(), stats,
                     "\n    ".join(counted)), flush=True)
        finally:
            m.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="build/src/mmwatch")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--only", default="")
    ap.add_argument("--transport", default="plain,tls")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    names = args.only.split(",") if args.only else list(attackers.attacks(0, b"", None))
    with tempfile.TemporaryDirectory(prefix="mmwatch-pki-") as tmp:
        pki = Pki(tmp)
        for name in names:
            for transport in args.transport.split(","):
                run(args, name, transport == "tls", pki)


if __name__ == "__main__":
    main()
