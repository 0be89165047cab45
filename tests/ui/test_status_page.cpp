#include <doctest/doctest.h>

#include <bit>
#include <string>
#include <vector>

#include "history/history_store.hpp"
#include "ui/status_page.hpp"

using namespace mmwatch;
using namespace mmwatch::ui;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

StatusInput sample_input() {
    StatusInput in;
    in.now_unix_ms = kNow;
    in.daemon.version = "1.2.3";
    in.daemon.start_unix_ms = kNow - 60'000;
    in.daemon.memory.push_back({"history", 1 << 20, 64 << 20});
    in.files.push_back({"app", "app.rezl", "active", "", "", 3, 4096, kNow - 2000, false});
    in.files.push_back({"bad", "bad.rezl", "rejected", "bad_magic", "not a REZL file", 0, 64, 0, false});
    in.files_total = 2;
    in.services.push_back({"shop", "checkout", 10, kNow - 1000, true, 5, 0.1, 0.25});
    in.services_total = 1;
    in.push.push_back({"https://rw.example/api/v1/write", "retrying", 120, 4096, 0, 0, 60, 0, ""});
    return in;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

history::SeriesId add(history::Store& store, std::vector<history::LabelView> labels, double v) {
    REQUIRE(history::canonicalize(labels) == history::LabelError::none);
    const history::SeriesId id = store.series(labels).id;
    REQUIRE(store.append(id, kNow, std::bit_cast<uint64_t>(v)) == history::AppendStatus::stored);
    return id;
}

}  // namespace

TEST_CASE("the_status_page_is_one_html5_document_with_every_view_and_no_outside_resource") {
    history::Store store{history::StoreConfig{}};
    add(store, {{"__name__", "temp"}, {"room", "a"}}, 21.5);
    std::string out;
    render_status(sample_input(), &store, {}, out);
    CHECK(out.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"));
    CHECK(has(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    CHECK(has(out, "<meta http-equiv=\"refresh\" content=\"10\">"));
    for (std::string_view id : {"daemon", "files", "otlp", "push", "series", "api"})
        CHECK(has(out, "<section id=\"" + std::string(id) + "\">"));
    CHECK(has(out, "<h1>mmwatch 1.2.3</h1>"));
    CHECK(has(out, "bad_magic</span>: not a REZL file"));
    CHECK(has(out, "shop/checkout"));
    CHECK(has(out, "<td class=\"bad\">retrying</td>"));
    CHECK(has(out, ">temp</a>{room=&quot;a&quot;}</td><td class=\"n\">21.5</td>"));
    CHECK(has(out, "href=\"/ui/series?id=0&amp;gen="));
    // Every landing page link is still there.
    for (std::string_view href : {"/metrics", "/metrics?format=openmetrics", "/api/v1/sources", "/-/healthy",
                                  "/api/v1/services", "/api/v1/labels", "/api/v1/status/buildinfo"})
        CHECK(has(out, "<a href=\"" + std::string(href) + "\">"));
    CHECK_FALSE(has(out, "<script"));
    CHECK_FALSE(has(out, "src="));
    CHECK(has(out, "<link rel=\"icon\" href=\"data:,\">"));  // the only link element: inline
    CHECK_FALSE(has(out, "http://"));
    CHECK(out.ends_with("</body></html>\n"));
}

TEST_CASE("label_values_file_names_and_urls_are_escaped") {
    history::Store store{history::StoreConfig{}};
    add(store, {{"__name__", "evil"}, {"x", "<script>alert(1)</script>"}}, 1);
    StatusInput in = sample_input();
    in.files[0].path = "<img src=x onerror=alert(1)>.rezl";
    in.push[0].url = "http://h/\"><script>";
    in.push[0].last_rejection = "<b>no</b>";
    std::string out;
    render_status(in, &store, {"<script>", 0, 0}, out);
    CHECK_FALSE(has(out, "<script"));
    CHECK_FALSE(has(out, "<img"));
    CHECK_FALSE(has(out, "<b>no"));
    CHECK(has(out, "{x=&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;}"));
    CHECK(has(out, "value=\"&lt;script&gt;\""));  // the filter echoed back
}

TEST_CASE("long_lists_say_how_many_more_and_where_to_find_them") {
    history::Store store{history::StoreConfig{}};
    for (int i = 0; i < 120; ++i) add(store, {{"__name__", "m"}, {"i", std::to_string(i)}}, i);
    StatusInput in = sample_input();
    in.files_total = 500;
    std::string out;
    render_status(in, &store, {}, out);
    CHECK(has(out, "498 more not shown; every one is in <a href=\"/api/v1/sources\">"));
    CHECK(has(out, "series 1&ndash;50 of 120"));
    CHECK(has(out, "<a href=\"/?page=1#series\">next</a> (70 more; filter with ?match=)"));
    std::string second;
    render_status(in, &store, {"", 2, 0}, second);
    CHECK(has(second, "series 101&ndash;120 of 120"));
    CHECK(has(second, "<a href=\"/?page=1#series\">previous</a>"));
    std::string filtered;
    render_status(in, &store, {"m", 0, 0}, filtered);
    CHECK(has(filtered, "50 matching among 50 series scanned (of 120)"));
    CHECK(has(filtered, "<a href=\"/?match=m&amp;from=50#series\">next</a>"));
}

TEST_CASE("the_series_page_draws_its_range_and_links_the_others") {
    history::Store store{history::StoreConfig{}};
    const auto id = add(store, {{"__name__", "req_total"}, {"path", "/a"}}, 5);
    std::string out;
    REQUIRE(render_series_page(store, id, store.generation(id), "6h", kNow, "1.2.3", out));
    CHECK(has(out, "<meta http-equiv=\"refresh\" content=\"30\">"));
    CHECK(has(out, "<h1>req_total</h1>"));
    CHECK(has(out, "<strong>6h</strong>"));
    CHECK(has(out, "range=1h\">1h</a>"));
    CHECK(has(out, "range=24h\">24h</a>"));
    CHECK(has(out, "per-second rate"));
    CHECK(has(out, "<svg class=\"chart\""));
    CHECK(has(out, "/api/v1/export?match%5B%5D=req_total%7Bpath%3D%22%2Fa%22%7D"));
    std::string gone;
    CHECK_FALSE(render_series_page(store, id, store.generation(id) + 1, "1h", kNow, "1.2.3", gone));
    CHECK(gone.empty());
}
