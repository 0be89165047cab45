// The sample pipeline's vocabulary: the series of one /metrics render as
// a scrape stores them, collected once per tick and handed to whoever
// consumes samples (remote_write's Pusher; the history store next). A
// SampleCollector is a Writer that, instead of text, records each
// sample's sorted label set (with __name__) and value; fed by the same
// composition as a scrape, a series is exactly what a Prometheus scrape
// of mmwatch would store (docs/scaling.md). A SampleBatch is one tick's
// series, each once, at one time; a SampleSink takes batches.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prom/series_set.hpp"
#include "prom/writer.hpp"

namespace mmwatch::prom {

// The value Prometheus writes to mark a series stale.
inline constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

// One sample of a render: its label pairs, sorted by name, unique,
// __name__ first (it sorts first), "name\0value\0name\0value\0", are
// bytes [begin, begin + size) of the collector's arena (one string for
// every sample: no allocation per sample).
struct Sample {
    size_t begin = 0;
    uint32_t size = 0;  // one label set: bounded by the caps on labels
    double value = 0;
};

class SampleCollector final : public Writer {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;
    // `target` labels (job, instance) are set on every series as a scrape
    // sets them: a series' own label of that name becomes exported_NAME
    // (honor_labels: false). `external` labels are added where a series
    // does not have the label, as Prometheus adds external labels.
    SampleCollector(Labels target, Labels external);

    [[nodiscard]] Format format() const noexcept override { return Format::text; }
    void label(std::string& labels, std::string_view name, std::string_view value) const override;
    void family(std::string_view name, Kind kind, std::string_view help, std::string_view unit) override;
    void metric(std::string_view labels) override { labels_ = labels; }
    void value(double v) override { add(name_, {}, 0, v); }
    void bucket(double le, double cumulative) override;
    void quantile(double q, double v) override { add(name_, "quantile", q, v); }
    void sum(double v) override;
    void count(double v) override;
    void created(int64_t) override {}
    void native(const NativeHistogram&) override {}
    void finish() override {}
    [[nodiscard]] size_t size() const noexcept override { return bytes_; }

    [[nodiscard]] const std::vector<Sample>& samples() const noexcept { return samples_; }
    [[nodiscard]] std::string_view labels(const Sample& s) const noexcept {
        return std::string_view(arena_).substr(s.begin, s.size);
    }
    // The arena, handed over (the samples' offsets still index it).
    [[nodiscard]] std::string take_arena() noexcept { return std::move(arena_); }

private:
    void add(std::string_view name, std::string_view extra, double extra_value, double v);

    Labels target_, external_;
    std::string name_, labels_, suffixed_;
    std::string arena_;
    std::vector<Sample> samples_;
    size_t bytes_ = 0;
    std::string scratch_;
    // Reused by add(), so a sample allocates nothing once they have grown.
    std::vector<std::pair<std::string_view, std::string_view>> pairs_;
    std::vector<std::string> renamed_;
    std::string number_;
};

// The label pairs of a label-set string (a Sample's bytes of the arena),
// in order.
template <typename F>
void for_each_label(std::string_view labels, F f) {
    while (!labels.empty()) {
        const size_t a = labels.find('\0');
        const size_t b = labels.find('\0', a + 1);
        f(labels.substr(0, a), labels.substr(a + 1, b - a - 1));
        labels.remove_prefix(b + 1);
    }
}

// Every series of one tick, each once (the first sample of a label set
// wins), with its value and the one time they were taken at. Immutable
// once made; consumers share it (std::shared_ptr) while they use it and
// keep, to find the series that went away, only their own ids of them.
class SampleBatch {
public:
    // Takes the collector's samples and its arena over whole.
    SampleBatch(SampleCollector&& collector, int64_t t_ms);

    [[nodiscard]] size_t size() const noexcept { return values_.size(); }
    [[nodiscard]] std::string_view labels(size_t i) const noexcept { return series_[i]; }
    [[nodiscard]] double value(size_t i) const noexcept { return values_[i]; }
    [[nodiscard]] int64_t t_ms() const noexcept { return t_ms_; }
    [[nodiscard]] bool contains(std::string_view labels) const noexcept { return series_.contains(labels); }
    // What the batch holds in memory (the sinks that keep it count it).
    [[nodiscard]] size_t memory_bytes() const noexcept {
        return series_.memory_bytes() + values_.capacity() * sizeof(double);
    }

private:
    SeriesSet series_;
    std::vector<double> values_;
    int64_t t_ms_;
};

[[nodiscard]] inline double stale_marker() noexcept { return std::bit_cast<double>(kStaleNaN); }

// Whoever takes each tick's series: remote_write's Pusher, the history
// store next. The daemon's Sampler hands every sink that is due the same
// batch, collected once.
class SampleSink {
public:
    // `batch` is every series at batch->t_ms(); a sink may keep the pointer.
    virtual void consume(std::shared_ptr<const SampleBatch> batch) = 0;

protected:
    ~SampleSink() = default;
};

}  // namespace mmwatch::prom
