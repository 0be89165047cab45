// The gRPC listener's routes (--otlp-grpc-listen): each HTTP/2 request its
// connections hand over becomes a grpc::Call for the OTLP MetricsService,
// and the service's Reply the HTTP/2 answer (headers, body, trailers).
// Pure with respect to the network: no libuv, so every route is testable
// by calling respond() with an H2Request.
#pragma once

#include "daemon/metrics_page.hpp"
#include "grpc/metrics_service.hpp"
#include "http/h2_listener.hpp"

namespace mmwatch::daemon {

class GrpcRoutes final : public http::H2Handler {
public:
    GrpcRoutes(grpc::MetricsService& service, MetricsPage& page) : service_(service), page_(page) {}

    [[nodiscard]] http::H2Response respond(const http::H2Request& req) override;
    // UNAUTHENTICATED for missing or wrong credentials; UNAVAILABLE with
    // RetryInfo while the bcrypt budget is spent (as the HTTP listeners'
    // 429 with Retry-After).
    [[nodiscard]] http::H2Response refuse_credentials(const http::H2Request& req, http::AuthResult why) override;

private:
    grpc::MetricsService& service_;
    MetricsPage& page_;
};

}  // namespace mmwatch::daemon
