#include "ui/series_rows.hpp"

#include <algorithm>
#include <cmath>

#include "history/iterator.hpp"

namespace mmwatch::ui {

bool counter_name(std::string_view name) noexcept {
    return name.ends_with("_total") || name.ends_with("_count") || name.ends_with("_sum") || name.ends_with("_bucket");
}

namespace {

bool matches(std::span<const history::LabelView> labels, std::string_view match) {
    if (match.empty()) return true;
    for (const history::LabelView& l : labels) {
        if (l.name.find(match) != std::string_view::npos || l.value.find(match) != std::string_view::npos)
            return true;
    }
    return false;
}

void fill_names(std::span<const history::LabelView> labels, SeriesRow& row) {
    row.name.clear();
    row.labels.clear();
    for (const history::LabelView& l : labels) {
        if (l.name == "__name__") {
            row.name = l.value;
            continue;
        }
        row.labels += row.labels.empty() ? "{" : ",";
        row.labels += l.name;
        row.labels += "=\"";
        // As PromQL writes a value, so the text can be pasted into a query.
        for (const char c : l.value) {
            if (c == '\\' || c == '"') row.labels += '\\';
            if (c == '\n') row.labels += "\\n";
            else row.labels += c;
        }
        row.labels += '"';
    }
    if (!row.labels.empty()) row.labels += '}';
    row.counter = counter_name(row.name);
}

// A counter's samples as per-second rates between neighbours (a drop is a
// reset: the new value is the increase); a NaN stays a gap.
void to_rates(std::vector<Point>& points) {
    std::vector<Point> rates;
    rates.reserve(points.size());
    for (size_t i = 1; i < points.size(); ++i) {
        const Point& a = points[i - 1];
        const Point& b = points[i];
        if (std::isnan(a.v) || std::isnan(b.v) || b.t <= a.t) {
            if (std::isnan(b.v)) rates.push_back(b);
            continue;
        }
        const double increase = b.v >= a.v ? b.v - a.v : b.v;
        rates.push_back({b.t, increase * 1000.0 / double(b.t - a.t)});
    }
    points.swap(rates);
}

// Last value, rate and sparkline from the window's raw samples.
void read_recent(const history::Store& store, int64_t now_ms, SeriesRow& row) {
    std::vector<Point> points;
    history::SampleIterator it = store.samples(row.id, now_ms - kSparklineWindowMs, now_ms);
    while (it.next()) {
        // Memory bounded for a dense series (remote_write may send a sample
        // a millisecond): the newest kMaxSparklineSamples are kept.
        if (points.size() == 2 * kMaxSparklineSamples)
            points.erase(points.begin(), points.begin() + ptrdiff_t(kMaxSparklineSamples));
        points.push_back({it.t(), it.value()});
    }
    row.has_value = !points.empty() && std::isfinite(points.back().v);
    if (row.has_value) row.value = points.back().v;
    if (row.counter) {
        // The increase over the rate window, between its first and last sample.
        double increase = 0;
        const Point* first = nullptr;
        const Point* prev = nullptr;
        for (const Point& p : points) {
            if (p.t < now_ms - kRateWindowMs || std::isnan(p.v)) continue;
            if (!first) first = &p;
            if (prev) increase += p.v >= prev->v ? p.v - prev->v : p.v;
            prev = &p;
        }
        row.has_rate = first && prev != first;
        if (row.has_rate) row.rate_per_s = increase * 1000.0 / double(prev->t - first->t);
        to_rates(points);
    }
    downsample(points, kSparklinePoints, row.spark);
}

void add_row(const history::Store& store, history::SeriesId id, std::span<const history::LabelView> labels,
             SeriesPage& out) {
    SeriesRow& row = out.rows.emplace_back();
    row.id = id;
    row.generation = store.generation(id);
    fill_names(labels, row);
}

}  // namespace

// The store is walked in place (its ids are not copied: 0.4 MB at 100,000
// series): the render runs in one loop callback, nothing is held across.
void select_series(const history::Store& store, const SeriesQuery& q, int64_t now_ms, SeriesPage& out) {
    out = {};
    out.total = store.series_count();
    const history::SeriesId end = store.id_limit();
    std::vector<history::LabelView> labels;
    if (q.match.empty()) {
        // No filter: the page is a slice of the live ids; only its rows' labels are read.
        // A page past the end is empty; clamped just past it, so a huge
        // ?page= cannot wrap `first + kSeriesRowsPerPage` or the paging text.
        out.first = std::min(q.page, out.total / kSeriesRowsPerPage + 1) * kSeriesRowsPerPage;
        size_t index = 0;
        for (history::SeriesId id = 0; id < end && out.rows.size() < kSeriesRowsPerPage; ++id) {
            if (!store.live(id) || index++ < out.first) continue;
            store.labels(id, labels);
            add_row(store, id, labels, out);
        }
    } else {
        history::SeriesId id = q.from;
        for (; id < end && out.rows.size() < kSeriesRowsPerPage && out.scanned < kMaxSeriesScanned; ++id) {
            if (!store.live(id)) continue;
            ++out.scanned;
            store.labels(id, labels);
            if (matches(labels, q.match)) add_row(store, id, labels, out);
        }
        while (id < end && !store.live(id)) ++id;
        out.more = id < end;
        out.next_from = out.more ? id : 0;
    }
    for (SeriesRow& row : out.rows) read_recent(store, now_ms, row);
}

bool describe_series(const history::Store& store, history::SeriesId id, uint32_t generation, SeriesRow& out) {
    if (!store.live(id) || store.generation(id) != generation) return false;
    std::vector<history::LabelView> labels;
    store.labels(id, labels);
    out.id = id;
    out.generation = generation;
    fill_names(labels, out);
    return true;
}

namespace {

// The raw samples of [from_ms, to_ms], or, when they are more than
// kMaxChartSamples, the newest that many at most: a chart ends at its
// range's end. Each read stops at kMaxChartSamples; one that stops early
// is tried again from a later start that, at the density just seen, holds
// the cap (exactly, for evenly spaced samples); the last try starts kMaxChartSamples - 1 ms before the end,
// which cannot hold more (one sample per series and millisecond). So at
// most kChartReadTries reads of the cap, whatever the density. True when
// samples before the returned ones were left out.
bool newest_raw(const history::Store& store, history::SeriesId id, int64_t from_ms, int64_t to_ms,
                std::vector<Point>& out) {
    const size_t kept = out.size();
    int64_t start = from_ms;
    for (size_t attempt = 0;; ++attempt) {
        if (attempt + 1 == kChartReadTries) start = std::max(start, to_ms - int64_t(kMaxChartSamples) + 1);
        out.resize(kept);
        history::SampleIterator it = store.samples(id, start, to_ms);
        size_t read = 0;
        bool full = false;
        while (it.next()) {
            if (++read > kMaxChartSamples) {
                full = true;
                break;
            }
            out.push_back({it.t(), it.value()});
        }
        if (!full) return start > from_ms;
        // The span the cap's samples covered, moved to end at to_ms (later
        // than start: the read stopped before to_ms).
        const int64_t span = out.back().t - out[kept].t;
        start = std::max(start + 1, to_ms - span + 1);
    }
}

}  // namespace

void chart_points(const history::Store& store, const SeriesRow& series, int64_t from_ms, int64_t to_ms,
                  std::vector<Point>& out, bool& cut) {
    std::vector<Point> points;
    int64_t raw_from = from_ms;
    constexpr int64_t kHourMs = 3'600'000;
    if (to_ms - from_ms > kHourMs) {
        const auto minute = history::Tier::minute;
        history::TierIterator rows = store.rows(series.id, minute, from_ms, to_ms);
        while (rows.next()) points.push_back({rows.row().t, rows.row().last});
        if (!points.empty()) raw_from = points.back().t + history::kTierBucketMs[size_t(minute)];
    }
    cut = newest_raw(store, series.id, raw_from, to_ms, points);
    if (series.counter) to_rates(points);
    downsample(points, kChartPoints, out);
}

}  // namespace mmwatch::ui
