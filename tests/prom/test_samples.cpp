#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "prom/samples.hpp"
#include "prom/series_set.hpp"

using namespace mmwatch;
using namespace mmwatch::prom;

namespace {

std::vector<std::string> labels_of(const SampleCollector& c, size_t i) {
    std::vector<std::string> out;
    for_each_label(c.labels(i), [&](std::string_view n, std::string_view v) { out.push_back(std::string(n) + "=" + std::string(v)); });
    return out;
}

SampleCollector collector() {
    return SampleCollector({{"instance", "host:9479"}, {"job", "mmwatch"}}, {{"region", "eu"}, {"job", "ignored"}});
}

}  // namespace

TEST_CASE("samples_carry_sorted_labels_name_first_and_target_and_external_labels") {
    SampleCollector c = collector();
    std::string labels;
    c.label(labels, "zone", "b");
    c.label(labels, "app", "web");
    c.family("requests_total", prom::Kind::counter, "help", "");
    c.metric(labels);
    c.value(7);
    REQUIRE(c.series_count() == 1);
    CHECK(labels_of(c, 0) == std::vector<std::string>{"__name__=requests_total", "app=web",
                                                                "instance=host:9479", "job=mmwatch", "region=eu",
                                                                "zone=b"});
    CHECK(c.value_of(0) == 7);
}

TEST_CASE("a_series_own_job_and_instance_become_exported_labels_and_external_ones_never_override") {
    SampleCollector c = collector();
    std::string labels;
    c.label(labels, "job", "shop");
    c.label(labels, "region", "us");
    c.family("temp", prom::Kind::gauge, "", "");
    c.metric(labels);
    c.value(1);
    CHECK(labels_of(c, 0) == std::vector<std::string>{"__name__=temp", "exported_job=shop",
                                                                "instance=host:9479", "job=mmwatch", "region=us"});
}

TEST_CASE("histograms_and_summaries_become_the_series_a_scrape_stores") {
    SampleCollector c = collector();
    c.family("lat", prom::Kind::histogram, "", "");
    c.metric({});
    c.bucket(0.25, 1);
    c.bucket(HUGE_VAL, 3);
    c.sum(1.5);
    c.count(3);
    c.family("rpc", prom::Kind::summary, "", "");
    c.metric({});
    c.quantile(0.5, 0.1);
    REQUIRE(c.series_count() == 5);
    CHECK(labels_of(c, 0)[0] == "__name__=lat_bucket");
    CHECK(labels_of(c, 0)[3] == "le=0.25");
    CHECK(labels_of(c, 1)[3] == "le=+Inf");
    CHECK(labels_of(c, 2)[0] == "__name__=lat_sum");
    CHECK(labels_of(c, 3)[0] == "__name__=lat_count");
    CHECK(labels_of(c, 4)[2] == "job=mmwatch");
    CHECK(labels_of(c, 4)[3] == "quantile=0.5");
}

namespace {

// `labels` into the set, as a collector adds them: appended, then taken
// back if the set had them.
bool add_to(SeriesSet& set, std::string_view labels) {
    std::string& arena = set.arena();
    const size_t begin = arena.size();
    arena.append(labels);
    const bool added = set.insert(begin, uint32_t(labels.size()));
    if (!added) arena.resize(begin);
    return added;
}

}  // namespace

TEST_CASE("a_series_set_holds_each_label_set_once_and_finds_it_by_content") {
    SeriesSet set;
    const auto add = [&](std::string_view labels) { return add_to(set, labels); };
    const std::string first("k\0" "1\0", 4), second("k\0" "2\0", 4);
    CHECK(add(first));
    CHECK(add(second));
    CHECK_FALSE(add(first));  // a repeat of the first
    REQUIRE(set.size() == 2);
    CHECK(set[0] == first);
    CHECK(set[1] == second);
    CHECK(set.contains(second));
    CHECK_FALSE(set.contains(first.substr(0, first.size() - 1)));
    // Past the index's first growth: every series still found, none twice.
    SeriesSet big;
    int added = 0;
    for (int i = 0; i < 5000; ++i) added += add_to(big, std::string("i\0", 2) + std::to_string(i % 2500) + '\0');
    CHECK(added == 2500);
    CHECK(big.size() == 2500);
    CHECK(big.contains(std::string("i\0" "2499\0", 7)));
}

TEST_CASE("a_collector_keeps_the_first_sample_of_a_label_set_and_drops_its_repeats") {
    SampleCollector c = collector();
    c.family("g", prom::Kind::gauge, "", "");
    std::string a, b;
    c.label(a, "k", "1");
    c.label(b, "k", "2");
    for (const auto& [l, v] : {std::pair{&a, 1.0}, std::pair{&b, 2.0}, std::pair{&a, 3.0}}) {
        c.metric(*l);
        c.value(v);
    }
    REQUIRE(c.series_count() == 2);
    CHECK(labels_of(c, 0)[1] == "instance=host:9479");
    CHECK(labels_of(c, 0)[3] == "k=1");
    CHECK(labels_of(c, 1)[3] == "k=2");
    CHECK(c.value_of(0) == 1);
    CHECK(c.value_of(1) == 2);
}

TEST_CASE("a_batch_holds_each_series_once_with_its_first_value_at_one_time") {
    SampleCollector c = collector();
    c.family("g", Kind::gauge, "", "");
    std::string a, b;
    c.label(a, "k", "1");
    c.label(b, "k", "2");
    for (const auto& [labels, v] : {std::pair{&a, 1.0}, std::pair{&b, 2.0}, std::pair{&a, 3.0}}) {
        c.metric(*labels);
        c.value(v);
    }
    const std::string first(c.labels(0));
    const SampleBatch batch(std::move(c), 1234);
    REQUIRE(batch.size() == 2);
    CHECK(batch.labels(0) == first);
    CHECK(batch.value(0) == 1);  // the repeat (3) is not a second sample of the series
    CHECK(batch.value(1) == 2);
    CHECK(batch.t_ms() == 1234);
    CHECK(batch.contains(first));
}

TEST_CASE("the_staleness_marker_is_prometheus_stale_nan") {
    CHECK(std::bit_cast<uint64_t>(stale_marker()) == kStaleNaN);
}

// The file plan's series are distinct by construction (one per family and
// file): added without a lookup or an index slot each. A series written
// after them is compared with them only when its __name__ is one of
// theirs; then that family's (and only that family's) are indexed, once,
// and a repeat is still dropped.
TEST_CASE("distinct_series_skip_the_index_and_a_later_series_under_their_name_is_still_compared_with_them") {
    SampleCollector c = collector();
    std::string a, b, z;
    c.label(a, "k", "1");
    c.label(b, "k", "2");
    c.label(z, "k", "3");
    c.distinct_series(true);
    c.family("g", Kind::gauge, "", "");
    for (const std::string* l : {&a, &b}) {
        c.metric(*l);
        c.value(1);
    }
    c.family("lat", Kind::histogram, "", "");
    c.metric(a);
    c.bucket(HUGE_VAL, 3);
    c.count(3);
    c.distinct_series(false);
    REQUIRE(c.series_count() == 4);
    CHECK(c.compared_count() == 0);
    // h is no distinct series' name: compared with the others only.
    c.family("h", Kind::gauge, "", "");
    c.metric(a);
    c.value(2);
    c.metric(a);
    c.value(3);  // a repeat of h{k="1"}
    CHECK(c.series_count() == 5);
    CHECK(c.compared_count() == 1);
    // g{k="2"} and lat_count{k="1"} repeat distinct series: dropped.
    c.family("g", Kind::gauge, "", "");
    c.metric(b);
    c.value(4);
    CHECK(c.compared_count() == 3);  // h's, and g's two: not lat's
    c.family("lat_count", Kind::gauge, "", "");
    c.metric(a);
    c.value(5);
    CHECK(c.series_count() == 5);
    CHECK(c.compared_count() == 5);  // lat's two too, once
    c.family("g", Kind::gauge, "", "");
    c.metric(z);
    c.value(6);
    REQUIRE(c.series_count() == 6);
    CHECK(c.value_of(1) == 1);  // g{k="2"} keeps its first value
    CHECK(labels_of(c, 5)[3] == "k=3");
}

TEST_CASE("a_series_set_finds_label_sets_added_distinct_before_and_after_indexing_them") {
    SeriesSet set;
    const std::string first("k\0" "1\0", 4), second("k\0" "2\0", 4), third("k\0" "3\0", 4);
    for (const std::string* l : {&first, &second}) {
        const size_t begin = set.arena().size();
        set.arena().append(*l);
        set.add_distinct(begin, uint32_t(l->size()));
    }
    CHECK(set.indexed() == 0);
    CHECK(set.contains(first));
    CHECK(set.contains(second));
    CHECK_FALSE(set.contains(third));
    CHECK(add_to(set, third));  // insert(): the distinct ones indexed first
    CHECK(set.indexed() == 3);
    CHECK_FALSE(add_to(set, second));
    CHECK(set.contains(first));
    CHECK(set.hash_of(1) == SeriesSet::hash(second));
}
