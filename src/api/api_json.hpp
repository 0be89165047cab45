// The Prometheus HTTP API's JSON, written as Prometheus writes it
// (web/api/v1 and util/jsonutil): timestamps as seconds with the
// milliseconds after a point ("1435781451.781", "10"), values as strings
// in Go's shortest form ('f', or 'e' below 1e-6 and from 1e21 on; "NaN",
// "+Inf", "-Inf"), and the envelope's fields in its order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "promql/engine.hpp"
#include "promql/label_set.hpp"

namespace mmwatch::api {

// Prometheus's error types and the HTTP status each is answered with.
enum class ApiError : uint8_t { bad_data, execution, timeout, canceled, internal, unavailable, not_found };
[[nodiscard]] std::string_view api_error_name(ApiError e) noexcept;
[[nodiscard]] int api_error_status(ApiError e) noexcept;
[[nodiscard]] ApiError api_error_of(promql::ErrorType t) noexcept;

void append_timestamp(std::string& out, int64_t t_ms);
void append_value(std::string& out, double v);
void append_labels(std::string& out, const promql::Labels& ls);

// {"status":"success","data":{"resultType":...,"result":...}[,"warnings":[...]][,"infos":[...]]}
[[nodiscard]] std::string query_success(const promql::QueryResult& r);
// The same answer written a part at a time, so a large one does not hold
// the loop: each call appends whole series of about `max_points` points
// (at least one series) from where `at` stopped; true once all is written.
struct AnswerCursor {
    bool started = false;
    size_t next = 0;  // the next series or sample to write
};
[[nodiscard]] bool append_query_success(std::string& out, const promql::QueryResult& r, AnswerCursor& at,
                                        size_t max_points);
// {"status":"success","data":<data>} around JSON already written.
[[nodiscard]] std::string success(std::string_view data_json);
// {"status":"error","errorType":...,"error":...}
[[nodiscard]] std::string error(ApiError type, std::string_view message);
// A JSON array of strings.
[[nodiscard]] std::string string_array(const std::vector<std::string>& items);

}  // namespace mmwatch::api
