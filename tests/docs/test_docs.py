"""The docs are tests: every command a reader is meant to copy from
README.md and docs/*.md runs here, block by block, in the order of the doc.

How a block is marked (the fence's info string; Markdown shows the first
word as the language and ignores the rest):

    ```sh                        runs (bash, set -e -o pipefail); failing fails the block
    ```sh background port=9479   starts a server and keeps it until the end of the doc;
                                 the next block waits until each named port accepts
    ```sh retry                  runs again until it passes (it waits for something a
                                 server or producer started above does), at most WAIT_S
    ```sh online                 runs with the machine's network (it downloads packages)
    ```sh norun                  not run here: the text next to it says why
    ```yaml file=web.yml         written to web.yml (any language), then the next block runs

Every other block is fenced with a language (`text`, `yaml`, `json`, `c`,
...) and none is indented: `test_0000_blocks_are_marked` fails on an
indented or unlabeled block, so a command cannot hide from this test.

Each doc runs as a reader at a terminal would run it: one shell session
(exported variables and the directory carry from block to block) in a
scratch directory shaped like the top of a built clone (symlinks to the
checkout's files, `build` and `build-release` to the build directory), with the built programs
on PATH and tools/python on PYTHONPATH as if installed. The whole run is in
private network, mount and PID namespaces: loopback only, so the ports the
docs name (9479, 9090, 4318) are free whatever else runs on the machine;
/run a fresh tmpfs with /run/mmwatch in it, as the package makes it; /proc
showing only the run's processes (a doc's `pkill` reaches nothing else);
and nothing a doc started outlives the run."""

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MMWATCH_BUILD_ROOT", os.path.join(ROOT, "build"))
DOCS = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md"))
# MMWATCH_DOCS="docs/security.md docs/otlp.md" runs only those (while writing one).
DOCS = os.environ.get("MMWATCH_DOCS", "").split() or DOCS
# Generous: a block waits for behaviour, never races a clock.
WAIT_S = float(os.environ.get("MMWATCH_TEST_WAIT_S", "60"))
BLOCK_TIMEOUT_S = 600  # npm ci or a compile on a busy machine; only a hang gets near it

FENCE = re.compile(r"^( *)(`{3,}|~{3,})\s*(.*)$")
MARKS = ("norun", "background", "retry", "online")
LIST_ITEM = re.compile(r"^( *)([-*+]|\d+[.)]) +")


class Block:
    def __init__(self, line, info, text):
        self.line, self.text = line, text
        words = info.split()
        self.lang = words[0] if words else ""
        self.options = set(w for w in words[1:] if "=" not in w)
        self.file = next((w[5:] for w in words[1:] if w.startswith("file=")), None)
        self.ports = [int(w[5:]) for w in words[1:] if w.startswith("port=")]

    @property
    def kind(self):
        if self.file:
            return "file"
        if self.lang != "sh":
            return "other"
        for k in MARKS:
            if k in self.options:
                return k
        return "run"


def parse(text):
    """(fenced blocks, problems): problems name indented or unlabeled blocks
    and commands in shell dialects the runner does not take."""
    blocks, problems = [], []
    lines = text.split("\n")
    base = 0  # content indent of the list item being continued
    blank = True
    i = 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m and not (m.group(2)[0] == "`" and "`" in m.group(3)):  # CommonMark: no backtick in a ``` info string
            indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
            close = re.compile(r"^ *" + re.escape(fence[0]) + "{%d,}\\s*$" % len(fence))
            j = i + 1
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            body = [l[indent:] if l[:indent].strip() == "" else l.lstrip() for l in lines[i + 1:j]]
            block = Block(i + 1, info, "\n".join(body) + "\n")
            if not block.lang:
                problems.append("%d: a fenced block without a language (```text for output, ```sh for commands)" % (i + 1))
            elif block.lang in ("bash", "shell", "console", "zsh", "shell-session"):
                problems.append("%d: ```%s: commands are ```sh (run here) or ```sh norun" % (i + 1, block.lang))
            elif block.lang == "sh" and block.options - set(MARKS):
                problems.append("%d: ```sh %s: unknown marking (%s)" % (i + 1, info[3:], ", ".join(MARKS)))
            blocks.append(block)
            i, blank = j + 1, False
            continue
        item = LIST_ITEM.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if item:
            base = len(item.group(0))
        elif line.strip() and indent < base:
            base = 0
        if blank and line.strip() and not item and indent >= base + 4:
            problems.append("%d: an indented code block; fence it (```sh, ```sh norun, ```text)" % (i + 1))
            while i + 1 < len(lines) and (not lines[i + 1].strip() or lines[i + 1].startswith(" " * (base + 4))):
                i += 1
        blank = not line.strip()
        i += 1
    return blocks, problems


def make_scratch(name):
    """A directory shaped like the top of a built clone: the checkout's
    top-level entries as symlinks, `build` pointing at the build directory.
    What a doc writes lands here."""
    scratch = tempfile.mkdtemp(prefix="mmwatch-docs-%s-" % name)
    for entry in os.listdir(ROOT):
        if entry == ".git" or entry.startswith("build") or entry == "node_modules":
            continue
        os.symlink(os.path.join(ROOT, entry), os.path.join(scratch, entry))
    os.symlink(BUILD, os.path.join(scratch, "build"))
    # tools/demo (README) builds in build-release/: here it finds that built.
    os.symlink(BUILD, os.path.join(scratch, "build-release"))
    return scratch


def reader_env():
    """The environment of a reader who built and installed mmwatch: the
    programs on PATH, the Python producer importable, none of the test
    suite's MMWATCH_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MMWATCH_")}
    env["PATH"] = os.pathsep.join([os.path.join(BUILD, "src"), os.path.join(BUILD, "tools"), env.get("PATH", "")])
    env["PYTHONPATH"] = os.path.join(ROOT, "tools", "python")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


class Session:
    """One reader's terminal for one doc: the working directory and the
    exported variables carry from one block to the next."""

    def __init__(self, name):
        self.scratch = make_scratch(name)
        self.state = tempfile.mkdtemp(prefix="mmwatch-docs-state-")
        self.env_file = os.path.join(self.state, "env")
        self.cwd_file = os.path.join(self.state, "cwd")
        with open(self.env_file, "w") as f:
            f.write(subprocess.run(["bash", "-c", "export -p"], env=reader_env(), capture_output=True,
                                   text=True, check=True).stdout)
        with open(self.cwd_file, "w") as f:
            f.write(self.scratch)
        self.groups = []  # process groups of every block: killed at the end of the doc
        self.servers = []  # the background blocks' shells

    def cwd(self):
        with open(self.cwd_file) as f:
            return f.read().strip()

    def script(self, text, keep_state=True):
        # The variables first: cd then sets PWD to where the reader is.
        prologue = "source %s\ncd %s\nset -eo pipefail\n" % (shlex.quote(self.env_file), shlex.quote(self.cwd()))
        # The block's own status, also when its last command is one set -e lets pass (`! cmd`).
        epilogue = "\nstatus=$?; { export -p > %s; pwd > %s; }; exit $status\n" % (
            shlex.quote(self.env_file), shlex.quote(self.cwd_file))
        return prologue + text + (epilogue if keep_state else "")

    def start(self, text, log, keep_state=True, online=False):
        cmd = ["bash", "-c", self.script(text, keep_state)]
        fds = ()
        if online:  # back in the machine's network namespace, the rest stays private
            fds = (int(os.environ["MMWATCH_DOCS_HOST_NET_FD"]),)
            cmd = ["nsenter", "--net=/proc/self/fd/%d" % fds[0], "--"] + cmd
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, env=reader_env(), pass_fds=fds)
        self.groups.append(p.pid)
        return p

    def run(self, text, online=False):
        with tempfile.TemporaryFile(mode="w+") as log:
            p = self.start(text, log, online=online)
            try:
                rc = p.wait(timeout=BLOCK_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
                rc = "killed after %d s" % BLOCK_TIMEOUT_S
            log.seek(0)
            return rc, log.read()

    def write(self, name, text):
        path = os.path.join(self.cwd(), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def close(self):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for g in self.groups:
                try:
                    os.killpg(g, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and any(alive(g) for g in self.groups):
                time.sleep(0.05)
        for p in self.servers:
            p.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.state, ignore_errors=True)
        if os.environ.get("MMWATCH_DOCS_ISOLATED"):  # our own tmpfs: the next doc starts empty
            for f in os.listdir("/run/mmwatch"):
                os.unlink(os.path.join("/run/mmwatch", f))


def alive(group):
    """Whether the process group has a live member; reaps orphans, which
    come to this process as PID 1 of the namespace."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


def read(path):
    with open(path) as f:
        return f.read()


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class DocTest(unittest.TestCase):
    doc = None
    session = None
    failed_at = None

    @classmethod
    def setUpClass(cls):
        cls.session = Session(re.sub(r"\W", "_", cls.doc))

    @classmethod
    def tearDownClass(cls):
        cls.session.close()

    def where(self, block):
        return "%s:%d" % (self.doc, block.line)

    def fail_block(self, block, what, output):
        type(self).failed_at = self.where(block)
        self.fail("%s: %s\n--- block ---\n%s--- output (last 4000 bytes) ---\n%s"
                  % (self.where(block), what, block.text, output[-4000:]))

    def check(self, block):
        if block.kind == "norun":
            self.skipTest("marked norun; the doc says why")
        if os.environ.get("MMWATCH_DOCS_NO_ISOLATION"):
            self.skipTest("no private namespaces here: " + os.environ["MMWATCH_DOCS_NO_ISOLATION"])
        if self.failed_at:
            self.skipTest("an earlier block of this doc failed (%s)" % self.failed_at)
        if block.kind == "file":
            self.session.write(block.file, block.text)
        elif block.kind in ("run", "online"):
            if block.kind == "online" and not os.environ.get("MMWATCH_DOCS_HOST_NET_FD"):
                self.skipTest("needs the network; a run without root has only its private loopback")
            rc, out = self.session.run(block.text, online=block.kind == "online")
            if rc != 0:
                self.fail_block(block, "exit status %s" % rc, out)
        elif block.kind == "retry":
            self.retry(block)
        elif block.kind == "background":
            self.background(block)

    def retry(self, block):
        deadline = time.monotonic() + WAIT_S
        while True:
            rc, out = self.session.run(block.text)
            if rc == 0:
                return
            if time.monotonic() > deadline:
                self.fail_block(block, "still failing after %d s (exit status %s)" % (WAIT_S, rc), out)
            time.sleep(0.5)

    def background(self, block):
        log = open(os.path.join(self.session.state, "server-%d.log" % block.line), "w+")
        p = self.session.start(block.text, log, keep_state=False)
        log.close()  # the server holds its own descriptor
        self.session.servers.append(p)
        deadline = time.monotonic() + WAIT_S
        waiting = list(block.ports)
        while waiting:
            if p.poll() is not None:
                self.fail_block(block, "exited with status %s before port %s accepted" % (p.returncode, waiting),
                                read(log.name))
            if time.monotonic() > deadline:
                self.fail_block(block, "port %s did not accept within %d s" % (waiting, WAIT_S), read(log.name))
            waiting = [port for port in waiting if not port_open(port)]
            time.sleep(0.1)


def make_test(doc, block):
    def test(self):
        self.check(block)
    test.__doc__ = "%s:%d %s" % (doc, block.line, block.kind)
    return test


def load_tests(loader, standard_tests, pattern):
    suite = unittest.TestSuite()
    for doc in DOCS:
        with open(os.path.join(ROOT, doc)) as f:
            blocks, problems = parse(f.read())

        def marked(self, problems=problems):
            if problems:
                self.fail("blocks a reader copies must be marked:\n" + "\n".join(self.doc + ":" + p for p in problems))

        attrs = {"doc": doc, "test_0000_blocks_are_marked": marked}
        for b in blocks:
            if b.kind != "other":
                attrs["test_%04d_%s" % (b.line, b.kind)] = make_test(doc, b)
        cls = type(re.sub(r"\W", "_", doc), (DocTest,), attrs)
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite


def isolate():
    """Re-runs this file inside private network, mount and PID namespaces
    (see the module's comment); returns only when they cannot be made."""
    setup = ("ip link set lo up && mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 2775 /run/mmwatch"
             ' && exec "$@"')
    cmd = ["unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if os.geteuid() != 0:
        cmd.append("--map-root-user")
    probe = subprocess.run(cmd + ["sh", "-c", setup, "sh", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        os.environ["MMWATCH_DOCS_NO_ISOLATION"] = (probe.stderr.strip() or "unshare failed")[:300]
        return
    env = dict(os.environ, MMWATCH_DOCS_ISOLATED="1")
    if os.geteuid() == 0:  # root may go back to the machine's network for `sh online` blocks
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        os.set_inheritable(fd, True)
        env["MMWATCH_DOCS_HOST_NET_FD"] = str(fd)
    os.execvpe(cmd[0], cmd + ["sh", "-c", setup, "sh", sys.executable] + sys.argv, env)


if __name__ == "__main__":
    if not os.environ.get("MMWATCH_DOCS_ISOLATED") and shutil.which("unshare"):
        isolate()
    elif not os.environ.get("MMWATCH_DOCS_ISOLATED"):
        os.environ["MMWATCH_DOCS_NO_ISOLATION"] = "unshare (util-linux) is not installed"
    unittest.main()
