// What a route hands back to the scrape server: status, content type and a
// body that may be shared between many connections (the cached exposition).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace mmwatch::http {

class Deferred;  // http/deferred.hpp

struct Response {
    int status = 200;
    std::string_view content_type = "text/plain; charset=utf-8";
    std::shared_ptr<const std::string> body;
    std::string extra_headers;  // full lines, each ending "\r\n" (e.g. "Allow: GET\r\n")
    // Set: no answer yet; it comes through this later (http/deferred.hpp).
    std::shared_ptr<Deferred> deferred;

    static Response text(int status, std::string body_text);
    static Response json(int status, std::string body_text);
    static Response later(std::shared_ptr<Deferred> d);
};

// A plain-text answer for a request that could not be parsed, was over a
// cap, or asked for what is not there: the message and a newline.
[[nodiscard]] Response error_response(int status, std::string_view message);

[[nodiscard]] std::string_view status_text(int status) noexcept;

// Serializes the status line and headers for `r` (Content-Length from the
// body, Connection from keep_alive). `head_only` answers HEAD requests.
[[nodiscard]] std::string render_head(const Response& r, bool keep_alive);

}  // namespace mmwatch::http
