#include <doctest/doctest.h>

#include <string>

#include "http/request.hpp"

using namespace mmwatch::http;

namespace {

ParseResult parse(std::string_view buf, Request& r, uint64_t max_body = 1024) {
    return parse_request(buf, r, 8192, max_body);
}

constexpr std::string_view kHead = "POST /v1/metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";

}  // namespace

TEST_CASE("chunked_body_as_the_js_exporter_sends_it") {
    Request r;
    std::string msg = std::string(kHead) + "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\nGET";
    const ParseResult p = parse(msg, r);
    REQUIRE(p.status == ParseStatus::complete);
    CHECK(r.chunked);
    CHECK(r.content_length == 12);
    CHECK(p.consumed == msg.size() - 3);  // the next request stays in the buffer
    join_chunked_body(msg, r);
    CHECK(r.body == "hello, world");
    CHECK(r.header("Host") == "x");  // the head is untouched
    CHECK(msg.substr(p.consumed) == "GET");
}

TEST_CASE("chunks_are_joined_in_place_whatever_their_sizes_and_line_ends") {
    Request r;
    std::string msg = std::string(kHead) + "1\r\na\r\n0001\nb\n3 ; x=\"y\"\r\ncde\r\n0\r\nTrailer: t\r\n\r\n";
    REQUIRE(parse(msg, r).status == ParseStatus::complete);
    join_chunked_body(msg, r);
    CHECK(r.body == "abcde");
    CHECK(r.body.size() == r.content_length);
    // A body sent with Content-Length is left as it is.
    std::string plain = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n1\r\na\r\n";
    REQUIRE(parse(plain, r).status == ParseStatus::complete);
    join_chunked_body(plain, r);
    CHECK(r.body == "1\r\na\r");
}

TEST_CASE("a_body_declares_its_media_type_and_coding_in_any_case_and_spacing") {
    Request r;
    std::string msg = "POST / HTTP/1.1\r\nContent-Type:  Application/JSON ; charset=utf-8\r\n"
                      "Content-Encoding:\tGZip \r\nContent-Length: 0\r\n\r\n";
    REQUIRE(parse(msg, r).status == ParseStatus::complete);
    CHECK(media_type(r) == "Application/JSON");
    CHECK(content_coding(r) == mmwatch::base::ContentCoding::gzip);
    msg = "POST / HTTP/1.1\r\nContent-Encoding: identity\r\nContent-Length: 0\r\n\r\n";
    REQUIRE(parse(msg, r).status == ParseStatus::complete);
    CHECK(media_type(r).empty());
    CHECK(content_coding(r) == mmwatch::base::ContentCoding::identity);
    msg = "POST / HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 0\r\n\r\n";
    REQUIRE(parse(msg, r).status == ParseStatus::complete);
    CHECK(content_coding(r) == mmwatch::base::ContentCoding::unsupported);
    msg = "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    REQUIRE(parse(msg, r).status == ParseStatus::complete);
    CHECK(content_coding(r) == mmwatch::base::ContentCoding::identity);
}

TEST_CASE("chunked_body_arriving_byte_by_byte_is_incomplete_until_the_last_chunk") {
    const std::string msg = std::string(kHead) + "a\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
    Request r;
    for (size_t n = kHead.size(); n < msg.size(); ++n) {
        CAPTURE(n);
        CHECK(parse(std::string_view(msg).substr(0, n), r).status == ParseStatus::incomplete);
    }
    CHECK(parse(msg, r).status == ParseStatus::complete);
}

TEST_CASE("chunked_body_with_framing_over_the_limit_is_413_exactly_at_it_is_accepted") {
    Request r;
    // 1024 bytes on the wire: "3f4\r\n" + 1012 bytes + "\r\n0\r\n\r\n".
    const std::string at = std::string(kHead) + "3f4\r\n" + std::string(1012, 'x') + "\r\n0\r\n\r\n";
    REQUIRE(at.size() - kHead.size() == 1024);
    CHECK(parse(at, r).status == ParseStatus::complete);
    CHECK(r.content_length == 1012);
    const std::string over = std::string(kHead) + "3f5\r\n" + std::string(1013, 'x') + "\r\n0\r\n\r\n";
    CHECK(parse(over, r).error_status() == 413);
    // Incomplete but already past the limit: 413 now, not a wait.
    const std::string pending = std::string(kHead) + "1f4\r\n" + std::string(500, 'x') + "\r\n1;" + std::string(600, 'e');
    CHECK(parse(pending, r).error_status() == 413);
    // A huge declared chunk is refused before its bytes arrive.
    CHECK(parse(std::string(kHead) + "ffffffffffffffff\r\n", r).error_status() == 413);
}

TEST_CASE("malformed_chunk_framing_is_400") {
    Request r;
    for (const char* body : {"zz\r\n", "5\r\nhelloX\r\n0\r\n\r\n", "11111111111111111\r\n", ";\r\n"}) {
        CAPTURE(body);
        CHECK(parse(std::string(kHead) + body, r).error_status() == 400);
    }
    CHECK(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", r).error_status() == 400);
}

TEST_CASE("one_byte_chunk_flood_stops_at_the_framing_cap") {
    Request r;
    std::string msg(kHead);
    for (int i = 0; i < 100000; ++i) msg += "0000000001\r\nx\r\n";
    CHECK(parse(msg, r, 1 << 16).error_status() == 413);  // 64 KiB of framing carry 4.4 KiB of data
}
