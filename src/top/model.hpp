// What `mmwatch top` shows, as plain rows: the JSON answers of a running
// mmwatch (the query API, /api/v1/sources, /api/v1/services) parsed into
// them. Pure: no IO, no terminal; parse errors are returned, never thrown.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmwatch::top {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One series of an instant query: its name, the other labels (sorted by
// name, as the API sends them) and its value.
struct Series {
    std::string name;
    Labels labels;
    double value = 0;
};

// One series of a range query: its points, oldest first.
struct RangeSeries {
    std::string name;
    Labels labels;
    std::vector<std::pair<double, double>> points;  // (unix seconds, value)
};

// One file of /api/v1/sources.
struct Source {
    std::string name, path, state, reason, message;
    uint64_t metrics = 0, size = 0;
    bool stale = false;
};

// One OTLP service of /api/v1/services.
struct Service {
    std::string name, ns;
    uint64_t points_received = 0;
    double last_seen_unix_s = 0;
    bool has_http = false;
    double requests = 0, errors_5xx = 0, rate_per_s = 0, error_ratio = 0, p50_s = 0, p99_s = 0;
};

// Each parser fills `out` and returns "" or says what was wrong. An API
// error answer ({"status":"error",...}) returns its message.
std::string parse_vector(std::string_view json, std::vector<Series>& out);
std::string parse_matrix(std::string_view json, std::vector<RangeSeries>& out);
std::string parse_sources(std::string_view json, std::vector<Source>& out);
std::string parse_services(std::string_view json, std::vector<Service>& out);

// `name{a="x",b="y"}`, label values escaped as PromQL reads them: the
// selector of exactly this series (every label given).
std::string selector_of(std::string_view name, const Labels& labels);

// Counters by Prometheus' naming conventions (the API keeps no types):
// their rate per second is shown beside the value.
bool looks_like_counter(std::string_view name);

}  // namespace mmwatch::top
