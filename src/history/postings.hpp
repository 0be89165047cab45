// The postings index: for each label (name, value), the series that carry
// it, as a sorted list of ids; and for each label name, its values. What a
// query engine needs to turn `{job="node", mode!="idle"}` into series
// (intersect, subtract, and walk a name's values for a regex).
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "history/labels.hpp"

namespace mmwatch::history {

using SeriesId = uint32_t;

class Postings {
public:
    void add(SeriesId id, std::span<const Label> labels);
    // Takes `id` out of the lists of `labels`, later: removals are batched
    // (one pass over each affected list) and done by flush_removals(), which
    // the store calls before it answers any lookup.
    void remove_later(SeriesId id, std::span<const Label> labels);
    void flush_removals();
    [[nodiscard]] bool removals_pending() const noexcept { return !dead_.empty(); }

    // Series carrying name=value, sorted; empty if none.
    [[nodiscard]] std::span<const SeriesId> series(uint32_t name, uint32_t value) const noexcept;
    // The values a label name has (symbols, in no order); empty if none.
    [[nodiscard]] std::span<const uint32_t> values(uint32_t name) const noexcept;
    // Every label name in use (symbols, in no order).
    void names(std::vector<uint32_t>& out) const;

    [[nodiscard]] size_t lists() const noexcept { return lists_.size(); }
    [[nodiscard]] size_t memory_bytes() const noexcept { return memory_bytes_ + table_bytes(); }

private:
    struct List {
        std::vector<SeriesId> ids;
        uint32_t slot = 0;  // this value's place in values_[name]
    };
    static uint64_t key(uint32_t name, uint32_t value) noexcept { return uint64_t(name) << 32 | value; }
    [[nodiscard]] size_t table_bytes() const noexcept;
    void drop_list(uint64_t k);

    std::unordered_map<uint64_t, List> lists_;
    std::unordered_map<uint32_t, std::vector<uint32_t>> values_;
    std::vector<SeriesId> dead_;        // ids removed later
    std::vector<uint64_t> dead_keys_;   // the lists they are in
    size_t memory_bytes_ = 0;           // vectors' capacities, kept as they change
};

}  // namespace mmwatch::history
