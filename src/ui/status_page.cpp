#include "ui/status_page.hpp"

#include <cinttypes>
#include <cstdio>

#include "base/human.hpp"
#include "ui/html.hpp"

namespace mmwatch::ui {

namespace {

// One style sheet for both pages: system fonts, tables that scroll
// sideways inside their own box, long labels that wrap, charts that take
// the screen's width. Readable at 360 px.
constexpr std::string_view kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:8px;max-width:1200px;color:#222;background:#fff}"
    "h1{font-size:20px;margin:4px 0}h2{font-size:17px;margin:18px 0 6px;border-bottom:1px solid #ccc}"
    "nav a{margin-right:10px}nav{margin-bottom:6px}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}"
    "td.n,th.n{text-align:right;white-space:nowrap}td.l{word-break:break-all;min-width:12em}"
    ".bad{color:#b00020;font-weight:600}.ok{color:#1b5e20}.muted{color:#666}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:#555}dd{margin:0}"
    ".spark{display:block}.spark path{fill:none;stroke:#1565c0;stroke-width:1.5}"
    // The chart keeps 600 px at least (it scrolls sideways on a phone) so its
    // 16-unit labels stay 11 px or more.
    ".chart{width:100%;min-width:600px;height:auto;max-width:900px}"
    ".chart path{fill:none;stroke:#1565c0;stroke-width:2}.chart text{font-size:16px;fill:#444}.grid{stroke:#ddd}"
    "input{font:inherit;max-width:60%}ul{padding-left:20px}li{margin:2px 0;word-break:break-word}"
    "@media (max-width:600px){body{font-size:13px}th,td{padding:2px 3px}}";

void append_int(std::string& out, uint64_t v) { out += std::to_string(v); }

void append_percent(std::string& out, double ratio) {
    char buf[32];
    const int n = std::snprintf(buf, sizeof buf, "%.1f%%", ratio * 100);
    out.append(buf, size_t(n));
}

void append_seconds(std::string& out, double s) {
    char buf[32];
    const int n = s < 1 ? std::snprintf(buf, sizeof buf, "%.1f ms", s * 1000) : std::snprintf(buf, sizeof buf, "%.2f s", s);
    out.append(buf, size_t(n));
}

void append_link(std::string& out, std::string_view href, std::string_view text) {
    out += "<a href=\"";
    append_escaped(out, href);
    out += "\">";
    append_escaped(out, text);
    out += "</a>";
}

void append_daemon(std::string& out, const StatusInput& in) {
    const DaemonView& d = in.daemon;
    out += "<section id=\"daemon\"><h2>Daemon</h2><dl><dt>started</dt><dd>";
    append_utc(out, d.start_unix_ms);
    out += " (";
    append_age(out, in.now_unix_ms, d.start_unix_ms);
    out += ")</dd><dt>loop lag (mean)</dt><dd>";
    append_seconds(out, d.lag_mean_s);
    out += "</dd><dt>loop busy</dt><dd>";
    append_percent(out, d.busy_ratio);
    out += "</dd><dt>scrapes</dt><dd>";
    append_int(out, d.scrapes);
    out += "</dd><dt>HTTP requests</dt><dd>";
    append_int(out, d.requests);
    out += " (";
    append_int(out, d.http_errors);
    out += " answered &ge; 400)</dd><dt>connections</dt><dd>";
    append_int(out, d.connections_open);
    out += " open, ";
    append_int(out, d.connections_shed);
    out += " shed</dd></dl>\n<div class=\"scroll\"><table><thead><tr><th>memory budget</th><th class=\"n\">used</th>"
           "<th class=\"n\">limit</th><th class=\"n\">share</th></tr></thead><tbody>";
    for (const Budget& b : d.memory) {
        out += "<tr><td>";
        append_escaped(out, b.name);
        out += "</td><td class=\"n\">";
        base::append_bytes(out, double(b.used_bytes));
        out += "</td><td class=\"n\">";
        if (b.limit_bytes > 0) base::append_bytes(out, double(b.limit_bytes));
        else out += "none";
        out += "</td><td class=\"n\">";
        if (b.limit_bytes > 0) append_percent(out, double(b.used_bytes) / double(b.limit_bytes));
        out += "</td></tr>";
    }
    out += "</tbody></table></div></section>\n";
}

// "N more, see LINK" under a list cut at kMaxListRows.
void append_more(std::string& out, size_t shown, size_t total, std::string_view href) {
    if (total <= shown) return;
    out += "<p class=\"muted\">";
    append_int(out, total - shown);
    out += " more not shown; every one is in ";
    append_link(out, href, href);
    out += "</p>";
}

// A list section's table head (`columns`: its <th> cells); when there is
// no row, `none` instead and the section is closed: false.
bool open_table(std::string& out, bool has_rows, std::string_view none, std::string_view columns) {
    if (!has_rows) {
        out += "<p class=\"muted\">";
        out += none;
        out += "</p></section>\n";
        return false;
    }
    out += "<div class=\"scroll\"><table><thead><tr>";
    out += columns;
    out += "</tr></thead><tbody>";
    return true;
}

// The table's end, "N more" when the list was cut, the section's end.
void close_table(std::string& out, size_t shown, size_t total, std::string_view href) {
    out += "</tbody></table></div>";
    append_more(out, shown, total, href);
    out += "</section>\n";
}

void append_files(std::string& out, const StatusInput& in) {
    out += "<section id=\"files\"><h2>Files</h2>";
    if (!in.directory_present) out += "<p class=\"bad\">the watched directory is missing</p>";
    if (!open_table(out, !in.files.empty(), "no file in the directory yet",
                    "<th>file</th><th>state</th><th>reason</th><th class=\"n\">metrics</th><th class=\"n\">size</th>"
                    "<th>last change</th><th>stale</th>"))
        return;
    for (const FileRow& f : in.files) {
        const bool bad = f.state != "active";
        out += "<tr><td class=\"l\">";
        append_escaped(out, f.path);
        out += bad ? "</td><td class=\"bad\">" : "</td><td class=\"ok\">";
        append_escaped(out, f.state);
        out += "</td><td class=\"l\">";
        if (!f.reason.empty()) {
            out += "<span title=\"";
            append_escaped(out, f.message);
            out += "\">";
            append_escaped(out, f.reason);
            out += "</span>: ";
            append_escaped(out, f.message);
        }
        out += "</td><td class=\"n\">";
        append_int(out, f.metrics);
        out += "</td><td class=\"n\">";
        base::append_bytes(out, double(f.size_bytes));
        out += "</td><td>";
        append_age(out, in.now_unix_ms, f.last_change_unix_ms);
        out += f.stale ? "</td><td class=\"bad\">stale" : "</td><td>no";
        out += "</td></tr>";
    }
    close_table(out, in.files.size(), in.files_total, "/api/v1/sources");
}

void append_services(std::string& out, const StatusInput& in) {
    out += "<section id=\"otlp\"><h2>OTLP services</h2>";
    if (!open_table(out, !in.services.empty(), "no OTLP service has sent points",
                    "<th>service</th><th class=\"n\">points</th><th>last seen</th><th class=\"n\">req/s</th>"
                    "<th class=\"n\">5xx</th><th class=\"n\">p99</th>"))
        return;
    for (const ServiceRow& s : in.services) {
        out += "<tr><td class=\"l\">";
        if (!s.ns.empty()) {
            append_escaped(out, s.ns);
            out += '/';
        }
        append_escaped(out, s.name);
        out += "</td><td class=\"n\">";
        append_int(out, s.points);
        out += "</td><td>";
        append_age(out, in.now_unix_ms, s.last_seen_unix_ms);
        out += "</td>";
        if (s.has_http) {
            out += "<td class=\"n\">";
            base::append_number(out, s.requests_per_s);
            out += s.error_ratio > 0 ? "</td><td class=\"n bad\">" : "</td><td class=\"n\">";
            append_percent(out, s.error_ratio);
            out += "</td><td class=\"n\">";
            append_seconds(out, s.p99_s);
            out += "</td>";
        } else {
            out += "<td class=\"n muted\">-</td><td class=\"n muted\">-</td><td class=\"n muted\">-</td>";
        }
        out += "</tr>";
    }
    close_table(out, in.services.size(), in.services_total, "/api/v1/services");
}

void append_push(std::string& out, const StatusInput& in) {
    out += "<section id=\"push\"><h2>Push (remote_write)</h2>";
    if (!open_table(out, !in.push.empty(), "no --remote-write URL configured",
                    "<th>URL</th><th>state</th><th class=\"n\">pending</th><th>last success</th>"
                    "<th class=\"n\">sent</th><th class=\"n\">failed</th><th class=\"n\">dropped</th>"))
        return;
    for (const PushRow& p : in.push) {
        out += "<tr><td class=\"l\">";
        append_escaped(out, p.url);
        if (!p.last_rejection.empty()) {
            out += "<br><span class=\"muted\">last refusal: ";
            append_escaped(out, p.last_rejection);
            out += "</span>";
        }
        out += p.state == "ok" ? "</td><td class=\"ok\">" : "</td><td class=\"bad\">";
        append_escaped(out, p.state);
        out += "</td><td class=\"n\">";
        append_int(out, p.pending_samples);
        out += " (";
        base::append_bytes(out, double(p.pending_bytes));
        out += ")</td><td>";
        append_age(out, in.now_unix_ms, p.last_success_unix_ms);
        out += "</td><td class=\"n\">";
        append_int(out, p.samples_sent);
        out += "</td><td class=\"n\">";
        append_int(out, p.samples_failed);
        out += "</td><td class=\"n\">";
        append_int(out, p.samples_dropped);
        out += "</td></tr>";
    }
    close_table(out, in.push.size(), in.push.size(), "");
}

// Every GET route, as links that answer 200 as they stand; the POST-only
// ones and those that need an id, as text.
void append_api_links(std::string& out) {
    out += "<section id=\"api\"><h2>Endpoints</h2><ul>"
           "<li><a href=\"/metrics\">/metrics</a>: Prometheus text format; also "
           "<a href=\"/metrics?format=openmetrics\">OpenMetrics</a> and protobuf, as Accept asks</li>"
           "<li><a href=\"/api/v1/sources\">/api/v1/sources</a>: every file seen, with its state (JSON)</li>"
           "<li><a href=\"/-/healthy\">/-/healthy</a>: liveness</li>"
           "<li>POST /v1/metrics: OTLP/HTTP ingest (protobuf or JSON); "
           "<a href=\"/api/v1/services\">/api/v1/services</a>: the services sending it, their health (JSON); "
           "their points are in the history, asked for below</li>"
           "<li>POST /api/v1/write: Prometheus remote-write into the history store; "
           "<a href=\"/api/v1/export?match%5B%5D=mmwatch_build_info\">/api/v1/export?match[]=NAME</a>: "
           "its raw samples (JSON lines)</li>"
           "<li>PromQL over the history, as Prometheus's HTTP API: "
           "<a href=\"/api/v1/query?query=mmwatch_build_info\">/api/v1/query?query=Q</a>, "
           "<a href=\"/api/v1/query_range?query=mmwatch_build_info&amp;start=0&amp;end=60&amp;step=15\">"
           "/api/v1/query_range</a>, "
           "<a href=\"/api/v1/series?match%5B%5D=mmwatch_build_info\">/api/v1/series?match[]=S</a>, "
           "<a href=\"/api/v1/labels\">/api/v1/labels</a>, "
           "<a href=\"/api/v1/label/__name__/values\">/api/v1/label/NAME/values</a>, "
           "<a href=\"/api/v1/metadata\">/api/v1/metadata</a>, "
           "<a href=\"/api/v1/status/buildinfo\">/api/v1/status/buildinfo</a></li>"
           "<li>/ui/series?id=ID&amp;gen=G&amp;range=1h|6h|24h: one series' chart (linked from each row below)</li>"
           "</ul></section>\n";
}

}  // namespace

void append_head(std::string& out, std::string_view title, int refresh_seconds) {
    out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           // An empty icon inline: no request for /favicon.ico, no 404 in the console.
           "<link rel=\"icon\" href=\"data:,\">"
           "<meta http-equiv=\"refresh\" content=\"";
    out += std::to_string(refresh_seconds);
    out += "\"><title>";
    append_escaped(out, title);
    out += "</title><style>";
    out += kStyle;
    out += "</style></head><body>\n<nav><a href=\"/\">status</a><a href=\"/#daemon\">daemon</a>"
           "<a href=\"/#files\">files</a><a href=\"/#otlp\">OTLP</a><a href=\"/#push\">push</a>"
           "<a href=\"/#series\">series</a><a href=\"/#api\">endpoints</a></nav>\n";
}

void append_foot(std::string& out) { out += "</body></html>\n"; }

void render_status(const StatusInput& in, const history::Store* store, const SeriesQuery& q, std::string& out) {
    append_head(out, "mmwatch status", kStatusRefreshSeconds);
    out += "<h1>mmwatch ";
    append_escaped(out, in.daemon.version);
    out += "</h1><p class=\"muted\">Serves the metrics of memory-mapped files. As of ";
    append_utc(out, in.now_unix_ms);
    out += "; this page reloads every ";
    out += std::to_string(kStatusRefreshSeconds);
    out += " s.</p>\n";
    append_daemon(out, in);
    append_files(out, in);
    append_services(out, in);
    append_push(out, in);
    if (store) append_series_section(out, *store, q, in.now_unix_ms);
    append_api_links(out);
    append_foot(out);
}

}  // namespace mmwatch::ui
