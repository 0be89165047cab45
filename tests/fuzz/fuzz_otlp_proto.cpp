// libFuzzer target: any bytes as an OTLP/protobuf body through the
// receiver (protozero decoding, admission, store), then /metrics and the
// health answer; plus the decoder alone, whose views must lie inside the body.
// Built with -Dfuzzers=true (clang); run it with tools/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "otlp/exposition.hpp"
#include "otlp/query.hpp"
#include "otlp/receiver.hpp"
#include "otlp/otlp_self_metrics.hpp"

using namespace mmwatch;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static otlp::Store store([] {
        otlp::StoreLimits l;
        l.max_series = 5000;
        l.max_bytes = 16 << 20;
        return l;
    }());
    static otlp::Receiver receiver(store, 1 << 20);
    const std::string_view body(reinterpret_cast<const char*>(data), size);

    static otlp::Decoder decoder;
    static otlp::DecodedRequest decoded;
    const otlp::DecodeResult d = decoder.decode_protobuf(body, decoded);
    if (d.error == otlp::DecodeError::none) {
        const std::string& in = decoder.input();
        const std::string_view whole(in);
        for (const otlp::DecodedMetric& m : decoded.metrics) {
            FUZZ_CHECK(m.points.end <= decoded.points.size());
            FUZZ_CHECK(m.name.empty() || fuzz::within(m.name, whole));
        }
        for (const otlp::DecodedPoint& p : decoded.points) {
            FUZZ_CHECK(p.attrs.end <= decoded.attrs.size() && p.counts.end <= decoded.u64s.size());
            FUZZ_CHECK(p.bounds.end <= decoded.doubles.size() && p.values.end <= decoded.doubles.size());
        }
    }

    static int64_t now = 1'700'000'000'000'000'000;
    now += 1'000'000'000;
    const otlp::Reply r = receiver.handle_export({"POST", "application/x-protobuf", {}, body}, now);
    FUZZ_CHECK(r.status == 200 || r.status == 400 || r.status == 413);
    FUZZ_CHECK(r.content_type == "application/x-protobuf");
    // Every exposition format's writer over whatever the store took.
    for (prom::Format format : {prom::Format::text, prom::Format::openmetrics, prom::Format::protobuf}) {
        std::string out;
        const auto w = prom::make_writer(format, out);
        const otlp::ExpositionSkips skips = otlp::render_prometheus(store, *w, otlp::NoneTaken(), now);
        otlp::write_self_metrics(store, receiver.counters(), skips, *w);
        w->finish();
    }
    FUZZ_CHECK(store.identity_bytes() <= store.identity_budget() + (1 << 20));
    return 0;
}
