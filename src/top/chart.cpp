#include "top/chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mmwatch::top {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Eight heights each: the block elements, and ASCII from low to high.
const char* const kBlocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
constexpr char kAsciiLevels[8] = {'_', '.', '-', '~', '=', '+', '*', '#'};

std::vector<double> resample(const std::vector<double>& values, size_t width) {
    std::vector<double> out(width, kNaN);
    if (values.empty())
        return out;
    if (values.size() <= width) {  // right-aligned: the newest at the right edge
        std::copy(values.begin(), values.end(), out.end() - long(values.size()));
        return out;
    }
    for (size_t col = 0; col < width; ++col) {
        const size_t begin = col * values.size() / width, end = (col + 1) * values.size() / width;
        for (size_t i = begin; i < end; ++i)
            if (!std::isnan(values[i]))
                out[col] = values[i];
    }
    return out;
}

// The finite range of values; lo == hi when flat or empty.
std::pair<double, double> range_of(const std::vector<double>& values) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : values)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (lo > hi)
        return {0, 0};
    return {lo, hi};
}

// v scaled into [0, steps]; a flat series sits in the middle.
size_t level(double v, std::pair<double, double> range, size_t steps) {
    if (v >= std::numeric_limits<double>::infinity())
        return steps;
    if (v <= -std::numeric_limits<double>::infinity())
        return 0;
    const auto [lo, hi] = range;
    if (hi <= lo)
        return steps / 2;
    return size_t(std::lround((v - lo) / (hi - lo) * double(steps)));
}

}  // namespace

std::string sparkline(const std::vector<double>& values, size_t width, Glyphs glyphs) {
    const auto columns = resample(values, width);
    const auto range = range_of(columns);
    std::string out;
    for (double v : columns) {
        if (std::isnan(v)) {
            out += ' ';
            continue;
        }
        const size_t i = level(v, range, 7);
        if (glyphs == Glyphs::utf8)
            out += kBlocks[i];
        else
            out += kAsciiLevels[i];
    }
    return out;
}

std::vector<std::string> chart(const std::vector<double>& values, size_t width, size_t height, Glyphs glyphs) {
    const auto columns = resample(values, width);
    auto range = range_of(columns);
    if (range.first > 0 && range.first == range.second)
        range.first = 0;  // a flat positive series is a full bar, not half
    const size_t eighths = glyphs == Glyphs::utf8 ? 8 : 1;
    std::vector<std::string> rows(height);
    for (double v : columns) {
        // A bar's height in eighths of a row; at least a sliver for a value.
        const size_t fill = std::isnan(v) ? 0 : std::max<size_t>(1, level(v, range, height * eighths));
        for (size_t row = 0; row < height; ++row) {
            const size_t floor_eighths = (height - 1 - row) * eighths;  // what the rows below hold
            const size_t here = fill > floor_eighths ? std::min(fill - floor_eighths, eighths) : 0;
            if (here == 0)
                rows[row] += ' ';
            else if (glyphs == Glyphs::utf8)
                rows[row] += kBlocks[here - 1];
            else
                rows[row] += '#';
        }
    }
    return rows;
}

std::vector<double> per_second(const std::vector<std::pair<double, double>>& points) {
    std::vector<double> out;
    for (size_t i = 1; i < points.size(); ++i) {
        const auto [t0, v0] = points[i - 1];
        const auto [t1, v1] = points[i];
        if (std::isnan(v0) || std::isnan(v1) || t1 <= t0) {
            out.push_back(kNaN);
            continue;
        }
        const double increase = v1 >= v0 ? v1 - v0 : v1;
        out.push_back(increase / (t1 - t0));
    }
    return out;
}

std::vector<double> values_of(const std::vector<std::pair<double, double>>& points) {
    std::vector<double> out;
    out.reserve(points.size());
    for (const auto& p : points)
        out.push_back(p.second);
    return out;
}

}  // namespace mmwatch::top
