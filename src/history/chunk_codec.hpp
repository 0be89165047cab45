// The sealed chunk: a series' samples, encoded once all of them are known,
// so the encoder can look at the whole chunk before choosing. Two parts:
//
// times   delta-of-delta, bit-packed in groups (a group of regular
//         intervals costs one bit). Kept apart from the values because
//         series scraped together have the very same timestamps: the store
//         keeps each distinct times part once (store.hpp), and a zstd'd
//         segment record sees them repeat.
// values  whichever fits:
//   const    every value the same: 64 bits once;
//   decimal  every value (bar a few exceptions kept raw) is m / 10^k for one
//            k and integers m, give or take a few units in the last place
//            (exporters print counters, bytes, two-decimal seconds and Go
//            durations; some compute x * 0.001 and are an ulp off): the
//            integers as deltas or delta-of-deltas, bit-packed in groups
//            with their common trailing zero bits shifted out, and the ulp
//            residuals in 3-bit groups when there are any;
//   xor      Gorilla's XOR with the previous value, for the rest.
// Lossless: a value goes the decimal way only if decoding gives back its
// exact 64 bits; anything else (NaN payloads, -0, infinities, staleness
// markers) is an exception or goes the XOR way. docs/history.md has the
// layout and the measurements behind each choice.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "history/sample.hpp"

namespace mmwatch::history {

// Samples in one chunk, at most: a bound on what a decoder allocates for a
// chunk read from disk, and on the work of decoding one chunk.
inline constexpr uint32_t kMaxChunkSamples = 8192;

enum class ChunkError { none, truncated, bad_count, bad_header };

// The times part of `samples` (1..kMaxChunkSamples, strictly increasing
// timestamps not required), appended to `out`.
void encode_times(std::span<const Sample> samples, std::string& out);
// The values part, appended to `out`; its sample count is the times'.
void encode_values(std::span<const Sample> samples, std::string& out);
// Sizes `out` to the times' count and sets every timestamp.
[[nodiscard]] ChunkError decode_times(std::string_view bytes, std::vector<Sample>& out);
// Sets the bits of every sample of `out` (sized by decode_times).
[[nodiscard]] ChunkError decode_values(std::string_view bytes, std::vector<Sample>& out);
// The samples a times part holds; 0 if it does not start with a valid count.
[[nodiscard]] uint32_t times_count(std::string_view bytes) noexcept;

// A chunk on its own (segment records, tier columns): the times part's
// length, the times, the values.
void encode_chunk(std::span<const Sample> samples, std::string& out);
[[nodiscard]] ChunkError decode_chunk(std::string_view bytes, std::vector<Sample>& out);

// Unsigned LEB128, as protobuf writes varints; used by the chunk header and
// the segment records.
void put_varint(std::string& out, uint64_t v);
// Reads one at `pos`, advancing it; false if truncated or longer than 10 bytes.
[[nodiscard]] bool get_varint(std::string_view in, size_t& pos, uint64_t& v) noexcept;

}  // namespace mmwatch::history
