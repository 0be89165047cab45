// OTLP metrics in the Prometheus text format 0.0.4, translated by the
// OpenTelemetry compatibility rules.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "otlp/store.hpp"

namespace mmwatch::otlp {

// What one render left out, by reason.
struct ExpositionSkips {
    uint64_t family_taken = 0;    // the file metrics or self-metrics already use a sample name
    uint64_t name_collision = 0;  // two OTLP metrics would write one sample name
    uint64_t response_bytes = 0;  // families left out at --max-response-bytes
    uint64_t cut_short = 0;       // families cut short at --max-response-bytes
    uint64_t duplicate_labels = 0;  // series (points) rendering to a label set already written
};

using FamilyTaken = std::function<bool(std::string_view family)>;

// Appends every family with a series that received a point within the
// window (by receipt time), then target_info. A family any of whose sample
// names (NAME, and NAME_bucket, NAME_count, NAME_sum for histograms and
// summaries) `family_taken` claims is left out, as is one colliding with an
// OTLP family written before; families stop once `out` reaches `max_bytes`.
// What was left out is returned (mmwatch_otlp_exposition_skipped_families).
[[nodiscard]] ExpositionSkips render_prometheus(const Store& store, std::string& out, const FamilyTaken& family_taken,
                                                int64_t now_ns, size_t max_bytes = SIZE_MAX);

}  // namespace mmwatch::otlp
