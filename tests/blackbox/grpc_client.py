"""What the gRPC black-box tests speak with: OTLP requests encoded by hand
(otlp_pb.py), Debian's python3-grpcio for real calls, and
python3-h2's frame and HPACK libraries (hyperframe, hpack) for a client
that sends exactly the frames a test builds, valid or not."""

import gzip
import os
import socket
import struct
import sys
import time

# Debian's python3-grpcio and python3-h2, whichever python3 runs the tests.
sys.path.append("/usr/lib/python3/dist-packages")
# grpcio's own log lines (a refused handshake is logged as an error) are
# noise here: what a call ends with is asserted.
os.environ.setdefault("GRPC_VERBOSITY", "NONE")
import grpc  # noqa: E402
import hpack  # noqa: E402
from otlp_pb import attributes, dbl, f64, ld, metric, request  # noqa: E402
from hyperframe.frame import (  # noqa: E402
    ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame, PriorityFrame, RstStreamFrame,
    SettingsFrame, WindowUpdateFrame)

EXPORT = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
MAGIC = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# grpc.StatusCode values as numbers, for trailers read off the wire.
OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNIMPLEMENTED, UNAVAILABLE, UNAUTHENTICATED = 0, 3, 8, 12, 14, 16

# What the tests use: grpcio and the frame types come from here, so that
# Debian's packages are found whichever python3 runs them.
__all__ = ["grpc", "ContinuationFrame", "DataFrame", "GoAwayFrame", "HeadersFrame", "PingFrame", "PriorityFrame",
           "RstStreamFrame", "SettingsFrame", "WindowUpdateFrame", "EXPORT", "MAGIC", "OK", "INVALID_ARGUMENT",
           "RESOURCE_EXHAUSTED", "UNIMPLEMENTED", "UNAVAILABLE", "UNAUTHENTICATED", "gauge_request", "framed",
           "gzipped", "channel", "export", "request_headers", "RawH2", "FLOODS"]


# --- OTLP requests ------------------------------------------------------

def gauge_request(name, value, service="grpcio", attrs=(), t_ns=None):
    """ExportMetricsServiceRequest: one resource (service.name), the scope
    grpcio-test, one gauge with one point per entry of `attrs` (dicts)."""
    t_ns = t_ns or time.time_ns()
    points = b"".join(ld(1, attributes(a) + f64(3, t_ns) + dbl(4, value)) for a in (attrs or [{}]))
    return request([metric(name, 5, points)], service, scope=(b"grpcio-test", b""))


def framed(message, compressed=False):
    """gRPC's length-prefixed message."""
    return struct.pack(">BI", 1 if compressed else 0, len(message)) + message


def gzipped(message):
    return framed(gzip.compress(message), compressed=True)


# --- python3-grpcio -----------------------------------------------------

def channel(port, credentials=None, **options):
    opts = [("grpc.enable_http_proxy", 0), ("grpc.max_send_message_length", -1)] + list(options.items())
    target = "127.0.0.1:%d" % port
    if credentials:
        return grpc.secure_channel(target, credentials, options=opts + [("grpc.ssl_target_name_override", "localhost")])
    return grpc.insecure_channel(target, options=opts)


def export(ch, message, path=EXPORT, timeout=30, **kw):
    """(grpc.StatusCode, details, response bytes or None, trailing metadata) of one unary call."""
    call = ch.unary_unary(path)
    try:
        response, info = call.with_call(message, timeout=timeout, **kw)
        return info.code(), info.details(), response, dict(info.trailing_metadata() or ())
    except grpc.RpcError as e:
        return e.code(), e.details(), None, dict(e.trailing_metadata() or ())


# --- frames as a test builds them ---------------------------------------

def request_headers(path=EXPORT, content_type="application/grpc", extra=()):
    return [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "127.0.0.1"),
            ("content-type", content_type), ("te", "trailers")] + list(extra)


class RawH2:
    """One connection that writes the frames it is given (hyperframe) and
    reads what the server sends back, frame by frame."""

    def __init__(self, port, preface=True, settings=None, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.decoder.max_allowed_table_size = 1 << 16
        self.pending = b""
        self.closed = False
        if preface:
            self.send(MAGIC + SettingsFrame(0, settings=settings or {}).serialize())
            # The server's SETTINGS, acknowledged (read_frame does) before
            # anything else is sent: its windows apply from then on.
            self.read_until(lambda f: isinstance(f, SettingsFrame) and "ACK" not in f.flags)

    def send(self, data):
        """False once the server has closed (a refused connection)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def frames(self, *frames):
        return self.send(b"".join(f.serialize() for f in frames))

    def block(self, fields):
        return self.encoder.encode(fields)

    def headers(self, stream_id, fields, end_stream=True, end_headers=True):
        flags = ({"END_STREAM"} if end_stream else set()) | ({"END_HEADERS"} if end_headers else set())
        return HeadersFrame(stream_id, data=self.block(fields), flags=flags)

    def data(self, stream_id, body, end_stream=False):
        """DATA frames of at most 16 KiB (SETTINGS_MAX_FRAME_SIZE's default)."""
        chunks = [body[i:i + 16384] for i in range(0, len(body), 16384)] or [b""]
        return [DataFrame(stream_id, data=c, flags={"END_STREAM"} if end_stream and i == len(chunks) - 1 else set())
                for i, c in enumerate(chunks)]

    def call(self, stream_id, body, fields=None):
        """A whole unary call's frames: HEADERS, then DATA ending the stream."""
        return self.frames(self.headers(stream_id, fields or request_headers(), end_stream=False),
                           *self.data(stream_id, body, end_stream=True))

    def read_frame(self):
        """The next frame, or None once the server closed the connection."""
        while True:
            if len(self.pending) >= 9:
                frame, length = Frame.parse_frame_header(memoryview(self.pending[:9]))
                if len(self.pending) >= 9 + length:
                    frame.parse_body(memoryview(self.pending[9:9 + length]))
                    self.pending = self.pending[9 + length:]
                    if isinstance(frame, HeadersFrame):
                        # Every block, whichever stream: HPACK's table is the connection's.
                        frame.fields = {k: v for k, v in self.decoder.decode(frame.data, raw=False)}
                    if isinstance(frame, SettingsFrame) and "ACK" not in frame.flags:
                        self.frames(SettingsFrame(0, flags={"ACK"}))  # as a client does
                    return frame
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed = True
                return None
            self.pending += chunk

    def read_until(self, pred):
        """Frames until pred(frame) is true (returns that frame) or the
        connection closes (returns None)."""
        while True:
            f = self.read_frame()
            if f is None or pred(f):
                return f

    def goaway(self):
        return self.read_until(lambda f: isinstance(f, GoAwayFrame))

    def response(self, stream_id):
        """(headers dict, body, trailers dict) of one stream's answer."""
        heads, body = [], b""
        while True:
            f = self.read_frame()
            if f is None:
                raise AssertionError("connection closed before stream %d ended" % stream_id)
            if f.stream_id != stream_id:
                continue
            if isinstance(f, HeadersFrame):
                heads.append(f.fields)
            elif isinstance(f, DataFrame):
                body += f.data
            elif isinstance(f, RstStreamFrame):
                raise AssertionError("stream %d reset: %d" % (stream_id, f.error_code))
            if "END_STREAM" in f.flags:
                head = heads[0]
                trailers = heads[1] if len(heads) > 1 else {k: v for k, v in head.items() if k.startswith("grpc-")}
                return head, body, trailers

    def close(self):
        self.sock.close()


# The connection-level attacks a client can make in one burst of frames on
# an open connection (RawH2), by the refusal each must earn: what
# test_grpc.GrpcAttacks sends, and tools/bench/otlp_grpc.py while it times
# scrapes of /metrics.
def _rapid_reset(raw):
    for start in range(1, 2000, 200):
        raw.frames(*[f for i in range(start, start + 200, 2)
                     for f in (raw.headers(i, request_headers(), end_stream=False), RstStreamFrame(i, 8))])


FLOODS = {
    "rapid_reset": _rapid_reset,
    "continuation_flood": lambda raw: raw.frames(
        raw.headers(1, request_headers(), end_stream=True, end_headers=False),
        *[ContinuationFrame(1, data=b"") for _ in range(20)]),
    "settings_flood": lambda raw: raw.frames(*[SettingsFrame(0) for _ in range(100)]),
    "ping_flood": lambda raw: raw.frames(*[PingFrame(0, opaque_data=b"12345678") for _ in range(1000)]),
    "window_update_flood": lambda raw: raw.frames(*[WindowUpdateFrame(0, 1) for _ in range(5000)]),
    "empty_data_flood": lambda raw: raw.frames(raw.headers(1, request_headers(), end_stream=False),
                                               *[DataFrame(1, data=b"") for _ in range(500)]),
    "priority_flood": lambda raw: raw.frames(*[PriorityFrame(3, depends_on=1) for _ in range(500)]),
}
