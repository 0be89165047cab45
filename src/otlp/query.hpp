// The JSON query API over the OTLP store as pure functions of (store,
// request, clock): /api/v1/services, /api/v1/series, /api/v1/query_range.
// Every answer is bounded: `limit` series, `max_points` points and
// kMaxOtlpQueryAnswerBytes bytes; past any of them it ends with
// "truncated": true.
#pragma once

#include <cstdint>

#include "http/request.hpp"
#include "http/response.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// GET /api/v1/services: health per service over the last minute.
[[nodiscard]] http::Response services(const Store& store, int64_t now_unix_nanos);

// GET /api/v1/series?match=NAME: series of the metric NAME (its OTLP name
// or its Prometheus name), with labels.
[[nodiscard]] http::Response series(const Store& store, const http::Request& req);

// GET /api/v1/query_range?series=ID|NAME{k="v",...}&start=&end= (unix
// seconds, default the whole window up to now).
[[nodiscard]] http::Response query_range(const Store& store, const http::Request& req, int64_t now_unix_nanos);

}  // namespace mmwatch::otlp
