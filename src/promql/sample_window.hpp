// One series' samples in a window (mint, maxt] that moves forward step by
// step: samples before the window are dropped, new ones read from the
// store in batches, so each sample is read once per evaluation and a
// series never sits in memory whole. The source is the store (a series
// reference) or a series already in memory (a subquery's result).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "promql/storage.hpp"

namespace mmwatch::promql {

// Samples read from the store per call, between two chances to yield.
inline constexpr size_t kReadBatchSamples = 4096;

class SampleWindow {
public:
    // From the store. `keep_stale`: keep staleness markers (an instant
    // selector needs to see them; range functions never do).
    SampleWindow(Storage& storage, uint64_t ref, bool keep_stale) noexcept
        : storage_(&storage), ref_(ref), keep_stale_(keep_stale) {}
    // From memory: `points` outlives the window.
    SampleWindow(const std::vector<FPoint>& points, bool keep_stale) noexcept
        : memory_(&points), keep_stale_(keep_stale) {}

    // Moves the window to (mint, maxt]. Reads at most one batch; returns
    // the samples read, with `complete` false while more remain to read
    // (call again, after yielding).
    size_t move(int64_t mint, int64_t maxt, bool& complete);

    [[nodiscard]] std::span<const FPoint> points() const noexcept {
        return {buf_.data() + head_, buf_.size() - head_};
    }
    [[nodiscard]] size_t size() const noexcept { return buf_.size() - head_; }

private:
    size_t fetch(int64_t from, int64_t maxt, size_t max);

    Storage* storage_ = nullptr;
    uint64_t ref_ = 0;
    const std::vector<FPoint>* memory_ = nullptr;
    bool keep_stale_;
    std::vector<FPoint> buf_;
    size_t head_ = 0;
    // Every sample at or before this time has been read (or skipped).
    int64_t read_until_ = INT64_MIN;
};

}  // namespace mmwatch::promql
