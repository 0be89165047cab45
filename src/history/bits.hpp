// Bit streams, most significant bit first, for the chunk codecs. The
// writer owns its bytes and keeps its partial byte apart, so a head can
// append a few bits per sample for as long as it is open; the reader
// never reads past its bytes (a short stream reads as zeros and sets
// `overrun`), so a decoder over a corrupt chunk from disk stops with an
// error instead of reading stray memory.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::history {

class BitWriter {
public:
    BitWriter() = default;
    // Goes on after the bytes already in `start` (a header written bytewise).
    explicit BitWriter(std::string start) noexcept : out_(std::move(start)) {}

    // Appends the low `n` bits of `v` (n <= 64), first bit first. Bits
    // gather in a 64-bit word that is written out whole when full.
    void put(uint64_t v, unsigned n) {
        if (n == 0) return;
        v &= mask(n);
        if (bits_ + n < 64) {
            acc_ = (acc_ << n) | v;
            bits_ += n;
            return;
        }
        const unsigned first = 64 - bits_;  // 1..64: what fills the word
        const unsigned rest = n - first;
        const uint64_t word = first == 64 ? v >> rest : (acc_ << first) | (v >> rest);
        char be[8];
        for (int i = 0; i < 8; ++i) be[i] = char(uint8_t(word >> (56 - 8 * i)));
        out_.append(be, 8);
        acc_ = v & mask(rest);
        bits_ = rest;
    }
    void put_bit(bool b) { put(b ? 1 : 0, 1); }
    // The bytes so far, the partial last byte padded with zeros, appended
    // to `out`; the writer goes on unchanged.
    void copy_to(std::string& out) const {
        out.append(out_);
        append_pending(out);
    }
    // The finished bytes; the writer is empty afterwards.
    [[nodiscard]] std::string take() {
        append_pending(out_);
        std::string done = std::move(out_);
        clear();
        return done;
    }
    void clear() noexcept {
        out_.clear();
        acc_ = 0;
        bits_ = 0;
    }
    // Gives back the buffer's memory (clear() keeps it).
    void release() {
        clear();
        std::string().swap(out_);
    }
    void reserve(size_t bytes) { out_.reserve(bytes); }
    [[nodiscard]] uint64_t bit_size() const noexcept { return uint64_t(out_.size()) * 8 + bits_; }
    [[nodiscard]] size_t byte_size() const noexcept { return out_.size() + (bits_ + 7) / 8; }
    [[nodiscard]] size_t capacity_bytes() const noexcept { return out_.capacity(); }

    static constexpr uint64_t mask(unsigned n) noexcept { return n >= 64 ? ~0ull : (1ull << n) - 1; }

private:
    // The pending bits (fewer than 64) as whole bytes, the last padded.
    void append_pending(std::string& out) const {
        for (unsigned left = bits_; left > 0; left = left > 8 ? left - 8 : 0) {
            const unsigned shift = left >= 8 ? left - 8 : 0;
            const uint8_t byte = left >= 8 ? uint8_t(acc_ >> shift) : uint8_t(acc_ << (8 - left));
            out.push_back(char(byte));
        }
    }

    std::string out_;
    uint64_t acc_ = 0;
    unsigned bits_ = 0;  // pending in acc_, < 64 between calls
};

class BitReader {
public:
    explicit BitReader(std::string_view in) noexcept : in_(in) {}

    // The next `n` bits (n <= 64) as a number.
    [[nodiscard]] uint64_t get(unsigned n) noexcept {
        if (n > 56) {
            const uint64_t hi = get(n - 32);
            return (hi << 32) | get(32);
        }
        if (n == 0) return 0;
        while (bits_ < n) {
            acc_ <<= 8;
            if (pos_ < in_.size()) {
                acc_ |= uint8_t(in_[pos_++]);
            } else {
                overrun_ = true;
            }
            bits_ += 8;
        }
        bits_ -= n;
        return (acc_ >> bits_) & BitWriter::mask(n);
    }
    [[nodiscard]] bool get_bit() noexcept { return get(1) != 0; }
    // True once a read went past the end: everything read is then suspect.
    [[nodiscard]] bool overrun() const noexcept { return overrun_; }

private:
    std::string_view in_;
    size_t pos_ = 0;
    uint64_t acc_ = 0;
    unsigned bits_ = 0;
    bool overrun_ = false;
};

// Signed to unsigned so small magnitudes of either sign have few bits.
[[nodiscard]] constexpr uint64_t zigzag(int64_t v) noexcept {
    return (uint64_t(v) << 1) ^ uint64_t(v >> 63);
}
[[nodiscard]] constexpr int64_t unzigzag(uint64_t u) noexcept {
    return int64_t(u >> 1) ^ -int64_t(u & 1);
}
// Bits needed to write `u` (0 for 0).
[[nodiscard]] constexpr unsigned bit_width64(uint64_t u) noexcept { return unsigned(std::bit_width(u)); }

}  // namespace mmwatch::history
