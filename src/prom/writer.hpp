// One interface for the three exposition formats a scraper may ask for:
// text 0.0.4, OpenMetrics 1.0 text and the protobuf MetricFamily stream.
// Every writer of /metrics (self-metrics, staleness, the OTLP translation,
// the file plan's non-text paths) calls it the same way, so a family looks
// alike in every format: docs/http.md, "Formats".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/duration_histogram.hpp"

namespace mmwatch::prom {

enum class Format : uint8_t { text, openmetrics, protobuf };
inline constexpr size_t kFormatCount = 3;

// "text", "openmetrics", "protobuf": the format label of mmwatch_scrapes_total
// and the values of /metrics?format=.
[[nodiscard]] std::string_view format_name(Format f) noexcept;
// The one concrete Content-Type a response in `f` carries.
[[nodiscard]] std::string_view content_type(Format f) noexcept;

enum class Kind : uint8_t { counter, gauge, histogram, summary, info };

// A histogram kept exactly: the protobuf format's native histogram. Bucket
// indexes are Prometheus's (bucket i holds (base^(i-1), base^i]).
struct BucketSpan {
    int32_t offset = 0;  // from the end of the previous span (the first: absolute)
    uint32_t length = 0;
};
struct NativeHistogram {
    int32_t schema = 0;
    double zero_threshold = 0;
    uint64_t zero_count = 0;
    uint64_t count = 0;
    double sum = 0;
    std::vector<BucketSpan> positive_spans, negative_spans;
    std::vector<int64_t> positive_deltas, negative_deltas;  // each count minus the one before
};

// Call order: family(), then per label set metric() and that metric's
// samples (value; or buckets ascending, sum, count; or quantiles, sum,
// count; created last), then the next metric or family; finish() once.
class Writer {
public:
    explicit Writer(std::string& out) : out_(out) {}
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    virtual ~Writer() = default;

    [[nodiscard]] virtual Format format() const noexcept = 0;
    // Appends one label to `labels` in this writer's encoding; a metric's
    // label set is such a string, which callers may cache and reuse.
    virtual void label(std::string& labels, std::string_view name, std::string_view value) const = 0;
    // `name` as the text format writes it: counters end in _total, the
    // info family in _info. `unit` (may be empty) is written where the
    // format has a place for it and the name ends with it.
    virtual void family(std::string_view name, Kind kind, std::string_view help, std::string_view unit = {}) = 0;
    virtual void metric(std::string_view labels) = 0;
    virtual void value(double v) = 0;  // counter, gauge, info
    virtual void bucket(double upper_bound, double cumulative) = 0;
    virtual void quantile(double q, double v) = 0;
    virtual void sum(double v) = 0;
    virtual void count(double v) = 0;
    // The start of a counter, histogram or summary: OpenMetrics _created,
    // protobuf created_timestamp, nothing in text 0.0.4.
    virtual void created(int64_t unix_ns) = 0;
    // Only for writers whose format() is protobuf: others take the classic
    // buckets instead.
    virtual void native(const NativeHistogram& h) = 0;
    // After the last family: OpenMetrics writes # EOF, protobuf its last family.
    virtual void finish() = 0;
    // Bytes written so far, counting a family still being assembled.
    [[nodiscard]] virtual size_t size() const noexcept { return out_.size(); }
    // From distinct_series(true) to distinct_series(false), every series
    // written is known to differ from every other written so (the file
    // plan's: one per family and file). A writer that drops repeated
    // series (the sample pipeline's) may then skip comparing them with
    // each other; the exposition writers ignore it.
    virtual void distinct_series(bool) {}

protected:
    std::string& out_;
};

// A writer appending to `out` in `format`.
[[nodiscard]] std::unique_ptr<Writer> make_writer(Format format, std::string& out);

// A family as the self-metrics declare it, one constant each.
struct Family {
    std::string_view name;
    Kind kind;
    std::string_view help;
};

// Shorthands for the self-metrics: a family's HELP and TYPE, one metric
// with one label (none when `label` is empty), and a family of one
// unlabelled metric.
inline void head(Writer& w, const Family& f) { w.family(f.name, f.kind, f.help); }
void labelled(Writer& w, std::string_view label, std::string_view value, double v);
void single(Writer& w, std::string_view name, Kind kind, std::string_view help, double v);
inline void single(Writer& w, const Family& f, double v) { single(w, f.name, f.kind, f.help, v); }
// One histogram metric of a histogram family, with one label (none when
// `label` is empty), from durations kept in nanoseconds.
void durations(Writer& w, std::string_view label, std::string_view value, const base::DurationHistogram& h);

}  // namespace mmwatch::prom
