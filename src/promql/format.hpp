// Numbers and durations printed as Prometheus (Go) prints them, for
// messages, the count_values label and the printer: the same digits, so
// a label or a message built here equals Prometheus's.
#pragma once

#include <cstdint>
#include <string>

namespace mmwatch::promql {

// Go's %g / %v / strconv.FormatFloat(f, 'g', -1, 64): shortest digits,
// exponent form below 1e-4 and from 1e6 on ("1e+06", "NaN", "+Inf").
[[nodiscard]] std::string format_go_g(double v);
// strconv.FormatFloat(f, 'f', -1, 64): shortest digits, never an exponent.
[[nodiscard]] std::string format_go_f(double v);
// %.3f (Prometheus prints @ timestamps so).
[[nodiscard]] std::string format_fixed3(double v);
// Prometheus's model.Duration String(): "1h30m", "5m", "0s", "1w", "100ms".
[[nodiscard]] std::string format_duration_ns(int64_t ns);

}  // namespace mmwatch::promql
