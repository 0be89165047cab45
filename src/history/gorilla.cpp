#include "history/gorilla.hpp"

#include <bit>

namespace mmwatch::history {

namespace {

// Delta-of-delta buckets, Prometheus' chunkenc: a prefix of 1s ended by a
// 0 picks the width; four 1s mean a full 64-bit value.
constexpr unsigned kDodBits[] = {14, 17, 20};

bool fits_signed(int64_t v, unsigned bits) noexcept {
    const int64_t lim = int64_t(1) << (bits - 1);
    return v >= -lim && v < lim;
}

int64_t sign_extend(uint64_t v, unsigned bits) noexcept {
    const unsigned shift = 64 - bits;
    return int64_t(v << shift) >> shift;
}

void put_dod(BitWriter& w, uint64_t dod_bits) {
    const int64_t dod = int64_t(dod_bits);
    if (dod == 0) {
        w.put_bit(false);
        return;
    }
    for (unsigned i = 0; i < 3; ++i) {
        if (fits_signed(dod, kDodBits[i])) {
            w.put((uint64_t(1) << (i + 2)) - 2, i + 2);  // i+1 ones then a zero
            w.put(dod_bits & BitWriter::mask(kDodBits[i]), kDodBits[i]);
            return;
        }
    }
    w.put(0b1111, 4);
    w.put(dod_bits, 64);
}

uint64_t get_dod(BitReader& r) noexcept {
    unsigned ones = 0;
    while (ones < 4 && r.get_bit()) ++ones;
    if (ones == 0) return 0;
    if (ones == 4) return r.get(64);
    const unsigned bits = kDodBits[ones - 1];
    return uint64_t(sign_extend(r.get(bits), bits));
}

}  // namespace

void gorilla_append(BitWriter& w, GorillaState& s, int64_t t, uint64_t value_bits) {
    const uint64_t dt = uint64_t(t) - s.t;
    put_dod(w, dt - s.dt);
    s.t = uint64_t(t);
    s.dt = dt;
    xor_put(w, s, value_bits);
}

void xor_put(BitWriter& w, GorillaState& s, uint64_t value_bits) {
    const uint64_t x = value_bits ^ s.v;
    s.v = value_bits;
    if (x == 0) {
        w.put_bit(false);
        return;
    }
    unsigned leading = unsigned(std::countl_zero(x));
    const unsigned trailing = unsigned(std::countr_zero(x));
    if (leading > 31) leading = 31;  // 5 bits
    if (s.leading != 0xff && leading >= s.leading && trailing >= s.trailing) {
        w.put(0b10, 2);  // inside the previous window
        w.put(x >> s.trailing, 64 - s.leading - s.trailing);
        return;
    }
    s.leading = uint8_t(leading);
    s.trailing = uint8_t(trailing);
    const unsigned significant = 64 - leading - trailing;
    w.put(0b11, 2);
    w.put(leading, 5);
    w.put(significant & 63, 6);  // 64 is written as 0
    w.put(x >> trailing, significant);
}

bool xor_get(BitReader& r, GorillaState& s) noexcept {
    if (!r.get_bit()) return true;
    if (!r.get_bit()) {
        if (s.leading == 0xff) return false;  // a window reused before one was set
        s.v ^= r.get(64 - s.leading - s.trailing) << s.trailing;
        return true;
    }
    const unsigned leading = unsigned(r.get(5));
    unsigned significant = unsigned(r.get(6));
    if (significant == 0) significant = 64;
    if (leading + significant > 64) return false;
    s.leading = uint8_t(leading);
    s.trailing = uint8_t(64 - leading - significant);
    s.v ^= r.get(significant) << s.trailing;
    return true;
}

bool gorilla_read_time(BitReader& r, GorillaState& s) noexcept {
    s.dt += get_dod(r);
    s.t += s.dt;
    return !r.overrun();
}

bool GorillaReader::next(int64_t& t, uint64_t& value_bits) noexcept {
    if (left_ == 0 || in_.overrun()) return false;
    --left_;
    gorilla_read_time(in_, s_);
    if (!xor_get(in_, s_)) return fail();
    t = int64_t(s_.t);
    value_bits = s_.v;
    return !in_.overrun();
}

}  // namespace mmwatch::history
