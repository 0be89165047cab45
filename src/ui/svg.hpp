// Sparklines and charts as inline SVG, drawn from points the caller read
// from the history: no script, no external file, so the page works on a
// device with no network. Every drawing is bounded: points are cut down to
// a fixed count first (downsample), so a day of one-second samples costs
// what an hour does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mmwatch::ui {

struct Point {
    int64_t t = 0;  // Unix milliseconds
    double v = 0;   // NaN (a staleness marker, a gap) breaks the line
};

// Points a sparkline draws at most: one per 2 px of its 120 px width.
inline constexpr size_t kSparklinePoints = 60;
// Points a chart draws at most: about one per 1.5 px of its 900 px width,
// as the minimum and maximum of each slice so a spike is never lost.
inline constexpr size_t kChartPoints = 600;

// At most `max_points` (>= 2) of `in` (oldest first): when there are more,
// `in` is cut into max_points / 2 slices of equal count and each gives its
// lowest and highest value, in time order. A slice of only NaN gives one
// NaN (the gap stays a gap).
void downsample(std::span<const Point> in, size_t max_points, std::vector<Point>& out);

// The drawing area of a path inside an SVG's viewBox.
struct Box {
    double x = 0, y = 0, width = 0, height = 0;
};
// The value range a path is drawn against; lo == hi draws a level line
// in the middle.
struct Range {
    double lo = 0, hi = 0;
};
// The lowest and highest finite value of `points` ({0, 0} when none).
[[nodiscard]] Range value_range(std::span<const Point> points);
// An SVG path's d= for `points` over [t_from, t_to] x `range` in `box`:
// "M" at the start and after each NaN, "L" between, one decimal. Empty
// when no point is finite.
[[nodiscard]] std::string path_d(std::span<const Point> points, int64_t t_from, int64_t t_to, Range range, Box box);

// A 120 x 24 sparkline of `points` (already downsampled) over [t_from, t_to].
void append_sparkline(std::string& out, std::span<const Point> points, int64_t t_from, int64_t t_to);
// A chart with a value axis (lowest, middle, highest) and a time axis
// (UTC HH:MM at five ticks), scaled to the page's width; `title` is
// escaped and read by screen readers.
void append_chart(std::string& out, std::span<const Point> points, int64_t t_from, int64_t t_to,
                  std::string_view title);

}  // namespace mmwatch::ui
