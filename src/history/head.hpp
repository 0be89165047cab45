// A series' open chunk: samples appended as Gorilla bits (gorilla.hpp),
// one column for raw samples, five for a tier's rows (min, max, sum,
// count, last) sharing one timestamp. Sealing decodes it and re-encodes
// the samples with the chunk codec.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "history/bits.hpp"
#include "history/gorilla.hpp"
#include "history/sample.hpp"

namespace mmwatch::history {

// The previous value and XOR window of a column after the first.
struct XorColumn {
    uint64_t v = 0;
    uint8_t leading = 0xff;
    uint8_t trailing = 0;
};

template <size_t Columns>
class Head {
public:
    using Row = std::array<uint64_t, Columns>;

    void append(int64_t t, const Row& values) {
        if (count_ == 0) mint_ = t;
        gorilla_append(bits_, first_, t, values[0]);
        for (size_t c = 1; c < Columns; ++c) {
            GorillaState s{0, 0, rest_[c - 1].v, rest_[c - 1].leading, rest_[c - 1].trailing};
            xor_put(bits_, s, values[c]);
            rest_[c - 1] = {s.v, s.leading, s.trailing};
        }
        ++count_;
    }

    // Every sample, decoded into `t` and `values` (columns side by side:
    // values[row * Columns + c]); false if the bits do not decode, which
    // only a bug could cause.
    bool decode(std::vector<int64_t>& t, std::vector<uint64_t>& values) const {
        std::string bytes;
        bits_.copy_to(bytes);
        BitReader r(bytes);
        GorillaState first;
        GorillaState rest[Columns > 1 ? Columns - 1 : 1];
        t.resize(count_);
        values.resize(size_t(count_) * Columns);
        for (uint32_t i = 0; i < count_; ++i) {
            if (!gorilla_read_time(r, first)) return false;
            t[i] = int64_t(first.t);
            if (!xor_get(r, first)) return false;
            values[size_t(i) * Columns] = first.v;
            for (size_t c = 1; c < Columns; ++c) {
                if (!xor_get(r, rest[c - 1])) return false;
                values[size_t(i) * Columns + c] = rest[c - 1].v;
            }
        }
        return !r.overrun();
    }

    void clear() {
        bits_.clear();
        first_ = {};
        rest_ = {};
        count_ = 0;
    }
    // Gives the buffer back too (an idle series holds no bytes).
    void release() {
        clear();
        bits_.release();
    }

    [[nodiscard]] uint32_t count() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] int64_t mint() const noexcept { return mint_; }
    [[nodiscard]] int64_t maxt() const noexcept { return int64_t(first_.t); }
    [[nodiscard]] size_t byte_size() const noexcept { return bits_.byte_size(); }
    [[nodiscard]] size_t capacity_bytes() const noexcept { return bits_.capacity_bytes(); }

private:
    BitWriter bits_;
    GorillaState first_;
    std::array<XorColumn, Columns - 1> rest_{};
    uint32_t count_ = 0;
    int64_t mint_ = 0;
};

using RawHead = Head<1>;

}  // namespace mmwatch::history
