#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "otlp/decoder.hpp"
#include "support/otlp_test_util.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

namespace {

DecodeResult decode(std::string_view body, DecodedRequest& out) {
    static Decoder decoder;
    return decoder.decode(body, out);
}

std::string_view attr(const DecodedRequest& r, Range range, std::string_view key) {
    for (uint32_t i = range.begin; i < range.end; ++i)
        if (r.attrs[i].key == key) return r.attrs[i].value;
    return "<absent>";
}

}  // namespace

TEST_CASE("gauge_points_as_double_and_as_int_string_or_number") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"temp","unit":"Cel","description":"d","gauge":{"dataPoints":[
        {"timeUnixNano":"1700000000000000000","asDouble":21.5},
        {"timeUnixNano":1700000001000000000,"asInt":"-9223372036854775807"},
        {"timeUnixNano":"1700000002000000000","asInt":42}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    REQUIRE(r.metrics.size() == 1);
    const DecodedMetric& m = r.metrics[0];
    CHECK(m.name == "temp");
    CHECK(m.unit == "Cel");
    CHECK(m.description == "d");
    CHECK(m.kind == MetricKind::gauge);
    REQUIRE(m.points.size() == 3);
    CHECK(r.points[0].time_ns == 1700000000000000000);
    CHECK(r.points[0].value == 21.5);
    CHECK(r.points[1].time_ns == 1700000001000000000);
    CHECK(r.points[1].value == double(-9223372036854775807LL));
    CHECK(r.points[2].value == 42);
    CHECK(r.points[2].has_value);
}

TEST_CASE("sum_temporality_as_number_or_enum_name_and_monotonic_flag") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"(
        {"name":"a","sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{"asInt":"5"}]}},
        {"name":"b","sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[{"asInt":"6"}]}},
        {"name":"c","sum":{"dataPoints":[{"asInt":"7"}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    REQUIRE(r.metrics.size() == 3);
    CHECK(r.metrics[0].temporality == Temporality::delta);
    CHECK(r.metrics[0].monotonic);
    CHECK(r.metrics[1].temporality == Temporality::cumulative);
    CHECK_FALSE(r.metrics[1].monotonic);
    CHECK(r.metrics[2].temporality == Temporality::unspecified);
}

TEST_CASE("histogram_explicit_bounds_with_counts_as_strings") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"http.server.request.duration","unit":"s","histogram":{
        "aggregationTemporality":2,"dataPoints":[{"startTimeUnixNano":"1","timeUnixNano":"2","count":"6","sum":1.5,
        "bucketCounts":["1","2",3],"explicitBounds":[0.1,0.5],"min":0.01,"max":2}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    const DecodedPoint& p = r.points.at(0);
    CHECK(r.metrics[0].kind == MetricKind::histogram);
    CHECK(p.start_ns == 1);
    CHECK(p.count == 6);
    CHECK(p.has_sum);
    CHECK(p.sum == 1.5);
    REQUIRE(p.counts.size() == 3);
    CHECK(r.u64s[p.counts.begin + 2] == 3);
    REQUIRE(p.bounds.size() == 2);
    CHECK(r.doubles[p.bounds.begin + 1] == 0.5);
}

TEST_CASE("exponential_histogram_scale_zero_count_and_both_sides") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"x","exponentialHistogram":{"aggregationTemporality":1,
        "dataPoints":[{"count":"9","sum":3,"scale":-2,"zeroCount":"1","zeroThreshold":0.0,
        "positive":{"offset":-3,"bucketCounts":["2","3"]},"negative":{"offset":4,"bucketCounts":[3]}}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    const DecodedPoint& p = r.points.at(0);
    CHECK(r.metrics[0].kind == MetricKind::exponential_histogram);
    CHECK(p.scale == -2);
    CHECK(p.zero_count == 1);
    CHECK(p.positive_offset == -3);
    CHECK(p.negative_offset == 4);
    CHECK(p.counts.size() == 2);
    CHECK(p.negative_counts.size() == 1);
    CHECK(r.u64s[p.negative_counts.begin] == 3);
}

TEST_CASE("summary_quantile_values_keep_pairs_aligned") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"lat","summary":{"dataPoints":[{"count":"10","sum":5,
        "quantileValues":[{"quantile":0.5,"value":0.4},{"quantile":0.99,"value":0.9},{"value":0.1}]}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    const DecodedPoint& p = r.points.at(0);
    REQUIRE(p.bounds.size() == 3);
    REQUIRE(p.values.size() == 3);
    CHECK(r.doubles[p.bounds.begin] == 0.5);
    CHECK(r.doubles[p.values.begin] == 0.4);
    CHECK(r.doubles[p.bounds.begin + 1] == 0.99);
    CHECK(r.doubles[p.values.begin + 1] == 0.9);
    CHECK(r.doubles[p.bounds.begin + 2] == 0);  // quantile 0 omitted by the JSON mapping
    CHECK(r.doubles[p.values.begin + 2] == 0.1);
}

TEST_CASE("every_anyvalue_kind_becomes_a_canonical_string") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asDouble":1,"attributes":[
        {"key":"s","value":{"stringValue":"a\"b"}},
        {"key":"b","value":{"boolValue":true}},
        {"key":"i","value":{"intValue":"-12"}},
        {"key":"i2","value":{"intValue":7}},
        {"key":"d","value":{"doubleValue":0.25}},
        {"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"x"},{"intValue":"1"},{"boolValue":false},{}]}}},
        {"key":"kv","value":{"kvlistValue":{"values":[{"key":"k","value":{"doubleValue":"NaN"}},{"key":"n"}]}}},
        {"key":"bytes","value":{"bytesValue":"AQID"}},
        {"key":"empty","value":{}},
        {"key":"novalue"}]}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    const Range a = r.points.at(0).attrs;
    CHECK(attr(r, a, "s") == "a\"b");
    CHECK(attr(r, a, "b") == "true");
    CHECK(attr(r, a, "i") == "-12");
    CHECK(attr(r, a, "i2") == "7");
    CHECK(attr(r, a, "d") == "0.25");
    CHECK(attr(r, a, "arr") == R"(["x",1,false,null])");
    CHECK(attr(r, a, "kv") == R"({"k":"NaN","n":null})");
    CHECK(attr(r, a, "bytes") == "AQID");
    CHECK(attr(r, a, "empty") == "");
    CHECK(attr(r, a, "novalue") == "");
}

TEST_CASE("resource_and_scope_attributes_in_any_field_order") {
    DecodedRequest r;
    const std::string body = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asInt":"1"}]},
        "name":"late.name"}],"scope":{"attributes":[{"key":"sa","value":{"stringValue":"1"}}],"version":"v","name":"sc"}}],
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}],"droppedAttributesCount":0},
        "schemaUrl":"x"}]})";
    REQUIRE(decode(body, r).error == DecodeError::none);
    CHECK(r.metrics.at(0).name == "late.name");
    CHECK(r.scopes.at(0).name == "sc");
    CHECK(r.scopes.at(0).version == "v");
    CHECK(attr(r, r.scopes[0].attrs, "sa") == "1");
    CHECK(attr(r, r.resources.at(0).attrs, "service.name") == "svc");
}

TEST_CASE("unknown_fields_are_ignored_at_every_level") {
    DecodedRequest r;
    const std::string body = R"({"future":{"a":[1,{"b":[]}]},"resourceMetrics":[{"x":1,"resource":{"y":[true]},
        "scopeMetrics":[{"z":null,"metrics":[{"metadata":[{"key":"k","value":{"stringValue":"v"}}],"name":"m",
        "gauge":{"w":"?","dataPoints":[{"exemplars":[{"asDouble":1,"spanId":"00"}],"asDouble":2,"q":{}}]}}]}]}]})";
    REQUIRE(decode(body, r).error == DecodeError::none);
    REQUIRE(r.points.size() == 1);
    CHECK(r.points[0].value == 2);
}

TEST_CASE("doubles_as_strings_including_nan_and_infinities") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asDouble":"NaN"},
        {"asDouble":"Infinity"},{"asDouble":"-Infinity"},{"asDouble":"1.5"}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    CHECK(std::isnan(r.points.at(0).value));
    CHECK(r.points.at(1).value == INFINITY);
    CHECK(r.points.at(2).value == -INFINITY);
    CHECK(r.points.at(3).value == 1.5);
}

TEST_CASE("64_bit_integers_at_and_past_their_limits") {
    DecodedRequest r;
    CHECK(decode(test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"count":"18446744073709551615"}]}})"), r).error == DecodeError::none);
    CHECK(r.points.at(0).count == UINT64_MAX);
    CHECK(decode(test::otlp_body(R"({"name":"h","histogram":{"dataPoints":[{"count":"18446744073709551616"}]}})"), r)
              .error == DecodeError::bad_number);
    CHECK(decode(test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asInt":"9223372036854775808"}]}})"), r)
              .error == DecodeError::bad_number);
    CHECK(decode(test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asInt":"12abc"}]}})"), r).error ==
          DecodeError::bad_number);
    CHECK(decode(test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"9223372036854775808"}]}})"), r)
              .error == DecodeError::bad_number);
}

TEST_CASE("wrong_json_types_for_known_fields_are_errors") {
    DecodedRequest r;
    const char* bodies[] = {
        R"({"resourceMetrics":{}})",
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":5}]}]}]})",
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":5}}]}]}]})",
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[{"asDouble":true}]}}]}]}]})",
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"isMonotonic":"yes"}}]}]}]})",
        R"({"resourceMetrics":[{"resource":{"attributes":[{"key":1}]}}]})",
        R"([])",
    };
    for (const char* b : bodies) {
        CAPTURE(b);
        CHECK(decode(b, r).error == DecodeError::wrong_type);
    }
}

TEST_CASE("malformed_json_and_trailing_content_are_errors") {
    DecodedRequest r;
    for (const char* b : {"", "{", "{\"resourceMetrics\":[}", "nul", "{} {}", "{\"a\":1,}", "\xff\xfe"}) {
        CAPTURE(b);
        CHECK(decode(b, r).error != DecodeError::none);
    }
}

TEST_CASE("every_truncation_of_a_valid_body_is_an_error_never_a_crash") {
    DecodedRequest r;
    const std::string body = test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"attributes":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}],"count":"3",
        "bucketCounts":["1","2"],"explicitBounds":[1.5]}]}})");
    REQUIRE(decode(body, r).error == DecodeError::none);
    for (size_t n = 0; n < body.size(); ++n) {
        CAPTURE(n);
        CHECK(decode(std::string_view(body).substr(0, n), r).error != DecodeError::none);
    }
}

TEST_CASE("deeply_nested_anyvalue_is_refused_not_recursed") {
    DecodedRequest r;
    std::string v = R"({"stringValue":"x"})";
    for (int i = 0; i < 200; ++i) v = R"({"arrayValue":{"values":[)" + v + "]}}";
    const std::string body = test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asInt":"1","attributes":[
        {"key":"deep","value":)" + v + "}]}]}}");
    CHECK(decode(body, r).error == DecodeError::too_deep);
}

TEST_CASE("deep_nesting_in_unknown_fields_is_skipped_or_refused_without_crash") {
    DecodedRequest r;
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    const DecodeResult res = decode(R"({"unknown":)" + deep + R"(,"resourceMetrics":[]})", r);
    CHECK((res.error == DecodeError::none || res.error == DecodeError::malformed_json ||
           res.error == DecodeError::too_deep));
    CHECK(r.metrics.empty());
}

TEST_CASE("huge_arrays_decode_in_one_pass") {
    DecodedRequest r;
    std::string counts;
    for (int i = 0; i < 100000; ++i) counts += i ? ",\"1\"" : "\"1\"";
    const std::string body = test::otlp_body(R"({"name":"h","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"count":"100000","bucketCounts":[)" + counts + "]}]}}");
    REQUIRE(decode(body, r).error == DecodeError::none);
    CHECK(r.points.at(0).counts.size() == 100000);
}

TEST_CASE("a_second_data_kind_or_repeated_field_is_a_duplicate") {
    DecodedRequest r;
    CHECK(decode(test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[]},"sum":{"dataPoints":[]}})"), r).error ==
          DecodeError::duplicate_field);
    CHECK(decode(test::otlp_body(R"({"name":"g","gauge":{"dataPoints":[{"asInt":"1","asDouble":2}]}})"), r).error ==
          DecodeError::duplicate_field);
    // A metric named twice: which name would it be stored under?
    CHECK(decode(test::otlp_body(R"({"name":"a","name":"b","gauge":{"dataPoints":[]}})"), r).error ==
          DecodeError::duplicate_field);
}

TEST_CASE("decoder_reuse_does_not_leak_state_between_requests") {
    DecodedRequest r;
    REQUIRE(decode(test::otlp_body(test::gauge_metric("a", 1, 1)), r).error == DecodeError::none);
    REQUIRE(decode(R"({"resourceMetrics":[]})", r).error == DecodeError::none);
    CHECK(r.metrics.empty());
    CHECK(r.points.empty());
    CHECK(r.attrs.empty());
}

TEST_CASE("keys_with_escape_sequences_still_match") {
    DecodedRequest r;
    const std::string body = R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"na\u006de":"x",
        "g\u0061uge":{"dataPoints":[{"asInt":"1"}]}}]}]}]})";
    REQUIRE(decode(body, r).error == DecodeError::none);
    CHECK(r.metrics.at(0).name == "x");
    CHECK(r.metrics.at(0).kind == MetricKind::gauge);
    CHECK(r.points.size() == 1);
}
