#include "ui/html.hpp"

#include <ctime>

#include "base/human.hpp"

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

void append_age(std::string& out, int64_t now_ms, int64_t then_ms) {
    if (then_ms <= 0) {
        out += "never";
        return;
    }
    base::append_duration(out, double(now_ms - then_ms) / 1000);
    out += " ago";
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
