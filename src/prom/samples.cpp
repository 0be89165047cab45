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

void SampleCollector::family(std::string_view name, Kind kind, std::string_view, std::string_view) {
    name_ = name;
    if (!distinct_) return;
    if (!ranges_.empty() && ranges_.back().last == SIZE_MAX) ranges_.back().last = series_.size();
    ranges_.push_back({series_.size(), SIZE_MAX});
    distinct_names_.emplace(name, ranges_.size() - 1);
    if (kind != Kind::histogram && kind != Kind::summary) return;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"})
        distinct_names_.emplace(name_ + std::string(suffix), ranges_.size() - 1);
}

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

// The pairs of one sample, by name, into pairs_: __name__ first added,
// then labels_ (a target label's name taken becomes exported_NAME), the
// target labels, the extra one, and the external labels not there yet.
void SampleCollector::sort_labels(std::string_view name, std::string_view extra, double extra_value) {
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
}

// pairs_ written out: each name once (the first added: __name__ is ours),
// an empty value as no label.
void SampleCollector::write_labels(std::string& arena) const {
    std::string_view last;
    for (const auto& [n, val] : pairs_) {
        if (n == last || val.empty()) continue;
        last = n;
        label(arena, n, val);
    }
}

// arounds_' entry for labels_, made on first use: the pairs sorted with
// `name` as __name__ (any name: the order is by label name), written out
// without it, and where it goes.
const SampleCollector::Around& SampleCollector::make_around(std::string_view name) {
    if (arounds_.size() >= kMaxArounds) arounds_.clear();
    sort_labels(name, {}, 0);
    Around around;
    bool ours = false;
    std::string_view last;
    for (const auto& [n, val] : pairs_) {  // as write_labels() does
        if (n == last || val.empty()) continue;
        last = n;
        if (!ours && n == "__name__") {  // the first is ours (stable sort)
            ours = true;
            around.split = around.pairs.size();
            continue;
        }
        label(around.pairs, n, val);
    }
    return arounds_.emplace(labels_, std::move(around)).first->second;
}

void SampleCollector::add(std::string_view name, std::string_view extra, double extra_value, double v) {
    std::string& arena = series_.arena();
    const size_t begin = arena.size();
    if (extra.empty() && !name.empty()) {
        // A counter's or gauge's sample: only __name__ differs from the
        // last one's when labels_ did not (the order is by name alone), so
        // the rest is sorted and written out once per labels_.
        const auto found = arounds_.find(labels_);
        const Around& around = found != arounds_.end() ? found->second : make_around(name);
        arena.append(around.pairs, 0, around.split);
        label(arena, "__name__", name);
        arena.append(around.pairs, around.split);
    } else {
        sort_labels(name, extra, extra_value);
        write_labels(arena);
    }
    const uint32_t size = uint32_t(arena.size() - begin);
    bytes_ += size + 16;
    // One sample per series and tick: a repeat's labels are taken back.
    // Room first: memory running out leaves the set and the values in step.
    try {
        if (values_.size() == values_.capacity()) values_.reserve(2 * values_.size() + 64);
        if (distinct_) {
            series_.add_distinct(begin, size);
            values_.push_back(v);
            return;
        }
        // Under a file family's name: that family's series are indexed
        // first (once), the only ones it may repeat (__name__ is in the set).
        if (const auto same = distinct_names_.find(name); same != distinct_names_.end())
            series_.index_range(ranges_[same->second].first, ranges_[same->second].last);
        const bool inserted = series_.insert_unlike_distinct(begin, size);
        if (inserted) {
            values_.push_back(v);
            return;
        }
    } catch (...) {
        arena.resize(begin);
        throw;
    }
    arena.resize(begin);
}

}  // namespace mmwatch::prom
