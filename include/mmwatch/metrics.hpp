// In-process metrics for C++ applications: get-or-create counters, gauges
// and histograms, a scope Timer, and Prometheus text / JSON export.
//
//     auto metrics = mmwatch::inproc::make_provider({.kind = ProviderKind::seqlock});
//     auto reqs = metrics->counter("http_requests_total", "Requests served");
//     auto lat = metrics->histogram("http_request_duration_seconds", "Latency", {0.005, 0.05, 0.5});
//     (void)metrics->publish();  // only the mapped provider needs it; harmless otherwise
//     { mmwatch::inproc::Timer t(lat); reqs->inc(); /* work */ }
//     std::string text = metrics->export_prometheus();
//
// Three implementations (docs/producer.md compares them):
// - StandardProvider: registry under a shared mutex, atomic values.
// - SeqlockProvider: as standard, but each histogram's counts, sum and count
//   sit behind a seqlock, so stats() is a consistent snapshot (count equals
//   the sum of the bucket counts) and readers never block the writer.
// - MappedProvider: values live in a producer file that mmwatch serves; the
//   metric set is fixed by publish(), after which new names are refused
//   (Errc::already_published).
//
// Errors: counter()/gauge()/histogram() never return null. When a request
// is refused (bad name, a name taken by another type, ...), they return a
// detached metric that works but is never exported, and record the reason
// in last_error(); the try_* forms return the reason instead.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mmwatch/producer.hpp"

namespace mmwatch::inproc {

enum class Errc : uint8_t {
    ok,
    bad_name,           // not a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*, 1..255 bytes)
    bad_buckets,        // bounds not finite and strictly increasing, or more than kMaxBucketBounds
    type_conflict,      // the name is registered as another type
    buckets_conflict,   // the histogram exists with other bounds
    already_published,  // mapped provider: new names are refused after publish()
    file_limit,         // mapped provider: the file format refused the metric (over 1024 metrics)
};
[[nodiscard]] std::string_view errc_name(Errc e) noexcept;
[[nodiscard]] std::string_view errc_message(Errc e) noexcept;

// A histogram with more bounds than this is almost surely a mistake (a
// bound per observed value); exposition cost grows with every bound.
inline constexpr size_t kMaxBucketBounds = 256;

enum class MetricKind : uint8_t { counter, gauge, histogram };

class Counter {
public:
    virtual ~Counter() = default;
    virtual void inc_by(uint64_t n) noexcept = 0;
    void inc() noexcept { inc_by(1); }
    [[nodiscard]] virtual uint64_t value() const noexcept = 0;
};

class Gauge {
public:
    virtual ~Gauge() = default;
    virtual void set(int64_t v) noexcept = 0;
    virtual void add(int64_t delta) noexcept = 0;
    void inc() noexcept { add(1); }
    void dec() noexcept { add(-1); }
    [[nodiscard]] virtual int64_t value() const noexcept = 0;
};

struct HistogramStats {
    uint64_t count = 0;
    double sum = 0;
    // Per bucket, not cumulative: one per bound (value <= bound and above
    // the previous bound), then the +Inf bucket.
    std::vector<uint64_t> bucket_counts;
};

class Histogram {
public:
    explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {}
    virtual ~Histogram() = default;
    // NaN observations are dropped: they would poison the sum for good.
    virtual void observe(double v) noexcept = 0;
    // Fills `out`, reusing its storage (no allocation once sized).
    virtual void stats_into(HistogramStats& out) const = 0;
    [[nodiscard]] HistogramStats stats() const {
        HistogramStats s;
        stats_into(s);
        return s;
    }
    [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
    // Index of the bucket counting v: the first bound >= v, or the +Inf one.
    [[nodiscard]] size_t bucket_index(double v) const noexcept;

private:
    std::vector<double> bounds_;
};

// Records the seconds between construction and destruction.
class Timer {
public:
    explicit Timer(std::shared_ptr<Histogram> h) noexcept
        : h_(std::move(h)), start_(std::chrono::steady_clock::now()) {}
    ~Timer() {
        if (h_) h_->observe(elapsed_seconds());
    }
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    [[nodiscard]] double elapsed_seconds() const noexcept {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }
    void cancel() noexcept { h_.reset(); }  // leave scope without recording

private:
    std::shared_ptr<Histogram> h_;
    std::chrono::steady_clock::time_point start_;
};

// One metric as read for export.
struct MetricSample {
    std::string name;
    std::string help;
    MetricKind kind = MetricKind::counter;
    uint64_t counter = 0;
    int64_t gauge = 0;
    std::vector<double> bounds;  // histograms
    HistogramStats histogram;
};

// Pure renderers over samples (sorted by name by the providers).
[[nodiscard]] std::string render_prometheus(const std::vector<MetricSample>& samples);
[[nodiscard]] std::string render_json(const std::vector<MetricSample>& samples, uint64_t uptime_seconds);

class Provider {
public:
    Provider() : start_(std::chrono::steady_clock::now()) {}
    virtual ~Provider() = default;
    Provider(const Provider&) = delete;
    Provider& operator=(const Provider&) = delete;

    std::shared_ptr<Counter> counter(std::string_view name, std::string_view help);
    std::shared_ptr<Gauge> gauge(std::string_view name, std::string_view help);
    std::shared_ptr<Histogram> histogram(std::string_view name, std::string_view help, std::vector<double> bounds);

    [[nodiscard]] virtual Errc try_counter(std::string_view name, std::string_view help,
                                           std::shared_ptr<Counter>& out) = 0;
    [[nodiscard]] virtual Errc try_gauge(std::string_view name, std::string_view help,
                                         std::shared_ptr<Gauge>& out) = 0;
    [[nodiscard]] virtual Errc try_histogram(std::string_view name, std::string_view help,
                                             std::vector<double> bounds, std::shared_ptr<Histogram>& out) = 0;

    // Fixes the metric set where that matters (mapped); ok elsewhere.
    [[nodiscard]] virtual Status publish() { return {}; }
    virtual void close() noexcept {}

    [[nodiscard]] virtual std::vector<MetricSample> collect() const = 0;
    [[nodiscard]] std::string export_prometheus() const { return render_prometheus(collect()); }
    [[nodiscard]] std::string export_json() const { return render_json(collect(), uptime_seconds()); }
    [[nodiscard]] uint64_t uptime_seconds() const noexcept;

    // The last refused request (ok if none) and how many were refused.
    [[nodiscard]] Errc last_error() const noexcept { return last_error_.load(std::memory_order_relaxed); }
    [[nodiscard]] uint64_t error_count() const noexcept { return errors_.load(std::memory_order_relaxed); }

private:
    void note(Errc e) noexcept;

    std::chrono::steady_clock::time_point start_;
    std::atomic<Errc> last_error_{Errc::ok};
    std::atomic<uint64_t> errors_{0};
};

class Registry;  // src/metrics_registry.cpp

// Standard and seqlock share the registry and differ in their histograms.
class RegistryProvider : public Provider {
public:
    RegistryProvider();
    ~RegistryProvider() override;
    Errc try_counter(std::string_view name, std::string_view help, std::shared_ptr<Counter>& out) override;
    Errc try_gauge(std::string_view name, std::string_view help, std::shared_ptr<Gauge>& out) override;
    Errc try_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       std::shared_ptr<Histogram>& out) override;
    [[nodiscard]] std::vector<MetricSample> collect() const override;

protected:
    [[nodiscard]] virtual std::shared_ptr<Histogram> make_histogram(std::vector<double> bounds) const = 0;

private:
    std::unique_ptr<Registry> registry_;
};

class StandardProvider final : public RegistryProvider {
protected:
    [[nodiscard]] std::shared_ptr<Histogram> make_histogram(std::vector<double> bounds) const override;
};

class SeqlockProvider final : public RegistryProvider {
protected:
    [[nodiscard]] std::shared_ptr<Histogram> make_histogram(std::vector<double> bounds) const override;
};

struct MappedOptions {
    std::string dir = ".";
    std::string file_name = "app";  // the file is <dir>/<file_name>.rezl
    bool keep_file = false;
    // Histograms go into the file as H2 histograms of round(value * scale):
    // the default turns seconds into integer nanoseconds, and a name ending
    // in _seconds is written as _nanoseconds (1e6: _microseconds, 1e3:
    // _milliseconds) so the file's unit is honest.
    double histogram_scale = 1e9;
    uint8_t grouping_power = 4;  // 16 buckets per power of two: 6% relative error
};

class MappedProvider final : public Provider {
public:
    explicit MappedProvider(MappedOptions opts);
    ~MappedProvider() override;
    Errc try_counter(std::string_view name, std::string_view help, std::shared_ptr<Counter>& out) override;
    Errc try_gauge(std::string_view name, std::string_view help, std::shared_ptr<Gauge>& out) override;
    Errc try_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       std::shared_ptr<Histogram>& out) override;
    // Creates the file. Updates made before are carried over; updates racing
    // with publish() itself may be lost, so publish before starting threads.
    [[nodiscard]] Status publish() override;
    void close() noexcept override;  // unmaps (and removes the file unless keep_file)
    [[nodiscard]] std::vector<MetricSample> collect() const override;
    [[nodiscard]] std::string_view path() const noexcept;

    struct State;  // src/metrics_mapped.cpp

private:
    std::unique_ptr<State> state_;
};

enum class ProviderKind : uint8_t { standard, seqlock, mapped };

struct Config {
    ProviderKind kind = ProviderKind::standard;
    MappedOptions mapped;  // used when kind == mapped
};

// "standard", "seqlock" or "mapped"; false for anything else.
[[nodiscard]] bool parse_provider_kind(std::string_view text, ProviderKind& out) noexcept;
[[nodiscard]] std::unique_ptr<Provider> make_provider(const Config& config);

// Shared by providers and tests.
[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_bounds(const std::vector<double>& bounds) noexcept;

}  // namespace mmwatch::inproc
