#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include <protozero/pbf_reader.hpp>

#include "push/collector.hpp"
#include "push/write_request.hpp"

using namespace mmwatch;
using namespace mmwatch::push;

namespace {

std::vector<std::string> labels_of(const Sample& s) {
    std::vector<std::string> out;
    for_each_label(s.labels, [&](std::string_view n, std::string_view v) { out.push_back(std::string(n) + "=" + std::string(v)); });
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
    CHECK(labels_of(c.samples()[0]) == std::vector<std::string>{"__name__=requests_total", "app=web",
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
    CHECK(labels_of(c.samples()[0]) == std::vector<std::string>{"__name__=temp", "exported_job=shop",
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
    CHECK(labels_of(c.samples()[0])[0] == "__name__=lat_bucket");
    CHECK(labels_of(c.samples()[0])[3] == "le=0.25");
    CHECK(labels_of(c.samples()[1])[3] == "le=+Inf");
    CHECK(labels_of(c.samples()[2])[0] == "__name__=lat_sum");
    CHECK(labels_of(c.samples()[3])[0] == "__name__=lat_count");
    CHECK(labels_of(c.samples()[4])[2] == "job=mmwatch");
    CHECK(labels_of(c.samples()[4])[3] == "quantile=0.5");
}

TEST_CASE("a_write_request_decodes_to_the_samples_and_snappy_round_trips") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    c.metric({});
    c.value(-2.5);
    Sample stale{c.samples()[0].labels, std::bit_cast<double>(kStaleNaN)};
    const std::vector<TimedSample> batch{{&c.samples()[0], 1000}, {&stale, 2000}};
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
