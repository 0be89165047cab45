// What an OTLP endpoint answers, for the daemon's router to send: the
// status, the media type and the body, and nothing of HTTP's framing (the
// router makes the response; a gRPC service would make its own).
#pragma once

#include <string>
#include <string_view>

namespace mmwatch::otlp {

struct Reply {
    int status = 200;  // as HTTP numbers it
    std::string_view content_type = "application/json";
    std::string body;
    std::string_view allow;  // for a 405: the methods allowed ("POST")

    [[nodiscard]] static Reply json(int status, std::string body) { return {status, "application/json", std::move(body), {}}; }
};

}  // namespace mmwatch::otlp
