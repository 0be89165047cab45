// The status page (docs/status-page.md): server-rendered HTML5 with its
// CSS inline and its charts as inline SVG, so it needs nothing but this
// answer on a device with no network. Each page is composed in one
// function, section by section: render_status() for "/" (daemon, files,
// OTLP, push, series, the API's links) and render_series_page() for
// "/ui/series" (one series' chart over 1h, 6h or 24h). Both refresh
// themselves with <meta http-equiv="refresh">.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "history/history_store.hpp"
#include "ui/series_rows.hpp"
#include "ui/status_model.hpp"

namespace mmwatch::ui {

// "/" reloads every 10 s: fresher than the default 15 s --history-interval
// needs, rare enough that an open tab costs the daemon nothing.
inline constexpr int kStatusRefreshSeconds = 10;
// A chart over an hour or more changes little between two loads.
inline constexpr int kSeriesRefreshSeconds = 30;

// The whole of "/"; `store` null renders no series section.
void render_status(const StatusInput& in, const history::Store* store, const SeriesQuery& q, std::string& out);

// "/ui/series?id=&gen=&range=": one series' chart. `range` is 1h, 6h or
// 24h (anything else: 1h). False (nothing written) when the series is
// gone: its id no longer names it.
[[nodiscard]] bool render_series_page(const history::Store& store, history::SeriesId id, uint32_t generation,
                                      std::string_view range, int64_t now_ms, std::string_view version,
                                      std::string& out);

// The document's start (doctype, viewport, refresh, the inline CSS, the
// title and the navigation) and its end; used by both pages.
void append_head(std::string& out, std::string_view title, int refresh_seconds);
void append_foot(std::string& out);
// The series section of "/": filter form, table, paging.
void append_series_section(std::string& out, const history::Store& store, const SeriesQuery& q, int64_t now_ms);
// A link to one series' page.
void append_series_href(std::string& out, const SeriesRow& row, std::string_view range);

}  // namespace mmwatch::ui
