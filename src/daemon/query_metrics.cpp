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
constexpr prom::Family kWorkCpu{"mmwatch_api_work_cpu_seconds", prom::Kind::histogram,
                                "CPU time of one callback's query API work, by work: parse (a query's text), live (its "
                                "live values), evaluate (a slice), answer (a part of its JSON), lookup (a series/labels "
                                "batch), release (a turn's finished queries freed)."};
constexpr prom::Family kWorkCpuMax{"mmwatch_api_work_cpu_max_seconds", prom::Kind::gauge,
                                   "The most CPU time one callback's query API work took since start, by work."};

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
    prom::head(w, kWorkCpu);
    for (size_t i = 0; i < api::kWorkCount; ++i) prom::durations(w, "work", api::work_name(api::Work(i)), c.work_cpu[i]);
    prom::head(w, kWorkCpuMax);
    for (size_t i = 0; i < api::kWorkCount; ++i)
        prom::labelled(w, "work", api::work_name(api::Work(i)), double(c.work_cpu[i].max_ns) / 1e9);
}

}  // namespace mmwatch::daemon
