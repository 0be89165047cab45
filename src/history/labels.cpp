#include "history/labels.hpp"

#include <algorithm>
#include <cstring>

#include "base/enum_names.hpp"
#include "base/limits.hpp"
#include "base/names.hpp"
#include "base/utf8.hpp"

namespace mmwatch::history {

namespace {

MMWATCH_ENUM_TABLE(LabelError, kLabelErrorNames) = {
    MMWATCH_ROW(none),           MMWATCH_ROW(no_labels), MMWATCH_ROW(too_many_labels), MMWATCH_ROW(name_too_long),
    MMWATCH_ROW(value_too_long), MMWATCH_ROW(bad_name),  MMWATCH_ROW(bad_utf8),        MMWATCH_ROW(duplicate_name),
};
static_assert(base::rows_match(kLabelErrorNames, kLabelErrorCount));

bool valid_label_name(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (!base::label_name_char(s[i], i == 0)) return false;
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

std::string_view label_error_name(LabelError e) noexcept { return base::name_of(kLabelErrorNames, e); }

LabelError canonicalize(std::vector<LabelView>& labels) {
    std::erase_if(labels, [](const LabelView& l) { return l.value.empty(); });
    if (labels.empty()) return LabelError::no_labels;
    if (labels.size() > base::kMaxHistoryLabelsPerSeries) return LabelError::too_many_labels;
    for (const LabelView& l : labels) {
        if (l.name.size() > base::kMaxHistoryLabelNameBytes) return LabelError::name_too_long;
        if (l.value.size() > base::kMaxHistoryLabelValueBytes) return LabelError::value_too_long;
        if (!valid_label_name(l.name)) return LabelError::bad_name;
        if (l.name == "__name__" && !base::valid_metric_name(l.value)) return LabelError::bad_name;
        if (!base::utf8::valid(l.value)) return LabelError::bad_utf8;
    }
    std::sort(labels.begin(), labels.end(), [](const LabelView& a, const LabelView& b) { return a.name < b.name; });
    for (size_t i = 1; i < labels.size(); ++i)
        if (labels[i].name == labels[i - 1].name) return LabelError::duplicate_name;
    return LabelError::none;
}

bool is_canonical(std::span<const LabelView> labels) noexcept {
    if (labels.empty() || labels.size() > base::kMaxHistoryLabelsPerSeries) return false;
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
