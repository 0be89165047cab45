// The JSON query API over the OTLP store as a pure function of (store,
// clock): /api/v1/services. The points of OTLP series live in the history
// store and are asked for through the Prometheus HTTP API (src/api/:
// /api/v1/query, /api/v1/query_range, /api/v1/series, docs/query.md),
// which replaced this folder's older /api/v1/series?match= and
// /api/v1/query_range?series= forms.
#pragma once

#include <cstdint>

#include "otlp/reply.hpp"
#include "otlp/store.hpp"

namespace mmwatch::otlp {

// GET /api/v1/services: health per service over the last minute.
[[nodiscard]] Reply services(const Store& store, int64_t now_unix_nanos);

}  // namespace mmwatch::otlp
