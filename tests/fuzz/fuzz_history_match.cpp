// libFuzzer target: a match[] selector of GET /api/v1/export (the equality
// form, history/match.hpp). Parsed, and when accepted resolved over a small
// store: every series it selects carries every matcher's label and value
// (or lacks the label for l=""), ascending and unique.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "history/match.hpp"

using namespace mmwatch::history;

namespace {

Store& store() {
    static Store* s = [] {
        auto* st = new Store(StoreConfig{});
        const char* jobs[] = {"node", "app", "a\"b"};
        for (int i = 0; i < 12; ++i) {
            std::vector<LabelView> l = {{"__name__", i % 2 ? "up" : "down"}, {"job", jobs[i % 3]}};
            if (i % 4 == 0) l.push_back({"zone", "z"});
            if (canonicalize(l) != LabelError::none) continue;
            (void)st->append(st->series(l).id, 1000, value_bits(1));
        }
        return st;
    }();
    return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::vector<Equality> matchers;
    std::string error;
    if (!parse_equality_selector(in, matchers, error)) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    FUZZ_CHECK(std::any_of(matchers.begin(), matchers.end(), [](const Equality& e) { return !e.value.empty(); }));
    std::vector<SeriesId> ids;
    select_union(store(), {matchers}, ids);
    FUZZ_CHECK(std::is_sorted(ids.begin(), ids.end()));
    FUZZ_CHECK(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
    std::vector<LabelView> labels;
    for (const SeriesId id : ids) {
        store().labels(id, labels);
        for (const Equality& m : matchers) {
            const auto it = std::find_if(labels.begin(), labels.end(), [&](const LabelView& l) { return l.name == m.name; });
            FUZZ_CHECK(m.value.empty() ? it == labels.end() : it != labels.end() && it->value == m.value);
        }
    }
    return 0;
}
