#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "otlp/decoder.hpp"
#include "support/otlp_proto.hpp"
#include "support/otlp_test_util.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;
namespace pb = mmwatch::test::pb;

namespace {

constexpr uint64_t kT = 1'700'000'000'000'000'000ull;

Decoder& decoder() {
    static Decoder d;
    return d;
}

DecodeResult decode_pb(const std::string& body, DecodedRequest& out) { return decoder().decode_protobuf(body, out); }

std::string_view attr(const DecodedRequest& r, Range range, std::string_view key) {
    for (uint32_t i = range.begin; i < range.end; ++i)
        if (r.attrs[i].key == key) return r.attrs[i].value;
    return "<absent>";
}

// Field-by-field equality of two decoded requests (views compared by text).
void check_same(const DecodedRequest& a, const DecodedRequest& b) {
    REQUIRE(a.resources.size() == b.resources.size());
    REQUIRE(a.scopes.size() == b.scopes.size());
    REQUIRE(a.metrics.size() == b.metrics.size());
    REQUIRE(a.points.size() == b.points.size());
    REQUIRE(a.attrs.size() == b.attrs.size());
    for (size_t i = 0; i < a.attrs.size(); ++i) {
        CHECK(a.attrs[i].key == b.attrs[i].key);
        CHECK(a.attrs[i].value == b.attrs[i].value);
    }
    for (size_t i = 0; i < a.scopes.size(); ++i) {
        CHECK(a.scopes[i].name == b.scopes[i].name);
        CHECK(a.scopes[i].version == b.scopes[i].version);
    }
    for (size_t i = 0; i < a.metrics.size(); ++i) {
        CHECK(a.metrics[i].name == b.metrics[i].name);
        CHECK(a.metrics[i].unit == b.metrics[i].unit);
        CHECK(a.metrics[i].description == b.metrics[i].description);
        CHECK(a.metrics[i].kind == b.metrics[i].kind);
        CHECK(a.metrics[i].temporality == b.metrics[i].temporality);
        CHECK(a.metrics[i].monotonic == b.metrics[i].monotonic);
        CHECK(a.metrics[i].points.size() == b.metrics[i].points.size());
    }
    const auto same_range = [](const auto& va, Range ra, const auto& vb, Range rb) {
        REQUIRE(ra.size() == rb.size());
        for (uint32_t i = 0; i < ra.size(); ++i) CHECK(va[ra.begin + i] == vb[rb.begin + i]);
    };
    for (size_t i = 0; i < a.points.size(); ++i) {
        const DecodedPoint& x = a.points[i];
        const DecodedPoint& y = b.points[i];
        CHECK(x.time_ns == y.time_ns);
        CHECK(x.start_ns == y.start_ns);
        CHECK(x.has_value == y.has_value);
        CHECK(x.value == y.value);
        CHECK(x.count == y.count);
        CHECK(x.has_sum == y.has_sum);
        CHECK(x.sum == y.sum);
        CHECK(x.scale == y.scale);
        CHECK(x.zero_count == y.zero_count);
        CHECK(x.zero_threshold == y.zero_threshold);
        CHECK(x.positive_offset == y.positive_offset);
        CHECK(x.negative_offset == y.negative_offset);
        CHECK(x.has_min == y.has_min);
        CHECK(x.min == y.min);
        CHECK(x.max == y.max);
        CHECK(x.attrs.size() == y.attrs.size());
        same_range(a.u64s, x.counts, b.u64s, y.counts);
        same_range(a.u64s, x.negative_counts, b.u64s, y.negative_counts);
        same_range(a.doubles, x.bounds, b.doubles, y.bounds);
        same_range(a.doubles, x.values, b.doubles, y.values);
    }
}

}  // namespace

TEST_CASE("protobuf_decodes_every_metric_type") {
    const std::string body = pb::request({
        pb::metric("temp", pb::gauge, {pb::number_point({}, kT, 21.5), pb::int_point({}, kT + 1, -7)}, 0, false, "Cel", "d"),
        pb::metric("jobs", pb::sum, {pb::number_point({pb::kv("q", pb::any_string("a"))}, kT, 3)}, 1, true),
        pb::metric("lat", pb::histogram, {pb::histogram_point({}, kT, 6, 3.5, {1, 2, 3}, {1, 2})}),
        pb::metric("exp", pb::exponential, {pb::exponential_point(kT, 3, 2, 0.001, -2, {1, 4}, 1, {5}, 9.5, -3, 8)}),
        pb::metric("rtt", pb::summary, {pb::summary_point(kT, 4, 10, {{0.5, 2}, {0.99, 7}})}),
    });
    DecodedRequest r;
    REQUIRE(decode_pb(body, r).error == DecodeError::none);
    REQUIRE(r.metrics.size() == 5);
    CHECK(r.metrics[0].name == "temp");
    CHECK(r.metrics[0].unit == "Cel");
    CHECK(r.metrics[0].description == "d");
    CHECK(r.metrics[0].kind == MetricKind::gauge);
    CHECK(r.points[r.metrics[0].points.begin].value == 21.5);
    CHECK(r.points[r.metrics[0].points.begin + 1].value == -7);
    CHECK(r.points[r.metrics[0].points.begin].time_ns == int64_t(kT));
    const DecodedMetric& jobs = r.metrics[1];
    CHECK(jobs.kind == MetricKind::sum);
    CHECK(jobs.temporality == Temporality::delta);
    CHECK(jobs.monotonic);
    CHECK(attr(r, r.points[jobs.points.begin].attrs, "q") == "a");
    const DecodedPoint& h = r.points[r.metrics[2].points.begin];
    CHECK(r.metrics[2].temporality == Temporality::cumulative);
    CHECK(h.count == 6);
    CHECK(h.has_sum);
    CHECK(h.sum == 3.5);
    CHECK(h.counts.size() == 3);
    CHECK(r.u64s[h.counts.begin + 2] == 3);
    CHECK(r.doubles[h.bounds.begin + 1] == 2);
    const DecodedPoint& e = r.points[r.metrics[3].points.begin];
    CHECK(e.scale == 3);
    CHECK(e.zero_count == 2);
    CHECK(e.zero_threshold == 0.001);
    CHECK(e.positive_offset == -2);
    CHECK(e.negative_offset == 1);
    CHECK(e.count == 12);
    CHECK(r.u64s[e.counts.begin + 1] == 4);
    CHECK(r.u64s[e.negative_counts.begin] == 5);
    CHECK((e.has_min && e.min == -3 && e.has_max && e.max == 8));
    const DecodedPoint& s = r.points[r.metrics[4].points.begin];
    CHECK(s.count == 4);
    CHECK(s.sum == 10);
    REQUIRE(s.bounds.size() == 2);
    CHECK(r.doubles[s.bounds.begin + 1] == 0.99);
    CHECK(r.doubles[s.values.begin + 1] == 7);
    CHECK(attr(r, r.resources[0].attrs, "service.name") == "checkout");
    CHECK(r.scopes[0].name == "test.scope");
    CHECK(r.scopes[0].version == "1.2");
}

TEST_CASE("protobuf_and_json_encodings_of_one_request_decode_alike") {
    const std::string proto = pb::request({
        pb::metric("g", pb::gauge,
                   {pb::number_point({pb::kv("s", pb::any_string("x")), pb::kv("b", pb::any_bool(true)),
                                      pb::kv("i", pb::any_int(-42)), pb::kv("d", pb::any_double(1.5)),
                                      pb::kv("raw", pb::any_bytes("hi!")),
                                      pb::kv("arr", pb::any_array({pb::any_string("a"), pb::any_int(1), pb::any_double(2.5),
                                                                   pb::any_bool(false)})),
                                      pb::kv("map", pb::any_kvlist({pb::kv("k", pb::any_string("v")),
                                                                    pb::kv("n", pb::any_array({}))}))},
                                     kT, 3.25)}),
        pb::metric("c", pb::sum, {pb::number_point({}, kT, 7)}, 2, true, "By"),
        pb::metric("h", pb::histogram, {pb::histogram_point({}, kT, 3, 1.5, {1, 1, 1}, {0.5, 1})}, 1),
        pb::metric("e", pb::exponential, {pb::exponential_point(kT, -1, 1, 0.5, 0, {2, 3}, -1, {4}, 2, -1, 9)}),
        pb::metric("s", pb::summary, {pb::summary_point(kT, 2, 4, {{0.5, 1}, {1, 3}})}),
    });
    const std::string t = "\"" + std::to_string(kT) + "\"";
    const std::string start = "\"" + std::to_string(kT - 1'000'000'000) + "\"";
    const std::string json = test::otlp_body(
        R"({"name":"g","gauge":{"dataPoints":[{"attributes":[)"
        R"({"key":"s","value":{"stringValue":"x"}},{"key":"b","value":{"boolValue":true}},)"
        R"({"key":"i","value":{"intValue":"-42"}},{"key":"d","value":{"doubleValue":1.5}},)"
        R"({"key":"raw","value":{"bytesValue":"aGkh"}},)"
        R"({"key":"arr","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":2.5},{"boolValue":false}]}}},)"
        R"({"key":"map","value":{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"v"}},{"key":"n","value":{"arrayValue":{}}}]}}}],)"
        R"("timeUnixNano":)" + t + R"(,"asDouble":3.25}]}},)"
        R"({"name":"c","unit":"By","sum":{"aggregationTemporality":2,"isMonotonic":true,"dataPoints":[{"timeUnixNano":)" + t +
        R"(,"asDouble":7}]}},)"
        R"({"name":"h","histogram":{"aggregationTemporality":1,"dataPoints":[{"startTimeUnixNano":)" + start +
        R"(,"timeUnixNano":)" + t + R"(,"count":"3","sum":1.5,"bucketCounts":["1","1","1"],"explicitBounds":[0.5,1]}]}},)"
        R"({"name":"e","exponentialHistogram":{"aggregationTemporality":2,"dataPoints":[{"timeUnixNano":)" + t +
        R"(,"count":"10","sum":2,"scale":-1,"zeroCount":"1","zeroThreshold":0.5,"positive":{"offset":0,"bucketCounts":["2","3"]},)"
        R"("negative":{"offset":-1,"bucketCounts":["4"]},"min":-1,"max":9}]}},)"
        R"({"name":"s","summary":{"dataPoints":[{"timeUnixNano":)" + t +
        R"(,"count":"2","sum":4,"quantileValues":[{"quantile":0.5,"value":1},{"quantile":1,"value":3}]}]}})");
    DecodedRequest from_pb, from_json;
    REQUIRE(decode_pb(proto, from_pb).error == DecodeError::none);
    Decoder json_decoder;
    REQUIRE(json_decoder.decode(json, from_json).error == DecodeError::none);
    check_same(from_pb, from_json);
    CHECK(attr(from_pb, from_pb.points[0].attrs, "raw") == "aGkh");
    CHECK(attr(from_pb, from_pb.points[0].attrs, "arr") == R"(["a",1,2.5,false])");
    CHECK(attr(from_pb, from_pb.points[0].attrs, "map") == R"({"k":"v","n":[]})");
}

TEST_CASE("repeated_scalars_are_accepted_packed_and_unpacked") {
    DecodedRequest a, b;
    REQUIRE(decode_pb(pb::request({pb::metric("h", pb::histogram, {pb::histogram_point({}, kT, 3, 1, {1, 2, 0}, {1, 2}, true)})}), a)
                .error == DecodeError::none);
    REQUIRE(decode_pb(pb::request({pb::metric("h", pb::histogram, {pb::histogram_point({}, kT, 3, 1, {1, 2, 0}, {1, 2}, false)})}), b)
                .error == DecodeError::none);
    check_same(a, b);
    CHECK(a.points[0].counts.size() == 3);
}

TEST_CASE("unknown_fields_of_every_wire_type_are_skipped_at_every_level") {
    const auto with_unknown = [](std::string msg) {
        protozero::pbf_writer w(msg);
        w.add_uint64(900, 7);           // varint
        w.add_fixed64(901, 7);          // fixed64
        w.add_string(902, "unknown");   // length-delimited
        w.add_fixed32(903, 7);          // fixed32
        return msg;
    };
    const std::string point = with_unknown(pb::number_point({}, kT, 5));
    const std::string metric = with_unknown(pb::metric("g", pb::gauge, {point}));
    const std::string body = with_unknown(pb::request({metric}));
    DecodedRequest r;
    REQUIRE(decode_pb(body, r).error == DecodeError::none);
    REQUIRE(r.points.size() == 1);
    CHECK(r.points[0].value == 5);
    CHECK(r.metrics[0].name == "g");
}

TEST_CASE("a_wire_type_that_does_not_match_its_field_is_wrong_type") {
    std::string point;
    protozero::pbf_writer w(point);
    w.add_uint64(4, 5);  // as_double sent as a varint
    DecodedRequest r;
    CHECK(decode_pb(pb::request({pb::metric("g", pb::gauge, {point})}), r).error == DecodeError::wrong_type);
    std::string name_as_varint;
    protozero::pbf_writer m(name_as_varint);
    m.add_uint64(1, 3);
    CHECK(decode_pb(pb::request({name_as_varint}), r).error == DecodeError::wrong_type);
}

TEST_CASE("truncated_varints_and_lengths_past_the_end_are_malformed") {
    DecodedRequest r;
    CHECK(decode_pb(std::string("\x0a\xff", 2), r).error == DecodeError::malformed_protobuf);      // length cut
    CHECK(decode_pb(std::string("\x0a\x10\x01", 3), r).error == DecodeError::malformed_protobuf);  // past the end
    CHECK(decode_pb(std::string("\x10\xff\xff", 3), r).error == DecodeError::malformed_protobuf);  // varint cut
    CHECK(decode_pb(std::string("\x0f", 1), r).error == DecodeError::malformed_protobuf);          // wire type 7
    // Every truncation of a valid body is an error or a shorter request, never a crash.
    const std::string body = pb::request({pb::metric("h", pb::histogram, {pb::histogram_point({}, kT, 3, 1, {1, 2, 0}, {1, 2})})});
    for (size_t n = 0; n < body.size(); ++n) (void)decode_pb(body.substr(0, n), r);
    CHECK(decode_pb(body, r).error == DecodeError::none);
}

TEST_CASE("nesting_past_the_limit_is_too_deep_and_a_second_data_kind_a_duplicate") {
    std::string v = pb::any_string("leaf");
    for (int i = 0; i < 20; ++i) v = pb::any_array({v});
    DecodedRequest r;
    CHECK(decode_pb(pb::request({pb::metric("g", pb::gauge, {pb::number_point({pb::kv("deep", v)}, kT, 1)})}), r).error ==
          DecodeError::too_deep);
    std::string twice = pb::metric("g", pb::gauge, {pb::number_point({}, kT, 1)});
    protozero::pbf_writer w(twice);
    w.add_bytes(7, std::string());  // a sum as well
    CHECK(decode_pb(pb::request({twice}), r).error == DecodeError::duplicate_field);
}

TEST_CASE("flags_and_an_empty_request_decode") {
    std::string point = pb::number_point({}, kT, 1);
    protozero::pbf_writer w(point);
    w.add_uint32(8, 1);  // NO_RECORDED_VALUE
    DecodedRequest r;
    REQUIRE(decode_pb(pb::request({pb::metric("g", pb::gauge, {point})}), r).error == DecodeError::none);
    CHECK(r.points[0].flags == 1);
    REQUIRE(decode_pb("", r).error == DecodeError::none);
    CHECK(r.metrics.empty());
}

namespace {

std::string varint(uint64_t v) {
    std::string out;
    while (v >= 0x80) {
        out += char(0x80 | (v & 0x7f));
        v >>= 7;
    }
    out += char(v);
    return out;
}

// The one field's bytes of a message holding one length-delimited field.
std::string inner(const std::string& message) {
    size_t at = 1;
    while (uint8_t(message[at]) & 0x80) ++at;
    return message.substr(at + 1);
}

}  // namespace

// protozero keeps a length in 32 bits: 2^32+n was read as n (and the body
// accepted), 2^63 as 0. Lengths are checked in 64 bits against what remains.
TEST_CASE("a_length_of_2_to_the_32_plus_n_or_2_to_the_63_is_malformed") {
    const std::string rm = inner(pb::request({pb::metric("g", pb::gauge, {pb::number_point({}, kT, 1)})}));
    DecodedRequest r;
    REQUIRE(decode_pb("\x0a" + varint(rm.size()) + rm, r).error == DecodeError::none);
    REQUIRE(r.metrics.size() == 1);
    CHECK(decode_pb("\x0a" + varint((uint64_t{1} << 32) + rm.size()) + rm, r).error == DecodeError::malformed_protobuf);
    CHECK(decode_pb("\x0a" + varint(uint64_t{1} << 63), r).error == DecodeError::malformed_protobuf);
    CHECK(decode_pb("\x0a" + varint(~uint64_t{0}), r).error == DecodeError::malformed_protobuf);
    // Inside: a metric name 2^32+1 long, with one byte there.
    const std::string metric = "\x0a" + varint((uint64_t{1} << 32) + 1) + "g";
    const std::string sm = "\x12" + varint(metric.size()) + metric;
    const std::string rm2 = "\x12" + varint(sm.size()) + sm;
    CHECK(decode_pb("\x0a" + varint(rm2.size()) + rm2, r).error == DecodeError::malformed_protobuf);
    // A key past 32 bits (it would be cut to tag 1).
    CHECK(decode_pb(varint((uint64_t{1} << 35) | 0x0a) + varint(rm.size()) + rm, r).error ==
          DecodeError::malformed_protobuf);
}

TEST_CASE("varints_too_big_for_their_field_are_bad_numbers_not_cut") {
    DecodedRequest r;
    std::string point = pb::number_point({}, kT, 1);
    protozero::pbf_writer w(point);
    w.add_uint64(8, (uint64_t{1} << 32) + 1);  // flags: 2^32+1 is not NO_RECORDED_VALUE
    CHECK(decode_pb(pb::request({pb::metric("g", pb::gauge, {point})}), r).error == DecodeError::bad_number);
    std::string exp;
    protozero::pbf_writer e(exp);
    e.add_fixed64(3, kT);
    e.add_sint64(6, int64_t{1} << 31);  // scale past int32
    CHECK(decode_pb(pb::request({pb::metric("e", pb::exponential, {exp})}), r).error == DecodeError::bad_number);
}
