#include <doctest/doctest.h>

#include "daemon/history_select.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;
using history::SeriesId;

namespace {

std::vector<promql::Matcher> parse(std::string_view s) {
    std::vector<promql::Matcher> out;
    std::string error;
    REQUIRE_MESSAGE(parse_export_selector(s, out, error), error);
    return out;
}

bool refused(std::string_view s) {
    std::vector<promql::Matcher> out;
    std::string error;
    return !parse_export_selector(s, out, error) && !error.empty();
}

SeriesId add(history::Store& store, std::vector<history::LabelView> labels) {
    REQUIRE(history::canonicalize(labels) == history::LabelError::none);
    const SeriesId id = store.series(labels).id;
    REQUIRE(store.append(id, 1000, history::value_bits(1)) == history::AppendStatus::stored);
    return id;
}

std::vector<SeriesId> select(history::Store& store, std::vector<std::string_view> selectors) {
    std::vector<std::vector<promql::Matcher>> parsed;
    for (std::string_view s : selectors) parsed.push_back(parse(s));
    std::vector<SeriesId> out;
    select_history(store, parsed, out);
    return out;
}

}  // namespace

TEST_CASE("export_selectors_pick_series_by_every_matcher_kind_and_their_union_is_sorted_and_unique") {
    history::Store store(history::StoreConfig{});
    const SeriesId a = add(store, {{"__name__", "up"}, {"job", "node"}});
    const SeriesId b = add(store, {{"__name__", "up"}, {"job", "app"}, {"zone", "z"}});
    const SeriesId c = add(store, {{"__name__", "down"}, {"job", "node"}});
    CHECK(select(store, {"up"}) == std::vector<SeriesId>{a, b});
    CHECK(select(store, {"{job=\"node\"}", "up{job=\"node\"}"}) == std::vector<SeriesId>{a, c});
    CHECK(select(store, {"up{zone=\"\"}"}) == std::vector<SeriesId>{a});
    CHECK(select(store, {"{job=~\"n.*\"}"}) == std::vector<SeriesId>{a, c});
    CHECK(select(store, {"up{job!=\"node\"}"}) == std::vector<SeriesId>{b});
    CHECK(select(store, {"{__name__!~\"up\",job=~\".+\"}"}) == std::vector<SeriesId>{c});
    CHECK(select(store, {"up{job=\"none\"}"}).empty());
}

TEST_CASE("what_is_no_selector_or_would_select_everything_is_refused_with_a_message") {
    CHECK(refused(""));
    CHECK(refused("{}"));
    CHECK(refused("{job=\"\"}"));
    CHECK(refused("{job=~\".*\"}"));
    CHECK(refused("up[5m]"));
    CHECK(refused("rate(up[5m])"));
    CHECK(refused("up{job=~\"(\"}"));
    CHECK(refused("up offset 5m"));
}
