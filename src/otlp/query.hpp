// The JSON query API over the OTLP store as pure functions of (store,
// parameters, clock): /api/v1/services, /api/v1/series, /api/v1/query_range.
// The router decodes the URL's parameters (http/); the values are checked
// here. Every answer is bounded: `limit` series, `max_points` points and
// kMaxOtlpQueryAnswerBytes bytes; past any of them it ends with
// "truncated": true.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "otlp/reply.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// A parameter's decoded value, or nullopt when the URL does not have it.
using Param = std::optional<std::string>;

// GET /api/v1/services: health per service over the last minute.
[[nodiscard]] Reply services(const Store& store, int64_t now_unix_nanos);

// GET /api/v1/series?match=NAME[&limit=N]: series of the metric NAME (its
// OTLP name or its Prometheus name), with labels.
struct SeriesQuery {
    Param match;
    Param limit;
};
[[nodiscard]] Reply series(const Store& store, const SeriesQuery& q);

// GET /api/v1/query_range?series=ID|NAME{k="v",...}&start=&end= (unix
// seconds, default the whole window up to now)[&limit=N][&max_points=N].
struct RangeQuery {
    Param series;
    Param start;
    Param end;
    Param limit;
    Param max_points;
};
[[nodiscard]] Reply query_range(const Store& store, const RangeQuery& q, int64_t now_unix_nanos);

}  // namespace mmwatch::otlp
