// The series section of "/" and the page of one series (status_page.hpp).
#include <algorithm>

#include "base/human.hpp"
#include "ui/html.hpp"
#include "ui/status_page.hpp"

namespace mmwatch::ui {

namespace {

struct ChartRange {
    std::string_view name;
    int64_t ms;
};
constexpr ChartRange kChartRanges[] = {{"1h", 3'600'000}, {"6h", 6 * 3'600'000}, {"24h", 24 * 3'600'000}};

// "/?page=N#series", or with a filter "/?match=M&from=ID#series".
void append_page_href(std::string& out, const SeriesQuery& q, size_t page_or_from) {
    out += "/?";
    if (!q.match.empty()) {
        out += "match=";
        append_url_encoded(out, q.match);
        out += "&amp;from=";
    } else {
        out += "page=";
    }
    out += std::to_string(page_or_from);
    out += "#series";
}

void append_row(std::string& out, const SeriesRow& row, int64_t now_ms) {
    out += "<tr><td class=\"l\"><a href=\"";
    append_series_href(out, row, "1h");
    out += "\">";
    append_escaped(out, row.name);
    out += "</a>";
    append_escaped(out, row.labels);
    out += "</td><td class=\"n\">";
    if (row.has_value) base::append_number(out, row.value);
    else out += "<span class=\"muted\">gone</span>";
    out += "</td><td class=\"n\">";
    if (row.has_rate) {
        base::append_number(out, row.rate_per_s);
        out += "/s";
    }
    out += "</td><td>";
    // A series younger than the window is drawn across the whole width.
    const int64_t from = row.spark.empty() ? now_ms - kSparklineWindowMs
                                           : std::max(now_ms - kSparklineWindowMs, row.spark.front().t);
    append_sparkline(out, row.spark, from, now_ms);
    out += "</td></tr>";
}

void append_link(std::string& out, const SeriesQuery& q, size_t page_or_from, std::string_view text) {
    out += " &middot; <a href=\"";
    append_page_href(out, q, page_or_from);
    out += "\">";
    out += text;
    out += "</a>";
}

// Without a filter: "series 51-100 of N", previous and next pages. With
// one: the matches among the series scanned, and a link that resumes the
// scan where it stopped.
void append_paging(std::string& out, const SeriesQuery& q, const SeriesPage& page) {
    out += "<p>";
    if (q.match.empty()) {
        const size_t shown_end = page.first + page.rows.size();
        out += "series ";
        out += std::to_string(page.rows.empty() ? 0 : page.first + 1);
        out += "&ndash;";
        out += std::to_string(shown_end);
        out += " of ";
        out += std::to_string(page.total);
        if (q.page > 0) append_link(out, q, q.page - 1, "previous");
        if (shown_end < page.total) {
            append_link(out, q, q.page + 1, "next");
            out += " (";
            out += std::to_string(page.total - shown_end);
            out += " more; filter with ?match=)";
        }
    } else {
        out += std::to_string(page.rows.size());
        out += " matching among ";
        out += std::to_string(page.scanned);
        out += " series scanned";
        if (q.from > 0) out += " from id " + std::to_string(q.from);
        out += " (of ";
        out += std::to_string(page.total);
        out += ")";
        if (q.from > 0) append_link(out, q, 0, "first");
        if (page.more) append_link(out, q, page.next_from, "next");
    }
    out += "</p>";
}

}  // namespace

void append_series_href(std::string& out, const SeriesRow& row, std::string_view range) {
    out += "/ui/series?id=";
    out += std::to_string(row.id);
    out += "&amp;gen=";
    out += std::to_string(row.generation);
    out += "&amp;range=";
    out += range;
}

void append_series_section(std::string& out, const history::Store& store, const SeriesQuery& q, int64_t now_ms) {
    SeriesPage page;
    select_series(store, q, now_ms, page);
    out += "<section id=\"series\"><h2>Series</h2>"
           "<form method=\"get\" action=\"/#series\"><label>filter (a label name or value contains) "
           "<input type=\"search\" name=\"match\" value=\"";
    append_escaped(out, q.match);
    out += "\"></label> <button type=\"submit\">filter</button></form>\n";
    append_paging(out, q, page);
    if (page.rows.empty()) {
        out += "</section>\n";
        return;
    }
    out += "<div class=\"scroll\"><table><thead><tr><th>series</th><th class=\"n\">value</th>"
           "<th class=\"n\">rate</th><th>last 15 min</th></tr></thead><tbody>";
    for (const SeriesRow& row : page.rows) append_row(out, row, now_ms);
    out += "</tbody></table></div></section>\n";
}

bool render_series_page(const history::Store& store, history::SeriesId id, uint32_t generation,
                        std::string_view range, int64_t now_ms, std::string_view version, std::string& out) {
    SeriesRow row;
    if (!describe_series(store, id, generation, row)) return false;
    ChartRange chosen = kChartRanges[0];
    for (const ChartRange& r : kChartRanges)
        if (r.name == range) chosen = r;
    const std::string title = row.name + row.labels;
    append_head(out, title + " - mmwatch " + std::string(version), kSeriesRefreshSeconds);
    out += "<h1>";
    append_escaped(out, row.name);
    out += "</h1><p class=\"l\">";
    append_escaped(out, row.labels.empty() ? "(no labels)" : row.labels);
    out += "</p><p>range: ";
    for (const ChartRange& r : kChartRanges) {
        if (r.name == chosen.name) {
            out += "<strong>";
            out += r.name;
            out += "</strong> ";
            continue;
        }
        out += "<a href=\"";
        append_series_href(out, row, r.name);
        out += "\">";
        out += r.name;
        out += "</a> ";
    }
    out += row.counter ? "&middot; a counter: drawn as its per-second rate" : "&middot; a gauge: drawn as its value";
    out += "</p>\n";
    std::vector<Point> points;
    bool cut = false;
    chart_points(store, row, now_ms - chosen.ms, now_ms, points, cut);
    out += "<div class=\"scroll\">";
    append_chart(out, points, now_ms - chosen.ms, now_ms, title);
    out += "</div>";
    if (cut) out += "<p class=\"muted\">the range holds more samples than a chart reads; it starts late, with the newest</p>";
    out += "\n<p class=\"muted\">UTC; reloads every ";
    out += std::to_string(kSeriesRefreshSeconds);
    out += " s. The raw samples: <a href=\"/api/v1/export?match%5B%5D=";
    std::string selector = row.name;
    if (!row.labels.empty()) selector += row.labels;
    std::string encoded;
    append_url_encoded(encoded, selector);
    out += encoded;
    out += "\">/api/v1/export</a></p>\n";
    append_foot(out);
    return true;
}

}  // namespace mmwatch::ui
