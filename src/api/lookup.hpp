// /api/v1/series, /api/v1/labels and /api/v1/label/<name>/values as work
// in slices: each match[] selector's series are found through the
// storage's series sets, which examine a batch of candidates per call, so
// a lookup over a large store takes several loop turns instead of one
// long callback. The answer is Prometheus's `data` JSON.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api/history_storage.hpp"

namespace mmwatch::api {

class Lookup {
public:
    enum class Kind { series, label_names, label_values };
    // One step ends after this many batches of candidates examined
    // (HistoryStorage::kSelectBatchSeries each, about 0.6 us a candidate:
    // ~0.6 ms), or this many series taken from a set that is handing out
    // (about 1 us each: labels copied, sorted batches merged).
    static constexpr int kBatchesPerStep = 2;
    static constexpr int kSeriesPerStep = 512;

    // `sets` empty: every series (labels and values only).
    Lookup(HistoryStorage& storage, std::vector<std::vector<promql::Matcher>> sets, int64_t mint, int64_t maxt,
           Kind kind, std::string name);
    // One slice; true when done.
    bool step();
    // The `data` of the answer, once done.
    [[nodiscard]] std::string data_json();

private:
    void take(const promql::Labels& ls);

    HistoryStorage& storage_;
    std::vector<std::vector<promql::Matcher>> sets_;
    int64_t mint_, maxt_;
    Kind kind_;
    std::string name_;
    size_t next_set_ = 0;
    std::unique_ptr<promql::SeriesSet> current_;
    std::vector<promql::Labels> found_;  // series: each set's, in label order
    std::set<std::string> items_;         // label names or values: distinct, sorted as found
};

}  // namespace mmwatch::api
