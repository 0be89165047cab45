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

template <size_t Columns>
class Head {
public:
    using Row = std::array<uint64_t, Columns>;

    void append(int64_t t, const Row& values) {
        if (count_ == 0) mint_ = t;
        gorilla_append(bits_, first_, t, values[0]);
        for (size_t c = 0; c + 1 < Columns; ++c) {
            GorillaState s{0, 0, rest_v_[c], rest_leading_[c], rest_trailing_[c]};
            xor_put(bits_, s, values[c + 1]);
            rest_v_[c] = s.v;
            rest_leading_[c] = s.leading;
            rest_trailing_[c] = s.trailing;
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
        rest_v_ = {};
        rest_leading_.fill(0xff);
        rest_trailing_ = {};
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
    static constexpr std::array<uint8_t, Columns - 1> no_window() noexcept {
        std::array<uint8_t, Columns - 1> a{};
        a.fill(0xff);
        return a;
    }

    BitWriter bits_;
    GorillaState first_;
    // The other columns' previous values and XOR windows, apart so they
    // pack (0xff: no window yet).
    std::array<uint64_t, Columns - 1> rest_v_{};
    std::array<uint8_t, Columns - 1> rest_leading_ = no_window();
    std::array<uint8_t, Columns - 1> rest_trailing_{};
    uint32_t count_ = 0;
    int64_t mint_ = 0;
};

using RawHead = Head<1>;

}  // namespace mmwatch::history
