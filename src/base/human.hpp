// Numbers, byte counts and durations for a person: one way of writing
// them, shared by the status page (src/ui/) and `mmwatch top` (src/top/),
// so the two views of one figure read the same.
#pragma once

#include <cstdint>
#include <string>

namespace mmwatch::base {

// NaN, +Inf, -Inf by name; an integer exactly (up to 2^53); anything else
// to 6 significant digits ("0.125", "1.23457e+06").
void append_number(std::string& out, double v);
[[nodiscard]] std::string format_number(double v);

// A byte count with a binary unit: "512 B", "1.5 KiB", "3.0 MiB", up to TiB.
void append_bytes(std::string& out, double bytes);
[[nodiscard]] std::string format_bytes(double bytes);

// A duration in whole units, rounded down: seconds under 2 minutes ("59s",
// "119s"), minutes under an hour ("5m"), hours under 2 days ("1h", "47h"),
// then days ("3d"). Negative durations read as "0s".
void append_duration(std::string& out, double seconds);
[[nodiscard]] std::string format_duration(double seconds);

}  // namespace mmwatch::base
