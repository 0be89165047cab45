#!/usr/bin/env python3
"""Live demo producers: two applications publishing into DIR, updating
values several times a second until interrupted (their files are removed
on exit). Used by tools/demo."""

import math
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmwatch_producer import Producer  # noqa: E402


def main(directory):
    web = Producer(directory, "web")
    requests = web.counter("http_requests_total")
    errors = web.counter("http_errors_total")
    in_flight = web.gauge("http_requests_in_flight")
    sizes = web.histogram("http_response_size_bytes", grouping_power=4, max_value_power=32)
    worker = Producer(directory, "worker")
    jobs = worker.counter("jobs_processed_total")
    queue = worker.gauge("queue_depth")
    temperature = worker.gauge("temperature_celsius")
    web.publish()
    worker.publish()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    t0 = time.monotonic()
    try:
        while not stop:
            t = time.monotonic() - t0
            n = random.randint(5, 30)
            requests.add(n)
            if random.random() < 0.1:
                errors.add(1)
            for _ in range(n):
                sizes.record(int(random.lognormvariate(8, 1)))
            in_flight.set(random.randint(0, 20))
            jobs.add(random.randint(0, 3))
            queue.set(int(50 + 40 * math.sin(t / 5)))
            temperature.set(int(-5 + 10 * math.sin(t / 30)))
            time.sleep(0.1)
    finally:
        web.close()
        worker.close()


if __name__ == "__main__":
    main(sys.argv[1])
