// Per-service health, pre-aggregated at ingest so that answering for 1,000
// services sums 12 five-second slots each instead of scanning points:
// points received, last seen, and from HTTP server duration histograms the
// request rate, 5xx ratio and latency quantiles over the last minute.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/limits.hpp"

namespace mmwatch::otlp {

inline constexpr size_t kHealthSlots = size_t(base::kOtlpHealthWindowMs / base::kOtlpHealthSlotMs);

// Requests seen in one histogram point since the previous one.
struct HttpSample {
    std::span<const double> bounds_s;        // bucket upper bounds, seconds
    std::span<const uint64_t> bucket_deltas;  // bounds_s.size() + 1 (last: +Inf)
    uint64_t count_delta = 0;
    int status = 0;                          // 0 when the point has none
};

struct HealthSummary {
    std::string_view name;
    std::string_view ns;
    uint64_t points = 0;
    int64_t last_seen_ns = 0;
    bool has_http = false;
    uint64_t requests = 0;  // in the last minute
    uint64_t errors = 0;    // 5xx in the last minute
    double rate_per_s = 0;
    double error_ratio = 0;
    double p50_s = 0, p95_s = 0, p99_s = 0;
};

class ServiceHealth {
public:
    // What a new service costs before it sees an HTTP point (its slots'
    // buckets then grow with the histogram layout; memory_bytes() counts it).
    static constexpr size_t kServiceBytes = 1024;

    // Finds or creates the service (namespace, name).
    uint32_t service_id(std::string_view ns, std::string_view name);
    [[nodiscard]] bool contains(std::string_view ns, std::string_view name) const;
    void on_points(uint32_t svc, uint64_t n, int64_t now_ns) noexcept;
    void on_http(uint32_t svc, const HttpSample& sample, int64_t now_ns);
    [[nodiscard]] HealthSummary summarize(uint32_t svc, int64_t now_ns) const;
    [[nodiscard]] size_t size() const noexcept { return services_.size(); }
    // Bytes held: services, their names, slots and bucket layouts.
    [[nodiscard]] size_t memory_bytes() const noexcept;
    // {"services":[...]} sorted by namespace then name.
    void render_json(std::string& out, int64_t now_ns) const;

private:
    struct Slot {
        int64_t index = -1;  // now_ms / kOtlpHealthSlotMs when last written
        uint64_t requests = 0;
        uint64_t errors = 0;
        std::vector<uint64_t> buckets;  // per layout bucket
    };
    struct Service {
        std::string ns;
        std::string name;
        uint64_t points = 0;
        int64_t last_seen_ns = 0;
        std::vector<double> bounds_s;  // the first layout seen; others are mapped onto it
        std::array<Slot, kHealthSlots> slots;
    };
    std::vector<Service> services_;
    std::vector<uint32_t> sorted_;  // by (ns, name), kept on insert
    std::unordered_map<std::string, uint32_t> by_key_;
    std::string key_scratch_;
    mutable std::vector<uint64_t> sum_scratch_;
    size_t bytes_ = 0;  // what memory_bytes() adds to the containers' capacities
};

// histogram_quantile-style estimate: linear inside the bucket holding the
// rank; the +Inf bucket answers its lower bound.
[[nodiscard]] double bucket_quantile(double q, std::span<const double> bounds, std::span<const uint64_t> counts);

}  // namespace mmwatch::otlp
