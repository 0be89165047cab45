#include "api/params.hpp"

#include <cmath>

#include "promql/lexer.hpp"

namespace mmwatch::api {

namespace {

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out += ' ';
        } else if (in[i] == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += char(hi * 16 + lo);
            i += 2;
        } else {
            out += in[i];
        }
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + int64_t(doe) - 719468;
}

bool digits(std::string_view s, size_t at, size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// RFC 3339 with optional fraction: 2015-07-01T20:10:51.781Z, ...+02:00.
bool parse_rfc3339(std::string_view s, int64_t& ms) {
    int y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return false;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < s.size() && s[i] == '.') {
        int64_t scale = 100;
        size_t n = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n) {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
        }
        if (n == 0) return false;
    }
    int64_t offset_min = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh, om;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om)) return false;
        offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } else {
        return false;
    }
    if (i != s.size()) return false;
    const int64_t days = days_from_civil(y, unsigned(mo), unsigned(d));
    ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
    return true;
}

}  // namespace

bool Params::add(std::string_view encoded) {
    std::string name, value;
    while (!encoded.empty()) {
        const size_t amp = encoded.find('&');
        const std::string_view pair = encoded.substr(0, amp);
        encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
        if (pair.empty()) continue;
        const size_t eq = pair.find('=');
        if (!unescape(pair.substr(0, eq), name)) return false;
        if (!unescape(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), value)) return false;
        pairs_.emplace_back(name, value);
    }
    return true;
}

const std::string* Params::get(std::string_view name) const {
    for (const auto& [n, v] : pairs_)
        if (n == name) return &v;
    return nullptr;
}

std::vector<std::string> Params::all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : pairs_)
        if (n == name) out.push_back(v);
    return out;
}

bool parse_time_ms(std::string_view s, int64_t& ms, std::string& error) {
    double t;
    if (promql::parse_go_float(s, t) && std::isfinite(t) && std::fabs(t) < 9.2e15) {
        // Whole seconds, then the fraction rounded to milliseconds.
        const double whole = std::trunc(t);
        ms = int64_t(whole) * 1000 + int64_t(std::round((t - whole) * 1000));
        return true;
    }
    if (parse_rfc3339(s, ms)) return true;
    error = "cannot parse \"" + std::string(s) + "\" to a valid timestamp";
    return false;
}

bool parse_duration_ms(std::string_view s, int64_t& ms, std::string& error) {
    double d;
    if (promql::parse_go_float(s, d)) {
        if (!(std::fabs(d * 1e9) < 9.2e18)) {
            error = "cannot parse \"" + std::string(s) + "\" to a valid duration. It overflows int64";
            return false;
        }
        ms = int64_t(d * 1000);
        return true;
    }
    int64_t ns;
    std::string ignored;
    if (promql::parse_duration_ns(s, ns, ignored)) {
        ms = ns / 1'000'000;
        return true;
    }
    error = "cannot parse \"" + std::string(s) + "\" to a valid duration";
    return false;
}

}  // namespace mmwatch::api
