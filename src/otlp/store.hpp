// The OTLP store: interned names and labels, one compact id per series,
// and each series' latest value (what /metrics and the health figures
// need). The points themselves are handed, at their own timestamps (after
// the clock rule), to a PointSink: the daemon's history store keeps them
// (docs/otlp.md, "History"); there is no second ring of points here.
// Pure: fed DecodedRequests and a clock value, never touches IO. It holds
// data only; the receiver (receiver.hpp) owns decoding and its counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/limits.hpp"
#include "otlp/decoded.hpp"
#include "base/id_index.hpp"
#include "otlp/service_health.hpp"
#include "otlp/string_index.hpp"

namespace mmwatch::otlp {

inline constexpr uint32_t kNone = 0xffffffffu;

// Why a data point was refused; each has a counter and a name shown in
// partialSuccess.errorMessage, /metrics and docs/otlp.md.
enum class Reject : uint8_t {
    series_limit,
    type_conflict,
    unspecified_temporality,
    no_value,
    bad_bucket_counts,
    too_many_buckets,
    out_of_order,
    missing_name,
    memory_limit,      // --otlp-max-bytes: the point needs new strings or series past the budget
    family_limit,      // kDefaultOtlpMaxFamilies distinct metric names
    resource_limit,    // kDefaultOtlpMaxResources distinct resources
    service_limit,     // kDefaultOtlpMaxServices distinct services
    name_too_long,     // metric name over kMaxOtlpNameBytes
    label_too_long,    // an attribute key or value (point, resource, scope) over its cap
    too_many_labels,   // over kMaxOtlpLabelsPerSeries labels
    bad_bound,         // a histogram bound or summary quantile that is NaN, infinite or outside [0, 1]
    // Exponential histograms a native histogram could not carry exactly
    // (store_exponential.cpp): a scrape of them would fail or be wrong.
    count_overflow,    // a bucket count, zero_count or count (or their sum, or a delta's total) over 2^63-1
    count_mismatch,    // count is not zero_count plus the sum of the buckets
    index_out_of_range,  // a bucket's bounds leave the doubles at its scale (or the int32 of a span)
};
inline constexpr size_t kRejectCount = size_t(Reject::index_out_of_range) + 1;
[[nodiscard]] std::string_view reject_name(Reject r) noexcept;
[[nodiscard]] std::string_view reject_message(Reject r) noexcept;

struct StoreLimits {
    int64_t window_ms = int64_t(base::kDefaultOtlpWindowMs);
    size_t max_series = base::kDefaultOtlpMaxSeries;
    uint64_t max_bytes = base::kDefaultOtlpMaxBytes;  // identities: strings, label sets, series, ...
    size_t max_families = base::kDefaultOtlpMaxFamilies;
    size_t max_resources = base::kDefaultOtlpMaxResources;
    size_t max_services = base::kDefaultOtlpMaxServices;
};

// Strings interned once; ids are dense and stable for the store's life.
using Interner = StringIndex;

// A label pair as interned ids.
struct LabelIds {
    uint32_t key;
    uint32_t value;
};

enum class Role : uint8_t { value, bucket, sum, count, quantile };
inline constexpr size_t kRoleCount = size_t(Role::quantile) + 1;

struct SeriesKey {
    uint32_t family;
    uint32_t resource;
    uint32_t scope;
    uint32_t attrs;  // interned label set of the point's attributes
    Role role;
    double extra;    // `le` for buckets, quantile for quantiles, else 0
    bool operator==(const SeriesKey&) const = default;
};

struct Series {
    SeriesKey key;
    int64_t last_ms = 0;
    double last_value = 0;  // newest value (cumulative for delta sums)
    bool has_value = false;
    int64_t last_received_ns = 0;
    int64_t start_ns = 0;  // the newest point's start time (delta: the first's); 0 when unknown
};

struct Family {
    uint32_t name;
    uint32_t unit;
    uint32_t description;
    MetricKind kind;
    bool monotonic;
    Temporality temporality;
    bool http_duration;      // feeds service health
    double seconds_per_unit; // for http_duration families
    std::vector<uint32_t> series;
    // Number points: the series each position of the last request held,
    // for one resource and scope (docs/otlp.md, "Ingest cost").
    struct Memo {
        uint32_t raw_list;  // the attribute list as sent (Store::raw_sets_)
        uint32_t series;
    };
    std::vector<Memo> memo;
    uint32_t memo_resource = 0xffffffffu;
    uint32_t memo_scope = 0xffffffffu;
};

struct Resource {
    uint32_t attrs;    // interned label set
    uint32_t service;  // index into the health table
};

struct Scope {
    uint32_t name;
    uint32_t version;
};

// The latest exponential histogram of a series, exactly as sent (delta
// points added up), so a native-histogram exposition can serve it without
// loss; the classic text keeps its +Inf/_sum/_count approximation.
struct ExpHistogram {
    int32_t scale = 0;
    uint64_t zero_count = 0;
    double zero_threshold = 0;
    int32_t positive_offset = 0;
    int32_t negative_offset = 0;
    std::vector<uint64_t> positive;
    std::vector<uint64_t> negative;
    double sum = 0;
    uint64_t count = 0;
    bool has_min = false;
    bool has_max = false;
    double min = 0;
    double max = 0;
};

class Store;

// Where the points go (the daemon's history store): each accepted value of
// each series, at the time it is stored at (the point's own, or its
// receipt under the clock rule), cumulative for delta sums. Called inside
// ingest(), once the series exists and its latest value is set.
class PointSink {
public:
    virtual void point(const Store& store, uint32_t series_id, int64_t t_ms, double value) = 0;

protected:
    ~PointSink() = default;
};

struct IngestResult {
    uint64_t accepted = 0;
    uint64_t rejected = 0;
    Reject first_reason = Reject::series_limit;
};

struct StoreCounters {
    uint64_t points_accepted = 0;
    uint64_t points_rejected[kRejectCount] = {};
    uint64_t points_no_recorded_value = 0;  // flagged "no recorded value": skipped, not refused
    uint64_t clock_skew_past = 0;    // stamped over kMaxOtlpClockSkewMs before receipt: stored at receipt
    uint64_t clock_skew_future = 0;  // stamped over kMaxOtlpClockSkewMs after receipt: stored at receipt
    uint64_t descriptions_cut = 0;   // HELP text over kMaxOtlpDescriptionBytes, cut
};

class Store {
public:
    explicit Store(StoreLimits limits);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Stores every point it can; all-or-nothing per data point.
    IngestResult ingest(const DecodedRequest& req, int64_t now_ns);
    // Where accepted points go from now on (null: nowhere; tests, fuzzers).
    void set_sink(PointSink* sink) noexcept { sink_ = sink; }

    [[nodiscard]] const StoreLimits& limits() const noexcept { return limits_; }
    [[nodiscard]] const StoreCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const Interner& strings() const noexcept { return strings_; }
    [[nodiscard]] std::span<const LabelIds> label_set(uint32_t id) const noexcept;
    [[nodiscard]] const std::vector<Family>& families() const noexcept { return families_; }
    [[nodiscard]] const std::vector<Series>& series() const noexcept { return series_; }
    [[nodiscard]] const std::vector<Resource>& resources() const noexcept { return resources_; }
    [[nodiscard]] const std::vector<Scope>& scopes() const noexcept { return scopes_; }
    [[nodiscard]] const ServiceHealth& health() const noexcept { return health_; }
    // The exponential histogram behind a series of an exponential-histogram
    // family (any of its +Inf, _sum or _count series), or null.
    [[nodiscard]] const ExpHistogram* exponential(uint32_t series_id) const;
    // The store's memory, counted from container capacities and interned
    // bytes (docs/otlp.md, "Memory"): strings, label sets, series,
    // families, resources, scopes, services and their maps. O(1).
    [[nodiscard]] size_t memory_bytes() const noexcept { return identity_bytes(); }
    [[nodiscard]] size_t identity_bytes() const noexcept;
    // The budget identity_bytes() is held under (--otlp-max-bytes).
    [[nodiscard]] size_t identity_budget() const noexcept { return identity_budget_; }
    // Whether a series is shown on /metrics: it received a point within
    // --otlp-window (by receipt time, whatever the points' timestamps).
    [[nodiscard]] bool live(const Series& s, int64_t now_ns) const noexcept {
        return s.has_value && s.last_received_ns >= now_ns - limits_.window_ms * 1'000'000;
    }


private:
    [[nodiscard]] static uint64_t key_hash(const SeriesKey& k) noexcept;
    [[nodiscard]] uint32_t find_series(const SeriesKey& key) const noexcept;
    // What ingest() knows of the point and the metric at hand.
    struct PointCtx {
        const DecodedRequest& req;
        const DecodedMetric& metric;
        const DecodedPoint& point;
        uint32_t family;
        uint32_t resource;
        uint32_t scope;
        uint32_t attrs;
        int64_t t_ms;
        int64_t now_ns;
        uint32_t index;  // the point's position in its metric
    };

    // What one metric of a request resolves to; kNone until found or created.
    struct MetricCtx {
        const DecodedMetric& metric;
        uint32_t family;
        uint32_t resource;
        uint32_t scope;
    };

    // Each lookup has two modes: with create_ false it only finds (kNone
    // when missing), so a point is checked against every cap before any of
    // it is stored; with create_ true it adds what is missing.
    uint32_t intern_set(std::span<const Attr> attrs);
    uint32_t resource_id(const DecodedRequest& req, uint32_t index);
    uint32_t scope_id(const DecodedScope& s);
    bool family_for(const DecodedMetric& m, uint32_t& family, Reject& why);
    bool series_for(const SeriesKey& key, uint32_t& id);
    bool resolve_series(PointCtx& pc, Reject& why);
    bool ingest_point(PointCtx& pc, Reject& why);
    bool admit(MetricCtx& mc, PointCtx& pc, Reject& why);
    [[nodiscard]] uint32_t memo_lookup(const MetricCtx& mc, const PointCtx& pc, std::span<const Attr> attrs) const noexcept;
    void memo_record(const MetricCtx& mc, const PointCtx& pc, uint32_t raw_list, uint32_t series);
    [[nodiscard]] bool metric_within_caps(const DecodedRequest& req, const DecodedMetric& m, Reject& why) const noexcept;
    int64_t stored_time_ms(int64_t point_ns, int64_t now_ns) noexcept;
    bool admit_new(MetricCtx& mc, PointCtx& pc, uint32_t& raw_list, Reject& why);
    bool resolve_identity(MetricCtx& mc, PointCtx& pc, uint32_t& raw_list, Reject& why);
    [[nodiscard]] size_t new_identity_bytes(const MetricCtx& mc, const PointCtx& pc) const noexcept;
    void track_family_capacity(const Family& f, size_t before) noexcept;
    void feed_health(PointCtx& pc, std::span<const double> old_values);
    void keep_exponential(const DecodedRequest& req, const DecodedPoint& p, uint32_t series, bool delta);
    [[nodiscard]] bool exponential_fits(const PointCtx& pc, Reject& why) const;
    void append(uint32_t series_id, int64_t t_ms, double v);
    bool add_series(PointCtx& pc, Role role, double extra, double value, Reject& why);

    StoreLimits limits_;
    StoreCounters counters_;
    size_t identity_budget_ = 0;
    bool create_ = true;
    size_t missing_series_ = 0;       // lookup mode: series a point would add
    size_t family_series_bytes_ = 0;  // capacity of every Family::series and ::memo, kept as they grow
    // By the point's first series (its +Inf bucket); exp_bytes_ their buckets' capacity.
    std::unordered_map<uint32_t, ExpHistogram> exp_;
    size_t exp_bytes_ = 0;
    Interner strings_;
    StringIndex set_ids_;  // label sets by their LabelIds bytes
    // Attribute lists exactly as sent (keys and values, length-prefixed, in
    // the sender's order) to the label set they make: one lookup, hashed
    // and compared in place, instead of interning every key and value of
    // every point (docs/otlp.md, "Ingest cost"). Filled only within the
    // identity budget.
    StringIndex raw_sets_;
    std::vector<uint32_t> raw_set_ids_;  // by raw_sets_ id
    std::string raw_scratch_;
    std::vector<LabelIds> set_pool_;
    std::vector<Range> sets_;  // into set_pool_
    std::unordered_map<uint32_t, uint32_t> resource_by_set_;
    std::unordered_map<uint64_t, uint32_t> scope_by_ids_;
    std::unordered_map<uint32_t, uint32_t> family_by_name_;
    base::IdIndex series_index_;  // series ids by SeriesKey, kept in series_
    std::vector<Resource> resources_;
    std::vector<Scope> scopes_;
    std::vector<Family> families_;
    std::vector<Series> series_;
    ServiceHealth health_;

    PointSink* sink_ = nullptr;

    // Per-request scratch, reused.
    std::vector<uint32_t> req_resources_;
    std::vector<uint32_t> req_scopes_;
    std::vector<LabelIds> pair_scratch_;
    uint32_t cached_set(std::span<const Attr> attrs, uint32_t& raw_list);
    uint32_t remember_set(std::span<const Attr> attrs, uint32_t set);
    std::vector<uint32_t> point_series_;
    std::vector<double> point_values_;
    std::vector<double> old_values_;
    std::vector<uint64_t> delta_scratch_;
    std::vector<double> bounds_scratch_;
    std::vector<uint8_t> had_value_;
};

}  // namespace mmwatch::otlp
