#include <doctest/doctest.h>

#include <string>

#include "http/request.hpp"

using namespace mmwatch;
using http::ParseStatus;

static http::ParseResult parse(std::string_view s, http::Request& r, uint64_t max_body = 1024) {
    return http::parse_request(s, r, kMaxRequestHeadBytes, max_body);
}

TEST_CASE("prometheus_style_request_parses") {
    http::Request r;
    const std::string req =
        "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost:9479\r\nUser-Agent: Prometheus/2.42.0\r\n"
        "Accept: text/plain;version=0.0.4\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
    auto res = parse(req, r);
    REQUIRE(res.status == ParseStatus::complete);
    CHECK(res.consumed == req.size());
    CHECK(r.method == "GET");
    CHECK(r.path == "/metrics");
    CHECK(r.query == "x=1");
    CHECK(r.minor_version == 1);
    CHECK(r.keep_alive);
    CHECK(r.header("user-agent") == "Prometheus/2.42.0");
    CHECK(r.header_count == 4);
}

TEST_CASE("nc_style_bare_lf_http10_request_parses") {
    http::Request r;
    auto res = parse("GET / HTTP/1.0\n\n", r);
    REQUIRE(res.status == ParseStatus::complete);
    CHECK(r.minor_version == 0);
    CHECK_FALSE(r.keep_alive);
}

TEST_CASE("client_sends_half_a_request") {
    http::Request r;
    const std::string full = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t n = 0; n < full.size(); ++n) {
        CHECK(parse(full.substr(0, n), r).status == ParseStatus::incomplete);
    }
    CHECK(parse(full, r).status == ParseStatus::complete);
}

TEST_CASE("connection_close_and_keep_alive_headers") {
    http::Request r;
    REQUIRE(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", r).status == ParseStatus::complete);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r).status == ParseStatus::complete);
    CHECK(r.keep_alive);
}

TEST_CASE("body_is_framed_by_content_length") {
    http::Request r;
    const std::string head = "POST /v1/metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\n";
    CHECK(parse(head + "abc", r).status == ParseStatus::incomplete);
    // The request's views point into the buffer, which must outlive them.
    const std::string buf = head + "abcdeGET";
    auto res = parse(buf, r);
    REQUIRE(res.status == ParseStatus::complete);
    CHECK(r.body == "abcde");
    CHECK(res.consumed == head.size() + 5);
}

TEST_CASE("head_exactly_at_the_cap_and_one_byte_over") {
    // Build a request whose head is exactly kMaxRequestHeadBytes long.
    std::string prefix = "GET / HTTP/1.1\r\nX-Pad: ";
    const std::string suffix = "\r\n\r\n";
    std::string at_cap = prefix + std::string(kMaxRequestHeadBytes - prefix.size() - suffix.size(), 'a') + suffix;
    REQUIRE(at_cap.size() == kMaxRequestHeadBytes);
    http::Request r;
    CHECK(parse(at_cap, r).status == ParseStatus::complete);
    std::string over = prefix + std::string(kMaxRequestHeadBytes - prefix.size() - suffix.size() + 1, 'a') + suffix;
    auto res = parse(over, r);
    CHECK(res.status == ParseStatus::error);
    CHECK(res.error_status() == 431);
    // Incomplete at the cap is an error too, not a wait for more.
    auto partial = parse(std::string(kMaxRequestHeadBytes, 'a'), r);
    CHECK(partial.status == ParseStatus::error);
    CHECK(partial.error_status() == 431);
}

TEST_CASE("too_many_header_lines") {
    std::string req = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i < kMaxRequestHeaders; ++i) req += "X-H: v\r\n";
    http::Request r;
    CHECK(parse(req + "\r\n", r).status == ParseStatus::complete);
    auto res = parse(req + "X-One-More: v\r\n\r\n", r);
    CHECK(res.status == ParseStatus::error);
    CHECK(res.error_status() == 431);
}

TEST_CASE("body_over_the_cap_is_413_before_it_arrives") {
    http::Request r;
    auto res = parse("POST /v1/metrics HTTP/1.1\r\nContent-Length: 1025\r\n\r\n", r, 1024);
    CHECK(res.status == ParseStatus::error);
    CHECK(res.error_status() == 413);
    CHECK(parse("POST / HTTP/1.1\r\nContent-Length: 1024\r\n\r\n", r, 1024).status == ParseStatus::incomplete);
}

TEST_CASE("malformed_requests_are_400") {
    const char* bad[] = {
        "GET\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET metrics HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Name: v\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: v\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        "GET / FTP/1.0\r\n\r\n",
    };
    for (const char* b : bad) {
        http::Request r;
        auto res = parse(b, r);
        CAPTURE(b);
        CHECK(res.status == ParseStatus::error);
        CHECK(res.error_status() == 400);
    }
}

TEST_CASE("unsupported_versions_and_chunked_bodies") {
    http::Request r;
    CHECK(parse("GET / HTTP/2.0\r\n\r\n", r).error_status() == 505);
    CHECK(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", r).error_status() == 501);
}

TEST_CASE("pipelined_requests_parse_one_at_a_time") {
    const std::string two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
    http::Request r;
    auto first = parse(two, r);
    REQUIRE(first.status == ParseStatus::complete);
    CHECK(r.path == "/a");
    auto second = parse(std::string_view(two).substr(first.consumed), r);
    REQUIRE(second.status == ParseStatus::complete);
    CHECK(r.path == "/b");
}

TEST_CASE("query_param_decodes_percent_and_plus") {
    std::string v;
    CHECK(http::query_param("match=http_requests%7Bx%3D%22a%22%7D&b=1", "match", v));
    CHECK(v == "http_requests{x=\"a\"}");
    CHECK(http::query_param("a=1+2&b", "a", v));
    CHECK(v == "1 2");
    CHECK(http::query_param("a=1&b", "b", v));
    CHECK(v.empty());
    CHECK_FALSE(http::query_param("a=1", "c", v));
    CHECK(http::query_param("a=%zz%4", "a", v));
    CHECK(v == "%zz%4");
}
