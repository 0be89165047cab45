#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_h2: what HTTP/2 clients send a gRPC
server, made with Debian's python3-h2 (an implementation independent of
nghttp2) plus the attacks built frame by frame. Each seed starts with the
target's mode byte (bit 0: prepend a preface, bit 1: answer with a body,
bits 2-7: piece size - 1)."""
import os
import struct
import sys

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-h2 under any python3
import h2.config  # noqa: E402
import h2.connection  # noqa: E402
import h2.settings  # noqa: E402

PATH = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
HEADERS = [(":method", "POST"), (":scheme", "http"), (":path", PATH), (":authority", "localhost"),
           ("content-type", "application/grpc"), ("te", "trailers")]


def client():
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    c.initiate_connection()
    return c


def grpc_message(payload):
    return struct.pack(">BI", 0, len(payload)) + payload


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def unary(n=1, body=b"\x0a\x00"):
    c = client()
    for i in range(n):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, HEADERS)
        c.send_data(sid, grpc_message(body), end_stream=True)
    return c.data_to_send()


def padded():
    c = client()
    c.send_headers(1, HEADERS + [("grpc-encoding", "gzip")])
    c.send_data(1, grpc_message(b"x" * 40), pad_length=20)
    c.end_stream(1)
    return c.data_to_send()


def reset_loop():
    c = client()
    for _ in range(20):
        sid = c.get_next_available_stream_id()
        c.send_headers(sid, HEADERS)
        c.reset_stream(sid)
    return c.data_to_send()


def control():
    c = client()
    c.ping(b"12345678")
    c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0})
    c.increment_flow_control_window(1000)
    return c.data_to_send()


def continuation():
    c = client()
    base = c.data_to_send()
    block = c.encoder.encode(HEADERS + [("x-big", "v" * 300)])
    return base + frame(1, 0x1, 1, block[:50]) + frame(9, 0, 1, block[50:200]) + frame(9, 0x4, 1, block[200:])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/fuzz_h2"
    os.makedirs(out, exist_ok=True)
    seeds = {
        "unary": bytes([0xFE]) + unary(),
        "unary_in_bytes": bytes([0x02]) + unary(),
        "three_streams": bytes([0x1E]) + unary(3, b"\x0a\x10" + b"a" * 16),
        "padded_gzip": bytes([0x42]) + padded(),
        "reset_loop": bytes([0xFC]) + reset_loop(),
        "control": bytes([0xFE]) + control(),
        "continuation": bytes([0xFE]) + continuation(),
        "frames_after_preface": bytes([0xFF]) + frame(6, 0, 0, b"p" * 8) + frame(8, 0, 0, b"\0\0\1\0"),
        "http1": bytes([0xFE]) + b"POST /v1/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
