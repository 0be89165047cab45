// Prometheus text format 0.0.4 and JSON from metric samples. Pure: no IO,
// no locks; the providers collect, these render.
#include <cmath>

#include "base/json.hpp"
#include "mmwatch/metrics.hpp"
#include "prom/text.hpp"

namespace mmwatch::inproc {

namespace {

void append_histogram(std::string& out, const MetricSample& s) {
    // Buckets are summed here rather than taking the stored count, so +Inf
    // equals _count and buckets never decrease even when the provider's
    // snapshot was not consistent (the standard histogram's).
    uint64_t cumulative = 0;
    const auto& counts = s.histogram.bucket_counts;
    for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        out += s.name;
        out += "_bucket{le=\"";
        if (i < s.bounds.size()) prom::append_value(out, s.bounds[i]);
        else out += "+Inf";
        out += "\"} ";
        out += std::to_string(cumulative);
        out += '\n';
    }
    out += s.name + "_sum ";
    prom::append_value(out, s.histogram.sum);
    out += '\n' + s.name + "_count " + std::to_string(cumulative) + '\n';
}

std::string_view kind_name(MetricKind k) {
    switch (k) {
        case MetricKind::counter: return "counter";
        case MetricKind::gauge: return "gauge";
        case MetricKind::histogram: return "histogram";
    }
    return "untyped";
}

// JSON has no NaN or infinity.
void append_json_number(std::string& out, double v) {
    if (std::isfinite(v)) prom::append_value(out, v);
    else out += "null";
}

void append_json_histogram(std::string& out, const MetricSample& s) {
    out += ",\"count\":" + std::to_string(s.histogram.count) + ",\"sum\":";
    append_json_number(out, s.histogram.sum);
    out += ",\"buckets\":[";
    const auto& counts = s.histogram.bucket_counts;
    for (size_t i = 0; i < counts.size(); ++i) {
        if (i) out += ',';
        out += "{\"le\":";
        if (i < s.bounds.size()) append_json_number(out, s.bounds[i]);
        else out += "\"+Inf\"";
        out += ",\"count\":" + std::to_string(counts[i]) + '}';
    }
    out += ']';
}

}  // namespace

std::string render_prometheus(const std::vector<MetricSample>& samples) {
    std::string out;
    for (const auto& s : samples) {
        prom::append_head(out, s.name, kind_name(s.kind), s.help);
        switch (s.kind) {
            case MetricKind::counter: out += s.name + ' ' + std::to_string(s.counter) + '\n'; break;
            case MetricKind::gauge: out += s.name + ' ' + std::to_string(s.gauge) + '\n'; break;
            case MetricKind::histogram: append_histogram(out, s); break;
        }
    }
    return out;
}

// {"uptime_seconds":N,"metrics":[{"name":..,"type":..,"help":..,"value":N}
// or for histograms "count", "sum" and per-bucket (not cumulative) counts].
std::string render_json(const std::vector<MetricSample>& samples, uint64_t uptime_seconds) {
    std::string out = "{\"uptime_seconds\":" + std::to_string(uptime_seconds) + ",\"metrics\":[";
    for (size_t i = 0; i < samples.size(); ++i) {
        const auto& s = samples[i];
        if (i) out += ',';
        out += "{\"name\":";
        base::json::append_string(out, s.name);
        out += ",\"type\":\"";
        out += kind_name(s.kind);
        out += "\",\"help\":";
        base::json::append_string(out, s.help);
        switch (s.kind) {
            case MetricKind::counter: out += ",\"value\":" + std::to_string(s.counter); break;
            case MetricKind::gauge: out += ",\"value\":" + std::to_string(s.gauge); break;
            case MetricKind::histogram: append_json_histogram(out, s); break;
        }
        out += '}';
    }
    out += "]}";
    return out;
}

}  // namespace mmwatch::inproc
