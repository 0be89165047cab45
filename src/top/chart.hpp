// Sparklines and charts as text: a row of values becomes a row of
// characters, UTF-8 block elements (U+2581..U+2588) or, where the locale
// is not UTF-8, ASCII. Pure: the caller hands the values and the width.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mmwatch::top {

enum class Glyphs { utf8, ascii };

// Resamples `values` to `width` columns (the last value of each column's
// share; NaN for an empty share) and draws one character per column, lowest
// to highest among the finite values; NaN is a blank.
std::string sparkline(const std::vector<double>& values, size_t width, Glyphs glyphs);

// A chart of `height` rows (top first) and `width` columns: each column a
// bar up to its value, scaled between the finite minimum and maximum, with
// eighths of a row in UTF-8 and whole rows in ASCII.
std::vector<std::string> chart(const std::vector<double>& values, size_t width, size_t height, Glyphs glyphs);

// Per-second increases of a counter between consecutive points (a drop is
// a reset: the new value is the increase, as Prometheus' rate() has it).
// One value fewer than points; NaN where a point is NaN.
std::vector<double> per_second(const std::vector<std::pair<double, double>>& points);

// The values of points, in order.
std::vector<double> values_of(const std::vector<std::pair<double, double>>& points);

}  // namespace mmwatch::top
