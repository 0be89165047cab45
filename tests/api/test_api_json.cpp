#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "api/api_json.hpp"

using namespace mmwatch;
using namespace mmwatch::api;

namespace {

std::string ts(int64_t t) {
    std::string s;
    append_timestamp(s, t);
    return s;
}
std::string val(double v) {
    std::string s;
    append_value(s, v);
    return s;
}

}  // namespace

TEST_CASE("timestamps_are_written_as_prometheus_writes_them") {
    CHECK(ts(0) == "0");
    CHECK(ts(1000) == "1");
    CHECK(ts(1500) == "1.500");
    CHECK(ts(1005) == "1.005");
    CHECK(ts(1050) == "1.050");
    CHECK(ts(-1500) == "-1.500");
    CHECK(ts(-5) == "-0.005");
    CHECK(ts(1435781451781) == "1435781451.781");
}

TEST_CASE("values_are_go_shortest_strings") {
    CHECK(val(1) == "\"1\"");
    CHECK(val(0.1) == "\"0.1\"");
    CHECK(val(-0.0) == "\"-0\"");
    CHECK(val(123456789012) == "\"123456789012\"");
    CHECK(val(1e20) == "\"100000000000000000000\"");
    CHECK(val(1e21) == "\"1e+21\"");
    CHECK(val(1e-6) == "\"0.000001\"");
    CHECK(val(1.5e-7) == "\"1.5e-07\"");
    CHECK(val(std::nan("")) == "\"NaN\"");
    CHECK(val(std::numeric_limits<double>::infinity()) == "\"+Inf\"");
    CHECK(val(-std::numeric_limits<double>::infinity()) == "\"-Inf\"");
}

TEST_CASE("envelopes_and_error_types") {
    CHECK(error(ApiError::bad_data, "a \"b\"") == R"({"status":"error","errorType":"bad_data","error":"a \"b\""})");
    CHECK(success("[]") == R"({"status":"success","data":[]})");
    CHECK(string_array({"a", "b\n"}) == R"(["a","b\n"])");
    CHECK(api_error_status(ApiError::bad_data) == 400);
    CHECK(api_error_status(ApiError::execution) == 422);
    CHECK(api_error_status(ApiError::timeout) == 503);
    CHECK(api_error_status(ApiError::canceled) == 499);
    CHECK(api_error_name(ApiError::unavailable) == "unavailable");
    CHECK(api_error_of(promql::ErrorType::timeout) == ApiError::timeout);
    promql::QueryResult r;
    r.kind = promql::QueryResult::Kind::vector;
    r.annotations.push_back({true, "PromQL warning: w"});
    r.annotations.push_back({false, "PromQL info: i"});
    CHECK(query_success(r) ==
          R"({"status":"success","data":{"resultType":"vector","result":[]},"warnings":["PromQL warning: w"],"infos":["PromQL info: i"]})");
}

// Written a part at a time (a few points a call), an answer is the same
// bytes as written whole, for each kind of result.
TEST_CASE("an_answer_written_in_parts_equals_it_written_whole") {
    using Kind = promql::QueryResult::Kind;
    promql::QueryResult m;
    m.kind = Kind::matrix;
    for (int s = 0; s < 7; ++s) {
        promql::Series series;
        series.metric = promql::Labels::from_pairs({{"__name__", "x"}, {"i", std::to_string(s)}});
        for (int p = 0; p < s * 3; ++p) series.floats.push_back({int64_t(p) * 1500, p * 0.25});
        m.matrix.push_back(std::move(series));
    }
    m.annotations.push_back({false, "PromQL info: i"});
    promql::QueryResult v;
    v.kind = Kind::vector;
    for (int s = 0; s < 5; ++s) v.vector.push_back({promql::Labels::from_pairs({{"i", std::to_string(s)}}), 1000, 1.5});
    promql::QueryResult sc;
    sc.kind = Kind::scalar;
    sc.scalar = 2;
    for (const promql::QueryResult* r : {&m, &v, &sc}) {
        for (const size_t max : {size_t(1), size_t(4), size_t(1000)}) {
            std::string out;
            AnswerCursor at;
            int calls = 1;
            while (!append_query_success(out, *r, at, max)) ++calls;
            CHECK(out == query_success(*r));
            if (r == &m && max == 1) CHECK(calls == 7);  // one series a call
        }
    }
}
