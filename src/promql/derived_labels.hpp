// Label sets an operator derives from its inputs' (the name dropped, a
// match's result labels), built once per input set and found again at
// every later step: building one is ~0.45 us, and element-wise functions
// built every series' again at every step (abs(x) over 10,000 series of
// 240 steps took 1.2 s where x took 0.13 s).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "promql/label_set.hpp"

namespace mmwatch::promql {

// Keyed by the identity of the input sets (Labels::identity()), of which
// it holds copies, so an address cannot be reused for another set while
// it is a key (a binary operator's fill labels are temporaries). Open
// addressing over one array: no node per set for malloc to sort when
// freed (docs/query.md, "Slicing"); the entries are freed a part at a
// time (release_part).
class DerivedLabels {
public:
    // The set derived from `a` (and `b`, for a pair), made by `derive()`
    // the first time.
    template <class Derive>
    const Labels& get(const Labels& a, const Labels* b, Derive derive) {
        if (2 * (entries_.size() + 1) > slots_.size()) rehash(2 * slots_.size());
        const void* kb = b ? b->identity() : nullptr;
        const uint64_t h = a.hash() * 31 + (b ? b->hash() : 0);
        const size_t mask = slots_.size() - 1;
        for (size_t k = static_cast<size_t>(h) & mask;; k = (k + 1) & mask) {
            Slot& s = slots_[k];
            if (s.index_plus_1 == 0) {
                entries_.push_back({a, b ? *b : Labels(), derive()});
                s = {h, entries_.size()};
                return entries_.back().derived;
            }
            const Entry& e = entries_[s.index_plus_1 - 1];
            if (s.hash == h && e.a.identity() == a.identity() && e.b.identity() == kb) return e.derived;
        }
    }
    // Room for `n` input sets (or pairs): a step's size, so the table is
    // made at once before a step, not grown through one (100,000 entries
    // moved: 2 to 4 ms).
    void reserve(size_t n) {
        if (2 * (n + 1) <= slots_.size()) return;
        entries_.reserve(n);
        rehash(std::bit_ceil(2 * (n + 1)));
    }
    // Frees up to `n` entries (and the table with the last); true once
    // nothing is held. No lookups after the first part.
    bool release_part(size_t n) {
        slots_.clear();
        while (n-- > 0 && !entries_.empty()) entries_.pop_back();
        if (!entries_.empty()) return false;
        std::vector<Entry>().swap(entries_);
        std::vector<Slot>().swap(slots_);
        return true;
    }

private:
    struct Slot {
        uint64_t hash = 0;
        size_t index_plus_1 = 0;  // 0: empty
    };
    void rehash(size_t slots) {
        std::vector<Slot> old(std::max<size_t>(16, slots));
        old.swap(slots_);
        const size_t mask = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.index_plus_1 == 0) continue;
            size_t k = static_cast<size_t>(s.hash) & mask;
            while (slots_[k].index_plus_1 != 0) k = (k + 1) & mask;
            slots_[k] = s;
        }
    }
    struct Entry {
        Labels a, b, derived;
    };
    std::vector<Slot> slots_;
    std::vector<Entry> entries_;
};

}  // namespace mmwatch::promql
