// OTLP metrics in the Prometheus text format 0.0.4, translated by the
// OpenTelemetry compatibility rules, followed by mmwatch_otlp_* self-metrics.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store.hpp"

namespace mmwatch::otlp {

// Appends every family that has points in the window, then target_info,
// then the self-metrics (always present, zero or not). A family whose name
// `family_taken` claims (the file metrics define it) is left out, as is a
// second OTLP metric translating to a name already written; both are
// counted in mmwatch_otlp_exposition_skipped_families.
void render_prometheus(const Store& store, std::string& out,
                       const std::function<bool(std::string_view family)>& family_taken);

}  // namespace mmwatch::otlp
