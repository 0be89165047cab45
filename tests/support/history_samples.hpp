// Random samples for the history store's property tests: values from every
// corner of float64 (NaN payloads, the staleness marker, -0, infinities,
// subnormals, huge and tiny numbers) mixed with the decimal data exporters
// write (counters, gauges, two-decimal seconds, Go durations), timestamps
// with gaps, jitter and extreme values.
#pragma once

#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "history/sample.hpp"

namespace mmwatch::test {

inline uint64_t odd_value(std::mt19937_64& rng) {
    static const uint64_t kOdd[] = {
        history::kStaleNaNBits,
        0x7ff8000000000000ull,                                  // the quiet NaN
        0xfff8000000000001ull,                                  // a negative NaN with a payload
        0x7ff0000000000001ull,                                  // a signalling NaN
        std::bit_cast<uint64_t>(-0.0),
        std::bit_cast<uint64_t>(std::numeric_limits<double>::infinity()),
        std::bit_cast<uint64_t>(-std::numeric_limits<double>::infinity()),
        std::bit_cast<uint64_t>(std::numeric_limits<double>::denorm_min()),
        std::bit_cast<uint64_t>(std::numeric_limits<double>::max()),
        std::bit_cast<uint64_t>(std::numeric_limits<double>::lowest()),
        std::bit_cast<uint64_t>(1e-300),
        std::bit_cast<uint64_t>(9.3e18),
        std::bit_cast<uint64_t>(0.1 + 0.2),
    };
    if (rng() % 4 == 0) return rng();  // any 64 bits at all
    return kOdd[rng() % (sizeof kOdd / sizeof kOdd[0])];
}

// One series' worth: `n` samples of a randomly chosen kind, strictly
// increasing timestamps from `t0`.
inline std::vector<history::Sample> random_series(std::mt19937_64& rng, size_t n, int64_t t0) {
    std::vector<history::Sample> out;
    const unsigned kind = unsigned(rng() % 7);
    const int64_t step = int64_t(1 + rng() % 30'000);
    double counter = double(rng() % 1'000'000);
    uint64_t t = uint64_t(t0);
    for (size_t i = 0; i < n; ++i) {
        double v = 0;
        switch (kind) {
            case 0: v = 42; break;                                                  // constant
            case 1: counter += double(rng() % 5000); v = counter; break;            // bytes counter
            case 2: counter += double(rng() % 300) / 100; v = counter; break;       // cpu seconds
            case 3: v = double(rng() % 10'000'000) / 1e9; break;                    // durations
            case 4: v = std::bit_cast<double>(rng()); break;                        // noise
            case 5: v = double(int64_t(rng() % 2000) - 1000) * 4096; break;         // gauge
            default: v = double(rng() % 100) / 8; break;
        }
        uint64_t bits = std::bit_cast<uint64_t>(v);
        if (rng() % 50 == 0) bits = odd_value(rng);
        out.push_back({int64_t(t), bits});
        // Regular steps with jitter, gaps, and now and then an enormous leap.
        uint64_t dt = uint64_t(step);
        if (rng() % 8 == 0) dt += rng() % 5;
        if (rng() % 64 == 0) dt += rng() % 10'000'000;
        if (rng() % 512 == 0) dt += rng() >> 4;
        if (t + dt < t) break;  // past the largest timestamp
        t += dt;
    }
    return out;
}

// Got what was wanted, sample by sample, bit for bit (a doctest helper).
inline void require_same(const std::vector<history::Sample>& got, const std::vector<history::Sample>& want) {
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("sample " << i);
        REQUIRE(got[i].t == want[i].t);
        REQUIRE(got[i].bits == want[i].bits);
    }
}

}  // namespace mmwatch::test
