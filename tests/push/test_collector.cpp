#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

#include "push/collector.hpp"
#include "push/series_set.hpp"
#include "push/write_request.hpp"

using namespace mmwatch;
using namespace mmwatch::push;

namespace {

std::vector<std::string> labels_of(const SampleCollector& c, const Sample& s) {
    std::vector<std::string> out;
    for_each_label(c.labels(s), [&](std::string_view n, std::string_view v) { out.push_back(std::string(n) + "=" + std::string(v)); });
    return out;
}

SampleCollector collector() {
    return SampleCollector({{"instance", "host:9479"}, {"job", "mmwatch"}}, {{"region", "eu"}, {"job", "ignored"}});
}

}  // namespace

TEST_CASE("samples_carry_sorted_labels_name_first_and_target_and_external_labels") {
    SampleCollector c = collector();
    std::string labels;
    c.label(labels, "zone", "b");
    c.label(labels, "app", "web");
    c.family("requests_total", prom::Kind::counter, "help", "");
    c.metric(labels);
    c.value(7);
    REQUIRE(c.samples().size() == 1);
    CHECK(labels_of(c, c.samples()[0]) == std::vector<std::string>{"__name__=requests_total", "app=web",
                                                                "instance=host:9479", "job=mmwatch", "region=eu",
                                                                "zone=b"});
    CHECK(c.samples()[0].value == 7);
}

TEST_CASE("a_series_own_job_and_instance_become_exported_labels_and_external_ones_never_override") {
    SampleCollector c = collector();
    std::string labels;
    c.label(labels, "job", "shop");
    c.label(labels, "region", "us");
    c.family("temp", prom::Kind::gauge, "", "");
    c.metric(labels);
    c.value(1);
    CHECK(labels_of(c, c.samples()[0]) == std::vector<std::string>{"__name__=temp", "exported_job=shop",
                                                                "instance=host:9479", "job=mmwatch", "region=us"});
}

TEST_CASE("histograms_and_summaries_become_the_series_a_scrape_stores") {
    SampleCollector c = collector();
    c.family("lat", prom::Kind::histogram, "", "");
    c.metric({});
    c.bucket(0.25, 1);
    c.bucket(HUGE_VAL, 3);
    c.sum(1.5);
    c.count(3);
    c.family("rpc", prom::Kind::summary, "", "");
    c.metric({});
    c.quantile(0.5, 0.1);
    REQUIRE(c.samples().size() == 5);
    CHECK(labels_of(c, c.samples()[0])[0] == "__name__=lat_bucket");
    CHECK(labels_of(c, c.samples()[0])[3] == "le=0.25");
    CHECK(labels_of(c, c.samples()[1])[3] == "le=+Inf");
    CHECK(labels_of(c, c.samples()[2])[0] == "__name__=lat_sum");
    CHECK(labels_of(c, c.samples()[3])[0] == "__name__=lat_count");
    CHECK(labels_of(c, c.samples()[4])[2] == "job=mmwatch");
    CHECK(labels_of(c, c.samples()[4])[3] == "quantile=0.5");
}

TEST_CASE("a_write_request_decodes_to_the_samples_and_snappy_round_trips") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    c.metric({});
    c.value(-2.5);
    const std::string_view series = c.labels(c.samples()[0]);
    const std::vector<TimedSample> batch{{series, c.samples()[0].value, 1000},
                                         {series, std::bit_cast<double>(kStaleNaN), 2000}};
    const std::string raw = encode_write_request(batch);
    std::string back;
    REQUIRE(snappy_uncompress(snappy_compress(raw), back));
    CHECK(back == raw);
    protozero::pbf_reader req(raw);
    std::vector<std::pair<double, int64_t>> samples;
    int labels = 0;
    while (req.next(1)) {
        protozero::pbf_reader ts = req.get_message();
        while (ts.next()) {
            if (ts.tag() == 1) {
                ++labels;
                ts.skip();
            } else {
                protozero::pbf_reader s = ts.get_message();
                double v = 0;
                int64_t t = 0;
                while (s.next()) {
                    if (s.tag() == 1) v = s.get_double();
                    else t = s.get_int64();
                }
                samples.emplace_back(v, t);
            }
        }
    }
    REQUIRE(samples.size() == 2);
    CHECK(samples[0] == std::pair<double, int64_t>{-2.5, 1000});
    CHECK(std::bit_cast<uint64_t>(samples[1].first) == kStaleNaN);  // the exact StaleNaN bits
    CHECK(samples[1].second == 2000);
    CHECK(labels == 2 * 4);  // __name__, instance, job, region on each
}

TEST_CASE("a_series_set_holds_each_label_set_once_and_finds_it_by_content") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    std::string a, b;
    c.label(a, "k", "1");
    c.label(b, "k", "2");
    for (const std::string* l : {&a, &b, &a}) {
        c.metric(*l);
        c.value(1);
    }
    const std::vector<Sample> samples = c.samples();
    const std::string first = std::string(c.labels(samples[0]));
    const std::string second = std::string(c.labels(samples[1]));
    SeriesSet set(c.take_arena());
    CHECK(set.insert(samples[0].begin, samples[0].size));
    CHECK(set.insert(samples[1].begin, samples[1].size));
    CHECK_FALSE(set.insert(samples[2].begin, samples[2].size));  // a repeat of the first
    REQUIRE(set.size() == 2);
    CHECK(set[0] == first);
    CHECK(set[1] == second);
    CHECK(set.contains(second));
    CHECK_FALSE(set.contains(first.substr(0, first.size() - 1)));
    // Past the index's first growth: every series still found, none twice.
    SampleCollector many = collector();
    many.family("m", prom::Kind::gauge, "", "");
    for (int i = 0; i < 5000; ++i) {
        std::string l;
        many.label(l, "i", std::to_string(i % 2500));
        many.metric(l);
        many.value(i);
    }
    const std::vector<Sample> ms = many.samples();
    SeriesSet big(many.take_arena());
    int added = 0;
    for (const Sample& s : ms) added += big.insert(s.begin, s.size);
    CHECK(added == 2500);
    CHECK(big.size() == 2500);
}

TEST_CASE("the_write_request_with_sizes_computed_first_is_byte_for_byte_what_protozero_writes_without_them") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    std::string a, b;
    c.label(a, "short", "v");
    c.label(b, "long", std::string(300, 'x'));  // two-byte lengths
    c.label(b, "longer", std::string(20000, 'y'));  // three-byte lengths, a series past 16 KiB
    for (const std::string* l : {&a, &b}) {
        c.metric(*l);
        c.value(0.5);
    }
    std::vector<TimedSample> batch;
    const int64_t times[] = {0, 1, 1'700'000'000'000, -5};  // -5: a ten-byte varint
    for (int64_t t : times)
        for (const Sample& s : c.samples()) batch.push_back({c.labels(s), s.value, t});
    std::string reference;
    protozero::pbf_writer req(reference);
    for (const TimedSample& t : batch) {
        protozero::pbf_writer ts(req, 1);
        for_each_label(t.labels, [&](std::string_view n, std::string_view v) {
            protozero::pbf_writer l(ts, 1);
            l.add_string(1, n.data(), n.size());
            l.add_string(2, v.data(), v.size());
        });
        protozero::pbf_writer s(ts, 2);
        s.add_double(1, t.value);
        s.add_int64(2, t.timestamp_ms);
    }
    CHECK(encode_write_request(batch) == reference);
}
