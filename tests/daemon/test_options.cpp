#include <doctest/doctest.h>

#include "daemon/options.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

static std::optional<Options> parse(std::vector<std::string_view> args, std::string& err) {
    return parse_options(args, err);
}

TEST_CASE("durations_parse_with_units") {
    CHECK(parse_duration_ms("250ms") == 250);
    CHECK(parse_duration_ms("2s") == 2000);
    CHECK(parse_duration_ms("1m") == 60000);
    CHECK(parse_duration_ms("1h") == 3600000);
    CHECK(parse_duration_ms("0") == 0);
    CHECK_FALSE(parse_duration_ms("10"));
    CHECK_FALSE(parse_duration_ms("s"));
    CHECK_FALSE(parse_duration_ms("1.5s"));
    CHECK_FALSE(parse_duration_ms("-1s"));
    CHECK_FALSE(parse_duration_ms("99999999999999999999s"));
}

TEST_CASE("sizes_parse_with_binary_suffixes") {
    CHECK(parse_size("4096") == 4096);
    CHECK(parse_size("64Ki") == 65536);
    CHECK(parse_size("1Gi") == (uint64_t{1} << 30));
    CHECK_FALSE(parse_size("1GB"));
    CHECK_FALSE(parse_size(""));
}

TEST_CASE("listen_addresses") {
    std::string host;
    int port = 0;
    CHECK(parse_listen("127.0.0.1:0", host, port));
    CHECK(host == "127.0.0.1");
    CHECK(port == 0);
    CHECK(parse_listen("[::1]:9479", host, port));
    CHECK(host == "::1");
    CHECK(port == 9479);
    CHECK_FALSE(parse_listen("::1:9479", host, port));
    CHECK_FALSE(parse_listen("localhost", host, port));
    CHECK_FALSE(parse_listen("localhost:65536", host, port));
}

TEST_CASE("defaults_and_flags") {
    std::string err;
    auto o = parse({"--dir", "/tmp/x"}, err);
    REQUIRE(o);
    CHECK(o->interval_ms == 1000);
    CHECK(o->listen_host == "127.0.0.1");
    CHECK(o->listen_port == 9479);
    CHECK(o->grouping_power == 3);
    CHECK(o->stale_after_ms == 5 * 60'000);  // a dead producer's frozen file shows as stale by default
    o = parse({"--dir=/d", "--interval", "250ms", "--histogram-grouping-power=5", "--max-files", "10"}, err);
    REQUIRE(o);
    CHECK(o->dir == "/d");
    CHECK(o->interval_ms == 250);
    CHECK(o->grouping_power == 5);
    CHECK(o->max_files == 10);
    o = parse({"--dir", "/d", "--stale-after", "0"}, err);
    REQUIRE(o);
    CHECK(o->stale_after_ms == 0);
}

TEST_CASE("bad_flags_name_the_problem") {
    std::string err;
    CHECK_FALSE(parse({}, err));
    CHECK(err.find("--dir") != std::string::npos);
    CHECK_FALSE(parse({"--dir", "d", "--bogus"}, err));
    CHECK(err.find("--bogus") != std::string::npos);
    CHECK_FALSE(parse({"--dir", "d", "--interval", "5"}, err));
    CHECK(err.find("--interval") != std::string::npos);
    CHECK_FALSE(parse({"--dir", "d", "--interval", "1ms"}, err));
    CHECK_FALSE(parse({"--dir", "d", "--histogram-grouping-power", "17"}, err));
    CHECK_FALSE(parse({"--dir"}, err));
    CHECK(err.find("needs a value") != std::string::npos);
}

TEST_CASE("usage_lists_every_flag") {
    const std::string u = usage();
    for (const char* f : {"--dir", "--listen", "--interval", "--ready-timeout", "--histogram-grouping-power",
                          "--max-files", "--stale-after", "--event-log", "--help", "--version"}) {
        CHECK(u.find(f) != std::string::npos);
    }
}

TEST_CASE("dash_h_is_help_and_usage_shows_both_names") {
    std::string err;
    const auto o = parse({"-h"}, err);
    REQUIRE(o);
    CHECK(o->help);
    CHECK(usage().find("\n  -h, --help ") != std::string::npos);
    CHECK_FALSE(parse({"-x"}, err));  // only the flags the table names
    CHECK(err.find("unknown argument '-x'") != std::string::npos);
}

TEST_CASE("history_flags_have_their_documented_defaults_and_ranges") {
    std::string err;
    const auto o = parse({"--dir", "/d"}, err);
    REQUIRE(o);
    CHECK(o->history_bytes == 32ull << 20);
    CHECK(o->history_max_series == 100'000);
    CHECK(o->history_interval_ms == 15'000);
    CHECK(o->history_dir.empty());
    CHECK(o->history_disk_bytes == 256ull << 20);
    CHECK(o->history_flush_interval_ms == 300'000);
    const auto set = parse({"--dir", "/d", "--history-bytes", "1Mi", "--history-interval", "1s", "--history-dir",
                            "/var/lib/mmwatch/history", "--history-disk-bytes", "4Mi", "--history-flush-interval",
                            "10s", "--history-max-series", "1"},
                           err);
    REQUIRE(set);
    CHECK(set->history_bytes == 1u << 20);
    CHECK(set->history_interval_ms == 1000);
    CHECK(set->history_dir == "/var/lib/mmwatch/history");
    CHECK(set->history_flush_interval_ms == 10'000);
    for (const auto& bad : std::vector<std::vector<std::string_view>>{
             {"--history-bytes", "1023Ki"}, {"--history-interval", "999ms"}, {"--history-interval", "2h"},
             {"--history-dir", ""}, {"--history-disk-bytes", "1Mi"}, {"--history-flush-interval", "9s"},
             {"--history-max-series", "0"}}) {
        std::vector<std::string_view> args = {"--dir", "/d", bad[0], bad[1]};
        CHECK_FALSE(parse(args, err));
        CHECK(err.find(std::string(bad[0])) != std::string::npos);
    }
}

TEST_CASE("query_flags_have_defaults_and_ranges") {
    std::string err;
    const auto o = parse({"--dir", "/d"}, err);
    REQUIRE(o);
    CHECK(o->query_max_samples == 5'000'000);
    CHECK(o->query_timeout_ms == 120'000);
    CHECK(o->query_max_concurrency == 4);
    const auto set =
        parse({"--dir", "/d", "--query-max-samples", "1000", "--query-timeout", "1s", "--query-max-concurrency", "64"},
              err);
    REQUIRE(set);
    CHECK(set->query_max_samples == 1000);
    CHECK(set->query_timeout_ms == 1000);
    CHECK(set->query_max_concurrency == 64);
    for (const auto& bad : std::vector<std::vector<std::string_view>>{
             {"--query-max-samples", "999"}, {"--query-max-samples", "1000000001"}, {"--query-timeout", "999ms"},
             {"--query-timeout", "2h"}, {"--query-max-concurrency", "0"}, {"--query-max-concurrency", "65"}}) {
        std::vector<std::string_view> args = {"--dir", "/d", bad[0], bad[1]};
        CHECK_FALSE(parse(args, err));
        CHECK(err.find(std::string(bad[0])) != std::string::npos);
    }
}
