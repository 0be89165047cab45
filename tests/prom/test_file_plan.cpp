#include <doctest/doctest.h>

#include <cstring>
#include <functional>

#include "prom/file_plan.hpp"
#include "mmwatch/h2.hpp"
#include "support/rezl_builder.hpp"

using namespace mmwatch;

namespace {

// One parsed test file with a data snapshot we can set.
struct File {
    rezl::Layout layout;
    std::vector<uint64_t> words;
    uint64_t activation = 1;
    std::string label;

    File(std::string lbl, const std::vector<test::Entry>& entries) : label(std::move(lbl)) {
        auto b = test::build(entries);
        auto r = rezl::parse_layout(b.bytes, b.bytes.size());
        REQUIRE(r.ok());
        layout = r.value;
        words.assign(layout.data_words, 0);
    }
    uint64_t& word(size_t metric, size_t i = 0) {
        return words[layout.metrics[metric].word + i];
    }
};

struct Fixture {
    std::vector<File*> files;
    prom::FilePlan plan;
    std::vector<prom::Drop> drops;

    std::vector<prom::FileView> views() {
        std::vector<prom::FileView> v;
        uint64_t id = 1;
        for (File* f : files) v.push_back({id++, f->activation, f->label, &f->layout, f->words});
        return v;
    }
    std::string render(unsigned g = 16, size_t max_series = 1000) {
        auto v = views();
        plan.rebuild(v, {"mmwatch_sources"}, max_series);
        for (auto& d : plan.take_new_drops()) drops.push_back(d);
        std::string out;
        plan.render(v, g, out, SIZE_MAX);
        return out;
    }
};

bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("names_are_sanitized") {
    auto s = [](std::string_view raw) {
        std::string out;
        prom::append_sanitized_name(raw, out);
        return out;
    };
    CHECK(s("http_requests") == "http_requests");
    CHECK(s("http.requests-total") == "http_requests_total");
    CHECK(s("9lives") == "_9lives");
    CHECK(s("a:b") == "a:b");
    CHECK(s("evil\n# TYPE x counter") == "evil___TYPE_x_counter");
    CHECK(s("caf\xc3\xa9") == "caf_");  // one '_' per character, not per byte
}

TEST_CASE("counters_get_total_suffix_once") {
    CHECK(prom::exposed_name("requests", rezl::MetricType::counter) == "requests_total");
    CHECK(prom::exposed_name("requests_total", rezl::MetricType::counter) == "requests_total");
    CHECK(prom::exposed_name("temp", rezl::MetricType::gauge) == "temp");
}

TEST_CASE("u64_and_negative_gauges_are_exact") {
    File f("app", {{1, "big_total"}, {2, "neg"}});
    f.word(0) = 9223372036854775813ull;
    f.word(1) = uint64_t(int64_t{-42});
    Fixture fx;
    fx.files = {&f};
    const auto out = fx.render();
    CHECK(contains(out, "# TYPE big_total counter\nbig_total{name=\"app\"} 9223372036854775813\n"));
    CHECK(contains(out, "# TYPE neg gauge\nneg{name=\"app\"} -42\n"));
}

TEST_CASE("one_family_across_files_one_type_line") {
    File a("a", {{2, "temp"}});
    File b("b", {{2, "temp"}});
    a.word(0) = 1;
    b.word(0) = 2;
    Fixture fx;
    fx.files = {&a, &b};
    const auto out = fx.render();
    CHECK(out == "# TYPE temp gauge\ntemp{name=\"a\"} 1\ntemp{name=\"b\"} 2\n");
}

TEST_CASE("type_conflict_keeps_first_seen_type") {
    File a("a", {{2, "x"}});
    File b("b", {{3, "x", 1, 4}});
    Fixture fx;
    fx.files = {&a, &b};
    const auto out = fx.render();
    CHECK(contains(out, "# TYPE x gauge\nx{name=\"a\"} 0\n"));
    CHECK_FALSE(contains(out, "x_bucket"));
    REQUIRE(fx.drops.size() == 1);
    CHECK(fx.drops[0].kind == prom::DropKind::type_conflict);
    CHECK(fx.drops[0].label == "b");
    // Reported once, not on every rebuild.
    fx.render();
    CHECK(fx.drops.size() == 1);
}

TEST_CASE("counter_and_gauge_named_total_conflict") {
    File a("a", {{1, "jobs"}, {2, "jobs_total"}});
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render();
    CHECK(contains(out, "# TYPE jobs_total counter"));
    CHECK_FALSE(contains(out, "jobs_total gauge"));
    REQUIRE(fx.drops.size() == 1);
}

TEST_CASE("duplicate_names_in_one_file_first_wins") {
    File a("a", {{2, "dup"}, {2, "dup"}});
    a.word(0) = 7;
    a.word(1) = 8;
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render();
    CHECK(out == "# TYPE dup gauge\ndup{name=\"a\"} 7\n");
    REQUIRE(fx.drops.size() == 1);
    CHECK(fx.drops[0].kind == prom::DropKind::duplicate_series);
}

TEST_CASE("histogram_suffix_collisions_are_conflicts") {
    File a("a", {{3, "lat", 1, 4}, {2, "lat_count"}});
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render();
    CHECK_FALSE(contains(out, "# TYPE lat_count"));
    CHECK(fx.drops.size() == 1);
}

TEST_CASE("reserved_self_metric_names_are_refused") {
    File a("a", {{2, "mmwatch_sources"}});
    Fixture fx;
    fx.files = {&a};
    CHECK(fx.render().empty());
    CHECK(fx.drops.size() == 1);
}

TEST_CASE("hostile_names_cannot_inject_lines") {
    File a("we\"ird\nfile\\", {{2, "x\n# TYPE y counter\ny"}});
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render();
    CHECK(out == "# TYPE x___TYPE_y_counter_y gauge\nx___TYPE_y_counter_y{name=\"we\\\"ird\\nfile\\\\\"} 0\n");
}

TEST_CASE("histogram_is_cumulative_with_inf_equal_to_count") {
    File a("a", {{3, "lat", 2, 4}});  // 12 buckets, exact at g=2
    a.word(0, 0) = 1;   // value 0
    a.word(0, 5) = 2;   // value 5
    a.word(0, 11) = 3;  // 14..15
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render();
    CHECK(out ==
          "# TYPE lat histogram\n"
          "lat_bucket{name=\"a\",le=\"0\"} 1\n"
          "lat_bucket{name=\"a\",le=\"5\"} 3\n"
          "lat_bucket{name=\"a\",le=\"15\"} 6\n"
          "lat_bucket{name=\"a\",le=\"+Inf\"} 6\n"
          "lat_count{name=\"a\"} 6\n");
}

// A histogram bucket that had counts, zeroed after one render (a producer
// cannot do this, but it shows whether the series stays): does the next
// render still emit it, after `between` happened?
bool bucket_stays_after(const std::function<void(File&, prom::FilePlan&)>& between) {
    File a("a", {{3, "lat", 2, 4}});
    a.word(0, 5) = 2;
    Fixture fx;
    fx.files = {&a};
    REQUIRE(contains(fx.render(), "le=\"5\"} 2"));
    a.word(0, 5) = 0;
    between(a, fx.plan);
    return contains(fx.render(), "le=\"5\"} 0");
}

TEST_CASE("histogram_le_set_is_sticky_while_the_file_lives") {
    CHECK(bucket_stays_after([](File&, prom::FilePlan&) {}));
}

TEST_CASE("histogram_le_set_starts_anew_when_the_source_is_validated_again") {
    // Rewritten in place: a new layout, possibly other buckets.
    CHECK_FALSE(bucket_stays_after([](File& f, prom::FilePlan&) { f.activation = 2; }));
}

TEST_CASE("histogram_le_set_is_forgotten_with_its_source") {
    CHECK_FALSE(bucket_stays_after([](File&, prom::FilePlan& plan) { plan.forget_source(1); }));
}

TEST_CASE("histogram_grouping_merges_to_coarser_buckets") {
    File a("a", {{3, "lat", 7, 64}});
    // Values 256 and 257 share fine bucket 256; 300 is in another fine
    // bucket but the same coarse (g=1) bucket [256, 383].
    a.word(0, h2::index_of(256, 7, 64)) = 1;
    a.word(0, h2::index_of(300, 7, 64)) = 1;
    a.word(0, h2::index_of(UINT64_MAX, 7, 64)) = 1;
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render(1);
    CHECK(contains(out, "lat_bucket{name=\"a\",le=\"383\"} 2\n"));
    CHECK(contains(out, "lat_bucket{name=\"a\",le=\"18446744073709551615\"} 3\n"));
    CHECK(contains(out, "lat_bucket{name=\"a\",le=\"+Inf\"} 3\n"));
    // Only buckets that ever held a value are emitted.
    size_t lines = 0;
    for (char c : out) lines += c == '\n';
    CHECK(lines == 1 + 2 + 2);
}

TEST_CASE("series_limit_drops_and_reports") {
    File a("a", {{2, "x"}, {2, "y"}, {2, "z"}});
    Fixture fx;
    fx.files = {&a};
    const auto out = fx.render(16, 2);
    CHECK(fx.plan.series_count() == 2);
    CHECK_FALSE(contains(out, "z{"));
    REQUIRE(fx.drops.size() == 1);
    CHECK(fx.drops[0].kind == prom::DropKind::series_limit);
}

TEST_CASE("two_files_with_one_label_do_not_duplicate_series") {
    File a("app", {{2, "x"}});
    File b("app", {{2, "x"}});
    Fixture fx;
    fx.files = {&a, &b};
    const auto out = fx.render();
    CHECK(out == "# TYPE x gauge\nx{name=\"app\"} 0\n");
    CHECK(fx.drops.size() == 1);
}

TEST_CASE("render_longer_than_one_output_block_is_exact_and_appends") {
    // The render makes room 64 KiB at a time: lines of the widest values
    // (20 characters) across many blocks must come out whole, after what
    // the output already held.
    std::vector<test::Entry> entries;
    for (int i = 0; i < 1000; ++i) entries.push_back({2, std::string(200, 'g') + std::to_string(i)});
    entries.push_back({3, "h", 2, 64});
    File f("a_rather_long_file_label", entries);
    std::string expected = "already here\n";
    for (size_t i = 0; i < 1000; ++i) {
        f.word(i) = uint64_t(INT64_MIN);
        expected += "# TYPE " + entries[i].name + " gauge\n" + entries[i].name +
                    "{name=\"a_rather_long_file_label\"} -9223372036854775808\n";
    }
    f.word(1000, h2::bucket_count(2, 64) - 1) = 1;  // the last bucket: le = 2^64 - 1
    expected += "# TYPE h histogram\n"
                "h_bucket{name=\"a_rather_long_file_label\",le=\"18446744073709551615\"} 1\n"
                "h_bucket{name=\"a_rather_long_file_label\",le=\"+Inf\"} 1\n"
                "h_count{name=\"a_rather_long_file_label\"} 1\n";
    Fixture fx;
    fx.files = {&f};
    auto v = fx.views();
    fx.plan.rebuild(v, {}, 10000);
    std::string out = "already here\n";
    CHECK(fx.plan.render(v, 16, out, SIZE_MAX));
    CHECK(out.size() > 3 * 64 * 1024);
    CHECK(out == expected);
}

namespace {

// A fixed file: a counter, a negative gauge and a histogram with counts.
struct GoldenFixture : Fixture {
    File a{"app", {{1, "jobs"}, {2, "temp"}, {3, "lat", 1, 4}}};
    GoldenFixture() {
        a.word(0) = 7;
        a.word(1) = uint64_t(-3);
        a.word(2, 0) = 2;
        a.word(2, 3) = 1;
        files = {&a};
        (void)render();
    }
    std::string direct(bool openmetrics) {
        std::string out;
        plan.render(views(), 16, out, SIZE_MAX, openmetrics);
        return out;
    }
    std::string through_writer(prom::Format format) {
        std::string out;
        const auto w = prom::make_writer(format, out);
        plan.render(views(), 16, *w, SIZE_MAX);
        w->finish();
        return out;
    }
};

}  // namespace

TEST_CASE("file_families_golden_in_text_and_openmetrics") {
    GoldenFixture f;
    const std::string text =
        "# TYPE jobs_total counter\n"
        "jobs_total{name=\"app\"} 7\n"
        "# TYPE temp gauge\n"
        "temp{name=\"app\"} -3\n"
        "# TYPE lat histogram\n"
        "lat_bucket{name=\"app\",le=\"0\"} 2\n"
        "lat_bucket{name=\"app\",le=\"3\"} 3\n"
        "lat_bucket{name=\"app\",le=\"+Inf\"} 3\n"
        "lat_count{name=\"app\"} 3\n";
    CHECK(f.direct(false) == text);
    // OpenMetrics: the counter's family has no _total, and no _count
    // without a _sum.
    const std::string om =
        "# TYPE jobs counter\n"
        "jobs_total{name=\"app\"} 7\n"
        "# TYPE temp gauge\n"
        "temp{name=\"app\"} -3\n"
        "# TYPE lat histogram\n"
        "lat_bucket{name=\"app\",le=\"0\"} 2\n"
        "lat_bucket{name=\"app\",le=\"3\"} 3\n"
        "lat_bucket{name=\"app\",le=\"+Inf\"} 3\n";
    CHECK(f.direct(true) == om);
    // The writer path (protobuf's) says the same through the text writers.
    CHECK(f.through_writer(prom::Format::text) == text);
    CHECK(f.through_writer(prom::Format::openmetrics) == om + "# EOF\n");
    CHECK(!f.through_writer(prom::Format::protobuf).empty());
}

TEST_CASE("a_counter_claims_its_openmetrics_family_name_and_created") {
    File a("a", {{1, "x"}});           // counter x: family x, samples x_total and x_created
    File b("b", {{2, "x"}});           // gauge x: collides in OpenMetrics
    File c("c", {{2, "x_created"}});   // gauge x_created: collides too
    Fixture f;
    f.files = {&a, &b, &c};
    const std::string out = f.render();
    CHECK(contains(out, "x_total{name=\"a\"}"));
    CHECK_FALSE(contains(out, "x{name=\"b\"}"));
    CHECK_FALSE(contains(out, "x_created{"));
    CHECK(f.drops.size() == 2);
}

TEST_CASE("a_render_in_slices_writes_what_one_render_writes") {
    File a("a", {{2, "temp"}, {1, "reqs"}, {3, "lat", 2, 4}});
    File b("b", {{2, "temp"}, {1, "reqs"}, {3, "lat", 2, 4}});
    a.word(0) = 1;
    b.word(0) = uint64_t(-3);
    a.word(1) = 10;
    b.word(1) = 20;
    a.word(2, 5) = 2;
    b.word(2, 11) = 3;
    Fixture fx;
    fx.files = {&a, &b};
    fx.render();  // builds the plan
    const auto v = fx.views();
    std::string whole, sliced;
    {
        const auto w = prom::make_writer(prom::Format::text, whole);
        CHECK(fx.plan.render(v, 16, *w, SIZE_MAX));
        w->finish();
    }
    const auto w = prom::make_writer(prom::Format::text, sliced);
    prom::RenderCursor at;
    size_t slices = 0;
    while (!fx.plan.done(at)) {
        REQUIRE(fx.plan.render(v, 16, *w, SIZE_MAX, at, 1));  // one series a slice
        REQUIRE(++slices < 100);
    }
    w->finish();
    CHECK(slices == 6);  // 3 families of 2 series
    CHECK(sliced == whole);
    CHECK(contains(whole, "temp{name=\"b\"} -3"));
    CHECK(contains(whole, "lat_bucket{name=\"b\",le=\"+Inf\"} 3"));
}
