// The gRPC listener's self-metrics (--otlp-grpc-listen): its HTTP/2
// sessions' refusals by reason and streams, the request memory they hold,
// and the MetricsService's calls by outcome, message and decode errors.
// Every series is written on every scrape, at zero when the listener is
// off, so a dashboard never tells "no data" from "none happened". The
// listener's connections, caps and timeouts are the per-listener HTTP
// families (listener="otlp_grpc", self_metrics.cpp).
#pragma once

#include <vector>

#include "grpc/metrics_service.hpp"
#include "http/h2_listener.hpp"
#include "prom/writer.hpp"

namespace mmwatch::daemon {

// The families below, for the names files may not use.
[[nodiscard]] const std::vector<prom::Family>& grpc_metric_families();

// `listener` is null when --otlp-grpc-listen is off (its series are zero).
void render_grpc_metrics(const http::H2Listener* listener, const grpc::ServiceCounters& service, prom::Writer& out);

}  // namespace mmwatch::daemon
