#include <doctest/doctest.h>

#include "promql/memory_storage.hpp"

using namespace mmwatch::promql;

namespace {
Labels L(std::vector<std::pair<std::string, std::string>> p) { return Labels::from_pairs(std::move(p)); }
Matcher M(MatchType t, std::string n, std::string v) {
    std::string err;
    return Matcher::make(t, std::move(n), std::move(v), &err);
}
}  // namespace

TEST_CASE("append_keeps_time_order_and_replaces_a_timestamp") {
    MemoryStorage s;
    const Labels a = L({{"__name__", "a"}});
    s.append(a, 20, 2);
    s.append(a, 10, 1);
    s.append(a, 20, 3);
    std::vector<FPoint> out;
    auto set = s.select(std::vector<Matcher>{M(MatchType::equal, "__name__", "a")}, 0, 100);
    REQUIRE(set->next() == SeriesSet::Next::series);
    CHECK(s.read(set->ref(), 0, 100, out, 10) == 2);
    CHECK(out[0].t == 10);
    CHECK(out[1].f == 3);
    CHECK(set->next() == SeriesSet::Next::end);
}

TEST_CASE("select_matches_absent_labels_as_empty_and_respects_the_time_range") {
    MemoryStorage s;
    s.append(L({{"__name__", "a"}, {"job", "x"}}), 10, 1);
    s.append(L({{"__name__", "a"}}), 10, 1);
    s.append(L({{"__name__", "a"}, {"job", "y"}}), 500, 1);
    auto count = [&](std::vector<Matcher> ms, int64_t mint, int64_t maxt) {
        int n = 0;
        auto set = s.select(ms, mint, maxt);
        for (auto r = set->next(); r != SeriesSet::Next::end; r = set->next()) n += r == SeriesSet::Next::series;
        return n;
    };
    CHECK(count({M(MatchType::equal, "job", "")}, 0, 1000) == 1);
    CHECK(count({M(MatchType::not_equal, "job", "")}, 0, 1000) == 2);
    CHECK(count({M(MatchType::regexp, "job", "x|y")}, 0, 100) == 1);
    CHECK(count({M(MatchType::equal, "__name__", "a")}, 0, 1000) == 3);
}

TEST_CASE("select_yields_pending_after_a_batch_of_candidates") {
    MemoryStorage s;
    for (size_t i = 0; i < 3 * MemoryStorage::kSelectBatchSeries; ++i)
        s.append(L({{"__name__", "x"}, {"i", std::to_string(i)}}), 0, 1);
    s.append(L({{"__name__", "y"}}), 0, 1);
    auto set = s.select(std::vector<Matcher>{M(MatchType::equal, "__name__", "y")}, 0, 10);
    int pending = 0;
    auto r = set->next();
    for (; r == SeriesSet::Next::pending; r = set->next()) ++pending;
    CHECK(r == SeriesSet::Next::series);
    CHECK(pending >= 2);
}

TEST_CASE("read_honours_the_sample_cap") {
    MemoryStorage s;
    for (int i = 0; i < 10; ++i) s.append(L({{"a", "1"}}), i, i);
    std::vector<FPoint> out;
    CHECK(s.read(0, 2, 8, out, 3) == 3);
    CHECK(out.back().t == 4);
    CHECK(s.read(99, 0, 10, out, 3) == 0);  // unknown series: empty
}

TEST_CASE("label_names_and_values") {
    MemoryStorage s;
    s.append(L({{"__name__", "a"}, {"job", "x"}}), 10, 1);
    s.append(L({{"__name__", "b"}, {"zone", "z"}}), 10, 1);
    std::vector<std::string> out;
    s.label_names({}, 0, 100, out);
    CHECK(out == std::vector<std::string>{"__name__", "job", "zone"});
    s.label_values("__name__", {}, 0, 100, out);
    CHECK(out == std::vector<std::string>{"a", "b"});
    s.label_values("job", std::vector<Matcher>{M(MatchType::equal, "__name__", "b")}, 0, 100, out);
    CHECK(out.empty());
}
