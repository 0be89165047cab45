#include "base/human.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace mmwatch::base {

namespace {

// Integers up to this are exact in a double and written whole.
constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53

}  // namespace

void append_number(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[32];
    const int n = v == std::floor(v) && std::fabs(v) <= kExactIntegerLimit
                      ? std::snprintf(buf, sizeof buf, "%" PRId64, int64_t(v))
                      : std::snprintf(buf, sizeof buf, "%.6g", v);
    out.append(buf, size_t(n));
}

std::string format_number(double v) {
    std::string out;
    append_number(out, v);
    return out;
}

void append_bytes(std::string& out, double bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (!(bytes >= 0)) bytes = 0;  // NaN and negatives: nothing held
    size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
        bytes /= 1024;
        ++unit;
    }
    char buf[48];
    const int n = unit == 0 ? std::snprintf(buf, sizeof buf, "%.0f B", std::floor(bytes))
                            : std::snprintf(buf, sizeof buf, "%.1f %s", bytes, kUnits[unit]);
    out.append(buf, size_t(n));
}

std::string format_bytes(double bytes) {
    std::string out;
    append_bytes(out, bytes);
    return out;
}

void append_duration(std::string& out, double seconds) {
    constexpr int64_t kMinute = 60, kHour = 3600, kDay = 86400;
    const int64_t s = seconds > 0 && seconds < 9.2e18 ? int64_t(seconds) : 0;
    char buf[32];
    int n = 0;
    if (s < 2 * kMinute) n = std::snprintf(buf, sizeof buf, "%" PRId64 "s", s);
    else if (s < kHour) n = std::snprintf(buf, sizeof buf, "%" PRId64 "m", s / kMinute);
    else if (s < 2 * kDay) n = std::snprintf(buf, sizeof buf, "%" PRId64 "h", s / kHour);
    else n = std::snprintf(buf, sizeof buf, "%" PRId64 "d", s / kDay);
    out.append(buf, size_t(n));
}

std::string format_duration(double seconds) {
    std::string out;
    append_duration(out, seconds);
    return out;
}

}  // namespace mmwatch::base
