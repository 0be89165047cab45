// The mapped provider: counters, gauges and histograms whose values live in
// a producer file, so mmwatch serves them with no exporter code. The file's
// metric set is fixed when it is created, hence declare, publish(), update.
//
// Until publish() each value lives in the metric object itself; publish()
// copies it into the file and re-points the metric there, and close() does
// the reverse before unmapping, so a handle never writes to a dead mapping
// as long as nothing updates concurrently with publish() or close().
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>

#include "inproc/atomic.hpp"
#include "mmwatch/h2.hpp"
#include "mmwatch/metrics.hpp"

namespace mmwatch::inproc {

namespace {

// H2 histograms in the file cover every u64 value.
constexpr uint8_t kFileMaxPower = 64;

// Words of one metric, first in local storage, then in the mapping.
class Words {
public:
    explicit Words(size_t n) : local_(n, 0), target_(local_.data()) {}
    // Release in move_to, acquire here: a thread that sees the new address
    // sees the values copied there before it.
    [[nodiscard]] std::atomic_ref<uint64_t> at(size_t i) const noexcept {
        return std::atomic_ref<uint64_t>(target_.load(std::memory_order_acquire)[i]);
    }
    // Moves the values to `to` (the file, or back home when to is null).
    void move_to(uint64_t* to) noexcept {
        uint64_t* from = target_.load(std::memory_order_relaxed);
        if (to == nullptr) to = local_.data();
        if (to == from) return;
        for (size_t i = 0; i < local_.size(); ++i) {
            std::atomic_ref<uint64_t>(to[i]).store(std::atomic_ref<uint64_t>(from[i]).load(std::memory_order_relaxed),
                                                   std::memory_order_relaxed);
        }
        target_.store(to, std::memory_order_release);
    }

private:
    std::vector<uint64_t> local_;
    std::atomic<uint64_t*> target_;
};

class MappedCounter final : public Counter {
public:
    void inc_by(uint64_t n) noexcept override { w.at(0).fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] uint64_t value() const noexcept override { return w.at(0).load(std::memory_order_relaxed); }
    Words w{1};
};

class MappedGauge final : public Gauge {
public:
    void set(int64_t v) noexcept override { w.at(0).store(uint64_t(v), std::memory_order_relaxed); }
    void add(int64_t d) noexcept override { w.at(0).fetch_add(uint64_t(d), std::memory_order_relaxed); }
    [[nodiscard]] int64_t value() const noexcept override { return int64_t(w.at(0).load(std::memory_order_relaxed)); }
    Words w{1};
};

// The file gets an H2 histogram of round(v * scale) for mmwatch; stats()
// and the export use exact per-bound counts kept in process, since H2
// buckets straddle arbitrary bounds.
class MappedHistogram final : public Histogram {
public:
    MappedHistogram(std::vector<double> bounds, double scale, uint8_t g)
        : Histogram(bounds), w(h2::bucket_count(g, kFileMaxPower)), local_(std::move(bounds)), scale_(scale), g_(g) {}
    void observe(double v) noexcept override {
        if (v != v) return;  // NaN
        local_.observe(v);
        w.at(h2::index_of(to_integer(v * scale_), g_, kFileMaxPower)).fetch_add(1, std::memory_order_relaxed);
    }
    void stats_into(HistogramStats& out) const override { local_.stats_into(out); }
    Words w;

private:
    static uint64_t to_integer(double x) noexcept {
        if (!(x > 0)) return 0;  // negatives count as 0: H2 holds unsigned values
        const double r = std::round(x);
        return r >= 0x1p64 ? UINT64_MAX : uint64_t(r);
    }
    AtomicHistogram local_;
    double scale_;
    uint8_t g_;
};

// Honest units in the file: a seconds histogram scaled to integers is
// written under the scaled unit's name.
std::string file_name_for(std::string_view name, MetricKind kind, double scale) {
    constexpr std::string_view kSeconds = "_seconds";
    std::string out(name);
    if (kind != MetricKind::histogram || !name.ends_with(kSeconds)) return out;
    const char* unit = scale == 1e9 ? "_nanoseconds" : scale == 1e6 ? "_microseconds" : scale == 1e3 ? "_milliseconds" : nullptr;
    if (unit != nullptr) out.replace(out.size() - kSeconds.size(), kSeconds.size(), unit);
    return out;
}

Errc errc_from(mmw_error e) {
    switch (e) {
        case MMW_OK: return Errc::ok;
        case MMW_ERR_NAME_TOO_LONG:
        case MMW_ERR_NAME_EMPTY:
        case MMW_ERR_NAME_NOT_UTF8: return Errc::bad_name;
        case MMW_ERR_DUPLICATE_NAME: return Errc::type_conflict;  // a file-side name clash
        case MMW_ERR_ALREADY_PUBLISHED: return Errc::already_published;
        default: return Errc::file_limit;
    }
}

struct Entry {
    MetricKind kind;
    std::string help;
    mmw_metric id = 0;
    bool in_file = false;
    std::shared_ptr<MappedCounter> counter;
    std::shared_ptr<MappedGauge> gauge;
    std::shared_ptr<MappedHistogram> histogram;
    [[nodiscard]] Words& words() const {
        return counter ? counter->w : gauge ? gauge->w : histogram->w;
    }
};

}  // namespace

struct MappedProvider::State {
    explicit State(MappedOptions o)
        : opts(std::move(o)), producer(opts.dir, opts.file_name, ProducerOptions{.keep_file = opts.keep_file}) {}

    // Finds or declares `name`; `make` builds the metric of a new entry.
    template <typename Make>
    Errc get_or_declare(std::string_view name, std::string_view help, MetricKind kind,
                        const std::vector<double>* bounds, Make make, Entry& out) {
        if (!valid_metric_name(name)) return Errc::bad_name;
        if (bounds && !valid_bounds(*bounds)) return Errc::bad_buckets;
        std::lock_guard lock(mu);
        if (auto it = entries.find(name); it != entries.end()) {
            if (it->second.kind != kind) return Errc::type_conflict;
            if (bounds && it->second.histogram->bounds() != *bounds) return Errc::buckets_conflict;
            out = it->second;
            return Errc::ok;
        }
        if (published) return Errc::already_published;
        Entry e{kind, std::string(help)};
        if (mmw_producer* p = producer.c_handle()) {  // null: bad file name, reported by publish()
            const std::string fname = file_name_for(name, kind, opts.histogram_scale);
            mmw_error r = MMW_OK;
            if (kind == MetricKind::counter) r = mmw_declare_counter(p, fname.c_str(), &e.id);
            if (kind == MetricKind::gauge) r = mmw_declare_gauge(p, fname.c_str(), &e.id);
            if (kind == MetricKind::histogram) {
                r = mmw_declare_histogram(p, fname.c_str(), opts.grouping_power, kFileMaxPower, &e.id);
            }
            if (r != MMW_OK) return errc_from(r);
            e.in_file = true;
        }
        make(e);
        out = entries.emplace(std::string(name), std::move(e)).first->second;
        return Errc::ok;
    }

    MappedOptions opts;
    Producer producer;
    mutable std::mutex mu;  // the registry; values are atomics
    std::map<std::string, Entry, std::less<>> entries;
    bool published = false;
};

MappedProvider::MappedProvider(MappedOptions opts) : state_(std::make_unique<State>(std::move(opts))) {
    if (!h2::valid_config(state_->opts.grouping_power, kFileMaxPower)) state_->opts.grouping_power = 4;
}

MappedProvider::~MappedProvider() { close(); }

Errc MappedProvider::try_counter(std::string_view name, std::string_view help, std::shared_ptr<Counter>& out) {
    Entry e;
    const Errc r = state_->get_or_declare(name, help, MetricKind::counter, nullptr,
        [](Entry& n) { n.counter = std::make_shared<MappedCounter>(); }, e);
    if (r == Errc::ok) out = e.counter;
    return r;
}

Errc MappedProvider::try_gauge(std::string_view name, std::string_view help, std::shared_ptr<Gauge>& out) {
    Entry e;
    const Errc r = state_->get_or_declare(name, help, MetricKind::gauge, nullptr,
        [](Entry& n) { n.gauge = std::make_shared<MappedGauge>(); }, e);
    if (r == Errc::ok) out = e.gauge;
    return r;
}

Errc MappedProvider::try_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                                   std::shared_ptr<Histogram>& out) {
    Entry e;
    const double scale = state_->opts.histogram_scale;
    const uint8_t g = state_->opts.grouping_power;
    const Errc r = state_->get_or_declare(name, help, MetricKind::histogram, &bounds,
        [&](Entry& n) { n.histogram = std::make_shared<MappedHistogram>(bounds, scale, g); }, e);
    if (r == Errc::ok) out = e.histogram;
    return r;
}

Status MappedProvider::publish() {
    std::lock_guard lock(state_->mu);
    if (state_->published) return Status{MMW_ERR_ALREADY_PUBLISHED, {}};
    Status st = state_->producer.publish();
    if (!st.ok()) return st;
    state_->published = true;
    mmw_producer* p = state_->producer.c_handle();
    for (auto& [name, e] : state_->entries) {
        if (e.in_file) e.words().move_to(mmw_metric_data(p, e.id));
    }
    return st;
}

void MappedProvider::close() noexcept {
    std::lock_guard lock(state_->mu);
    for (auto& [name, e] : state_->entries) e.words().move_to(nullptr);
    state_->producer.close();
}

std::vector<MetricSample> MappedProvider::collect() const {
    std::lock_guard lock(state_->mu);
    std::vector<MetricSample> out;
    out.reserve(state_->entries.size());
    for (const auto& [name, e] : state_->entries) {
        MetricSample s{name, e.help, e.kind};
        if (e.counter) s.counter = e.counter->value();
        if (e.gauge) s.gauge = e.gauge->value();
        if (e.histogram) {
            s.bounds = e.histogram->bounds();
            e.histogram->stats_into(s.histogram);
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::string_view MappedProvider::path() const noexcept { return state_->producer.path(); }

}  // namespace mmwatch::inproc
