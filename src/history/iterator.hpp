// Reading a series back: its samples (or a tier's rows) in a time range,
// oldest first, from the sealed chunks and the open head alike. An
// iterator decodes one chunk at a time into its own buffer and finds the
// next chunk by time, so it stays right when the store changes between
// two calls (a seal, an eviction: evicted samples are simply not seen; a
// series removed and its slot reused: the generation differs and the
// iterator ends). The query engine can keep one across loop turns.
#pragma once

#include <cstdint>
#include <vector>

#include "history/postings.hpp"
#include "history/sample.hpp"
#include "history/tiers.hpp"

namespace mmwatch::history {

class Store;

class SampleIterator {
public:
    SampleIterator(const Store& store, SeriesId id, int64_t mint, int64_t maxt);
    // Moves to the next sample; false at the end.
    bool next();
    [[nodiscard]] int64_t t() const noexcept { return buf_[pos_].t; }
    [[nodiscard]] uint64_t bits() const noexcept { return buf_[pos_].bits; }
    [[nodiscard]] double value() const noexcept { return buf_[pos_].value(); }
    [[nodiscard]] const Sample& sample() const noexcept { return buf_[pos_]; }

private:
    bool refill();

    const Store* store_;
    SeriesId id_;
    uint32_t generation_;
    int64_t from_;  // the next sample wanted is at or after this
    int64_t maxt_;
    bool done_ = false;
    std::vector<Sample> buf_;
    size_t pos_ = 0;
    bool started_ = false;
};

class TierIterator {
public:
    TierIterator(const Store& store, SeriesId id, Tier tier, int64_t mint, int64_t maxt);
    bool next();
    [[nodiscard]] const TierRow& row() const noexcept { return buf_[pos_]; }

private:
    bool refill();

    const Store* store_;
    SeriesId id_;
    size_t tier_;
    uint32_t generation_;
    int64_t from_;
    int64_t maxt_;
    bool done_ = false;
    std::vector<TierRow> buf_;
    size_t pos_ = 0;
    bool started_ = false;
    std::vector<Sample> column_;
};

// A raw chunk as kept in a page (its times part's id, its values part).
[[nodiscard]] bool decode_raw_chunk(const Store& store, std::string_view bytes, std::vector<Sample>& out);


}  // namespace mmwatch::history
