#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "ui/svg.hpp"

using namespace mmwatch::ui;

TEST_CASE("downsample_keeps_short_series_and_cuts_long_ones_to_the_cap_keeping_spikes") {
    std::vector<Point> in;
    std::vector<Point> out;
    for (int i = 0; i < 10; ++i) in.push_back({i * 1000, double(i)});
    downsample(in, 60, out);
    CHECK(out.size() == 10);
    in.clear();
    for (int i = 0; i < 86'400; ++i) in.push_back({int64_t(i) * 1000, i == 40'000 ? 1e9 : 1.0});
    downsample(in, kChartPoints, out);
    CHECK(out.size() <= kChartPoints);
    CHECK(out.size() >= kChartPoints / 2);
    CHECK(value_range(out).hi == 1e9);  // the one spike survives
    for (size_t i = 1; i < out.size(); ++i) CHECK(out[i - 1].t <= out[i].t);
}

TEST_CASE("downsample_keeps_a_gap_that_fills_a_whole_slice") {
    std::vector<Point> in;
    for (int i = 0; i < 100; ++i) in.push_back({i, i >= 40 && i < 60 ? std::nan("") : 1.0});
    std::vector<Point> out;
    downsample(in, 10, out);  // five slices of 20: the third is all NaN
    REQUIRE(out.size() == 5);
    CHECK(std::isnan(out[2].v));
}

TEST_CASE("path_is_scaled_into_its_box_and_breaks_at_nan") {
    const std::vector<Point> pts = {{0, 0}, {50, 10}, {60, std::nan("")}, {100, 5}};
    const std::string d = path_d(pts, 0, 100, {0, 10}, {0, 0, 100, 20});
    CHECK(d == "M0.0 20.0L50.0 0.0M100.0 10.0");
    // A flat series is drawn level in the middle, not divided by zero.
    CHECK(path_d(std::vector<Point>{{0, 3}, {10, 3}}, 0, 10, {3, 3}, {0, 0, 10, 10}) == "M0.0 5.0L10.0 5.0");
    CHECK(path_d(std::vector<Point>{{0, std::nan("")}}, 0, 10, {}, {0, 0, 10, 10}).empty());
    // Points outside the range are held at the box's edge.
    CHECK(path_d(std::vector<Point>{{-50, 100}}, 0, 10, {0, 1}, {0, 0, 10, 10}) == "M0.0 0.0");
}

TEST_CASE("a_chart_has_value_and_time_axes_and_escapes_its_title") {
    std::vector<Point> pts;
    for (int i = 0; i <= 60; ++i) pts.push_back({1'700'000'000'000 + i * 60'000, double(i % 7)});
    std::string out;
    append_chart(out, pts, 1'700'000'000'000, 1'700'003'600'000, "x{a=\"<b>\"}");
    CHECK(out.starts_with("<svg class=\"chart\" viewBox=\"0 0 900.0 300.0\""));
    CHECK(out.find("<title>x{a=&quot;&lt;b&gt;&quot;}</title>") != std::string::npos);
    CHECK(out.find(">22:13</text>") != std::string::npos);  // the first time tick
    CHECK(out.find(">23:13</text>") != std::string::npos);  // the last
    CHECK(out.find(">6</text>") != std::string::npos);      // the highest value
    CHECK(out.find(">0</text>") != std::string::npos);      // the lowest
    CHECK(out.find("<path d=\"M") != std::string::npos);
    CHECK(out.ends_with("</svg>"));
    std::string empty;
    append_chart(empty, {}, 0, 1000, "e");
    CHECK(empty.find("no samples in this range") != std::string::npos);
}

TEST_CASE("a_sparkline_is_a_fixed_size_svg") {
    std::string out;
    append_sparkline(out, std::vector<Point>{{0, 1}, {10, 2}}, 0, 10);
    CHECK(out == "<svg class=\"spark\" viewBox=\"0 0 120 24\" width=\"120\" height=\"24\" role=\"img\" "
                 "aria-label=\"sparkline\"><path d=\"M1.0 22.0L119.0 2.0\"/></svg>");
}
