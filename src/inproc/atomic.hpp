// The standard metric implementations: one atomic per value. Shared by the
// standard and seqlock providers (counters, gauges) and the mapped one
// (its in-process histogram statistics). Relaxed throughout: each value is
// one word read and written whole (LDREXD/STREXD on 32-bit ARM), and no
// reader relies on an order between two of them.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "mmwatch/metrics.hpp"

namespace mmwatch::inproc {

class AtomicCounter final : public Counter {
public:
    void inc_by(uint64_t n) noexcept override { v_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] uint64_t value() const noexcept override { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

class AtomicGauge final : public Gauge {
public:
    void set(int64_t v) noexcept override { v_.store(v, std::memory_order_relaxed); }
    void add(int64_t d) noexcept override { v_.fetch_add(d, std::memory_order_relaxed); }
    [[nodiscard]] int64_t value() const noexcept override { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<int64_t> v_{0};
};

// Each word is updated on its own, so a reader can see a bucket incremented
// before the count (stats() is not a consistent snapshot; the exposition
// derives +Inf and _count from the buckets so it stays valid).
class AtomicHistogram final : public Histogram {
public:
    explicit AtomicHistogram(std::vector<double> bounds)
        : Histogram(std::move(bounds)), counts_(new std::atomic<uint64_t>[this->bounds().size() + 1]) {
        for (size_t i = 0; i <= this->bounds().size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
    }
    void observe(double v) noexcept override {
        if (v != v) return;  // NaN
        counts_[bucket_index(v)].fetch_add(1, std::memory_order_relaxed);
        sum_.fetch_add(v, std::memory_order_relaxed);
        count_.fetch_add(1, std::memory_order_relaxed);
    }
    void stats_into(HistogramStats& out) const override {
        const size_t n = bounds().size() + 1;
        out.bucket_counts.resize(n);
        out.count = count_.load(std::memory_order_relaxed);
        out.sum = sum_.load(std::memory_order_relaxed);
        for (size_t i = 0; i < n; ++i) out.bucket_counts[i] = counts_[i].load(std::memory_order_relaxed);
    }

private:
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;
    std::atomic<double> sum_{0};
    std::atomic<uint64_t> count_{0};
};

}  // namespace mmwatch::inproc
