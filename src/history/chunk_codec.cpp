// Layout (docs/history.md, "Sealed chunks"):
//   times   varint n, varint zigzag(t0), then a bit stream: if n >= 2,
//           var(zigzag(t1 - t0)), then the delta-of-deltas of t2.. in
//           groups of kGroup: '0' all zero, or '1', 6 bits width-1 and each
//           zigzag(dod) in width bits
//   values  a bit stream: 2 bits mode, then
//           const:   64 bits
//           xor:     64 bits, then Gorilla's XOR code for each next value
//           decimal: 5 bits k, 1 bit "has residuals", var(zigzag(m0)),
//                    then groups of the m deltas, each a 2-bit group mode
//                    (zero, delta, delta-of-delta, constant delta), and for
//                    the two packed ones 6 bits width-1, a shift flag (+6
//                    bits) and each zigzag(x >> shift) in width bits; then,
//                    if it has residuals, groups of them over all n samples
//                    ('0' all zero, or '1' and 3 bits each); then
//                    var(exceptions) and each var(index gap), 64 bits.
// var(u) is 7 bits of width and u in that many bits. Differences are taken
// modulo 2^64, so no timestamp or mantissa can overflow them.
#include "history/chunk_codec.hpp"

#include <algorithm>
#include <bit>

#include "history/bits.hpp"
#include "history/gorilla.hpp"

namespace mmwatch::history {

namespace {

// Samples per bit-packed group: each group pays a header of 1 bit (times)
// and 2-15 bits (values), so larger groups cost less, but one large
// delta widens its whole group. 16 measured best on node_exporter data
// (docs/benchmarks.md, "History store").
constexpr size_t kGroup = 16;
// Decimal places tried: 10^18 still leaves a few digits of an int64.
constexpr unsigned kMaxDecimals = 18;
// Exceptions a decimal chunk may carry, as a share of its samples; past it
// the chunk is encoded as xor (an exception costs 64 bits and its index).
constexpr size_t kMaxExceptionShare = 16;

// A decimal value may be this many units in the last place off m / 10^k
// (values computed as x * 0.001, or divided twice); the difference is kept.
constexpr int64_t kMaxResidual = 3;
constexpr unsigned kResidualBits = 3;  // zigzag of -3..3

constexpr double kPow10[kMaxDecimals + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

enum ValueMode : unsigned { mode_const = 0, mode_decimal = 1, mode_xor = 2 };
enum GroupMode : unsigned { group_zero = 0, group_delta = 1, group_delta2 = 2, group_step = 3 };

void put_var(BitWriter& w, uint64_t u) {
    const unsigned n = bit_width64(u);
    w.put(n, 7);
    w.put(u, n);
}

bool get_var(BitReader& r, uint64_t& u) noexcept {
    const unsigned n = unsigned(r.get(7));
    if (n > 64) return false;
    u = r.get(n);
    return true;
}

// The one decimal decoding; a value is stored as (m, k) only if this
// gives back its exact bits.
double decimal_value(int64_t m, unsigned k) noexcept { return double(m) / kPow10[k]; }

// m and the residual r for which bits(decimal_value(m, k)) + r == bits;
// false if there are none with |r| <= kMaxResidual.
bool fit(uint64_t bits, unsigned k, int64_t& m, int64_t& r) noexcept {
    const double scaled = std::bit_cast<double>(bits) * kPow10[k];
    if (!(scaled > -9.2e18 && scaled < 9.2e18)) return false;  // NaN fails here too
    m = int64_t(scaled < 0 ? scaled - 0.5 : scaled + 0.5);     // a wrong guess fails the check below
    r = int64_t(bits - std::bit_cast<uint64_t>(decimal_value(m, k)));
    return r >= -kMaxResidual && r <= kMaxResidual;
}

// The fewest decimals that fit `bits`, searched from `guess` (the previous
// value's, usually right); -1 if none does.
int min_decimals(uint64_t bits, int guess) noexcept {
    int64_t m, r;
    if (guess >= 0 && fit(bits, unsigned(guess), m, r)) {
        while (guess > 0 && fit(bits, unsigned(guess - 1), m, r)) --guess;
        return guess;
    }
    for (unsigned k = unsigned(guess + 1); k <= kMaxDecimals; ++k) {
        if (fit(bits, k, m, r)) return int(k);
    }
    return -1;
}

// --- times ------------------------------------------------------------------

void put_time_bits(BitWriter& w, std::span<const Sample> s) {
    if (s.size() < 2) return;
    uint64_t prev = uint64_t(s[1].t) - uint64_t(s[0].t);
    put_var(w, zigzag(int64_t(prev)));
    uint64_t dods[kGroup];
    for (size_t i = 2; i < s.size(); i += kGroup) {
        const size_t n = std::min(kGroup, s.size() - i);
        uint64_t all = 0;
        for (size_t j = 0; j < n; ++j) {
            const uint64_t dt = uint64_t(s[i + j].t) - uint64_t(s[i + j - 1].t);
            dods[j] = zigzag(int64_t(dt - prev));
            prev = dt;
            all |= dods[j];
        }
        if (all == 0) {
            w.put_bit(false);
            continue;
        }
        const unsigned width = bit_width64(all);
        w.put_bit(true);
        w.put(width - 1, 6);
        for (size_t j = 0; j < n; ++j) w.put(dods[j], width);
    }
}

bool get_time_bits(BitReader& r, std::vector<Sample>& out) noexcept {
    const size_t n = out.size();
    if (n < 2) return true;
    uint64_t u;
    if (!get_var(r, u)) return false;
    uint64_t dt = uint64_t(unzigzag(u));
    uint64_t t = uint64_t(out[0].t) + dt;
    out[1].t = int64_t(t);
    for (size_t i = 2; i < n; i += kGroup) {
        const size_t g = std::min(kGroup, n - i);
        const unsigned width = r.get_bit() ? unsigned(r.get(6)) + 1 : 0;
        for (size_t j = 0; j < g; ++j) {
            dt += uint64_t(unzigzag(r.get(width)));
            t += dt;
            out[i + j].t = int64_t(t);
        }
    }
    return !r.overrun();
}

// --- decimal values -------------------------------------------------------------

struct DecimalPlan {
    unsigned k = 0;
    bool residuals = false;
    std::vector<int64_t> m;            // one per sample; an exception repeats the previous
    std::vector<int8_t> r;             // the residual of each
    std::vector<uint32_t> exceptions;  // indices kept as raw bits
};

// Chooses k (the smallest that leaves at most 1/kMaxExceptionShare of the
// values as exceptions) and the mantissas; false if the chunk is not
// decimal enough.
bool plan_decimal(std::span<const Sample> s, DecimalPlan& plan) {
    const size_t n = s.size();
    const size_t max_exceptions = n / kMaxExceptionShare;
    size_t per_k[kMaxDecimals + 2] = {};  // the last counts values with no k
    int guess = 0;
    uint64_t prev_bits = ~s[0].bits;
    int prev_k = -1;
    for (size_t i = 0; i < n; ++i) {
        int k = prev_k;
        if (s[i].bits != prev_bits) k = min_decimals(s[i].bits, guess);
        ++per_k[k < 0 ? kMaxDecimals + 1 : size_t(k)];
        if (k >= 0) guess = k;
        prev_bits = s[i].bits;
        prev_k = k;
        if (per_k[kMaxDecimals + 1] > max_exceptions) return false;  // early: not decimal data
    }
    size_t above = n;
    plan.k = 0;
    for (unsigned k = 0; k <= kMaxDecimals; ++k) {
        above -= per_k[k];
        plan.k = k;
        if (above <= max_exceptions) break;
    }
    plan.m.resize(n);
    plan.r.assign(n, 0);
    plan.exceptions.clear();
    plan.residuals = false;
    int64_t prev = 0;
    for (size_t i = 0; i < n; ++i) {
        int64_t m, r;
        if (fit(s[i].bits, plan.k, m, r)) {
            plan.m[i] = prev = m;
            plan.r[i] = int8_t(r);
            plan.residuals = plan.residuals || r != 0;
        } else {
            plan.m[i] = prev;
            plan.exceptions.push_back(uint32_t(i));
            if (plan.exceptions.size() > max_exceptions) return false;
        }
    }
    return true;
}

// The cheapest packing of one group of differences `x` (delta or
// delta-of-delta): its trailing zero bits shifted out, then its width.
struct Packing {
    unsigned shift = 0;
    unsigned width = 0;
    [[nodiscard]] size_t bits(size_t n) const noexcept { return 7 + (shift ? 6 : 0) + width * n; }
};

Packing packing(const uint64_t* x, size_t n) noexcept {
    uint64_t any = 0;
    for (size_t j = 0; j < n; ++j) any |= x[j];
    Packing p;
    p.shift = any == 0 ? 0 : unsigned(std::countr_zero(any));
    uint64_t z = 0;
    for (size_t j = 0; j < n; ++j) z |= zigzag(int64_t(x[j]) >> p.shift);
    p.width = std::max(1u, bit_width64(z));
    return p;
}

void put_packed(BitWriter& w, unsigned mode, const Packing& p, const uint64_t* x, size_t n) {
    w.put(mode, 2);
    w.put(p.width - 1, 6);
    w.put_bit(p.shift != 0);
    if (p.shift) w.put(p.shift, 6);
    for (size_t j = 0; j < n; ++j) w.put(zigzag(int64_t(x[j]) >> p.shift), p.width);
}

void put_mantissas(BitWriter& w, const std::vector<int64_t>& m) {
    put_var(w, zigzag(m[0]));
    const size_t n = m.size();
    uint64_t prev_d = 0;
    uint64_t d[kGroup], dd[kGroup];
    for (size_t i = 1; i < n; i += kGroup) {
        const size_t g = std::min(kGroup, n - i);
        uint64_t any_d = 0, any_dd = 0;
        for (size_t j = 0; j < g; ++j) {
            d[j] = uint64_t(m[i + j]) - uint64_t(m[i + j - 1]);
            dd[j] = d[j] - (j ? d[j - 1] : prev_d);
            any_d |= d[j];
            any_dd |= dd[j];
        }
        prev_d = d[g - 1];
        if (any_d == 0) {
            w.put(group_zero, 2);
        } else if (any_dd == 0) {
            w.put(group_step, 2);  // the previous delta again, g times
        } else {
            const Packing pd = packing(d, g), pdd = packing(dd, g);
            if (pdd.bits(g) < pd.bits(g)) put_packed(w, group_delta2, pdd, dd, g);
            else put_packed(w, group_delta, pd, d, g);
        }
    }
}

void put_decimal(BitWriter& w, const DecimalPlan& plan, std::span<const Sample> s) {
    w.put(plan.k, 5);
    w.put_bit(plan.residuals);
    put_mantissas(w, plan.m);
    if (plan.residuals) {
        for (size_t i = 0; i < s.size(); i += kGroup) {
            const size_t g = std::min(kGroup, s.size() - i);
            bool any = false;
            for (size_t j = 0; j < g; ++j) any = any || plan.r[i + j] != 0;
            w.put_bit(any);
            if (any)
                for (size_t j = 0; j < g; ++j) w.put(zigzag(plan.r[i + j]), kResidualBits);
        }
    }
    put_var(w, plan.exceptions.size());
    uint32_t last = 0;
    for (uint32_t i : plan.exceptions) {
        put_var(w, i - last);
        w.put(s[i].bits, 64);
        last = i;
    }
}

// The mantissas first, then the residuals and the exceptions over them.
bool get_decimal(BitReader& r, std::vector<Sample>& out) noexcept {
    const unsigned k = unsigned(r.get(5));
    const bool residuals = r.get_bit();
    uint64_t u;
    if (k > kMaxDecimals || !get_var(r, u)) return false;
    uint64_t m = uint64_t(unzigzag(u));
    out[0].bits = std::bit_cast<uint64_t>(decimal_value(int64_t(m), k));
    uint64_t d = 0;
    const size_t n = out.size();
    for (size_t i = 1; i < n; i += kGroup) {
        const size_t g = std::min(kGroup, n - i);
        const unsigned mode = unsigned(r.get(2));
        unsigned width = 0, shift = 0;
        if (mode == group_delta || mode == group_delta2) {
            width = unsigned(r.get(6)) + 1;
            if (r.get_bit()) shift = unsigned(r.get(6));
        }
        for (size_t j = 0; j < g; ++j) {
            const uint64_t x = uint64_t(unzigzag(r.get(width))) << shift;
            if (mode == group_zero) d = 0;
            else if (mode == group_delta) d = x;
            else if (mode == group_delta2) d += x;
            m += d;
            out[i + j].bits = std::bit_cast<uint64_t>(decimal_value(int64_t(m), k));
        }
    }
    if (residuals) {
        for (size_t i = 0; i < n; i += kGroup) {
            if (!r.get_bit()) continue;
            const size_t g = std::min(kGroup, n - i);
            for (size_t j = 0; j < g; ++j) out[i + j].bits += uint64_t(unzigzag(r.get(kResidualBits)));
        }
    }
    uint64_t count;
    if (!get_var(r, count) || count > n) return false;
    size_t at = 0;
    for (uint64_t e = 0; e < count; ++e) {
        if (!get_var(r, u) || u >= n || (e > 0 && u == 0)) return false;
        at += size_t(u);
        if (at >= n) return false;
        out[at].bits = r.get(64);
    }
    return !r.overrun();
}

bool all_same(std::span<const Sample> s) noexcept {
    for (const Sample& x : s)
        if (x.bits != s[0].bits) return false;
    return true;
}

}  // namespace

// --- the parts ------------------------------------------------------------------

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(char(uint8_t(v) | 0x80));
        v >>= 7;
    }
    out.push_back(char(uint8_t(v)));
}

bool get_varint(std::string_view in, size_t& pos, uint64_t& v) noexcept {
    v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (pos >= in.size()) return false;
        const uint8_t b = uint8_t(in[pos++]);
        v |= uint64_t(b & 0x7f) << shift;
        if (!(b & 0x80)) return shift < 63 || b <= 1;
    }
    return false;
}

void encode_times(std::span<const Sample> samples, std::string& out) {
    put_varint(out, samples.size());
    put_varint(out, zigzag(samples[0].t));
    BitWriter w(std::move(out));
    put_time_bits(w, samples);
    out = w.take();
}

void encode_values(std::span<const Sample> samples, std::string& out) {
    BitWriter w(std::move(out));
    DecimalPlan plan;
    if (all_same(samples)) {
        w.put(mode_const, 2);
        w.put(samples[0].bits, 64);
    } else if (plan_decimal(samples, plan)) {
        w.put(mode_decimal, 2);
        put_decimal(w, plan, samples);
    } else {
        w.put(mode_xor, 2);
        GorillaState s;
        w.put(samples[0].bits, 64);
        s.v = samples[0].bits;
        for (size_t i = 1; i < samples.size(); ++i) xor_put(w, s, samples[i].bits);
    }
    out = w.take();
}

uint32_t times_count(std::string_view bytes) noexcept {
    size_t pos = 0;
    uint64_t n;
    if (!get_varint(bytes, pos, n)) return 0;
    return n >= 1 && n <= kMaxChunkSamples ? uint32_t(n) : 0;
}

ChunkError decode_times(std::string_view bytes, std::vector<Sample>& out) {
    size_t pos = 0;
    uint64_t n, t0;
    if (!get_varint(bytes, pos, n) || !get_varint(bytes, pos, t0)) return ChunkError::truncated;
    if (n < 1 || n > kMaxChunkSamples) return ChunkError::bad_count;
    out.assign(size_t(n), Sample{});
    out[0].t = unzigzag(t0);
    BitReader r(bytes.substr(pos));
    return get_time_bits(r, out) ? ChunkError::none : ChunkError::truncated;
}

ChunkError decode_values(std::string_view bytes, std::vector<Sample>& out) {
    if (out.empty()) return ChunkError::bad_count;
    BitReader r(bytes);
    const unsigned mode = unsigned(r.get(2));
    bool ok = true;
    if (mode == mode_const || mode == mode_xor) {
        GorillaState s;
        s.v = r.get(64);
        out[0].bits = s.v;
        for (size_t i = 1; i < out.size() && ok; ++i) {
            ok = mode == mode_const || xor_get(r, s);
            out[i].bits = s.v;
        }
    } else if (mode == mode_decimal) {
        ok = get_decimal(r, out);
    } else {
        return ChunkError::bad_header;
    }
    if (r.overrun()) return ChunkError::truncated;
    return ok ? ChunkError::none : ChunkError::bad_header;
}

void encode_chunk(std::span<const Sample> samples, std::string& out) {
    std::string times;
    encode_times(samples, times);
    put_varint(out, times.size());
    out += times;
    encode_values(samples, out);
}

ChunkError decode_chunk(std::string_view bytes, std::vector<Sample>& out) {
    size_t pos = 0;
    uint64_t len;
    if (!get_varint(bytes, pos, len)) return ChunkError::truncated;
    if (len > bytes.size() - pos) return ChunkError::truncated;
    if (const ChunkError e = decode_times(bytes.substr(pos, size_t(len)), out); e != ChunkError::none) return e;
    return decode_values(bytes.substr(pos + size_t(len)), out);
}

}  // namespace mmwatch::history
