// The series view's rows, read from the history store in place (the page
// is rendered in one loop callback, so the store cannot change under it):
// the series a ?match= filter keeps, one page of them, each with its last
// value, its rate when it is a counter, and a sparkline of the last
// minutes; and one series' points over a chart's range. Bounded: a page is
// kSeriesRowsPerPage rows, a sparkline kSparklinePoints points, a chart
// kChartPoints points read from at most kMaxChartSamples samples (the
// newest), in at most kChartReadTries reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "history/history_store.hpp"
#include "ui/svg.hpp"

namespace mmwatch::ui {

// Rows of the series view per page: 50 rows of labels, values and
// sparklines are about 40 KiB of HTML, quick to render on an ARM board.
inline constexpr size_t kSeriesRowsPerPage = 50;
// The sparkline's window: the last 15 minutes (60 samples at the default
// 15 s --history-interval).
inline constexpr int64_t kSparklineWindowMs = 15 * 60 * 1000;
// A counter's rate is over the last 5 minutes, as rate(x[5m]) would be.
inline constexpr int64_t kRateWindowMs = 5 * 60 * 1000;
// Raw samples a chart keeps at most (a day at one second is 86,400); past
// it the chart keeps the newest (it ends at its range's end), starts late
// and says so.
inline constexpr size_t kMaxChartSamples = 100'000;
// Reads of at most kMaxChartSamples a chart makes to find its newest
// kMaxChartSamples (series_rows.cpp, newest_raw): the first over the whole
// range, then later starts; the last cannot be cut.
inline constexpr size_t kChartReadTries = 3;
// A sparkline's window keeps at most about this many of its newest raw
// samples in memory (15 minutes at a sample a second is 900; 16 bytes
// each, so at most 64 KiB a row while one row is read).
inline constexpr size_t kMaxSparklineSamples = 2'000;

// Series a filtered render reads the labels of at most: about 7 ms on
// this session's loaded 2-core machine (0.3 us a series), so a filter over
// 100,000 series is answered in pages of scans, not one 35 ms render.
inline constexpr size_t kMaxSeriesScanned = 20'000;

// ?match=: a substring of a label name or value (the metric name too);
// empty keeps every series. Without a filter, ?page= (from 0) picks a
// page; with one, ?from= (a series id) is where the scan resumes.
struct SeriesQuery {
    std::string match;
    size_t page = 0;
    history::SeriesId from = 0;
};

struct SeriesRow {
    history::SeriesId id = history::kNoSeries;
    uint32_t generation = 0;
    std::string name;    // __name__
    std::string labels;  // the rest as {a="b",c="d"}, unescaped; empty when none
    bool counter = false;
    bool has_value = false;  // a finite last sample in the window
    double value = 0;
    bool has_rate = false;
    double rate_per_s = 0;
    std::vector<Point> spark;  // the value (a counter: its rate), downsampled
};

struct SeriesPage {
    std::vector<SeriesRow> rows;
    size_t total = 0;  // live series in the store
    size_t first = 0;  // without a filter: the index of rows[0] among them
    // With a filter: series whose labels were read, and where the next
    // scan resumes (more is false once the scan reached the last series).
    size_t scanned = 0;
    bool more = false;
    history::SeriesId next_from = 0;
};

// A counter by Prometheus' naming rules: its name ends in _total, _count
// or _bucket (the store keeps no TYPE).
[[nodiscard]] bool counter_name(std::string_view name) noexcept;

// The page of series `q` asks for, in the store's order (ascending ids),
// as of now_ms: a slice of kSeriesRowsPerPage; with a filter, the matches
// from q.from on until kSeriesRowsPerPage are found or kMaxSeriesScanned
// series were read.
void select_series(const history::Store& store, const SeriesQuery& q, int64_t now_ms, SeriesPage& out);

// One series' name and labels as a row (no samples read); false when the
// id is not live or its generation differs (the series is gone).
[[nodiscard]] bool describe_series(const history::Store& store, history::SeriesId id, uint32_t generation,
                                   SeriesRow& out);

// The series' points over [from_ms, to_ms] for a chart, downsampled to
// kChartPoints: raw samples for an hour or less, else the one-minute
// tier's rows then the raw samples after them. A counter's points are its
// per-second rate. `cut` is set when kMaxChartSamples left older raw
// samples out (the points then start late; they always end at to_ms).
void chart_points(const history::Store& store, const SeriesRow& series, int64_t from_ms, int64_t to_ms,
                  std::vector<Point>& out, bool& cut);

}  // namespace mmwatch::ui
