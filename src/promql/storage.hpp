// What the evaluator needs of a time-series store, and nothing more: the
// series matching a list of matchers in [mint, maxt], each series' float
// samples in a time range, and label names and values for the HTTP API.
// One virtual call per series and per batch of samples, never per sample;
// no callbacks. Both calls do bounded work so a query can be sliced: a
// series set may answer `pending` (it examined a batch of candidates and
// found none yet) and reads take a sample cap.
//
// The history store (src/history) implements it through an adapter;
// MemoryStorage (memory_storage.hpp) is the implementation for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "promql/label_set.hpp"
#include "promql/matcher.hpp"
#include "promql/value.hpp"

namespace mmwatch::promql {

// A cursor over the series a select() found, in any order.
class SeriesSet {
public:
    enum class Next { series, pending, end };
    virtual ~SeriesSet() = default;
    // Moves to the next matching series (`series`), or reports that it
    // spent its batch of work without finding one yet (`pending`: call
    // again), or that there are no more (`end`).
    virtual Next next() = 0;
    // The current series: its labels and a reference read() understands.
    [[nodiscard]] virtual const Labels& labels() const = 0;
    [[nodiscard]] virtual uint64_t ref() const = 0;
};

class Storage {
public:
    virtual ~Storage() = default;
    // The series matching every matcher (an absent label matches as "")
    // that may hold samples in [mint, maxt] (milliseconds).
    [[nodiscard]] virtual std::unique_ptr<SeriesSet> select(std::span<const Matcher> matchers, int64_t mint,
                                                            int64_t maxt) = 0;
    // Appends to `out`, in time order, at most `max` samples of series
    // `ref` with mint <= t <= maxt, staleness markers included; returns how
    // many it appended. A series that is gone reads as empty.
    virtual size_t read(uint64_t ref, int64_t mint, int64_t maxt, std::vector<FPoint>& out, size_t max) = 0;
    // Sorted, distinct label names of the series matching `matchers` (all
    // series when empty) with samples in [mint, maxt].
    virtual void label_names(std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                             std::vector<std::string>& out) = 0;
    // Sorted, distinct values of label `name` over the same series.
    virtual void label_values(std::string_view name, std::span<const Matcher> matchers, int64_t mint, int64_t maxt,
                              std::vector<std::string>& out) = 0;
};

}  // namespace mmwatch::promql
