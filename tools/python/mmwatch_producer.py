"""Publish metrics into a REZL v1.0 memory-mapped file, with the standard
library only. Same format and lifecycle as the C producer (docs/producer.md):
the file is built under a dot-name, fully sized, catalog written, ready set
last, then renamed into place.

    from mmwatch_producer import Producer
    p = Producer("/run/metrics", "myapp")
    reqs = p.counter("requests_total")
    temp = p.gauge("temperature_celsius")
    lat = p.histogram("latency_us", grouping_power=4, max_value_power=32)
    p.publish()
    reqs.add(1); temp.set(-5); lat.record(1234)
    p.close()

Each value is updated with one 8-byte store into the mapping. Python gives
no atomic read-modify-write, so add() is safe from one thread of one
process only; use the C library for concurrent writers.

Values above a histogram's max (2^m - 1) are counted in its last bucket, as
the C library does. Counters wrap modulo 2^64 like the file's u64.

A producer still open when the interpreter exits normally (the script
ended, sys.exit, an uncaught exception) is closed then, so its file goes
with it. A signal's default action skips that: make SIGTERM an exit with
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)).
"""

import atexit
import errno
import mmap
import os
import struct
import weakref

COUNTER, GAUGE, HISTOGRAM = 1, 2, 3
MAX_METRICS = 1024
MAX_BUCKETS = 65536
MAX_FILE_NAME = 200  # room for ".", the extension, a pid and ".tmp" in 255 bytes
U64 = 2**64


# Published producers not yet closed: closed at interpreter exit, so a
# script that ends without close() leaves no file serving frozen values.
_open_producers = weakref.WeakSet()


@atexit.register
def _close_open_producers():
    for p in list(_open_producers):
        p.close()


def bucket_count(g, m):
    return (m - g + 1) << g


def bucket_index(v, g, m):
    """Index of the H2 bucket holding v; values above 2^m - 1 go to the last."""
    if v >> m:  # above 2^m - 1 (for m = 64: beyond u64, from Python ints)
        return bucket_count(g, m) - 1
    if v < (2 << g):
        return v
    p = v.bit_length() - 1
    return (2 << g) + (p - g - 1) * (1 << g) + ((v - (1 << p)) >> (p - g))


def bucket_upper(i, g, m):
    if i + 1 == bucket_count(g, m):
        return (1 << m) - 1
    group, h = i >> g, i & ((1 << g) - 1)
    if group == 0:
        return h
    return (1 << (g + group - 1)) + ((h + 1) << (group - 1)) - 1


class ProducerError(ValueError):
    pass


class _Handle:
    """A declared metric; usable once its producer is published."""

    def __init__(self, producer, index):
        self._p, self._i = producer, index

    @property
    def _off(self):
        if self._p._map is None:
            raise ProducerError("not published (call publish() first) or already closed")
        return self._p._offsets[self._i]


class _Value(_Handle):
    _fmt = "<Q"
    _range = (0, U64 - 1)

    def get(self):
        return struct.unpack_from(self._fmt, self._p._map, self._off)[0]

    def set(self, v):
        v = int(v)
        lo, hi = self._range
        if not lo <= v <= hi:
            raise ProducerError("%d is out of range %d..%d" % (v, lo, hi))
        struct.pack_into(self._fmt, self._p._map, self._off, v)


class Counter(_Value):
    _fmt = "<Q"

    def add(self, n=1):
        if n < 0:
            raise ProducerError("counters only go up; use a gauge")
        self.set((self.get() + int(n)) % U64)


class Gauge(_Value):
    _fmt = "<q"
    _range = (-(2**63), 2**63 - 1)

    def add(self, n):
        self.set((self.get() + int(n) + 2**63) % U64 - 2**63)


class Histogram(_Handle):
    def __init__(self, producer, index, g, m):
        super().__init__(producer, index)
        self.g, self.m = g, m

    def record(self, value, count=1):
        """Counts `value` (an unsigned integer; floats are truncated)."""
        if value < 0 or count < 0:
            raise ProducerError("histogram values and counts are unsigned integers")
        off = self._off + 8 * bucket_index(int(value), self.g, self.m)
        (old,) = struct.unpack_from("<Q", self._p._map, off)
        struct.pack_into("<Q", self._p._map, off, (old + int(count)) % U64)

    def buckets(self):
        n = bucket_count(self.g, self.m)
        return list(struct.unpack_from("<%dQ" % n, self._p._map, self._off))


class Producer:
    def __init__(self, directory, name, extension=".rezl", keep=False):
        if not name or "/" in name or name.startswith(".") or len(name.encode("utf-8")) > MAX_FILE_NAME:
            raise ProducerError("file name must be 1..%d bytes, without '/', not a dot-file" % MAX_FILE_NAME)
        self.directory, self.keep = directory, keep
        self.path = os.path.join(directory, name + extension)
        self._decls, self._names, self._map, self._fd = [], set(), None, -1

    def _declare(self, kind, name, g=0, m=0):
        if self._map is not None:
            raise ProducerError("metrics are fixed once published")
        try:
            raw = name.encode("utf-8")
        except UnicodeEncodeError:
            raise ProducerError("metric name is not valid UTF-8: %r" % name) from None
        if not 1 <= len(raw) <= 255:
            raise ProducerError("metric name must be 1..255 bytes: %r" % name)
        if name in self._names:
            raise ProducerError("duplicate metric name: %r" % name)
        if len(self._decls) >= MAX_METRICS:
            raise ProducerError("at most %d metrics per file" % MAX_METRICS)
        if kind == HISTOGRAM and not (
            isinstance(g, int) and isinstance(m, int) and 0 <= g < m <= 64 and bucket_count(g, m) <= MAX_BUCKETS
        ):
            raise ProducerError("histogram needs g < m <= 64 and at most %d buckets" % MAX_BUCKETS)
        self._names.add(name)
        self._decls.append((kind, raw, g, m))
        return len(self._decls) - 1

    def counter(self, name):
        return Counter(self, self._declare(COUNTER, name))

    def gauge(self, name):
        return Gauge(self, self._declare(GAUGE, name))

    def histogram(self, name, grouping_power=4, max_value_power=64):
        g, m = grouping_power, max_value_power
        return Histogram(self, self._declare(HISTOGRAM, name, g, m), g, m)

    def layout(self):
        catalog = bytearray()
        for kind, raw, g, m in self._decls:
            catalog.append(kind)
            if kind == HISTOGRAM:
                catalog += bytes([g, m])
            catalog.append(len(raw))
            catalog += raw
        data_offset = (16 + len(catalog) + 7) & ~7
        offsets, words = [], 0
        for kind, _, g, m in self._decls:
            offsets.append(data_offset + 8 * words)
            words += bucket_count(g, m) if kind == HISTOGRAM else 1
        return bytes(catalog), data_offset, offsets, data_offset + 8 * words

    def publish(self):
        """Create the file: size it, map it, header with ready=0, catalog,
        zeroed data, ready=1 last, then rename the dot-file into place. On
        failure nothing is left under either name."""
        if self._map is not None or self._fd == -2:
            raise ProducerError("already published; the metric set is fixed")
        catalog, data_offset, offsets, size = self.layout()
        tmp = os.path.join(self.directory, ".%s.%d.tmp" % (os.path.basename(self.path), os.getpid()))
        try:
            os.unlink(tmp)  # a stale one from a crashed run with our pid
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        mm = None
        try:
            try:
                os.posix_fallocate(fd, 0, size)
            except OSError as e:
                if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                    raise OSError(e.errno, "no space for the metrics file (disk full or size limit)", tmp) from None
                raise
            mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            mm[0:16] = b"REZL" + bytes([1, 0, 0, 0]) + struct.pack("<II", len(self._decls), len(catalog))
            mm[16:16 + len(catalog)] = catalog
            mm[16 + len(catalog):size] = bytes(size - 16 - len(catalog))
            # Python has no release store: this is a plain byte store after
            # the ones above. x86_64 keeps stores in order; on weakly ordered
            # CPUs the catalog could in theory show after the flag. The
            # rename below publishes the file only after all of it anyway.
            mm[6] = 1
            os.rename(tmp, self.path)
        except BaseException:
            if mm is not None:
                mm.close()
            os.close(fd)
            os.unlink(tmp)
            raise
        self._fd, self._map, self._offsets = fd, mm, offsets
        _open_producers.add(self)
        return self

    def close(self):
        """Unmap, and remove the file unless keep=True. Safe to call twice."""
        if self._map is None:
            return
        self._map.close()
        os.close(self._fd)
        self._map, self._fd = None, -2  # -2: closed, never publish again
        _open_producers.discard(self)
        if not self.keep:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
