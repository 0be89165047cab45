#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "api/metadata.hpp"

using namespace mmwatch;

namespace {

std::string answer(const std::string& query, std::vector<api::MetricMetadata> families, std::string* error = nullptr) {
    api::Params p;
    REQUIRE(p.add(query));
    std::string out, err;
    const bool ok = api::metadata_json(p, std::move(families), out, err);
    if (error) *error = err;
    return ok ? out : "";
}

const std::vector<api::MetricMetadata> kFamilies = {
    {"up", "gauge", "1 if up", ""},
    {"jobs_total", "counter", "Jobs \"done\"\n", ""},
    {"latency_seconds", "histogram", "Latency", "seconds"},
    {"jobs_total", "counter", "Jobs \"done\"\n", ""},  // the same again: once
    {"jobs_total", "counter", "Jobs, another file's words", ""},
};

}  // namespace

TEST_CASE("metadata_lists_families_in_prometheus_shape_once_each") {
    CHECK(answer("", kFamilies) ==
          "{\"jobs_total\":[{\"type\":\"counter\",\"help\":\"Jobs \\\"done\\\"\\n\",\"unit\":\"\"},"
          "{\"type\":\"counter\",\"help\":\"Jobs, another file's words\",\"unit\":\"\"}],"
          "\"latency_seconds\":[{\"type\":\"histogram\",\"help\":\"Latency\",\"unit\":\"seconds\"}],"
          "\"up\":[{\"type\":\"gauge\",\"help\":\"1 if up\",\"unit\":\"\"}]}");
    CHECK(answer("", {}) == "{}");
}

TEST_CASE("metadata_takes_prometheus_parameters") {
    CHECK(answer("metric=up", kFamilies) == "{\"up\":[{\"type\":\"gauge\",\"help\":\"1 if up\",\"unit\":\"\"}]}");
    CHECK(answer("metric=nothing", kFamilies) == "{}");
    CHECK(answer("limit=0", kFamilies) == "{}");
    CHECK(answer("limit=-1", kFamilies) == answer("", kFamilies));
    CHECK(answer("limit=1&limit_per_metric=1", kFamilies) ==
          "{\"jobs_total\":[{\"type\":\"counter\",\"help\":\"Jobs \\\"done\\\"\\n\",\"unit\":\"\"}]}");
    CHECK(answer("limit=2", kFamilies).find("\"up\"") == std::string::npos);
    std::string err;
    CHECK(answer("limit=x", kFamilies, &err).empty());
    CHECK(err == "limit must be a number");
    CHECK(answer("limit_per_metric=1.5", kFamilies, &err).empty());
    CHECK(err == "limit_per_metric must be a number");
}
