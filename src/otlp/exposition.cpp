#include "otlp/exposition.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "otlp/prom_names.hpp"
#include "prom/writer.hpp"

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

// The label pairs of `pairs`, names sanitized; names that sanitize to one
// name have their values joined with ';' in key order (the OpenTelemetry
// rule), so a label name never appears twice. Keys `skip` accepts and empty
// values are left out.
template <typename Skip>
void append_joined(prom::Writer& w, std::string& out, const Store& store, std::span<const LabelIds> pairs, Skip skip) {
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
    for (size_t i = 0; i < labels.size();) {
        std::string joined(labels[i].second);
        size_t j = i + 1;
        for (; j < labels.size() && labels[j].first == labels[i].first; ++j) {
            joined += ';';
            joined += labels[j].second;
        }
        w.label(out, labels[i].first, joined);
        i = j;
    }
}

// Label sets in the writer's encoding, cached per render, per label set
// and per resource, so a 16-bucket histogram encodes its attributes once.
struct Fragments {
    const Store& store;
    prom::Writer& w;
    std::unordered_map<uint32_t, std::string> attrs;
    std::unordered_map<uint32_t, std::string> resources;
    std::unordered_map<uint32_t, std::string> scopes;

    const std::string& of_attrs(uint32_t set) {
        auto [it, fresh] = attrs.try_emplace(set);
        if (fresh) append_joined(w, it->second, store, store.label_set(set), [](std::string_view) { return false; });
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
        if (!name.empty()) w.label(it->second, "job", ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name));
        if (!instance.empty()) w.label(it->second, "instance", instance);
        return it->second;
    }

    const std::string& of_scope(uint32_t scope) {
        auto [it, fresh] = scopes.try_emplace(scope);
        if (!fresh) return it->second;
        const Scope& s = store.scopes()[scope];
        for (auto [label, id] : {std::pair{"otel_scope_name", s.name}, std::pair{"otel_scope_version", s.version}}) {
            const std::string_view v = store.strings().get(id);
            if (!v.empty()) w.label(it->second, label, v);
        }
        return it->second;
    }
};

prom::Kind prometheus_kind(const Family& f) noexcept {
    switch (f.kind) {
    case MetricKind::sum: return f.monotonic ? prom::Kind::counter : prom::Kind::gauge;
    case MetricKind::histogram:
    case MetricKind::exponential_histogram: return prom::Kind::histogram;
    case MetricKind::summary: return prom::Kind::summary;
    default: return prom::Kind::gauge;
    }
}

int role_rank(Role r) noexcept { return r == Role::sum ? 2 : r == Role::count ? 3 : 1; }

// One side of an exponential histogram as Prometheus spans and deltas:
// OTLP bucket k holds (base^(offset+k), base^(offset+k+1)], Prometheus
// bucket i holds (base^(i-1), base^i], so i = OTLP index + 1. `shift`
// halves the resolution that many times (two buckets into one each time).
void native_side(int32_t offset, const std::vector<uint64_t>& counts, unsigned shift,
                 std::vector<prom::BucketSpan>& spans, std::vector<int64_t>& deltas) {
    int64_t last = 0;
    int64_t previous_count = 0;
    uint64_t pending = 0;  // count of the merged bucket being summed
    int64_t pending_index = 0;
    bool have_pending = false;
    const auto emit = [&](int64_t index, uint64_t count) {
        if (count == 0) return;
        if (spans.empty()) spans.push_back({int32_t(index), 0});
        else if (index != last + 1) spans.push_back({int32_t(index - last - 1), 0});
        ++spans.back().length;
        deltas.push_back(int64_t(count) - previous_count);
        previous_count = int64_t(count);
        last = index;
    };
    for (size_t k = 0; k < counts.size(); ++k) {
        const int64_t index = ((int64_t(offset) + int64_t(k)) >> shift) + 1;  // floor division for negatives too
        if (have_pending && index != pending_index) {
            emit(pending_index, pending);
            pending = 0;
        }
        pending_index = index;
        have_pending = true;
        pending += counts[k];
    }
    if (have_pending) emit(pending_index, pending);
}

void write_created(prom::Writer& w, const Series& s) {
    if (s.start_ns > 0) w.created(s.start_ns);
}

void write_family(prom::Writer& w, const Store& store, const Family& f, const std::string& name,
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
    const prom::Kind kind = prometheus_kind(f);
    w.family(name, kind, store.strings().get(f.description), unit_suffix(store.strings().get(f.unit)));
    const bool histogram = f.kind == MetricKind::histogram || f.kind == MetricKind::exponential_histogram;
    // The protobuf format carries exponential histograms exactly (native).
    const bool native = f.kind == MetricKind::exponential_histogram && w.format() == prom::Format::protobuf;
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
            if (w.size() >= max_bytes) {
                ++skips.cut_short;  // the rest of this family is left out: --max-response-bytes
                return;
            }
            labels = frags.of_resource(s.key.resource);
            labels += frags.of_attrs(s.key.attrs);
            labels += frags.of_scope(s.key.scope);
            skip = !seen.insert(labels).second;
            if (skip) ++skips.duplicate_labels;
            saw_inf = false;
            if (!skip) w.metric(labels);
            if (!skip && native) {
                const ExpHistogram* e = store.exponential(id);
                prom::NativeHistogram h;
                if (e && to_native(*e, h)) {
                    resource_used[s.key.resource] = true;
                    w.native(h);
                    write_created(w, s);
                    skip = true;  // the group's +Inf, sum and count series are in it
                } else if (e) {
                    ++skips.native_scale;  // sent as the classic approximation below
                }
            }
        }
        if (skip) continue;
        resource_used[s.key.resource] = true;
        switch (s.key.role) {
        case Role::value:
            w.value(s.last_value);
            if (kind == prom::Kind::counter) write_created(w, s);
            break;
        case Role::bucket:
            saw_inf = saw_inf || std::isinf(s.key.extra);
            w.bucket(s.key.extra, s.last_value);
            break;
        case Role::quantile: w.quantile(s.key.extra, s.last_value); break;
        case Role::sum: w.sum(s.last_value); break;
        case Role::count:
            // A histogram point without buckets still needs its +Inf bucket.
            if (histogram && !saw_inf) w.bucket(std::numeric_limits<double>::infinity(), s.last_value);
            w.count(s.last_value);
            write_created(w, s);
            saw_inf = false;
            break;
        }
    }
}

void write_target_info(prom::Writer& w, const Store& store, const std::vector<bool>& used, Fragments& frags,
                       ExpositionSkips& skips) {
    bool header = false;
    std::unordered_set<std::string> seen;
    for (uint32_t r = 0; r < used.size(); ++r) {
        if (!used[r]) continue;
        if (!header) {
            w.family(kTargetInfo, prom::Kind::info, "Target metadata (OTLP resource attributes)");
            header = true;
        }
        std::string labels = frags.of_resource(r);
        append_joined(w, labels, store, store.label_set(store.resources()[r].attrs), [](std::string_view key) {
            return key == "service.name" || key == "service.namespace" || key == "service.instance.id";
        });
        if (!seen.insert(labels).second) {
            ++skips.duplicate_labels;
            continue;
        }
        w.metric(labels);
        w.value(1);
    }
}

// Every sample name a family writes: a histogram or summary also writes
// NAME_sum and NAME_count (and NAME_bucket). Two families collide when any
// of these meet, whichever came first.
std::vector<std::string> sample_names(const Family& f, const std::string& name) {
    std::vector<std::string> out{name};
    // OpenMetrics also writes a counter's family name without _total, and
    // NAME_created for counters, histograms and summaries.
    if (f.kind == MetricKind::sum && f.monotonic && name.ends_with("_total")) {
        const std::string base = name.substr(0, name.size() - 6);
        out.push_back(base);
        out.push_back(base + "_created");
    }
    const bool hist = f.kind == MetricKind::histogram || f.kind == MetricKind::exponential_histogram;
    if (hist) out.push_back(name + "_bucket");
    if (hist || f.kind == MetricKind::summary) {
        out.push_back(name + "_count");
        out.push_back(name + "_sum");
        out.push_back(name + "_created");
    }
    return out;
}

}  // namespace

bool to_native(const ExpHistogram& e, prom::NativeHistogram& h) {
    if (e.scale < kMinNativeSchema) return false;
    const unsigned shift = e.scale > kMaxNativeSchema ? unsigned(e.scale - kMaxNativeSchema) : 0;
    h = {};
    h.schema = e.scale - int32_t(shift);
    h.zero_threshold = e.zero_threshold;
    h.zero_count = e.zero_count;
    h.count = e.count;
    h.sum = e.sum;
    native_side(e.positive_offset, e.positive, shift, h.positive_spans, h.positive_deltas);
    native_side(e.negative_offset, e.negative, shift, h.negative_spans, h.negative_deltas);
    return true;
}

void write_series(const Store& store, uint32_t series_id, prom::Writer& w, double value) {
    const Series& s = store.series()[series_id];
    const Family& f = store.families()[s.key.family];
    const std::string name =
        prometheus_name(store.strings().get(f.name), store.strings().get(f.unit), f.kind, f.monotonic);
    w.family(name, prometheus_kind(f), store.strings().get(f.description), unit_suffix(store.strings().get(f.unit)));
    Fragments frags{store, w, {}, {}, {}};
    std::string labels = frags.of_resource(s.key.resource);
    labels += frags.of_attrs(s.key.attrs);
    labels += frags.of_scope(s.key.scope);
    w.metric(labels);
    switch (s.key.role) {
    case Role::value: w.value(value); break;
    case Role::bucket: w.bucket(s.key.extra, value); break;
    case Role::quantile: w.quantile(s.key.extra, value); break;
    case Role::sum: w.sum(value); break;
    case Role::count: w.count(value); break;
    }
}

NameVerdict NameClaims::decide(const Store& store, uint32_t family, const TakenNames& taken, std::string& name) {
    const Family& f = store.families()[family];
    name = prometheus_name(store.strings().get(f.name), store.strings().get(f.unit), f.kind, f.monotonic);
    const std::vector<std::string> samples = sample_names(f, name);
    const auto by_page = [&](const std::string& n) { return taken.taken(n); };
    const auto by_otlp = [&](const std::string& n) {
        return claimed_.count(n) > 0 || n == kTargetInfo || n.starts_with(kSelfPrefix);
    };
    if (std::any_of(samples.begin(), samples.end(), by_page)) return NameVerdict::taken;
    if (std::any_of(samples.begin(), samples.end(), by_otlp)) return NameVerdict::collision;
    // A node: the string (and its heap part past the short-string buffer),
    // a next pointer and the cached hash.
    constexpr size_t kNodeBytes = sizeof(std::string) + 2 * sizeof(void*);
    const size_t inline_chars = std::string().capacity();
    for (const std::string& n : samples)
        if (claimed_.insert(n).second) node_bytes_ += kNodeBytes + (n.size() > inline_chars ? n.size() + 1 : 0);
    return NameVerdict::written;
}

size_t NameClaims::memory_bytes() const noexcept { return node_bytes_ + claimed_.bucket_count() * sizeof(void*); }

ExpositionSkips render_prometheus(const Store& store, prom::Writer& w, const TakenNames& taken, int64_t now_ns,
                                  size_t max_bytes) {
    ExpositionSkips skips;
    Fragments frags{store, w, {}, {}, {}};
    std::vector<bool> resource_used(store.resources().size(), false);
    NameClaims claims;
    std::vector<uint32_t> ids;
    std::string name;
    for (uint32_t family = 0; family < store.families().size(); ++family) {
        const Family& f = store.families()[family];
        ids.clear();
        for (uint32_t id : f.series)
            if (store.live(store.series()[id], now_ns)) ids.push_back(id);
        if (ids.empty()) continue;
        if (w.size() >= max_bytes) {
            ++skips.response_bytes;
            continue;
        }
        switch (claims.decide(store, family, taken, name)) {
        case NameVerdict::taken: ++skips.family_taken; continue;
        case NameVerdict::collision: ++skips.name_collision; continue;
        default: break;
        }
        write_family(w, store, f, name, ids, frags, resource_used, max_bytes, skips);
    }
    if (taken.taken(kTargetInfo) || claims.claimed(kTargetInfo)) ++skips.family_taken;
    else write_target_info(w, store, resource_used, frags, skips);
    return skips;
}

}  // namespace mmwatch::otlp
