// The screen as lines of text: title, column header, the view's rows,
// status. Pure: screen.cpp draws the lines with ncurses, --once prints
// them. Widths are counted in code points (one column each: the views draw
// block elements and ASCII; wide characters in labels may overhang).
#pragma once

#include <string>
#include <vector>

#include "top/chart.hpp"
#include "top/keys.hpp"
#include "top/rows.hpp"

namespace mmwatch::top {

enum class Style { normal, title, header, selected, warning, dim };

struct Line {
    std::string text;
    Style style = Style::normal;
};

// Lines above and below a view's rows.
inline constexpr size_t kChromeLines = 3;

// Rows of the view that fit on a screen `height` lines tall.
size_t page_rows(size_t height);

// Exactly `height` lines (fewer only when height is smaller than 1), each
// at most `width` code points.
std::vector<Line> layout(const State& state, const Snapshot& snap, size_t width, size_t height, Glyphs glyphs,
                         double now);

// --once: the current view's column header and every row, untruncated,
// columns separated by two spaces; no title, no status, no sparkline.
std::string plain_table(const State& state, const Snapshot& snap, double now);

// `text` cut or padded to exactly `width` code points.
std::string fit(const std::string& text, size_t width);

}  // namespace mmwatch::top
