#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include <protozero/pbf_reader.hpp>

#include "prom/writer.hpp"
#include "support/prom_stream.hpp"

using namespace mmwatch;
using prom::Format;
using prom::Kind;

namespace {

// One of each family shape, through any writer.
std::string write_all(Format format) {
    std::string out;
    const auto w = prom::make_writer(format, out);
    std::string labels;
    w->label(labels, "path", "/a\"b\\c\nd");
    w->family("jobs_total", Kind::counter, "Jobs \"done\"\nby path", "");
    w->metric(labels);
    w->value(3);
    w->created(1'700'000'000'500'000'000);
    w->family("temp_celsius", Kind::gauge, "", "celsius");
    w->metric({});
    w->value(-4.5);
    w->family("latency_seconds", Kind::histogram, "Latency", "seconds");
    w->metric(labels);
    w->bucket(0.25, 1);
    w->bucket(HUGE_VAL, 3);
    w->sum(1.5);
    w->count(3);
    w->created(1'700'000'000'000'000'000);
    w->family("rpc_seconds", Kind::summary, "", "");
    w->metric({});
    w->quantile(0.5, 0.125);
    w->sum(2);
    w->count(7);
    w->family("empty", Kind::gauge, "no metrics", "");
    w->family("target_info", Kind::info, "Target metadata", "");
    w->metric(labels);
    w->value(1);
    w->finish();
    return out;
}

}  // namespace

TEST_CASE("text_0_0_4_golden") {
    CHECK(write_all(Format::text) ==
          "# HELP jobs_total Jobs \"done\"\\nby path\n"
          "# TYPE jobs_total counter\n"
          "jobs_total{path=\"/a\\\"b\\\\c\\nd\"} 3\n"
          "# TYPE temp_celsius gauge\n"
          "temp_celsius -4.5\n"
          "# HELP latency_seconds Latency\n"
          "# TYPE latency_seconds histogram\n"
          "latency_seconds_bucket{path=\"/a\\\"b\\\\c\\nd\",le=\"0.25\"} 1\n"
          "latency_seconds_bucket{path=\"/a\\\"b\\\\c\\nd\",le=\"+Inf\"} 3\n"
          "latency_seconds_sum{path=\"/a\\\"b\\\\c\\nd\"} 1.5\n"
          "latency_seconds_count{path=\"/a\\\"b\\\\c\\nd\"} 3\n"
          "# TYPE rpc_seconds summary\n"
          "rpc_seconds{quantile=\"0.5\"} 0.125\n"
          "rpc_seconds_sum 2\n"
          "rpc_seconds_count 7\n"
          "# HELP empty no metrics\n"
          "# TYPE empty gauge\n"
          "# HELP target_info Target metadata\n"
          "# TYPE target_info gauge\n"
          "target_info{path=\"/a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("openmetrics_golden_counter_family_without_total_created_unit_info_and_eof") {
    CHECK(write_all(Format::openmetrics) ==
          "# HELP jobs Jobs \\\"done\\\"\\nby path\n"
          "# TYPE jobs counter\n"
          "jobs_total{path=\"/a\\\"b\\\\c\\nd\"} 3\n"
          "jobs_created{path=\"/a\\\"b\\\\c\\nd\"} 1700000000.5\n"
          "# TYPE temp_celsius gauge\n"
          "# UNIT temp_celsius celsius\n"
          "temp_celsius -4.5\n"
          "# HELP latency_seconds Latency\n"
          "# TYPE latency_seconds histogram\n"
          "# UNIT latency_seconds seconds\n"
          "latency_seconds_bucket{path=\"/a\\\"b\\\\c\\nd\",le=\"0.25\"} 1\n"
          "latency_seconds_bucket{path=\"/a\\\"b\\\\c\\nd\",le=\"+Inf\"} 3\n"
          "latency_seconds_sum{path=\"/a\\\"b\\\\c\\nd\"} 1.5\n"
          "latency_seconds_count{path=\"/a\\\"b\\\\c\\nd\"} 3\n"
          "latency_seconds_created{path=\"/a\\\"b\\\\c\\nd\"} 1700000000\n"
          "# TYPE rpc_seconds summary\n"
          "rpc_seconds{quantile=\"0.5\"} 0.125\n"
          "rpc_seconds_sum 2\n"
          "rpc_seconds_count 7\n"
          "# HELP empty no metrics\n"
          "# TYPE empty gauge\n"
          "# HELP target Target metadata\n"
          "# TYPE target info\n"
          "target_info{path=\"/a\\\"b\\\\c\\nd\"} 1\n"
          "# EOF\n");
}

TEST_CASE("openmetrics_unit_only_where_the_name_ends_with_it") {
    std::string out;
    const auto w = prom::make_writer(Format::openmetrics, out);
    w->family("size", Kind::gauge, "", "bytes");          // no _bytes suffix: no UNIT line
    w->family("wire_bytes", Kind::gauge, "", "bytes");    // UNIT
    w->family("megabytes", Kind::gauge, "", "bytes");     // ends with "bytes" but not "_bytes"
    w->finish();
    CHECK(out == "# TYPE size gauge\n# TYPE wire_bytes gauge\n# UNIT wire_bytes bytes\n# TYPE megabytes gauge\n# EOF\n");
}

TEST_CASE("protobuf_golden_bytes_of_one_gauge") {
    std::string out;
    const auto w = prom::make_writer(Format::protobuf, out);
    std::string labels;
    w->label(labels, "a", "b");
    w->family("g", Kind::gauge, "");
    w->metric(labels);
    w->value(1);
    w->finish();
    // varint length 26, then MetricFamily{name "g", type GAUGE, metric{label{a,b}, gauge{1.0}}}
    const std::string expected("\x1a\x0a\x01g\x18\x01\x22\x13\x0a\x06\x0a\x01\x61\x12\x01\x62\x12\x09\x09"
                               "\x00\x00\x00\x00\x00\x00\xf0\x3f",
                               27);
    CHECK(out == expected);
}


TEST_CASE("protobuf_every_family_shape_decodes_and_empty_families_are_left_out") {
    const std::string stream = write_all(Format::protobuf);
    std::vector<std::string> names;
    const size_t n = test::for_each_family(stream, [&](protozero::pbf_reader fam) {
        std::string name;
        uint32_t type = 99;
        int metrics = 0;
        while (fam.next()) {
            if (fam.tag() == 1) name = fam.get_string();
            else if (fam.tag() == 3) type = uint32_t(fam.get_enum());
            else if (fam.tag() == 4) {
                ++metrics;
                protozero::pbf_reader m = fam.get_message();
                while (m.next()) {
                    if (m.tag() == 7) {  // histogram: count, sum, one bucket (+Inf implied), created
                        protozero::pbf_reader h = m.get_message();
                        int buckets = 0;
                        bool created = false;
                        while (h.next()) {
                            if (h.tag() == 1) CHECK(h.get_uint64() == 3);
                            else if (h.tag() == 2) CHECK(h.get_double() == 1.5);
                            else if (h.tag() == 3) {
                                ++buckets;
                                h.skip();
                            } else if (h.tag() == 15) {
                                created = true;
                                h.skip();
                            } else h.skip();
                        }
                        CHECK(buckets == 1);
                        CHECK(created);
                    } else if (m.tag() == 3) {  // counter: value and created_timestamp
                        protozero::pbf_reader c = m.get_message();
                        while (c.next()) {
                            if (c.tag() == 1) CHECK(c.get_double() == 3);
                            else if (c.tag() == 3) {
                                protozero::pbf_reader ts = c.get_message();
                                int64_t s = 0;
                                int32_t ns = 0;
                                while (ts.next()) {
                                    if (ts.tag() == 1) s = ts.get_int64();
                                    else if (ts.tag() == 2) ns = ts.get_int32();
                                    else ts.skip();
                                }
                                CHECK(s == 1700000000);
                                CHECK(ns == 500000000);
                            } else c.skip();
                        }
                    } else m.skip();
                }
            } else fam.skip();
        }
        CHECK(metrics >= 1);
        names.push_back(name + ":" + std::to_string(type));
    });
    CHECK(n == 5);
    CHECK(names == std::vector<std::string>{"jobs_total:0", "temp_celsius:1", "latency_seconds:4", "rpc_seconds:2",
                                            "target_info:1"});
}

TEST_CASE("protobuf_native_histogram_fields_and_the_empty_span_that_marks_an_empty_one") {
    std::string out;
    const auto w = prom::make_writer(Format::protobuf, out);
    w->family("h", Kind::histogram, "");
    w->metric({});
    prom::NativeHistogram h;
    h.schema = -2;
    h.count = 9;
    h.sum = 4.5;
    h.zero_count = 1;
    h.positive_spans = {{3, 2}, {1, 1}};
    h.positive_deltas = {2, 1, -2};
    h.negative_spans = {{-1, 1}};
    h.negative_deltas = {2};
    w->native(h);
    w->metric({});
    w->native(prom::NativeHistogram{});  // no bucket, no zero threshold
    w->finish();
    int histograms = 0;
    test::for_each_family(out, [&](protozero::pbf_reader fam) {
        while (fam.next()) {
            if (fam.tag() != 4) {
                fam.skip();
                continue;
            }
            protozero::pbf_reader m = fam.get_message();
            while (m.next()) {
                if (m.tag() != 7) {
                    m.skip();
                    continue;
                }
                ++histograms;
                protozero::pbf_reader hr = m.get_message();
                std::vector<std::pair<int32_t, uint32_t>> pos_spans;
                std::vector<int64_t> pos, neg;
                int32_t schema = 99;
                while (hr.next()) {
                    switch (hr.tag()) {
                    case 5: schema = hr.get_sint32(); break;
                    case 12: {
                        protozero::pbf_reader s = hr.get_message();
                        int32_t off = 0;
                        uint32_t len = 0;
                        while (s.next()) {
                            if (s.tag() == 1) off = s.get_sint32();
                            else len = s.get_uint32();
                        }
                        pos_spans.emplace_back(off, len);
                        break;
                    }
                    case 13:
                        for (int64_t d : hr.get_packed_sint64()) pos.push_back(d);
                        break;
                    case 10:
                        for (int64_t d : hr.get_packed_sint64()) neg.push_back(d);
                        break;
                    default: hr.skip();
                    }
                }
                if (histograms == 1) {
                    CHECK(schema == -2);
                    CHECK(pos_spans == std::vector<std::pair<int32_t, uint32_t>>{{3, 2}, {1, 1}});
                    CHECK(pos == std::vector<int64_t>{2, 1, -2});
                    CHECK(neg == std::vector<int64_t>{2});
                } else {
                    CHECK(schema == 0);
                    CHECK(pos_spans == std::vector<std::pair<int32_t, uint32_t>>{{0, 0}});
                }
            }
        }
    });
    CHECK(histograms == 2);
}

TEST_CASE("text_writers_ignore_native_and_created_where_the_format_has_no_place") {
    std::string out;
    const auto w = prom::make_writer(Format::text, out);
    w->family("h", Kind::histogram, "");
    w->metric({});
    w->native(prom::NativeHistogram{});
    w->created(5);
    w->finish();
    CHECK(out == "# TYPE h histogram\n");
}

TEST_CASE("format_names_and_content_types") {
    CHECK(prom::format_name(Format::openmetrics) == "openmetrics");
    CHECK(prom::content_type(Format::text) == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(prom::content_type(Format::openmetrics) == "application/openmetrics-text; version=1.0.0; charset=utf-8");
    CHECK(prom::content_type(Format::protobuf) ==
          "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited");
}

TEST_CASE("openmetrics_leaves_out_a_negative_sum_and_its_count") {
    std::string out;
    const auto w = prom::make_writer(Format::openmetrics, out);
    w->family("delta", Kind::histogram, "");
    w->metric({});
    w->bucket(HUGE_VAL, 5);
    w->sum(-11);
    w->count(5);
    w->metric({});  // the next metric has its sum again
    w->bucket(HUGE_VAL, 1);
    w->sum(2);
    w->count(1);
    w->finish();
    CHECK(out ==
          "# TYPE delta histogram\n"
          "delta_bucket{le=\"+Inf\"} 5\n"
          "delta_bucket{le=\"+Inf\"} 1\n"
          "delta_sum 2\n"
          "delta_count 1\n"
          "# EOF\n");
}
