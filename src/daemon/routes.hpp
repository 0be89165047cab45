// Maps a parsed request to a response: /metrics, /, /api/v1/sources,
// /-/healthy. Pure with respect to the network: no libuv here, so every
// route is testable by calling route() with a Request.
#pragma once

#include "http_request.hpp"
#include "http_response.hpp"
#include "metrics_page.hpp"
#include "watcher.hpp"

namespace mmwatch {

namespace otlp {
class Store;
}

class Router {
public:
    Router(Watcher& watcher, MetricsPage& page, SelfMetrics& metrics, std::string version);

    [[nodiscard]] http::Response route(const http::Request& req);

    // OTLP ingest (POST /v1/metrics) and its query API; until attached
    // those paths answer 404.
    void attach_otlp(otlp::Store* store, uint64_t max_body_bytes) noexcept;
    // The OTLP-only listener (--otlp-listen): POST /v1/metrics, else 404.
    [[nodiscard]] http::Response route_otlp(const http::Request& req);

private:
    http::Response sources_json() const;
    http::Response landing() const;
    http::Response otlp_export(const http::Request& req);

    Watcher& watcher_;
    MetricsPage& page_;
    SelfMetrics& metrics_;
    std::string version_;
    otlp::Store* otlp_ = nullptr;
    uint64_t max_body_bytes_ = 0;
};

// A response for a request that could not be parsed or was over a cap.
[[nodiscard]] http::Response error_response(int status, std::string_view message);

}  // namespace mmwatch
