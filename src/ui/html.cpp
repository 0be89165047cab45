#include "ui/html.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace mmwatch::ui {

void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

void append_url_encoded(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                                u == '-' || u == '.' || u == '_' || u == '~';
        if (unreserved) {
            out += c;
        } else {
            out += '%';
            out += kHex[u >> 4];
            out += kHex[u & 15];
        }
    }
}

void append_value(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.6g", v);
    out.append(buf, size_t(n));
}

void append_bytes(std::string& out, uint64_t bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    size_t unit = 0;
    while (v >= 1024 && unit + 1 < std::size(kUnits)) {
        v /= 1024;
        ++unit;
    }
    char buf[32];
    const int n = unit == 0 ? std::snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes)
                            : std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
    out.append(buf, size_t(n));
}

void append_age(std::string& out, int64_t now_ms, int64_t then_ms) {
    if (then_ms <= 0) {
        out += "never";
        return;
    }
    const int64_t s = std::max<int64_t>(0, (now_ms - then_ms) / 1000);
    char buf[32];
    int n = 0;
    if (s < 120) n = std::snprintf(buf, sizeof buf, "%" PRId64 "s ago", s);
    else if (s < 7200) n = std::snprintf(buf, sizeof buf, "%" PRId64 "m ago", s / 60);
    else if (s < 172800) n = std::snprintf(buf, sizeof buf, "%" PRId64 "h ago", s / 3600);
    else n = std::snprintf(buf, sizeof buf, "%" PRId64 "d ago", s / 86400);
    out.append(buf, size_t(n));
}

namespace {

bool utc_parts(int64_t unix_ms, std::tm& tm) {
    const std::time_t secs = std::time_t(unix_ms / 1000);
    return gmtime_r(&secs, &tm) != nullptr;
}

}  // namespace

void append_utc(std::string& out, int64_t unix_ms) {
    std::tm tm{};
    char buf[40];
    if (!utc_parts(unix_ms, tm) || std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        out += '?';
        return;
    }
    out += buf;
}

void append_hh_mm(std::string& out, int64_t unix_ms) {
    std::tm tm{};
    char buf[16];
    if (!utc_parts(unix_ms, tm) || std::strftime(buf, sizeof buf, "%H:%M", &tm) == 0) {
        out += '?';
        return;
    }
    out += buf;
}

}  // namespace mmwatch::ui
