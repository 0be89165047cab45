#include "otlp/exposition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "otlp/names.hpp"
#include "prom/text.hpp"

namespace mmwatch::otlp {

namespace {

constexpr std::string_view kTargetInfo = "target_info";
constexpr std::string_view kSelfPrefix = "mmwatch_otlp_";

// Labels a translated series already has; an attribute that sanitizes to
// one of them is left out, so no label is written twice.
bool reserved_label(std::string_view name) {
    return name == "job" || name == "instance" || name == "le" || name == "quantile" ||
           name == "otel_scope_name" || name == "otel_scope_version";
}

// Appends `k="v",` for each pair, names sanitized; names that sanitize to
// one name have their values joined with ';' in key order (the
// OpenTelemetry rule), so a label name never appears twice. Keys `skip`
// accepts and empty values are left out.
template <typename Skip>
void append_joined(std::string& out, const Store& store, std::span<const LabelIds> pairs, Skip skip) {
    std::vector<std::pair<std::string, std::string_view>> labels;
    for (const LabelIds& l : pairs) {
        const std::string_view key = store.strings().get(l.key);
        const std::string_view value = store.strings().get(l.value);
        if (skip(key) || value.empty()) continue;
        std::string name = sanitize_label_name(key);
        if (name.empty() || reserved_label(name)) continue;
        labels.emplace_back(std::move(name), value);
    }
    std::stable_sort(labels.begin(), labels.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::string_view last;
    for (const auto& [name, value] : labels) {
        if (name == last) {
            out.insert(out.size() - 2, ";");  // before the closing quote and comma
            std::string more;
            prom::append_label_value(more, value);
            out.insert(out.size() - 2, more);
            continue;
        }
        last = name;
        out += name;
        out += "=\"";
        prom::append_label_value(out, value);
        out += "\",";
    }
}

// Label fragments ("k=\"v\",...") cached per render, per label set and per
// resource, so a 16-bucket histogram formats its attributes once.
struct Fragments {
    const Store& store;
    std::unordered_map<uint32_t, std::string> attrs;
    std::unordered_map<uint32_t, std::string> resources;
    std::unordered_map<uint32_t, std::string> scopes;

    // Point attributes: sanitized names; names that collide after
    // sanitization get their values joined with ';' in key order.
    const std::string& of_attrs(uint32_t set) {
        auto [it, fresh] = attrs.try_emplace(set);
        if (fresh) append_joined(it->second, store, store.label_set(set), [](std::string_view) { return false; });
        return it->second;
    }

    // job = [service.namespace/]service.name, instance = service.instance.id.
    const std::string& of_resource(uint32_t resource) {
        auto [it, fresh] = resources.try_emplace(resource);
        if (!fresh) return it->second;
        std::string_view name, ns, instance;
        for (const LabelIds& l : store.label_set(store.resources()[resource].attrs)) {
            const std::string_view k = store.strings().get(l.key);
            if (k == "service.name") name = store.strings().get(l.value);
            else if (k == "service.namespace") ns = store.strings().get(l.value);
            else if (k == "service.instance.id") instance = store.strings().get(l.value);
        }
        std::string& out = it->second;
        if (!name.empty()) {
            out += "job=\"";
            if (!ns.empty()) {
                prom::append_label_value(out, ns);
                out += '/';
            }
            prom::append_label_value(out, name);
            out += "\",";
        }
        if (!instance.empty()) {
            out += "instance=\"";
            prom::append_label_value(out, instance);
            out += "\",";
        }
        return out;
    }

    const std::string& of_scope(uint32_t scope) {
        auto [it, fresh] = scopes.try_emplace(scope);
        if (!fresh) return it->second;
        const Scope& s = store.scopes()[scope];
        std::string& out = it->second;
        for (auto [label, id] : {std::pair{"otel_scope_name", s.name}, std::pair{"otel_scope_version", s.version}}) {
            const std::string_view v = store.strings().get(id);
            if (v.empty()) continue;
            out += label;
            out += "=\"";
            prom::append_label_value(out, v);
            out += "\",";
        }
        return out;
    }
};

std::string_view prometheus_type(const Family& f) noexcept {
    switch (f.kind) {
    case MetricKind::sum: return f.monotonic ? "counter" : "gauge";
    case MetricKind::histogram:
    case MetricKind::exponential_histogram: return "histogram";
    case MetricKind::summary: return "summary";
    default: return "gauge";
    }
}

int role_rank(Role r) noexcept { return r == Role::sum ? 2 : r == Role::count ? 3 : 1; }

void write_sample(std::string& out, std::string_view name, std::string_view suffix, Fragments& frags,
                  const SeriesKey& key, std::string_view extra_label, double extra, double value) {
    out += name;
    out += suffix;
    out += '{';
    const size_t open = out.size();
    out += frags.of_resource(key.resource);
    out += frags.of_attrs(key.attrs);
    out += frags.of_scope(key.scope);
    if (!extra_label.empty()) {
        out += extra_label;
        out += "=\"";
        prom::append_value(out, extra);
        out += "\",";
    }
    if (out.size() == open) out.pop_back();  // no labels: drop the '{'
    else out.back() = '}';
    out += ' ';
    prom::append_value(out, value);
    out += '\n';
}

void write_family(std::string& out, const Store& store, const Family& f, const std::string& name,
                  std::vector<uint32_t>& ids, Fragments& frags, std::vector<bool>& resource_used, size_t max_bytes,
                  ExpositionSkips& skips) {
    std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
        const SeriesKey& x = store.series()[a].key;
        const SeriesKey& y = store.series()[b].key;
        if (x.resource != y.resource) return x.resource < y.resource;
        if (x.scope != y.scope) return x.scope < y.scope;
        if (x.attrs != y.attrs) return x.attrs < y.attrs;
        if (role_rank(x.role) != role_rank(y.role)) return role_rank(x.role) < role_rank(y.role);
        return x.extra < y.extra;
    });
    const std::string_view description = store.strings().get(f.description);
    if (!description.empty()) prom::append_help(out, name, description);
    prom::append_type(out, name, prometheus_type(f));
    const bool histogram = f.kind == MetricKind::histogram || f.kind == MetricKind::exponential_histogram;
    bool saw_inf = false;
    const SeriesKey* group = nullptr;  // one point's series: its buckets, sum and count go together
    // Label sets already written: two OTLP series can render alike (two
    // resources with one service.name, an attribute with an empty value);
    // the first is written, the others counted.
    std::unordered_set<std::string> seen;
    std::string labels;
    bool skip = false;
    for (uint32_t id : ids) {
        const Series& s = store.series()[id];
        const bool new_group = !group || group->resource != s.key.resource || group->scope != s.key.scope ||
                               group->attrs != s.key.attrs || (!histogram && f.kind != MetricKind::summary);
        group = &s.key;
        if (new_group) {
            if (out.size() >= max_bytes) {
                ++skips.cut_short;  // the rest of this family is left out: --max-response-bytes
                return;
            }
            labels = frags.of_resource(s.key.resource);
            labels += frags.of_attrs(s.key.attrs);
            labels += frags.of_scope(s.key.scope);
            skip = !seen.insert(labels).second;
            if (skip) ++skips.duplicate_labels;
            saw_inf = false;
        }
        if (skip) continue;
        resource_used[s.key.resource] = true;
        switch (s.key.role) {
        case Role::value: write_sample(out, name, "", frags, s.key, {}, 0, s.last_value); break;
        case Role::bucket:
            saw_inf = saw_inf || std::isinf(s.key.extra);
            write_sample(out, name, "_bucket", frags, s.key, "le", s.key.extra, s.last_value);
            break;
        case Role::quantile: write_sample(out, name, "", frags, s.key, "quantile", s.key.extra, s.last_value); break;
        case Role::sum: write_sample(out, name, "_sum", frags, s.key, {}, 0, s.last_value); break;
        case Role::count:
            // A histogram point without buckets still needs its +Inf bucket.
            if (histogram && !saw_inf)
                write_sample(out, name, "_bucket", frags, s.key, "le", std::numeric_limits<double>::infinity(),
                             s.last_value);
            write_sample(out, name, "_count", frags, s.key, {}, 0, s.last_value);
            saw_inf = false;
            break;
        }
    }
}

void write_target_info(std::string& out, const Store& store, const std::vector<bool>& used, Fragments& frags,
                       ExpositionSkips& skips) {
    bool header = false;
    std::unordered_set<std::string> seen;
    for (uint32_t r = 0; r < used.size(); ++r) {
        if (!used[r]) continue;
        if (!header) {
            out += "# HELP target_info Target metadata (OTLP resource attributes)\n# TYPE target_info gauge\n";
            header = true;
        }
        std::string labels = frags.of_resource(r);
        append_joined(labels, store, store.label_set(store.resources()[r].attrs), [](std::string_view key) {
            return key == "service.name" || key == "service.namespace" || key == "service.instance.id";
        });
        if (!seen.insert(labels).second) {
            ++skips.duplicate_labels;
            continue;
        }
        out += kTargetInfo;
        if (!labels.empty()) {
            labels.back() = '}';
            out += '{';
            out += labels;
        }
        out += " 1\n";
    }
}

// Every sample name a family writes: a histogram or summary also writes
// NAME_sum and NAME_count (and NAME_bucket). Two families collide when any
// of these meet, whichever came first.
std::vector<std::string> sample_names(const Family& f, const std::string& name) {
    std::vector<std::string> out{name};
    const bool hist = f.kind == MetricKind::histogram || f.kind == MetricKind::exponential_histogram;
    if (hist) out.push_back(name + "_bucket");
    if (hist || f.kind == MetricKind::summary) {
        out.push_back(name + "_count");
        out.push_back(name + "_sum");
    }
    return out;
}

}  // namespace

ExpositionSkips render_prometheus(const Store& store, std::string& out, const FamilyTaken& family_taken,
                                  int64_t now_ns, size_t max_bytes) {
    ExpositionSkips skips;
    Fragments frags{store, {}, {}, {}};
    std::vector<bool> resource_used(store.resources().size(), false);
    std::unordered_set<std::string> claimed;  // sample names of the families written
    std::vector<uint32_t> ids;
    for (const Family& f : store.families()) {
        ids.clear();
        for (uint32_t id : f.series)
            if (store.live(store.series()[id], now_ns)) ids.push_back(id);
        if (ids.empty()) continue;
        if (out.size() >= max_bytes) {
            ++skips.response_bytes;
            continue;
        }
        const std::string name =
            prometheus_name(store.strings().get(f.name), store.strings().get(f.unit), f.kind, f.monotonic);
        const std::vector<std::string> samples = sample_names(f, name);
        const auto by_files = [&](const std::string& n) { return family_taken && family_taken(n); };
        const auto by_otlp = [&](const std::string& n) {
            return claimed.count(n) > 0 || n == kTargetInfo || n.starts_with(kSelfPrefix);
        };
        if (std::any_of(samples.begin(), samples.end(), by_files)) {
            ++skips.family_taken;
            continue;
        }
        if (std::any_of(samples.begin(), samples.end(), by_otlp)) {
            ++skips.name_collision;
            continue;
        }
        claimed.insert(samples.begin(), samples.end());
        write_family(out, store, f, name, ids, frags, resource_used, max_bytes, skips);
    }
    if ((family_taken && family_taken(kTargetInfo)) || claimed.count(std::string(kTargetInfo))) ++skips.family_taken;
    else write_target_info(out, store, resource_used, frags, skips);
    return skips;
}

}  // namespace mmwatch::otlp
