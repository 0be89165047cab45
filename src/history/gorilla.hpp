// The head's encoding: Gorilla (Pelkonen et al., VLDB 2015) as Prometheus
// writes it, timestamps as delta-of-delta in buckets of 0/14/17/20/64
// bits, values as the XOR with the previous value. An append costs a few
// bit operations and no look-ahead, which is what an open chunk needs;
// sealing re-encodes the samples more tightly (chunk_codec.hpp).
//
// All time arithmetic is modulo 2^64, so every int64 millisecond
// timestamp, however far apart, comes back exactly; values are kept as
// their 64 bits, so every NaN payload, -0 and infinity comes back too.
#pragma once

#include <cstdint>
#include <string_view>

#include "history/bits.hpp"

namespace mmwatch::history {

// What the next append is relative to.
struct GorillaState {
    uint64_t t = 0;        // previous timestamp (as uint64)
    uint64_t dt = 0;       // previous delta
    uint64_t v = 0;        // previous value's bits
    uint8_t leading = 0xff;  // XOR window of the previous value; 0xff: none yet
    uint8_t trailing = 0;
};

void gorilla_append(BitWriter& w, GorillaState& s, int64_t t, uint64_t value_bits);

// The value half alone (the sealed chunk's xor mode uses it too): `s.v`
// is the previous value, `s.leading`/`s.trailing` its window.
void xor_put(BitWriter& w, GorillaState& s, uint64_t value_bits);
// False if the bits are not a valid XOR code (the value is then garbage).
[[nodiscard]] bool xor_get(BitReader& r, GorillaState& s) noexcept;

// One timestamp's delta-of-delta into `s.t` and `s.dt`.
bool gorilla_read_time(BitReader& r, GorillaState& s) noexcept;

// Reads back `count` samples written from a fresh GorillaState.
class GorillaReader {
public:
    GorillaReader(std::string_view bytes, uint32_t count) noexcept : in_(bytes), left_(count) {}
    // The next sample; false at the end or if the bytes ran out (then
    // `corrupt()` is true).
    bool next(int64_t& t, uint64_t& value_bits) noexcept;
    [[nodiscard]] bool corrupt() const noexcept { return bad_ || in_.overrun(); }

private:
    bool fail() noexcept {
        bad_ = true;
        left_ = 0;
        return false;
    }

    BitReader in_;
    bool bad_ = false;
    GorillaState s_;
    uint32_t left_;
};

}  // namespace mmwatch::history
