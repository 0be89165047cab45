// Downsampled tiers: per bucket (a minute, an hour) the min, max, sum,
// count and last of a series' samples, so a long range reads one row per
// bucket instead of every sample. Staleness markers are not samples and
// are left out; a NaN is counted and summed (the sum is then NaN) but min
// and max skip it unless every sample was NaN, as min_over_time does.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "history/head.hpp"

namespace mmwatch::history {

enum class Tier : uint8_t { raw = 0, minute = 1, hour = 2 };
inline constexpr size_t kTierCount = 3;
// Bucket width of each downsampled tier (raw has none).
inline constexpr int64_t kTierBucketMs[kTierCount] = {0, 60'000, 3'600'000};
[[nodiscard]] std::string_view tier_name(Tier t) noexcept;
// A head is sealed once it spans this much time (and the upkeep seals one
// that has been open this long), so even a slow series' samples reach a
// chunk, and the disk, in bounded time; a chunk's span also bounds what a
// query decodes in vain.
inline constexpr int64_t kMaxChunkSpanMs[kTierCount] = {2ll * 3600 * 1000, 24ll * 3600 * 1000,
                                                       8ll * 24 * 3600 * 1000};

// One bucket of a downsampled tier; `t` is the bucket's start.
struct TierRow {
    int64_t t = 0;
    double min = 0, max = 0, sum = 0, last = 0;
    uint64_t count = 0;
};
inline constexpr size_t kTierColumns = 5;  // min, max, sum, count, last

// The bucket being filled: its row, whose t is the bucket's start (none is
// open while the count is 0).
struct Accumulator {
    TierRow row;
    [[nodiscard]] bool open() const noexcept { return row.count > 0; }
    void add(int64_t t_bucket, double v) noexcept;
};

using TierHead = Head<kTierColumns>;
[[nodiscard]] TierHead::Row tier_row_bits(const TierRow& r) noexcept;
[[nodiscard]] TierRow tier_row_from_bits(int64_t t, const uint64_t* bits) noexcept;

// A tier chunk: the rows' times part, then the five columns' values
// parts (chunk_codec.hpp), each preceded by its length.
void encode_tier_chunk(std::span<const TierRow> rows, std::string& out);
// False if it does not decode; `scratch` is reused between calls.
[[nodiscard]] bool decode_tier_chunk(std::string_view bytes, std::vector<TierRow>& out,
                                     std::vector<Sample>& scratch);

// A series' downsampled state, made when its first sample arrives: the open
// bucket and the open chunk of each downsampled tier.
struct TierState {
    Accumulator acc[kTierCount - 1];
    TierHead head[kTierCount - 1];
    // The start of the latest row closed (kept in the head or sealed), if
    // any: a bucket at or before it is never written again.
    int64_t last_row[kTierCount - 1] = {INT64_MIN, INT64_MIN};
    bool has_row[kTierCount - 1] = {false, false};
    [[nodiscard]] bool closed(size_t tier, int64_t bucket) const noexcept {
        return has_row[tier] && bucket <= last_row[tier];
    }
};

// A row's count, stored as a double; anything not a count (a corrupt chunk
// from disk) reads as 0.
[[nodiscard]] inline uint64_t count_of(double v) noexcept {
    return v >= 0 && v < 18446744073709551616.0 ? uint64_t(v) : 0;
}

// The bucket `t` falls in (floor division, right for negative times too).
[[nodiscard]] int64_t bucket_of(int64_t t, int64_t width) noexcept;

}  // namespace mmwatch::history
