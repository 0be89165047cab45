#include <doctest/doctest.h>

#include <bit>
#include <string>
#include <vector>

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

#include "prom/samples.hpp"
#include "push/write_request.hpp"

using namespace mmwatch;
using namespace mmwatch::push;
using prom::SampleCollector;

namespace {

SampleCollector collector() {
    return SampleCollector({{"instance", "host:9479"}, {"job", "mmwatch"}}, {{"region", "eu"}, {"job", "ignored"}});
}

}  // namespace

TEST_CASE("a_write_request_decodes_to_the_samples_and_snappy_round_trips") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    c.metric({});
    c.value(-2.5);
    const std::string_view series = c.labels(0);
    const std::vector<TimedSample> batch{{series, c.value_of(0), 1000},
                                         {series, std::bit_cast<double>(prom::kStaleNaN), 2000}};
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
    CHECK(std::bit_cast<uint64_t>(samples[1].first) == prom::kStaleNaN);  // the exact StaleNaN bits
    CHECK(samples[1].second == 2000);
    CHECK(labels == 2 * 4);  // __name__, instance, job, region on each
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
        for (size_t i = 0; i < c.series_count(); ++i) batch.push_back({c.labels(i), c.value_of(i), t});
    std::string reference;
    protozero::pbf_writer req(reference);
    for (const TimedSample& t : batch) {
        protozero::pbf_writer ts(req, 1);
        prom::for_each_label(t.labels, [&](std::string_view n, std::string_view v) {
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
