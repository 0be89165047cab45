"""Podman for the tests: an image store of its own in a temporary directory
(nothing lands in the machine's store), and the base image the Dockerfile
names made with mmdebstrap, since no image registry is reachable from CI
machines. What this sandbox needed, found by trying:
- runc, not crun: crun 1.8 (bookworm) refuses a host with cgroup v1 and a
  cgroup2 mount beside it ("cgroups in hybrid mode not supported, drop all
  controllers from cgroupv2");
- explicit --ulimit nofile (at the current hard limit) and nproc: podman's
  defaults are higher than this sandbox lets runc set ("setrlimit
  `RLIMIT_NOFILE`: Operation not permitted"; for RLIMIT_NPROC even the
  hard limit 96367 was refused, 32768 and below were taken);
- --network host for builds and runs: no bridge networking is set up."""

import os
import re
import resource
import shutil
import subprocess
import tempfile


class Unavailable(Exception):
    """This machine cannot run containers; the message says why."""


def run(cmd, timeout=900):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def base_tarball(suite, cache_dir):
    """A minbase root filesystem of Debian `suite` without docs, man pages
    and translations, as the -slim images are, made once per build
    directory (a few minutes, from the Debian mirror)."""
    tar = os.path.join(cache_dir, "debian-%s-slim.tar" % suite)
    if os.path.exists(tar):
        return tar
    if not shutil.which("mmdebstrap"):
        raise Unavailable("mmdebstrap is not installed")
    os.makedirs(cache_dir, exist_ok=True)
    excludes = ["path-exclude=/usr/share/%s/*" % d for d in ("doc", "man", "info", "locale")]
    out = run(["mmdebstrap", "--variant=minbase", "--format=tar", "--quiet",
               *("--dpkgopt=" + e for e in excludes), "--dpkgopt=path-include=/usr/share/doc/*/copyright",
               suite, tar + ".part"])
    if out.returncode != 0:
        raise Unavailable("mmdebstrap %s failed: %s" % (suite, (out.stderr or out.stdout).strip()[-500:]))
    os.rename(tar + ".part", tar)
    return tar


class Podman:
    def __init__(self):
        if not shutil.which("podman"):
            raise Unavailable("podman is not installed")
        if not shutil.which("runc"):
            raise Unavailable("runc is not installed")
        self.work = tempfile.mkdtemp(prefix="mmwatch-podman-")
        self.driver = "overlay"
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        # mmwatch is one process; an image build runs a few (apt, dpkg).
        self.limits = ["--ulimit", "nofile=%d:%d" % (nofile, nofile), "--ulimit", "nproc=1024:1024"]

    def __call__(self, *args, timeout=900):
        return run(["podman", "--root", os.path.join(self.work, "storage"), "--runroot",
                    os.path.join(self.work, "run"), "--storage-driver", self.driver, "--runtime", "runc", *args],
                   timeout=timeout)

    def import_base(self, tarball, name):
        """The tarball as image `name`; overlay storage, or vfs where the
        temporary directory cannot hold overlay mounts."""
        out = self("import", tarball, name)
        if out.returncode != 0 and self.driver == "overlay":
            self.close()
            self.work, self.driver = tempfile.mkdtemp(prefix="mmwatch-podman-"), "vfs"
            out = self("import", tarball, name)
        if out.returncode != 0:
            raise RuntimeError("podman import %s: %s" % (tarball, out.stderr.strip()[-500:]))
        probe = self("run", "--rm", "--network", "none", *self.limits, name, "true", timeout=300)
        if probe.returncode != 0:
            raise Unavailable("podman cannot run a container here: " + probe.stderr.strip()[-500:])

    def build(self, dockerfile, context, tag):
        return self("build", "--pull=never", "--network", "host", *self.limits, "-f", dockerfile, "-t", tag, context)

    def close(self):
        self("system", "reset", "--force", timeout=300)
        shutil.rmtree(self.work, ignore_errors=True)


def dockerfile_base(path):
    """(image, suite) of a `FROM debian:SUITE-slim` line."""
    with open(path) as f:
        m = re.search(r"(?m)^FROM (debian:(\w+)-slim)$", f.read())
    return "docker.io/library/" + m.group(1), m.group(2)
