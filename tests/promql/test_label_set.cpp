#include <doctest/doctest.h>

#include "promql/label_set.hpp"

using namespace mmwatch::promql;

namespace {
Labels L(std::vector<std::pair<std::string, std::string>> p) { return Labels::from_pairs(std::move(p)); }
}  // namespace

TEST_CASE("xxhash64_matches_the_reference_vectors") {
    // XXH64 with seed 0, from the reference implementation's test vectors.
    CHECK(xxhash64("") == 0xEF46DB3751D8E999ull);
    CHECK(xxhash64("a") == 0xD24EC4F1A98C6E5Bull);
    CHECK(xxhash64("abc") == 0x44BC2CF5AD770999ull);
    // Long input exercises the 32-byte stripes.
    CHECK(xxhash64("Nobody inspects the spammish repetition") == 0xFBCEA83C8A378BF1ull);
}

TEST_CASE("label_sets_are_sorted_and_drop_empty_values") {
    const Labels a = L({{"job", "api"}, {"__name__", "up"}, {"empty", ""}});
    CHECK(a.size() == 2);
    CHECK(a.get("__name__") == "up");
    CHECK(a.get("job") == "api");
    CHECK(a.get("empty").empty());
    CHECK(!a.has("empty"));
    CHECK(a.to_string() == R"({__name__="up", job="api"})");
    CHECK(L({}).empty());
    CHECK(L({{"a", ""}}).empty());
}

TEST_CASE("a_repeated_name_keeps_its_last_value") {
    CHECK(L({{"a", "1"}, {"a", "2"}}).get("a") == "2");
}

TEST_CASE("equal_label_sets_share_hash_and_encoding") {
    const Labels a = L({{"a", "1"}, {"b", "2"}});
    const Labels b = L({{"b", "2"}, {"a", "1"}});
    CHECK(a == b);
    CHECK(a.hash() == b.hash());
    CHECK(!(a == L({{"a", "1"}})));
    // The hash is xxhash64 of Prometheus's encoding: length-prefixed strings.
    CHECK(L({{"a", "1"}}).hash() == xxhash64(std::string("\x01" "a" "\x01" "1", 4)));
}

TEST_CASE("a_value_of_255_bytes_or_more_takes_a_four_byte_length") {
    const std::string long_value(300, 'x');
    const Labels a = L({{"v", long_value}, {"w", "1"}});
    CHECK(a.get("v") == long_value);
    CHECK(a.get("w") == "1");
    CHECK(a.encoded().size() == (1 + 1) + (4 + 300) + (1 + 1) + (1 + 1));
}

TEST_CASE("compare_orders_as_prometheus_labels_compare") {
    CHECK(compare(L({{"a", "1"}}), L({{"a", "2"}})) < 0);
    CHECK(compare(L({{"a", "2"}}), L({{"b", "1"}})) < 0);
    CHECK(compare(L({{"a", "1"}}), L({{"a", "1"}, {"b", "1"}})) < 0);
    CHECK(compare(L({{"a", "1"}, {"b", "1"}}), L({{"a", "1"}})) > 0);
    CHECK(compare(L({{"a", "1"}}), L({{"a", "1"}})) == 0);
    CHECK(compare(Labels(), L({{"a", "1"}})) < 0);
}

TEST_CASE("to_string_quotes_like_go") {
    CHECK(L({{"foo.bar", "x"}}).to_string() == R"({"foo.bar"="x"})");
    CHECK(L({{"a", "line\nbreak \"q\" \\"}}).to_string() == R"({a="line\nbreak \"q\" \\"})");
    CHECK(L({{"a", std::string("\xc5")}}).to_string() == R"({a="\xc5"})");
    CHECK(L({{"a", "é"}}).to_string() == "{a=\"é\"}");
}

TEST_CASE("builder_set_del_keep_and_metadata") {
    const Labels base = L({{"__name__", "m"}, {"__type__", "counter"}, {"a", "1"}, {"b", "2"}});
    LabelsBuilder b(base);
    b.set("c", "3");
    b.del("b");
    b.set("a", "");  // an empty value deletes
    CHECK(b.labels().to_string() == R"({__name__="m", __type__="counter", c="3"})");
    b.keep({"c"});
    CHECK(b.labels().to_string() == R"({c="3"})");
    CHECK(drop_metadata(base).to_string() == R"({a="1", b="2"})");
    CHECK(is_metadata_label("__unit__"));
    CHECK(!is_metadata_label("job"));
}

TEST_CASE("label_name_validity") {
    CHECK(is_legacy_label_name("a_1"));
    CHECK(!is_legacy_label_name("1a"));
    CHECK(!is_legacy_label_name("a.b"));
    CHECK(is_valid_label_name("a.b"));
    CHECK(!is_valid_label_name(""));
    CHECK(!is_valid_label_name("a\xc5z"));
}

TEST_CASE("copies_share_one_block") {
    Labels a = L({{"a", "1"}});
    Labels b = a;
    Labels c = std::move(b);
    CHECK(c == a);
    CHECK(b.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    c = Labels();
    CHECK(a.get("a") == "1");
}
