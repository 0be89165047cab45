#include "top/model.hpp"

#include <cstdlib>
#include <simdjson.h>

namespace mmwatch::top {
namespace {

namespace dom = simdjson::dom;

// Prometheus writes sample values as strings ("1.5", "NaN", "+Inf").
double number_text(std::string_view text) {
    const std::string s(text);
    return std::strtod(s.c_str(), nullptr);
}

// The "data.result" array of a query answer of `type`, or an error.
std::string result_array(dom::parser& parser, std::string_view json, std::string_view type, dom::array& out) {
    dom::element root;
    if (parser.parse(json.data(), json.size()).get(root))
        return "the answer is not JSON";
    std::string_view status;
    if (root["status"].get(status))
        return "the answer has no status";
    if (status != "success") {
        std::string_view message;
        if (root["error"].get(message))
            message = "error without a message";
        return std::string(message);
    }
    std::string_view result_type;
    if (root["data"]["resultType"].get(result_type) || result_type != type)
        return "the answer is not a " + std::string(type);
    if (root["data"]["result"].get(out))
        return "the answer has no result";
    return "";
}

// "metric" of a result: __name__ apart, the other labels in order.
bool metric_labels(dom::element item, std::string& name, Labels& labels) {
    dom::object metric;
    if (item["metric"].get(metric))
        return false;
    for (auto field : metric) {
        std::string_view value;
        if (field.value.get(value))
            return false;
        if (field.key == "__name__")
            name = value;
        else
            labels.emplace_back(std::string(field.key), std::string(value));
    }
    return true;
}

// A [time, "value"] pair.
bool point(dom::element pair, double& t, double& v) {
    dom::array a;
    std::string_view text;
    if (pair.get(a) || a.size() != 2 || a.at(0).get(t) || a.at(1).get(text))
        return false;
    v = number_text(text);
    return true;
}

std::string_view text_or_empty(dom::element e, std::string_view key) {
    std::string_view s;
    if (e[key].get(s))
        return {};
    return s;
}

double number_or_zero(dom::element e, std::string_view key) {
    double d = 0;
    int64_t i = 0;
    uint64_t u = 0;
    std::string_view s;
    if (!e[key].get(d))
        return d;
    if (!e[key].get(i))
        return double(i);
    if (!e[key].get(u))
        return double(u);
    if (!e[key].get(s))
        return number_text(s);
    return 0;
}

}  // namespace

std::string parse_vector(std::string_view json, std::vector<Series>& out) {
    dom::parser parser;
    dom::array result;
    if (auto error = result_array(parser, json, "vector", result); !error.empty())
        return error;
    for (dom::element item : result) {
        Series s;
        double t = 0;
        dom::element value;
        if (!metric_labels(item, s.name, s.labels) || item["value"].get(value) || !point(value, t, s.value))
            return "a result without a metric or a value";
        out.push_back(std::move(s));
    }
    return "";
}

std::string parse_matrix(std::string_view json, std::vector<RangeSeries>& out) {
    dom::parser parser;
    dom::array result;
    if (auto error = result_array(parser, json, "matrix", result); !error.empty())
        return error;
    for (dom::element item : result) {
        RangeSeries s;
        dom::array values;
        if (!metric_labels(item, s.name, s.labels) || item["values"].get(values))
            return "a result without a metric or values";
        for (dom::element pair : values) {
            double t = 0, v = 0;
            if (!point(pair, t, v))
                return "a malformed point";
            s.points.emplace_back(t, v);
        }
        out.push_back(std::move(s));
    }
    return "";
}

std::string parse_sources(std::string_view json, std::vector<Source>& out) {
    dom::parser parser;
    dom::element root;
    dom::array sources;
    if (parser.parse(json.data(), json.size()).get(root) || root["sources"].get(sources))
        return "not a list of sources";
    for (dom::element e : sources) {
        Source s;
        s.name = text_or_empty(e, "name");
        s.path = text_or_empty(e, "path");
        s.state = text_or_empty(e, "state");
        s.reason = text_or_empty(e, "reason");
        s.message = text_or_empty(e, "message");
        s.metrics = uint64_t(number_or_zero(e, "metrics"));
        s.size = uint64_t(number_or_zero(e, "size"));
        bool stale = false;
        s.stale = !e["stale"].get(stale) && stale;
        out.push_back(std::move(s));
    }
    return "";
}

std::string parse_services(std::string_view json, std::vector<Service>& out) {
    dom::parser parser;
    dom::element root;
    dom::array services;
    if (parser.parse(json.data(), json.size()).get(root) || root["services"].get(services))
        return "not a list of services";
    for (dom::element e : services) {
        Service s;
        s.name = text_or_empty(e, "name");
        s.ns = text_or_empty(e, "namespace");
        s.points_received = uint64_t(number_or_zero(e, "points_received"));
        s.last_seen_unix_s = number_or_zero(e, "last_seen_unix_nanos") / 1e9;
        dom::element http;
        if (!e["http"].get(http) && http.is_object()) {
            s.has_http = true;
            s.requests = number_or_zero(http, "requests");
            s.errors_5xx = number_or_zero(http, "errors_5xx");
            s.rate_per_s = number_or_zero(http, "request_rate_per_second");
            s.error_ratio = number_or_zero(http, "error_ratio");
            dom::element latency;
            if (!http["latency_seconds"].get(latency)) {
                s.p50_s = number_or_zero(latency, "p50");
                s.p99_s = number_or_zero(latency, "p99");
            }
        }
        out.push_back(std::move(s));
    }
    return "";
}

std::string selector_of(std::string_view name, const Labels& labels) {
    std::string out(name);
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
        if (i)
            out += ',';
        out += labels[i].first;
        out += "=\"";
        for (char c : labels[i].second) {
            if (c == '\\' || c == '"')
                out += '\\';
            if (c == '\n')
                out += "\\n";
            else
                out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

bool looks_like_counter(std::string_view name) {
    for (std::string_view suffix : {"_total", "_count", "_sum", "_bucket"})
        if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix)
            return true;
    return false;
}

}  // namespace mmwatch::top
