#include <doctest/doctest.h>

#include <string>

#include "daemon/self_metrics.hpp"
#include "support/daemon_rig.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

std::string render(const files::FileCounters& f, const PageCounters& p, std::span<const Listener> l) {
    files::EventLog events;
    std::string out;
    const LoopStats loop;
    const auto w = prom::make_writer(prom::Format::text, out);
    render_self_metrics({f, 0, 0, 0, loop, p, l, events, "1.2.3", 1'700'000'000'500'000'000}, *w);
    return out;
}

}  // namespace

TEST_CASE("every_reason_and_limit_is_exported_at_zero") {
    const http::ServerCounters none;
    const Listener l[] = {{"metrics", &none}};
    const std::string out = render({}, {}, l);
    for (size_t i = 1; i < rezl::kReasonCount; ++i) {
        const std::string line = "mmwatch_source_rejections_total{reason=\"" +
                                 std::string(rezl::reason_name(rezl::Reason(i))) + "\"} 0";
        CAPTURE(line);
        CHECK(test::has_line(out, line));
    }
    for (const char* limit : {"files", "file_bytes", "mapped_bytes", "series", "connections", "request_head_bytes",
                              "request_headers", "body_bytes", "request_deadline", "response_deadline",
                              "response_bytes", "write_chunks", "snapshot_budget", "inotify_overflow", "open_fds", "disk_backed", "first_byte", "send_rate",
                              "response_memory", "request_memory", "proven_connections", "accept_budget",
                              "write_turn_bytes"}) {
        const std::string line = "mmwatch_limit_hits_total{limit=\"" + std::string(limit) + "\"} 0";
        CAPTURE(line);
        CHECK(test::has_line(out, line));
    }
    CHECK(test::has_line(out, "mmwatch_inotify_watch_failures_total 0"));
    CHECK(test::has_line(out, "mmwatch_http_shed_connections_total{reason=\"newcomer\"} 0"));
    for (const char* where : {"request", "tick", "push"}) {
        CHECK(test::has_line(out, "mmwatch_callback_exceptions_total{where=\"" + std::string(where) + "\"} 0"));
    }
    CHECK(test::has_line(out, "mmwatch_build_info{version=\"1.2.3\"} 1"));
    CHECK(test::has_line(out, "process_start_time_seconds 1700000000.5"));
}

TEST_CASE("each_counter_lands_on_its_own_line") {
    files::FileCounters f;
    f.rejections[size_t(rezl::Reason::bad_magic)] = 3;
    f.files_limit = 4;
    f.snapshot_budget = 5;
    f.watch_failures = 6;
    f.mapped_bytes = 7;
    PageCounters p;
    p.series_limit = 8;
    p.response_bytes_limit = 9;
    p.scrapes[1][1] = 10;  // OpenMetrics, gzip
    p.renders[2] = 11;
    const std::string out = render(f, p, {});
    CHECK(test::has_line(out, "mmwatch_source_rejections_total{reason=\"bad_magic\"} 3"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"files\"} 4"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"snapshot_budget\"} 5"));
    CHECK(test::has_line(out, "mmwatch_inotify_watch_failures_total 6"));
    CHECK(test::has_line(out, "mmwatch_mapped_bytes 7"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"series\"} 8"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"response_bytes\"} 9"));
    CHECK(test::has_line(out, "mmwatch_scrapes_total{encoding=\"gzip\",format=\"openmetrics\"} 10"));
    CHECK(test::has_line(out, "mmwatch_scrapes_total{encoding=\"identity\",format=\"text\"} 0"));
    CHECK(test::has_line(out, "mmwatch_renders_total{format=\"protobuf\"} 11"));
}

TEST_CASE("listeners_are_summed_and_shown_one_by_one") {
    http::ServerCounters a, b;
    a.connections_open = 2;
    a.connections_limit = 1;
    a.requests = 10;
    b.connections_open = 3;
    b.connections_limit = 4;
    b.requests = 5;
    b.body_bytes_limit = 1;
    const Listener l[] = {{"metrics", &a}, {"otlp", &b}};
    const std::string out = render({}, {}, l);
    CHECK(test::has_line(out, "mmwatch_http_connections 5"));
    CHECK(test::has_line(out, "mmwatch_http_requests_total 15"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"connections\"} 5"));
    CHECK(test::has_line(out, "mmwatch_limit_hits_total{limit=\"body_bytes\"} 1"));
    CHECK(test::has_line(out, "mmwatch_listener_connections{listener=\"metrics\"} 2"));
    CHECK(test::has_line(out, "mmwatch_listener_connections{listener=\"otlp\"} 3"));
    CHECK(test::has_line(out, "mmwatch_listener_refused_connections_total{listener=\"otlp\"} 4"));
}

TEST_CASE("self_metric_names_reserve_every_family") {
    const auto& names = self_metric_names();
    for (const char* n : {"mmwatch_sources", "mmwatch_source_stale", "mmwatch_listener_connections",
                          "mmwatch_inotify_watch_failures_total", "process_open_fds"}) {
        CAPTURE(n);
        CHECK(names.count(n) == 1);
    }
}

TEST_CASE("loop_lag_is_a_cumulative_histogram") {
    LoopStats loop;
    loop.observe_lag(0);
    loop.observe_lag(0.003);
    loop.observe_lag(9);
    loop.busy_ratio = 0.25;
    files::EventLog events;
    std::string out;
    const auto w = prom::make_writer(prom::Format::text, out);
    render_self_metrics({{}, 0, 0, 0, loop, {}, {}, events, "v", 0}, *w);
    CHECK(test::has_line(out, "# TYPE mmwatch_loop_lag_seconds histogram"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_bucket{le=\"0.001\"} 1"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_bucket{le=\"0.005\"} 2"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_bucket{le=\"5\"} 2"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_bucket{le=\"+Inf\"} 3"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_count 3"));
    CHECK(test::has_line(out, "mmwatch_loop_lag_seconds_sum 9.003"));
    CHECK(test::has_line(out, "mmwatch_loop_busy_ratio 0.25"));
    CHECK(self_metric_names().count("mmwatch_loop_lag_seconds_count") == 1);
}

TEST_CASE("the_sample_pipeline_counters_are_exported_at_zero_and_as_counted") {
    LoopStats loop;
    files::EventLog events;
    std::string before, after;
    render_self_metrics({{}, 0, 0, 0, loop, {}, {}, events, "v", 0}, *prom::make_writer(prom::Format::text, before));
    CHECK(test::has_line(before, "mmwatch_sample_slices_total 0"));
    CHECK(test::has_line(before, "mmwatch_sample_failures_total 0"));
    CHECK(test::has_line(before, "mmwatch_sample_whole_total 0"));
    const SamplerCounters sampler{3, 61, 1, 2, 5};
    SelfMetricsInput in{{}, 0, 0, 0, loop, {}, {}, events, "v", 0};
    in.sampler = &sampler;
    render_self_metrics(in, *prom::make_writer(prom::Format::text, after));
    CHECK(test::has_line(after, "mmwatch_sample_batches_total 3"));
    CHECK(test::has_line(after, "mmwatch_sample_slices_total 61"));
    CHECK(test::has_line(after, "mmwatch_sample_restarts_total 1"));
    CHECK(test::has_line(after, "mmwatch_sample_failures_total 2"));
    CHECK(test::has_line(after, "mmwatch_sample_whole_total 5"));
    CHECK(self_metric_names().count("mmwatch_sample_slices_total") == 1);
}

TEST_CASE("loop_turns_are_histograms_of_wall_and_cpu_time_and_the_longest") {
    LoopStats loop;
    loop.turns.observe_ns(300'000);     // 0.3 ms
    loop.turns.observe_ns(3'000'000);   // 3 ms
    loop.turns.observe_ns(700'000'000); // 0.7 s
    loop.turns_cpu.observe_ns(1'500'000);
    files::EventLog events;
    std::string out;
    const auto w = prom::make_writer(prom::Format::text, out);
    render_self_metrics({{}, 0, 0, 0, loop, {}, {}, events, "v", 0}, *w);
    CHECK(test::has_line(out, "# TYPE mmwatch_loop_turn_seconds histogram"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_bucket{le=\"0.001\"} 1"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_bucket{le=\"0.002\"} 1"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_bucket{le=\"0.005\"} 2"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_bucket{le=\"0.5\"} 2"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_bucket{le=\"+Inf\"} 3"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_count 3"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_seconds_sum 0.7033"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_max_seconds 0.7"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_cpu_seconds_bucket{le=\"0.001\"} 0"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_cpu_seconds_bucket{le=\"0.002\"} 1"));
    CHECK(test::has_line(out, "mmwatch_loop_turn_cpu_seconds_count 1"));
    CHECK(self_metric_names().count("mmwatch_loop_turn_cpu_seconds_bucket") == 1);
}
