"""Black-box tests of the real binary: discovery, lifecycle, exposition."""

import mmap
import os
import struct
import unittest

from harness import MmwatchTestCase, raw_file, wait_until


class Discovery(MmwatchTestCase):
    def test_file_present_before_start_is_served(self):
        p = self.producer("early")
        c = p.counter("requests_total")
        p.publish()
        c.add(41)
        m = self.start()
        wait_until(lambda: m.sample('requests_total{name="early"}') == "41", "early file served")

    def test_file_created_after_start_is_served_and_values_move(self):
        m = self.start()
        p = self.producer("late")
        g = p.gauge("queue_depth")
        p.publish()
        g.set(-7)
        wait_until(lambda: m.sample('queue_depth{name="late"}') == "-7", "late file served")
        g.set(12)
        wait_until(lambda: m.sample('queue_depth{name="late"}') == "12", "new value served")

    def test_ready_flag_flipped_after_start(self):
        m = self.start()
        data = bytearray(raw_file([(1, "jobs_total")], ready=False))
        path = os.path.join(self.dir, "slow.rezl")
        with open(path, "wb") as f:
            f.write(data)
        wait_until(lambda: m.sources().get("slow.rezl", {}).get("state") == "pending", "pending")
        self.assertIsNone(m.sample('jobs_total{name="slow"}'))
        with open(path, "r+b") as f:
            f.seek(len(data) - 8)
            f.write(struct.pack("<Q", 5))
            f.seek(6)
            f.write(b"\x01")
        wait_until(lambda: m.sample('jobs_total{name="slow"}') == "5", "served once ready")
        self.assertEqual(m.sources()["slow.rezl"]["state"], "active")

    def test_file_sized_before_its_header_is_written(self):
        # The format's lifecycle: allocate the whole file, then write the
        # header through the mapping (which raises no inotify event).
        m = self.start()
        data = raw_file([(2, "late_header")])
        path = os.path.join(self.dir, "inplace.rezl")
        with open(path, "wb") as f:
            f.truncate(len(data))
        wait_until(lambda: m.sources().get("inplace.rezl", {}).get("state") == "pending", "pending while zero")
        with open(path, "r+b") as f, mmap.mmap(f.fileno(), len(data)) as mm:
            mm[:] = data
            wait_until(lambda: m.sample('late_header{name="inplace"}') == "0", "served once written")

    def test_never_ready_file_is_rejected_after_timeout(self):
        m = self.start("--ready-timeout", "300ms")
        self.write("stuck.rezl", raw_file([(1, "a")], ready=False))
        src = wait_until(lambda: m.sources().get("stuck.rezl", {}).get("state") == "rejected" and
                         m.sources()["stuck.rezl"], "rejected after the ready timeout")
        self.assertEqual(src["reason"], "not_ready")
        wait_until(lambda: 'mmwatch_source_rejections_total{reason="not_ready"} 1' in m.metrics(), "counted")

    def test_replace_by_rename_is_a_new_source(self):
        m = self.start()
        p1 = self.producer("svc", keep=True)
        c1 = p1.counter("hits_total")
        p1.publish()
        c1.add(100)
        wait_until(lambda: m.sample('hits_total{name="svc"}') == "100", "first file")
        # A restarted producer publishes a new file under the same name.
        p2 = self.producer("svc")
        c2 = p2.counter("hits_total")
        p2.publish()
        c2.add(3)
        wait_until(lambda: m.sample('hits_total{name="svc"}') == "3", "replacement served")
        self.assertEqual(len(m.sources()), 1)

    def test_deleted_file_disappears(self):
        m = self.start()
        p = self.producer("gone")
        p.gauge("temperature_celsius")
        p.publish()
        wait_until(lambda: m.sample('temperature_celsius{name="gone"}') == "0", "served")
        p.close()
        wait_until(lambda: 'name="gone"' not in m.metrics(), "series gone")
        self.assertNotIn("gone.rezl", m.sources())

    def test_dot_files_symlinks_and_directories_are_ignored(self):
        m = self.start()
        self.write("real.rezl", raw_file([(2, "x")]))
        with open(os.path.join(self.dir, ".hidden.rezl"), "wb") as f:
            f.write(raw_file([(2, "x")]))
        os.symlink(os.path.join(self.dir, "real.rezl"), os.path.join(self.dir, "link.rezl"))
        os.mkdir(os.path.join(self.dir, "subdir"))
        os.mkfifo(os.path.join(self.dir, "fifo"))
        wait_until(lambda: "real.rezl" in m.sources(), "real file")
        self.assertEqual(set(m.sources()), {"real.rezl"})


class Rejections(MmwatchTestCase):
    CASES = {
        "magic.rezl": (raw_file([(1, "a")], magic=b"XXXX"), "bad_magic"),
        "swapped.rezl": (raw_file([(1, "a")], magic=b"LZER"), "byte_swapped_magic"),
        "version.rezl": (raw_file([(1, "a")], major=2), "bad_version"),
        "many.rezl": (raw_file([(1, "a")], count=1025), "too_many_metrics"),
        "type.rezl": (raw_file([(7, "a")]), "bad_type"),
        "hist.rezl": (raw_file([(3, "h", 5, 5)]), "bad_histogram_config"),
        "empty.rezl": (raw_file([(1, "")]), "bad_name_length"),
        "utf8.rezl": (raw_file([(1, b"a\xff")]), "bad_name_utf8"),
        "overrun.rezl": (raw_file([(1, "a")], count=2), "catalog_overrun"),
        "short.rezl": (raw_file([(1, "a")], extra=-1), "size_mismatch"),
        "long.rezl": (raw_file([(1, "a")], extra=1), "size_mismatch"),
        "tiny.rezl": (b"REZL\x01", "truncated"),
    }

    def test_each_rejection_is_visible_with_its_reason(self):
        for name, (data, _) in self.CASES.items():
            self.write(name, data)
        p = self.producer("good")
        c = p.counter("ok_total")
        p.publish()
        c.add(9)
        m = self.start("--ready-timeout", "200ms")
        for name, (_, reason) in self.CASES.items():
            src = wait_until(lambda: m.sources().get(name, {}).get("state") == "rejected" and m.sources()[name],
                             "%s rejected" % name)
            self.assertEqual(src["reason"], reason, name)
            self.assertTrue(src["message"])
        text = m.metrics()
        self.assertIn('mmwatch_source_rejections_total{reason="size_mismatch"} 2', text)
        self.assertIn('mmwatch_source_rejections_total{reason="bad_magic"} 1', text)
        self.assertIn('mmwatch_sources{state="rejected"} %d' % len(self.CASES), text)
        self.assertEqual(m.sample('ok_total{name="good"}'), "9")

    def test_rejected_file_is_examined_again_when_it_changes(self):
        m = self.start()
        path = self.write("fixme.rezl", raw_file([(2, "v")], magic=b"LZER"))
        wait_until(lambda: m.sources().get("fixme.rezl", {}).get("reason") == "byte_swapped_magic", "rejected")
        with open(path, "r+b") as f:
            f.write(b"REZL")
        wait_until(lambda: m.sources()["fixme.rezl"]["state"] == "active", "accepted after the fix")


class Exposition(MmwatchTestCase):
    def test_two_files_share_a_family(self):
        m = self.start()
        for name, v in (("a", 1), ("b", 2)):
            p = self.producer(name)
            g = p.gauge("temperature_celsius")
            p.publish()
            g.set(v)
        # Values are set after publish(): a first snapshot may still hold 0.
        wait_until(lambda: m.sample('temperature_celsius{name="b"}') == "2" and
                   m.sample('temperature_celsius{name="a"}') == "1", "both")
        text = m.metrics()
        self.assertEqual(text.count("# TYPE temperature_celsius gauge"), 1)
        self.assertIn('temperature_celsius{name="a"} 1', text)

    def test_type_conflict_keeps_first_and_counts(self):
        m = self.start()
        p = self.producer("first")
        p.gauge("shared_metric")
        p.publish()
        wait_until(lambda: m.sample('shared_metric{name="first"}') == "0", "first")
        q = self.producer("second")
        q.histogram("shared_metric", 2, 8)
        q.publish()
        wait_until(lambda: "mmwatch_type_conflicts_total 1" in m.metrics(), "conflict counted")
        text = m.metrics()
        self.assertNotIn("shared_metric_bucket", text)
        self.assertIn('shared_metric{name="first"} 0', text)

    def test_u64_counter_and_negative_gauge_are_exact(self):
        m = self.start()
        p = self.producer("exact")
        c = p.counter("big_total")
        g = p.gauge("neg")
        p.publish()
        c.set(9223372036854775813)
        g.set(-9223372036854775808)
        wait_until(lambda: m.sample('big_total{name="exact"}') == "9223372036854775813", "u64")
        self.assertEqual(m.sample('neg{name="exact"}'), "-9223372036854775808")

    def test_histogram_buckets_are_cumulative(self):
        m = self.start("--histogram-grouping-power", "2")
        p = self.producer("h")
        h = p.histogram("latency_microseconds", 2, 10)
        p.publish()
        for v in (0, 3, 3, 100, 5000):
            h.record(v)
        wait_until(lambda: m.sample('latency_microseconds_count{name="h"}') == "5", "count")
        self.assertEqual(m.sample('latency_microseconds_bucket{name="h",le="0"}'), "1")
        self.assertEqual(m.sample('latency_microseconds_bucket{name="h",le="3"}'), "3")
        self.assertEqual(m.sample('latency_microseconds_bucket{name="h",le="111"}'), "4")
        self.assertEqual(m.sample('latency_microseconds_bucket{name="h",le="1023"}'), "5")
        self.assertEqual(m.sample('latency_microseconds_bucket{name="h",le="+Inf"}'), "5")

    def test_hostile_file_name_is_escaped(self):
        m = self.start()
        name = 'we"ird\\name\nx'
        p = self.producer(name)
        p.gauge("g")
        p.publish()
        wait_until(lambda: 'g{name="we\\"ird\\\\name\\nx"} 0' in m.metrics(), "escaped label")

    def test_self_metrics_present_at_zero(self):
        m = self.start()
        text = m.metrics()
        for line in ('mmwatch_sources{state="active"} 0', 'mmwatch_sources{state="pending"} 0',
                     "mmwatch_read_faults_total 0", "mmwatch_type_conflicts_total 0",
                     'mmwatch_source_rejections_total{reason="bad_magic"} 0',
                     'mmwatch_source_rejections_total{reason="read_fault"} 0'):
            self.assertIn(line + "\n", text)
        for family in ("mmwatch_build_info{version=", "process_resident_memory_bytes ",
                       "process_cpu_seconds_total ", "process_open_fds ", "process_start_time_seconds "):
            self.assertIn("\n" + family, text)


if __name__ == "__main__":
    unittest.main()
