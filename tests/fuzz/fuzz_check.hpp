// Shared by the fuzz targets: an invariant check that aborts (so libFuzzer
// records a crash with the input) and a reference UTF-8 validator written
// from the Unicode well-formed byte table (Unicode 15, table 3-7), kept
// independent of utf8::valid so the two can be compared.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, \
                         __LINE__);                                                   \
            std::abort();                                                             \
        }                                                                             \
    } while (0)

namespace fuzz {

inline bool in(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

// Table 3-7: the only well-formed sequences, first byte then the allowed
// range of the second; later bytes are always 80..BF.
inline bool reference_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        size_t n = 0;
        unsigned lo2 = 0x80, hi2 = 0xBF;
        if (b0 <= 0x7F) n = 1;
        else if (in(b0, 0xC2, 0xDF)) n = 2;
        else if (b0 == 0xE0) { n = 3; lo2 = 0xA0; }
        else if (in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) n = 3;
        else if (b0 == 0xED) { n = 3; hi2 = 0x9F; }
        else if (b0 == 0xF0) { n = 4; lo2 = 0x90; }
        else if (in(b0, 0xF1, 0xF3)) n = 4;
        else if (b0 == 0xF4) { n = 4; hi2 = 0x8F; }
        else return false;
        if (s.size() - i < n) return false;
        if (n > 1 && !in(static_cast<unsigned char>(s[i + 1]), lo2, hi2)) return false;
        for (size_t k = 2; k < n; ++k) {
            if (!in(static_cast<unsigned char>(s[i + k]), 0x80, 0xBF)) return false;
        }
        i += n;
    }
    return true;
}

// True when `inner` lies entirely inside `outer` (an empty view anywhere
// in or at the end of it counts; a default-constructed empty view too).
inline bool within(std::string_view inner, std::string_view outer) {
    if (inner.empty()) return inner.data() == nullptr || (inner.data() >= outer.data() &&
                                                          inner.data() <= outer.data() + outer.size());
    return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace fuzz
