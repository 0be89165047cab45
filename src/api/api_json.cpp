#include "api/api_json.hpp"

#include <charconv>
#include <cmath>

#include "base/json.hpp"
#include "promql/format.hpp"

namespace mmwatch::api {

namespace {

struct ErrorRow {
    std::string_view name;
    int status;
};
// Prometheus's web/api/v1 respondError codes.
constexpr ErrorRow kErrors[] = {
    {"bad_data", 400}, {"execution", 422}, {"timeout", 503}, {"canceled", 499},
    {"internal", 500}, {"unavailable", 503}, {"not_found", 404},
};

void append_int(std::string& out, int64_t v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_sample(std::string& out, const promql::Labels& metric, int64_t t, double v) {
    out += "{\"metric\":";
    append_labels(out, metric);
    out += ",\"value\":[";
    append_timestamp(out, t);
    out += ',';
    append_value(out, v);
    out += "]}";
}

void append_series(std::string& out, const promql::Series& s) {
    out += "{\"metric\":";
    append_labels(out, s.metric);
    out += ",\"values\":[";
    for (size_t i = 0; i < s.floats.size(); ++i) {
        if (i) out += ',';
        out += '[';
        append_timestamp(out, s.floats[i].t);
        out += ',';
        append_value(out, s.floats[i].f);
        out += ']';
    }
    out += "]}";
}

void append_annotations(std::string& out, const std::vector<promql::Annotation>& notes, bool warnings) {
    bool any = false;
    for (const auto& a : notes) {
        if (a.warning != warnings) continue;
        out += any ? "," : (warnings ? ",\"warnings\":[" : ",\"infos\":[");
        base::json::append_string(out, a.message);
        any = true;
    }
    if (any) out += ']';
}

}  // namespace

std::string_view api_error_name(ApiError e) noexcept { return kErrors[size_t(e)].name; }
int api_error_status(ApiError e) noexcept { return kErrors[size_t(e)].status; }

ApiError api_error_of(promql::ErrorType t) noexcept {
    switch (t) {
        case promql::ErrorType::bad_data: return ApiError::bad_data;
        case promql::ErrorType::execution: return ApiError::execution;
        case promql::ErrorType::timeout: return ApiError::timeout;
        case promql::ErrorType::canceled: return ApiError::canceled;
        case promql::ErrorType::internal: return ApiError::internal;
    }
    return ApiError::internal;
}

// util/jsonutil.MarshalTimestamp: whole seconds, then the milliseconds as
// three digits when there are any.
void append_timestamp(std::string& out, int64_t t_ms) {
    uint64_t t = uint64_t(t_ms);
    if (t_ms < 0) {
        out += '-';
        t = 0 - t;
    }
    append_int(out, int64_t(t / 1000));
    const auto fraction = int64_t(t % 1000);
    if (fraction == 0) return;
    out += '.';
    if (fraction < 100) out += '0';
    if (fraction < 10) out += '0';
    append_int(out, fraction);
}

// util/jsonutil.MarshalFloat: 'f', or 'e' for |v| < 1e-6 or >= 1e21.
void append_value(std::string& out, double v) {
    out += '"';
    const double a = std::fabs(v);
    if (a != 0 && std::isfinite(a) && (a < 1e-6 || a >= 1e21)) {
        char buf[40];
        out.append(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr);
    } else {
        out += promql::format_go_f(v);
    }
    out += '"';
}

void append_labels(std::string& out, const promql::Labels& ls) {
    out += '{';
    bool first = true;
    for (const promql::Label l : ls) {
        if (!first) out += ',';
        first = false;
        base::json::append_string(out, l.name);
        out += ':';
        base::json::append_string(out, l.value);
    }
    out += '}';
}

bool append_query_success(std::string& out, const promql::QueryResult& r, AnswerCursor& at, size_t max_points) {
    using Kind = promql::QueryResult::Kind;
    const size_t n = r.kind == Kind::vector ? r.vector.size() : r.kind == Kind::matrix ? r.matrix.size() : 0;
    if (!at.started) {
        at.started = true;
        out += "{\"status\":\"success\",\"data\":{\"resultType\":";
        switch (r.kind) {
            case Kind::scalar:
            case Kind::string:
                out += r.kind == Kind::scalar ? "\"scalar\",\"result\":[" : "\"string\",\"result\":[";
                append_timestamp(out, r.t);
                out += ',';
                if (r.kind == Kind::scalar) append_value(out, r.scalar);
                else base::json::append_string(out, r.string);
                break;
            case Kind::vector: out += "\"vector\",\"result\":["; break;
            case Kind::matrix: out += "\"matrix\",\"result\":["; break;
        }
    }
    // Whole series at a time, at least one a call, until the points are spent.
    for (size_t points = 0; at.next < n && points < max_points; ++at.next) {
        if (at.next) out += ',';
        if (r.kind == Kind::vector) {
            append_sample(out, r.vector[at.next].metric, r.vector[at.next].t, r.vector[at.next].f);
            ++points;
        } else {
            append_series(out, r.matrix[at.next]);
            points += r.matrix[at.next].floats.size() + 1;
        }
    }
    if (at.next < n) return false;
    out += "]}";
    append_annotations(out, r.annotations, true);
    append_annotations(out, r.annotations, false);
    out += '}';
    return true;
}

std::string query_success(const promql::QueryResult& r) {
    std::string out;
    AnswerCursor at;
    (void)append_query_success(out, r, at, SIZE_MAX);
    return out;
}

std::string success(std::string_view data_json) {
    std::string out = "{\"status\":\"success\",\"data\":";
    out += data_json;
    out += '}';
    return out;
}

std::string error(ApiError type, std::string_view message) {
    std::string out = "{\"status\":\"error\",\"errorType\":\"";
    out += api_error_name(type);
    out += "\",\"error\":";
    base::json::append_string(out, message);
    out += '}';
    return out;
}

std::string string_array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        base::json::append_string(out, items[i]);
    }
    out += ']';
    return out;
}

}  // namespace mmwatch::api
