// The OTLP routes as pure functions of (store, request, clock): the
// receiver POST /v1/metrics and the JSON query API. The daemon's router
// calls these; nothing here touches a socket or the loop.
#pragma once

#include <cstdint>

#include "http_request.hpp"
#include "http_response.hpp"
#include "store.hpp"

namespace mmwatch::otlp {

// POST /v1/metrics (OTLP/HTTP, JSON encoding). 200 "{}" when every point
// was stored; 200 with partialSuccess when some were refused; 400 with a
// google.rpc.Status JSON for an undecodable body; 413 over max_body_bytes
// (before or after gzip); 415 for protobuf or an unknown encoding.
[[nodiscard]] http::Response handle_export(Store& store, const http::Request& req, uint64_t max_body_bytes,
                                           int64_t now_unix_nanos);

// GET /api/v1/services: health per service over the last minute.
[[nodiscard]] http::Response services(const Store& store, int64_t now_unix_nanos);

// GET /api/v1/series?match=NAME: series of the metric NAME (its OTLP name
// or its Prometheus name), with labels.
[[nodiscard]] http::Response series(const Store& store, const http::Request& req);

// GET /api/v1/query_range?series=ID|NAME{k="v",...}&start=&end= (unix
// seconds, default the whole window up to now).
[[nodiscard]] http::Response query_range(const Store& store, const http::Request& req, int64_t now_unix_nanos);

}  // namespace mmwatch::otlp
