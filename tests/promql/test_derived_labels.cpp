#include <doctest/doctest.h>

#include "promql/derived_labels.hpp"

using namespace mmwatch::promql;

namespace {
Labels L(std::vector<std::pair<std::string, std::string>> p) { return Labels::from_pairs(std::move(p)); }
}  // namespace

TEST_CASE("a_label_set_is_derived_once_per_input_set_or_pair") {
    DerivedLabels d;
    int made = 0;
    std::vector<Labels> inputs;
    for (int i = 0; i < 1000; ++i) inputs.push_back(L({{"__name__", "x"}, {"i", std::to_string(i)}}));
    const Labels other = L({{"j", "1"}});
    for (int step = 0; step < 3; ++step) {
        for (const Labels& in : inputs) {
            const Labels copy = in;  // a step's sample: the same set, shared
            CHECK(d.get(copy, nullptr, [&] { ++made; return drop_metadata(copy); }) == drop_metadata(in));
            CHECK(d.get(copy, &other, [&] { ++made; return other; }) == other);
        }
    }
    CHECK(made == 2000);
    // An equal set made apart is another input: keyed by identity.
    const Labels again = L({{"__name__", "x"}, {"i", "0"}});
    CHECK(d.get(again, nullptr, [&] { ++made; return Labels(); }).empty());
    CHECK(made == 2001);
}

TEST_CASE("derived_label_sets_are_freed_a_part_at_a_time") {
    DerivedLabels d;
    for (int i = 0; i < 600; ++i) {
        const Labels in = L({{"i", std::to_string(i)}});
        (void)d.get(in, nullptr, [&] { return L({{"k", std::to_string(i)}}); });
    }
    CHECK(!d.release_part(256));
    CHECK(!d.release_part(256));
    CHECK(d.release_part(256));
    CHECK(d.release_part(256));  // twice is fine
}
