// OTLP metrics in the Prometheus text format 0.0.4, translated by the
// OpenTelemetry compatibility rules.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "otlp/store.hpp"

namespace mmwatch::otlp {

// Families left out of one render, by reason.
struct ExpositionSkips {
    uint64_t family_taken = 0;    // the file metrics already define the name
    uint64_t name_collision = 0;  // two OTLP metrics translate to one name
};

// Appends every family that has points in the window, then target_info. A
// family whose name `family_taken` claims (the file metrics define it) is
// left out, as is a second OTLP metric translating to a name already
// written; both are returned (mmwatch_otlp_exposition_skipped_families).
[[nodiscard]] ExpositionSkips render_prometheus(const Store& store, std::string& out,
                                                const std::function<bool(std::string_view family)>& family_taken);

}  // namespace mmwatch::otlp
