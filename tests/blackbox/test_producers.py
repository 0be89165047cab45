"""A C program, a C++ program (producer and in-process mapped metrics) and
a Python script each publish metrics; a running mmwatch serves them with
exact values, and their series go when they exit."""

import os
import subprocess
import unittest

from harness import EXE_WRAPPER, MmwatchTestCase, wait_until

TOOLS = os.environ.get("MMWATCH_TOOLS", os.path.join(os.path.dirname(os.environ.get("MMWATCH_BIN", "")), "..",
                                                     "tools"))


class Producers(MmwatchTestCase):
    def run_producer(self, exe):
        p = subprocess.Popen([*EXE_WRAPPER, os.path.join(TOOLS, exe), self.dir], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        self.assertTrue(p.stdout.readline().strip())  # published
        return p

    def finish(self, p):
        p.stdin.close()
        self.assertEqual(p.wait(timeout=30), 0)
        p.stdout.close()

    def test_c_program(self):
        m = self.start("--histogram-grouping-power", "2")
        p = self.run_producer("publish_c")
        try:
            # The program writes the histogram last; a snapshot may fall between its stores.
            wait_until(lambda: m.sample('example_response_size_bytes_count{name="c_app"}') == "3", "all values")
            self.assertEqual(m.sample('example_requests_total{name="c_app"}'), "18446744073709551615")
            self.assertEqual(m.sample('example_temperature_celsius{name="c_app"}'), "-273")
            self.assertEqual(m.sample('example_response_size_bytes_bucket{name="c_app",le="3"}'), "1")
            self.assertEqual(m.sample('example_response_size_bytes_bucket{name="c_app",le="111"}'), "2")
            self.assertEqual(m.sample('example_response_size_bytes_bucket{name="c_app",le="65535"}'), "3")
            self.assertEqual(m.sample('example_response_size_bytes_count{name="c_app"}'), "3")
        finally:
            self.finish(p)
        wait_until(lambda: 'name="c_app"' not in m.metrics(), "series gone after exit")

    def test_cpp_program_and_in_process_metrics(self):
        m = self.start()
        p = self.run_producer("publish_cpp")
        try:
            # Wait for the value each program writes last; a snapshot may fall between stores.
            wait_until(lambda: m.sample('example_wait_microseconds_count{name="cpp_app"}') == "2", "all values")
            self.assertEqual(m.sample('example_jobs_total{name="cpp_app"}'), "42")
            self.assertEqual(m.sample('example_queue_depth{name="cpp_app"}'), "-9223372036854775808")
            wait_until(lambda: m.sample('example_workers{name="cpp_inprocess"}') == "3", "in-process values")
            self.assertEqual(m.sample('example_served_total{name="cpp_inprocess"}'), "7")
        finally:
            self.finish(p)
        wait_until(lambda: 'name="cpp_' not in m.metrics(), "series gone after exit")

    def test_python_script(self):
        m = self.start()
        script = ("import sys; sys.path.insert(0, %r)\n"
                  "from mmwatch_producer import Producer\n"
                  "with Producer(sys.argv[1], 'py_app') as p:\n"
                  "    c = p.counter('example_runs_total'); g = p.gauge('example_level')\n"
                  "    h = p.histogram('example_items', grouping_power=1, max_value_power=8)\n"
                  "    p.publish(); c.add(5); g.set(-1); h.record(7); h.record(300)\n"
                  "    print('published', flush=True); sys.stdin.read()\n"
                  % os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
        p = subprocess.Popen(["python3", "-c", script, self.dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
        try:
            self.assertEqual(p.stdout.readline().strip(), "published")
            wait_until(lambda: m.sample('example_items_bucket{name="py_app",le="255"}') == "2", "all values")
            self.assertEqual(m.sample('example_runs_total{name="py_app"}'), "5")
            self.assertEqual(m.sample('example_level{name="py_app"}'), "-1")
            self.assertEqual(m.sample('example_items_bucket{name="py_app",le="7"}'), "1")
        finally:
            self.finish(p)
        wait_until(lambda: 'name="py_app"' not in m.metrics(), "series gone after exit")


if __name__ == "__main__":
    unittest.main()
