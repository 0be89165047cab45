#include "daemon/grpc_routes.hpp"

#include "base/clock.hpp"

namespace mmwatch::daemon {

namespace {

// What the session refused a stream for, as the service names it.
grpc::Refused refused(http::H2StreamRefusal r) noexcept {
    switch (r) {
        case http::H2StreamRefusal::none: return grpc::Refused::none;
        case http::H2StreamRefusal::header_list_too_large: return grpc::Refused::header_list_too_large;
        case http::H2StreamRefusal::body_too_large: return grpc::Refused::message_too_large;
        case http::H2StreamRefusal::memory_budget:
        case http::H2StreamRefusal::connection_share: return grpc::Refused::memory_budget;
    }
    return grpc::Refused::memory_budget;
}

http::H2Response answer(grpc::Reply reply) {
    http::H2Response r;
    grpc::reply_fields(reply, r.headers, r.trailers);
    r.status = reply.http_status;
    r.body = std::move(reply.body);
    return r;
}

}  // namespace

http::H2Response GrpcRoutes::respond(const http::H2Request& req) {
    const grpc::Call call{req.header(":method"), req.header(":path"),  req.header("content-type"),
                          req.header("grpc-encoding"), req.body, refused(req.refusal)};
    grpc::Reply reply = service_.export_call(call, base::unix_ns_now());
    // New points: the next /metrics renders again instead of the cached body.
    if (reply.code == grpc::Code::ok && reply.http_status == 200) page_.invalidate();
    return answer(std::move(reply));
}

http::H2Response GrpcRoutes::refuse_credentials(const http::H2Request&, http::AuthResult why) {
    grpc::Reply reply;
    if (why == http::AuthResult::busy) {
        reply.code = grpc::Code::unavailable;
        reply.message = "too many password checks, retry in a second";
        reply.retry_after_ms = grpc::kRetryAfterMs;
    } else {
        reply.code = grpc::Code::unauthenticated;
        reply.message = "unauthorized: basic auth credentials in the authorization metadata";
    }
    return answer(std::move(reply));
}

}  // namespace mmwatch::daemon
