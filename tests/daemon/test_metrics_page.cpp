#include <doctest/doctest.h>

#include <string>

#include "support/daemon_rig.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

TEST_CASE("one_render_per_snapshot_shared_by_every_scrape") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("g", 1));
    rig.open();
    const auto a = rig.page->body();
    const auto b = rig.page->body();
    CHECK(a.get() == b.get());  // the same body, not a copy
    CHECK(rig.page->counters().renders[0] == 1);
    rig.tick();
    const auto c = rig.page->body();
    CHECK(c.get() != a.get());
    CHECK(rig.page->counters().renders[0] == 2);
    rig.page->invalidate();
    (void)rig.page->body();
    CHECK(rig.page->counters().renders[0] == 3);
}

TEST_CASE("body_order_is_files_self_metrics_staleness_then_otlp") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("g", 1));
    rig.open();
    const std::string body = *rig.page->body();
    const size_t file = body.find("# TYPE g gauge");
    const size_t self = body.find("# TYPE mmwatch_sources gauge");
    const size_t stale = body.find("# TYPE mmwatch_source_stale gauge");
    const size_t otlp = body.find("# TYPE mmwatch_otlp_requests_total counter");
    REQUIRE(file != std::string::npos);
    CHECK(file < self);
    CHECK(self < stale);
    CHECK(stale < otlp);
    CHECK(test::has_line(body, "mmwatch_source_stale{name=\"app\"} 0"));
}

TEST_CASE("conflicts_and_series_limit_are_counted_once_and_logged") {
    test::DaemonRig rig(1);  // --max-series 1
    rig.dir.write("a.rezl", test::gauge_file("x", 1));
    rig.dir.write("b.rezl", test::build({{1, "y"}}).bytes);  // counter y_total: no conflict, but over the cap
    rig.dir.write("c.rezl", test::gauge_file("mmwatch_sources", 1));  // a reserved name
    rig.open();
    rig.tick();
    rig.tick();
    const PageCounters& c = rig.page->counters();
    CHECK(c.series_exposed == 1);
    CHECK(c.series_limit == 1);
    CHECK(c.type_conflicts == 1);
    CHECK(rig.events.recorded(files::EventKind::limit) == 1 + rig.watcher->counters().disk_backed_found);
    CHECK(rig.events.recorded(files::EventKind::type_conflict) == 1);
}

TEST_CASE("a_file_named_like_an_otlp_family_keeps_it_and_otlp_skips") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("shared", 1));
    rig.open();
    rig.router->attach_otlp(&rig.otlp.store, &rig.otlp.receiver);
    constexpr int64_t kT0 = 1'700'000'000'000'000'000;
    test::TestRequest post("POST", "/v1/metrics", "", test::otlp_body(test::gauge_metric("shared", 5, kT0)));
    REQUIRE(rig.router->route(post.req).status == 200);
    const std::string body = *rig.page->body();
    CHECK(body.find("# TYPE shared gauge") == body.rfind("# TYPE shared gauge"));
    CHECK(test::has_line(body, "mmwatch_otlp_exposition_skipped_families{reason=\"family_taken\"} 1"));
}

TEST_CASE("a_storm_of_invalidations_renders_at_most_twice_per_tick") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("g", 1));
    rig.open();
    (void)rig.page->body();
    const uint64_t before = rig.page->counters().renders[0];
    for (int i = 0; i < 100; ++i) {  // what POST + HEAD pairs did: a render each
        rig.page->invalidate();
        (void)rig.page->body();
    }
    CHECK(rig.page->counters().renders[0] - before == 1);
    rig.tick();
    for (int i = 0; i < 100; ++i) {
        rig.page->invalidate();
        (void)rig.page->body();
    }
    CHECK(rig.page->counters().renders[0] - before == 3);  // the tick's render and one asked for
}

// OpenMetrics names a counter x_total's family x: a gauge x beside it would
// make two families of one name there, so the second is a type conflict in
// every format (the formats never disagree on which series exist).
TEST_CASE("a_gauge_named_like_a_counters_family_conflicts") {
    test::DaemonRig rig;
    rig.dir.write("a.rezl", test::gauge_file("x", 1));
    rig.dir.write("b.rezl", test::build({{1, "x"}}).bytes);  // counter x, exposed x_total
    rig.open();
    rig.tick();
    CHECK(rig.page->counters().type_conflicts == 1);
    const std::string body = *rig.page->body();
    CHECK(body.find("x_total") == std::string::npos);
    CHECK(test::has_line(body, "x{name=\"a\"} 1"));
}
