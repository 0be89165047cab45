// The query API's self-metrics on /metrics (docs/query.md), written from
// api::QueryApi's counters in whatever format the page is rendered in.
#include "api/query_api.hpp"
#include "daemon/metrics_page.hpp"

namespace mmwatch::daemon {

namespace {

constexpr prom::Family kRequests{"mmwatch_api_requests_total", prom::Kind::counter,
                                 "Prometheus API requests, by endpoint."};
constexpr prom::Family kRefused{"mmwatch_api_refused_total", prom::Kind::counter,
                                "Prometheus API requests answered with an error, by reason."};
constexpr prom::Family kRunning{"mmwatch_api_queries_running", prom::Kind::gauge,
                                "PromQL queries and series/label lookups being evaluated now."};
constexpr prom::Family kSlices{"mmwatch_api_query_slices_total", prom::Kind::counter,
                               "Slices of query evaluation run (one per query per loop turn)."};
constexpr prom::Family kPeakSamples{"mmwatch_api_query_peak_samples_max", prom::Kind::gauge,
                                    "The most samples any one query has held at once."};
constexpr prom::Family kLive{"mmwatch_api_live_queries_total", prom::Kind::counter,
                             "PromQL queries near now that saw the live values (series newer than history)."};

}  // namespace

void write_query_metrics(const api::QueryApi& api, prom::Writer& w) {
    const api::ApiCounters& c = api.counters();
    prom::head(w, kRequests);
    for (size_t i = 0; i < api::kEndpointCount; ++i)
        prom::labelled(w, "endpoint", api::endpoint_name(api::Endpoint(i)), double(c.requests[i]));
    prom::head(w, kRefused);
    for (size_t i = 0; i < api::kRefusalCount; ++i)
        prom::labelled(w, "reason", api::refusal_name(api::Refusal(i)), double(c.refused[i]));
    prom::single(w, kRunning, double(api.running()));
    prom::single(w, kSlices, double(c.slices));
    prom::single(w, kPeakSamples, double(c.samples_peak_max));
    prom::single(w, kLive, double(c.live_queries));
}

}  // namespace mmwatch::daemon
