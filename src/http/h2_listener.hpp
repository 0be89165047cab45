// What an HTTP/2 listener (--otlp-grpc-listen) shares among its
// connections: the handler that answers its requests, its limits, its
// counters and the request budget its sessions draw on. Owned by the daemon
// and handed to http::Server (ServerConfig::h2). No libuv here: a handler
// is tested by calling it.
#pragma once

#include "http/basic_auth.hpp"
#include "http/h2_session.hpp"

namespace mmwatch::http {

// What answers an HTTP/2 listener's requests (the daemon's gRPC routes),
// called on the loop with each request as its session hands it over: whole,
// or refused at the stream (H2Request::refusal), so that the answer speaks
// the handler's protocol (gRPC: a status in trailers).
class H2Handler {
public:
    [[nodiscard]] virtual H2Response respond(const H2Request& req) = 0;
    // The answer to a request whose credentials basic auth refused: missing
    // or wrong, or busy (the bcrypt budget is spent for now).
    [[nodiscard]] virtual H2Response refuse_credentials(const H2Request& req, AuthResult why) = 0;

protected:
    ~H2Handler() = default;
};

struct H2Listener {
    H2Handler& handler;
    H2Config config;
    H2Counters counters;
    // The listener's request memory (--request-memory): body bytes its
    // sessions hold together.
    H2Budget budget;
};

}  // namespace mmwatch::http
