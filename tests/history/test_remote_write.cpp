#include <doctest/doctest.h>

#include <snappy.h>

#include <bit>
#include <limits>
#include <string>

#include <protozero/pbf_writer.hpp>

#include "history/remote_write.hpp"
#include "history/history_store.hpp"
#include "support/history_disk.hpp"

using namespace mmwatch;
using namespace mmwatch::history;

namespace {

// A WriteRequest written with protozero's writer (prompb field numbers),
// independently of the decoder.
struct Request {
    std::string proto;
    protozero::pbf_writer req{proto};

    void series(std::initializer_list<std::pair<std::string, std::string>> labels,
                std::initializer_list<std::pair<uint64_t, int64_t>> samples, int histograms = 0) {
        protozero::pbf_writer ts(req, 1);
        for (const auto& [n, v] : labels) {
            protozero::pbf_writer l(ts, 1);
            l.add_string(1, n);
            l.add_string(2, v);
        }
        for (const auto& [bits, t] : samples) {
            protozero::pbf_writer s(ts, 2);
            s.add_double(1, std::bit_cast<double>(bits));
            s.add_int64(2, t);
        }
        for (int i = 0; i < histograms; ++i) {
            protozero::pbf_writer h(ts, 4);
            h.add_uint64(1, 3);  // count_int
        }
        protozero::pbf_writer ex(ts, 3);  // an exemplar, skipped
        ex.add_double(2, 1.5);
    }
    [[nodiscard]] std::string snappy() const {
        std::string out;
        snappy::Compress(proto.data(), proto.size(), &out);
        return out;
    }
};

constexpr WriteLimits kLimits{4 << 20, 1000};

std::vector<Sample> samples_of(Store& store, std::vector<LabelView> labels) {
    REQUIRE(canonicalize(labels) == LabelError::none);
    const SeriesId id = store.find(labels);
    if (id == kNoSeries) return {};
    return test::all_samples(store, id);
}

}  // namespace

TEST_CASE("remote_write_stores_every_sample_bit_exact") {
    Request r;
    const uint64_t payload_nan = 0xfff8000000000123ull;
    r.series({{"__name__", "up"}, {"job", "node"}},
             {{value_bits(1), 1000}, {kStaleNaNBits, 2000}, {payload_nan, 3000}, {value_bits(-0.0), 4000}});
    // Labels out of order: the same series as sorted ones.
    r.series({{"job", "node"}, {"__name__", "temp"}},
             {{value_bits(std::numeric_limits<double>::infinity()), std::numeric_limits<int64_t>::min()}});
    r.series({{"__name__", "temp"}, {"job", "node"}}, {{value_bits(2.5), -1}});
    Store store(StoreConfig{});
    WriteScratch scratch;
    const WriteResult res = receive_write_request(r.snappy(), kLimits, store, scratch);
    CHECK(res.error == WriteError::none);
    CHECK(res.series == 3);
    CHECK(res.samples == 6);
    CHECK(res.appended == 6);
    CHECK(res.refused == 0);
    const auto up = samples_of(store, {{"__name__", "up"}, {"job", "node"}});
    REQUIRE(up.size() == 4);
    CHECK(up[1].bits == kStaleNaNBits);
    CHECK(up[2].bits == payload_nan);
    CHECK(up[3].bits == value_bits(-0.0));
    const auto temp = samples_of(store, {{"__name__", "temp"}, {"job", "node"}});
    REQUIRE(temp.size() == 2);
    CHECK(temp[0].t == std::numeric_limits<int64_t>::min());
    CHECK(temp[1].bits == value_bits(2.5));
    CHECK(store.stats().series == 2);
}

TEST_CASE("remote_write_counts_out_of_order_and_duplicates_and_goes_on") {
    Request r;
    r.series({{"__name__", "a"}}, {{value_bits(1), 5000}, {value_bits(1), 5000}, {value_bits(2), 5000},
                                   {value_bits(3), 4000}, {value_bits(4), 6000}});
    r.series({{"__name__", "b"}}, {{value_bits(1), 1}});
    Store store(StoreConfig{});
    WriteScratch scratch;
    const WriteResult res = receive_write_request(r.snappy(), kLimits, store, scratch);
    CHECK(res.error == WriteError::none);
    CHECK(res.appended == 3);  // 5000, 6000 and b
    CHECK(res.refused == 2);   // the other value at 5000, and 4000
    CHECK(store.counters().refused[size_t(Refusal::duplicate)] == 1);
    CHECK(store.counters().refused[size_t(Refusal::out_of_order)] == 1);
}

TEST_CASE("remote_write_refuses_bad_labels_per_series") {
    Request r;
    r.series({{"__name__", "ok"}}, {{value_bits(1), 1}});
    r.series({{"__name__", "bad-name"}}, {{value_bits(1), 1}});
    r.series({{"__name__", "x"}, {"1abel", "v"}}, {{value_bits(1), 1}});
    r.series({{"__name__", "x"}, {"a", "1"}, {"a", "2"}}, {{value_bits(1), 1}});
    r.series({{"__name__", "x"}, {"a", "\xff"}}, {{value_bits(1), 1}, {value_bits(1), 2}});
    r.series({{"__name__", "h"}}, {}, 2);  // native histograms only
    Store store(StoreConfig{});
    WriteScratch scratch;
    const WriteResult res = receive_write_request(r.snappy(), kLimits, store, scratch);
    CHECK(res.error == WriteError::none);
    CHECK(res.appended == 1);
    CHECK(res.bad_series == 4);
    CHECK(res.refused == 5);
    CHECK(res.histograms == 2);
    CHECK(store.counters().refused[size_t(Refusal::bad_labels)] == 5);
    CHECK(store.stats().series == 1);
}

TEST_CASE("remote_write_refuses_a_malformed_request_whole") {
    Request r;
    r.series({{"__name__", "a"}}, {{value_bits(1), 1}});
    r.series({{"__name__", "b"}}, {{value_bits(1), 1}});
    Store store(StoreConfig{});
    WriteScratch scratch;
    // Cut inside the second series: the first is not stored either.
    const std::string cut = r.proto.substr(0, r.proto.size() - 3);
    std::string body;
    snappy::Compress(cut.data(), cut.size(), &body);
    CHECK(receive_write_request(body, kLimits, store, scratch).error == WriteError::malformed_protobuf);
    // A label sent as a varint.
    std::string wrong;
    {
        protozero::pbf_writer req(wrong);
        protozero::pbf_writer ts(req, 1);
        ts.add_uint64(1, 7);
    }
    body.clear();
    snappy::Compress(wrong.data(), wrong.size(), &body);
    CHECK(receive_write_request(body, kLimits, store, scratch).error == WriteError::malformed_protobuf);
    CHECK(receive_write_request("not snappy at all", kLimits, store, scratch).error == WriteError::bad_snappy);
    CHECK(store.stats().series == 0);
    CHECK(store.counters().appended == 0);
}

TEST_CASE("remote_write_body_exactly_at_the_cap_and_one_byte_over") {
    Request r;
    r.series({{"__name__", "a"}}, {{value_bits(1), 1}});
    Store store(StoreConfig{});
    WriteScratch scratch;
    const std::string body = r.snappy();
    CHECK(receive_write_request(body, {r.proto.size(), 1000}, store, scratch).error == WriteError::none);
    CHECK(receive_write_request(body, {r.proto.size() - 1, 1000}, store, scratch).error ==
          WriteError::body_too_large);
    // A snappy header claiming 4 GiB is refused before anything is allocated.
    const std::string claim = "\xff\xff\xff\xff\x0f";
    CHECK(receive_write_request(claim, kLimits, store, scratch).error == WriteError::body_too_large);
}

TEST_CASE("remote_write_series_cap_per_request") {
    Request r;
    for (int i = 0; i < 11; ++i) r.series({{"__name__", "m" + std::to_string(i)}}, {{value_bits(1), 1}});
    Store store(StoreConfig{});
    WriteScratch scratch;
    CHECK(receive_write_request(r.snappy(), {4 << 20, 11}, store, scratch).error == WriteError::none);
    Store other(StoreConfig{});
    CHECK(receive_write_request(r.snappy(), {4 << 20, 10}, other, scratch).error == WriteError::too_many_series);
    CHECK(other.stats().series == 0);
}
