// The three exposition writers. The text writers emit a line per sample as
// they are called; the protobuf writer assembles one Metric, then one
// MetricFamily, and appends each family with its varint length in front
// (the "delimited" encoding Prometheus scrapes).
#include "prom/writer.hpp"

#include <cmath>

#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>

#include "prom/text.hpp"

namespace mmwatch::prom {

std::string_view format_name(Format f) noexcept {
    switch (f) {
    case Format::openmetrics: return "openmetrics";
    case Format::protobuf: return "protobuf";
    default: return "text";
    }
}

std::string_view content_type(Format f) noexcept {
    switch (f) {
    case Format::openmetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case Format::protobuf:
        return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
    default: return "text/plain; version=0.0.4; charset=utf-8";
    }
}

namespace {

std::string_view strip_suffix(std::string_view name, std::string_view suffix) {
    return name.ends_with(suffix) ? name.substr(0, name.size() - suffix.size()) : name;
}

// Text 0.0.4 and OpenMetrics differ in the family line (a counter's family
// is named without _total, an info family without _info), in HELP escaping
// (OpenMetrics also escapes "), in _created and # UNIT, and in # EOF.
class TextWriter final : public Writer {
public:
    TextWriter(std::string& out, bool openmetrics) : Writer(out), om_(openmetrics) {}

    [[nodiscard]] Format format() const noexcept override { return om_ ? Format::openmetrics : Format::text; }

    void label(std::string& labels, std::string_view name, std::string_view value) const override {
        labels += name;
        labels += "=\"";
        append_label_value(labels, value);
        labels += "\",";
    }

    void family(std::string_view name, Kind kind, std::string_view help, std::string_view unit) override {
        name_ = name;
        kind_ = kind;
        base_ = name;
        if (om_ && kind == Kind::counter) base_ = strip_suffix(name, "_total");
        if (om_ && kind == Kind::info) base_ = strip_suffix(name, "_info");
        if (!help.empty()) {
            out_ += "# HELP ";
            out_ += base_;
            out_ += ' ';
            if (om_) append_label_value(out_, help);  // \ " and newline, as OpenMetrics escapes HELP
            else append_help_text(out_, help);
            out_ += '\n';
        }
        std::string_view type = "gauge";
        switch (kind) {
        case Kind::counter: type = "counter"; break;
        case Kind::histogram: type = "histogram"; break;
        case Kind::summary: type = "summary"; break;
        case Kind::info: type = om_ ? "info" : "gauge"; break;
        default: break;
        }
        append_type(out_, base_, type);
        if (om_ && !unit.empty() && base_.size() > unit.size() && base_.ends_with(unit) &&
            base_[base_.size() - unit.size() - 1] == '_') {
            out_ += "# UNIT ";
            out_ += base_;
            out_ += ' ';
            out_ += unit;
            out_ += '\n';
        }
    }

    void metric(std::string_view labels) override {
        labels_ = labels;
        no_sum_ = false;
    }

    void value(double v) override { line(name_, {}, 0, v); }
    void bucket(double le, double cumulative) override {
        suffixed_ = name_;
        suffixed_ += "_bucket";
        line(suffixed_, "le", le, cumulative);
    }
    void quantile(double q, double v) override { line(name_, "quantile", q, v); }
    // OpenMetrics allows _sum only when no observation was negative (it is
    // counter-like there) and _count only beside a _sum: a negative sum
    // leaves both out, and the +Inf bucket carries the count.
    void sum(double v) override {
        no_sum_ = om_ && v < 0;
        if (!no_sum_) suffixed(name_, "_sum", v);
    }
    void count(double v) override {
        if (!no_sum_) suffixed(name_, "_count", v);
    }
    void created(int64_t unix_ns) override {
        // Whole seconds and the fraction apart, so 1699999500.25 stays exact.
        const double seconds = double(unix_ns / 1'000'000'000) + double(unix_ns % 1'000'000'000) / 1e9;
        if (om_) suffixed(base_, "_created", seconds);
    }
    void native(const NativeHistogram&) override {}
    void finish() override {
        if (om_) out_ += "# EOF\n";
    }

private:
    void suffixed(std::string_view base, std::string_view suffix, double v) {
        suffixed_ = base;
        suffixed_ += suffix;
        line(suffixed_, {}, 0, v);
    }

    // name{labels[,extra="x"]} value
    void line(std::string_view name, std::string_view extra, double extra_value, double v) {
        out_ += name;
        if (!labels_.empty() || !extra.empty()) {
            out_ += '{';
            out_ += labels_;
            if (!extra.empty()) {
                out_ += extra;
                out_ += "=\"";
                append_value(out_, extra_value);
                out_ += "\",";
            }
            out_.back() = '}';
        }
        out_ += ' ';
        append_value(out_, v);
        out_ += '\n';
    }

    bool om_;
    bool no_sum_ = false;  // this metric's _sum was left out
    Kind kind_ = Kind::gauge;
    std::string name_, base_, labels_, suffixed_;
};

// Field numbers of io.prometheus.client's metrics.proto (the schema is
// vendored for the tests in tests/blackbox/metrics.proto).
namespace pb {
enum : uint32_t { label_name = 1, label_value = 2 };
enum : uint32_t { family_name = 1, family_help = 2, family_type = 3, family_metric = 4, family_unit = 5 };
enum : uint32_t { metric_label = 1, metric_gauge = 2, metric_counter = 3, metric_summary = 4, metric_histogram = 7 };
enum : uint32_t { type_counter = 0, type_gauge = 1, type_summary = 2, type_histogram = 4 };
enum : uint32_t { value_value = 1, counter_created = 3 };
enum : uint32_t { summary_count = 1, summary_sum = 2, summary_quantile = 3, summary_created = 4 };
enum : uint32_t { quantile_quantile = 1, quantile_value = 2 };
enum : uint32_t {
    hist_count = 1, hist_sum = 2, hist_bucket = 3, hist_count_float = 4, hist_schema = 5, hist_zero_threshold = 6,
    hist_zero_count = 7, hist_negative_span = 9, hist_negative_delta = 10, hist_positive_span = 12,
    hist_positive_delta = 13, hist_created = 15
};
enum : uint32_t { bucket_count = 1, bucket_upper = 2, bucket_count_float = 4 };
enum : uint32_t { span_offset = 1, span_length = 2 };
enum : uint32_t { timestamp_seconds = 1, timestamp_nanos = 2 };
}  // namespace pb

// A count as the uint64 field when it is one, else as the float field.
bool whole_count(double v) { return v >= 0 && v < 18446744073709551616.0 && v == std::floor(v); }

class ProtoWriter final : public Writer {
public:
    explicit ProtoWriter(std::string& out) : Writer(out) {}

    [[nodiscard]] Format format() const noexcept override { return Format::protobuf; }

    void label(std::string& labels, std::string_view name, std::string_view value) const override {
        std::string pair;
        protozero::pbf_writer p(pair);
        p.add_string(pb::label_name, name.data(), name.size());
        p.add_string(pb::label_value, value.data(), value.size());
        protozero::pbf_writer(labels).add_message(pb::metric_label, pair);
    }

    void family(std::string_view name, Kind kind, std::string_view help, std::string_view unit) override {
        flush_family();
        kind_ = kind;
        protozero::pbf_writer f(family_);
        f.add_string(pb::family_name, name.data(), name.size());
        if (!help.empty()) f.add_string(pb::family_help, help.data(), help.size());
        uint32_t type = pb::type_gauge;  // also info: protobuf has no info type
        if (kind == Kind::counter) type = pb::type_counter;
        if (kind == Kind::histogram) type = pb::type_histogram;
        if (kind == Kind::summary) type = pb::type_summary;
        f.add_enum(pb::family_type, int32_t(type));
        if (!unit.empty() && name.find(unit) != std::string_view::npos) f.add_string(pb::family_unit, unit.data(), unit.size());
    }

    void metric(std::string_view labels) override {
        flush_metric();
        open_ = true;
        has_metric_ = true;
        labels_ = labels;
    }

    void value(double v) override { protozero::pbf_writer(body_).add_double(pb::value_value, v); }

    void bucket(double le, double cumulative) override {
        if (std::isinf(le) && le > 0) return;  // implied by the count
        std::string b;
        protozero::pbf_writer w(b);
        if (whole_count(cumulative)) w.add_uint64(pb::bucket_count, uint64_t(cumulative));
        else w.add_double(pb::bucket_count_float, cumulative);
        w.add_double(pb::bucket_upper, le);
        protozero::pbf_writer(body_).add_message(pb::hist_bucket, b);
    }

    void quantile(double q, double v) override {
        std::string b;
        protozero::pbf_writer w(b);
        w.add_double(pb::quantile_quantile, q);
        w.add_double(pb::quantile_value, v);
        protozero::pbf_writer(body_).add_message(pb::summary_quantile, b);
    }

    void sum(double v) override { protozero::pbf_writer(body_).add_double(pb::hist_sum, v); }  // = summary_sum

    void count(double v) override {
        protozero::pbf_writer w(body_);
        if (whole_count(v) || kind_ == Kind::summary) w.add_uint64(pb::hist_count, uint64_t(v));
        else w.add_double(pb::hist_count_float, v);
    }

    void created(int64_t unix_ns) override {
        uint32_t field = 0;
        if (kind_ == Kind::counter) field = pb::counter_created;
        if (kind_ == Kind::summary) field = pb::summary_created;
        if (kind_ == Kind::histogram) field = pb::hist_created;
        if (!field) return;
        std::string ts;
        protozero::pbf_writer w(ts);
        w.add_int64(pb::timestamp_seconds, unix_ns / 1'000'000'000);
        w.add_int32(pb::timestamp_nanos, int32_t(unix_ns % 1'000'000'000));
        protozero::pbf_writer(body_).add_message(field, ts);
    }

    void native(const NativeHistogram& h) override {
        protozero::pbf_writer w(body_);
        w.add_uint64(pb::hist_count, h.count);
        w.add_double(pb::hist_sum, h.sum);
        w.add_sint32(pb::hist_schema, h.schema);
        w.add_double(pb::hist_zero_threshold, h.zero_threshold);
        w.add_uint64(pb::hist_zero_count, h.zero_count);
        const auto spans = [&](uint32_t field, const std::vector<BucketSpan>& ss) {
            for (const BucketSpan& s : ss) {
                std::string b;
                protozero::pbf_writer sw(b);
                sw.add_sint32(pb::span_offset, s.offset);
                sw.add_uint32(pb::span_length, s.length);
                w.add_message(field, b);
            }
        };
        spans(pb::hist_negative_span, h.negative_spans);
        if (!h.negative_deltas.empty())
            w.add_packed_sint64(pb::hist_negative_delta, h.negative_deltas.begin(), h.negative_deltas.end());
        // A histogram with no bucket and no zero threshold still has to read
        // as native to the scraper: one empty span marks it, as client_golang does.
        if (h.positive_spans.empty() && h.negative_spans.empty() && h.zero_threshold == 0) {
            spans(pb::hist_positive_span, {BucketSpan{}});
        }
        spans(pb::hist_positive_span, h.positive_spans);
        if (!h.positive_deltas.empty())
            w.add_packed_sint64(pb::hist_positive_delta, h.positive_deltas.begin(), h.positive_deltas.end());
    }

    void finish() override { flush_family(); }

    [[nodiscard]] size_t size() const noexcept override { return out_.size() + family_.size() + body_.size(); }

private:
    void flush_metric() {
        if (!open_) return;
        open_ = false;
        metric_ = labels_;
        uint32_t field = pb::metric_gauge;
        if (kind_ == Kind::counter) field = pb::metric_counter;
        if (kind_ == Kind::histogram) field = pb::metric_histogram;
        if (kind_ == Kind::summary) field = pb::metric_summary;
        protozero::pbf_writer(metric_).add_message(field, body_);
        protozero::pbf_writer(family_).add_message(pb::family_metric, metric_);
        body_.clear();
    }

    void flush_family() {
        flush_metric();
        // A family without metrics is left out: the scraper's parser
        // refuses an empty MetricFamily.
        if (has_metric_) {
            protozero::add_varint_to_buffer(&out_, family_.size());
            out_ += family_;
        }
        has_metric_ = false;
        family_.clear();
    }

    Kind kind_ = Kind::gauge;
    bool open_ = false;
    bool has_metric_ = false;
    std::string labels_, body_, metric_, family_;
};

}  // namespace

std::unique_ptr<Writer> make_writer(Format format, std::string& out) {
    if (format == Format::protobuf) return std::make_unique<ProtoWriter>(out);
    return std::make_unique<TextWriter>(out, format == Format::openmetrics);
}

void labelled(Writer& w, std::string_view label, std::string_view value, double v) {
    std::string labels;
    if (!label.empty()) w.label(labels, label, value);
    w.metric(labels);
    w.value(v);
}

void durations(Writer& w, std::string_view label, std::string_view value, const base::DurationHistogram& h) {
    std::string labels;
    if (!label.empty()) w.label(labels, label, value);
    w.metric(labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= base::DurationHistogram::kBuckets; ++i) {
        cumulative += h.buckets[i];
        w.bucket(i < base::DurationHistogram::kBuckets ? base::DurationHistogram::kBoundsSeconds[i] : HUGE_VAL,
                 double(cumulative));
    }
    w.sum(double(h.sum_ns) / 1e9);
    w.count(double(h.count));
}

void single(Writer& w, std::string_view name, Kind kind, std::string_view help, double v) {
    w.family(name, kind, help);
    labelled(w, {}, {}, v);
}

}  // namespace mmwatch::prom
