// OTLP metrics in the Prometheus exposition formats, translated by the
// OpenTelemetry compatibility rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "otlp/store.hpp"
#include "prom/writer.hpp"

namespace mmwatch::otlp {

// What one render left out, by reason.
struct ExpositionSkips {
    uint64_t family_taken = 0;    // the file metrics or self-metrics already use a sample name
    uint64_t name_collision = 0;  // two OTLP metrics would write one sample name
    uint64_t response_bytes = 0;  // families left out at --max-response-bytes
    uint64_t cut_short = 0;       // families cut short at --max-response-bytes
    uint64_t duplicate_labels = 0;  // series (points) rendering to a label set already written
    uint64_t native_scale = 0;  // exponential histograms under scale -4, sent classic in protobuf
};

// Native histogram schemas Prometheus accepts; OTLP scales above are
// reduced to 8 by merging buckets, those below are not sent as native.
inline constexpr int32_t kMinNativeSchema = -4;
inline constexpr int32_t kMaxNativeSchema = 8;

// `e` as a native histogram, exactly (false when its scale is below -4).
[[nodiscard]] bool to_native(const ExpHistogram& e, prom::NativeHistogram& h);

// The names the page holds before the OTLP part (the file families', the
// self-metrics'): implemented by whoever composes the page.
class TakenNames {
public:
    [[nodiscard]] virtual bool taken(std::string_view name) const = 0;

protected:
    ~TakenNames() = default;
};

// Nothing taken: a page of OTLP series alone (tests, the fuzzers).
struct NoneTaken final : TakenNames {
    [[nodiscard]] bool taken(std::string_view) const override { return false; }
};

// Appends every family with a series that received a point within the
// window (by receipt time), then target_info. A family any of whose sample
// names (NAME, and NAME_bucket, NAME_count, NAME_sum for histograms and
// summaries) is `taken` is left out, as is one colliding with an OTLP
// family written before; families stop once `out` reaches `max_bytes`.
// What was left out is returned (mmwatch_otlp_exposition_skipped_families).
[[nodiscard]] ExpositionSkips render_prometheus(const Store& store, prom::Writer& out, const TakenNames& taken,
                                                int64_t now_ns, size_t max_bytes = SIZE_MAX);

// One series as /metrics writes it (family, labels, one sample of its
// role) with `value`: the history store names an OTLP series by what a
// SampleCollector makes of this, the label set a scrape of it stores.
void write_series(const Store& store, uint32_t series_id, prom::Writer& w, double value);

}  // namespace mmwatch::otlp
