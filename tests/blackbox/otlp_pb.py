"""OTLP protobuf encoded by hand (the field numbers of opentelemetry-proto),
independently of mmwatch's decoder: the fuzzer's seeds
(tests/fuzz/make_proto_seeds.py), the gRPC tests (grpc_client.py) and the
gRPC benchmark (tools/bench/grpc.py) build their requests with it."""
import struct


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(tag, wt):
    return varint(tag << 3 | wt)


def ld(tag, data):
    """A length-delimited field."""
    return key(tag, 2) + varint(len(data)) + data


def vi(tag, n):
    return key(tag, 0) + varint(n)


def f64(tag, n):
    return key(tag, 1) + struct.pack("<Q", n & (1 << 64) - 1)


def dbl(tag, x):
    return key(tag, 1) + struct.pack("<d", x)


def zz(n):
    return (n << 1) ^ (n >> 63)


def kv(k, any_):
    """KeyValue: a key and an AnyValue."""
    return ld(1, k.encode()) + ld(2, any_)


def s(v):
    """AnyValue of a string."""
    return ld(1, v.encode())


def attributes(pairs):
    """Repeated attributes (field 7 of a data point) of string values."""
    return b"".join(ld(7, kv(k, s(v))) for k, v in pairs.items())


def request(metrics, service="seed", scope=(b"seed.scope", b"1.0"), resource=()):
    """ExportMetricsServiceRequest: one resource (service.name, then the
    `resource` pairs), one scope (name, version or b""), the metrics."""
    res = ld(1, kv("service.name", s(service))) + b"".join(ld(1, kv(k, s(v))) for k, v in resource)
    sc = ld(1, scope[0]) + (ld(2, scope[1]) if scope[1] else b"")
    scope_metrics = ld(1, sc) + b"".join(ld(2, m) for m in metrics)
    return ld(1, ld(1, res) + ld(2, scope_metrics))


def metric(name, kind_tag, data, unit=b""):
    """Metric: its name, unit and data (5 gauge, 7 sum, 9 histogram, 10
    exponential histogram, 11 summary)."""
    return ld(1, name.encode()) + (ld(3, unit) if unit else b"") + ld(kind_tag, data)
