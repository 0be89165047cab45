"""Black-box: --remote-write-spool at default flags against what breaks it:
SIGKILL while a receiver holds a send, a full disk (a tmpfs mounted here),
a read-only directory (a read-only bind mount), a segment truncated or
replaced and the directory swapped while running, a flipped byte and a
sparse 4 GiB segment before a restart. Each asserts exactly which samples
arrive at a receiver that records them (rw_receiver.py).

A gauge `step` is set to 1, 2, 3...; after each value the test waits for
two pushes (mmwatch_remote_write_samples_in_total going up twice), so
every value is sampled by at least one push made after it was set."""

import glob
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import unittest

from harness import Mmwatch, wait_until
from rw_receiver import Receiver, decode_write_request, fnv1a64, spool_records
from test_remote_write import PushCase

SANITIZED = bool(os.environ.get("MMWATCH_SANITIZED"))
PUSH = ("--remote-write-interval", "1s")


def mount(*args):
    return subprocess.run(["mount", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


class SpoolCase(PushCase):
    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix="mmwatch-spool-")
        self.addCleanup(shutil.rmtree, self.work, True)
        p = self.producer("app")
        self.step = p.gauge("step")
        p.publish()
        self.step.set(1)

    def pushes_in(self, m):
        return self.counter(m, "mmwatch_remote_write_samples_in_total")

    def wait_pushes(self, m, n=2):
        """Until n more pushes were handed to the sender."""
        state = {"last": self.pushes_in(m), "seen": 0}

        def more():
            now = self.pushes_in(m)
            if now > state["last"]:
                state["seen"] += 1
                state["last"] = now
            return state["seen"] >= n

        wait_until(more, "%d pushes" % n, timeout=60, step=0.05)

    def steps(self, m, values):
        for v in values:
            self.step.set(v)
            self.wait_pushes(m)

    def drained(self, m):
        return (self.counter(m, "mmwatch_remote_write_spool_samples") == 0
                and self.counter(m, "mmwatch_remote_write_pending_samples") == 0)

    def dropped(self, m, reason):
        return self.counter(m, "mmwatch_remote_write_samples_dropped_total", reason=reason)

    def assert_nothing_dropped(self, m):
        for reason in ("queue_full", "rejected", "spool_full", "spool_damaged"):
            self.assertEqual(self.dropped(m, reason), 0, reason)

    def url_dir(self, spool, rx):
        return os.path.join(spool, fnv1a64(rx.url()))

    def segments(self, spool, rx):
        return sorted(glob.glob(os.path.join(self.url_dir(spool, rx), "segment-*.rws")))

    def stop(self, m):
        """SIGTERM, exit 0; returns what mmwatch wrote on stderr."""
        self.instances.remove(m)
        code, err = m.stop()
        self.assertEqual(code, 0)
        return err


class Crash(SpoolCase):
    def test_sigkill_while_a_receiver_holds_a_send_loses_nothing_sampled(self):
        rx = Receiver("hang")
        self.addCleanup(rx.stop)
        spool = os.path.join(self.work, "spool")
        args = ("--remote-write", rx.url(), *PUSH, "--remote-write-spool", spool)
        first = Mmwatch(self.dir, *args)
        inst = "127.0.0.1:%d" % first.port
        self.steps(first, [1, 2, 3, 4])
        wait_until(lambda: rx.requests >= 1, "a send held by the receiver")
        # Write-ahead: every sample handed in is on disk, none only in memory.
        body = first.metrics()
        self.assertEqual(self.counter(first, "mmwatch_remote_write_pending_samples"), 0)
        self.assertGreater(self.counter(first, "mmwatch_remote_write_spool_samples"), 0)
        first.proc.kill()
        first.proc.wait()
        first.proc.stderr.close()
        self.assertIn("mmwatch_remote_write_spool_samples", body)
        # What the spool holds, read by its documented format.
        on_disk = []
        for seg in self.segments(spool, rx):
            with open(seg, "rb") as f:
                data = f.read()
            for off, length, _ in spool_records(data):
                on_disk += [ms for l, _, ms in decode_write_request(data[off:off + length])
                            if l.get("__name__") == "step" and l.get("instance") == inst]
        rx.mode = 200
        rx.hung.set()
        m = self.start(*args)
        wait_until(lambda: self.drained(m) and self.counter(m, "mmwatch_remote_write_samples_sent_total") > 0,
                   "the spool drains", timeout=120, step=0.2)
        got = [ms for l, _, ms in rx.samples if l.get("__name__") == "step" and l.get("instance") == inst]
        self.assertEqual(sorted(set(got)), sorted(on_disk))
        self.assertEqual(set(rx.values("step", name="app", instance=inst)), {1, 2, 3, 4})
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_corrupt_records_total"), 0)


class FullDisk(SpoolCase):
    def test_a_full_disk_keeps_batches_in_memory_logs_once_and_loses_nothing(self):
        mnt = os.path.join(self.work, "tmpfs")
        os.mkdir(mnt)
        if not mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt):
            self.skipTest("cannot mount a tmpfs here (not root?)")
        self.addCleanup(mount_undo, mnt)
        rx = Receiver(503)
        self.addCleanup(rx.stop)
        log = os.path.join(self.work, "events.log")
        m = self.start("--remote-write", rx.url(), *PUSH, "--remote-write-spool", mnt + "/spool", "--event-log", log)
        inst = "127.0.0.1:%d" % m.port
        self.steps(m, [1, 2])
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_writable"), 1)
        # Fill the filesystem.
        fd = os.open(os.path.join(mnt, "filler"), os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        os.close(fd)
        self.steps(m, [3, 4])
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_writable"), 0)
        self.assertGreater(self.counter(m, "mmwatch_remote_write_spool_write_errors_total"), 0)
        self.assertGreater(self.counter(m, "mmwatch_remote_write_pending_samples"), 0)
        # The receiver is back while the disk is still full: what was
        # spooled, what waited in memory and what is sampled while it
        # drains all arrive.
        rx.mode = 200
        self.steps(m, [5, 6])
        wait_until(lambda: self.drained(m), "everything sent", timeout=120, step=0.2)
        self.assertEqual(set(rx.values("step", name="app", instance=inst)), {1, 2, 3, 4, 5, 6})
        self.assert_nothing_dropped(m)
        self.assertEqual(self.counter(m, "mmwatch_remote_write_samples_sent_total"),
                         self.counter(m, "mmwatch_remote_write_samples_in_total"))
        os.unlink(os.path.join(mnt, "filler"))
        self.steps(m, [7])
        wait_until(lambda: self.counter(m, "mmwatch_remote_write_spool_writable") == 1, "the spool is used again")
        err = self.stop(m)
        self.assertEqual(err.count("cannot write --remote-write-spool"), 1, err)
        self.assertEqual(err.count("takes batches again"), 1, err)
        with open(log) as f:
            events = [l for l in f if "\tspool\t" in l]
        self.assertEqual(len(events), 2, events)


class ReadOnly(SpoolCase):
    def test_a_read_only_spool_directory_keeps_batches_in_memory(self):
        rx = Receiver(503)
        self.addCleanup(rx.stop)
        spool = os.path.join(self.work, "spool")
        os.makedirs(self.url_dir(spool, rx))
        if not (mount("--bind", spool, spool) and mount("-o", "remount,ro,bind", spool)):
            self.skipTest("cannot bind-mount read-only here (not root?)")
        self.addCleanup(mount_undo, spool)
        m = self.start("--remote-write", rx.url(), *PUSH, "--remote-write-spool", spool)
        inst = "127.0.0.1:%d" % m.port
        self.steps(m, [1, 2, 3])
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_writable"), 0)
        self.assertGreater(self.counter(m, "mmwatch_remote_write_pending_samples"), 0)
        rx.mode = 200
        wait_until(lambda: self.drained(m), "everything sent from memory", timeout=120, step=0.2)
        self.assertEqual(set(rx.values("step", name="app", instance=inst)), {1, 2, 3})
        self.assert_nothing_dropped(m)
        # Writable again: the spool is used again.
        self.assertTrue(mount("-o", "remount,rw,bind", spool))
        self.steps(m, [4])
        wait_until(lambda: self.counter(m, "mmwatch_remote_write_spool_writable") == 1, "the spool is used again")
        err = self.stop(m)
        self.assertEqual(err.count("cannot write --remote-write-spool"), 1, err)
        self.assertIn("Read-only file system", err)


def mount_undo(path):
    subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class ChangedWhileRunning(SpoolCase):
    """The receiver is down; values 1-3 are spooled; the segment (or the
    directory) is damaged; then 4-6. The writer starts a new segment at
    the first push after the damage, which samples 3 again: 3-6 arrive,
    and 1-2, no longer on disk, are counted as spool_damaged."""

    def damage_while_running(self, damage):
        rx = Receiver(503)
        self.addCleanup(rx.stop)
        spool = os.path.join(self.work, "spool")
        m = self.start("--remote-write", rx.url(), *PUSH, "--remote-write-spool", spool)
        inst = "127.0.0.1:%d" % m.port
        self.steps(m, [1, 2, 3])
        segments = self.segments(spool, rx)
        self.assertEqual(len(segments), 1)
        damage(segments[0], self.url_dir(spool, rx))
        wait_until(lambda: self.counter(m, "mmwatch_remote_write_spool_changed_segments_total") == 1,
                   "a new segment started", timeout=30)
        self.steps(m, [4, 5, 6])
        rx.mode = 200
        wait_until(lambda: self.drained(m), "everything sent", timeout=120, step=0.2)
        self.assertEqual(set(rx.values("step", name="app", instance=inst)), {3, 4, 5, 6})
        self.assertGreater(self.dropped(m, "spool_damaged"), 0)
        self.assertEqual(self.dropped(m, "queue_full"), 0)
        self.assertEqual(self.dropped(m, "spool_full"), 0)

    def test_a_segment_truncated_in_place(self):
        self.damage_while_running(lambda seg, _: os.truncate(seg, 0))

    def test_a_segment_renamed_over(self):
        def replace(seg, d):
            with open(os.path.join(d, "other"), "wb") as f:
                f.write(b"not a segment\n" * 10)
            os.rename(os.path.join(d, "other"), seg)
        self.damage_while_running(replace)

    def test_the_directory_swapped_for_a_symlink_to_an_empty_one(self):
        def swap(_, d):
            os.rename(d, d + ".old")
            os.mkdir(d + ".empty")
            os.symlink(d + ".empty", d)
        self.damage_while_running(swap)


class DamagedBeforeRestart(SpoolCase):
    def test_a_flipped_byte_loses_one_record_and_a_sparse_4_gib_segment_is_skipped(self):
        rx = Receiver(503)
        self.addCleanup(rx.stop)
        spool = os.path.join(self.work, "spool")
        args = ("--remote-write", rx.url(), *PUSH, "--remote-write-spool", spool)
        first = self.start(*args)
        inst = "127.0.0.1:%d" % first.port
        self.steps(first, [1, 2, 3, 4])
        self.stop(first)
        [seg] = self.segments(spool, rx)
        with open(seg, "rb") as f:
            data = bytearray(f.read())
        records = spool_records(bytes(data))
        self.assertGreaterEqual(len(records), 8)
        stamps = []
        for off, length, _ in records:
            stamps.append(sorted(ms for l, _, ms in decode_write_request(bytes(data[off:off + length]))
                                 if l.get("__name__") == "step"))
        off, length, _ = records[2]
        data[off + length // 2] ^= 0x40  # one byte in the third record's body
        with open(seg, "wb") as f:
            f.write(data)
        sparse = os.path.join(self.url_dir(spool, rx), "segment-000000000000999999.rws")
        with open(sparse, "wb") as f:
            f.truncate(4 << 30)
        rx.mode = 200
        # Under a 2 GiB address space (ASan reserves more than that).
        limit = None if SANITIZED else (lambda: resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)))
        m = self.start(*args, preexec_fn=limit)
        wait_until(lambda: self.drained(m) and self.counter(m, "mmwatch_remote_write_samples_sent_total") > 0,
                   "the spool drains", timeout=120, step=0.2)
        got = sorted(ms for l, _, ms in rx.samples if l.get("__name__") == "step" and l.get("instance") == inst)
        want = sorted(ms for i, s in enumerate(stamps) if i != 2 for ms in s)
        self.assertEqual(got, want)  # every record but the damaged one, once
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_corrupt_records_total"), 1)
        self.assertEqual(self.counter(m, "mmwatch_remote_write_spool_skipped_segments_total"), 1)
        self.assertFalse(os.path.exists(sparse))
        # The sparse segment was never read: peak memory stays small.
        with open("/proc/%d/status" % m.proc.pid) as f:
            peak_kb = int([l for l in f if l.startswith("VmHWM:")][0].split()[1])
        print("peak RSS after a start beside a 4 GiB sparse segment: %d KiB" % peak_kb)
        self.assertLess(peak_kb, 512 * 1024)


class Signals(SpoolCase):
    def test_sighup_keeps_the_memory_queue_and_sigterm_still_flushes_it_to_the_spool(self):
        rx = Receiver(503)
        self.addCleanup(rx.stop)
        m = self.start("--remote-write", rx.url(), *PUSH)
        inst = "127.0.0.1:%d" % m.port
        self.steps(m, [1, 2])
        m.proc.send_signal(signal.SIGHUP)  # used to kill mmwatch, and the queue with it
        self.steps(m, [3])
        self.assertIsNone(m.proc.poll())
        rx.mode = 200
        wait_until(lambda: self.drained(m), "everything sent", timeout=120, step=0.2)
        self.assertEqual(set(rx.values("step", name="app", instance=inst)), {1, 2, 3})
        self.assert_nothing_dropped(m)
        self.assertEqual(self.counter(m, "mmwatch_web_config_reloads_total", result="failed"), 1)
        # SIGTERM as before: exit 0, and what waits is on disk for the next start.
        rx.mode = 503
        spool = os.path.join(self.work, "spool")
        m2 = self.start("--remote-write", rx.url(), *PUSH, "--remote-write-spool", spool)
        self.steps(m2, [4])
        self.assertEqual(self.stop(m2).count("mmwatch:"), 0)
        self.assertGreater(sum(s for seg in self.segments(spool, rx) for _, _, s in spool_records(open_bytes(seg))), 0)


def open_bytes(path):
    with open(path, "rb") as f:
        return f.read()


if __name__ == "__main__":
    unittest.main()
