// The OTLP translation in OpenMetrics and protobuf: _created from start
// times, # UNIT, target info, and exponential histograms as native ones.
#include <doctest/doctest.h>

#include <string>

#include "otlp/exposition.hpp"
#include "otlp/receiver.hpp"
#include "otlp/otlp_self_metrics.hpp"
#include "support/otlp_test_util.hpp"
#include "support/prom_stream.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

void post(test::OtlpRig& rig, const std::string& body) {
    test::TestRequest t("POST", "/v1/metrics", "", body);
    REQUIRE(rig.receiver.handle_export(t.export_request(), kT0).status == 200);
}

std::string render(const test::OtlpRig& rig, prom::Format format) {
    std::string out;
    const auto w = prom::make_writer(format, out);
    const ExpositionSkips skips = render_prometheus(rig.store, *w, NoneTaken(), kT0);
    write_self_metrics(rig.store, rig.receiver.counters(), skips, *w);
    w->finish();
    return out;
}

bool has_line(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

ExpHistogram exp(int32_t scale, int32_t offset, std::vector<uint64_t> counts) {
    ExpHistogram e;
    e.scale = scale;
    e.positive_offset = offset;
    e.positive = std::move(counts);
    for (uint64_t c : e.positive) e.count += c;
    return e;
}

}  // namespace

TEST_CASE("native_index_is_the_otlp_index_plus_one_and_gaps_make_spans") {
    prom::NativeHistogram h;
    // OTLP buckets 2, 3 (counts 5, 0), 4 (7), then 7 (1) at scale 3.
    REQUIRE(to_native(exp(3, 2, {5, 0, 7, 0, 0, 1}), h));
    CHECK(h.schema == 3);
    REQUIRE(h.positive_spans.size() == 3);
    CHECK(h.positive_spans[0].offset == 3);  // Prometheus index 3 = OTLP 2 + 1
    CHECK(h.positive_spans[0].length == 1);
    CHECK(h.positive_spans[1].offset == 1);  // index 5 (the empty 4 skipped)
    CHECK(h.positive_spans[1].length == 1);
    CHECK(h.positive_spans[2].offset == 2);  // index 8
    CHECK(h.positive_deltas == std::vector<int64_t>{5, 2, -6});
    CHECK(h.count == 13);
}

TEST_CASE("scales_above_8_merge_bucket_pairs_down_to_8_exactly") {
    prom::NativeHistogram h;
    // Scale 10 -> 8 merges four buckets into one: OTLP indexes -5..2 at
    // scale 10 become floor(i / 4) = -2, -1, -1, -1, -1, 0, 0, 0.
    REQUIRE(to_native(exp(10, -5, {1, 1, 1, 1, 1, 1, 1, 1}), h));
    CHECK(h.schema == 8);
    REQUIRE(h.positive_spans.size() == 1);
    CHECK(h.positive_spans[0].offset == -1);  // -2 + 1
    CHECK(h.positive_spans[0].length == 3);
    CHECK(h.positive_deltas == std::vector<int64_t>{1, 3, -1});  // counts 1, 4, 3
}

TEST_CASE("negative_buckets_zero_bucket_and_the_schema_floor") {
    ExpHistogram e = exp(-4, 0, {2});
    e.negative_offset = -3;
    e.negative = {4, 6};
    e.zero_count = 3;
    e.zero_threshold = 1e-9;
    e.sum = -7.5;
    prom::NativeHistogram h;
    REQUIRE(to_native(e, h));
    CHECK(h.schema == -4);
    CHECK(h.zero_count == 3);
    CHECK(h.zero_threshold == 1e-9);
    CHECK(h.sum == -7.5);
    REQUIRE(h.negative_spans.size() == 1);
    CHECK(h.negative_spans[0].offset == -2);
    CHECK(h.negative_deltas == std::vector<int64_t>{4, 2});
    CHECK_FALSE(to_native(exp(-5, 0, {1}), h));  // below -4: no native schema
}

TEST_CASE("openmetrics_created_from_start_times_unit_and_info") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(R"({"name":"orders","sum":{"aggregationTemporality":2,"isMonotonic":true,
        "dataPoints":[{"startTimeUnixNano":"1699999000000000000","timeUnixNano":"1700000000000000000","asInt":"12"}]}},
        {"name":"rpc.duration","unit":"s","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"startTimeUnixNano":"1699999500250000000","timeUnixNano":"1700000000000000000","count":"2","sum":0.5,
        "bucketCounts":["1","1"],"explicitBounds":[0.25]}]}},
        {"name":"temp","gauge":{"dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"1700000000000000000","asDouble":3}]}})"));
    const std::string om = render(rig, prom::Format::openmetrics);
    const std::string labels = R"({job="checkout",otel_scope_name="test.scope",otel_scope_version="1.2"})";
    CHECK(has_line(om, "# TYPE orders counter"));
    CHECK(has_line(om, "orders_total" + labels + " 12"));
    CHECK(has_line(om, "orders_created" + labels + " 1699999000"));
    CHECK(has_line(om, "# UNIT rpc_duration_seconds seconds"));
    CHECK(has_line(om, "rpc_duration_seconds_created" + labels + " 1699999500.25"));
    CHECK(om.find("temp_created") == std::string::npos);  // gauges have no start
    CHECK(has_line(om, "# TYPE target info"));
    CHECK(om.ends_with("# EOF\n"));
    CHECK(om.find("# EOF") == om.size() - 6);
    const std::string text = render(rig, prom::Format::text);
    CHECK(text.find("_created") == std::string::npos);
    CHECK(text.find("# UNIT") == std::string::npos);
}

TEST_CASE("protobuf_carries_an_exponential_histogram_as_a_native_one_exactly") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(R"({"name":"size","unit":"By","exponentialHistogram":{"aggregationTemporality":2,
        "dataPoints":[{"timeUnixNano":"1700000000000000000","count":"12","sum":100,"scale":1,"zeroCount":"2",
        "positive":{"offset":-1,"bucketCounts":["3","0","4"]},"negative":{"offset":0,"bucketCounts":["3"]}}]}})"));
    const std::string stream = render(rig, prom::Format::protobuf);
    bool found = false;
    test::for_each_family(stream, [&](protozero::pbf_reader fam) {
        std::string name;
        while (fam.next()) {
            if (fam.tag() == 1) name = fam.get_string();
            else if (fam.tag() == 4 && name == "size_bytes") {
                protozero::pbf_reader m = fam.get_message();
                while (m.next()) {
                    if (m.tag() != 7) {
                        m.skip();
                        continue;
                    }
                    found = true;
                    protozero::pbf_reader h = m.get_message();
                    std::vector<int64_t> pos, neg;
                    int buckets = 0, spans = 0;
                    while (h.next()) {
                        switch (h.tag()) {
                        case 1: CHECK(h.get_uint64() == 12); break;
                        case 2: CHECK(h.get_double() == 100); break;
                        case 3: ++buckets, h.skip(); break;
                        case 5: CHECK(h.get_sint32() == 1); break;
                        case 7: CHECK(h.get_uint64() == 2); break;
                        case 12: ++spans, h.skip(); break;
                        case 13: for (int64_t d : h.get_packed_sint64()) pos.push_back(d); break;
                        case 10: for (int64_t d : h.get_packed_sint64()) neg.push_back(d); break;
                        default: h.skip();
                        }
                    }
                    CHECK(buckets == 0);  // no classic buckets beside the native ones
                    CHECK(spans == 2);    // indexes 0 and 2
                    CHECK(pos == std::vector<int64_t>{3, 1});
                    CHECK(neg == std::vector<int64_t>{3});
                }
            } else fam.skip();
        }
    });
    CHECK(found);
    // The text formats keep the documented approximation.
    const std::string text = render(rig, prom::Format::text);
    CHECK(text.find("size_bytes_bucket{job=\"checkout\",otel_scope_name=\"test.scope\",otel_scope_version=\"1.2\",le=\"+Inf\"} 12") !=
          std::string::npos);
}

TEST_CASE("an_exponential_histogram_below_scale_minus_4_is_sent_classic_and_counted") {
    test::OtlpRig rig({}, 1 << 20);
    post(rig, test::otlp_body(R"({"name":"coarse","exponentialHistogram":{"aggregationTemporality":2,
        "dataPoints":[{"timeUnixNano":"1700000000000000000","count":"1","sum":1e30,"scale":-6,
        "positive":{"offset":1,"bucketCounts":["1"]}}]}})"));
    std::string out;
    const auto w = prom::make_writer(prom::Format::protobuf, out);
    const ExpositionSkips skips = render_prometheus(rig.store, *w, NoneTaken(), kT0);
    w->finish();
    CHECK(skips.native_scale == 1);
    CHECK(out.find("coarse") != std::string::npos);
}
