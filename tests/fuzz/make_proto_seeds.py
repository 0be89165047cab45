#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_otlp_proto: OTLP/protobuf requests of
every metric kind and AnyValue kind, encoded here by hand (field numbers of
opentelemetry-proto), independently of mmwatch's decoder."""
import os
import struct
import sys


# The encoder is shared with the gRPC tests and benchmark.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "blackbox"))
from otlp_pb import dbl, f64, key, kv, ld, metric, request, s, varint, vi, zz  # noqa: E402

T = 1_700_000_000_000_000_000


attrs = (ld(7, kv("s", s("x"))) + ld(7, kv("b", vi(2, 1))) + ld(7, kv("i", vi(3, 42))) + ld(7, kv("d", dbl(4, 1.5)))
         + ld(7, kv("raw", ld(7, b"\x00\xff"))) + ld(7, kv("arr", ld(5, ld(1, s("a")) + ld(1, vi(3, 1)))))
         + ld(7, kv("map", ld(6, ld(1, kv("k", s("v")))))))
gauge = ld(1, attrs + f64(3, T) + dbl(4, 21.5)) + ld(1, f64(3, T) + f64(6, -7))
total = ld(1, f64(3, T) + dbl(4, 3)) + vi(2, 2) + vi(3, 1)
hist = ld(1, f64(2, T - 10**9) + f64(3, T) + f64(4, 6) + dbl(5, 3.5)
          + ld(6, struct.pack("<3Q", 1, 2, 3)) + ld(7, struct.pack("<2d", 1, 2))) + vi(2, 2)
expo = ld(1, f64(3, T) + f64(4, 12) + dbl(5, 9.5) + vi(6, zz(3)) + f64(7, 2)
          + ld(8, vi(1, zz(-2)) + ld(2, varint(1) + varint(4))) + ld(9, vi(1, zz(1)) + ld(2, varint(5)))
          + dbl(12, -3) + dbl(13, 8) + dbl(14, 0.001)) + vi(2, 1)
summary = ld(1, f64(3, T) + f64(4, 4) + dbl(5, 10) + ld(6, dbl(1, 0.5) + dbl(2, 2)) + ld(6, dbl(1, 0.99) + dbl(2, 7)))
# Exponential points at the edges a native histogram can carry: a bucket of
# 2^63, a count that is not the buckets' sum, offsets at 2^31-1 and past the
# doubles, zero_count 2^64-1 (each refused by name).
edges = b"".join(ld(1, f64(3, T) + f64(4, c) + vi(6, zz(scale)) + f64(7, zero) + ld(8, vi(1, zz(off)) + ld(2, varint(b))))
                 for c, scale, zero, off, b in [(2**63, 0, 0, 0, 2**63), (5, 0, 0, 0, 4), (1, 0, 0, 2**31 - 1, 1),
                                                (1, 20, 0, -(1074 << 20) - 1, 1), (2**64 - 1, 0, 2**64 - 1, 0, 0),
                                                (1, 0, 0, 1023, 1)]) + vi(2, 2)
whole = request([metric("g", 5, gauge)])
inner = whole[1:].lstrip(bytes(range(0x80, 0x100)))[1:]  # the ResourceMetrics: key and length varint dropped
name_2_32 = ld(1, ld(2, key(1, 2) + varint(2**32 + 1) + b"g"))
seeds = {
    "all_kinds.pb": request([metric("temp", 5, gauge, b"Cel"), metric("jobs", 7, total), metric("lat", 9, hist, b"s"),
                             metric("exp", 10, expo, b"s"), metric("rtt", 11, summary)]),
    "gauge.pb": request([metric("g", 5, gauge)]),
    "unknown_fields.pb": request([metric("g", 5, gauge)]) + vi(900, 1) + f64(901, 2) + ld(902, b"x")
                         + key(903, 5) + b"\x00\x00\x00\x00",
    "unpacked.pb": request([metric("h", 9, ld(1, f64(3, T) + f64(4, 2) + f64(6, 1) + f64(6, 1) + dbl(7, 1)) + vi(2, 2))]),
    "exp_edges.pb": request([metric("e", 10, edges)]),
    # Lengths protozero would keep in 32 bits: 2^32+n read as n, 2^63 as 0.
    "length_2_32_plus_n.pb": key(1, 2) + varint(2**32 + len(inner)) + inner,
    "length_2_63.pb": key(1, 2) + varint(2**63),
    "inner_length_2_32.pb": key(1, 2) + varint(len(name_2_32)) + name_2_32,
    "two_services.pb": request([metric("g", 5, gauge)], "a") + request([metric("g", 5, gauge)], "b")[0:0],
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "fuzz_otlp_proto")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), out))
