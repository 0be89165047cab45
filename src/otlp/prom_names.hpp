// OpenTelemetry-to-Prometheus name translation (the "Prometheus and
// OpenMetrics Compatibility" rules): metric names with unit and type
// suffixes, and label names. Escaping is prom/text.hpp's.
#pragma once

#include <string>
#include <string_view>

#include "otlp/decoded.hpp"

namespace mmwatch::otlp {

// "http.server.request.duration" + "s" -> "http_server_request_duration_seconds";
// monotonic sums get "_total", gauges with unit "1" get "_ratio".
[[nodiscard]] std::string prometheus_name(std::string_view name, std::string_view unit, MetricKind kind,
                                          bool monotonic);

// The unit as a name suffix: "s" -> "seconds", "By/s" -> "bytes_per_second",
// "{request}" -> "" (annotations are dropped), unknown units sanitized.
[[nodiscard]] std::string unit_suffix(std::string_view unit);

// Invalid characters to '_', runs of '_' collapsed, leading/trailing '_'
// dropped, '_' prefixed before a leading digit.
[[nodiscard]] std::string sanitize_metric_name(std::string_view name);

// Invalid characters to '_'; "key_" before a leading digit, "key" before a
// leading '_' (so no name starts with "__", which is reserved to Prometheus).
[[nodiscard]] std::string sanitize_label_name(std::string_view key);

}  // namespace mmwatch::otlp
