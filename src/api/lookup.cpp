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
                found_.push_back(current_->labels());
                ++series;
                break;
            case promql::SeriesSet::Next::pending: ++batches; break;
            case promql::SeriesSet::Next::end: current_.reset(); break;
        }
    }
    return false;
}

std::string Lookup::data_json() {
    if (kind_ == Kind::series) {
        std::sort(found_.begin(), found_.end(), [](const auto& a, const auto& b) { return promql::compare(a, b) < 0; });
        found_.erase(std::unique(found_.begin(), found_.end()), found_.end());
        std::string out = "[";
        for (size_t i = 0; i < found_.size(); ++i) {
            if (i) out += ',';
            append_labels(out, found_[i]);
        }
        return out + "]";
    }
    std::vector<std::string> items;
    for (const promql::Labels& ls : found_) {
        if (kind_ == Kind::label_names) {
            for (const promql::Label l : ls) items.emplace_back(l.name);
        } else if (const auto v = ls.get(name_); !v.empty()) {
            items.emplace_back(v);
        }
    }
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    return string_array(items);
}

}  // namespace mmwatch::api
