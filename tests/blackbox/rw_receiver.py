"""A remote_write receiver for the black-box tests that records every
sample it accepts, decoded here independently of mmwatch: snappy (the raw
block format, in pure Python: Debian's python3-snappy is not needed) and
the WriteRequest protobuf. Also reads a --remote-write-spool segment by
its documented format (docs/scaling.md), so a test can name the records
it damages."""

import http.server
import struct
import threading
import zlib


def uvarint(b, i):
    shift = value = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return value, i


def snappy_decompress(b):
    n, i = uvarint(b, 0)
    out = bytearray()
    while i < len(b):
        tag = b[i]
        i += 1
        kind = tag & 3
        if kind == 0:  # literal
            length = tag >> 2
            if length >= 60:
                extra = length - 59
                length = int.from_bytes(b[i:i + extra], "little")
                i += extra
            length += 1
            out += b[i:i + length]
            i += length
            continue
        if kind == 1:
            length = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | b[i]
            i += 1
        elif kind == 2:
            length = (tag >> 2) + 1
            offset = int.from_bytes(b[i:i + 2], "little")
            i += 2
        else:
            length = (tag >> 2) + 1
            offset = int.from_bytes(b[i:i + 4], "little")
            i += 4
        for _ in range(length):
            out.append(out[-offset])
    assert len(out) == n, "snappy length mismatch"
    return bytes(out)


def fields(b):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(b):
        key, i = uvarint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = uvarint(b, i)
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 2:
            n, i = uvarint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield num, wt, v


def decode_write_request(body):
    """[(labels dict, value, timestamp ms)] of a snappy WriteRequest."""
    out = []
    for num, _, ts in fields(snappy_decompress(body)):
        if num != 1:
            continue
        labels, samples = {}, []
        for n, _, v in fields(ts):
            if n == 1:
                kv = {k: x.decode() for k, _, x in fields(v)}
                labels[kv.get(1, "")] = kv.get(2, "")
            elif n == 2:
                s = {k: x for k, _, x in fields(v)}
                ms = s.get(2, 0)
                samples.append((struct.unpack("<d", s[1])[0] if 1 in s else 0.0,
                                ms - (1 << 64) if ms >= 1 << 63 else ms))
        for value, ms in samples:
            out.append((labels, value, ms))
    return out


def spool_records(data):
    """[(offset, length, samples)] of the good records of a spool segment:
    'RWS2', u32 length, u32 samples, u32 body CRC-32, u32 header CRC-32."""
    out, i = [], 0
    while i + 20 <= len(data):
        if data[i:i + 4] == b"RWS2":
            length, samples, crc, head = struct.unpack("<IIII", data[i + 4:i + 20])
            body = data[i + 20:i + 20 + length]
            if zlib.crc32(data[i:i + 16]) == head and len(body) == length and zlib.crc32(body) == crc:
                out.append((i + 20, length, samples))
                i += 20 + length
                continue
        i += 1
    return out


def fnv1a64(text):
    """The name of a URL's directory under --remote-write-spool."""
    h = 14695981039346656037
    for c in text.encode():
        h = ((h ^ c) * 1099511628211) & ((1 << 64) - 1)
    return "%016x" % h


class Receiver:
    """Answers remote_write POSTs by `mode` (a status code, or "hang":
    read the request and never answer) and records what it accepted with
    2xx. Restartable on one port: stop() then start()."""

    def __init__(self, mode=200, port=0):
        self.mode = mode
        self.samples = []  # (labels, value, ms) of accepted requests
        self.requests = 0
        self.lock = threading.Lock()
        self.server = None
        self.start(port)

    def start(self, port=None):
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests += 1
                    mode = outer.mode
                if mode == "hang":
                    outer.hung.wait()
                    return
                if 200 <= mode < 300:
                    decoded = decode_write_request(body)
                    with outer.lock:
                        outer.samples.extend(decoded)
                self.send_response(mode)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.hung = threading.Event()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port if port is None else port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d/api/v1/write" % self.port

    def values(self, metric, **labels):
        """Values of the accepted samples of `metric` with `labels`."""
        with self.lock:
            return [v for l, v, _ in self.samples
                    if l.get("__name__") == metric and all(l.get(k) == x for k, x in labels.items())]

    def stop(self):
        if self.server:
            self.hung.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None
