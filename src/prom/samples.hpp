// The sample pipeline's vocabulary: the series of one /metrics render as
// a scrape stores them, collected once per tick and handed to whoever
// consumes samples (remote_write's Pusher; the history store next). A
// SampleCollector is a Writer that, instead of text, records each
// series' sorted label set (with __name__) and value, each series once
// (the first sample of a label set wins: a repeat is dropped as it comes,
// so the batch needs no second pass); fed by the same
// composition as a scrape, a series is exactly what a Prometheus scrape
// of mmwatch would store (docs/scaling.md). A SampleBatch is one tick's
// series, each once, at one time; a SampleSink takes batches.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "prom/series_set.hpp"
#include "prom/writer.hpp"

namespace mmwatch::prom {

// The value Prometheus writes to mark a series stale.
inline constexpr uint64_t kStaleNaN = 0x7ff0000000000002ull;

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
    // The file plan's series, distinct by construction, are added without
    // looking for a repeat; a later series is compared with them only if
    // its __name__ is one of theirs (a self-metric or OTLP series under a
    // file family's name): then that family's are indexed, once.
    void distinct_series(bool on) override { distinct_ = on; }

    // The series so far, in the order first written: label pairs sorted by
    // name, unique, __name__ first (it sorts first), as
    // "name\0value\0name\0value\0", all in one arena (no allocation per
    // series).
    [[nodiscard]] size_t series_count() const noexcept { return values_.size(); }
    [[nodiscard]] std::string_view labels(size_t i) const noexcept { return series_[i]; }
    [[nodiscard]] double value_of(size_t i) const noexcept { return values_[i]; }
    // How many series were compared for repeats (not distinct ones).
    [[nodiscard]] size_t compared_count() const noexcept { return series_.indexed(); }
    // Room for `series` series of `label_bytes` in all, `compared` of them
    // compared for repeats (the last batch's sizes: a tick's series are
    // mostly the last one's).
    void reserve(size_t series, size_t label_bytes, size_t compared) {
        series_.reserve(series, label_bytes, compared);
        values_.reserve(series);
    }

private:
    void add(std::string_view name, std::string_view extra, double extra_value, double v);
    // The sorted label pairs of labels_ with target and external labels,
    // no extra label, written out around where __name__ goes: the same
    // for every sample of one metric() call and, in a render, for every
    // series of one file.
    void sort_labels(std::string_view name, std::string_view extra, double extra_value);
    void write_labels(std::string& arena) const;
    struct Around {
        std::string pairs;  // written out, without __name__
        size_t split = 0;   // where __name__ goes in them
    };
    const Around& make_around(std::string_view name);
    // The pairs of a counter's or gauge's sample but __name__, by labels_:
    // one entry per file in a render, so bounded by the files; past
    // kMaxArounds (other writers' label sets) it starts afresh.
    static constexpr size_t kMaxArounds = 4096;
    std::unordered_map<std::string, Around> arounds_;
    friend class SampleBatch;

    // The __name__s of the series added distinct (by family(): a
    // histogram's or summary's with their suffixes), a few per file
    // family, each with where its family's series are in series_: they
    // are contiguous, one family after the other, the last one's open
    // until the end.
    struct NameHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Range {
        size_t first = 0, last = SIZE_MAX;  // series_ indexes; SIZE_MAX: the family still open
    };
    bool distinct_ = false;
    std::unordered_map<std::string, size_t, NameHash, std::equal_to<>> distinct_names_;  // to ranges_
    std::vector<Range> ranges_;

    Labels target_, external_;
    std::string name_, labels_, suffixed_;
    SeriesSet series_;
    std::vector<double> values_;
    size_t bytes_ = 0;
    std::string scratch_;
    // Reused by add(), so a sample allocates nothing once they have grown.
    std::vector<std::pair<std::string_view, std::string_view>> pairs_;
    std::vector<std::string> renamed_;
    std::string number_;
};

// The label pairs of a label-set string (one series' of a collector or
// batch), in order.
// A byte loop, not find(): names and values are short, and a call to
// memchr per part cost more than the scan (11% of a push's CPU).
template <typename F>
void for_each_label(std::string_view labels, F f) {
    const char* p = labels.data();
    const char* const end = p + labels.size();
    while (p < end) {
        const char* const name = p;
        while (p < end && *p != '\0') ++p;
        const std::string_view n(name, size_t(p - name));
        const char* const value = ++p;
        while (p < end && *p != '\0') ++p;
        const std::string_view v(value, size_t(std::min(p, end) - value));
        ++p;
        f(n, v);
    }
}

// Every series of one tick, each once (the first sample of a label set
// wins), with its value and the one time they were taken at. Immutable
// once made; consumers share it (std::shared_ptr) while they use it and
// keep, to find the series that went away, only their own ids of them.
class SampleBatch {
public:
    // Takes the collector's series over whole (nothing is copied).
    SampleBatch(SampleCollector&& collector, int64_t t_ms)
        : series_(std::move(collector.series_)), values_(std::move(collector.values_)), t_ms_(t_ms) {}

    [[nodiscard]] size_t size() const noexcept { return values_.size(); }
    [[nodiscard]] std::string_view labels(size_t i) const noexcept { return series_[i]; }
    [[nodiscard]] double value(size_t i) const noexcept { return values_[i]; }
    // SeriesSet::hash() of labels(i), kept from when the batch was built.
    [[nodiscard]] uint64_t hash(size_t i) const noexcept { return series_.hash_of(i); }
    // The label bytes of all series (to size the next collection).
    [[nodiscard]] size_t label_bytes() const noexcept { return series_.label_bytes(); }
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
