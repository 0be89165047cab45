// The registry behind the standard and seqlock providers: get-or-create
// under a shared mutex (lookups share it; only a new name takes it
// exclusively), plus what every provider shares: name and bound checks,
// error names, detached metrics and the factory.
#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "inproc/atomic.hpp"
#include "mmwatch/metrics.hpp"
#include "base/enum_names.hpp"
#include "base/names.hpp"
#include "rezl/rezl.hpp"

namespace mmwatch::inproc {

namespace {

constexpr size_t kErrcCount = size_t(Errc::file_limit) + 1;

MMWATCH_ENUM_TABLE(Errc, kErrcs) = {
    MMWATCH_ROW(ok, "success"),
    MMWATCH_ROW(bad_name, "metric name must match [a-zA-Z_:][a-zA-Z0-9_:]* and be 1..255 bytes"),
    MMWATCH_ROW(bad_buckets, "histogram bounds must be finite, strictly increasing and at most 256"),
    MMWATCH_ROW(type_conflict, "the name is already registered as another metric type"),
    MMWATCH_ROW(buckets_conflict, "the histogram is already registered with other bounds"),
    MMWATCH_ROW(already_published, "the mapped file is published; its metric set is fixed, declare metrics before publish()"),
    MMWATCH_ROW(file_limit, "the mapped file refused the metric (at most 1024 metrics per file)"),
};
static_assert(base::rows_match(kErrcs, kErrcCount));

}  // namespace

std::string_view errc_name(Errc e) noexcept { return base::name_of(kErrcs, e); }

std::string_view errc_message(Errc e) noexcept { return base::message_of(kErrcs, e); }

bool valid_metric_name(std::string_view name) noexcept {
    return name.size() <= rezl::kMaxNameBytes && base::valid_metric_name(name);
}

bool valid_bounds(const std::vector<double>& bounds) noexcept {
    if (bounds.size() > kMaxBucketBounds) return false;
    for (size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i])) return false;
        if (i > 0 && !(bounds[i - 1] < bounds[i])) return false;
    }
    return true;
}

size_t Histogram::bucket_index(double v) const noexcept {
    return size_t(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
}

uint64_t Provider::uptime_seconds() const noexcept {
    return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start_).count());
}

void Provider::note(Errc e) noexcept {
    last_error_.store(e, std::memory_order_relaxed);
    errors_.fetch_add(1, std::memory_order_relaxed);
}

// Refused requests get a working metric that no registry holds, so a typo
// in a metric name never crashes the application; last_error() tells.
std::shared_ptr<Counter> Provider::counter(std::string_view name, std::string_view help) {
    std::shared_ptr<Counter> out;
    if (Errc e = try_counter(name, help, out); e != Errc::ok) {
        note(e);
        out = std::make_shared<AtomicCounter>();
    }
    return out;
}

std::shared_ptr<Gauge> Provider::gauge(std::string_view name, std::string_view help) {
    std::shared_ptr<Gauge> out;
    if (Errc e = try_gauge(name, help, out); e != Errc::ok) {
        note(e);
        out = std::make_shared<AtomicGauge>();
    }
    return out;
}

std::shared_ptr<Histogram> Provider::histogram(std::string_view name, std::string_view help,
                                               std::vector<double> bounds) {
    std::shared_ptr<Histogram> out;
    if (Errc e = try_histogram(name, help, bounds, out); e != Errc::ok) {
        note(e);
        if (!valid_bounds(bounds)) bounds.clear();
        out = std::make_shared<AtomicHistogram>(std::move(bounds));
    }
    return out;
}

struct RegistryEntry {
    MetricKind kind;
    std::string help;
    std::shared_ptr<Counter> counter;
    std::shared_ptr<Gauge> gauge;
    std::shared_ptr<Histogram> histogram;
};

class Registry {
public:
    // Finds `name` or creates it with `make`; a found entry must be of the
    // same kind (and, for histograms, have the same bounds).
    template <typename Make>
    Errc get_or_create(std::string_view name, std::string_view help, MetricKind kind,
                       const std::vector<double>* bounds, Make make, RegistryEntry& out) {
        if (!valid_metric_name(name)) return Errc::bad_name;
        if (bounds && !valid_bounds(*bounds)) return Errc::bad_buckets;
        {
            std::shared_lock lock(mu_);
            if (auto it = entries_.find(name); it != entries_.end()) return check(it->second, kind, bounds, out);
        }
        std::unique_lock lock(mu_);
        auto [it, inserted] = entries_.try_emplace(std::string(name));
        if (!inserted) return check(it->second, kind, bounds, out);  // created meanwhile
        it->second.kind = kind;
        it->second.help = std::string(help);
        make(it->second);
        out = it->second;
        return Errc::ok;
    }

    std::vector<MetricSample> collect() const {
        std::shared_lock lock(mu_);
        std::vector<MetricSample> out(entries_.size());
        size_t i = 0;
        for (const auto& [name, e] : entries_) {
            MetricSample& s = out[i++];
            s.name = name;
            s.help = e.help;
            s.kind = e.kind;
            if (e.kind == MetricKind::counter) s.counter = e.counter->value();
            if (e.kind == MetricKind::gauge) s.gauge = e.gauge->value();
            if (e.kind == MetricKind::histogram) {
                s.bounds = e.histogram->bounds();
                e.histogram->stats_into(s.histogram);
            }
        }
        return out;
    }

private:
    static Errc check(const RegistryEntry& e, MetricKind kind, const std::vector<double>* bounds,
                      RegistryEntry& out) {
        if (e.kind != kind) return Errc::type_conflict;
        if (bounds && e.histogram->bounds() != *bounds) return Errc::buckets_conflict;
        out = e;
        return Errc::ok;
    }

    mutable std::shared_mutex mu_;
    std::map<std::string, RegistryEntry, std::less<>> entries_;  // ordered: stable export
};

RegistryProvider::RegistryProvider() : registry_(std::make_unique<Registry>()) {}
RegistryProvider::~RegistryProvider() = default;

Errc RegistryProvider::try_counter(std::string_view name, std::string_view help, std::shared_ptr<Counter>& out) {
    RegistryEntry e;
    const Errc r = registry_->get_or_create(name, help, MetricKind::counter, nullptr,
        [](RegistryEntry& n) { n.counter = std::make_shared<AtomicCounter>(); }, e);
    if (r == Errc::ok) out = e.counter;
    return r;
}

Errc RegistryProvider::try_gauge(std::string_view name, std::string_view help, std::shared_ptr<Gauge>& out) {
    RegistryEntry e;
    const Errc r = registry_->get_or_create(name, help, MetricKind::gauge, nullptr,
        [](RegistryEntry& n) { n.gauge = std::make_shared<AtomicGauge>(); }, e);
    if (r == Errc::ok) out = e.gauge;
    return r;
}

Errc RegistryProvider::try_histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                                     std::shared_ptr<Histogram>& out) {
    RegistryEntry e;
    const Errc r = registry_->get_or_create(name, help, MetricKind::histogram, &bounds,
        [&](RegistryEntry& n) { n.histogram = make_histogram(bounds); }, e);
    if (r == Errc::ok) out = e.histogram;
    return r;
}

std::vector<MetricSample> RegistryProvider::collect() const { return registry_->collect(); }

std::shared_ptr<Histogram> StandardProvider::make_histogram(std::vector<double> bounds) const {
    return std::make_shared<AtomicHistogram>(std::move(bounds));
}

bool parse_provider_kind(std::string_view text, ProviderKind& out) noexcept {
    if (text == "standard") out = ProviderKind::standard;
    else if (text == "seqlock") out = ProviderKind::seqlock;
    else if (text == "mapped") out = ProviderKind::mapped;
    else return false;
    return true;
}

std::unique_ptr<Provider> make_provider(const Config& config) {
    switch (config.kind) {
        case ProviderKind::seqlock: return std::make_unique<SeqlockProvider>();
        case ProviderKind::mapped: return std::make_unique<MappedProvider>(config.mapped);
        case ProviderKind::standard: break;
    }
    return std::make_unique<StandardProvider>();
}

}  // namespace mmwatch::inproc
