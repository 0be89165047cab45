// Exponential histograms kept whole beside their series: the latest one
// as sent, or delta points added up at the coarser of their scales; and
// the check that a point can be carried exactly by a native histogram.
#include <algorithm>
#include <limits>
#include <span>

#include "otlp/store.hpp"

namespace mmwatch::otlp {

namespace {

// A merged histogram keeps at most this many buckets a side: wider, both
// are reduced one scale further (as the OpenTelemetry SDKs do), so offsets
// far apart cost halvings, never memory.
constexpr int64_t kMaxMergedBuckets = 2 * int64_t(base::kMaxOtlpHistogramBuckets);

// The same buckets at a scale `by` steps coarser: index i becomes i >> by.
void downscale(std::vector<uint64_t>& b, int32_t& offset, int32_t by) {
    if (by <= 0 || b.empty()) return;
    const int64_t first = int64_t(offset) >> by;
    const int64_t last = (int64_t(offset) + int64_t(b.size()) - 1) >> by;
    std::vector<uint64_t> out(size_t(last - first + 1), 0);
    for (size_t i = 0; i < b.size(); ++i) out[size_t(((int64_t(offset) + int64_t(i)) >> by) - first)] += b[i];
    b.swap(out);
    offset = int32_t(first);
}

int64_t span(const std::vector<uint64_t>& a, int32_t a_off, const std::vector<uint64_t>& b, int32_t b_off) {
    if (a.empty() || b.empty()) return int64_t(std::max(a.size(), b.size()));
    const int64_t lo = std::min<int64_t>(a_off, b_off);
    const int64_t hi = std::max<int64_t>(a_off + int64_t(a.size()), b_off + int64_t(b.size()));
    return hi - lo;
}

// Adds `counts` starting at bucket index `offset` into `into` (from
// `into_offset`), both at one scale and within kMaxMergedBuckets together.
// Native histograms count in int64 (Prometheus adds the bucket deltas up
// in int64 and refuses a scrape holding a negative bucket).
constexpr uint64_t kMaxNativeCount = uint64_t(std::numeric_limits<int64_t>::max());

// Adds `counts` to `total`; false if it would pass kMaxNativeCount.
bool add_counts(std::span<const uint64_t> counts, uint64_t& total) {
    for (uint64_t c : counts) {
        if (c > kMaxNativeCount - total) return false;
        total += c;
    }
    return true;
}

// The bucket indexes whose lower bound base^k (base = 2^(2^-scale)) is a
// double: from the least subnormal, 2^-1074, to below 2^1024. At scale 20
// that is within int32 once the native histogram's +1 is added.
int64_t min_index(int32_t scale) { return scale >= 0 ? -(int64_t{1074} << scale) : -(int64_t{1074} >> -scale); }
int64_t max_index(int32_t scale) { return scale >= 0 ? (int64_t{1024} << scale) - 1 : (int64_t{1024} >> -scale) - 1; }

void add_buckets(std::vector<uint64_t>& into, int32_t& into_offset, const std::vector<uint64_t>& counts, int32_t offset) {
    if (counts.empty()) return;
    if (into.empty()) {
        into = counts;
        into_offset = offset;
        return;
    }
    const int64_t lo = std::min<int64_t>(into_offset, offset);
    const int64_t hi = std::max<int64_t>(into_offset + int64_t(into.size()), offset + int64_t(counts.size()));
    if (lo < into_offset) into.insert(into.begin(), size_t(into_offset - lo), 0);
    into.resize(size_t(hi - lo), 0);
    into_offset = int32_t(lo);
    for (size_t i = 0; i < counts.size(); ++i) into[size_t(int64_t(offset) - lo) + i] += counts[i];
}

}  // namespace

// After the scale and the bucket caps were checked (resolve_series).
bool Store::exponential_fits(const PointCtx& pc, Reject& why) const {
    const DecodedPoint& p = pc.point;
    const std::span<const uint64_t> pos(pc.req.u64s.data() + p.counts.begin, p.counts.size());
    const std::span<const uint64_t> neg(pc.req.u64s.data() + p.negative_counts.begin, p.negative_counts.size());
    for (const auto& [offset, n] : {std::pair{p.positive_offset, pos.size()}, std::pair{p.negative_offset, neg.size()}}) {
        if (n != 0 && (offset < min_index(p.scale) || int64_t(offset) + int64_t(n) - 1 > max_index(p.scale)))
            return why = Reject::index_out_of_range, false;
    }
    uint64_t total = 0;
    if (p.count > kMaxNativeCount || p.zero_count > kMaxNativeCount || !add_counts(pos, total) ||
        !add_counts(neg, total) || total > kMaxNativeCount - p.zero_count)
        return why = Reject::count_overflow, false;
    if (total + p.zero_count != p.count) return why = Reject::count_mismatch, false;
    // A delta is added to what is kept: the total must stay within too.
    if (pc.metric.temporality == Temporality::delta && point_series_[0] != kNone) {
        const auto it = exp_.find(point_series_[0]);
        if (it != exp_.end() && it->second.count > kMaxNativeCount - p.count) return why = Reject::count_overflow, false;
    }
    return true;
}

void Store::keep_exponential(const DecodedRequest& req, const DecodedPoint& p, uint32_t series, bool delta) {
    const std::span<const uint64_t> pos(req.u64s.data() + p.counts.begin, p.counts.size());
    const std::span<const uint64_t> neg(req.u64s.data() + p.negative_counts.begin, p.negative_counts.size());
    ExpHistogram& h = exp_[series];
    const size_t before = (h.positive.capacity() + h.negative.capacity()) * sizeof(uint64_t);
    if (!delta || h.count == 0) {
        h.scale = p.scale;
        h.zero_count = p.zero_count;
        h.zero_threshold = p.zero_threshold;
        h.positive.assign(pos.begin(), pos.end());
        h.positive_offset = p.positive_offset;
        h.negative.assign(neg.begin(), neg.end());
        h.negative_offset = p.negative_offset;
        h.sum = p.sum;
        h.count = p.count;
        h.has_min = p.has_min;
        h.has_max = p.has_max;
        h.min = p.min;
        h.max = p.max;
    } else {
        // A delta: added to what is kept, at the coarser of the two scales.
        std::vector<uint64_t> pos_in(pos.begin(), pos.end()), neg_in(neg.begin(), neg.end());
        int32_t pos_off = p.positive_offset, neg_off = p.negative_offset;
        if (p.scale < h.scale) {
            downscale(h.positive, h.positive_offset, h.scale - p.scale);
            downscale(h.negative, h.negative_offset, h.scale - p.scale);
            h.scale = p.scale;
        } else {
            downscale(pos_in, pos_off, p.scale - h.scale);
            downscale(neg_in, neg_off, p.scale - h.scale);
        }
        // Too wide together: one scale coarser, both, until they fit.
        // (Each step halves the span: from any two int32 offsets, 33 steps
        // at most; the scale may go below OTLP's -10 inside the store.)
        while (span(h.positive, h.positive_offset, pos_in, pos_off) > kMaxMergedBuckets ||
               span(h.negative, h.negative_offset, neg_in, neg_off) > kMaxMergedBuckets) {
            for (auto [b, off] : {std::pair{&h.positive, &h.positive_offset}, std::pair{&h.negative, &h.negative_offset},
                                  std::pair{&pos_in, &pos_off}, std::pair{&neg_in, &neg_off}})
                downscale(*b, *off, 1);
            --h.scale;
        }
        add_buckets(h.positive, h.positive_offset, pos_in, pos_off);
        add_buckets(h.negative, h.negative_offset, neg_in, neg_off);
        h.zero_count += p.zero_count;
        h.zero_threshold = std::max(h.zero_threshold, p.zero_threshold);
        h.sum += p.sum;
        h.count += p.count;
        if (p.has_min) h.min = h.has_min ? std::min(h.min, p.min) : p.min;
        if (p.has_max) h.max = h.has_max ? std::max(h.max, p.max) : p.max;
        h.has_min = h.has_min || p.has_min;
        h.has_max = h.has_max || p.has_max;
    }
    exp_bytes_ += (h.positive.capacity() + h.negative.capacity()) * sizeof(uint64_t);
    exp_bytes_ -= before;
}

const ExpHistogram* Store::exponential(uint32_t series_id) const {
    if (series_id >= series_.size()) return nullptr;
    const SeriesKey& k = series_[series_id].key;
    if (families_[k.family].kind != MetricKind::exponential_histogram) return nullptr;
    // The point's series are found by their key: the +Inf bucket keys the histogram.
    SeriesKey inf = k;
    inf.role = Role::bucket;
    inf.extra = std::numeric_limits<double>::infinity();
    const uint32_t s = find_series(inf);
    if (s == kNone) return nullptr;
    const auto it = exp_.find(s);
    return it == exp_.end() ? nullptr : &it->second;
}

}  // namespace mmwatch::otlp
