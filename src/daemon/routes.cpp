#include "daemon/routes.hpp"

#include "base/clock.hpp"
#include "base/json.hpp"
#include "daemon/status_routes.hpp"
#include "otlp/query.hpp"
#include "otlp/receiver.hpp"
#include "prom/negotiate.hpp"

namespace mmwatch::daemon {

namespace {

bool is_get(const http::Request& req) { return req.method == "GET" || req.method == "HEAD"; }

using http::error_response;

http::Response method_not_allowed(std::string_view allow) {
    http::Response r = error_response(405, "method not allowed");
    r.extra_headers = "Allow: " + std::string(allow) + "\r\n";
    return r;
}

// An OTLP endpoint's reply as an HTTP response.
http::Response response(otlp::Reply reply) {
    http::Response r = http::Response::text(reply.status, std::move(reply.body));
    r.content_type = reply.content_type;
    if (!reply.allow.empty()) r.extra_headers = "Allow: " + std::string(reply.allow) + "\r\n";
    return r;
}

}  // namespace

Router::Router(files::Watcher& watcher, MetricsPage& page, std::string version)
    : watcher_(watcher), page_(page), version_(std::move(version)) {}

namespace {

// The Prometheus HTTP API's paths. They replaced OTLP's older
// /api/v1/series?match=NAME and /api/v1/query_range?series=ID: OTLP points
// live in the history store (docs/http.md).
bool is_query_api(const http::Request& req) {
    const std::string_view path = req.path;
    constexpr std::string_view kLabel = "/api/v1/label/";
    return path == "/api/v1/query" || path == "/api/v1/query_range" || path == "/api/v1/series" ||
           path == "/api/v1/labels" || path == "/api/v1/metadata" || path == "/api/v1/status/buildinfo" ||
           (path.starts_with(kLabel) && path.ends_with("/values"));
}

}  // namespace

http::Response Router::route(const http::Request& req) {
    const std::string_view path = req.path;
    if (path == "/metrics") {
        if (!is_get(req)) return method_not_allowed("GET, HEAD");
        return metrics(req);
    }
    if (path == "/api/v1/sources") return is_get(req) ? sources_json() : method_not_allowed("GET, HEAD");
    if (path == "/-/healthy") return is_get(req) ? http::Response::text(200, "OK\n") : method_not_allowed("GET, HEAD");
    if (status_ && path == "/") return is_get(req) ? status_->status(req) : method_not_allowed("GET, HEAD");
    if (status_ && path == "/ui/series") return is_get(req) ? status_->series(req) : method_not_allowed("GET, HEAD");
    if (history_) {
        if (path == "/api/v1/write") return req.method == "POST" ? remote_write(req) : method_not_allowed("POST");
        if (path == "/api/v1/export") return is_get(req) ? history_export(req) : method_not_allowed("GET, HEAD");
    }
    if (query_ && is_query_api(req)) return query_->respond(req);
    if (otlp_) {
        if (path == "/v1/metrics") return otlp_export(req);
        if (path == "/api/v1/services")
            return is_get(req) ? response(otlp::services(*otlp_, base::unix_ns_now())) : method_not_allowed("GET, HEAD");
    }
    return error_response(404, "not found; see / for the endpoints");
}

void Router::attach_otlp(otlp::Store* store, otlp::Receiver* receiver) noexcept {
    otlp_ = store;
    receiver_ = receiver;
}

http::Response Router::route_otlp(const http::Request& req) {
    if (otlp_ && req.path == "/v1/metrics") return otlp_export(req);
    if (history_ && req.path == "/api/v1/write")
        return req.method == "POST" ? remote_write(req) : method_not_allowed("POST");
    return error_response(404, "not found; this listener only takes OTLP POST /v1/metrics and POST /api/v1/write");
}

// HTTP has parsed the framing (the body de-chunked, its media type and
// coding); the receiver gets only what OTLP needs.
http::Response Router::otlp_export(const http::Request& req) {
    const otlp::ExportRequest e{req.method, http::media_type(req), http::content_coding(req), req.body};
    otlp::Reply r = receiver_->handle_export(e, base::unix_ns_now());
    // New points: the next /metrics renders again instead of the cached body.
    if (r.status == 200) page_.invalidate();
    return response(std::move(r));
}

// The format from ?format= (for curl) or else the Accept header; gzip when
// Accept-Encoding allows it (docs/http.md, "Formats").
http::Response Router::metrics(const http::Request& req) {
    prom::Format format = prom::negotiate_format(req.header("Accept"));
    std::string name;
    if (http::query_param(req.query, "format", name)) {
        const std::optional<prom::Format> forced = prom::format_from_name(name);
        if (!forced) return error_response(400, "unknown format; use format=text, openmetrics or protobuf");
        format = *forced;
    }
    bool gzipped = false;
    http::Response r;
    r.body = page_.serve(format, prom::accepts_gzip(req.header("Accept-Encoding")), gzipped);
    if (!r.body) return error_response(503, "out of memory rendering /metrics, retry later");
    r.content_type = prom::content_type(format);
    r.extra_headers = "Vary: Accept, Accept-Encoding\r\n";
    if (gzipped) r.extra_headers += "Content-Encoding: gzip\r\n";
    return r;
}

namespace {

void append_source(std::string& out, const std::string& name, const files::Source& s) {
    out += "{\"name\":";
    base::json::append_string(out, s.label());
    out += ",\"path\":";
    base::json::append_string(out, name);
    out += ",\"state\":\"";
    out += files::state_name(s.state());
    out += '"';
    if (s.state() != files::SourceState::active && s.reason() != rezl::Reason::none) {
        out += ",\"reason\":\"";
        out += rezl::reason_name(s.reason());
        out += "\",\"message\":";
        base::json::append_string(out, rezl::reason_message(s.reason()));
    }
    out += ",\"metrics\":";
    base::json::append_number(out, s.state() == files::SourceState::active ? s.layout().metrics.size() : 0);
    out += ",\"size\":";
    base::json::append_number(out, s.file_size());
    out += ",\"stale\":";
    out += s.stale() ? "true" : "false";
    out += '}';
}

// A file not opened for lack of a file descriptor: it has no state of its
// own yet, so it is listed as waiting, with the reason its counter has.
void append_waiting(std::string& out, const std::string& name) {
    out += "{\"name\":";
    base::json::append_string(out, files::label_for(name));
    out += ",\"path\":";
    base::json::append_string(out, name);
    out += ",\"state\":\"waiting\",\"reason\":\"open_fds\",\"message\":"
           "\"no file descriptor left (RLIMIT_NOFILE); retried every tick\","
           "\"metrics\":0,\"size\":0,\"stale\":false}";
}

}  // namespace

// Sources and files waiting for an fd, in one list ordered by file name.
http::Response Router::sources_json() const {
    std::string out = "{\"directory_present\":";
    out += watcher_.directory_present() ? "true" : "false";
    out += ",\"sources\":[";
    const auto& sources = watcher_.sources();
    const auto& waiting = watcher_.waiting_for_fds();
    auto s = sources.begin();
    auto w = waiting.begin();
    while (s != sources.end() || w != waiting.end()) {
        if (s != sources.begin() || w != waiting.begin()) out += ',';
        if (w == waiting.end() || (s != sources.end() && s->first < *w)) {
            append_source(out, s->first, *s->second);
            ++s;
        } else {
            append_waiting(out, *w);
            ++w;
        }
    }
    out += "]}\n";
    return http::Response::json(200, std::move(out));
}

}  // namespace mmwatch::daemon
