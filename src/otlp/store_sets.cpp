// Label sets: attribute lists interned as sorted (key, value) id pairs,
// and the cache of attribute lists exactly as sent (docs/otlp.md,
// "Ingest cost"). Part of the store; split from store.cpp by subject.
#include <algorithm>
#include <cstring>

#include "otlp/store.hpp"

namespace mmwatch::otlp {

uint32_t Store::intern_set(std::span<const Attr> attrs) {
    pair_scratch_.clear();
    for (const Attr& a : attrs) {
        const LabelIds ids = create_ ? LabelIds{strings_.intern(a.key), strings_.intern(a.value)}
                                     : LabelIds{strings_.find(a.key), strings_.find(a.value)};
        if (ids.key == kNone || ids.value == kNone) return kNone;
        pair_scratch_.push_back(ids);
    }
    // Insertion sort: attribute lists are short, and std::stable_sort
    // would allocate a buffer per point.
    for (size_t i = 1; i < pair_scratch_.size(); ++i) {
        const LabelIds x = pair_scratch_[i];
        size_t j = i;
        for (; j > 0 && pair_scratch_[j - 1].key > x.key; --j) pair_scratch_[j] = pair_scratch_[j - 1];
        pair_scratch_[j] = x;
    }
    // A key given twice keeps its last value.
    size_t n = 0;
    for (size_t i = 0; i < pair_scratch_.size(); ++i) {
        if (i + 1 < pair_scratch_.size() && pair_scratch_[i + 1].key == pair_scratch_[i].key) continue;
        pair_scratch_[n++] = pair_scratch_[i];
    }
    pair_scratch_.resize(n);
    const std::string_view key(reinterpret_cast<const char*>(pair_scratch_.data()), n * sizeof(LabelIds));
    if (!create_) return set_ids_.find(key);
    const uint32_t id = set_ids_.intern(key);
    if (id == sets_.size()) {
        sets_.push_back({uint32_t(set_pool_.size()), uint32_t(set_pool_.size() + n)});
        set_pool_.insert(set_pool_.end(), pair_scratch_.begin(), pair_scratch_.end());
    }
    return id;
}

namespace {

// An attribute list's hash, from its keys and values in place.
uint64_t list_hash(std::span<const Attr> attrs) noexcept {
    uint64_t h = attrs.size();
    for (const Attr& a : attrs) {
        h = (h ^ hash_bytes(a.key)) * 0x9e3779b97f4a7c15ull;
        h = (h ^ hash_bytes(a.value)) * 0x9e3779b97f4a7c15ull;
    }
    return h ^ (h >> 31);
}

// Whether `raw` (remember_set's length-prefixed form) is exactly `attrs`.
bool same_list(std::string_view raw, std::span<const Attr> attrs) noexcept {
    for (const Attr& a : attrs) {
        for (std::string_view s : {a.key, a.value}) {
            uint32_t n;
            if (raw.size() < sizeof n) return false;
            std::memcpy(&n, raw.data(), sizeof n);
            raw.remove_prefix(sizeof n);
            if (n != s.size() || raw.size() < n) return false;
            if (n != 0 && std::memcmp(raw.data(), s.data(), n) != 0) return false;  // an empty view may be null
            raw.remove_prefix(n);
        }
    }
    return raw.empty();
}

}  // namespace

// The label set of an attribute list sent exactly so before, or kNone:
// hashed and compared in place, no copy. `raw_list` is the list's id.
uint32_t Store::cached_set(std::span<const Attr> attrs, uint32_t& raw_list) {
    raw_list = raw_sets_.find_hashed(list_hash(attrs), [&](std::string_view k) { return same_list(k, attrs); });
    return raw_list == kNone ? kNone : raw_set_ids_[raw_list];
}

// Whether position `pc.index` of this metric sent the same attribute list
// in its last request: then it is the same series (the sender walks its
// points in one order, export after export), found without a hash.
uint32_t Store::memo_lookup(const MetricCtx& mc, const PointCtx& pc, std::span<const Attr> attrs) const noexcept {
    if (mc.family == kNone) return kNone;
    const Family& f = families_[mc.family];
    if (f.memo_resource != mc.resource || f.memo_scope != mc.scope || pc.index >= f.memo.size()) return kNone;
    const Family::Memo m = f.memo[pc.index];
    if (m.raw_list == kNone || !same_list(raw_sets_.get(m.raw_list), attrs)) return kNone;
    return m.series;
}

// Notes the series of a number point at its position, within the
// identity budget (like the list cache, it only saves time). Another
// resource or scope sending this family starts the memo over.
void Store::memo_record(const MetricCtx& mc, const PointCtx& pc, uint32_t raw_list, uint32_t series) {
    if (raw_list == kNone) return;
    Family& f = families_[mc.family];
    if (f.memo_resource != mc.resource || f.memo_scope != mc.scope) {
        f.memo.clear();
        f.memo_resource = mc.resource;
        f.memo_scope = mc.scope;
    }
    if (pc.index >= f.memo.size()) {
        const size_t before = f.memo.capacity();
        if (pc.index + 1 > before) {
            const size_t want = std::max<size_t>(pc.index + 1, before * 2);
            if (identity_bytes() + (want - before) * sizeof(Family::Memo) > identity_budget_) return;
            f.memo.reserve(want);
            family_series_bytes_ += (f.memo.capacity() - before) * sizeof(Family::Memo);
        }
        f.memo.resize(pc.index + 1, {kNone, kNone});
    }
    f.memo[pc.index] = {raw_list, series};
}

// Caches `attrs` -> `set`, if the identity budget has room for it: the
// cache only saves time, so a full budget just skips it. The list's id,
// or kNone when skipped.
uint32_t Store::remember_set(std::span<const Attr> attrs, uint32_t set) {
    raw_scratch_.clear();
    for (const Attr& a : attrs) {
        for (std::string_view s : {a.key, a.value}) {
            const uint32_t n = uint32_t(s.size());
            raw_scratch_.append(reinterpret_cast<const char*>(&n), sizeof n);
            raw_scratch_.append(s);
        }
    }
    const size_t more = raw_scratch_.size() + raw_sets_.growth_bytes(1, raw_scratch_.size()) +
                        (raw_set_ids_.size() == raw_set_ids_.capacity() ? raw_set_ids_.capacity() * 4 + 64 : 0);
    if (identity_bytes() + more > identity_budget_) return kNone;
    const uint32_t raw = raw_sets_.intern_hashed(list_hash(attrs), raw_scratch_);
    if (raw == raw_set_ids_.size()) raw_set_ids_.push_back(set);
    return raw;
}

}  // namespace mmwatch::otlp
