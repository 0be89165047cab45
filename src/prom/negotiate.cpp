#include "prom/negotiate.hpp"

#include <algorithm>
#include <charconv>

#include "base/strings.hpp"

namespace mmwatch::prom {

namespace {

std::string_view unquote(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
}

// q as thousandths (RFC 9110: at most three decimals); 1000 when absent,
// -1 when malformed (the range is then ignored).
int parse_q(std::string_view v) {
    v = unquote(base::trim(v));
    if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
    int q = (v[0] - '0') * 1000;
    if (v.size() > 1) {
        if (v[1] != '.' || v.size() > 5) return -1;
        int scale = 100;
        for (char c : v.substr(2)) {
            if (c < '0' || c > '9') return -1;
            q += (c - '0') * scale;
            scale /= 10;
        }
    }
    return q > 1000 ? -1 : q;
}

// One element of a comma-separated header: "type/subtype;k=v;q=0.5".
struct Range {
    std::string_view type;
    std::string_view proto, encoding, version;
    int q = 1000;
};

Range parse_range(std::string_view element) {
    Range r;
    size_t semi = element.find(';');
    r.type = base::trim(element.substr(0, semi));
    while (semi != std::string_view::npos) {
        element.remove_prefix(semi + 1);
        semi = element.find(';');
        const std::string_view param = element.substr(0, semi);
        const size_t eq = param.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = base::trim(param.substr(0, eq));
        const std::string_view value = unquote(base::trim(param.substr(eq + 1)));
        if (base::iequals(key, "q")) r.q = parse_q(value);
        else if (base::iequals(key, "proto")) r.proto = value;
        else if (base::iequals(key, "encoding")) r.encoding = value;
        else if (base::iequals(key, "version")) r.version = value;
    }
    return r;
}

// What a media range maps to; nothing for ranges mmwatch cannot serve.
std::optional<Format> format_of(const Range& r) {
    if (base::iequals(r.type, "application/openmetrics-text")) {
        // 1.0.0 is served for 1.0.0 and for the 0.0.1 draft it superseded.
        if (r.version.empty() || r.version == "1.0.0" || r.version == "0.0.1") return Format::openmetrics;
        return std::nullopt;
    }
    if (base::iequals(r.type, "application/vnd.google.protobuf")) {
        if (r.proto == "io.prometheus.client.MetricFamily" && (r.encoding.empty() || r.encoding == "delimited"))
            return Format::protobuf;
        return std::nullopt;
    }
    if (base::iequals(r.type, "text/plain")) {
        // 1.0.0 (Prometheus 3) differs from 0.0.4 only in allowing names
        // outside [a-zA-Z0-9_:], which mmwatch never writes.
        if (r.version.empty() || r.version == "0.0.4" || r.version == "1.0.0") return Format::text;
        return std::nullopt;
    }
    if (base::iequals(r.type, "*/*") || base::iequals(r.type, "text/*")) return Format::text;
    return std::nullopt;
}

template <typename F>
void for_each_element(std::string_view header, F f) {
    while (!header.empty()) {
        const size_t comma = header.find(',');
        const std::string_view element = base::trim(header.substr(0, comma));
        if (!element.empty()) f(element);
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
}

}  // namespace

Format negotiate_format(std::string_view accept) {
    Format best = Format::text;
    int best_q = 0;
    for_each_element(accept, [&](std::string_view element) {
        const Range r = parse_range(element);
        const std::optional<Format> f = format_of(r);
        if (!f || r.q <= best_q) return;
        best = *f;
        best_q = r.q;
    });
    return best;
}

// RFC 9110, 12.5.3: "*" stands for every coding the header does not name,
// so an explicit gzip (or x-gzip) q-value wins over it wherever it stands.
bool accepts_gzip(std::string_view accept_encoding) {
    int gzip_q = -1;
    int star_q = -1;
    for_each_element(accept_encoding, [&](std::string_view element) {
        const Range r = parse_range(element);
        if (r.q < 0) return;  // a malformed q-value: the element is ignored
        if (base::iequals(r.type, "gzip") || base::iequals(r.type, "x-gzip")) gzip_q = std::max(gzip_q, r.q);
        else if (r.type == "*") star_q = std::max(star_q, r.q);
    });
    return (gzip_q >= 0 ? gzip_q : star_q) > 0;
}

std::optional<Format> format_from_name(std::string_view name) {
    for (Format f : {Format::text, Format::openmetrics, Format::protobuf}) {
        if (name == format_name(f)) return f;
    }
    return std::nullopt;
}

}  // namespace mmwatch::prom
