#include "otlp/query.hpp"

#include <charconv>
#include <cmath>

#include "base/enum_names.hpp"
#include "base/json.hpp"
#include "otlp/prom_names.hpp"
#include "prom/text.hpp"

namespace mmwatch::otlp {

namespace {

struct Label {
    std::string key;
    std::string value;
};

std::string_view kind_name(MetricKind k) noexcept {
    switch (k) {
    case MetricKind::gauge: return "gauge";
    case MetricKind::sum: return "sum";
    case MetricKind::histogram: return "histogram";
    case MetricKind::exponential_histogram: return "exponential_histogram";
    case MetricKind::summary: return "summary";
    case MetricKind::none: break;
    }
    return "none";
}

MMWATCH_ENUM_TABLE(Role, kRoleNames) = {
    MMWATCH_ROW(value), MMWATCH_ROW(bucket), MMWATCH_ROW(sum), MMWATCH_ROW(count),
    MMWATCH_ROW(quantile),
};
static_assert(base::rows_match(kRoleNames, kRoleCount));

std::string_view role_name(Role r) noexcept { return base::name_of(kRoleNames, r); }

Reply bad_request(std::string_view message) {
    std::string body = "{\"error\":";
    base::json::append_string(body, message);
    body += "}\n";
    return Reply::json(400, std::move(body));
}

bool family_matches(const Store& store, const Family& f, std::string_view name) {
    if (store.strings().get(f.name) == name) return true;
    return prometheus_name(store.strings().get(f.name), store.strings().get(f.unit), f.kind, f.monotonic) == name;
}

void append_labels(std::string& out, const Store& store, uint32_t set, bool& first) {
    for (const LabelIds& l : store.label_set(set)) {
        if (!first) out += ',';
        first = false;
        base::json::append_string(out, store.strings().get(l.key));
        out += ':';
        base::json::append_string(out, store.strings().get(l.value));
    }
}

void append_series_json(std::string& out, const Store& store, uint32_t id) {
    const Series& s = store.series()[id];
    const Family& f = store.families()[s.key.family];
    const Scope& scope = store.scopes()[s.key.scope];
    out += "{\"id\":";
    base::json::append_number(out, id);
    out += ",\"metric\":";
    base::json::append_string(out, store.strings().get(f.name));
    out += ",\"type\":\"";
    out += kind_name(f.kind);
    out += "\",\"role\":\"";
    out += role_name(s.key.role);
    out += '"';
    if (s.key.role == Role::bucket || s.key.role == Role::quantile) {
        out += s.key.role == Role::bucket ? ",\"le\":" : ",\"quantile\":";
        base::json::append_double(out, s.key.extra);
    }
    out += ",\"resource\":{";
    bool first = true;
    append_labels(out, store, store.resources()[s.key.resource].attrs, first);
    out += "},\"scope\":{\"name\":";
    base::json::append_string(out, store.strings().get(scope.name));
    out += ",\"version\":";
    base::json::append_string(out, store.strings().get(scope.version));
    out += "},\"labels\":{";
    first = true;
    append_labels(out, store, s.key.attrs, first);
    out += "},\"points\":";
    base::json::append_number(out, s.stored);
    out += ",\"last_value\":";
    base::json::append_double(out, s.last_value);
    out += '}';
}

bool set_has(const Store& store, uint32_t set, std::string_view key, std::string_view value) {
    for (const LabelIds& l : store.label_set(set))
        if (store.strings().get(l.key) == key) return store.strings().get(l.value) == value;
    return false;
}

bool series_has_label(const Store& store, const Series& s, const Label& l) {
    if ((l.key == "le" && s.key.role == Role::bucket) || (l.key == "quantile" && s.key.role == Role::quantile)) {
        std::string v;
        prom::append_value(v, s.key.extra);
        return v == l.value;
    }
    return set_has(store, s.key.attrs, l.key, l.value) ||
           set_has(store, store.resources()[s.key.resource].attrs, l.key, l.value);
}

// NAME{k="v",k2="v2"}: values in double quotes with \" and \\ escapes.
bool parse_selector(std::string_view sel, std::string& name, std::vector<Label>& labels) {
    const size_t brace = sel.find('{');
    name.assign(sel.substr(0, brace));
    if (name.empty()) return false;
    if (brace == std::string_view::npos) return true;
    if (sel.back() != '}') return false;
    std::string_view rest = sel.substr(brace + 1, sel.size() - brace - 2);
    while (!rest.empty()) {
        const size_t eq = rest.find('=');
        if (eq == std::string_view::npos || eq == 0 || eq + 1 >= rest.size() || rest[eq + 1] != '"') return false;
        Label l{std::string(rest.substr(0, eq)), {}};
        size_t i = eq + 2;
        for (; i < rest.size() && rest[i] != '"'; ++i) {
            if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
            l.value += rest[i];
        }
        if (i >= rest.size()) return false;
        labels.push_back(std::move(l));
        rest.remove_prefix(i + 1);
        if (!rest.empty()) {
            if (rest[0] != ',') return false;
            rest.remove_prefix(1);
        }
    }
    return true;
}

// Unix seconds, possibly fractional, to milliseconds.
bool parse_time_ms(std::string_view s, int64_t& out_ms) {
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0 || v > 1e13) return false;
    out_ms = int64_t(std::llround(v * 1000.0));
    return true;
}

void append_time_s(std::string& out, int64_t t_ms) {
    base::json::append_number(out, t_ms / 1000);
    const int64_t ms = t_ms % 1000;
    out += '.';
    out += char('0' + ms / 100);
    out += char('0' + ms / 10 % 10);
    out += char('0' + ms % 10);
}

// An optional count parameter: absent → `fallback`; 1..`max` → it;
// anything else is refused.
bool parse_limit(const Param& v, size_t fallback, size_t max, size_t& out) {
    out = fallback;
    if (!v) return true;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    return ec == std::errc() && end == v->data() + v->size() && out >= 1 && out <= max;
}

Reply bad_limit(std::string_view key, size_t max) {
    std::string msg(key);
    msg += " must be a whole number from 1 to ";
    base::json::append_number(msg, max);
    return bad_request(msg);
}

void close_answer(std::string& out, bool truncated) {
    out += "],\"truncated\":";
    out += truncated ? "true" : "false";
    out += "}\n";
}

}  // namespace

Reply services(const Store& store, int64_t now_unix_nanos) {
    std::string out;
    store.health().render_json(out, now_unix_nanos);
    out += '\n';
    return Reply::json(200, std::move(out));
}

Reply series(const Store& store, const SeriesQuery& q) {
    if (!q.match || q.match->empty())
        return bad_request("match=NAME is required (an OTLP metric name or its Prometheus name)");
    const std::string& match = *q.match;
    size_t limit = 0;
    if (!parse_limit(q.limit, base::kDefaultOtlpQuerySeries, base::kMaxOtlpQuerySeries, limit))
        return bad_limit("limit", base::kMaxOtlpQuerySeries);
    std::string out = "{\"series\":[";
    size_t n = 0;
    bool truncated = false;
    for (const Family& f : store.families()) {
        if (!family_matches(store, f, match)) continue;
        for (uint32_t id : f.series) {
            if (n == limit || out.size() >= base::kMaxOtlpQueryAnswerBytes) {
                truncated = true;
                break;
            }
            if (n++) out += ',';
            append_series_json(out, store, id);
        }
        if (truncated) break;
    }
    close_answer(out, truncated);
    return Reply::json(200, std::move(out));
}

Reply query_range(const Store& store, const RangeQuery& q, int64_t now_unix_nanos) {
    if (!q.series || q.series->empty())
        return bad_request("series=ID or series=NAME{label=\"value\",...} is required");
    const std::string& sel = *q.series;
    int64_t end_ms = now_unix_nanos / 1'000'000;
    int64_t start_ms = end_ms - store.limits().window_ms;
    if (q.start && !parse_time_ms(*q.start, start_ms)) return bad_request("start must be unix seconds, e.g. 1700000000.5");
    if (q.end && !parse_time_ms(*q.end, end_ms)) return bad_request("end must be unix seconds, e.g. 1700000000.5");
    if (start_ms > end_ms) return bad_request("start is after end");
    size_t max_series = 0, max_points = 0;
    if (!parse_limit(q.limit, base::kDefaultOtlpQuerySeries, base::kMaxOtlpQuerySeries, max_series))
        return bad_limit("limit", base::kMaxOtlpQuerySeries);
    if (!parse_limit(q.max_points, base::kMaxOtlpQueryPoints, base::kMaxOtlpQueryPoints, max_points))
        return bad_limit("max_points", base::kMaxOtlpQueryPoints);

    std::vector<uint32_t> ids;
    if (sel.find_first_not_of("0123456789") == std::string::npos) {
        uint64_t id = 0;
        auto [p, ec] = std::from_chars(sel.data(), sel.data() + sel.size(), id);
        if (ec != std::errc() || id >= store.series().size()) return bad_request("no series with that id");
        ids.push_back(uint32_t(id));
    } else {
        std::string name;
        std::vector<Label> labels;
        if (!parse_selector(sel, name, labels)) return bad_request("series must look like name{key=\"value\",...}");
        for (const Family& f : store.families()) {
            if (!family_matches(store, f, name)) continue;
            for (uint32_t id : f.series) {
                bool ok = true;
                for (const Label& l : labels) ok = ok && series_has_label(store, store.series()[id], l);
                if (ok && ids.size() <= max_series) ids.push_back(id);
            }
        }
    }
    std::string out = "{\"series\":[";
    size_t points = 0;
    bool truncated = ids.size() > max_series;
    if (truncated) ids.resize(max_series);
    for (size_t i = 0; i < ids.size(); ++i) {
        if (out.size() >= base::kMaxOtlpQueryAnswerBytes) {
            truncated = true;
            break;
        }
        if (i) out += ',';
        append_series_json(out, store, ids[i]);
        out.pop_back();
        out += ",\"values\":[";
        bool first = true;
        store.for_each_point(ids[i], start_ms, end_ms, [&](StoredPoint p) {
            if (points == max_points || out.size() >= base::kMaxOtlpQueryAnswerBytes) return truncated = true, false;
            ++points;
            if (!first) out += ',';
            first = false;
            out += '[';
            append_time_s(out, p.t_ms);
            out += ',';
            base::json::append_double(out, p.value);
            out += ']';
            return true;
        });
        out += "]}";
    }
    close_answer(out, truncated);
    return Reply::json(200, std::move(out));
}

}  // namespace mmwatch::otlp
