#include "promql/value.hpp"

#include <algorithm>
#include <unordered_set>

namespace mmwatch::promql {

namespace {
struct Hash {
    size_t operator()(const Labels& l) const noexcept { return static_cast<size_t>(l.hash()); }
};
}  // namespace

void sort_by_labels(Matrix& m) {
    std::stable_sort(m.begin(), m.end(), [](const Series& a, const Series& b) { return compare(a.metric, b.metric) < 0; });
}

bool contains_same_labelset(const Vector& v) {
    if (v.size() <= 1) return false;
    std::unordered_set<Labels, Hash> seen;
    for (const Sample& s : v)
        if (!seen.insert(s.metric).second) return true;
    return false;
}

bool contains_same_labelset(const Matrix& m) {
    if (m.size() <= 1) return false;
    std::unordered_set<Labels, Hash> seen;
    for (const Series& s : m)
        if (!seen.insert(s.metric).second) return true;
    return false;
}

}  // namespace mmwatch::promql
