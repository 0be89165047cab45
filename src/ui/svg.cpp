#include "ui/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "ui/html.hpp"

namespace mmwatch::ui {

void downsample(std::span<const Point> in, size_t max_points, std::vector<Point>& out) {
    out.clear();
    if (in.size() <= max_points) {
        out.assign(in.begin(), in.end());
        return;
    }
    const size_t slices = std::max<size_t>(1, max_points / 2);
    for (size_t s = 0; s < slices; ++s) {
        const size_t begin = in.size() * s / slices, end = in.size() * (s + 1) / slices;
        const Point* lo = nullptr;
        const Point* hi = nullptr;
        for (size_t i = begin; i < end; ++i) {
            if (std::isnan(in[i].v)) continue;
            if (!lo || in[i].v < lo->v) lo = &in[i];
            if (!hi || in[i].v > hi->v) hi = &in[i];
        }
        if (!lo) {
            out.push_back(in[begin]);  // all NaN: one gap
        } else if (lo == hi) {
            out.push_back(*lo);
        } else {
            out.push_back(lo->t <= hi->t ? *lo : *hi);
            out.push_back(lo->t <= hi->t ? *hi : *lo);
        }
    }
}

Range value_range(std::span<const Point> points) {
    Range r;
    bool any = false;
    for (const Point& p : points) {
        if (!std::isfinite(p.v)) continue;
        r.lo = any ? std::min(r.lo, p.v) : p.v;
        r.hi = any ? std::max(r.hi, p.v) : p.v;
        any = true;
    }
    return r;
}

namespace {

void append_coord(std::string& out, double v) {
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.1f", v);
    out.append(buf, size_t(n));
}

}  // namespace

std::string path_d(std::span<const Point> points, int64_t t_from, int64_t t_to, Range range, Box box) {
    std::string d;
    const double span_t = t_to > t_from ? double(t_to - t_from) : 1.0;
    const double span_v = range.hi - range.lo;
    bool pen_down = false;
    for (const Point& p : points) {
        if (!std::isfinite(p.v)) {
            pen_down = false;
            continue;
        }
        const double fx = std::clamp(double(p.t - t_from) / span_t, 0.0, 1.0);
        const double fy = span_v > 0 ? std::clamp((p.v - range.lo) / span_v, 0.0, 1.0) : 0.5;
        d += pen_down ? 'L' : 'M';
        append_coord(d, box.x + fx * box.width);
        d += ' ';
        append_coord(d, box.y + (1 - fy) * box.height);
        pen_down = true;
    }
    return d;
}

void append_sparkline(std::string& out, std::span<const Point> points, int64_t t_from, int64_t t_to) {
    const std::string d = path_d(points, t_from, t_to, value_range(points), {1, 2, 118, 20});
    out += "<svg class=\"spark\" viewBox=\"0 0 120 24\" width=\"120\" height=\"24\" role=\"img\" "
           "aria-label=\"sparkline\">";
    if (!d.empty()) {
        out += "<path d=\"";
        out += d;
        out += "\"/>";
    }
    out += "</svg>";
}

namespace {

// The chart's viewBox and its plot area inside it (room for the axes' labels).
constexpr double kChartWidth = 900, kChartHeight = 300;
constexpr Box kPlot{92, 10, 792, 255};
constexpr int kTimeTicks = 5;

void append_text(std::string& out, double x, double y, std::string_view anchor, std::string_view text) {
    out += "<text x=\"";
    append_coord(out, x);
    out += "\" y=\"";
    append_coord(out, y);
    out += "\" text-anchor=\"";
    out += anchor;
    out += "\">";
    append_escaped(out, text);
    out += "</text>";
}

void append_hline(std::string& out, double y) {
    out += "<line class=\"grid\" x1=\"";
    append_coord(out, kPlot.x);
    out += "\" x2=\"";
    append_coord(out, kPlot.x + kPlot.width);
    out += "\" y1=\"";
    append_coord(out, y);
    out += "\" y2=\"";
    append_coord(out, y);
    out += "\"/>";
}

void append_value_axis(std::string& out, Range r) {
    const double values[] = {r.hi, (r.lo + r.hi) / 2, r.lo};
    for (int i = 0; i < 3; ++i) {
        const double y = kPlot.y + kPlot.height * i / 2;
        append_hline(out, y);
        // Four significant digits fit the margin ("-1.235e+09", "0.0008044").
        char label[32];
        const int n = std::snprintf(label, sizeof label, "%.4g", values[i]);
        append_text(out, kPlot.x - 6, y + 4, "end", std::string_view(label, size_t(n)));
    }
}

void append_time_axis(std::string& out, int64_t t_from, int64_t t_to) {
    for (int i = 0; i < kTimeTicks; ++i) {
        const double f = double(i) / (kTimeTicks - 1);
        std::string label;
        append_hh_mm(label, t_from + int64_t(f * double(t_to - t_from)));
        const std::string_view anchor = i == 0 ? "start" : i == kTimeTicks - 1 ? "end" : "middle";
        append_text(out, kPlot.x + f * kPlot.width, kPlot.y + kPlot.height + 22, anchor, label);
    }
}

}  // namespace

void append_chart(std::string& out, std::span<const Point> points, int64_t t_from, int64_t t_to,
                  std::string_view title) {
    const Range r = value_range(points);
    out += "<svg class=\"chart\" viewBox=\"0 0 ";
    append_coord(out, kChartWidth);
    out += ' ';
    append_coord(out, kChartHeight);
    out += "\" role=\"img\" aria-label=\"";
    append_escaped(out, title);
    out += "\"><title>";
    append_escaped(out, title);
    out += "</title>";
    append_value_axis(out, r);
    append_time_axis(out, t_from, t_to);
    const std::string d = path_d(points, t_from, t_to, r, kPlot);
    if (d.empty()) {
        append_text(out, kPlot.x + kPlot.width / 2, kPlot.y + kPlot.height / 2, "middle", "no samples in this range");
    } else {
        out += "<path d=\"";
        out += d;
        out += "\"/>";
    }
    out += "</svg>";
}

}  // namespace mmwatch::ui
