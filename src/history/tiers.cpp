#include "history/tiers.hpp"

#include <bit>
#include <cmath>
#include <limits>

#include "base/enum_names.hpp"
#include "history/chunk_codec.hpp"

namespace mmwatch::history {

namespace {
// Tiers are named for their bucket, not their identifier: rows spelled out.
constexpr base::EnumRow<Tier> kTierNames[] = {{Tier::raw, "raw"}, {Tier::minute, "1m"}, {Tier::hour, "1h"}};
static_assert(base::rows_match(kTierNames, kTierCount));
}  // namespace

std::string_view tier_name(Tier t) noexcept { return base::name_of(kTierNames, t); }

int64_t bucket_of(int64_t t, int64_t width) noexcept {
    int64_t q = t / width;
    if (t % width != 0 && t < 0) --q;
    // The first bucket would start before int64 time can: it starts at its
    // beginning instead.
    if (q < std::numeric_limits<int64_t>::min() / width) return std::numeric_limits<int64_t>::min();
    return q * width;
}

void Accumulator::add(int64_t t_bucket, double v) noexcept {
    if (row.count == 0) {
        row = TierRow{t_bucket, v, v, v, v, 1};
        return;
    }
    // NaN is kept out of min and max unless it is all there is.
    if (!std::isnan(v)) {
        if (std::isnan(row.min) || v < row.min) row.min = v;
        if (std::isnan(row.max) || v > row.max) row.max = v;
    }
    row.sum += v;
    row.last = v;
    ++row.count;
}

TierHead::Row tier_row_bits(const TierRow& r) noexcept {
    return {std::bit_cast<uint64_t>(r.min), std::bit_cast<uint64_t>(r.max), std::bit_cast<uint64_t>(r.sum),
            std::bit_cast<uint64_t>(double(r.count)), std::bit_cast<uint64_t>(r.last)};
}

TierRow tier_row_from_bits(int64_t t, const uint64_t* bits) noexcept {
    return {t, std::bit_cast<double>(bits[0]), std::bit_cast<double>(bits[1]), std::bit_cast<double>(bits[2]),
            std::bit_cast<double>(bits[4]), count_of(std::bit_cast<double>(bits[3]))};
}

void encode_tier_chunk(std::span<const TierRow> rows, std::string& out) {
    std::vector<Sample> column(rows.size());
    std::string part;
    const auto append_part = [&] {
        put_varint(out, part.size());
        out += part;
        part.clear();
    };
    for (size_t c = 0; c < kTierColumns; ++c) {
        for (size_t r = 0; r < rows.size(); ++r) column[r] = {rows[r].t, tier_row_bits(rows[r])[c]};
        if (c == 0) {
            encode_times(column, part);
            append_part();
        }
        encode_values(column, part);
        append_part();
    }
}

bool decode_tier_chunk(std::string_view bytes, std::vector<TierRow>& out, std::vector<Sample>& scratch) {
    size_t pos = 0;
    const auto next_part = [&](std::string_view& part) {
        uint64_t len = 0;
        if (!get_varint(bytes, pos, len) || len > bytes.size() - pos) return false;
        part = bytes.substr(pos, size_t(len));
        pos += size_t(len);
        return true;
    };
    std::string_view part;
    if (!next_part(part) || decode_times(part, scratch) != ChunkError::none) return false;
    out.resize(scratch.size());
    for (size_t r = 0; r < scratch.size(); ++r) out[r].t = scratch[r].t;
    for (size_t c = 0; c < kTierColumns; ++c) {
        if (!next_part(part) || decode_values(part, scratch) != ChunkError::none) return false;
        for (size_t r = 0; r < scratch.size(); ++r) {
            TierRow& row = out[r];
            const double v = scratch[r].value();
            switch (c) {
                case 0: row.min = v; break;
                case 1: row.max = v; break;
                case 2: row.sum = v; break;
                case 3: row.count = count_of(v); break;
                default: row.last = v; break;
            }
        }
    }
    return true;
}

}  // namespace mmwatch::history
