#include "otlp/store.hpp"

#include "base/enum_names.hpp"
#include "base/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace mmwatch::otlp {

namespace {

constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNamespace = "service.namespace";
constexpr std::string_view kUnknownService = "unknown_service";
constexpr uint32_t kNoRecordedValueFlag = 1;

MMWATCH_ENUM_TABLE(Reject, kRejects) = {
    MMWATCH_ROW(series_limit, "the series cap (--otlp-max-series) is reached"),
    MMWATCH_ROW(type_conflict, "the metric name is already stored with another type"),
    MMWATCH_ROW(unspecified_temporality, "sum or histogram without a delta or cumulative aggregationTemporality"),
    MMWATCH_ROW(no_value, "number data point with neither asInt nor asDouble"),
    MMWATCH_ROW(bad_bucket_counts, "explicitBounds must increase, bucketCounts must have one more entry and sum to count"),
    MMWATCH_ROW(too_many_buckets, "more buckets or quantiles in one point than mmwatch stores"),
    MMWATCH_ROW(out_of_order, "point is older than the newest stored point of its series"),
    MMWATCH_ROW(missing_name, "metric without a name"),
    MMWATCH_ROW(memory_limit, "storing the point would take the OTLP store past --otlp-max-bytes"),
    MMWATCH_ROW(family_limit, "the cap on distinct metric names is reached"),
    MMWATCH_ROW(resource_limit, "the cap on distinct resources is reached"),
    MMWATCH_ROW(service_limit, "the cap on distinct services is reached"),
    MMWATCH_ROW(name_too_long, "metric name (with its unit) is over 256 bytes"),
    MMWATCH_ROW(label_too_long, "an attribute key is over 128 bytes or a value over 1024 bytes"),
    MMWATCH_ROW(too_many_labels, "the series would have more than 32 labels"),
    MMWATCH_ROW(bad_bound, "a histogram bound or summary quantile is NaN or infinite, a quantile is outside [0, 1], or an exponential histogram's scale is outside [-10, 20] or its zero threshold negative"),
    MMWATCH_ROW(count_overflow, "an exponential histogram's bucket count, zeroCount or count is over 2^63-1, or they (or the deltas added up) pass it"),
    MMWATCH_ROW(count_mismatch, "an exponential histogram's count is not zeroCount plus the sum of its bucket counts"),
    MMWATCH_ROW(index_out_of_range, "an exponential histogram's bucket lies outside the range of doubles at its scale"),
};
static_assert(base::rows_match(kRejects, kRejectCount));

uint64_t mix(uint64_t h, uint64_t v) noexcept {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

double seconds_per_unit(std::string_view unit, std::string_view name) noexcept {
    if (unit == "ms") return 1e-3;
    if (unit == "us" || unit == "\xc2\xb5s") return 1e-6;
    if (unit == "ns") return 1e-9;
    if (unit == "min") return 60;
    // The old semantic convention http.server.duration was in milliseconds.
    if (unit.empty() && name == "http.server.duration") return 1e-3;
    return 1;
}

struct ServiceKey {
    std::string_view ns;
    std::string_view name;
};

ServiceKey service_key(std::span<const Attr> resource_attrs) noexcept {
    ServiceKey k{{}, kUnknownService};
    for (const Attr& a : resource_attrs) {
        if (a.key == kServiceName) k.name = a.value;
        if (a.key == kServiceNamespace) k.ns = a.value;
    }
    return k;
}

int parse_status(std::string_view s) noexcept {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() ? v : 0;
}

}  // namespace

std::string_view reject_name(Reject r) noexcept { return base::name_of(kRejects, r); }

std::string_view reject_message(Reject r) noexcept { return base::message_of(kRejects, r); }

uint64_t Store::key_hash(const SeriesKey& k) noexcept {
    uint64_t extra;
    std::memcpy(&extra, &k.extra, sizeof extra);
    uint64_t h = mix(k.family, k.resource);
    h = mix(h, (uint64_t(k.scope) << 32) | k.attrs);
    return mix(h, extra ^ uint64_t(k.role));
}

uint32_t Store::find_series(const SeriesKey& key) const noexcept {
    return series_index_.find(key_hash(key), [&](uint32_t id) { return series_[id].key == key; });
}

Store::Store(StoreLimits limits) : limits_(limits), identity_budget_(size_t(limits.max_bytes)) {}

Store::~Store() = default;

// The series' latest value, for /metrics and the health figures; the point
// itself goes to the sink (the history store).
void Store::append(uint32_t series_id, int64_t t_ms, double v) {
    Series& s = series_[series_id];
    s.last_ms = t_ms;
    s.last_value = v;
    s.has_value = true;
    if (sink_) sink_->point(*this, series_id, t_ms, v);
}

std::span<const LabelIds> Store::label_set(uint32_t id) const noexcept {
    const Range r = sets_[id];
    return {set_pool_.data() + r.begin, r.size()};
}

uint32_t Store::resource_id(const DecodedRequest& req, uint32_t index) {
    if (req_resources_[index] != kNone) return req_resources_[index];
    const Range r = req.resources[index].attrs;
    const std::span<const Attr> attrs(req.attrs.data() + r.begin, r.size());
    const uint32_t set = intern_set(attrs);
    if (set == kNone) return kNone;
    auto it = resource_by_set_.find(set);
    if (it == resource_by_set_.end()) {
        if (!create_) return kNone;
        const ServiceKey key = service_key(attrs);
        const uint32_t svc = health_.service_id(key.ns, key.name);
        it = resource_by_set_.emplace(set, uint32_t(resources_.size())).first;
        resources_.push_back({set, svc});
    }
    return req_resources_[index] = it->second;
}

uint32_t Store::scope_id(const DecodedScope& s) {
    const uint32_t name = create_ ? strings_.intern(s.name) : strings_.find(s.name);
    const uint32_t version = create_ ? strings_.intern(s.version) : strings_.find(s.version);
    if (name == kNone || version == kNone) return kNone;
    const uint64_t key = (uint64_t(name) << 32) | version;
    auto it = scope_by_ids_.find(key);
    if (it == scope_by_ids_.end()) {
        if (!create_) return kNone;
        it = scope_by_ids_.emplace(key, uint32_t(scopes_.size())).first;
        scopes_.push_back({name, version});
    }
    return it->second;
}

bool Store::family_for(const DecodedMetric& m, uint32_t& family, Reject& why) {
    const uint32_t name = create_ ? strings_.intern(m.name) : strings_.find(m.name);
    if (auto it = name == kNone ? family_by_name_.end() : family_by_name_.find(name); it != family_by_name_.end()) {
        const Family& f = families_[it->second];
        const bool same = f.kind == m.kind && (m.kind != MetricKind::sum || f.monotonic == m.monotonic);
        if (!same) {
            why = Reject::type_conflict;
            return false;
        }
        family = it->second;
        return true;
    }
    if (!create_) {
        family = kNone;
        return true;
    }
    family = uint32_t(families_.size());
    const bool http = m.kind == MetricKind::histogram &&
                      (m.name == "http.server.request.duration" || m.name == "http.server.duration");
    std::string_view description = m.description;
    if (description.size() > base::kMaxOtlpDescriptionBytes) {
        description = base::utf8::prefix(description, base::kMaxOtlpDescriptionBytes);
        ++counters_.descriptions_cut;
    }
    families_.push_back({name, strings_.intern(m.unit), strings_.intern(description), m.kind, m.monotonic,
                         m.temporality, http, seconds_per_unit(m.unit, m.name), {}});
    family_by_name_.emplace(name, family);
    return true;
}

bool Store::series_for(const SeriesKey& key, uint32_t& id) {
    if (id = find_series(key); id != kNone) return true;
    if (!create_ || series_.size() >= limits_.max_series) return false;
    id = uint32_t(series_.size());
    series_.push_back({key});
    series_index_.insert(key_hash(key), id);
    Family& f = families_[key.family];
    const size_t before = f.series.capacity();
    f.series.push_back(id);
    track_family_capacity(f, before);
    return true;
}

void Store::track_family_capacity(const Family& f, size_t before) noexcept {
    family_series_bytes_ += (f.series.capacity() - before) * sizeof(uint32_t);
}

bool Store::add_series(PointCtx& pc, Role role, double extra, double value, Reject& why) {
    // -0 and 0 are one bound: one series, written "0".
    if (extra == 0) extra = 0;
    uint32_t id = kNone;
    if (!series_for({pc.family, pc.resource, pc.scope, pc.attrs, role, extra}, id)) {
        if (create_) {
            why = Reject::series_limit;
            return false;
        }
        ++missing_series_;  // lookup mode: counted, created later if admitted
    }
    point_series_.push_back(id);
    point_values_.push_back(value);
    return true;
}

// Maps one data point to (series, value) pairs: histograms and summaries
// become Prometheus-shaped number series (cumulative `le` buckets, sum,
// count, quantiles), so every stored point is a plain number.
bool Store::resolve_series(PointCtx& pc, Reject& why) {
    point_series_.clear();
    point_values_.clear();
    const DecodedPoint& p = pc.point;
    const DecodedRequest& req = pc.req;
    switch (pc.metric.kind) {
    case MetricKind::gauge:
    case MetricKind::sum:
        if (!p.has_value) return why = Reject::no_value, false;
        return add_series(pc, Role::value, 0, p.value, why);
    case MetricKind::histogram: {
        const size_t nb = p.bounds.size();
        const size_t nc = p.counts.size();
        if (nc + 1 > base::kMaxOtlpHistogramBuckets || nb + 1 > base::kMaxOtlpHistogramBuckets)
            return why = Reject::too_many_buckets, false;
        if (nc != 0 && nc != nb + 1) return why = Reject::bad_bucket_counts, false;
        for (size_t i = 0; i < nb; ++i)
            if (!std::isfinite(req.doubles[p.bounds.begin + i])) return why = Reject::bad_bound, false;
        for (size_t i = 1; i < nb; ++i)
            if (!(req.doubles[p.bounds.begin + i - 1] < req.doubles[p.bounds.begin + i]))
                return why = Reject::bad_bucket_counts, false;
        // OTLP: count must equal the sum of the bucket counts; Prometheus
        // reads it as the +Inf bucket, so a point where they differ is refused.
        uint64_t total = 0;
        bool wrapped = false;
        for (size_t i = 0; i < nc; ++i) wrapped |= __builtin_add_overflow(total, req.u64s[p.counts.begin + i], &total);
        if (nc != 0 && (wrapped || total != p.count)) return why = Reject::bad_bucket_counts, false;
        uint64_t cumulative = 0;
        for (size_t i = 0; i < nc; ++i) {
            cumulative += req.u64s[p.counts.begin + i];
            const double le = i < nb ? req.doubles[p.bounds.begin + i] : std::numeric_limits<double>::infinity();
            if (!add_series(pc, Role::bucket, le, double(cumulative), why)) return false;
        }
        break;
    }
    case MetricKind::exponential_histogram:
        if (p.counts.size() > base::kMaxOtlpHistogramBuckets || p.negative_counts.size() > base::kMaxOtlpHistogramBuckets)
            return why = Reject::too_many_buckets, false;
        if (!std::isfinite(p.zero_threshold) || p.zero_threshold < 0 || p.scale < base::kMinOtlpExponentialScale ||
            p.scale > base::kMaxOtlpExponentialScale)
            return why = Reject::bad_bound, false;
        // The classic text has no exponential buckets: the total is the
        // +Inf bucket (docs/otlp.md); the buckets themselves are kept whole
        // beside the series (keep_exponential).
        if (!add_series(pc, Role::bucket, std::numeric_limits<double>::infinity(), double(p.count), why))
            return false;
        if (!exponential_fits(pc, why)) return false;
        break;
    case MetricKind::summary:
        if (p.bounds.size() > base::kMaxOtlpSummaryQuantiles) return why = Reject::too_many_buckets, false;
        for (uint32_t i = 0; i < p.bounds.size(); ++i) {
            const double q = req.doubles[p.bounds.begin + i];
            if (!(q >= 0 && q <= 1)) return why = Reject::bad_bound, false;  // NaN fails both
        }
        for (uint32_t i = 0; i < p.bounds.size(); ++i) {
            if (!add_series(pc, Role::quantile, req.doubles[p.bounds.begin + i], req.doubles[p.values.begin + i], why))
                return false;
        }
        break;
    case MetricKind::none: return why = Reject::no_value, false;
    }
    if (p.has_sum && !add_series(pc, Role::sum, 0, p.sum, why)) return false;
    return add_series(pc, Role::count, 0, double(p.count), why);
}

// Stores a point admit() resolved: every series in point_series_ exists.
bool Store::ingest_point(PointCtx& pc, Reject& why) {
    const MetricKind kind = pc.metric.kind;
    const bool temporal = kind == MetricKind::sum || kind == MetricKind::histogram ||
                          kind == MetricKind::exponential_histogram;
    const Series& first = series_[point_series_[0]];
    if (first.has_value && pc.t_ms < first.last_ms) {
        why = Reject::out_of_order;
        return false;
    }
    // Delta sums and histograms are accumulated into cumulative values.
    const bool delta = temporal && pc.metric.temporality == Temporality::delta;
    old_values_.clear();
    had_value_.clear();
    for (size_t i = 0; i < point_series_.size(); ++i) {
        Series& s = series_[point_series_[i]];
        old_values_.push_back(s.has_value ? s.last_value : 0);
        had_value_.push_back(s.has_value);
        const double v = delta && s.has_value ? s.last_value + point_values_[i] : point_values_[i];
        append(point_series_[i], pc.t_ms, v);
        Series& stored = series_[point_series_[i]];
        stored.last_received_ns = pc.now_ns;
        // The start a cumulative series counts from (OpenMetrics _created):
        // each point's own, or for accumulated deltas the first one's.
        if (pc.point.start_ns > 0 && (!delta || !had_value_.back())) stored.start_ns = pc.point.start_ns;
    }
    if (families_[pc.family].http_duration) feed_health(pc, old_values_);
    if (kind == MetricKind::exponential_histogram) keep_exponential(pc.req, pc.point, point_series_[0], delta);
    return true;
}


// Turns one HTTP server duration point into request, error and latency
// deltas for its service. A cumulative series' first point counts in full
// only if the series started within the health window (else it is the
// baseline); a drop in count is a reset and also counts in full.
void Store::feed_health(PointCtx& pc, std::span<const double> old_values) {
    const DecodedPoint& p = pc.point;
    const size_t nc = p.counts.size();
    const size_t n = point_series_.size();  // nc buckets, [sum], count
    const bool delta = pc.metric.temporality == Temporality::delta;
    const double new_count = point_values_[n - 1];
    const double old_count = old_values[n - 1];
    bool full = delta;
    if (!delta) {
        full = had_value_[n - 1] ? new_count < old_count
                                 : p.start_ns > 0 && p.start_ns >= pc.now_ns - base::kOtlpHealthWindowMs * 1'000'000;
        if (!had_value_[n - 1] && !full) return;
    }
    auto diff = [&](size_t i) {
        const double d = full ? point_values_[i] : point_values_[i] - old_values[i];
        return d > 0 ? uint64_t(d) : uint64_t(0);
    };
    delta_scratch_.clear();
    uint64_t prev = 0;
    for (size_t i = 0; i < nc; ++i) {
        const uint64_t cum = diff(i);
        delta_scratch_.push_back(cum >= prev ? cum - prev : 0);
        prev = std::max(prev, cum);
    }
    const double scale = families_[pc.family].seconds_per_unit;
    bounds_scratch_.clear();
    for (uint32_t i = 0; i < p.bounds.size(); ++i) bounds_scratch_.push_back(pc.req.doubles[p.bounds.begin + i] * scale);
    HttpSample sample{bounds_scratch_, delta_scratch_, diff(n - 1), 0};
    if (nc == 0) sample.bounds_s = {};
    for (uint32_t i = p.attrs.begin; i < p.attrs.end; ++i) {
        const Attr& a = pc.req.attrs[i];
        if (a.key == "http.response.status_code" || a.key == "http.status_code") sample.status = parse_status(a.value);
    }
    health_.on_http(resources_[pc.resource].service, sample, pc.now_ns);
}

namespace {

bool attrs_within_caps(std::span<const Attr> attrs, Reject& why) noexcept {
    for (const Attr& a : attrs) {
        if (a.key.size() > base::kMaxOtlpLabelNameBytes || a.value.size() > base::kMaxOtlpLabelValueBytes) {
            why = Reject::label_too_long;
            return false;
        }
    }
    return true;
}

// Labels a series of this point carries besides its attributes: job,
// instance, otel_scope_name, otel_scope_version, and le or quantile.
constexpr size_t kFixedLabels = 5;

constexpr size_t kStringCost = 48;  // an interned string: two slots at half load and its view
constexpr size_t kNodeCost = 48;    // one node of a std::unordered_map, with its bucket

size_t attrs_cost(std::span<const Attr> attrs) noexcept {
    size_t b = kStringCost + 2 * sizeof(Range);  // the set's own key and range
    for (const Attr& a : attrs) b += a.key.size() + a.value.size() + 2 * kStringCost + 2 * sizeof(LabelIds);
    return b;
}

template <typename V>
size_t growth(const V& v, size_t more) noexcept {
    if (v.size() + more <= v.capacity()) return 0;
    return (std::max(v.capacity() * 2, v.size() + more) - v.capacity()) * sizeof(typename V::value_type);
}

}  // namespace

// Checks a point against every cap with lookups only, then creates what it
// needs: a refused point leaves nothing behind.
bool Store::admit(MetricCtx& mc, PointCtx& pc, Reject& why) {
    const DecodedPoint& p = pc.point;
    const MetricKind kind = mc.metric.kind;
    const bool temporal = kind == MetricKind::sum || kind == MetricKind::histogram ||
                          kind == MetricKind::exponential_histogram;
    if (temporal && mc.metric.temporality == Temporality::unspecified) return why = Reject::unspecified_temporality, false;
    const std::span<const Attr> attrs(pc.req.attrs.data() + p.attrs.begin, p.attrs.size());
    const bool number = kind == MetricKind::gauge || kind == MetricKind::sum;
    if (const uint32_t s = number ? memo_lookup(mc, pc, attrs) : kNone; s != kNone) {
        if (!p.has_value) return why = Reject::no_value, false;
        pc.attrs = series_[s].key.attrs;
        point_series_.assign(1, s);
        point_values_.assign(1, p.value);
        return true;
    }
    // A list seen before passed the caps then and maps to its set at once.
    uint32_t raw_list = kNone;
    pc.attrs = cached_set(attrs, raw_list);
    if (pc.attrs == kNone) {
        if (attrs.size() + kFixedLabels > base::kMaxOtlpLabelsPerSeries) return why = Reject::too_many_labels, false;
        if (!attrs_within_caps(attrs, why)) return false;
        create_ = false;
        pc.attrs = intern_set(attrs);
        create_ = true;
        if (pc.attrs != kNone) raw_list = remember_set(attrs, pc.attrs);
    }
    create_ = false;
    missing_series_ = 0;
    bool ok = resolve_series(pc, why);
    create_ = true;
    if (ok && missing_series_ != 0) ok = admit_new(mc, pc, raw_list, why);
    if (ok && number) memo_record(mc, pc, raw_list, point_series_[0]);
    return ok;
}

// The caps a point that needs new series is checked against, then the
// creation of what it needs.
bool Store::admit_new(MetricCtx& mc, PointCtx& pc, uint32_t& raw_list, Reject& why) {
    if (mc.family == kNone && families_.size() >= limits_.max_families) return why = Reject::family_limit, false;
    if (mc.resource == kNone && resources_.size() >= limits_.max_resources) return why = Reject::resource_limit, false;
    if (series_.size() + missing_series_ > limits_.max_series) return why = Reject::series_limit, false;
    if (identity_bytes() + new_identity_bytes(mc, pc) > identity_budget_) return why = Reject::memory_limit, false;
    return resolve_identity(mc, pc, raw_list, why);
}

size_t Store::new_identity_bytes(const MetricCtx& mc, const PointCtx& pc) const noexcept {
    const DecodedRequest& req = pc.req;
    const DecodedMetric& m = mc.metric;
    size_t b = 0;
    if (mc.family == kNone) {
        b += m.name.size() + m.unit.size() + std::min(m.description.size(), base::kMaxOtlpDescriptionBytes) +
             3 * kStringCost + sizeof(Family) + kNodeCost + growth(families_, 1);
    }
    const DecodedScope& ds = req.scopes[m.scope];
    if (mc.resource == kNone) {
        const Range r = req.resources[ds.resource].attrs;
        b += attrs_cost({req.attrs.data() + r.begin, r.size()}) + sizeof(Resource) + kNodeCost +
             ServiceHealth::kServiceBytes;
    }
    if (mc.scope == kNone) b += ds.name.size() + ds.version.size() + 2 * kStringCost + sizeof(Scope) + kNodeCost;
    if (pc.attrs == kNone) b += attrs_cost({req.attrs.data() + pc.point.attrs.begin, pc.point.attrs.size()});
    const size_t n = missing_series_;
    b += n * sizeof(uint32_t) + growth(series_, n) + series_index_.growth_bytes(n);
    if (m.kind == MetricKind::exponential_histogram)  // its buckets, kept whole
        b += sizeof(ExpHistogram) + kNodeCost + (pc.point.counts.size() + pc.point.negative_counts.size()) * 16;
    // Containers that double: the strings' table and blocks, the label sets.
    const size_t strings = 6 + 2 * (pc.point.attrs.size() + req.resources[ds.resource].attrs.size());
    b += strings_.growth_bytes(strings, b) + set_ids_.growth_bytes(2, b);
    b += growth(set_pool_, pc.point.attrs.size() + req.resources[ds.resource].attrs.size()) + growth(sets_, 2);
    return b + growth(resources_, 1) + growth(scopes_, 1);
}

// Creates what admit() found missing, in dependency order.
bool Store::resolve_identity(MetricCtx& mc, PointCtx& pc, uint32_t& raw_list, Reject& why) {
    const DecodedScope& ds = pc.req.scopes[mc.metric.scope];
    if (mc.family == kNone && !family_for(mc.metric, mc.family, why)) return false;
    if (mc.resource == kNone) {
        mc.resource = resource_id(pc.req, ds.resource);
        req_resources_[ds.resource] = mc.resource;
    }
    if (mc.scope == kNone) mc.scope = req_scopes_[mc.metric.scope] = scope_id(ds);
    pc.family = mc.family;
    pc.resource = mc.resource;
    pc.scope = mc.scope;
    if (pc.attrs == kNone) {
        const std::span<const Attr> attrs(pc.req.attrs.data() + pc.point.attrs.begin, pc.point.attrs.size());
        pc.attrs = intern_set(attrs);
        raw_list = remember_set(attrs, pc.attrs);
    }
    return resolve_series(pc, why);
}


// The one clock rule (docs/otlp.md, "Time"): a point is stored at its own
// time unless that is further than kMaxOtlpClockSkewMs from its receipt;
// then at its receipt, counted by direction.
int64_t Store::stored_time_ms(int64_t point_ns, int64_t now_ns) noexcept {
    const int64_t now_ms = now_ns / 1'000'000;
    if (point_ns == 0) return now_ms;
    const int64_t t_ms = point_ns / 1'000'000;
    if (t_ms < now_ms - base::kMaxOtlpClockSkewMs) {
        ++counters_.clock_skew_past;
        return now_ms;
    }
    if (t_ms > now_ms + base::kMaxOtlpClockSkewMs) {
        ++counters_.clock_skew_future;
        return now_ms;
    }
    return t_ms;
}

IngestResult Store::ingest(const DecodedRequest& req, int64_t now_ns) {
    IngestResult result;
    req_resources_.assign(req.resources.size(), kNone);
    req_scopes_.assign(req.scopes.size(), kNone);
    auto refuse = [&](Reject why, uint64_t n) {
        if (result.rejected == 0) result.first_reason = why;
        result.rejected += n;
        counters_.points_rejected[size_t(why)] += n;
    };
    for (const DecodedMetric& m : req.metrics) {
        if (m.kind == MetricKind::none || m.points.size() == 0) continue;
        Reject why;
        if (!metric_within_caps(req, m, why)) {
            refuse(why, m.points.size());
            continue;
        }
        const DecodedScope& ds = req.scopes[m.scope];
        create_ = false;
        MetricCtx mc{m, kNone, req_resources_[ds.resource], req_scopes_[m.scope]};
        const bool known_type = family_for(m, mc.family, why);
        if (mc.resource == kNone) mc.resource = req_resources_[ds.resource] = resource_id(req, ds.resource);
        if (mc.scope == kNone) mc.scope = req_scopes_[m.scope] = scope_id(ds);
        create_ = true;
        if (!known_type) {
            refuse(why, m.points.size());
            continue;
        }
        if (mc.resource == kNone && health_.size() >= limits_.max_services) {
            const Range r = req.resources[ds.resource].attrs;
            const ServiceKey svc = service_key({req.attrs.data() + r.begin, r.size()});
            if (!health_.contains(svc.ns, svc.name)) {
                refuse(Reject::service_limit, m.points.size());
                continue;
            }
        }
        uint64_t accepted = 0;
        for (uint32_t i = m.points.begin; i < m.points.end; ++i) {
            const DecodedPoint& p = req.points[i];
            if (p.flags & kNoRecordedValueFlag) {
                ++counters_.points_no_recorded_value;
                continue;
            }
            PointCtx pc{req,    m,       p, mc.family, mc.resource, mc.scope, kNone, stored_time_ms(p.time_ns, now_ns),
                        now_ns, i - m.points.begin};
            if (admit(mc, pc, why) && ingest_point(pc, why)) ++accepted;
            else refuse(why, 1);
        }
        result.accepted += accepted;
        counters_.points_accepted += accepted;
        if (accepted) health_.on_points(resources_[mc.resource].service, accepted, now_ns);
    }
    return result;
}

// Caps on what a sender can make mmwatch print, checked per metric: its
// name, its resource's and scope's attributes.
bool Store::metric_within_caps(const DecodedRequest& req, const DecodedMetric& m, Reject& why) const noexcept {
    if (m.name.empty()) return why = Reject::missing_name, false;
    if (m.name.size() + m.unit.size() > base::kMaxOtlpNameBytes) return why = Reject::name_too_long, false;
    const DecodedScope& ds = req.scopes[m.scope];
    if (ds.name.size() > base::kMaxOtlpLabelValueBytes || ds.version.size() > base::kMaxOtlpLabelValueBytes)
        return why = Reject::label_too_long, false;
    const Range r = req.resources[ds.resource].attrs;
    if (r.size() > base::kMaxOtlpLabelsPerSeries) return why = Reject::too_many_labels, false;
    return attrs_within_caps({req.attrs.data() + r.begin, r.size()}, why);
}

size_t Store::identity_bytes() const noexcept {
    size_t b = series_.capacity() * sizeof(Series);
    b += series_index_.memory_bytes();
    b += set_pool_.capacity() * sizeof(LabelIds) + sets_.capacity() * sizeof(Range);
    b += set_ids_.memory_bytes() + strings_.memory_bytes();
    b += raw_sets_.memory_bytes() + raw_set_ids_.capacity() * sizeof(uint32_t);
    b += families_.capacity() * sizeof(Family) + family_series_bytes_ + family_by_name_.size() * kNodeCost;
    b += resources_.capacity() * sizeof(Resource) + resource_by_set_.size() * kNodeCost;
    b += scopes_.capacity() * sizeof(Scope) + scope_by_ids_.size() * kNodeCost;
    b += exp_.size() * (sizeof(ExpHistogram) + kNodeCost) + exp_bytes_;
    return b + health_.memory_bytes();
}

}  // namespace mmwatch::otlp
