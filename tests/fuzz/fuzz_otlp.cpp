// libFuzzer target: any bytes as an OTLP/JSON body, plain and as gzip,
// through the receiver (each accepted point written alone as the history
// sink names it, otlp::write_series), then /metrics and the health answer.
// Built with -Dfuzzers=true (clang); run it with tools/fuzz.sh or
// build-fuzz/tests/fuzz/fuzz_otlp -max_total_time=60.
#include <cstddef>
#include <cstdint>
#include <string>

#include "otlp/exposition.hpp"
#include "otlp/query.hpp"
#include "otlp/receiver.hpp"
#include "otlp/otlp_self_metrics.hpp"

using namespace mmwatch;

namespace {

// A page whose earlier parts hold the family "taken".
struct TakenName final : otlp::TakenNames {
    [[nodiscard]] bool taken(std::string_view name) const override { return name == "taken"; }
};

// Each point written alone, as the daemon's history sink names it (there
// into a prom::SampleCollector; here the text writer): one sample line.
struct Naming final : otlp::PointSink {
    void point(const otlp::Store& store, uint32_t id, int64_t, double v) override {
        std::string out;
        const auto w = prom::make_writer(prom::Format::text, out);
        otlp::write_series(store, id, *w, v);
        w->finish();
        if (out.empty() || out.back() != '\n') __builtin_trap();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static otlp::Store store([] {
        otlp::StoreLimits l;
        l.max_series = 5000;
        return l;
    }());
    static Naming naming;
    store.set_sink(&naming);
    static otlp::Receiver receiver(store, 1 << 20);
    const bool gzip = size > 0 && data[0] == 0x1f;
    const otlp::ExportRequest req{"POST", "application/json",
                                  gzip ? base::ContentCoding::gzip : base::ContentCoding::identity,
                                  {reinterpret_cast<const char*>(data), size}};
    static int64_t now = 1'700'000'000'000'000'000;
    now += 1'000'000'000;
    const otlp::Reply r = receiver.handle_export(req, now);
    if (r.status != 200 && r.status != 400 && r.status != 413) __builtin_trap();
    for (prom::Format format : {prom::Format::text, prom::Format::openmetrics, prom::Format::protobuf}) {
        std::string out;
        const auto w = prom::make_writer(format, out);
        const otlp::ExpositionSkips skips =
            otlp::render_prometheus(store, *w, TakenName(), now);
        otlp::write_self_metrics(store, receiver.counters(), skips, *w);
        w->finish();
    }
    (void)otlp::services(store, now);
    return 0;
}
