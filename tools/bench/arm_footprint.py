#!/usr/bin/env python3
"""mmwatch's footprint on ARM, from the packages (docs/benchmarks.md, "ARM").

    tools/package-deb && tools/package-deb --arch arm64 && tools/package-deb --arch armhf
    tools/bench/arm_footprint.py build/tools/mmwatch-gen build-deb build-deb-arm64 build-deb-armhf

(A binary instead of a package directory is measured as it is.)

For each package's /usr/bin/mmwatch (run natively, or under qemu-aarch64 /
qemu-arm by its ELF machine): its stripped size; its idle RSS twice, as the
program reports it (process_resident_memory_bytes from /proc/self/stat,
which qemu-user 7.2 fakes with a 0 there) and as the kernel counts the
process (VmRSS of /proc/PID/status: under qemu-user the emulator's process,
its translated code and all); and the CPU it spends per scrape of 1,000 changing series (100
files of 10 metrics from mmwatch-gen, 2,000 sequential scrapes, utime + stime
of the process from /proc/PID/stat), printed relative to the first package's
because under emulation only ratios mean anything. Prints a Markdown table.
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

WRAPPERS = {62: [], 183: ["qemu-aarch64"], 40: ["qemu-arm"]}  # ELF e_machine: x86_64, aarch64, arm
STRIP = {62: "strip", 183: "aarch64-linux-gnu-strip", 40: "arm-linux-gnueabihf-strip"}
SCRAPES = 2000
IDLE_S = 3


def machine(path):
    with open(path, "rb") as f:
        return int.from_bytes(f.read(20)[18:20], "little")


def extract(deb_dir, into):
    """The package's mmwatch, or `deb_dir` itself when it is a binary."""
    if os.path.isfile(deb_dir):
        return deb_dir, deb_dir
    deb = glob.glob(os.path.join(deb_dir, "mmwatch_*.deb"))[0]
    subprocess.run(["dpkg-deb", "-x", deb, into], check=True)
    return os.path.join(into, "usr", "bin", "mmwatch"), os.path.basename(deb)


def stripped_size(binary, work):
    copy = os.path.join(work, "stripped")
    shutil.copy(binary, copy)
    subprocess.run([STRIP[machine(binary)], copy], check=True)
    return os.path.getsize(copy)


def start(binary, directory):
    cmd = WRAPPERS[machine(binary)] + [binary, "--dir", directory, "--listen", "127.0.0.1:0", "--interval", "1s"]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    m = re.search(r"127\.0\.0\.1:(\d+)$", p.stderr.readline().strip())
    if not m:
        p.kill()
        raise RuntimeError("%s did not start" % binary)
    return p, int(m.group(1))


def scrape(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=60) as r:
        return r.read().decode()


def sample(body, name):
    return float(re.search(r"(?m)^%s (\S+)$" % name, body).group(1))


def host_rss(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"(?m)^VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def measure(binary, gen):
    work = tempfile.mkdtemp(prefix="mmwatch-footprint-")
    data = tempfile.mkdtemp(prefix="mmwatch-footprint-", dir="/dev/shm")
    try:
        size = stripped_size(binary, work)
        p, port = start(binary, data)
        try:
            scrape(port)
            time.sleep(IDLE_S)
            rss = sample(scrape(port), "process_resident_memory_bytes"), host_rss(p.pid)
            g = subprocess.Popen([gen, "--dir", data, "--files", "100", "--metrics", "10", "--rate", "10"])
            try:
                deadline = time.monotonic() + 60
                while scrape(port).count('name="gen-') < 1000 and time.monotonic() < deadline:
                    time.sleep(0.2)
                before = cpu_ticks(p.pid)
                for _ in range(SCRAPES):
                    scrape(port)
                ticks = cpu_ticks(p.pid) - before
            finally:
                g.send_signal(signal.SIGTERM)
                g.wait()
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        return size, rss, ticks * 1000.0 / os.sysconf("SC_CLK_TCK") / SCRAPES
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)


def main(gen, deb_dirs):
    rows = []
    for d in deb_dirs:
        tree = tempfile.mkdtemp(prefix="mmwatch-footprint-deb-")
        try:
            binary, deb = extract(d, tree)
            rows.append((deb, " ".join(WRAPPERS[machine(binary)]) or "native", *measure(binary, gen)))
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    base = rows[0][4]
    print("| package | run | stripped binary | idle RSS: its own gauge | idle RSS: the process (VmRSS) |"
          " CPU per scrape, relative |")
    print("|---|---|---|---|---|---|")
    for deb, run, size, (own, host), ms in rows:
        print("| %s | %s | %.0f KiB | %.1f MiB | %.1f MiB | %.1fx (%.2f ms) |"
              % (deb, run, size / 1024, own / 2**20, host / 2**20, ms / base, ms))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
