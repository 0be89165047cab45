#include "promql/value.hpp"

#include <algorithm>
#include <unordered_set>

namespace mmwatch::promql {

namespace {
struct Hash {
    size_t operator()(const Labels& l) const noexcept { return static_cast<size_t>(l.hash()); }
};

template <class Container>
bool any_labelset_twice(const Container& c) {
    if (c.size() <= 1) return false;
    std::unordered_set<Labels, Hash> seen;
    for (const auto& e : c)
        if (!seen.insert(e.metric).second) return true;
    return false;
}
}  // namespace

void sort_by_labels(Matrix& m) {
    const auto less = [](const Series& a, const Series& b) { return compare(a.metric, b.metric) < 0; };
    // Most answers come sorted (a selector's series do): checking is n
    // comparisons, sorting 10,000 series again held the loop 3.5 ms.
    if (std::is_sorted(m.begin(), m.end(), less)) return;
    std::stable_sort(m.begin(), m.end(), less);
}

bool contains_same_labelset(const Vector& v) { return any_labelset_twice(v); }
bool contains_same_labelset(const Matrix& m) { return any_labelset_twice(m); }

}  // namespace mmwatch::promql
