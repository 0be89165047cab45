#include <doctest/doctest.h>

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
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
        for (int i = 0; i < 5; ++i) REQUIRE(s->append(body(i), uint32_t(body(i).size())) == 0);
        std::string b;
        uint32_t n = 0;
        REQUIRE(s->front(b, n));
        CHECK(b == body(0));
        s->pop();  // the first was sent before the "crash"
    }
    auto s = open(dir);
    CHECK(s->samples() > 0);
    REQUIRE(s->append(body(5), uint32_t(body(5).size())) == 0);
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
        REQUIRE(s->append(big, uint32_t(big.size())) == 0);
        appended += big.size();
        CHECK(s->bytes() <= max);
    }
    CHECK(s->counters().dropped_samples > 0);
    CHECK(s->counters().dropped_samples + s->samples() == appended);
    const auto got = drain(*s);
    CHECK(got.size() * big.size() == appended - s->counters().dropped_samples);
}

// Property test of the segment reader: a flipped byte anywhere loses the
// one record it lies in, every other replays; a cut at any offset keeps
// every record wholly before it. Never a crash, never a record not written.
TEST_CASE("damage_to_a_segment_costs_only_the_damaged_record") {
    test::TempDir d;
    const std::string dir = d.file("spool");
    std::vector<std::string> written;
    std::vector<size_t> ends;  // where each record ends in the segment
    size_t at = 0;
    {
        auto s = open(dir);
        for (int i = 0; i < 20; ++i) {
            written.push_back(body(i));
            REQUIRE(s->append(written.back(), uint32_t(written.back().size())) == 0);
            at += kSpoolHeaderBytes + written.back().size();
            ends.push_back(at);
        }
    }
    std::string segment;
    for (const auto& e : std::filesystem::directory_iterator(dir)) segment = e.path();
    std::string original;
    {
        std::ifstream f(segment, std::ios::binary);
        original.assign(std::istreambuf_iterator<char>(f), {});
    }
    REQUIRE(original.size() == at);
    std::mt19937 rng(7);
    for (int trial = 0; trial < 400; ++trial) {
        std::string damaged = original;
        std::vector<std::string> want;
        const size_t where = rng() % damaged.size();
        const bool cut = trial % 2;
        if (cut) damaged.resize(where);
        else damaged[where] ^= char(1 + rng() % 255);
        for (size_t i = 0; i < written.size(); ++i) {
            const size_t begin = ends[i] - kSpoolHeaderBytes - written[i].size();
            const bool hit = cut ? ends[i] > where : (where >= begin && where < ends[i]);
            if (!hit) want.push_back(written[i]);
        }
        {
            std::ofstream f(segment, std::ios::binary | std::ios::trunc);
            f << damaged;
        }
        auto s = open(dir);
        const auto got = drain(*s);
        CHECK(got == want);
        // A cut between two records leaves nothing to see; any other damage is one stretch.
        const bool seen = !(cut && (where == 0 || std::find(ends.begin(), ends.end(), where) != ends.end()));
        CHECK(s->counters().corrupt_records == (got.size() < written.size() && seen ? 1u : 0u));
        CHECK(s->counters().damaged_samples == 0);  // the index never counted what it could not read
        // Draining removed the segment: write the original back for the next trial.
        std::ofstream f(segment, std::ios::binary | std::ios::trunc);
        f << original;
    }
}

TEST_CASE("the_scanner_reads_alike_whatever_the_pieces_it_is_fed") {
    std::string bytes = "garbage" + encode_spool_record("one", 1) + "RWS2RWS" + encode_spool_record("two", 2);
    bytes += encode_spool_record(std::string(100'000, 'z'), 3);
    std::string bad = encode_spool_record("bad body", 4);
    bad.back() ^= 1;
    bytes += bad + encode_spool_record("", 5) + encode_spool_record("four", 6).substr(0, 22);
    std::vector<uint32_t> whole;
    const uint64_t damage = parse_spool_segment(bytes, [&](const SpoolRecord& r) { whole.push_back(r.samples); });
    CHECK(whole == std::vector<uint32_t>{1, 2, 3, 5});
    CHECK(damage == 4);  // the garbage, the false header, the bad body, the torn tail
    std::mt19937 rng(3);
    for (int trial = 0; trial < 200; ++trial) {
        SpoolScanner scan;
        std::vector<uint32_t> got;
        for (size_t at = 0; at < bytes.size();) {
            const size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 64);
            scan.feed(std::string_view(bytes).substr(at, n), [&](const SpoolRecord& r) {
                CHECK(bytes.substr(r.offset, r.length) == (r.samples == 3 ? std::string(100'000, 'z') : bytes.substr(r.offset, r.length)));
                got.push_back(r.samples);
            });
            at += n;
        }
        scan.finish();
        CHECK(got == whole);
        CHECK(scan.damaged_stretches() == damage);
    }
}

TEST_CASE("the_segment_parser_refuses_torn_and_mismatched_records") {
    const std::string a = encode_spool_record("hello", 3), b = encode_spool_record("world!", 4);
    std::vector<std::string> seen;
    const auto collect = [&](std::string_view bytes) {
        seen.clear();
        return parse_spool_segment(bytes, [&](const SpoolRecord& r) { seen.emplace_back(bytes.substr(r.offset, r.length)); });
    };
    CHECK(collect(a + b) == 0);
    CHECK(seen == std::vector<std::string>{"hello", "world!"});
    CHECK(collect(a + b.substr(0, b.size() - 1)) == 1);  // torn tail
    CHECK(seen == std::vector<std::string>{"hello"});
    std::string bad = a + b;
    bad[a.size() + kSpoolHeaderBytes + 1] ^= 1;  // a flipped byte in the second body
    CHECK(collect(bad) == 1);
    CHECK(seen == std::vector<std::string>{"hello"});
    bad = a + b;
    bad[2] ^= 1;  // the first header's magic
    CHECK(collect(bad) == 1);
    CHECK(seen == std::vector<std::string>{"world!"});
    std::string huge = encode_spool_record(std::string(10, 'h'), 1);
    huge[4] = huge[5] = huge[6] = huge[7] = '\xff';  // a length past the cap: the header fails
    CHECK(collect(huge + a) == 1);
    CHECK(seen == std::vector<std::string>{"hello"});
    CHECK(collect("") == 0);
}

namespace {

std::string only_segment(const std::string& dir) {
    std::string path;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".rws") path = e.path();
    return path;
}

}  // namespace

// The writer compares what it holds open with what is at the path before
// each append: a change starts a new segment, so every later batch is kept.
TEST_CASE("a_segment_truncated_replaced_or_its_directory_swapped_starts_a_new_one") {
    for (const std::string how : {"truncated", "replaced", "removed", "directory_swapped"}) {
        CAPTURE(how);
        test::TempDir d;
        const std::string dir = d.file("spool");
        auto s = open(dir);
        for (int i = 0; i < 3; ++i) REQUIRE(s->append(body(i), uint32_t(body(i).size())) == 0);
        const std::string seg = only_segment(dir);
        if (how == "truncated") {
            REQUIRE(::truncate(seg.c_str(), 0) == 0);
        } else if (how == "replaced") {
            std::ofstream(dir + "/x", std::ios::binary) << "not a segment";
            std::filesystem::rename(dir + "/x", seg);
        } else if (how == "removed") {
            std::filesystem::remove(seg);
        } else {
            std::filesystem::rename(dir, d.file("old"));
            std::filesystem::create_directory(d.file("new"));
            std::filesystem::create_directory_symlink(d.file("new"), dir);
        }
        for (int i = 3; i < 6; ++i) REQUIRE(s->append(body(i), uint32_t(body(i).size())) == 0);
        CHECK(s->counters().changed_segments == 1);
        CHECK(drain(*s) == std::vector<std::string>{body(3), body(4), body(5)});
        // The three no longer on disk, counted.
        CHECK(s->counters().damaged_samples == body(0).size() + body(1).size() + body(2).size());
        CHECK(s->samples() == 0);
    }
}

TEST_CASE("a_segment_larger_than_the_bound_is_skipped_unread_and_counted") {
    test::TempDir d;
    const std::string dir = d.file("spool");
    {
        auto s = open(dir, 1 << 20);
        REQUIRE(s->append(body(1), uint32_t(body(1).size())) == 0);
    }
    // A sparse segment of 4 GiB beside it, newer: never read, removed.
    const std::string huge = dir + "/segment-000000000000000009.rws";
    std::ofstream(huge).close();
    REQUIRE(::truncate(huge.c_str(), off_t(4) << 30) == 0);
    auto s = open(dir, 1 << 20);
    CHECK(s->counters().skipped_segments == 1);
    CHECK_FALSE(std::filesystem::exists(huge));
    CHECK(drain(*s) == std::vector<std::string>{body(1)});
}

TEST_CASE("segments_follow_the_bound_and_a_sent_segment_frees_its_space_at_once") {
    test::TempDir d;
    auto s = open(d.file("spool"), 2 << 20);
    CHECK(s->segment_bytes() == (2u << 20) / kSpoolSegmentsPerBound);
    const std::string big(40'000, 'q');
    for (int i = 0; i < 20; ++i) REQUIRE(s->append(big, uint32_t(big.size())) == 0);
    const size_t segments = files_in(d.file("spool"));
    CHECK(segments > 3);
    std::string b;
    uint32_t n = 0;
    // Sending the first segment's records removes it, while the rest wait.
    for (int i = 0; i < 4; ++i) {
        REQUIRE(s->front(b, n));
        s->pop();
    }
    CHECK(files_in(d.file("spool")) < segments);
    CHECK(s->samples() == 16 * big.size());
}

TEST_CASE("a_record_dropped_while_in_flight_is_not_popped_twice") {
    test::TempDir d;
    auto s = open(d.file("spool"), 1 << 20);
    const std::string big(60'000, 'w');
    for (int i = 0; i < 3; ++i) REQUIRE(s->append(big + char('a' + i), uint32_t(big.size() + 1)) == 0);
    std::string b;
    uint32_t n = 0;
    REQUIRE(s->front(b, n));
    CHECK(b.back() == 'a');
    // The bound forces the oldest segments out while 'a' is on the wire.
    for (int i = 3; i < 40; ++i) REQUIRE(s->append(big + char('a' + i % 26), uint32_t(big.size() + 1)) == 0);
    const uint64_t before = s->samples();
    s->pop();  // 'a' went with its segment: nothing else is forgotten
    CHECK(s->samples() == before);
    CHECK(s->counters().dropped_samples > 0);
    CHECK(s->bytes() <= (1u << 20));
}
