// In-process metrics: the get-or-create contract, bucket semantics, Timer,
// exact Prometheus/JSON text, the factory, and the mapped provider's file
// as the reader sees it. Threaded tests are in test_metrics_threads.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "mmwatch/h2.hpp"
#include "mmwatch/metrics.hpp"
#include "support/producer_testing.hpp"

using namespace mmwatch;
using namespace mmwatch::inproc;

namespace {

constexpr ProviderKind kRegistryKinds[] = {ProviderKind::standard, ProviderKind::seqlock};

std::unique_ptr<Provider> make(ProviderKind k) { return make_provider(Config{.kind = k}); }

}  // namespace

TEST_CASE("get_or_create_returns_the_same_metric_for_the_same_name") {
    for (auto kind : kRegistryKinds) {
        auto m = make(kind);
        auto a = m->counter("requests_total", "Requests");
        auto b = m->counter("requests_total", "ignored: help is set on creation");
        CHECK(a.get() == b.get());
        a->inc();
        b->inc_by(4);
        CHECK(a->value() == 5);
        auto h1 = m->histogram("lat_seconds", "Latency", {0.1, 1});
        auto h2 = m->histogram("lat_seconds", "Latency", {0.1, 1});
        CHECK(h1.get() == h2.get());
        CHECK(m->error_count() == 0);
    }
}

TEST_CASE("name_taken_by_another_type_is_refused_and_the_detached_metric_is_not_exported") {
    for (auto kind : kRegistryKinds) {
        auto m = make(kind);
        m->counter("x", "a counter")->inc();
        std::shared_ptr<Gauge> g;
        CHECK(m->try_gauge("x", "", g) == Errc::type_conflict);
        CHECK(g == nullptr);
        auto detached = m->gauge("x", "");
        REQUIRE(detached != nullptr);
        detached->set(7);  // works, but lives nowhere
        CHECK(m->last_error() == Errc::type_conflict);
        CHECK(m->error_count() == 1);
        CHECK(m->export_prometheus().find("gauge") == std::string::npos);
        std::shared_ptr<Histogram> h;
        CHECK(m->try_histogram("h", "", {1, 2}, h) == Errc::ok);
        CHECK(m->try_histogram("h", "", {1, 3}, h) == Errc::buckets_conflict);
    }
}

TEST_CASE("bad_names_and_bad_bounds_are_refused") {
    CHECK(valid_metric_name("a"));
    CHECK(valid_metric_name("http:requests_total_2"));
    CHECK(valid_metric_name(std::string(255, 'a')));
    CHECK_FALSE(valid_metric_name(std::string(256, 'a')));
    CHECK_FALSE(valid_metric_name(""));
    CHECK_FALSE(valid_metric_name("2xx"));
    CHECK_FALSE(valid_metric_name("with-dash"));
    CHECK_FALSE(valid_metric_name("caf\xC3\xA9"));
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(valid_bounds({}));
    CHECK(valid_bounds({-1, 0, 0.5}));
    CHECK_FALSE(valid_bounds({1, 1}));
    CHECK_FALSE(valid_bounds({2, 1}));
    CHECK_FALSE(valid_bounds({1, nan}));
    CHECK_FALSE(valid_bounds({1, inf}));
    CHECK_FALSE(valid_bounds(std::vector<double>(kMaxBucketBounds + 1, 0)));
    auto m = make(ProviderKind::standard);
    std::shared_ptr<Counter> c;
    CHECK(m->try_counter("bad name", "", c) == Errc::bad_name);
    std::shared_ptr<Histogram> h;
    CHECK(m->try_histogram("h", "", {2, 1}, h) == Errc::bad_buckets);
    CHECK(m->histogram("h", "", {2, 1})->bounds().empty());  // detached, with no bounds
    CHECK(errc_name(Errc::bad_buckets) == "bad_buckets");
}

TEST_CASE("gauge_goes_negative_and_back") {
    for (auto kind : kRegistryKinds) {
        auto g = make(kind)->gauge("inflight", "In flight");
        g->dec();
        g->dec();
        CHECK(g->value() == -2);
        g->inc();
        CHECK(g->value() == -1);
        g->set(INT64_MIN);
        CHECK(g->value() == INT64_MIN);
    }
}

TEST_CASE("value_equal_to_a_bound_counts_in_that_bucket_and_nan_is_dropped") {
    for (auto kind : kRegistryKinds) {
        auto h = make(kind)->histogram("h", "", {1, 2, 5});
        for (double v : {-3.0, 1.0, 1.5, 2.0, 5.0, 5.0001, 1e300, std::nan("")}) h->observe(v);
        const HistogramStats s = h->stats();
        CHECK(s.count == 7);
        CHECK(s.bucket_counts == std::vector<uint64_t>{2, 2, 1, 2});
        CHECK(s.sum == doctest::Approx(-3.0 + 1 + 1.5 + 2 + 5 + 5.0001 + 1e300));
    }
}

TEST_CASE("timer_records_elapsed_seconds_once_on_scope_exit") {
    auto m = make(ProviderKind::seqlock);
    auto h = m->histogram("op_seconds", "", {0.001, 10});
    {
        Timer t(h);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        CHECK(h->stats().count == 0);
    }
    const HistogramStats s = h->stats();
    CHECK(s.count == 1);
    CHECK(s.sum >= 0.002);
    CHECK(s.bucket_counts[0] == 0);  // slept at least 2 ms: above the 1 ms bound
    {
        Timer t(h);
        t.cancel();
    }
    CHECK(h->stats().count == 1);
}

TEST_CASE("prometheus_text_has_help_type_cumulative_buckets_inf_sum_and_count") {
    for (auto kind : kRegistryKinds) {
        auto m = make(kind);
        m->counter("b_total", "Things\\done\nhere")->inc_by(3);
        m->gauge("a_temp", "Temperature")->set(-4);
        auto h = m->histogram("c_seconds", "Latency", {0.005, 0.25, 1e6});
        for (double v : {0.001, 0.1, 0.2, 7.0, 2e6}) h->observe(v);
        CHECK(m->export_prometheus() ==
              "# HELP a_temp Temperature\n"
              "# TYPE a_temp gauge\n"
              "a_temp -4\n"
              "# HELP b_total Things\\\\done\\nhere\n"
              "# TYPE b_total counter\n"
              "b_total 3\n"
              "# HELP c_seconds Latency\n"
              "# TYPE c_seconds histogram\n"
              "c_seconds_bucket{le=\"0.005\"} 1\n"
              "c_seconds_bucket{le=\"0.25\"} 3\n"
              "c_seconds_bucket{le=\"1000000\"} 4\n"
              "c_seconds_bucket{le=\"+Inf\"} 5\n"
              "c_seconds_sum 2000007.301\n"
              "c_seconds_count 5\n");
    }
}

TEST_CASE("json_export_is_exact_and_escapes_strings") {
    auto m = make(ProviderKind::standard);
    m->counter("c_total", "say \"hi\"\t")->inc();
    auto h = m->histogram("h", "", {1});
    h->observe(0.5);
    h->observe(std::numeric_limits<double>::infinity());
    CHECK(m->export_json() ==
          "{\"uptime_seconds\":0,\"metrics\":["
          "{\"name\":\"c_total\",\"type\":\"counter\",\"help\":\"say \\\"hi\\\"\\t\",\"value\":1},"
          "{\"name\":\"h\",\"type\":\"histogram\",\"help\":\"\",\"count\":2,\"sum\":null,"
          "\"buckets\":[{\"le\":1,\"count\":1},{\"le\":\"+Inf\",\"count\":1}]}]}");
    CHECK(m->uptime_seconds() == 0);
}

TEST_CASE("factory_picks_the_configured_implementation") {
    ProviderKind k{};
    CHECK(parse_provider_kind("seqlock", k));
    CHECK(k == ProviderKind::seqlock);
    CHECK(parse_provider_kind("mapped", k));
    CHECK(k == ProviderKind::mapped);
    CHECK(parse_provider_kind("standard", k));
    CHECK(k == ProviderKind::standard);
    CHECK_FALSE(parse_provider_kind("Seqlock", k));
    CHECK(dynamic_cast<StandardProvider*>(make(ProviderKind::standard).get()) != nullptr);
    CHECK(dynamic_cast<SeqlockProvider*>(make(ProviderKind::seqlock).get()) != nullptr);
    test::ScratchDir dir;
    auto mapped = make_provider(Config{.kind = ProviderKind::mapped, .mapped = {.dir = dir.path()}});
    CHECK(dynamic_cast<MappedProvider*>(mapped.get()) != nullptr);
    CHECK(mapped->publish().ok());
    CHECK(dir.entries() == std::vector<std::string>{"app.rezl"});
}

TEST_CASE("mapped_values_reach_the_file_with_exact_values_and_honest_units") {
    test::ScratchDir dir;
    MappedProvider m({.dir = dir.path(), .file_name = "svc"});
    auto reqs = m.counter("requests_total", "Requests");
    auto temp = m.gauge("temp", "Temperature");
    auto lat = m.histogram("latency_seconds", "Latency", {0.001, 0.01});
    reqs->inc_by(2);  // before publish: carried into the file
    REQUIRE(m.publish().ok());
    reqs->inc();
    temp->set(-7);
    lat->observe(0.0015);
    const auto r = test::read_back(std::string(m.path()));
    REQUIRE(r.layout.ok());
    const auto& ms = r.layout.value.metrics;
    REQUIRE(ms.size() == 3);
    CHECK(r.layout.value.name(ms[0]) == "requests_total");
    CHECK(r.layout.value.name(ms[2]) == "latency_nanoseconds");
    CHECK(ms[2].grouping_power == 4);
    CHECK(ms[2].max_power == 64);
    CHECK(r.value(0) == 3);
    CHECK(int64_t(r.value(1)) == -7);
    CHECK(r.value(2, h2::index_of(1'500'000, 4, 64)) == 1);
    CHECK(lat->stats().bucket_counts == std::vector<uint64_t>{0, 1, 0});
    CHECK(m.export_prometheus().find("requests_total 3\n") != std::string::npos);
}

TEST_CASE("mapped_new_name_after_publish_is_already_published_but_known_names_work") {
    test::ScratchDir dir;
    MappedProvider m({.dir = dir.path()});
    auto a = m.counter("a_total", "");
    REQUIRE(m.publish().ok());
    std::shared_ptr<Counter> late;
    CHECK(m.try_counter("late_total", "", late) == Errc::already_published);
    std::shared_ptr<Counter> again;
    CHECK(m.try_counter("a_total", "", again) == Errc::ok);
    CHECK(again.get() == a.get());
    CHECK(m.publish().code == MMW_ERR_ALREADY_PUBLISHED);
    auto detached = m.counter("late_total", "");
    detached->inc();
    CHECK(m.last_error() == Errc::already_published);
    CHECK(test::read_back(std::string(m.path())).layout.value.metrics.size() == 1);
}

TEST_CASE("mapped_values_survive_close_and_the_file_is_removed") {
    test::ScratchDir dir;
    MappedProvider m({.dir = dir.path()});
    auto c = m.counter("a_total", "");
    REQUIRE(m.publish().ok());
    c->inc_by(5);
    m.close();
    CHECK(dir.entries().empty());
    c->inc();  // writes to the object again, not to the unmapped file
    CHECK(c->value() == 6);
    m.close();
}

TEST_CASE("mapped_1025th_metric_is_file_limit_and_bad_file_name_fails_at_publish") {
    test::ScratchDir dir;
    MappedProvider m({.dir = dir.path()});
    std::shared_ptr<Counter> c;
    // insert(), not "c" + to_string(i): GCC 12 -O3 warns falsely on the latter (PR105651).
    for (int i = 0; i < 1024; ++i) REQUIRE(m.try_counter(std::to_string(i).insert(0, 1, 'c'), "", c) == Errc::ok);
    CHECK(m.try_counter("one_more", "", c) == Errc::file_limit);
    MappedProvider bad({.dir = dir.path(), .file_name = ".hidden"});
    auto g = bad.gauge("g", "");
    g->set(3);
    CHECK(bad.publish().code == MMW_ERR_BAD_FILE_NAME);
    CHECK(g->value() == 3);  // still works in process
}
