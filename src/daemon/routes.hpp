// Maps a parsed request to a response: /metrics, /, /api/v1/sources,
// /-/healthy. Pure with respect to the network: no libuv here, so every
// route is testable by calling route() with a Request.
#pragma once

#include "http/request.hpp"
#include "http/response.hpp"
#include "daemon/metrics_page.hpp"
#include "files/watcher.hpp"

namespace mmwatch::otlp {
class Store;
class Receiver;
}  // namespace mmwatch::otlp

namespace mmwatch::daemon {

class Router {
public:
    Router(files::Watcher& watcher, MetricsPage& page, std::string version);

    [[nodiscard]] http::Response route(const http::Request& req);

    // OTLP ingest (POST /v1/metrics) and its query API; until attached
    // those paths answer 404.
    void attach_otlp(otlp::Store* store, otlp::Receiver* receiver) noexcept;
    // The OTLP-only listener (--otlp-listen): POST /v1/metrics, else 404.
    [[nodiscard]] http::Response route_otlp(const http::Request& req);

private:
    http::Response metrics(const http::Request& req);
    http::Response sources_json() const;
    http::Response landing() const;
    http::Response otlp_export(const http::Request& req);

    files::Watcher& watcher_;
    MetricsPage& page_;
    std::string version_;
    otlp::Store* otlp_ = nullptr;
    otlp::Receiver* receiver_ = nullptr;
};

}  // namespace mmwatch::daemon
