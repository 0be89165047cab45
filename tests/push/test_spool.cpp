#include <doctest/doctest.h>

#include <dirent.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "push/spool.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;
using namespace mmwatch::push;

namespace {

std::unique_ptr<Spool> open(const std::string& dir, uint64_t max = 64 << 20) {
    std::string error;
    auto s = Spool::open(dir, max, error);
    REQUIRE(s);
    return s;
}

std::vector<std::string> drain(Spool& s) {
    std::vector<std::string> out;
    std::string body;
    uint32_t samples = 0;
    while (s.front(body, samples)) {
        CHECK(samples == body.size());
        out.push_back(body);
        s.pop();
    }
    return out;
}

size_t files_in(const std::string& dir) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.path().extension() == ".rws";
    return n;
}

std::string body(int i) { return "batch-" + std::to_string(i) + std::string(size_t(i % 7) * 100, 'x'); }

}  // namespace

TEST_CASE("records_replay_in_order_also_after_a_restart_and_sent_segments_go") {
    test::TempDir d;
    const std::string dir = d.file("spool");
    {
        auto s = open(dir);
        for (int i = 0; i < 5; ++i) REQUIRE(s->append(body(i), uint32_t(body(i).size())));
        std::string b;
        uint32_t n = 0;
        REQUIRE(s->front(b, n));
        CHECK(b == body(0));
        s->pop();  // the first was sent before the "crash"
    }
    auto s = open(dir);
    CHECK(s->samples() > 0);
    REQUIRE(s->append(body(5), uint32_t(body(5).size())));
    const auto got = drain(*s);
    // The record sent before the restart comes again (at least once: a
    // segment is forgotten only when all of it was sent).
    CHECK(got == std::vector<std::string>{body(0), body(1), body(2), body(3), body(4), body(5)});
    CHECK(s->empty());
    CHECK(s->bytes() == 0);
    CHECK(files_in(dir) == 0);
}

TEST_CASE("the_spool_never_passes_its_bytes_and_counts_what_it_dropped") {
    test::TempDir d;
    const uint64_t max = 1 << 20;
    auto s = open(d.file("spool"), max);
    const std::string big(50'000, 'b');
    uint64_t appended = 0;
    for (int i = 0; i < 100; ++i) {
        REQUIRE(s->append(big, uint32_t(big.size())));
        appended += big.size();
        CHECK(s->bytes() <= max);
    }
    CHECK(s->counters().dropped_samples > 0);
    CHECK(s->counters().dropped_samples + s->samples() == appended);
    const auto got = drain(*s);
    CHECK(got.size() * big.size() == appended - s->counters().dropped_samples);
}

// Property test of the segment reader: any damage to a segment (a flipped
// byte anywhere, a cut at any offset) replays only whole records that were
// written, in order, a prefix of them, and never crashes.
TEST_CASE("a_damaged_segment_replays_a_prefix_of_whole_records") {
    test::TempDir d;
    const std::string dir = d.file("spool");
    std::vector<std::string> written;
    {
        auto s = open(dir);
        for (int i = 0; i < 20; ++i) {
            written.push_back(body(i));
            REQUIRE(s->append(written.back(), uint32_t(written.back().size())));
        }
    }
    std::string segment;
    for (const auto& e : std::filesystem::directory_iterator(dir)) segment = e.path();
    std::string original;
    {
        std::ifstream f(segment, std::ios::binary);
        original.assign(std::istreambuf_iterator<char>(f), {});
    }
    std::mt19937 rng(7);
    for (int trial = 0; trial < 300; ++trial) {
        std::string damaged = original;
        if (trial % 2) damaged.resize(rng() % damaged.size());
        else damaged[rng() % damaged.size()] ^= char(1 + rng() % 255);
        {
            std::ofstream f(segment, std::ios::binary | std::ios::trunc);
            f << damaged;
        }
        auto s = open(dir);
        const auto got = drain(*s);
        REQUIRE(got.size() <= written.size());
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == written[i]);
        if (got.size() < written.size()) CHECK(s->counters().corrupt_records >= 1);
        // Draining removed the segment: write the original back for the next trial.
        std::ofstream f(segment, std::ios::binary | std::ios::trunc);
        f << original;
    }
}

TEST_CASE("the_segment_parser_refuses_torn_and_mismatched_records") {
    const std::string a = encode_spool_record("hello", 3), b = encode_spool_record("world!", 4);
    std::vector<std::string> seen;
    const auto collect = [&](std::string_view bytes) {
        seen.clear();
        return parse_spool_segment(bytes, [&](const SpoolRecord& r) { seen.emplace_back(bytes.substr(r.offset, r.length)); });
    };
    CHECK(collect(a + b));
    CHECK(seen == std::vector<std::string>{"hello", "world!"});
    CHECK_FALSE(collect(a + b.substr(0, b.size() - 1)));  // torn tail
    CHECK(seen == std::vector<std::string>{"hello"});
    std::string bad = a + b;
    bad[a.size() + 17] ^= 1;  // a flipped byte in the second body
    CHECK_FALSE(collect(bad));
    CHECK(seen.size() == 1);
    std::string huge = a;
    huge[4] = huge[5] = huge[6] = huge[7] = '\xff';  // a length past the cap
    CHECK_FALSE(collect(huge));
    CHECK(seen.empty());
    CHECK(collect(""));
}
