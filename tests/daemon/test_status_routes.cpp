#include <doctest/doctest.h>

#include <bit>
#include <string>

#include "base/clock.hpp"
#include "daemon/history_keeper.hpp"
#include "daemon/status_routes.hpp"
#include "support/daemon_rig.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

std::string body_of(const http::Response& r) { return r.body ? *r.body : std::string(); }
bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// The rig's parts, a history store and the status routes on its router.
struct StatusRig {
    test::DaemonRig rig;
    HistoryKeeper history{HistoryConfig{}};
    std::unique_ptr<StatusRoutes> status;

    explicit StatusRig(size_t max_response_bytes = 64 << 20) {
        PageParts parts{*rig.watcher, rig.events,        rig.stats,         rig.pusher,
                        rig.otlp.store, rig.otlp.receiver, rig.grpc_service, &history};
        status = std::make_unique<StatusRoutes>(StatusConfig{max_response_bytes, 1 << 30, 0}, parts, *rig.page);
        rig.router->attach_status(status.get());
    }
    history::SeriesId add(std::string_view name, double v) {
        std::vector<history::LabelView> labels{{"__name__", name}};
        const history::SeriesId id = history.store().series(labels).id;
        REQUIRE(history.store().append(id, base::unix_ns_now() / 1'000'000, std::bit_cast<uint64_t>(v)) ==
                history::AppendStatus::stored);
        return id;
    }
};

}  // namespace

TEST_CASE("status_page_shows_the_files_the_watcher_holds_and_the_history") {
    StatusRig s;
    s.rig.dir.write("app.rezl", test::gauge_file("temp", 7));
    s.rig.dir.write("bad.rezl", std::vector<std::byte>(64, std::byte{'x'}));
    s.rig.open();
    s.add("temp", 7);
    const http::Response r = s.rig.get("/");
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/html; charset=utf-8");
    const std::string b = body_of(r);
    CHECK(has(b, "<h1>mmwatch 9.9.9</h1>"));
    CHECK(has(b, "app.rezl</td><td class=\"ok\">active</td>"));
    CHECK(has(b, "bad.rezl</td><td class=\"bad\">rejected</td>"));
    CHECK(has(b, "bad_magic"));
    CHECK(has(b, ">temp</a></td><td class=\"n\">7</td>"));
    CHECK(has(b, "history (--history-bytes)"));
    CHECK(s.rig.get("/", "POST").status == 405);
}

TEST_CASE("series_page_answers_for_a_live_series_and_404_for_a_gone_or_malformed_one") {
    StatusRig s;
    s.rig.open();
    const history::SeriesId id = s.add("g", 1);
    const std::string gen = std::to_string(s.history.store().generation(id));
    const std::string query = "id=" + std::to_string(id) + "&gen=" + gen + "&range=24h";
    test::TestRequest req("GET", "/ui/series", query, "");
    const http::Response r = s.rig.router->route(req.req);
    CHECK(r.status == 200);
    CHECK(has(body_of(r), "<strong>24h</strong>"));
    for (std::string_view q : {"id=7&gen=0", "id=0&gen=99", "id=x", "", "id=99999999999&gen=0"}) {
        CAPTURE(q);
        test::TestRequest bad("GET", "/ui/series", q, "");
        CHECK(s.rig.router->route(bad.req).status == 404);
    }
}

TEST_CASE("status_page_past_max_response_bytes_is_refused_not_sent") {
    StatusRig s(4096);
    s.rig.open();
    const http::Response r = s.rig.get("/");
    CHECK(r.status == 422);
    CHECK(has(body_of(r), "--max-response-bytes"));
}

TEST_CASE("status_paths_take_only_get_and_head") {
    StatusRig s;
    s.rig.open();
    for (std::string_view path : {"/", "/ui/series"}) {
        CAPTURE(path);
        const http::Response r = s.rig.get(path, "DELETE");
        CHECK(r.status == 405);
        CHECK(r.extra_headers == "Allow: GET, HEAD\r\n");
    }
    CHECK(s.rig.get("/", "HEAD").status == 200);
}
