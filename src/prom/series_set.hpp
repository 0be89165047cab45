// The series of one sample batch, by label set: as the batch is built,
// which samples repeat a series already in it; later, what the next batch
// compares with to know which series are gone (each gets one staleness
// marker). The label strings stay in the collector's arena, taken over
// whole; the set adds per series 24 bytes of span (with the label set's
// hash, which the push keeps as the series' identity instead of hashing
// again) and, for a series that needs checking, 16 to 32 of index slots
// (kept at most half full; docs/scaling.md). The file plan's series are
// distinct by construction and skip the index (add_distinct()): at
// 100,000 series its random slots were a cache miss each, a quarter of a
// push's CPU.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/id_index.hpp"

namespace mmwatch::prom {

class SeriesSet {
public:
    SeriesSet() = default;
    // Series are added as spans of `arena` (a SampleCollector's).
    explicit SeriesSet(std::string arena) : arena_(std::move(arena)) {}

    // The arena, for appending the next label set before insert(); a
    // caller takes back (resizes away) a label set insert() refused.
    [[nodiscard]] std::string& arena() noexcept { return arena_; }

    // Adds the label set at [begin, begin + size) of the arena; false if
    // this set already holds it. The distinct label sets not indexed yet
    // are indexed first (once).
    bool insert(size_t begin, uint32_t size) {
        index_distinct();
        return insert_unlike_distinct(begin, size);
    }
    // The same for a label set the caller knows differs from every
    // add_distinct() one (its __name__ is none of theirs): compared with
    // the others only, so the distinct ones need no index.
    bool insert_unlike_distinct(size_t begin, uint32_t size) {
        const std::string_view labels = std::string_view(arena_).substr(begin, size);
        const uint64_t h = hash(labels);
        if (find(h, labels) != base::IdIndex::kMissing) return false;
        spans_.push_back({h, begin, size, true});
        try {
            index_.insert(h, uint32_t(spans_.size() - 1));
        } catch (...) {
            spans_.pop_back();  // memory ran out: the set is as it was
            throw;
        }
        return true;
    }
    // Adds a label set the caller knows differs from every other in the
    // set (the file plan's: one series per family and file, docs/ARCHITECTURE.md,
    // the sample pipeline): hashed, not looked up nor indexed.
    void add_distinct(size_t begin, uint32_t size) {
        spans_.push_back({hash(std::string_view(arena_).substr(begin, size)), begin, size, false});
        ++unindexed_;
    }
    // Indexes the add_distinct() label sets not indexed yet: before a
    // label set that may repeat one of them is inserted.
    void index_distinct() {
        if (unindexed_ == 0) return;
        index_.reserve(spans_.size());
        for (uint32_t i = 0; i < spans_.size(); ++i) {
            if (spans_[i].indexed) continue;
            index_.insert(spans_[i].hash, i);
            spans_[i].indexed = true;
        }
        unindexed_ = 0;
    }
    // Indexes the add_distinct() label sets among the i-th for i in
    // [first, last): those one family added, before a label set under its
    // name is inserted (insert_unlike_distinct()). The cost is that
    // family's series, not all the distinct ones.
    void index_range(size_t first, size_t last) {
        last = std::min(last, spans_.size());
        for (size_t i = first; i < last && unindexed_ > 0; ++i) {
            if (spans_[i].indexed) continue;
            index_.insert(spans_[i].hash, uint32_t(i));
            spans_[i].indexed = true;
            --unindexed_;
        }
    }
    // Whether the set holds `labels`: by the index, and the distinct label
    // sets not indexed one by one (tests and checks, not a hot path).
    [[nodiscard]] bool contains(std::string_view labels) const noexcept {
        const uint64_t h = hash(labels);
        if (find(h, labels) != base::IdIndex::kMissing) return true;
        if (unindexed_ == 0) return false;
        return std::any_of(spans_.begin(), spans_.end(), [&](const Span& s) {
            return !s.indexed && s.hash == h && std::string_view(arena_).substr(s.begin, s.size) == labels;
        });
    }
    [[nodiscard]] size_t size() const noexcept { return spans_.size(); }
    [[nodiscard]] size_t label_bytes() const noexcept { return arena_.size(); }
    // The arena, the spans and the index slots.
    [[nodiscard]] size_t memory_bytes() const noexcept {
        return arena_.capacity() + spans_.capacity() * sizeof(spans_[0]) + index_.memory_bytes();
    }
    [[nodiscard]] std::string_view operator[](size_t i) const noexcept {
        return std::string_view(arena_).substr(spans_[i].begin, spans_[i].size);
    }
    // The i-th label set's hash(), kept from its insert.
    [[nodiscard]] uint64_t hash_of(size_t i) const noexcept { return spans_[i].hash; }
    // How many label sets the index holds (those not added distinct, and
    // those since indexed).
    [[nodiscard]] size_t indexed() const noexcept { return index_.size(); }
    // Room for `series` label sets of `arena_bytes` in all, `indexed` of
    // them in the index, so a set built as big as the last one grows no
    // buffer (and copies nothing) on the way.
    void reserve(size_t series, size_t arena_bytes, size_t indexed) {
        arena_.reserve(arena_bytes);
        spans_.reserve(series);
        index_.reserve(indexed);
    }
    // A label set's hash: the same for the same bytes in every process
    // run of one build (std::hash, unseeded).
    static uint64_t hash(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

private:
    struct Span {
        uint64_t hash;
        size_t begin;
        uint32_t size;
        bool indexed;  // false: added distinct, not indexed yet
    };
    [[nodiscard]] uint32_t find(uint64_t h, std::string_view labels) const noexcept {
        return index_.find(h, [&](uint32_t id) { return (*this)[id] == labels; });
    }

    std::string arena_;
    std::vector<Span> spans_;
    base::IdIndex index_;
    size_t unindexed_ = 0;  // spans added distinct and not indexed yet
};

}  // namespace mmwatch::prom
