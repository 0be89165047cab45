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

// Label fragments ("k=\"v\",...") cached per render, per label set and per
// resource, so a 16-bucket histogram formats its attributes once.
struct Fragments {
    const Store& store;
    std::unordered_map<uint32_t, std::string> attrs;
    std::unordered_map<uint32_t, std::string> resources;
    std::unordered_map<uint32_t, std::string> scopes;

    static bool reserved(std::string_view name) {
        return name == "job" || name == "instance" || name == "le" || name == "quantile" ||
               name == "otel_scope_name" || name == "otel_scope_version";
    }

    // Point attributes: sanitized names; names that collide after
    // sanitization get their values joined with ';' in key order.
    const std::string& of_attrs(uint32_t set) {
        auto [it, fresh] = attrs.try_emplace(set);
        if (!fresh) return it->second;
        std::vector<std::pair<std::string, std::string>> labels;
        for (const LabelIds& l : store.label_set(set)) {
            std::string name = sanitize_label_name(store.strings().get(l.key));
            if (name.empty() || reserved(name)) continue;
            labels.emplace_back(std::move(name), std::string(store.strings().get(l.value)));
        }
        std::stable_sort(labels.begin(), labels.end(), [](auto& a, auto& b) { return a.first < b.first; });
        std::string& out = it->second;
        std::string_view last;
        for (size_t i = 0; i < labels.size(); ++i) {
            if (labels[i].second.empty()) continue;
            if (labels[i].first == last) {
                std::string more = ";";
                prom::append_label_value(more, labels[i].second);
                out.insert(out.size() - 2, more);  // before the closing quote and comma
                continue;
            }
            last = labels[i].first;
            out += labels[i].first;
            out += "=\"";
            prom::append_label_value(out, labels[i].second);
            out += "\",";
        }
        return out;
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
                  std::vector<uint32_t>& ids, Fragments& frags, std::vector<bool>& resource_used) {
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
    for (uint32_t id : ids) {
        const Series& s = store.series()[id];
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

void write_target_info(std::string& out, const Store& store, const std::vector<bool>& used, Fragments& frags) {
    bool header = false;
    for (uint32_t r = 0; r < used.size(); ++r) {
        if (!used[r]) continue;
        if (!header) {
            out += "# HELP target_info Target metadata (OTLP resource attributes)\n# TYPE target_info gauge\n";
            header = true;
        }
        std::string labels = frags.of_resource(r);
        for (const LabelIds& l : store.label_set(store.resources()[r].attrs)) {
            const std::string_view k = store.strings().get(l.key);
            if (k == "service.name" || k == "service.namespace" || k == "service.instance.id") continue;
            const std::string name = sanitize_label_name(k);
            const std::string_view v = store.strings().get(l.value);
            if (name.empty() || v.empty() || name == "job" || name == "instance") continue;
            labels += name;
            labels += "=\"";
            prom::append_label_value(labels, v);
            labels += "\",";
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

// A histogram or summary also writes NAME_sum and NAME_count (and
// NAME_bucket): any of them owned by the files makes the family clash.
bool taken(const std::function<bool(std::string_view)>& family_taken, const Family& f, const std::string& name) {
    if (family_taken(name)) return true;
    const bool hist = f.kind == MetricKind::histogram || f.kind == MetricKind::exponential_histogram;
    if (!hist && f.kind != MetricKind::summary) return false;
    return family_taken(name + "_sum") || family_taken(name + "_count") || (hist && family_taken(name + "_bucket"));
}

}  // namespace

ExpositionSkips render_prometheus(const Store& store, std::string& out,
                                  const std::function<bool(std::string_view family)>& family_taken) {
    ExpositionSkips skips;
    Fragments frags{store, {}, {}, {}};
    std::vector<bool> resource_used(store.resources().size(), false);
    std::unordered_set<std::string> written;
    std::vector<uint32_t> ids;
    for (const Family& f : store.families()) {
        ids.clear();
        for (uint32_t id : f.series)
            if (store.series()[id].stored > 0) ids.push_back(id);
        if (ids.empty()) continue;
        const std::string name =
            prometheus_name(store.strings().get(f.name), store.strings().get(f.unit), f.kind, f.monotonic);
        if (family_taken && taken(family_taken, f, name)) {
            ++skips.family_taken;
            continue;
        }
        if (name == kTargetInfo || name.starts_with(kSelfPrefix) || !written.insert(name).second) {
            ++skips.name_collision;
            continue;
        }
        write_family(out, store, f, name, ids, frags, resource_used);
    }
    if (family_taken && family_taken(kTargetInfo)) ++skips.family_taken;
    else write_target_info(out, store, resource_used, frags);
    return skips;
}

}  // namespace mmwatch::otlp
