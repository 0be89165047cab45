#include "promql/format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace mmwatch::promql {

namespace {

// The shortest round-trip digits of |v| and its decimal exponent: v is
// 0.d1d2d3... * 10^dp (Go's decimalSlice digits and dp).
struct Digits {
    std::string d;
    int dp = 0;
};

Digits shortest(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
    const std::string s(buf, r.ptr);
    Digits out;
    const size_t e = s.find('e');
    for (size_t i = 0; i < e; ++i)
        if (s[i] != '.') out.d += s[i];
    out.dp = std::atoi(s.c_str() + e + 1) + 1;
    while (out.d.size() > 1 && out.d.back() == '0') out.d.pop_back();
    if (out.d == "0") out.dp = 1;
    return out;
}

bool special(double v, std::string& out) {
    if (std::isnan(v)) out = "NaN";
    else if (std::isinf(v)) out = v > 0 ? "+Inf" : "-Inf";
    else return false;
    return true;
}

std::string fixed_layout(const Digits& g, bool neg) {
    std::string out = neg ? "-" : "";
    if (g.dp <= 0) {
        out += "0";
        if (g.d != "0") out += "." + std::string(static_cast<size_t>(-g.dp), '0') + g.d;
        return out;
    }
    const auto dp = static_cast<size_t>(g.dp);
    if (g.d.size() <= dp) return out + g.d + std::string(dp - g.d.size(), '0');
    return out + g.d.substr(0, dp) + "." + g.d.substr(dp);
}

}  // namespace

std::string format_go_g(double v) {
    std::string out;
    if (special(v, out)) return out;
    const Digits g = shortest(v);
    const int exp = g.dp - 1;
    const bool neg = std::signbit(v);
    if (exp < -4 || exp >= 6) {
        out = neg ? "-" : "";
        out += g.d[0];
        if (g.d.size() > 1) out += "." + g.d.substr(1);
        char e[16];
        std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        return out + e;
    }
    return fixed_layout(g, neg);
}

std::string format_go_f(double v) {
    std::string out;
    if (special(v, out)) return out;
    return fixed_layout(shortest(v), std::signbit(v));
}

std::string format_fixed3(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

std::string format_duration_ns(int64_t ns) {
    int64_t ms = ns / 1'000'000;
    if (ms == 0) return "0s";
    std::string r;
    auto unit = [&](const char* name, int64_t mult, bool exact) {
        if (exact && ms % mult != 0) return;
        if (const int64_t v = ms / mult; v > 0) {
            r += std::to_string(v) + name;
            ms -= v * mult;
        }
    };
    constexpr int64_t kDay = 24LL * 3600 * 1000;
    unit("y", 365 * kDay, true);
    unit("w", 7 * kDay, true);
    unit("d", kDay, false);
    unit("h", 3600 * 1000, false);
    unit("m", 60 * 1000, false);
    unit("s", 1000, false);
    unit("ms", 1, false);
    return r;
}

}  // namespace mmwatch::promql
