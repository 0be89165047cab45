#include <doctest/doctest.h>

#include "history/match.hpp"

using namespace mmwatch::history;

namespace {

std::vector<Equality> parse(std::string_view s) {
    std::vector<Equality> out;
    std::string error;
    REQUIRE_MESSAGE(parse_equality_selector(s, out, error), error);
    return out;
}

bool refused(std::string_view s) {
    std::vector<Equality> out;
    std::string error;
    const bool ok = parse_equality_selector(s, out, error);
    return !ok && !error.empty();
}

SeriesId add(Store& store, std::vector<LabelView> labels) {
    REQUIRE(canonicalize(labels) == LabelError::none);
    const SeriesId id = store.series(labels).id;
    REQUIRE(store.append(id, 1000, value_bits(1)) == AppendStatus::stored);
    return id;
}

}  // namespace

TEST_CASE("equality_selectors_in_their_three_forms_parse_to_the_same_matchers") {
    const auto a = parse("up");
    REQUIRE(a.size() == 1);
    CHECK(a[0].name == "__name__");
    CHECK(a[0].value == "up");
    const auto b = parse(" up { job = \"node\" , instance=\"a:1\" } ");
    REQUIRE(b.size() == 3);
    CHECK(b[1].name == "job");
    CHECK(b[2].value == "a:1");
    const auto c = parse(R"({__name__="up",path="C:\\x \"q\"\n"})");
    REQUIRE(c.size() == 2);
    CHECK(c[1].value == "C:\\x \"q\"\n");
    CHECK(parse("up{}").size() == 1);
    CHECK(parse("up{job=\"node\",}").size() == 2);
}

TEST_CASE("what_is_no_equality_selector_is_refused_with_a_message") {
    CHECK(refused(""));
    CHECK(refused("{}"));
    CHECK(refused("{job=\"\"}"));
    CHECK(refused("up{job=~\"n.*\"}"));
    CHECK(refused("up{job!=\"n\"}"));
    CHECK(refused("up{job=\"n\""));
    CHECK(refused("up{job=\"n\\q\"}"));
    CHECK(refused("up{job=node}"));
    CHECK(refused("up[5m]"));
    CHECK(refused("rate(up)"));
    CHECK(refused("1up"));
}

TEST_CASE("selectors_resolve_through_the_postings_and_their_union_is_sorted_and_unique") {
    StoreConfig config;
    Store store(config);
    const SeriesId a = add(store, {{"__name__", "up"}, {"job", "node"}});
    const SeriesId b = add(store, {{"__name__", "up"}, {"job", "app"}, {"zone", "z"}});
    const SeriesId c = add(store, {{"__name__", "down"}, {"job", "node"}});
    std::vector<SeriesId> out;
    select_union(store, {parse("up")}, out);
    CHECK(out == std::vector<SeriesId>{a, b});
    select_union(store, {parse("{job=\"node\"}"), parse("up{job=\"node\"}")}, out);
    CHECK(out == std::vector<SeriesId>{a, c});
    select_union(store, {parse("up{zone=\"\"}")}, out);
    CHECK(out == std::vector<SeriesId>{a});
    select_union(store, {parse("up{job=\"none\"}")}, out);
    CHECK(out.empty());
}
