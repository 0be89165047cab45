#include <doctest/doctest.h>

#include "promql/memory_storage.hpp"
#include "promql/sample_window.hpp"

using namespace mmwatch::promql;

TEST_CASE("the_window_moves_forward_and_drops_what_fell_out") {
    std::vector<FPoint> pts;
    for (int i = 0; i < 10; ++i) pts.push_back({i * 10, double(i)});
    SampleWindow w(pts, false);
    bool complete;
    w.move(0, 30, complete);
    CHECK(complete);
    REQUIRE(w.size() == 3);  // (0, 30]: 10, 20, 30
    CHECK(w.points().front().t == 10);
    w.move(25, 55, complete);
    REQUIRE(w.size() == 3);  // 30, 40, 50
    CHECK(w.points().front().t == 30);
    w.move(80, 200, complete);
    CHECK(w.size() == 1);
}

TEST_CASE("stale_markers_are_kept_only_when_asked") {
    std::vector<FPoint> pts{{10, 1}, {20, stale_nan()}, {30, 3}};
    SampleWindow keep(pts, true), drop(pts, false);
    bool complete;
    keep.move(0, 30, complete);
    drop.move(0, 30, complete);
    CHECK(keep.size() == 3);
    CHECK(drop.size() == 2);
}

TEST_CASE("reads_from_the_store_come_in_batches") {
    MemoryStorage s;
    const Labels l = Labels::from_pairs({{"a", "1"}});
    for (size_t i = 0; i < 2 * kReadBatchSamples + 5; ++i) s.append(l, static_cast<int64_t>(i), 1);
    SampleWindow w(s, 0, false);
    bool complete = false;
    int calls = 0;
    while (!complete) {
        w.move(-1, 1'000'000, complete);
        ++calls;
    }
    CHECK(calls == 3);
    CHECK(w.size() == 2 * kReadBatchSamples + 5);
}
