#include <doctest/doctest.h>

#include <string>

#include "http/request.hpp"

using namespace mmwatch;
using http::ParseStatus;

static http::ParseResult parse(std::string_view s, http::Request& r, uint64_t max_body = 1024) {
    return http::parse_request(s, r, base::kMaxRequestHeadBytes, max_body);
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
    std::string at_cap = prefix + std::string(base::kMaxRequestHeadBytes - prefix.size() - suffix.size(), 'a') + suffix;
    REQUIRE(at_cap.size() == base::kMaxRequestHeadBytes);
    http::Request r;
    CHECK(parse(at_cap, r).status == ParseStatus::complete);
    std::string over = prefix + std::string(base::kMaxRequestHeadBytes - prefix.size() - suffix.size() + 1, 'a') + suffix;
    auto res = parse(over, r);
    CHECK(res.status == ParseStatus::error);
    CHECK(res.error_status() == 431);
    // Incomplete at the cap is an error too, not a wait for more.
    auto partial = parse(std::string(base::kMaxRequestHeadBytes, 'a'), r);
    CHECK(partial.status == ParseStatus::error);
    CHECK(partial.error_status() == 431);
}

TEST_CASE("too_many_header_lines") {
    std::string req = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i < base::kMaxRequestHeaders; ++i) req += "X-H: v\r\n";
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

namespace {

// Feeds `text` to one ParseState in two parts split at `at`, as a socket
// might deliver it; returns the final result.
http::ParseResult parse_in_two(const std::string& text, size_t at, http::Request& out, http::ParseState& st,
                               std::string& buf) {
    buf = text.substr(0, at);
    http::ParseResult r = http::parse_request(buf, out, base::kMaxRequestHeadBytes, 1 << 20, st);
    if (r.status != http::ParseStatus::incomplete) return r;
    buf = text;  // grown (and moved), as the connection's buffer would be
    return http::parse_request(buf, out, base::kMaxRequestHeadBytes, 1 << 20, st);
}

}  // namespace

TEST_CASE("a_request_split_at_every_byte_boundary_parses_the_same") {
    const std::string requests[] = {
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.0\n\n",
        "POST /v1/metrics HTTP/1.1\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhello",
        "POST /v1/metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
        "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",  // pipelined: the first one only
    };
    for (const std::string& text : requests) {
        http::Request whole;
        const http::ParseResult one = http::parse_request(text, whole, base::kMaxRequestHeadBytes, 1 << 20);
        REQUIRE(one.status == http::ParseStatus::complete);
        for (size_t at = 0; at <= text.size(); ++at) {
            CAPTURE(text);
            CAPTURE(at);
            http::ParseState st;
            http::Request split;
            std::string buf;
            const http::ParseResult two = parse_in_two(text, at, split, st, buf);
            REQUIRE(two.status == http::ParseStatus::complete);
            CHECK(two.consumed == one.consumed);
            CHECK(split.method == whole.method);
            CHECK(split.target == whole.target);
            CHECK(split.header_count == whole.header_count);
            CHECK(split.content_length == whole.content_length);
            CHECK(split.body == whole.body);
            CHECK(split.keep_alive == whole.keep_alive);
            CHECK(split.body.data() >= buf.data());  // views into the buffer as it is now
        }
    }
}

TEST_CASE("a_request_arriving_byte_by_byte_is_scanned_in_linear_time") {
    // Each call resumes: the bytes examined grow with the input, not with
    // its square. A 4 KB head delivered one byte at a time parses the same.
    std::string text = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n";
    http::ParseState st;
    http::Request r;
    std::string buf;
    http::ParseResult res;
    for (size_t n = 1; n <= text.size(); ++n) {
        buf.assign(text, 0, n);
        res = http::parse_request(buf, r, base::kMaxRequestHeadBytes, 0, st);
        if (n < text.size()) REQUIRE(res.status == http::ParseStatus::incomplete);
        CHECK(st.scanned <= n);
    }
    CHECK(res.status == http::ParseStatus::complete);
}

TEST_CASE("leading_blank_lines_count_toward_the_head_cap") {
    http::Request r;
    const std::string flood(base::kMaxRequestHeadBytes, '\n');
    const http::ParseResult res = http::parse_request(flood, r, base::kMaxRequestHeadBytes, 0);
    CHECK(res.status == http::ParseStatus::error);
    CHECK(res.error == http::Error::head_too_large);
    // Just under the cap, blank lines then a request is still fine.
    const std::string ok = std::string(100, '\n') + "GET / HTTP/1.1\r\n\r\n";
    CHECK(http::parse_request(ok, r, base::kMaxRequestHeadBytes, 0).status == http::ParseStatus::complete);
}

TEST_CASE("too_many_headers_and_an_oversized_head_are_told_apart") {
    std::string req = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i <= base::kMaxRequestHeaders; ++i) req += "X-H: v\r\n";
    http::Request r;
    CHECK(http::parse_request(req + "\r\n", r, base::kMaxRequestHeadBytes, 0).error == http::Error::too_many_headers);
    CHECK(http::parse_request(std::string(base::kMaxRequestHeadBytes, 'a'), r, base::kMaxRequestHeadBytes, 0).error ==
          http::Error::head_too_large);
}
