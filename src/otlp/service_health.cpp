#include "otlp/service_health.hpp"

#include <algorithm>

#include "base/json.hpp"

namespace mmwatch::otlp {

uint32_t ServiceHealth::service_id(std::string_view ns, std::string_view name) {
    key_scratch_.assign(ns);
    key_scratch_ += '\0';
    key_scratch_ += name;
    if (auto it = by_key_.find(key_scratch_); it != by_key_.end()) return it->second;
    const auto id = uint32_t(services_.size());
    services_.push_back({std::string(ns), std::string(name), 0, 0, {}, {}});
    by_key_.emplace(key_scratch_, id);
    bytes_ += 2 * (ns.size() + name.size()) + 64;  // the names, the key and its map node
    auto pos = std::lower_bound(sorted_.begin(), sorted_.end(), id, [&](uint32_t a, uint32_t b) {
        const Service& x = services_[a];
        const Service& y = services_[b];
        return x.ns != y.ns ? x.ns < y.ns : x.name < y.name;
    });
    sorted_.insert(pos, id);
    return id;
}

bool ServiceHealth::contains(std::string_view ns, std::string_view name) const {
    std::string key(ns);
    key += '\0';
    key += name;
    return by_key_.count(key) > 0;
}

size_t ServiceHealth::memory_bytes() const noexcept {
    return bytes_ + services_.capacity() * sizeof(Service) + sorted_.capacity() * sizeof(uint32_t);
}

void ServiceHealth::on_points(uint32_t svc, uint64_t n, int64_t now_ns) noexcept {
    Service& s = services_[svc];
    s.points += n;
    s.last_seen_ns = std::max(s.last_seen_ns, now_ns);
}

void ServiceHealth::on_http(uint32_t svc, const HttpSample& sample, int64_t now_ns) {
    Service& s = services_[svc];
    if (s.bounds_s.empty() && !sample.bounds_s.empty()) {
        s.bounds_s.assign(sample.bounds_s.begin(), sample.bounds_s.end());
        // The layout and, once the slots fill, one bucket array per slot.
        bytes_ += (s.bounds_s.size() + (s.bounds_s.size() + 1) * kHealthSlots) * 8;
    }
    const size_t nb = s.bounds_s.size() + 1;
    const int64_t index = now_ns / 1'000'000 / base::kOtlpHealthSlotMs;
    Slot& slot = s.slots[size_t(index % int64_t(kHealthSlots))];
    if (slot.index != index) {
        slot.index = index;
        slot.requests = slot.errors = 0;
        slot.buckets.assign(nb, 0);
    } else if (slot.buckets.size() != nb) {
        slot.buckets.resize(nb, 0);
    }
    slot.requests += sample.count_delta;
    if (sample.status >= 500 && sample.status <= 599) slot.errors += sample.count_delta;
    // Each source bucket lands in the first layout bucket whose bound is at
    // least the source's upper bound: exact when layouts match.
    for (size_t i = 0; i < sample.bucket_deltas.size(); ++i) {
        if (sample.bucket_deltas[i] == 0) continue;
        size_t j = nb - 1;
        if (i < sample.bounds_s.size()) {
            j = size_t(std::lower_bound(s.bounds_s.begin(), s.bounds_s.end(), sample.bounds_s[i]) - s.bounds_s.begin());
        }
        slot.buckets[j] += sample.bucket_deltas[i];
    }
}

double bucket_quantile(double q, std::span<const double> bounds, std::span<const uint64_t> counts) {
    uint64_t total = 0;
    for (uint64_t c : counts) total += c;
    if (total == 0) return 0;
    const double rank = q * double(total);
    uint64_t below = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        if (double(below + counts[i]) >= rank && counts[i] > 0) {
            if (i >= bounds.size()) return bounds.empty() ? 0 : bounds.back();
            const double lo = i == 0 ? std::min(0.0, bounds[0]) : bounds[i - 1];
            const double hi = bounds[i];
            return lo + (hi - lo) * ((rank - double(below)) / double(counts[i]));
        }
        below += counts[i];
    }
    return bounds.empty() ? 0 : bounds.back();
}

HealthSummary ServiceHealth::summarize(uint32_t svc, int64_t now_ns) const {
    const Service& s = services_[svc];
    HealthSummary h{s.name, s.ns, s.points, s.last_seen_ns};
    const int64_t now_index = now_ns / 1'000'000 / base::kOtlpHealthSlotMs;
    const size_t nb = s.bounds_s.size() + 1;
    sum_scratch_.assign(nb, 0);
    for (const Slot& slot : s.slots) {
        if (slot.index < 0 || slot.index > now_index || slot.index <= now_index - int64_t(kHealthSlots)) continue;
        h.has_http = true;
        h.requests += slot.requests;
        h.errors += slot.errors;
        for (size_t i = 0; i < nb && i < slot.buckets.size(); ++i) sum_scratch_[i] += slot.buckets[i];
    }
    if (!h.has_http) return h;
    h.rate_per_s = double(h.requests) / (double(base::kOtlpHealthWindowMs) / 1000.0);
    h.error_ratio = h.requests ? double(h.errors) / double(h.requests) : 0;
    h.p50_s = bucket_quantile(0.50, s.bounds_s, sum_scratch_);
    h.p95_s = bucket_quantile(0.95, s.bounds_s, sum_scratch_);
    h.p99_s = bucket_quantile(0.99, s.bounds_s, sum_scratch_);
    return h;
}

void ServiceHealth::render_json(std::string& out, int64_t now_ns) const {
    out.reserve(out.size() + 64 + services_.size() * 300);
    out += "{\"window_seconds\":";
    base::json::append_number(out, base::kOtlpHealthWindowMs / 1000);
    out += ",\"services\":[";
    bool first = true;
    for (uint32_t id : sorted_) {
        const HealthSummary h = summarize(id, now_ns);
        if (!first) out += ',';
        first = false;
        out += "{\"name\":";
        base::json::append_string(out, h.name);
        out += ",\"namespace\":";
        base::json::append_string(out, h.ns);
        out += ",\"points_received\":";
        base::json::append_number(out, h.points);
        out += ",\"last_seen_unix_nanos\":\"";
        base::json::append_number(out, h.last_seen_ns);
        out += "\",\"http\":";
        if (!h.has_http) {
            out += "null}";
            continue;
        }
        out += "{\"requests\":";
        base::json::append_number(out, h.requests);
        out += ",\"errors_5xx\":";
        base::json::append_number(out, h.errors);
        const std::pair<std::string_view, double> figures[] = {
            {",\"request_rate_per_second\":", h.rate_per_s},
            {",\"error_ratio\":", h.error_ratio},
            {",\"latency_seconds\":{\"p50\":", h.p50_s},
            {",\"p95\":", h.p95_s},
            {",\"p99\":", h.p99_s},
        };
        for (const auto& [key, v] : figures) {
            out += key;
            base::json::append_fixed6(out, v);
        }
        out += "}}}";
    }
    out += "]}";
}

}  // namespace mmwatch::otlp
