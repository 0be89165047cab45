#include "top/layout.hpp"

#include <algorithm>
#include <cmath>

#include "base/human.hpp"
#include "base/limits.hpp"

namespace mmwatch::top {
namespace {

// Code points of UTF-8 text (continuation bytes are not counted).
size_t columns(const std::string& text) {
    return size_t(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// A table: its columns' texts per row; the first column takes what is left.
struct Table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
};

std::string join(const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i)
            out += "  ";
        out += widths.empty() ? cells[i] : fit(cells[i], widths[i]);
    }
    return out;
}

// Each column as wide as its widest cell.
std::vector<size_t> natural_widths(const Table& t) {
    std::vector<size_t> w(t.header.size());
    for (size_t i = 0; i < w.size(); ++i) {
        w[i] = columns(t.header[i]);
        for (const auto& r : t.rows)
            w[i] = std::max(w[i], columns(r[i]));
    }
    return w;
}

// Widths that fit `width`: every column but the first at its natural
// width, the first what remains (at least 8); columns that do not
// fit are dropped from the right.
std::vector<size_t> widths_for(const Table& t, size_t width) {
    std::vector<size_t> w = natural_widths(t);
    size_t rest = 0;
    for (size_t i = 1; i < w.size(); ++i)
        rest += w[i] + 2;
    while (w.size() > 1 && rest + 8 > width) {
        rest -= w.back() + 2;
        w.pop_back();
    }
    w[0] = width > rest ? width - rest : 0;
    return w;
}

std::string age_since(double t, double now) {
    return t > 0 ? base::format_duration(now - t) + " ago" : "never";
}

const char* service_health(const Service& s, double now) {
    if (now - s.last_seen_unix_s > 60)
        return "quiet";
    if (s.has_http && s.error_ratio >= 0.05)
        return "errors";
    return "ok";
}

const char* push_state(const PushTarget& t, double now) {
    if (t.last_success <= 0)
        return t.requests > 0 ? "failing" : "waiting";
    return now - t.last_success > 60 ? "failing" : "ok";
}

Table series_table(const State& state, const Snapshot& snap, size_t spark_width, Glyphs glyphs) {
    Table t{{"SERIES", "VALUE", "RATE/S"}, {}};
    if (spark_width)
        t.header.push_back(fit("LAST " + base::format_duration(base::kTopSparkWindowSeconds), spark_width));
    for (const Series* s : series_rows(state, snap)) {
        auto spark = snap.sparks.find(series_text(*s));
        const bool known = spark != snap.sparks.end();
        std::vector<std::string> row{series_text(*s), base::format_number(s->value),
                                     known && spark->second.has_rate ? base::format_number(spark->second.rate) : ""};
        if (spark_width)
            row.push_back(known ? sparkline(spark->second.values, spark_width, glyphs) : std::string(spark_width, ' '));
        t.rows.push_back(std::move(row));
    }
    return t;
}

Table view_table(const State& state, const Snapshot& snap, double now, size_t spark_width, Glyphs glyphs) {
    Table t;
    switch (state.view) {
    case View::series: return series_table(state, snap, spark_width, glyphs);
    case View::files:
        t.header = {"FILE", "STATE", "REASON", "CHANGED", "STALE", "METRICS"};
        for (const auto& s : snap.sources) {
            auto seen = snap.seen.find(s.path);
            const double changed = seen == snap.seen.end() ? 0 : seen->second.changed_at;
            t.rows.push_back({s.path, s.state, s.reason.empty() ? "-" : s.reason,
                              changed > 0 ? base::format_duration(now - changed) + " ago" : "before start", s.stale ? "stale" : "-",
                              base::format_number(double(s.metrics))});
        }
        return t;
    case View::otlp:
        t.header = {"SERVICE", "HEALTH", "LAST SEEN", "REQ/S", "5XX", "P99", "POINTS"};
        for (const auto& s : snap.services)
            t.rows.push_back({s.ns.empty() ? s.name : s.ns + "/" + s.name, service_health(s, now),
                              age_since(s.last_seen_unix_s, now), s.has_http ? base::format_number(s.rate_per_s) : "-",
                              s.has_http ? base::format_number(s.error_ratio * 100) + "%" : "-",
                              s.has_http ? base::format_number(s.p99_s * 1000) + "ms" : "-",
                              base::format_number(double(s.points_received))});
        return t;
    case View::push:
        t.header = {"URL", "STATE", "PENDING", "LAST SUCCESS", "FAILED", "DROPPED", "SPOOLED"};
        for (const auto& p : snap.push)
            t.rows.push_back({p.url, push_state(p, now), base::format_number(p.pending), age_since(p.last_success, now),
                              base::format_number(p.failed), base::format_number(p.dropped), base::format_number(p.spool)});
        return t;
    case View::daemon:
        t.header = {"FIGURE", "VALUE"};
        for (const auto& [what, value] : snap.daemon)
            t.rows.push_back({what, value});
        return t;
    }
    return t;
}

std::string title_line(const State& state) {
    std::string out = "mmwatch top ";
    for (size_t i = 0; i < kViewCount; ++i) {
        const bool current = size_t(state.view) == i;
        out += current ? " [" : "  ";
        out += char('1' + i);
        out += ' ';
        out += view_name(View(i));
        out += current ? "]" : " ";
    }
    return out;
}

Line status_line(const State& state, const Snapshot& snap) {
    if (state.editing)
        return {"filter (selector or text, Enter applies, Esc cancels): " + state.draft, Style::title};
    if (!snap.connected)
        return {"disconnected from " + snap.url + ": " + snap.error + " (retrying)", Style::warning};
    if (!snap.query_error.empty())
        return {"the server refused the query: " + snap.query_error, Style::warning};
    std::string s = snap.url + "  sort " + sort_name(state.sort) + (state.descending ? " (reversed)" : "");
    if (!state.filter.empty())
        s += "  filter " + state.filter;
    if (state.paused)
        s += "  PAUSED";
    return {s + "  ? help", Style::dim};
}

void help_lines(std::vector<Line>& out) {
    for (const char* text : {
             "1-5, Tab   views: series, files, otlp, push, daemon",
             "/          filter: a selector ({job=\"x\"}) or a substring",
             "s, r       sort by name, value, rate; reverse",
             "p, space   pause polling",
             "arrows j k PgUp PgDn g G   move",
             "Enter      focus the series: its chart; again or Esc: back",
             "t          chart range: 5m, 1h, 24h",
             "q          quit; any other key closes this help"})
        out.push_back({text, Style::normal});
}

void focus_lines(const State& state, const Snapshot& snap, size_t width, size_t height, Glyphs glyphs,
                 std::vector<Line>& out) {
    std::string ranges;
    for (size_t i = 0; i < 3; ++i) {
        const std::string r = base::format_duration(kFocusRangesSeconds[i]);
        ranges += i == state.focus_range ? "[" + r + "] " : " " + r + "  ";
    }
    out.push_back({snap.focus_selector, Style::header});
    auto values = looks_like_counter(snap.focus.name) ? per_second(snap.focus.points) : values_of(snap.focus.points);
    double lo = 0, hi = 0;
    bool any = false;
    for (double v : values)
        if (std::isfinite(v)) {
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
    out.push_back({ranges + (looks_like_counter(snap.focus.name) ? "per second  " : "") +
                       (any ? "min " + base::format_number(lo) + "  max " + base::format_number(hi) : "no points"),
                   Style::normal});
    const size_t axis = 10;
    if (height < 2 || width <= axis)
        return;
    auto rows = chart(values, width - axis, height, glyphs);
    for (size_t i = 0; i < rows.size(); ++i) {
        std::string label = i == 0 && any ? base::format_number(hi) : i + 1 == rows.size() && any ? base::format_number(lo) : "";
        out.push_back({fit(label, axis - 1) + " " + rows[i], Style::normal});
    }
}

}  // namespace

std::string fit(const std::string& text, size_t width) {
    std::string out;
    size_t n = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const bool starts = (text[i] & 0xC0) != 0x80;
        if (starts && n == width)
            break;
        n += starts;
        out += text[i];
    }
    out.append(width - n, ' ');
    return out;
}

size_t page_rows(size_t height) {
    return height > kChromeLines ? height - kChromeLines : 1;
}

std::vector<Line> layout(const State& state, const Snapshot& snap, size_t width, size_t height, Glyphs glyphs,
                         double now) {
    std::vector<Line> out;
    out.push_back({title_line(state), Style::title});
    const size_t body = height > kChromeLines ? height - kChromeLines + 1 : 1;  // header + rows
    if (state.help) {
        help_lines(out);
    } else if (state.focused && state.view == View::series) {
        focus_lines(state, snap, width, body > 2 ? body - 2 : 0, glyphs, out);
    } else {
        const size_t spark = width >= 72 ? 20 : width >= 56 ? 10 : 0;
        const Table t = view_table(state, snap, now, spark, glyphs);
        const auto w = widths_for(t, width);
        out.push_back({join({t.header.begin(), t.header.begin() + long(w.size())}, w), Style::header});
        for (size_t i = state.scroll; i < t.rows.size() && out.size() < body + 1; ++i)
            out.push_back({join({t.rows[i].begin(), t.rows[i].begin() + long(w.size())}, w),
                           i == state.cursor ? Style::selected : Style::normal});
        if (t.rows.empty())
            out.push_back({snap.connected ? "(nothing to show)" : "(no data yet)", Style::dim});
    }
    out.resize(std::max<size_t>(height, 1) - 1);
    out.push_back(status_line(state, snap));
    for (auto& line : out)
        line.text = fit(line.text, width);
    return out;
}

std::string plain_table(const State& state, const Snapshot& snap, double now) {
    const Table t = view_table(state, snap, now, 0, Glyphs::ascii);
    const std::vector<size_t> w = natural_widths(t);
    std::string out = join(t.header, w);
    for (const auto& r : t.rows)
        out += "\n" + join(r, w);
    // No trailing blanks at line ends.
    std::string trimmed;
    size_t start = 0;
    out += '\n';
    while (start < out.size()) {
        size_t end = out.find('\n', start);
        std::string line = out.substr(start, end - start);
        line.erase(line.find_last_not_of(' ') + 1);
        trimmed += line + "\n";
        start = end + 1;
    }
    return trimmed;
}

}  // namespace mmwatch::top
