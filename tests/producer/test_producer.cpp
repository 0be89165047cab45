// Producer library: every file it writes must be accepted by the reader
// with exact values, and every bad input must be refused before a file
// appears under its final name.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "mmwatch/h2.hpp"
#include "mmwatch/producer.h"
#include "mmwatch/producer.hpp"
#include "support/producer_testing.hpp"

using namespace mmwatch;
using rezl::MetricType;
using test::read_back;
using test::ScratchDir;

namespace {

// A C producer that is destroyed with the test case.
struct CProducer {
    mmw_producer* p = nullptr;
    CProducer(const std::string& dir, const char* name, unsigned flags = 0) {
        REQUIRE(mmw_producer_create(dir.c_str(), name, flags, &p) == MMW_OK);
    }
    ~CProducer() { mmw_producer_destroy(p); }
};

bool exists(const std::string& path) { return std::filesystem::exists(path); }

}  // namespace

TEST_CASE("every_metric_type_round_trips_through_the_reader") {
    ScratchDir dir;
    CProducer c(dir.path(), "app");
    mmw_metric reqs = 0, temp = 0, lat = 0;
    REQUIRE(mmw_declare_counter(c.p, "requests_total", &reqs) == MMW_OK);
    REQUIRE(mmw_declare_gauge(c.p, "temperature_celsius", &temp) == MMW_OK);
    REQUIRE(mmw_declare_histogram(c.p, "latency_nanoseconds", 2, 4, &lat) == MMW_OK);
    REQUIRE(mmw_publish(c.p) == MMW_OK);
    CHECK(mmw_counter_add(c.p, reqs, 41) == MMW_OK);
    CHECK(mmw_counter_add(c.p, reqs, 1) == MMW_OK);
    CHECK(mmw_gauge_set(c.p, temp, 20) == MMW_OK);
    CHECK(mmw_gauge_add(c.p, temp, -25) == MMW_OK);
    CHECK(mmw_histogram_record(c.p, lat, 5) == MMW_OK);
    CHECK(mmw_histogram_record_n(c.p, lat, 5, 2) == MMW_OK);

    const auto r = read_back(dir.path() + "/app.rezl");
    REQUIRE(r.layout.ok());
    const auto& ms = r.layout.value.metrics;
    REQUIRE(ms.size() == 3);
    CHECK(r.layout.value.name(ms[0]) == "requests_total");
    CHECK(ms[0].type == MetricType::counter);
    CHECK(ms[1].type == MetricType::gauge);
    CHECK(ms[2].type == MetricType::histogram);
    CHECK(ms[2].grouping_power == 2);
    CHECK(ms[2].max_power == 4);
    CHECK(r.value(0) == 42);
    CHECK(int64_t(r.value(1)) == -5);
    CHECK(r.value(2, h2::index_of(5, 2, 4)) == 3);
    CHECK(mmw_counter_value(c.p, reqs) == 42);
    CHECK(mmw_gauge_value(c.p, temp) == -5);
    CHECK(r.layout.value.header.minor == 0);
}

TEST_CASE("counter_at_u64_max_and_extreme_gauges_are_exact") {
    ScratchDir dir;
    Producer p(dir.path(), "edges");
    auto big = p.counter("big_total");
    auto low = p.gauge("low");
    auto high = p.gauge("high");
    REQUIRE(p.publish().ok());
    big.add(UINT64_MAX);
    low.set(INT64_MIN);
    high.set(INT64_MAX);
    const auto r = read_back(std::string(p.path()));
    REQUIRE(r.layout.ok());
    CHECK(r.value(0) == UINT64_MAX);
    CHECK(int64_t(r.value(1)) == INT64_MIN);
    CHECK(int64_t(r.value(2)) == INT64_MAX);
    big.add(1);  // documented: counters wrap modulo 2^64, like the format's u64
    CHECK(read_back(std::string(p.path())).value(0) == 0);
}

// Each value must land in the bucket whose inclusive bounds hold it, and
// values above the max in the last bucket.
static void check_histogram_edges(uint8_t g, uint8_t m) {
    CAPTURE(int(g));
    CAPTURE(int(m));
    ScratchDir dir;
    Producer p(dir.path(), "h");
    auto h = p.histogram("edges", g, m);
    REQUIRE(p.publish().ok());
    const uint64_t max = m == 64 ? UINT64_MAX : (uint64_t{1} << m) - 1;
    const uint64_t two_g1 = uint64_t{2} << g;
    const uint64_t values[] = {0, two_g1 - 1, two_g1, max};
    for (uint64_t v : values) h.record(v);
    const auto r = read_back(std::string(p.path()));
    REQUIRE(r.layout.ok());
    const uint64_t buckets = h2::bucket_count(g, m);
    CHECK(r.layout.value.metrics[0].words == buckets);
    std::map<uint64_t, uint64_t> expected;
    for (uint64_t v : values) {
        CAPTURE(v);
        const uint64_t i = h2::index_of(v, g, m);
        ++expected[i];
        if (v > max) {
            CHECK(i == buckets - 1);  // above the max: clamped into the last bucket
            continue;
        }
        CHECK(h2::lower_bound(i, g) <= v);
        CHECK(v <= h2::upper_bound(i, g, m));
    }
    CHECK(expected.begin()->first == 0);
    CHECK(expected.rbegin()->first == buckets - 1);
    if (m > g + 1) CHECK(expected.size() == 4);  // each edge has its own bucket
    for (uint64_t i = 0; i < buckets; ++i) {
        CAPTURE(i);
        CHECK(r.value(0, i) == (expected.count(i) ? expected[i] : 0));
    }
    if (m < 64) {
        h.record(max + 1);
        h.record(UINT64_MAX);
        CHECK(read_back(std::string(p.path())).value(0, buckets - 1) == expected[buckets - 1] + 2);
    }
}

TEST_CASE("histogram_edges_land_in_their_buckets_and_above_max_in_the_last") {
    check_histogram_edges(2, 4);
    check_histogram_edges(4, 32);
    check_histogram_edges(7, 64);
    check_histogram_edges(0, 1);
}

TEST_CASE("zero_metrics_file_is_accepted") {
    ScratchDir dir;
    Producer p(dir.path(), "empty");
    REQUIRE(p.publish().ok());
    const auto r = read_back(std::string(p.path()));
    CHECK(r.layout.ok());
    CHECK(r.bytes.size() == rezl::kHeaderBytes);
}

TEST_CASE("largest_valid_file_1024_metrics_of_255_byte_names") {
    ScratchDir dir;
    CProducer c(dir.path(), "big");
    for (int i = 0; i < 1024; ++i) {
        const std::string name = std::to_string(1000 + i) + std::string(251, 'a');
        mmw_metric m = 0;
        REQUIRE(mmw_declare_counter(c.p, name.c_str(), &m) == MMW_OK);
    }
    mmw_metric extra = 0;
    CHECK(mmw_declare_counter(c.p, "one_too_many", &extra) == MMW_ERR_TOO_MANY_METRICS);
    REQUIRE(mmw_publish(c.p) == MMW_OK);
    CHECK(mmw_counter_add(c.p, 1023, 7) == MMW_OK);
    const auto r = read_back(mmw_producer_path(c.p));
    REQUIRE(r.layout.ok());
    CHECK(r.layout.value.metrics.size() == 1024);
    CHECK(r.value(1023) == 7);
}

TEST_CASE("bad_declarations_are_refused_with_their_reason") {
    ScratchDir dir;
    CProducer c(dir.path(), "bad");
    mmw_metric m = 0;
    CHECK(mmw_declare_counter(c.p, "", &m) == MMW_ERR_NAME_EMPTY);
    CHECK(mmw_declare_counter(c.p, std::string(256, 'x').c_str(), &m) == MMW_ERR_NAME_TOO_LONG);
    CHECK(mmw_declare_counter(c.p, std::string(255, 'x').c_str(), &m) == MMW_OK);
    CHECK(mmw_declare_gauge(c.p, "\xC3\x28", &m) == MMW_ERR_NAME_NOT_UTF8);
    CHECK(mmw_declare_gauge(c.p, "dup", &m) == MMW_OK);
    CHECK(mmw_declare_counter(c.p, "dup", &m) == MMW_ERR_DUPLICATE_NAME);
    CHECK(std::string(mmw_producer_error(c.p)).find("duplicate_name") == 0);
    CHECK(mmw_declare_histogram(c.p, "g_equals_m", 4, 4, &m) == MMW_ERR_BAD_HISTOGRAM_CONFIG);
    CHECK(mmw_declare_histogram(c.p, "m_over_64", 4, 65, &m) == MMW_ERR_BAD_HISTOGRAM_CONFIG);
    CHECK(mmw_declare_histogram(c.p, "too_many_buckets", 12, 64, &m) == MMW_ERR_BAD_HISTOGRAM_CONFIG);
    CHECK(mmw_declare_counter(c.p, nullptr, &m) == MMW_ERR_NULL_ARGUMENT);
    CHECK(mmw_declare_counter(nullptr, "x", &m) == MMW_ERR_NULL_ARGUMENT);
    // The refused declarations left nothing behind: the file holds two.
    REQUIRE(mmw_publish(c.p) == MMW_OK);
    CHECK(read_back(mmw_producer_path(c.p)).layout.value.metrics.size() == 2);
}

TEST_CASE("bad_file_names_are_refused") {
    mmw_producer* p = nullptr;
    CHECK(mmw_producer_create("/tmp", "", 0, &p) == MMW_ERR_BAD_FILE_NAME);
    CHECK(mmw_producer_create("/tmp", ".hidden", 0, &p) == MMW_ERR_BAD_FILE_NAME);
    CHECK(mmw_producer_create("/tmp", "a/b", 0, &p) == MMW_ERR_BAD_FILE_NAME);
    CHECK(mmw_producer_create("/tmp", std::string(201, 'n').c_str(), 0, &p) == MMW_ERR_BAD_FILE_NAME);
    CHECK(p == nullptr);
}

TEST_CASE("metric_set_is_fixed_after_publish_and_updates_need_a_published_file") {
    ScratchDir dir;
    CProducer c(dir.path(), "fixed");
    mmw_metric ctr = 0, g = 0;
    REQUIRE(mmw_declare_counter(c.p, "a_total", &ctr) == MMW_OK);
    REQUIRE(mmw_declare_gauge(c.p, "b", &g) == MMW_OK);
    CHECK(mmw_counter_add(c.p, ctr, 1) == MMW_ERR_NOT_PUBLISHED);
    REQUIRE(mmw_publish(c.p) == MMW_OK);
    CHECK(mmw_declare_counter(c.p, "late_total", &ctr) == MMW_ERR_ALREADY_PUBLISHED);
    CHECK(mmw_publish(c.p) == MMW_ERR_ALREADY_PUBLISHED);
    CHECK(mmw_counter_add(c.p, g, 1) == MMW_ERR_BAD_METRIC);  // a gauge, not a counter
    CHECK(mmw_counter_add(c.p, 99, 1) == MMW_ERR_BAD_METRIC);
    CHECK(mmw_histogram_record(c.p, ctr, 1) == MMW_ERR_BAD_METRIC);
    mmw_producer_close(c.p);
    mmw_producer_close(c.p);  // twice is fine
    CHECK(mmw_counter_add(c.p, ctr, 1) == MMW_ERR_NOT_PUBLISHED);
    CHECK(mmw_publish(c.p) == MMW_ERR_ALREADY_PUBLISHED);
}

TEST_CASE("no_dot_file_left_after_publish_and_file_removed_on_close") {
    ScratchDir dir;
    {
        Producer p(dir.path(), "svc");
        (void)p.counter("x_total");
        REQUIRE(p.publish().ok());
        CHECK(dir.entries() == std::vector<std::string>{"svc.rezl"});
    }
    CHECK(dir.entries().empty());
}

TEST_CASE("keep_file_leaves_a_valid_file_after_close") {
    ScratchDir dir;
    {
        Producer p(dir.path(), "kept", {.keep_file = true});
        auto c = p.counter("x_total");
        REQUIRE(p.publish().ok());
        c.add(3);
    }
    const auto r = read_back(dir.path() + "/kept.rezl");
    REQUIRE(r.layout.ok());
    CHECK(r.value(0) == 3);
}

// A consumer may still have the old file mapped: replacing must give a new
// inode and leave the old contents whole, never truncate them under it.
TEST_CASE("stale_file_is_replaced_by_a_new_inode_not_truncated") {
    ScratchDir dir;
    const std::string path = dir.path() + "/stale.rezl";
    const std::string old_text = "old contents a consumer may still have mapped";
    for (bool in_place : {false, true}) {
        CAPTURE(in_place);
        { std::ofstream(path) << old_text; }
        const int held = ::open(path.c_str(), O_RDONLY);
        REQUIRE(held >= 0);
        Producer p(dir.path(), "stale", {.in_place = in_place});
        REQUIRE(p.publish().ok());
        struct stat was{}, now{};
        REQUIRE(::fstat(held, &was) == 0);
        REQUIRE(::stat(path.c_str(), &now) == 0);
        CHECK(was.st_ino != now.st_ino);
        CHECK(was.st_size == off_t(old_text.size()));
        CHECK(read_back(path).layout.ok());
        ::close(held);
    }
}

TEST_CASE("missing_or_unwritable_directory_is_create_failed_and_leaves_nothing") {
    for (const char* d : {"/nonexistent-mmwatch-dir", "/proc"}) {
        CAPTURE(d);
        Producer p(d, "x");
        (void)p.counter("a_total");
        const Status st = p.publish();
        CHECK(st.code == MMW_ERR_CREATE_FAILED);
        CHECK(st.message().find("create_failed") == 0);
        CHECK(!exists(std::string(d) + "/x.rezl"));
    }
}

// RLIMIT_FSIZE makes posix_fallocate fail with EFBIG exactly like a full
// disk fails with ENOSPC, without needing a full filesystem.
TEST_CASE("disk_full_is_no_space_and_no_file_is_visible") {
    ScratchDir dir;
    struct rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    Producer p(dir.path(), "full");
    (void)p.histogram("big", 7, 64);  // 59 KiB
    const Status st = p.publish();
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
    CHECK(st.code == MMW_ERR_NO_SPACE);
    CHECK(dir.entries().empty());
}

// A really full filesystem, when the environment provides one (for example
// a 64 KiB tmpfs): MMWATCH_TEST_FULL_DIR=/mnt/tiny.
TEST_CASE("full_filesystem_is_no_space_when_one_is_provided") {
    const char* full = std::getenv("MMWATCH_TEST_FULL_DIR");
    if (full == nullptr) return;
    Producer p(full, "full");
    for (int i = 0; i < 16; ++i) (void)p.histogram(std::to_string(i).insert(0, 1, 'h'), 7, 64);
    const Status st = p.publish();
    CHECK(st.code == MMW_ERR_NO_SPACE);
    CHECK(!exists(std::string(full) + "/full.rezl"));
}

TEST_CASE("first_declaration_error_is_sticky_and_publish_creates_nothing") {
    ScratchDir dir;
    Producer p(dir.path(), "sticky");
    (void)p.counter("ok_total");
    auto bad = p.counter("");
    (void)p.gauge("ok_total");  // a second error does not overwrite the first
    CHECK(p.status().code == MMW_ERR_NAME_EMPTY);
    CHECK(p.publish().code == MMW_ERR_NAME_EMPTY);
    CHECK(dir.entries().empty());
    bad.add(1);  // a null handle ignores updates
    CHECK(bad.value() == 0);
    Producer bad_name(dir.path(), "");
    CHECK(bad_name.publish().code == MMW_ERR_BAD_FILE_NAME);
}

TEST_CASE("every_error_code_has_a_name_and_a_message") {
    for (int e = MMW_OK; e <= MMW_ERR_OUT_OF_MEMORY; ++e) {
        CHECK(std::string(mmw_error_name(mmw_error(e))) != "unknown");
        CHECK(std::string(mmw_error_message(mmw_error(e))).size() > 5);
    }
    CHECK(std::string(mmw_error_name(MMW_ERR_NO_SPACE)) == "no_space");
}
