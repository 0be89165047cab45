#include <doctest/doctest.h>

#include <cstring>
#include <limits>

#include "history/bits.hpp"
#include "history/chunk_codec.hpp"
#include "history/gorilla.hpp"
#include "support/history_samples.hpp"

using namespace mmwatch;
using history::Sample;

namespace {

std::vector<Sample> round_trip(const std::vector<Sample>& in) {
    std::string times, values;
    history::encode_times(in, times);
    history::encode_values(in, values);
    CHECK(history::times_count(times) == in.size());
    std::vector<Sample> out;
    REQUIRE(history::decode_times(times, out) == history::ChunkError::none);
    REQUIRE(history::decode_values(values, out) == history::ChunkError::none);
    std::string whole;
    history::encode_chunk(in, whole);
    std::vector<Sample> again;
    REQUIRE(history::decode_chunk(whole, again) == history::ChunkError::none);
    REQUIRE(again.size() == out.size());
    test::require_same(again, out);
    return out;
}


}  // namespace

TEST_CASE("chunk_round_trips_every_kind_of_series_bit_exact") {
    std::mt19937_64 rng(7);
    for (int round = 0; round < 400; ++round) {
        const size_t n = 1 + rng() % 700;
        const auto in = test::random_series(rng, n, int64_t(rng()) >> (rng() % 64));
        test::require_same(round_trip(in), in);
    }
}

TEST_CASE("chunk_keeps_values_an_ulp_off_their_decimal_exactly") {
    // What x * 0.001 gives: the decimal, give or take an ulp.
    std::vector<Sample> in;
    for (int i = 0; i < 500; ++i) in.push_back({1000 * i, history::value_bits(double(123456789 + 37 * i) * 0.001)});
    std::string values;
    history::encode_values(in, values);
    CHECK(values.size() < 500);  // bits per sample, not the 40-odd of XOR
    test::require_same(round_trip(in), in);
}

TEST_CASE("chunk_keeps_odd_values_in_a_decimal_chunk_as_exceptions") {
    std::vector<Sample> in;
    for (int i = 0; i < 200; ++i) in.push_back({1000 * i, history::value_bits(double(i) * 0.25)});
    in[17].bits = history::kStaleNaNBits;
    in[18].bits = history::value_bits(-0.0);
    in[199].bits = history::value_bits(std::numeric_limits<double>::infinity());
    test::require_same(round_trip(in), in);
}

TEST_CASE("chunk_of_extreme_timestamps_and_one_sample") {
    std::vector<Sample> in = {{std::numeric_limits<int64_t>::min(), 1}, {-1, 2}, {0, 3},
                              {std::numeric_limits<int64_t>::max(), 4}};
    test::require_same(round_trip(in), in);
    test::require_same(round_trip({{77, history::kStaleNaNBits}}), {{77, history::kStaleNaNBits}});
}

TEST_CASE("chunk_of_regular_constant_samples_costs_bits_not_bytes") {
    std::vector<Sample> in;
    for (int i = 0; i < 1024; ++i) in.push_back({1'700'000'000'000 + 1000 * i, history::value_bits(1.0)});
    std::string times, values;
    history::encode_times(in, times);
    history::encode_values(in, values);
    CHECK(times.size() < 20);
    CHECK(values.size() < 10);
    test::require_same(round_trip(in), in);
}

TEST_CASE("chunk_decoder_refuses_truncated_and_bad_counts") {
    std::mt19937_64 rng(11);
    const auto in = test::random_series(rng, 300, 1000);
    std::string bytes;
    history::encode_chunk(in, bytes);
    std::vector<Sample> out;
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        // A cut chunk is an error or, when only padding went, the same samples.
        const auto e = history::decode_chunk(std::string_view(bytes).substr(0, cut), out);
        if (e == history::ChunkError::none) test::require_same(out, in);
    }
    std::string huge;
    history::put_varint(huge, history::kMaxChunkSamples + 1);
    history::put_varint(huge, 0);
    CHECK(history::decode_times(huge, out) == history::ChunkError::bad_count);
    CHECK(history::times_count(huge) == 0);
}

TEST_CASE("gorilla_round_trips_every_kind_of_series_bit_exact") {
    std::mt19937_64 rng(5);
    for (int round = 0; round < 200; ++round) {
        const auto in = test::random_series(rng, 1 + rng() % 500, int64_t(rng()));
        history::BitWriter w;
        history::GorillaState s;
        for (const Sample& x : in) history::gorilla_append(w, s, x.t, x.bits);
        std::string bytes;
        w.copy_to(bytes);
        history::GorillaReader r(bytes, uint32_t(in.size()));
        std::vector<Sample> out;
        Sample x;
        while (r.next(x.t, x.bits)) out.push_back(x);
        CHECK_FALSE(r.corrupt());
        test::require_same(out, in);
    }
}

TEST_CASE("bit_writer_and_reader_agree_on_every_width") {
    history::BitWriter w;
    for (unsigned n = 0; n <= 64; ++n) w.put(0xa5a5a5a5a5a5a5a5ull & history::BitWriter::mask(n), n);
    const std::string bytes = w.take();
    history::BitReader r(bytes);
    for (unsigned n = 0; n <= 64; ++n) CHECK(r.get(n) == (0xa5a5a5a5a5a5a5a5ull & history::BitWriter::mask(n)));
    CHECK_FALSE(r.overrun());
    (void)r.get(8);
    CHECK(r.overrun());
}
