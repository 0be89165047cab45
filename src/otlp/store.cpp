#include "otlp/store.hpp"

#include "base/enum_names.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace mmwatch::otlp {

namespace {

constexpr NameAndMessage kRejects[kRejectCount] = {
    {"series_limit", "the series cap (--otlp-max-series) is reached"},
    {"type_conflict", "the metric name is already stored with another type"},
    {"unspecified_temporality", "sum or histogram without a delta or cumulative aggregationTemporality"},
    {"no_value", "number data point with neither asInt nor asDouble"},
    {"bad_bucket_counts", "explicitBounds must increase and bucketCounts must have one more entry"},
    {"too_many_buckets", "more buckets or quantiles in one point than mmwatch stores"},
    {"out_of_order", "point is older than the newest stored point of its series"},
    {"missing_name", "metric without a name"},
};

constexpr std::string_view kServiceName = "service.name";
constexpr std::string_view kServiceNamespace = "service.namespace";
constexpr std::string_view kUnknownService = "unknown_service";
constexpr uint32_t kNoRecordedValueFlag = 1;

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

int parse_status(std::string_view s) noexcept {
    int v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && end == s.data() + s.size() ? v : 0;
}

}  // namespace

std::string_view reject_name(Reject r) noexcept { return name_of(kRejects, r); }

std::string_view reject_message(Reject r) noexcept { return message_of(kRejects, r); }

size_t Store::KeyHash::operator()(const SeriesKey& k) const noexcept {
    uint64_t extra;
    std::memcpy(&extra, &k.extra, sizeof extra);
    uint64_t h = mix(k.family, k.resource);
    h = mix(h, (uint64_t(k.scope) << 32) | k.attrs);
    return size_t(mix(h, extra ^ uint64_t(k.role)));
}

struct Store::PointCtx {
    const DecodedRequest& req;
    const DecodedMetric& metric;
    const DecodedPoint& point;
    uint32_t family;
    uint32_t resource;
    uint32_t scope;
    uint32_t attrs;
    int64_t t_ms;
    int64_t now_ns;
};

Store::Store(StoreLimits limits) : limits_(limits) {
    max_chunks_ = std::max<size_t>(1, limits_.max_points / kPointsPerChunk);
}

Store::~Store() = default;

std::span<const LabelIds> Store::label_set(uint32_t id) const noexcept {
    const Range r = sets_[id];
    return {set_pool_.data() + r.begin, r.size()};
}

uint32_t Store::intern_set(std::span<const Attr> attrs) {
    pair_scratch_.clear();
    for (const Attr& a : attrs) pair_scratch_.push_back({strings_.intern(a.key), strings_.intern(a.value)});
    // Insertion sort: attribute lists are short, and std::stable_sort
    // would allocate a buffer per point.
    for (size_t i = 1; i < pair_scratch_.size(); ++i) {
        const LabelIds x = pair_scratch_[i];
        size_t j = i;
        for (; j > 0 && pair_scratch_[j - 1].key > x.key; --j) pair_scratch_[j] = pair_scratch_[j - 1];
        pair_scratch_[j] = x;
    }
    // A key given twice keeps its last value.
    size_t n = 0;
    for (size_t i = 0; i < pair_scratch_.size(); ++i) {
        if (i + 1 < pair_scratch_.size() && pair_scratch_[i + 1].key == pair_scratch_[i].key) continue;
        pair_scratch_[n++] = pair_scratch_[i];
    }
    pair_scratch_.resize(n);
    const uint32_t id =
        set_ids_.intern({reinterpret_cast<const char*>(pair_scratch_.data()), n * sizeof(LabelIds)});
    if (id == sets_.size()) {
        sets_.push_back({uint32_t(set_pool_.size()), uint32_t(set_pool_.size() + n)});
        set_pool_.insert(set_pool_.end(), pair_scratch_.begin(), pair_scratch_.end());
    }
    return id;
}

uint32_t Store::resource_id(const DecodedRequest& req, uint32_t index) {
    if (req_resources_[index] != kNone) return req_resources_[index];
    const Range r = req.resources[index].attrs;
    const std::span<const Attr> attrs(req.attrs.data() + r.begin, r.size());
    const uint32_t set = intern_set(attrs);
    auto it = resource_by_set_.find(set);
    if (it == resource_by_set_.end()) {
        std::string_view name = kUnknownService, ns;
        for (const Attr& a : attrs) {
            if (a.key == kServiceName) name = a.value;
            if (a.key == kServiceNamespace) ns = a.value;
        }
        const uint32_t svc = health_.service_id(ns, name);
        it = resource_by_set_.emplace(set, uint32_t(resources_.size())).first;
        resources_.push_back({set, svc});
    }
    return req_resources_[index] = it->second;
}

uint32_t Store::scope_id(const DecodedScope& s) {
    const uint32_t name = strings_.intern(s.name);
    const uint32_t version = strings_.intern(s.version);
    const uint64_t key = (uint64_t(name) << 32) | version;
    auto it = scope_by_ids_.find(key);
    if (it == scope_by_ids_.end()) {
        it = scope_by_ids_.emplace(key, uint32_t(scopes_.size())).first;
        scopes_.push_back({name, version});
    }
    return it->second;
}

bool Store::family_for(const DecodedMetric& m, uint32_t& family, Reject& why) {
    const uint32_t name = strings_.intern(m.name);
    if (auto it = family_by_name_.find(name); it != family_by_name_.end()) {
        const Family& f = families_[it->second];
        const bool same = f.kind == m.kind && (m.kind != MetricKind::sum || f.monotonic == m.monotonic);
        if (!same) {
            why = Reject::type_conflict;
            return false;
        }
        family = it->second;
        return true;
    }
    family = uint32_t(families_.size());
    const bool http = m.kind == MetricKind::histogram &&
                      (m.name == "http.server.request.duration" || m.name == "http.server.duration");
    families_.push_back({name, strings_.intern(m.unit), strings_.intern(m.description), m.kind, m.monotonic,
                         m.temporality, http, seconds_per_unit(m.unit, m.name), {}});
    family_by_name_.emplace(name, family);
    return true;
}

bool Store::series_for(const SeriesKey& key, uint32_t& id) {
    if (auto it = series_by_key_.find(key); it != series_by_key_.end()) {
        id = it->second;
        return true;
    }
    if (series_.size() >= limits_.max_series) return false;
    id = uint32_t(series_.size());
    series_.push_back({key});
    series_by_key_.emplace(key, id);
    families_[key.family].series.push_back(id);
    return true;
}

bool Store::add_series(PointCtx& pc, Role role, double extra, double value, Reject& why) {
    uint32_t id;
    if (!series_for({pc.family, pc.resource, pc.scope, pc.attrs, role, extra}, id)) {
        why = Reject::series_limit;
        return false;
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
        if (nc + 1 > kMaxOtlpHistogramBuckets || nb + 1 > kMaxOtlpHistogramBuckets)
            return why = Reject::too_many_buckets, false;
        if (nc != 0 && nc != nb + 1) return why = Reject::bad_bucket_counts, false;
        for (size_t i = 1; i < nb; ++i)
            if (!(req.doubles[p.bounds.begin + i - 1] < req.doubles[p.bounds.begin + i]))
                return why = Reject::bad_bucket_counts, false;
        uint64_t cumulative = 0;
        for (size_t i = 0; i < nc; ++i) {
            cumulative += req.u64s[p.counts.begin + i];
            const double le = i < nb ? req.doubles[p.bounds.begin + i] : std::numeric_limits<double>::infinity();
            if (!add_series(pc, Role::bucket, le, double(cumulative), why)) return false;
        }
        break;
    }
    case MetricKind::exponential_histogram:
        // Classic text exposition has no exponential buckets: keep the
        // total as the +Inf bucket (docs/otlp.md).
        if (!add_series(pc, Role::bucket, std::numeric_limits<double>::infinity(), double(p.count), why))
            return false;
        break;
    case MetricKind::summary:
        if (p.bounds.size() > kMaxOtlpSummaryQuantiles) return why = Reject::too_many_buckets, false;
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

bool Store::ingest_point(PointCtx& pc, Reject& why) {
    const MetricKind kind = pc.metric.kind;
    const bool temporal = kind == MetricKind::sum || kind == MetricKind::histogram ||
                          kind == MetricKind::exponential_histogram;
    if (temporal && pc.metric.temporality == Temporality::unspecified) {
        why = Reject::unspecified_temporality;
        return false;
    }
    if (!resolve_series(pc, why)) return false;
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
        series_[point_series_[i]].last_received_ns = pc.now_ns;
    }
    if (families_[pc.family].http_duration) feed_health(pc, old_values_);
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
                                 : p.start_ns > 0 && p.start_ns >= pc.now_ns - kOtlpHealthWindowMs * 1'000'000;
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
        uint32_t family;
        if (m.name.empty()) {
            refuse(Reject::missing_name, m.points.size());
            continue;
        }
        if (!family_for(m, family, why)) {
            refuse(why, m.points.size());
            continue;
        }
        const DecodedScope& ds = req.scopes[m.scope];
        if (req_scopes_[m.scope] == kNone) req_scopes_[m.scope] = scope_id(ds);
        const uint32_t resource = resource_id(req, ds.resource);
        uint64_t accepted = 0;
        for (uint32_t i = m.points.begin; i < m.points.end; ++i) {
            const DecodedPoint& p = req.points[i];
            if (p.flags & kNoRecordedValueFlag) {
                ++counters_.points_no_recorded_value;
                continue;
            }
            const uint32_t attrs = intern_set({req.attrs.data() + p.attrs.begin, p.attrs.size()});
            const int64_t t_ns = p.time_ns ? p.time_ns : now_ns;
            PointCtx pc{req, m, p, family, resource, req_scopes_[m.scope], attrs, t_ns / 1'000'000, now_ns};
            if (ingest_point(pc, why)) ++accepted;
            else refuse(why, 1);
        }
        result.accepted += accepted;
        counters_.points_accepted += accepted;
        if (accepted) health_.on_points(resources_[resource].service, accepted, now_ns);
    }
    return result;
}

void Store::append(uint32_t series_id, int64_t t_ms, double v) {
    {
        const Series& s = series_[series_id];
        const bool need_chunk = s.tail_chunk == kNone || s.tail_len == kPointsPerChunk ||
                                t_ms - chunk(s.tail_chunk).base_ms > int64_t(UINT32_MAX);
        if (need_chunk) {
            const uint32_t c = alloc_chunk();  // may evict, even from this series
            Series& t = series_[series_id];
            chunk(c).base_ms = t_ms;
            chunk_next_[c] = kNone;
            chunk_series_[c] = series_id;
            if (t.tail_chunk == kNone) {
                t.head_chunk = c;
                t.head_off = 0;
            } else {
                chunk_next_[t.tail_chunk] = c;
            }
            t.tail_chunk = c;
            t.tail_len = 0;
        }
    }
    Series& s = series_[series_id];
    ChunkData& d = chunk(s.tail_chunk);
    d.dt_ms[s.tail_len] = uint32_t(t_ms - d.base_ms);
    d.value[s.tail_len] = v;
    ++s.tail_len;
    ++s.stored;
    ++stored_points_;
    s.last_ms = t_ms;
    s.last_value = v;
    s.has_value = true;
}

// Chunks come from the free list, then from new slabs up to the cap, then
// from the oldest live chunk: chunk_order_ holds allocations oldest first,
// and a series' chunks are allocated in order, so the oldest live chunk is
// always the head of its series.
uint32_t Store::alloc_chunk() {
    uint32_t c;
    if (!free_chunks_.empty()) {
        c = free_chunks_.back();
        free_chunks_.pop_back();
    } else if (chunk_series_.size() < max_chunks_) {
        c = uint32_t(chunk_series_.size());
        if (c % kChunksPerSlab == 0) slabs_.push_back(std::make_unique<ChunkData[]>(kChunksPerSlab));
        chunk_next_.push_back(kNone);
        chunk_series_.push_back(kNone);
        chunk_gen_.push_back(0);
    } else {
        for (;;) {
            const auto [oc, gen] = order_pop();
            if (chunk_gen_[oc] != gen || chunk_series_[oc] == kNone) continue;
            Series& owner = series_[chunk_series_[oc]];
            if (owner.head_chunk != oc) continue;
            counters_.evicted_capacity += drop_head(owner);
            break;
        }
        c = free_chunks_.back();
        free_chunks_.pop_back();
    }
    ++chunk_gen_[c];
    order_push(c, chunk_gen_[c]);
    return c;
}

bool Store::order_live(size_t i) const noexcept {
    const auto [c, gen] = order_[i % order_.size()];
    return chunk_gen_[c] == gen && chunk_series_[c] != kNone;
}

std::pair<uint32_t, uint32_t> Store::order_pop() noexcept {
    const auto e = order_[order_head_];
    order_head_ = (order_head_ + 1) % order_.size();
    --order_size_;
    return e;
}

// The allocation order is a ring that grows only while the pool does: when
// full it first drops the entries of freed chunks (at most max_chunks_ are
// live), so steady-state ingest never allocates here.
void Store::order_push(uint32_t c, uint32_t gen) {
    if (order_size_ == order_.size()) {
        std::vector<std::pair<uint32_t, uint32_t>> live;
        live.reserve(std::max<size_t>(64, order_.size()));
        for (size_t i = 0; i < order_size_; ++i)
            if (order_live(order_head_ + i)) live.push_back(order_[(order_head_ + i) % order_.size()]);
        if (live.size() * 2 > live.capacity()) live.reserve(live.capacity() * 2);
        order_size_ = live.size();
        live.resize(live.capacity());
        order_ = std::move(live);
        order_head_ = 0;
    }
    order_[(order_head_ + order_size_) % order_.size()] = {c, gen};
    ++order_size_;
}

size_t Store::drop_head(Series& s) {
    const uint32_t c = s.head_chunk;
    const size_t n = (c == s.tail_chunk ? s.tail_len : kPointsPerChunk) - s.head_off;
    s.stored -= uint32_t(n);
    stored_points_ -= n;
    if (c == s.tail_chunk) {
        s.head_chunk = s.tail_chunk = kNone;
        s.tail_len = 0;
    } else {
        s.head_chunk = chunk_next_[c];
    }
    s.head_off = 0;
    chunk_series_[c] = kNone;
    ++chunk_gen_[c];
    free_chunks_.push_back(c);
    return n;
}

size_t Store::trim_series(Series& s, int64_t cutoff_ms) {
    size_t removed = 0;
    while (s.head_chunk != kNone) {
        const ChunkData& d = chunk(s.head_chunk);
        const size_t end = s.head_chunk == s.tail_chunk ? s.tail_len : kPointsPerChunk;
        size_t i = s.head_off;
        while (i < end && d.base_ms + int64_t(d.dt_ms[i]) < cutoff_ms) ++i;
        if (i == end) {
            removed += drop_head(s);
            continue;
        }
        const size_t n = i - s.head_off;
        s.stored -= uint32_t(n);
        stored_points_ -= n;
        s.head_off = uint16_t(i);
        removed += n;
        break;
    }
    return removed;
}

void Store::tick(int64_t now_ns) {
    const int64_t cutoff_ms = now_ns / 1'000'000 - limits_.window_ms;
    for (size_t budget = std::min(kOtlpEvictSeriesPerTick, series_.size()); budget > 0; --budget) {
        if (evict_cursor_ >= series_.size()) evict_cursor_ = 0;
        counters_.evicted_window += trim_series(series_[evict_cursor_++], cutoff_ms);
    }
    // Entries of freed chunks at the front of the order are dead weight.
    while (order_size_ > 0 && !order_live(order_head_)) (void)order_pop();
}

size_t Store::chunk_bytes() const noexcept { return slabs_.size() * kChunksPerSlab * sizeof(ChunkData); }

size_t Store::memory_bytes() const noexcept {
    // Node-based maps: key/value plus about two pointers and a hash per node.
    constexpr size_t kNodeOverhead = 32;
    size_t b = chunk_bytes();
    b += (chunk_next_.capacity() + chunk_series_.capacity() + chunk_gen_.capacity() + free_chunks_.capacity()) * 4;
    b += order_.capacity() * 8;
    b += series_.capacity() * sizeof(Series);
    b += series_by_key_.size() * (sizeof(SeriesKey) + 4 + kNodeOverhead) + series_by_key_.bucket_count() * 8;
    b += set_pool_.capacity() * sizeof(LabelIds) + sets_.capacity() * sizeof(Range);
    b += set_ids_.memory_bytes() + strings_.memory_bytes();
    for (const Family& f : families_) b += sizeof(Family) + f.series.capacity() * 4;
    return b;
}

}  // namespace mmwatch::otlp
