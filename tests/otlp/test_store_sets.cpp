// Label sets, the cache of attribute lists as sent, and the memo of each
// family's number points by position (store_sets.cpp): whatever order a
// sender uses, a point lands on the series of its own attributes.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "support/otlp_test_util.hpp"
#include "otlp/store.hpp"

using namespace mmwatch;
using namespace mmwatch::otlp;

namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

IngestResult feed(Store& store, const std::string& body, int64_t now) {
    static Decoder dec;
    static DecodedRequest decoded;
    const DecodeResult d = dec.decode(body, decoded);
    REQUIRE(d.error == DecodeError::none);
    return store.ingest(decoded, now);
}

// One gauge whose points carry x=<key> and the value given, in this order.
std::string gauge_points(const std::vector<std::pair<std::string, double>>& points, int64_t t, std::string_view service = "checkout") {
    std::string m = R"({"name":"g","gauge":{"dataPoints":[)";
    for (size_t i = 0; i < points.size(); ++i) {
        if (i) m += ',';
        m += R"({"attributes":[{"key":"x","value":{"stringValue":")" + points[i].first +
             R"("}}],"timeUnixNano":")" + std::to_string(t) + R"(","asDouble":)" + std::to_string(points[i].second) + "}";
    }
    m += "]}}";
    return test::otlp_body(m, service);
}

// The newest value of every series, by its x attribute and service.
std::map<std::string, double> latest(const Store& store) {
    std::map<std::string, double> out;
    for (const Series& s : store.series()) {
        std::string x;
        for (const LabelIds& l : store.label_set(s.key.attrs))
            if (store.strings().get(l.key) == "x") x = std::string(store.strings().get(l.value));
        const uint32_t service_set = store.resources()[s.key.resource].attrs;
        for (const LabelIds& l : store.label_set(service_set)) x += "@" + std::string(store.strings().get(l.value));
        out[x] = s.last_value;
    }
    return out;
}

}  // namespace

TEST_CASE("points_sent_again_in_another_order_land_on_their_own_series") {
    Store store({});
    feed(store, gauge_points({{"a", 1}, {"b", 2}, {"c", 3}}, kT0), kT0);
    feed(store, gauge_points({{"a", 1}, {"b", 2}, {"c", 3}}, kT0 + kSec), kT0);  // the memo is now filled
    feed(store, gauge_points({{"c", 30}, {"a", 10}, {"b", 20}}, kT0 + 2 * kSec), kT0);
    CHECK(latest(store) == std::map<std::string, double>{{"a@checkout", 10}, {"b@checkout", 20}, {"c@checkout", 30}});
    CHECK(store.series().size() == 3);
}

TEST_CASE("a_position_that_changes_its_attributes_gets_its_own_series") {
    Store store({});
    for (int i = 0; i < 2; ++i) feed(store, gauge_points({{"a", 1}, {"b", 2}}, kT0 + i * kSec), kT0);
    // Same first bytes, a list longer or shorter, an empty one, one fewer point.
    feed(store, gauge_points({{"ab", 5}, {"", 6}}, kT0 + 2 * kSec), kT0);
    feed(store, gauge_points({{"a", 7}}, kT0 + 3 * kSec), kT0);
    CHECK(latest(store) ==
          std::map<std::string, double>{{"a@checkout", 7}, {"b@checkout", 2}, {"ab@checkout", 5}, {"@checkout", 6}});
}

TEST_CASE("two_services_alternating_on_one_family_keep_their_series_apart") {
    Store store({});
    for (int i = 0; i < 4; ++i) {
        feed(store, gauge_points({{"a", 100.0 + i}}, kT0 + i * kSec, "one"), kT0);
        feed(store, gauge_points({{"a", 200.0 + i}}, kT0 + i * kSec, "two"), kT0);
    }
    CHECK(latest(store) == std::map<std::string, double>{{"a@one", 103}, {"a@two", 203}});
    CHECK(store.series().size() == 2);
}

TEST_CASE("the_same_request_again_and_again_grows_no_identity") {
    Store store({});
    std::vector<std::pair<std::string, double>> points;
    for (int i = 0; i < 300; ++i) points.emplace_back("p" + std::to_string(i), i);
    feed(store, gauge_points(points, kT0), kT0);
    const size_t first = store.identity_bytes();
    feed(store, gauge_points(points, kT0 + kSec), kT0);
    const size_t bytes = store.identity_bytes();
    // The second request only fills the memo: a slot per point, doubling.
    CHECK(bytes - first <= 512 * sizeof(Family::Memo));
    for (int r = 2; r < 50; ++r) {
        const IngestResult res = feed(store, gauge_points(points, kT0 + r * kSec), kT0);
        CHECK(res.accepted == 300);
    }
    CHECK(store.identity_bytes() == bytes);
    CHECK(store.series().size() == 300);
}

// A point found through the memo is still checked: no value is refused,
// an older timestamp is out of order.
TEST_CASE("a_point_found_by_position_is_still_checked") {
    Store store({});
    for (int i = 0; i < 2; ++i) feed(store, gauge_points({{"a", 1}}, kT0 + (i + 5) * kSec), kT0);
    IngestResult r = feed(store, gauge_points({{"a", 1}}, kT0), kT0);
    CHECK(r.rejected == 1);
    CHECK(r.first_reason == Reject::out_of_order);
    const std::string no_value = test::otlp_body(
        R"({"name":"g","gauge":{"dataPoints":[{"attributes":[{"key":"x","value":{"stringValue":"a"}}],"timeUnixNano":")" +
        std::to_string(kT0 + 9 * kSec) + R"("}]}})");
    r = feed(store, no_value, kT0);
    CHECK(r.rejected == 1);
    CHECK(r.first_reason == Reject::no_value);
}
