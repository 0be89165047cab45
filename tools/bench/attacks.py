#!/usr/bin/env python3
"""The scraper under attack (docs/benchmarks.md, "Serving under attack"):
each attack of issue 29 against mmwatch at default flags, plain and TLS,
while two Prometheus-style scrapers (one keep-alive connection, and a new
connection per scrape) scrape every 100 ms. Prints each scraper's success
rate and p50/p99/max; never pass/fail. The attackers and scrapers are
tests/blackbox/attackers.py, the same the slow tests use.

Beside them it prints what tells where a long tail comes from: the
daemon's CPU seconds, the kernel's listen-queue overflows (a SYN or
handshake ACK dropped: the client retries after 1 s, then 3 s) and the
daemon's loop lag histogram. --attacker-nice and --attacker-cpus run the
attacker reniced or pinned, to see whether the tail follows the CPU the
attacker takes from the daemon (2 cores shared by all).

  python3 tools/bench/attacks.py --bin build/src/mmwatch [--seconds 10] [--only replay,silent]
      [--attacker-nice 19] [--attacker-cpus 1]
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


def listen_overflows():
    """The kernel's count of connections dropped at a full listen queue."""
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for head, values in zip(lines[::2], lines[1::2]):
        if head.startswith("TcpExt:"):
            table = dict(zip(head.split()[1:], values.split()[1:]))
            return int(table["ListenOverflows"]) + int(table["ListenDrops"])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def place(args):
    """How the attacker's processes are reniced or pinned, once started."""
    def started(pids):
        for pid in pids:
            if args.attacker_nice:
                os.setpriority(os.PRIO_PROCESS, pid, args.attacker_nice)
            if args.attacker_cpus:
                os.sched_setaffinity(pid, {int(c) for c in args.attacker_cpus.split(",")})
    return started


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
        # --own-session: the daemon in a session (and so a scheduler
        # autogroup) of its own, as a systemd service has its own cgroup;
        # otherwise it shares one with the attacker and the scrapers.
        m = Mmwatch(d, *flags, interval="1s", command=[args.bin], preexec_fn=os.setsid if args.own_session else None)
        try:
            time.sleep(1.5)
            overflows, cpu = listen_overflows(), cpu_seconds(m.proc.pid)
            what, k, f, stats = attackers.beside_scrapers(m.port, cafile, tls, name, args.seconds, place(args))
            overflows, cpu = listen_overflows() - overflows, cpu_seconds(m.proc.pid) - cpu
            body = m.get("/metrics", timeout=30)[2] if not tls else ""
            if tls:
                import ssl, urllib.request
                ctx = ssl.create_default_context(cafile=cafile)
                body = urllib.request.urlopen("https://127.0.0.1:%d/metrics" % m.port, context=ctx,
                                              timeout=30).read().decode()
            counted = [l for l in body.splitlines() if l.startswith(("mmwatch_http_shed", "mmwatch_listener_refused"))
                       or ('limit_hits' in l and any(k in l for k in ("connections", "first_byte", "deadline", "write_turn")))]
            lag = [l.split("le=")[1] for l in body.splitlines() if l.startswith("mmwatch_loop_lag_seconds_bucket")]
            lag += [l for l in body.splitlines() if l.startswith("mmwatch_loop_busy_ratio")]
            print("%-8s %-5s %s\n    keep-alive:     %s\n    new connection: %s\n    attacker: %s\n"
                  "    daemon CPU %.1f s in %.0f s, listen-queue drops %d\n    loop lag (cumulative) %s\n    %s"
                  % (name, "TLS" if tls else "plain", what, k.summary(), f.summary(), stats,
                     cpu, args.seconds, overflows, " ".join(lag), "\n    ".join(counted)), flush=True)
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
    ap.add_argument("--own-session", action="store_true",
                    help="run the daemon in its own session (its own CPU autogroup, like a systemd service)")
    ap.add_argument("--attacker-nice", type=int, default=0, help="renice the attacker (0: as the scrapers)")
    ap.add_argument("--attacker-cpus", default="", help="pin the attacker to these CPUs, e.g. 1")
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
