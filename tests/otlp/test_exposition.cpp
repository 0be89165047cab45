#include <doctest/doctest.h>

#include <string>

#include "otlp/exposition.hpp"
#include "otlp/receiver.hpp"
#include "otlp/prom_names.hpp"
#include "otlp/otlp_self_metrics.hpp"
#include "support/otlp_test_util.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

void post(test::OtlpRig& rig, const std::string& body) {
    test::TestRequest t("POST", "/v1/metrics", "", body);
    const otlp::Reply r = rig.receiver.handle_export(t.export_request(), kT0);
    REQUIRE(r.status == 200);
}

// A page whose earlier parts hold one name (none when empty).
struct OneNameTaken final : TakenNames {
    std::string_view name;
    explicit OneNameTaken(std::string_view n) : name(n) {}
    [[nodiscard]] bool taken(std::string_view n) const override { return !name.empty() && n == name; }
};

// The OTLP part of /metrics as the page writes it: families, then the
// self-metrics with the skips of that render.
std::string render(const test::OtlpRig& rig, std::string_view taken = {}, int64_t now = kT0,
                   prom::Format format = prom::Format::text) {
    std::string out;
    const auto w = prom::make_writer(format, out);
    const ExpositionSkips skips = render_prometheus(rig.store, *w, OneNameTaken(taken), now);
    write_self_metrics(rig.store, rig.receiver.counters(), skips, *w);
    w->finish();
    return out;
}

bool has_line(const std::string& text, std::string_view line) {
    return text.find(std::string(line) + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("unit_suffixes_follow_the_compatibility_table") {
    CHECK(prometheus_name("http.server.request.duration", "s", MetricKind::histogram, false) ==
          "http_server_request_duration_seconds");
    CHECK(prometheus_name("system.memory.usage", "By", MetricKind::sum, false) == "system_memory_usage_bytes");
    CHECK(prometheus_name("net.io", "By/s", MetricKind::gauge, false) == "net_io_bytes_per_second");
    CHECK(prometheus_name("throughput", "{packets}/s", MetricKind::gauge, false) == "throughput_per_second");
    CHECK(prometheus_name("requests", "{request}", MetricKind::sum, true) == "requests_total");
    CHECK(prometheus_name("cpu.utilization", "1", MetricKind::gauge, false) == "cpu_utilization_ratio");
    CHECK(prometheus_name("cpu.count", "1", MetricKind::sum, true) == "cpu_count_total");
    CHECK(prometheus_name("latency_seconds", "s", MetricKind::gauge, false) == "latency_seconds");
    CHECK(prometheus_name("jobs_total", "", MetricKind::sum, true) == "jobs_total");
    CHECK(prometheus_name("temp", "Cel", MetricKind::gauge, false) == "temp_celsius");
    CHECK(prometheus_name("size", "MiBy", MetricKind::gauge, false) == "size_mebibytes");
    CHECK(prometheus_name("weird", "foo-bar", MetricKind::gauge, false) == "weird_foobar");
    CHECK(prometheus_name("disk.ops", "ms", MetricKind::sum, false) == "disk_ops_milliseconds");
}

TEST_CASE("metric_and_label_names_are_sanitized") {
    CHECK(sanitize_metric_name("(lambda).function.executions(#)") == "lambda_function_executions");
    CHECK(sanitize_metric_name("9lives") == "_9lives");
    CHECK(sanitize_metric_name("a..b--c") == "a_b_c");
    CHECK(sanitize_label_name("http.route") == "http_route");
    CHECK(sanitize_label_name("2xx") == "key_2xx");
    CHECK(sanitize_label_name("_private") == "key_private");
    CHECK(sanitize_label_name("__reserved") == "key__reserved");  // "__" is Prometheus's
}

TEST_CASE("monotonic_sum_is_a_counter_with_total_and_job_instance_from_resource") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, R"({"resourceMetrics":[{"resource":{"attributes":[
        {"key":"service.name","value":{"stringValue":"cart"}},
        {"key":"service.namespace","value":{"stringValue":"shop"}},
        {"key":"service.instance.id","value":{"stringValue":"i-1"}},
        {"key":"host.name","value":{"stringValue":"h1"}}]},
        "scopeMetrics":[{"scope":{"name":"my.lib","version":"2.0"},"metrics":[{"name":"orders","unit":"{order}",
        "description":"Orders placed","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[
        {"attributes":[{"key":"pay.method","value":{"stringValue":"card"}}],"timeUnixNano":"1700000000000000000",
        "asInt":"12"}]}}]}]}]})");
    const std::string text = render(rig);
    CHECK(has_line(text, "# HELP orders_total Orders placed"));
    CHECK(has_line(text, "# TYPE orders_total counter"));
    CHECK(has_line(text,
                   R"(orders_total{job="shop/cart",instance="i-1",pay_method="card",otel_scope_name="my.lib",otel_scope_version="2.0"} 12)"));
    CHECK(has_line(text, "# TYPE target_info gauge"));
    CHECK(has_line(text, R"(target_info{job="shop/cart",instance="i-1",host_name="h1"} 1)"));
}

TEST_CASE("non_monotonic_sum_and_gauge_are_gauges") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(test::sum_metric("queue.depth", -3, kT0, 2, false) + "," +
                                test::gauge_metric("temp", 21.5, kT0)));
    const std::string text = render(rig);
    CHECK(has_line(text, "# TYPE queue_depth gauge"));
    CHECK(has_line(text, R"(queue_depth{job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2"} -3)"));
    CHECK(has_line(text, R"(temp{job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2"} 21.5)"));
}

TEST_CASE("explicit_histogram_is_a_classic_histogram_with_cumulative_buckets") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(R"({"name":"rpc.duration","unit":"ms","histogram":{"aggregationTemporality":2,
        "dataPoints":[{"timeUnixNano":"1700000000000000000","count":"6","sum":42.5,"bucketCounts":["1","2","3"],
        "explicitBounds":[5,10]}]}})"));
    const std::string text = render(rig);
    const std::string labels = R"(job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2")";
    CHECK(has_line(text, "# TYPE rpc_duration_milliseconds histogram"));
    CHECK(has_line(text, "rpc_duration_milliseconds_bucket{" + labels + R"(,le="5"} 1)"));
    CHECK(has_line(text, "rpc_duration_milliseconds_bucket{" + labels + R"(,le="10"} 3)"));
    CHECK(has_line(text, "rpc_duration_milliseconds_bucket{" + labels + R"(,le="+Inf"} 6)"));
    CHECK(has_line(text, "rpc_duration_milliseconds_sum{" + labels + "} 42.5"));
    CHECK(has_line(text, "rpc_duration_milliseconds_count{" + labels + "} 6"));
    CHECK(text.find("_bucket{" + labels + R"(,le="5"})") < text.find("_count{"));
}

TEST_CASE("summary_has_quantile_labels_and_exponential_histogram_keeps_totals") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(R"({"name":"lat","unit":"s","summary":{"dataPoints":[{"timeUnixNano":"1","count":"4",
        "sum":2,"quantileValues":[{"quantile":0.5,"value":0.4},{"quantile":0.99,"value":0.9}]}]}},
        {"name":"size","unit":"By","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[
        {"timeUnixNano":"1","count":"7","sum":100,"scale":1,"positive":{"offset":0,"bucketCounts":["3","4"]}}]}})"));
    const std::string text = render(rig);
    const std::string labels = R"(job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2")";
    CHECK(has_line(text, "# TYPE lat_seconds summary"));
    CHECK(has_line(text, "lat_seconds{" + labels + R"(,quantile="0.5"} 0.4)"));
    CHECK(has_line(text, "lat_seconds{" + labels + R"(,quantile="0.99"} 0.9)"));
    CHECK(has_line(text, "lat_seconds_count{" + labels + "} 4"));
    CHECK(has_line(text, "# TYPE size_bytes histogram"));
    CHECK(has_line(text, "size_bytes_bucket{" + labels + R"(,le="+Inf"} 7)"));
    CHECK(has_line(text, "size_bytes_count{" + labels + "} 7"));
}

TEST_CASE("a_family_the_files_define_is_skipped_and_counted_never_typed_twice") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(test::gauge_metric("queue", 1, kT0) + "," + test::gauge_metric("other", 2, kT0)));
    const std::string text = render(rig, "queue");
    CHECK(text.find("# TYPE queue ") == std::string::npos);
    CHECK(has_line(text, "# TYPE other gauge"));
    CHECK(has_line(text, R"(mmwatch_otlp_exposition_skipped_families{reason="family_taken"} 1)"));
}

TEST_CASE("two_otlp_names_translating_to_one_family_keep_the_first") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(test::gauge_metric("a.b", 1, kT0) + "," + test::gauge_metric("a_b", 2, kT0)));
    const std::string text = render(rig);
    size_t n = 0;
    for (size_t p = 0; (p = text.find("# TYPE a_b gauge", p)) != std::string::npos; ++p) ++n;
    CHECK(n == 1);
    CHECK(has_line(text, R"(mmwatch_otlp_exposition_skipped_families{reason="name_collision"} 1)"));
}

TEST_CASE("self_metrics_are_present_at_zero_on_an_empty_store") {
    test::OtlpRig rig({}, 1 << 20);
    const std::string text = render(rig);
    for (const char* line : {
             "# TYPE mmwatch_otlp_requests_total counter",
             R"(mmwatch_otlp_requests_total{result="ok"} 0)",
             R"(mmwatch_otlp_requests_total{result="unsupported_media_type"} 0)",
             R"(mmwatch_otlp_decode_errors_total{reason="malformed_json"} 0)",
             R"(mmwatch_otlp_decode_errors_total{reason="bad_gzip"} 0)",
             R"(mmwatch_otlp_points_rejected_total{reason="series_limit"} 0)",
             R"(mmwatch_otlp_points_rejected_total{reason="missing_name"} 0)",
             "mmwatch_otlp_points_accepted_total 0",
             "mmwatch_otlp_series 0",
         }) {
        CAPTURE(line);
        CHECK(has_line(text, line));
    }
    CHECK(text.find("target_info") == std::string::npos);
}

TEST_CASE("label_values_are_escaped_and_colliding_label_names_joined") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(test::gauge_metric("g", 1, kT0, R"([
        {"key":"a.b","value":{"stringValue":"x\"y\\z\nw"}},{"key":"a_b","value":{"stringValue":"2"}}])")));
    const std::string text = render(rig);
    const bool joined = text.find(R"(a_b="x\"y\\z\nw;2")") != std::string::npos ||
                        text.find(R"(a_b="2;x\"y\\z\nw")") != std::string::npos;
    CHECK(joined);
}

TEST_CASE("series_not_received_within_the_window_are_not_exposed") {
    StoreLimits limits;
    limits.window_ms = 1000;
    test::OtlpRig rig(limits, 1 << 20);
    post(rig, test::otlp_body(test::gauge_metric("g", 1, kT0)));
    CHECK(render(rig).find("# TYPE g gauge") != std::string::npos);
    CHECK(render(rig, {}, kT0 + 10 * kSec).find("# TYPE g gauge") == std::string::npos);
}

namespace {

std::string attrs_json(std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
    std::string out = "[";
    for (const auto& [k, v] : kv) {
        if (out.size() > 1) out += ',';
        out += R"({"key":")" + std::string(k) + R"(","value":{"stringValue":")" + std::string(v) + R"("}})";
    }
    return out + "]";
}

std::string with_resource(std::string_view resource_attrs, std::string_view metrics) {
    return R"({"resourceMetrics":[{"resource":{"attributes":)" + std::string(resource_attrs) +
           R"(},"scopeMetrics":[{"metrics":[)" + std::string(metrics) + "]}]}]}";
}

}  // namespace

TEST_CASE("no_label_name_starts_with_two_underscores") {
    test::OtlpRig rig;
    post(rig, test::otlp_body(test::gauge_metric("g", 1, kT0, attrs_json({{"__name__", "evil"}, {"__meta", "x"}}))));
    const std::string text = render(rig);
    CHECK(text.find("{__") == std::string::npos);
    CHECK(text.find(",__") == std::string::npos);
    CHECK(text.find(R"(key__name__="evil")") != std::string::npos);
}

TEST_CASE("target_info_joins_resource_attributes_that_sanitize_alike") {
    test::OtlpRig rig;
    post(rig, with_resource(attrs_json({{"service.name", "svc"}, {"host.name", "a"}, {"host_name", "b"}}),
                            test::gauge_metric("g", 1, kT0)));
    const std::string text = render(rig);
    const bool joined = text.find(R"(host_name="a;b")") != std::string::npos ||
                        text.find(R"(host_name="b;a")") != std::string::npos;
    CHECK(joined);
    CHECK(text.find(R"(host_name="a",host_name)") == std::string::npos);
}

TEST_CASE("a_gauge_named_like_a_histograms_count_is_one_family_not_two") {
    test::OtlpRig rig;
    post(rig, test::otlp_body(R"({"name":"x","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"timeUnixNano":"1700000000000000000","count":"1","sum":1,"bucketCounts":["1","0"],"explicitBounds":[1]}]}})"));
    post(rig, test::otlp_body(test::gauge_metric("x_count", 7, kT0)));
    const std::string text = render(rig);
    CHECK(has_line(text, "# TYPE x histogram"));
    CHECK(text.find("# TYPE x_count") == std::string::npos);
    CHECK(has_line(text, R"(mmwatch_otlp_exposition_skipped_families{reason="name_collision"} 1)"));
}

TEST_CASE("a_file_gauge_named_like_an_otlp_histograms_sum_keeps_it") {
    test::OtlpRig rig;
    post(rig, test::otlp_body(R"({"name":"lat","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"timeUnixNano":"1700000000000000000","count":"1","sum":1,"bucketCounts":["1","0"],"explicitBounds":[1]}]}})"));
    const std::string text = render(rig, "lat_sum");
    CHECK(text.find("# TYPE lat histogram") == std::string::npos);
    CHECK(has_line(text, R"(mmwatch_otlp_exposition_skipped_families{reason="family_taken"} 1)"));
}

TEST_CASE("minus_zero_is_written_as_zero") {
    test::OtlpRig rig;
    post(rig, test::otlp_body(test::gauge_metric("g", -0.0, kT0)));
    CHECK(has_line(render(rig), R"(g{job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2"} 0)"));
}

TEST_CASE("the_otlp_part_stops_at_the_response_byte_cap_with_whole_series") {
    test::OtlpRig rig;
    std::string metrics;
    for (int i = 0; i < 50; ++i) {
        if (i) metrics += ',';
        metrics += R"({"name":"h)" + std::to_string(i) + R"(","histogram":{"aggregationTemporality":2,"dataPoints":[
            {"timeUnixNano":"1700000000000000000","count":"1","sum":1,"bucketCounts":["1","0"],"explicitBounds":[1]}]}})";
    }
    post(rig, test::otlp_body(metrics));
    std::string out;
    const auto w = prom::make_writer(prom::Format::text, out);
    const ExpositionSkips skips = render_prometheus(rig.store, *w, NoneTaken(), kT0, 2000);
    CHECK(out.size() < 2000 + 1000);  // one family's series past the cap at most
    CHECK(skips.response_bytes > 0);
    // Every histogram written is whole: as many +Inf buckets as _count lines.
    size_t inf = 0, count = 0;
    for (size_t p = 0; (p = out.find("le=\"+Inf\"", p)) != std::string::npos; ++p) ++inf;
    for (size_t p = 0; (p = out.find("_count{", p)) != std::string::npos; ++p) ++count;
    CHECK(inf == count);
    CHECK(count > 0);
}

TEST_CASE("a_series_stays_for_the_window_after_its_last_receipt_whatever_its_timestamps") {
    StoreLimits limits;
    limits.window_ms = 60'000;
    test::OtlpRig rig(limits);
    post(rig, test::otlp_body(test::gauge_metric("old_clock", 5, 1'514'764'800 * kSec)));  // 2018
    CHECK(render(rig, {}, kT0 + 30 * kSec).find("old_clock{") != std::string::npos);
    CHECK(render(rig, {}, kT0 + 61 * kSec).find("old_clock{") == std::string::npos);
}
