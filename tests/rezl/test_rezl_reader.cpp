#include <doctest/doctest.h>

#include "rezl/rezl.hpp"
#include "support/rezl_builder.hpp"

using namespace mmwatch;
using rezl::Reason;

static rezl::Result<rezl::Layout> parse(const std::vector<std::byte>& b) {
    return rezl::parse_layout(b, b.size());
}

TEST_CASE("valid_file_has_exact_layout") {
    auto f = test::build({{1, "requests_total"}, {2, "temperature"}, {3, "latency", 2, 4}});
    auto r = parse(f.bytes);
    REQUIRE(r.ok());
    REQUIRE(r.value.metrics.size() == 3);
    CHECK(r.value.name(r.value.metrics[0]) == "requests_total");
    CHECK(r.value.name(r.value.metrics[2]) == "latency");
    CHECK(r.value.metrics[0].type == rezl::MetricType::counter);
    CHECK(r.value.metrics[1].type == rezl::MetricType::gauge);
    CHECK(r.value.metrics[2].type == rezl::MetricType::histogram);
    CHECK(r.value.metrics[2].words == 12);
    CHECK(r.value.data_offset % 8 == 0);
    CHECK(r.value.data_offset == f.data_offset);
    CHECK(r.value.offset_of(r.value.metrics[1]) == f.offsets[1]);
    CHECK(r.value.offset_of(r.value.metrics[2]) == f.offsets[2]);
    CHECK(r.value.metrics[2].word == (f.offsets[2] - f.data_offset) / 8);
    CHECK(r.value.expected_size() == f.bytes.size());
}

TEST_CASE("zero_metrics_is_valid") {
    auto f = test::build({});
    auto r = parse(f.bytes);
    CHECK(r.ok());
    CHECK(r.value.metrics.empty());
    CHECK(f.bytes.size() == 16);
}

TEST_CASE("higher_minor_version_and_reserved_bits_are_accepted") {
    auto f = test::build({{1, "a"}});
    f.bytes[5] = std::byte{7};
    f.bytes[6] = std::byte{0xFF};
    f.bytes[7] = std::byte{0xAA};
    CHECK(parse(f.bytes).ok());
}

TEST_CASE("every_header_rejection_has_its_reason") {
    auto f = test::build({{1, "a"}});
    SUBCASE("shorter than a header") {
        std::vector<std::byte> b(f.bytes.begin(), f.bytes.begin() + 15);
        CHECK(parse(b).reason == Reason::truncated);
    }
    SUBCASE("bad magic") {
        f.bytes[0] = std::byte{'X'};
        CHECK(parse(f.bytes).reason == Reason::bad_magic);
    }
    SUBCASE("zero-filled header: allocated, not written yet") {
        std::memset(f.bytes.data(), 0, 16);
        CHECK(parse(f.bytes).reason == Reason::not_ready);
    }
    SUBCASE("byte-swapped magic") {
        std::memcpy(f.bytes.data(), "LZER", 4);
        CHECK(parse(f.bytes).reason == Reason::byte_swapped_magic);
    }
    SUBCASE("major version 2") {
        f.bytes[4] = std::byte{2};
        CHECK(parse(f.bytes).reason == Reason::bad_version);
    }
    SUBCASE("major version 0") {
        f.bytes[4] = std::byte{0};
        CHECK(parse(f.bytes).reason == Reason::bad_version);
    }
    SUBCASE("not ready") {
        f.bytes[6] = std::byte{0xFE};
        CHECK(parse(f.bytes).reason == Reason::not_ready);
    }
    SUBCASE("1025 metrics") {
        test::put_le32(f.bytes, 8, 1025);
        CHECK(parse(f.bytes).reason == Reason::too_many_metrics);
    }
    SUBCASE("catalog size past the file") {
        test::put_le32(f.bytes, 12, uint32_t(f.bytes.size()));
        CHECK(parse(f.bytes).reason == Reason::catalog_overrun);
    }
    SUBCASE("catalog size absurd") {
        test::put_le32(f.bytes, 12, 0xFFFFFFFF);
        CHECK(parse(f.bytes).reason == Reason::catalog_overrun);
    }
}

TEST_CASE("every_catalog_rejection_has_its_reason") {
    SUBCASE("type 0") {
        auto f = test::build({{0, "a"}});
        CHECK(parse(f.bytes).reason == Reason::bad_type);
    }
    SUBCASE("type 4") {
        auto f = test::build({{4, "a"}});
        CHECK(parse(f.bytes).reason == Reason::bad_type);
    }
    SUBCASE("g == m") {
        auto f = test::build({{3, "h", 4, 4}});
        CHECK(parse(f.bytes).reason == Reason::bad_histogram_config);
    }
    SUBCASE("m > 64") {
        auto f = test::build({{3, "h", 2, 65}});
        CHECK(parse(f.bytes).reason == Reason::bad_histogram_config);
    }
    SUBCASE("bucket count over the limit") {
        auto f = test::build({{3, "h", 20, 64}});
        CHECK(parse(f.bytes).reason == Reason::bad_histogram_config);
    }
    SUBCASE("empty name") {
        auto f = test::build({{1, ""}});
        CHECK(parse(f.bytes).reason == Reason::bad_name_length);
    }
    SUBCASE("invalid utf8") {
        auto f = test::build({{1, std::string("a\xff") + "b"}});
        CHECK(parse(f.bytes).reason == Reason::bad_name_utf8);
    }
    SUBCASE("overlong utf8") {
        auto f = test::build({{1, "\xc0\xaf"}});
        CHECK(parse(f.bytes).reason == Reason::bad_name_utf8);
    }
    SUBCASE("surrogate in utf8") {
        auto f = test::build({{1, "\xed\xa0\x80"}});
        CHECK(parse(f.bytes).reason == Reason::bad_name_utf8);
    }
    SUBCASE("count claims more entries than the catalog holds") {
        auto f = test::build({{1, "a"}});
        test::put_le32(f.bytes, 8, 2);
        CHECK(parse(f.bytes).reason == Reason::catalog_overrun);
    }
    SUBCASE("catalog holds more bytes than the entries") {
        auto f = test::build({{1, "a"}, {1, "b"}});
        test::put_le32(f.bytes, 8, 1);
        CHECK(parse(f.bytes).reason == Reason::catalog_overrun);
    }
    SUBCASE("name runs past the catalog") {
        auto f = test::build({{1, "abc"}});
        f.bytes[17] = std::byte{200};
        CHECK(parse(f.bytes).reason == Reason::catalog_overrun);
    }
}

TEST_CASE("size_must_match_exactly") {
    auto f = test::build({{1, "a"}, {3, "h", 2, 4}});
    SUBCASE("one byte short") {
        f.bytes.pop_back();
        CHECK(parse(f.bytes).reason == Reason::size_mismatch);
    }
    SUBCASE("one byte long") {
        f.bytes.push_back(std::byte{0});
        CHECK(parse(f.bytes).reason == Reason::size_mismatch);
    }
    SUBCASE("prefix shorter than the catalog") {
        auto r = rezl::parse_layout(std::span(f.bytes).first(17), f.bytes.size());
        CHECK(r.reason == Reason::truncated);
    }
}

TEST_CASE("reason_names_are_stable") {
    CHECK(rezl::reason_name(Reason::bad_magic) == "bad_magic");
    CHECK(rezl::reason_name(Reason::byte_swapped_magic) == "byte_swapped_magic");
    CHECK(rezl::reason_name(Reason::read_fault) == "read_fault");
    CHECK(rezl::reason_name(Reason::open_failed) == "open_failed");
    for (size_t i = 0; i < rezl::kReasonCount; ++i) {
        CHECK(!rezl::reason_name(Reason(i)).empty());
        CHECK(!rezl::reason_message(Reason(i)).empty());
    }
}
