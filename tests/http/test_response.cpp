#include <doctest/doctest.h>

#include "http/request.hpp"
#include "http/response.hpp"

using namespace mmwatch::http;

TEST_CASE("every_status_mmwatch_sends_has_its_reason_phrase") {
    // The senders: daemon/routes.cpp (200, 400, 404, 405, 503),
    // http/basic_auth.cpp (401, 429), otlp/receiver.cpp (200, 400, 405,
    // 413, 415), the request parser's table (below), http/server.cpp and
    // connection.cpp (503, written whole).
    const std::pair<int, std::string_view> sent[] = {
        {200, "OK"},
        {204, "No Content"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    for (const auto& [status, phrase] : sent) {
        CAPTURE(status);
        CHECK(status_text(status) == phrase);
    }
    for (size_t e = 1; e < kErrorCount; ++e) {
        const int status = error_status(Error(e));
        CAPTURE(status);
        CHECK(status_text(status) != "Unknown");
    }
}

TEST_CASE("the_status_line_carries_the_phrase") {
    const Response refused = error_response(401, "unauthorized");
    CHECK(render_head(refused, true).starts_with("HTTP/1.1 401 Unauthorized\r\n"));
    const Response busy = error_response(429, "too many password checks, retry in a second");
    CHECK(render_head(busy, false).starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
}
