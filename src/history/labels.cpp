#include "history/labels.hpp"

#include <algorithm>
#include <cstring>

#include "base/enum_names.hpp"
#include "base/limits.hpp"
#include "base/names.hpp"
#include "base/utf8.hpp"

namespace mmwatch::history {

namespace {

constexpr std::string_view kLabelErrorNames[] = {
    "none", "no_labels", "too_many_labels", "name_too_long", "value_too_long", "bad_name", "bad_utf8", "duplicate_name",
};
static_assert(std::size(kLabelErrorNames) == kLabelErrorCount);

bool valid_label_name(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (!label_name_char(s[i], i == 0)) return false;
    return true;
}

// Eight bytes at a time, then the tail with the length, so ("ab","c")
// differs from ("a","bc").
uint64_t mix(uint64_t h, std::string_view s) noexcept {
    constexpr uint64_t kMul = 0x9e3779b97f4a7c15ull;
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        h = (h ^ w) * kMul;
        h ^= h >> 32;
    }
    uint64_t tail = uint64_t(s.size()) << 56;
    if (s.size() > i) std::memcpy(&tail, s.data() + i, s.size() - i);  // at most 7 bytes: the length byte stays
    h = (h ^ tail) * kMul;
    return h ^ (h >> 29);
}

}  // namespace

std::string_view label_error_name(LabelError e) noexcept { return enum_name(kLabelErrorNames, e); }

LabelError canonicalize(std::vector<LabelView>& labels) {
    std::erase_if(labels, [](const LabelView& l) { return l.value.empty(); });
    if (labels.empty()) return LabelError::no_labels;
    if (labels.size() > kMaxHistoryLabelsPerSeries) return LabelError::too_many_labels;
    for (const LabelView& l : labels) {
        if (l.name.size() > kMaxHistoryLabelNameBytes) return LabelError::name_too_long;
        if (l.value.size() > kMaxHistoryLabelValueBytes) return LabelError::value_too_long;
        if (!valid_label_name(l.name)) return LabelError::bad_name;
        if (l.name == "__name__" && !valid_metric_name(l.value)) return LabelError::bad_name;
        if (!utf8::valid(l.value)) return LabelError::bad_utf8;
    }
    std::sort(labels.begin(), labels.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
    for (size_t i = 1; i < labels.size(); ++i)
        if (labels[i].name == labels[i - 1].name) return LabelError::duplicate_name;
    return LabelError::none;
}

bool is_canonical(std::span<const LabelView> labels) noexcept {
    if (labels.empty() || labels.size() > kMaxHistoryLabelsPerSeries) return false;
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i].value.empty()) return false;
        if (i > 0 && !(labels[i - 1].name < labels[i].name)) return false;
    }
    return true;
}

uint64_t hash_labels(std::span<const LabelView> labels) noexcept {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const LabelView& l : labels) h = mix(mix(h, l.name), l.value);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

}  // namespace mmwatch::history
