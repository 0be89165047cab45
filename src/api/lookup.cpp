#include "api/lookup.hpp"

#include <algorithm>

#include "api/api_json.hpp"

namespace mmwatch::api {

Lookup::Lookup(HistoryStorage& storage, std::vector<std::vector<promql::Matcher>> sets, int64_t mint, int64_t maxt,
               Kind kind, std::string name)
    : storage_(storage), sets_(std::move(sets)), mint_(mint), maxt_(maxt), kind_(kind), name_(std::move(name)) {
    if (sets_.empty()) sets_.emplace_back();
}

bool Lookup::step() {
    int batches = 0, series = 0;
    while (batches < kBatchesPerStep && series < kSeriesPerStep) {
        if (!current_) {
            if (next_set_ == sets_.size()) return true;
            current_ = storage_.select(sets_[next_set_++], mint_, maxt_);
        }
        switch (current_->next()) {
            case promql::SeriesSet::Next::series:
                take(current_->labels());
                ++series;
                break;
            case promql::SeriesSet::Next::pending: ++batches; break;
            case promql::SeriesSet::Next::end: current_.reset(); break;
        }
    }
    return false;
}

// What the answer needs of a series found: the series, or its label
// names or its value of name_, kept distinct and sorted as they come so
// the answer is only written at the end.
void Lookup::take(const promql::Labels& ls) {
    if (kind_ == Kind::series) {
        found_.push_back(ls);
    } else if (kind_ == Kind::label_names) {
        for (const promql::Label l : ls) items_.emplace(l.name);
    } else if (const auto v = ls.get(name_); !v.empty()) {
        items_.emplace(v);
    }
}

std::string Lookup::data_json() {
    if (kind_ != Kind::series) return string_array(std::vector<std::string>(items_.begin(), items_.end()));
    // One match[] set hands out its series sorted; several need merging.
    const auto less = [](const auto& a, const auto& b) { return promql::compare(a, b) < 0; };
    if (!std::is_sorted(found_.begin(), found_.end(), less)) std::sort(found_.begin(), found_.end(), less);
    found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
    std::string out = "[";
    for (size_t i = 0; i < found_.size(); ++i) {
        if (i) out += ',';
        append_labels(out, found_[i]);
    }
    return out + "]";
}

}  // namespace mmwatch::api
