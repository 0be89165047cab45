// GET /api/v1/metadata (docs/query.md): the TYPE, HELP and UNIT of each
// metric family the daemon serves (file metrics, OTLP metrics, its own),
// in Prometheus's shape: {"<family>":[{"type":..,"help":..,"unit":..}]},
// one entry per distinct (type, help, unit) of a family. The daemon
// collects the families when asked (a render of /metrics, as a scrape
// costs); this file filters and writes them with Prometheus's parameters:
// `metric` (one family by name), `limit` (at most that many families; a
// negative one: no limit) and `limit_per_metric`, their messages on a bad
// number. Families are taken in name order where Prometheus takes its
// map's order.
#pragma once

#include <string>
#include <vector>

#include "api/params.hpp"

namespace mmwatch::api {

struct MetricMetadata {
    std::string name;  // as the text format writes it: counters end in _total
    std::string type;  // counter, gauge, histogram, summary (as text's # TYPE)
    std::string help;
    std::string unit;
};

// The answer's data for `families` (any order, repeats allowed), or false
// with Prometheus's message for a bad parameter.
[[nodiscard]] bool metadata_json(const Params& p, std::vector<MetricMetadata> families, std::string& out,
                                 std::string& error);

}  // namespace mmwatch::api
