#include "history/tiers.hpp"

#include <bit>
#include <cmath>

#include "base/enum_names.hpp"

namespace mmwatch::history {

namespace {
constexpr std::string_view kTierNames[] = {"raw", "1m", "1h"};
static_assert(std::size(kTierNames) == kTierCount);
}  // namespace

std::string_view tier_name(Tier t) noexcept { return enum_name(kTierNames, t); }

int64_t bucket_of(int64_t t, int64_t width) noexcept {
    int64_t q = t / width;
    if (t % width != 0 && t < 0) --q;
    return q * width;
}

void Accumulator::add(int64_t t_bucket, double v) noexcept {
    if (row.count == 0) {
        bucket = t_bucket;
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

}  // namespace mmwatch::history
