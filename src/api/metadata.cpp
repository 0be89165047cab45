#include "api/metadata.hpp"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "base/json.hpp"

namespace mmwatch::api {

namespace {

// Go's strconv.Atoi over the parameter, when given.
bool int_param(const Params& p, std::string_view name, int64_t& v, std::string& error) {
    const std::string* s = p.get(name);
    if (!s || s->empty()) return true;
    std::string_view text = *s;
    if (text.size() > 1 && text[0] == '+') text.remove_prefix(1);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size()) return true;
    error = std::string(name) + " must be a number";
    return false;
}

auto key(const MetricMetadata& m) { return std::tie(m.name, m.type, m.help, m.unit); }

}  // namespace

bool metadata_json(const Params& p, std::vector<MetricMetadata> families, std::string& out, std::string& error) {
    int64_t limit = -1, per_metric = -1;
    if (!int_param(p, "limit", limit, error) || !int_param(p, "limit_per_metric", per_metric, error)) return false;
    const std::string* metric = p.get("metric");
    std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return key(a) < key(b); });
    families.erase(std::unique(families.begin(), families.end(), [](const auto& a, const auto& b) { return key(a) == key(b); }),
                   families.end());
    out = "{";
    int64_t written = 0, in_family = 0;
    const std::string* open = nullptr;
    for (const MetricMetadata& m : families) {
        if (metric && !metric->empty() && m.name != *metric) continue;
        if (!open || *open != m.name) {
            if (limit >= 0 && written >= limit) break;
            if (open) out += "],";
            base::json::append_string(out, m.name);
            out += ":[";
            open = &m.name;
            ++written;
            in_family = 0;
        } else if (per_metric > 0 && in_family >= per_metric) {
            continue;
        }
        if (in_family++) out += ',';
        out += "{\"type\":";
        base::json::append_string(out, m.type);
        out += ",\"help\":";
        base::json::append_string(out, m.help);
        out += ",\"unit\":";
        base::json::append_string(out, m.unit);
        out += '}';
    }
    if (open) out += ']';
    out += '}';
    return true;
}

}  // namespace mmwatch::api
