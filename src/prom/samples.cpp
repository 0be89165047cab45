#include "prom/samples.hpp"

#include <algorithm>

#include "prom/text.hpp"

namespace mmwatch::prom {

SampleCollector::SampleCollector(Labels target, Labels external)
    : Writer(scratch_), target_(std::move(target)), external_(std::move(external)) {}

// Labels travel as "name\0value\0" pairs: no escaping, and sorting them
// later needs no parsing.
void SampleCollector::label(std::string& labels, std::string_view name, std::string_view value) const {
    labels.append(name);
    labels.push_back('\0');
    labels.append(value);
    labels.push_back('\0');
}

void SampleCollector::family(std::string_view name, Kind, std::string_view, std::string_view) { name_ = name; }

void SampleCollector::bucket(double le, double cumulative) {
    suffixed_ = name_;
    suffixed_ += "_bucket";
    add(suffixed_, "le", le, cumulative);
}

void SampleCollector::sum(double v) {
    suffixed_ = name_;
    suffixed_ += "_sum";
    add(suffixed_, {}, 0, v);
}

void SampleCollector::count(double v) {
    suffixed_ = name_;
    suffixed_ += "_count";
    add(suffixed_, {}, 0, v);
}

void SampleCollector::add(std::string_view name, std::string_view extra, double extra_value, double v) {
    pairs_.clear();
    pairs_.emplace_back("__name__", name);
    // Sized once for the target labels, so the views below stay valid.
    if (renamed_.size() != target_.size()) renamed_.resize(target_.size());
    for_each_label(labels_, [&](std::string_view n, std::string_view val) {
        for (size_t t = 0; t < target_.size(); ++t) {
            if (n == target_[t].first) {
                renamed_[t] = "exported_" + target_[t].first;
                n = renamed_[t];
            }
        }
        pairs_.emplace_back(n, val);
    });
    for (const auto& [n, val] : target_) pairs_.emplace_back(n, val);
    if (!extra.empty()) {
        number_.clear();
        append_value(number_, extra_value);  // "0.25", "+Inf": as the text format writes le
        pairs_.emplace_back(extra, number_);
    }
    for (const auto& [n, val] : external_) {
        const bool has = std::any_of(pairs_.begin(), pairs_.end(), [&](const auto& p) { return p.first == n; });
        if (!has) pairs_.emplace_back(n, val);
    }
    // By name, stable: of two labels with one name, the first added is
    // kept below. Labels per series are capped and few: insertion sort,
    // which allocates nothing (std::stable_sort takes a buffer per call).
    for (size_t i = 1; i < pairs_.size(); ++i) {
        for (size_t j = i; j > 0 && pairs_[j].first < pairs_[j - 1].first; --j) std::swap(pairs_[j], pairs_[j - 1]);
    }
    const size_t begin = arena_.size();
    std::string_view last;
    for (const auto& [n, val] : pairs_) {
        if (n == last || val.empty()) continue;  // unique names; an empty value is no label
        last = n;
        label(arena_, n, val);
    }
    const Sample s{begin, uint32_t(arena_.size() - begin), v};
    bytes_ += s.size + 16;
    samples_.push_back(s);
}

SampleBatch::SampleBatch(SampleCollector&& collector, int64_t t_ms) : series_(collector.take_arena()), t_ms_(t_ms) {
    const std::vector<Sample>& samples = collector.samples();
    values_.reserve(samples.size());
    for (const Sample& s : samples) {
        if (series_.insert(s.begin, s.size)) values_.push_back(s.value);  // one sample per series and tick
    }
}

}  // namespace mmwatch::prom
