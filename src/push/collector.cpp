#include "push/collector.hpp"

#include <algorithm>

#include "prom/text.hpp"

namespace mmwatch::push {

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

void SampleCollector::family(std::string_view name, prom::Kind, std::string_view, std::string_view) { name_ = name; }

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
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    pairs.emplace_back("__name__", name);
    std::vector<std::string> renamed;
    renamed.reserve(target_.size());
    for_each_label(labels_, [&](std::string_view n, std::string_view val) {
        for (const auto& t : target_) {
            if (n == t.first) {
                renamed.push_back("exported_" + t.first);
                n = renamed.back();
            }
        }
        pairs.emplace_back(n, val);
    });
    for (const auto& [n, val] : target_) pairs.emplace_back(n, val);
    std::string number;
    if (!extra.empty()) {
        prom::append_value(number, extra_value);  // "0.25", "+Inf": as the text format writes le
        pairs.emplace_back(extra, number);
    }
    for (const auto& [n, val] : external_) {
        const bool has = std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == n; });
        if (!has) pairs.emplace_back(n, val);
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Sample s;
    s.value = v;
    std::string_view last;
    for (const auto& [n, val] : pairs) {
        if (n == last || val.empty()) continue;  // unique names; an empty value is no label
        last = n;
        label(s.labels, n, val);
    }
    bytes_ += s.labels.size() + 16;
    samples_.push_back(std::move(s));
}

}  // namespace mmwatch::push
