// The series of one /metrics render as remote_write sends them: a
// prom::Writer that, instead of text, records each sample's sorted label
// set (with __name__) and value. Fed by the same render as a scrape, so a
// pushed series is exactly what a Prometheus scrape of mmwatch would store
// (docs/scaling.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prom/writer.hpp"

namespace mmwatch::push {

// One sample of a render: its label pairs, sorted by name, unique,
// __name__ first (it sorts first), "name\0value\0name\0value\0", are
// bytes [begin, begin + size) of the collector's arena (one string for
// every sample: no allocation per sample).
struct Sample {
    size_t begin = 0;
    uint32_t size = 0;  // one label set: bounded by the caps on labels
    double value = 0;
};

class SampleCollector final : public prom::Writer {
public:
    using Labels = std::vector<std::pair<std::string, std::string>>;
    // `target` labels (job, instance) are set on every series as a scrape
    // sets them: a series' own label of that name becomes exported_NAME
    // (honor_labels: false). `external` labels are added where a series
    // does not have the label, as Prometheus adds external labels.
    SampleCollector(Labels target, Labels external);

    [[nodiscard]] prom::Format format() const noexcept override { return prom::Format::text; }
    void label(std::string& labels, std::string_view name, std::string_view value) const override;
    void family(std::string_view name, prom::Kind kind, std::string_view help, std::string_view unit) override;
    void metric(std::string_view labels) override { labels_ = labels; }
    void value(double v) override { add(name_, {}, 0, v); }
    void bucket(double le, double cumulative) override;
    void quantile(double q, double v) override { add(name_, "quantile", q, v); }
    void sum(double v) override;
    void count(double v) override;
    void created(int64_t) override {}
    void native(const prom::NativeHistogram&) override {}
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

}  // namespace mmwatch::push
