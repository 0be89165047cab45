// Label sets as they arrive (views into a request) and as the store keeps
// them (pairs of symbols, sorted by name). A label set is checked once, on
// its way in: Prometheus' rules (label names [a-zA-Z_][a-zA-Z0-9_]*, a
// metric name for __name__, values UTF-8), no name twice, and the sizes
// below. A label with an empty value is dropped, as PromQL treats it as
// absent.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mmwatch::history {

struct LabelView {
    std::string_view name;
    std::string_view value;
};

// A label as stored: its name's and value's symbols.
struct Label {
    uint32_t name = 0;
    uint32_t value = 0;
};

enum class LabelError : uint8_t {
    none,
    no_labels,        // nothing left once empty values are dropped
    too_many_labels,
    name_too_long,
    value_too_long,
    bad_name,         // not a Prometheus label name (or __name__ not a metric name)
    bad_utf8,         // a value that is not valid UTF-8
    duplicate_name,
};
inline constexpr size_t kLabelErrorCount = 8;
[[nodiscard]] std::string_view label_error_name(LabelError e) noexcept;

// Drops empty values, sorts by name and checks; `labels` is rewritten in
// place.
[[nodiscard]] LabelError canonicalize(std::vector<LabelView>& labels);

// True if `labels` is already sorted by name, with no name twice and no
// empty value (what Prometheus sends): then a series the store already
// holds can be found without canonicalize(), whose checks it passed when it
// was created.
[[nodiscard]] bool is_canonical(std::span<const LabelView> labels) noexcept;

// A label set's hash, from its canonical (sorted) form.
[[nodiscard]] uint64_t hash_labels(std::span<const LabelView> labels) noexcept;

}  // namespace mmwatch::history
