// Maps a parsed request to a response: /metrics, / and /ui/series (the
// status page, status_routes.hpp), /api/v1/sources, /-/healthy, and OTLP
// ingest and its query API (otlp/ answers with a Reply, made into an HTTP
// response here). Pure with respect to the network: no libuv here, so
// every route is testable by calling route() with a Request.
#pragma once

#include "http/request.hpp"
#include "http/response.hpp"
#include "http/handler.hpp"
#include "daemon/metrics_page.hpp"
#include "files/watcher.hpp"

namespace mmwatch::otlp {
class Store;
class Receiver;
}  // namespace mmwatch::otlp

namespace mmwatch::daemon {

class HistoryKeeper;
class StatusRoutes;

// The main listener's routes (--listen).
class Router final : public http::Handler {
public:
    Router(files::Watcher& watcher, MetricsPage& page, std::string version);

    [[nodiscard]] http::Response route(const http::Request& req);
    [[nodiscard]] http::Response respond(const http::Request& req) override { return route(req); }

    // OTLP ingest (POST /v1/metrics) and its query API; until attached
    // those paths answer 404.
    void attach_otlp(otlp::Store* store, otlp::Receiver* receiver) noexcept;
    // POST /api/v1/write (both listeners) and GET /api/v1/export; until
    // attached those paths answer 404.
    void attach_history(HistoryKeeper* history) noexcept { history_ = history; }
    // The Prometheus HTTP API (api::QueryApi): /api/v1/query, query_range,
    // series, labels, label/<name>/values, metadata, status/buildinfo;
    // until attached those paths answer as OTLP's or 404.
    void attach_query(http::Handler* api) noexcept { query_ = api; }
    // The status page: GET / and /ui/series (docs/status-page.md); until
    // attached those paths answer 404.
    void attach_status(const StatusRoutes* status) noexcept { status_ = status; }
    // The OTLP-only listener (--otlp-listen): POST /v1/metrics, else 404.
    [[nodiscard]] http::Response route_otlp(const http::Request& req);

private:
    http::Response metrics(const http::Request& req);
    http::Response sources_json() const;
    http::Response otlp_export(const http::Request& req);
    // history_routes.cpp
    http::Response remote_write(const http::Request& req);
    http::Response history_export(const http::Request& req);

    files::Watcher& watcher_;
    MetricsPage& page_;
    std::string version_;
    otlp::Store* otlp_ = nullptr;
    otlp::Receiver* receiver_ = nullptr;
    HistoryKeeper* history_ = nullptr;
    http::Handler* query_ = nullptr;
    const StatusRoutes* status_ = nullptr;
};

// The OTLP-only listener's routes (--otlp-listen): Router::route_otlp().
class OtlpRoutes final : public http::Handler {
public:
    explicit OtlpRoutes(Router& router) : router_(router) {}
    [[nodiscard]] http::Response respond(const http::Request& req) override { return router_.route_otlp(req); }

private:
    Router& router_;
};

}  // namespace mmwatch::daemon
