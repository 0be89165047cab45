#include <doctest/doctest.h>

#include <string>

#include "support/daemon_rig.hpp"

using namespace mmwatch;
using namespace mmwatch::daemon;

namespace {

std::string body_of(const http::Response& r) { return r.body ? *r.body : std::string(); }

}  // namespace

TEST_CASE("metrics_answers_the_text_format_and_counts_the_scrape") {
    test::DaemonRig rig;
    rig.dir.write("app.rezl", test::gauge_file("temp", -40));
    rig.open();
    const http::Response r = rig.get("/metrics");
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(test::has_line(body_of(r), "temp{name=\"app\"} -40"));
    CHECK(rig.page->counters().scrapes[0][0] == 1);
    CHECK(rig.get("/metrics", "HEAD").status == 200);
    CHECK(rig.page->counters().scrapes[0][0] == 2);
}

TEST_CASE("only_get_and_head_are_allowed_on_the_read_endpoints") {
    test::DaemonRig rig;
    rig.open();
    for (std::string_view path : {"/metrics", "/api/v1/sources", "/-/healthy"}) {
        CAPTURE(path);
        const http::Response r = rig.get(path, "DELETE");
        CHECK(r.status == 405);
        CHECK(r.extra_headers == "Allow: GET, HEAD\r\n");
    }
    CHECK(rig.page->counters().scrapes[0][0] == 0);
}

TEST_CASE("sources_json_shows_state_reason_and_message") {
    test::DaemonRig rig;
    rig.dir.write("good.rezl", test::gauge_file("g", 1));
    std::vector<std::byte> bad(64, std::byte{'x'});
    rig.dir.write("bad.rezl", bad);
    rig.open();
    const http::Response r = rig.get("/api/v1/sources");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/json");
    const std::string b = body_of(r);
    CHECK(b.starts_with("{\"directory_present\":true,\"sources\":["));
    CHECK(b.find(R"({"name":"bad","path":"bad.rezl","state":"rejected","reason":"bad_magic","message":)") !=
          std::string::npos);
    CHECK(b.find(R"({"name":"good","path":"good.rezl","state":"active","metrics":1,)") != std::string::npos);
}

// A file past the fd budget is listed, in file-name order, as waiting and
// why: a user sees why it is not served.
TEST_CASE("sources_json_lists_files_waiting_for_a_file_descriptor") {
    test::DaemonRig rig(100'000, 1);
    rig.dir.write("a.rezl", test::gauge_file("a", 1));
    rig.dir.write("b.rezl", test::gauge_file("b", 1));
    rig.dir.write("c.rezl", test::gauge_file("c", 1));
    rig.open();
    const std::string b = body_of(rig.get("/api/v1/sources"));
    CHECK(b.find(R"({"name":"a","path":"a.rezl","state":"active",)") != std::string::npos);
    const std::string waiting = R"("state":"waiting","reason":"open_fds","message":"no file descriptor left)";
    const size_t at_b = b.find(R"({"name":"b","path":"b.rezl",)" + waiting);
    const size_t at_c = b.find(R"({"name":"c","path":"c.rezl",)" + waiting);
    CHECK(at_b != std::string::npos);
    CHECK(at_c != std::string::npos);
    CHECK(b.find(R"("path":"a.rezl")") < at_b);
    CHECK(at_b < at_c);
    CHECK(rig.watcher->counters().waiting_for_fds == 2);
}

// "/" is the status page (test_status_routes.cpp), 404 until attached.
TEST_CASE("healthy_and_unknown_paths") {
    test::DaemonRig rig;
    rig.open();
    CHECK(body_of(rig.get("/-/healthy")) == "OK\n");
    CHECK(rig.get("/").status == 404);
    CHECK(rig.get("/nope").status == 404);
}

TEST_CASE("otlp_paths_are_404_until_attached_then_ingest_invalidates_the_page") {
    test::DaemonRig rig;
    rig.open();
    constexpr int64_t kT0 = 1'700'000'000'000'000'000;
    test::TestRequest post("POST", "/v1/metrics", "", test::otlp_body(test::gauge_metric("otel_g", 5, kT0)));
    CHECK(rig.router->route(post.req).status == 404);
    CHECK(rig.get("/api/v1/services").status == 404);
    rig.router->attach_otlp(&rig.otlp.store, &rig.otlp.receiver);
    const std::string before = body_of(rig.get("/metrics"));
    CHECK(before.find("otel_g") == std::string::npos);
    CHECK(rig.router->route(post.req).status == 200);
    // No tick in between: the POST alone makes the next scrape render anew.
    CHECK(test::has_line(body_of(rig.get("/metrics")), "otel_g{job=\"checkout\",otel_scope_name=\"test.scope\",otel_scope_version=\"1.2\"} 5"));
    CHECK(rig.get("/api/v1/services").status == 200);
}

TEST_CASE("otlp_replies_become_http_responses_with_their_headers_and_parameters") {
    test::DaemonRig rig;
    rig.open();
    rig.router->attach_otlp(&rig.otlp.store, &rig.otlp.receiver);
    test::TestRequest get("GET", "/v1/metrics", "", "");
    http::Response r = rig.router->route(get.req);
    CHECK(r.status == 405);
    CHECK(r.extra_headers == "Allow: POST\r\n");
    CHECK(r.content_type == "application/json");
    test::TestRequest proto("POST", "/v1/metrics", "", "\x0a\xff", "application/x-protobuf");
    r = rig.router->route(proto.req);
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/x-protobuf");
    CHECK(r.extra_headers.empty());
    test::TestRequest post_services("POST", "/api/v1/services", "", "");
    CHECK(rig.router->route(post_services.req).status == 405);
}

TEST_CASE("the_otlp_listener_routes_only_ingest") {
    test::DaemonRig rig;
    rig.open();
    rig.router->attach_otlp(&rig.otlp.store, &rig.otlp.receiver);
    test::TestRequest scrape("GET", "/metrics", "", "");
    const http::Response r = rig.router->route_otlp(scrape.req);
    CHECK(r.status == 404);
    CHECK(body_of(r).find("only takes OTLP") != std::string::npos);
}

namespace {

// Stands in for api::QueryApi: answers 299 so its requests are told apart.
struct FakeQueryApi final : http::Handler {
    int calls = 0;
    http::Response respond(const http::Request&) override {
        ++calls;
        return http::Response::text(299, "api\n");
    }
};

}  // namespace

TEST_CASE("the_prometheus_api_paths_go_to_the_query_api_and_the_old_otlp_forms_too") {
    test::DaemonRig rig;
    rig.open();
    // Unattached, the query paths are 404.
    CHECK(rig.get("/api/v1/query").status == 404);
    FakeQueryApi api;
    rig.router->attach_query(&api);
    for (std::string_view path : {"/api/v1/query", "/api/v1/query_range", "/api/v1/series", "/api/v1/labels",
                                  "/api/v1/label/job/values", "/api/v1/metadata", "/api/v1/status/buildinfo"}) {
        CAPTURE(path);
        for (std::string_view method : {"GET", "POST"}) {
            test::TestRequest r(method, path, "match%5B%5D=up&query=up", "");
            CHECK(rig.router->route(r.req).status == 299);
        }
    }
    CHECK(api.calls == 14);
    // OTLP's older forms (match=, series=) are the Prometheus API's now:
    // OTLP points live in the history store; /api/v1/services stays OTLP's.
    rig.router->attach_otlp(&rig.otlp.store, &rig.otlp.receiver);
    test::TestRequest otlp_series("GET", "/api/v1/series", "match=jobs", "");
    CHECK(rig.router->route(otlp_series.req).status == 299);
    test::TestRequest otlp_range("GET", "/api/v1/query_range", "series=1", "");
    CHECK(rig.router->route(otlp_range.req).status == 299);
    CHECK(rig.get("/api/v1/services").status == 200);
    CHECK(rig.get("/api/v1/label/job").status == 404);
    CHECK(api.calls == 16);
}
