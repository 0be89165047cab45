#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <protozero/pbf_reader.hpp>

#include "prom/samples.hpp"
#include "push/push_stream.hpp"
#include "push/write_request.hpp"

using namespace mmwatch;
using namespace mmwatch::push;

namespace {

// `n` series g{k="<first + i>"} at `t_ms`.
std::shared_ptr<const prom::SampleBatch> batch_of(size_t first, size_t n, int64_t t_ms) {
    prom::SampleCollector c({{"job", "mmwatch"}}, {});
    c.family("g", prom::Kind::gauge, "", "");
    for (size_t i = first; i < first + n; ++i) {
        std::string labels;
        c.label(labels, "k", std::to_string(i));
        c.metric(labels);
        c.value(double(i));
    }
    return std::make_shared<const prom::SampleBatch>(std::move(c), t_ms);
}

struct Decoded {
    std::string k;  // the series' k label
    uint64_t bits;  // its value's bits
    int64_t t_ms;
};

// Every sample of `requests`, in order, decoded from the wire bytes.
std::vector<Decoded> decode(const std::vector<Request>& requests) {
    std::vector<Decoded> out;
    for (const Request& r : requests) {
        std::string raw;
        REQUIRE(snappy_uncompress(r.body, raw));
        size_t in_request = 0;
        protozero::pbf_reader req(raw);
        while (req.next(1)) {
            protozero::pbf_reader ts = req.get_message();
            Decoded d{};
            while (ts.next()) {
                const bool is_label = ts.tag() == 1;  // else a sample
                protozero::pbf_reader m = ts.get_message();
                if (is_label) {
                    m.next(1);
                    const std::string name = m.get_string();
                    m.next(2);
                    const std::string value = m.get_string();
                    if (name == "k") d.k = value;
                } else {
                    // proto3 leaves a field at its default (0.0, 0) out.
                    while (m.next()) {
                        if (m.tag() == 1) d.bits = std::bit_cast<uint64_t>(m.get_double());
                        else if (m.tag() == 2) d.t_ms = m.get_int64();
                        else m.skip();
                    }
                }
            }
            out.push_back(d);
            ++in_request;
        }
        CHECK(in_request == r.samples);
    }
    return out;
}

// Runs the push to its end, one step per "loop turn"; the turns it took.
size_t run(PushStream& s, std::vector<Request>& out) {
    size_t turns = 1;
    while (s.step(out)) ++turns;
    return turns;
}

}  // namespace

TEST_CASE("a_push_of_many_series_is_cut_into_one_request_per_turn") {
    PushStream s;
    std::vector<Request> out;
    s.begin(batch_of(0, 3 * kPushSliceSeries + 7, 1000));
    CHECK(s.step(out));
    CHECK(out.size() == 1);  // the first turn made one full request, no more
    CHECK(out[0].samples == kMaxBatchSamples);
    run(s, out);
    CHECK_FALSE(s.active());
    const std::vector<Decoded> all = decode(out);
    REQUIRE(all.size() == 3 * kPushSliceSeries + 7);
    for (size_t i = 0; i < all.size(); ++i) {
        CHECK(all[i].k == std::to_string(i));
        CHECK(all[i].bits == std::bit_cast<uint64_t>(double(i)));
        CHECK(all[i].t_ms == 1000);
    }
}

TEST_CASE("series_gone_get_one_staleness_marker_with_their_labels_decoded_from_the_last_push") {
    PushStream s;
    std::vector<Request> out;
    s.begin(batch_of(0, 12'000, 1000));  // k = 0 .. 11999, in three requests
    run(s, out);
    out.clear();
    s.begin(batch_of(4'000, 10'000, 2000));  // 0 .. 3999 gone, 12000 .. 13999 new
    run(s, out);
    const std::vector<Decoded> all = decode(out);
    REQUIRE(all.size() == 10'000 + 4'000);
    for (size_t i = 0; i < 10'000; ++i) CHECK(all[i].k == std::to_string(4'000 + i));
    std::vector<int> marked;
    for (size_t i = 10'000; i < all.size(); ++i) {
        CHECK(all[i].bits == prom::kStaleNaN);
        CHECK(all[i].t_ms == 2000);
        marked.push_back(std::stoi(all[i].k));
    }
    std::sort(marked.begin(), marked.end());
    for (int i = 0; i < 4'000; ++i) CHECK(marked[size_t(i)] == i);
    CHECK(s.counters().stale_markers == 4'000);
    CHECK(s.counters().stale_markers_skipped == 0);
    // The next push with nothing gone sends no marker.
    out.clear();
    s.begin(batch_of(4'000, 10'000, 3000));
    run(s, out);
    CHECK(decode(out).size() == 10'000);
    CHECK(s.counters().stale_markers == 4'000);
}

// Series that changed since the last push are found gone with this push's
// identities sorted in runs of kPushSortRunIds, a run or one merge a
// turn: across runs (and a lone last run) the markers are exactly the
// series gone, and the push that follows (same order) sorts nothing.
TEST_CASE("identities_of_a_changed_push_are_sorted_in_slices_and_find_exactly_the_series_gone") {
    PushStream s;
    std::vector<Request> out;
    const size_t n = 5 * kPushSortRunIds + 123;  // five runs and a short one
    s.begin(batch_of(0, n, 1000));
    run(s, out);
    out.clear();
    s.begin(batch_of(10, n, 2000));  // 0 .. 9 gone
    size_t turns = 1;
    for (; s.step(out); ++turns) {
    }
    const size_t requests = (n + kMaxBatchSamples - 1) / kMaxBatchSamples;
    // Six runs sorted, then merges: 3 + 2 + 1 of them, widths doubling.
    CHECK(turns > requests + 6 + 6);
    const std::vector<Decoded> all = decode(out);
    REQUIRE(all.size() == n + 10);
    std::vector<int> marked;
    for (size_t i = n; i < all.size(); ++i) {
        CHECK(all[i].bits == prom::kStaleNaN);
        marked.push_back(std::stoi(all[i].k));
    }
    std::sort(marked.begin(), marked.end());
    for (int i = 0; i < 10; ++i) CHECK(marked[size_t(i)] == i);
    out.clear();
    s.begin(batch_of(10, n, 3000));
    CHECK(run(s, out) <= requests + 1);  // the series, then finding none gone: no sort
    CHECK(s.counters().stale_markers == 10);
}

TEST_CASE("between_pushes_only_identities_and_the_compressed_requests_are_held") {
    PushStream s;
    std::vector<Request> out;
    const auto batch = batch_of(0, 20'000, 1000);
    const size_t batch_bytes = batch->memory_bytes();
    s.begin(batch);
    CHECK(s.working_bytes() > batch_bytes);  // the batch counts while it is pushed
    run(s, out);
    size_t compressed = 0;
    for (const Request& r : out) compressed += r.body.size();
    // 8 bytes an identity and the requests at their compressed size (and
    // the few strings' own bytes): no batch, no label strings, no scratch.
    CHECK(s.working_bytes() <= 20'000 * 8 + compressed + 1024);
    CHECK(s.working_bytes() < batch_bytes / 4);
}

TEST_CASE("an_empty_batch_marks_every_series_of_the_last_push_stale") {
    PushStream s;
    std::vector<Request> out;
    s.begin(batch_of(0, 3, 1000));
    CHECK_FALSE(s.step(out));  // a small push is done in one turn
    out.clear();
    s.begin(batch_of(0, 0, 2000));
    run(s, out);
    const std::vector<Decoded> all = decode(out);
    REQUIRE(all.size() == 3);
    for (const Decoded& d : all) CHECK(d.bits == prom::kStaleNaN);
}
