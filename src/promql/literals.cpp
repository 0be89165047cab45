// Number, duration and string literals read the way Go's strconv and
// Prometheus's model.ParseDuration read them, so that 010, 0x1F, 1_000,
// 1e999 and 1h30m mean in mmwatch what they mean in Prometheus.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "promql/lexer.hpp"

namespace mmwatch::promql {

namespace {

char lower(char c) noexcept { return static_cast<char>(c | 0x20); }

// Go's underscoreOK: underscores only between digits (or after a base
// prefix), never at the end.
bool underscore_ok(std::string_view s) noexcept {
    char saw = '^';
    size_t i = 0;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    bool hex = false;
    if (s.size() >= 2 && s[0] == '0' && (lower(s[1]) == 'b' || lower(s[1]) == 'o' || lower(s[1]) == 'x')) {
        i = 2;
        saw = '0';
        hex = lower(s[1]) == 'x';
    }
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
            saw = '0';
            continue;
        }
        if (c == '_') {
            if (saw != '0') return false;
            saw = '_';
            continue;
        }
        if (saw == '_') return false;
        saw = '!';
    }
    return saw != '_';
}

int digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (lower(c) >= 'a' && lower(c) <= 'z') return lower(c) - 'a' + 10;
    return 99;
}

// strconv.ParseInt(s, 0, 64).
bool parse_go_int(std::string_view s, int64_t& out) noexcept {
    const std::string_view orig = s;
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty()) return false;
    unsigned base = 10;
    if (s[0] == '0') {
        if (s.size() >= 3 && lower(s[1]) == 'x') base = 16, s.remove_prefix(2);
        else if (s.size() >= 3 && lower(s[1]) == 'o') base = 8, s.remove_prefix(2);
        else if (s.size() >= 3 && lower(s[1]) == 'b') base = 2, s.remove_prefix(2);
        else base = 8, s.remove_prefix(1);
    }
    bool underscores = false;
    uint64_t v = 0;
    const uint64_t cutoff = std::numeric_limits<uint64_t>::max() / base + 1;
    for (const char c : s) {
        if (c == '_') {
            underscores = true;
            continue;
        }
        const int d = digit_value(c);
        if (d >= static_cast<int>(base)) return false;
        if (v >= cutoff) return false;
        const uint64_t nv = v * base + static_cast<uint64_t>(d);
        if (nv < v * base) return false;
        v = nv;
    }
    if (underscores && !underscore_ok(orig)) return false;
    const uint64_t limit = neg ? uint64_t(1) << 63 : (uint64_t(1) << 63) - 1;
    if (v > limit) return false;
    out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
}

bool equal_fold(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != b[i]) return false;
    return true;
}

// The syntax Go's ParseFloat accepts (once underscores are gone): decimal
// with optional fraction and exponent, or hex with a mandatory p exponent.
bool float_syntax(std::string_view s) noexcept {
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    bool hex = false;
    if (s.size() - i >= 2 && s[i] == '0' && lower(s[i + 1]) == 'x') {
        hex = true;
        i += 2;
    }
    size_t mantissa = 0;
    auto digit = [&](char c) { return (c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f'); };
    while (i < s.size() && digit(s[i])) ++i, ++mantissa;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && digit(s[i])) ++i, ++mantissa;
    }
    if (mantissa == 0) return false;
    const char exp = hex ? 'p' : 'e';
    if (i < s.size() && lower(s[i]) == exp) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
        if (digits == 0) return false;
    } else if (hex) {
        return false;
    }
    return i == s.size();
}

// strconv.ParseFloat(s, 64); false on bad syntax or overflow.
bool parse_go_float(std::string_view s, double& out, bool* out_of_range) {
    std::string_view body = s;
    bool neg = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
        neg = body[0] == '-';
        body.remove_prefix(1);
    }
    if (equal_fold(body, "inf") || equal_fold(body, "infinity")) {
        out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
        return true;
    }
    if (equal_fold(body, "nan")) {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    std::string clean;
    for (const char c : s)
        if (c != '_') clean += c;
    if (clean.size() != s.size() && !underscore_ok(s)) return false;
    if (!float_syntax(clean)) return false;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(clean.c_str(), &end);
    if (end != clean.c_str() + clean.size()) return false;
    if (errno == ERANGE && std::isinf(v)) {
        if (out_of_range) *out_of_range = true;
        return false;
    }
    out = v;
    return true;
}

struct Unit {
    std::string_view name;
    int64_t ns;
};
constexpr int64_t kSecondNs = 1'000'000'000;
constexpr Unit kUnits[] = {
    {"y", 365 * 24 * 3600 * kSecondNs}, {"w", 7 * 24 * 3600 * kSecondNs}, {"d", 24 * 3600 * kSecondNs},
    {"h", 3600 * kSecondNs},            {"m", 60 * kSecondNs},            {"s", kSecondNs},
    {"ms", 1'000'000},
};

}  // namespace

bool parse_go_float(std::string_view s, double& out) { return parse_go_float(s, out, nullptr); }

bool parse_go_number(std::string_view s, double& out, bool* out_of_range) {
    if (out_of_range) *out_of_range = false;
    int64_t i;
    if (parse_go_int(s, i)) {
        out = static_cast<double>(i);
        return true;
    }
    return parse_go_float(s, out, out_of_range);
}

bool parse_duration_ns(std::string_view s, int64_t& ns, std::string& error) {
    const std::string orig(s);
    if (s == "0") {
        ns = 0;
        return true;
    }
    if (s.empty()) {
        error = "empty duration string";
        return false;
    }
    const std::string invalid = "not a valid duration string: \"" + orig + "\"";
    uint64_t total = 0;
    int last_unit = -1;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == 0 || i > 19) {
            error = invalid;
            return false;
        }
        const uint64_t v = std::strtoull(std::string(s.substr(0, i)).c_str(), nullptr, 10);
        s.remove_prefix(i);
        size_t u = 0;
        while (u < s.size() && !(s[u] >= '0' && s[u] <= '9')) ++u;
        if (u == 0) {
            error = invalid;
            return false;
        }
        const std::string_view unit = s.substr(0, u);
        s.remove_prefix(u);
        int found = -1;
        for (int k = 0; k < 7; ++k)
            if (kUnits[k].name == unit) found = k;
        if (found < 0) {
            error = "unknown unit \"" + std::string(unit) + "\" in duration \"" + orig + "\"";
            return false;
        }
        if (found <= last_unit) {
            error = invalid;
            return false;
        }
        last_unit = found;
        const auto mult = static_cast<uint64_t>(kUnits[found].ns);
        if (v > (uint64_t(1) << 63) / mult) {
            error = "duration out of range";
            return false;
        }
        total += v * mult;
        if (total > uint64_t(INT64_MAX)) {
            error = "duration out of range";
            return false;
        }
    }
    ns = static_cast<int64_t>(total);
    return true;
}

namespace {

void append_rune(std::string& out, uint32_t r) {
    if (r < 0x80) {
        out += static_cast<char>(r);
    } else if (r < 0x800) {
        out += static_cast<char>(0xC0 | (r >> 6));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else if (r < 0x10000) {
        out += static_cast<char>(0xE0 | (r >> 12));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (r >> 18));
        out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (r & 0x3F));
    }
}

// One escape after a backslash (Go's unquoteChar); advances `s`.
bool unescape(std::string_view& s, char quote, std::string& out) {
    if (s.empty()) return false;
    const char c = s[0];
    s.remove_prefix(1);
    switch (c) {
    case 'a': out += '\a'; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'v': out += '\v'; return true;
    case '\\': out += '\\'; return true;
    case '\'':
    case '"':
        if (c != quote) return false;
        out += c;
        return true;
    default: break;
    }
    int n = 0, base = 16;
    if (c == 'x') n = 2;
    else if (c == 'u') n = 4;
    else if (c == 'U') n = 8;
    else if (c >= '0' && c <= '7') {
        n = 2, base = 8;
    } else {
        return false;
    }
    uint32_t v = base == 8 ? static_cast<uint32_t>(c - '0') : 0;
    if (s.size() < static_cast<size_t>(n)) return false;
    for (int i = 0; i < n; ++i) {
        const int d = digit_value(s[static_cast<size_t>(i)]);
        if (d >= base) return false;
        v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(d);
    }
    s.remove_prefix(static_cast<size_t>(n));
    if (c == 'x' || base == 8) {
        if (v > 255) return false;
        out += static_cast<char>(v);
        return true;
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return false;
    append_rune(out, v);
    return true;
}

}  // namespace

bool unquote(std::string_view s, std::string& out) {
    out.clear();
    if (s.size() < 2) return false;
    const char quote = s.front();
    if (quote != s.back()) return false;
    s = s.substr(1, s.size() - 2);
    if (quote == '`') {
        if (s.find('`') != std::string_view::npos) return false;
        out.assign(s);
        return true;
    }
    if ((quote != '"' && quote != '\'') || s.find('\n') != std::string_view::npos) return false;
    while (!s.empty()) {
        const char c = s[0];
        if (c == quote) return false;
        s.remove_prefix(1);
        if (c != '\\') {
            out += c;
            continue;
        }
        if (!unescape(s, quote, out)) return false;
    }
    return true;
}

}  // namespace mmwatch::promql
