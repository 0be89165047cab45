// The history store's HTTP endpoints (docs/http.md): POST /api/v1/write
// (Prometheus remote-write 1.0 in) and GET /api/v1/export (raw samples as
// VictoriaMetrics' JSON lines). Both listeners' basic auth applies as it
// does to OTLP.
#include <charconv>
#include <cmath>

#include "base/strings.hpp"
#include "daemon/history_keeper.hpp"
#include "daemon/history_select.hpp"
#include "daemon/routes.hpp"
#include "history/history_export.hpp"

namespace mmwatch::daemon {

namespace {

using http::error_response;

// Every value of a repeated query parameter (match[]), percent-decoded.
std::vector<std::string> all_params(std::string_view query, std::string_view key, std::string_view encoded_key) {
    std::vector<std::string> out;
    while (!query.empty()) {
        const size_t amp = query.find('&');
        const std::string_view piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        const std::string_view k = piece.substr(0, piece.find('='));
        std::string value;
        if ((k == key || base::iequals(k, encoded_key)) && http::query_param(piece, k, value))
            out.push_back(std::move(value));
    }
    return out;
}

// start= / end=: Unix seconds, with a fraction (as Prometheus and
// VictoriaMetrics take them); absent: unbounded.
bool time_param(const http::Request& req, std::string_view key, int64_t fallback, int64_t& out_ms) {
    std::string v;
    if (!http::query_param(req.query, key, v)) {
        out_ms = fallback;
        return true;
    }
    double seconds = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
    if (ec != std::errc{} || p != v.data() + v.size() || !std::isfinite(seconds) || std::fabs(seconds) > 9e12)
        return false;
    out_ms = int64_t(std::llround(seconds * 1000));
    return true;
}

http::Response refused(HistoryKeeper& h, WriteRefusal why, int status, std::string_view message) {
    h.count_refusal(why);
    http::Response r = error_response(status, message);
    if (why == WriteRefusal::loading) r.extra_headers = "Retry-After: 5\r\n";
    return r;
}

}  // namespace

// Remote-write 1.0: snappy-compressed protobuf, 204 when stored; 400 for
// a body that is not one, and (as Prometheus answers, so the sender does
// not retry them) when samples were out of order or duplicates.
http::Response Router::remote_write(const http::Request& req) {
    if (!base::iequals(http::media_type(req), "application/x-protobuf"))
        return refused(*history_, WriteRefusal::unsupported_media_type, 415,
                       "remote write needs Content-Type: application/x-protobuf");
    const std::string_view coding = req.header("Content-Encoding");
    if (!coding.empty() && !base::iequals(coding, "snappy"))
        return refused(*history_, WriteRefusal::unsupported_encoding, 415,
                       "remote write needs Content-Encoding: snappy");
    if (history_->loading())
        return refused(*history_, WriteRefusal::loading, 503, "history is loading from --history-dir, retry shortly");
    const history::WriteResult r = history_->receive_write(req.body);
    if (r.error != history::WriteError::none) {
        const int status = r.error == history::WriteError::body_too_large ? 413 : 400;
        return error_response(status, std::string(history::write_error_name(r.error)) + ": " +
                                          std::string(history::write_error_message(r.error)));
    }
    if (r.refused > 0) {
        return error_response(400, "out of order or duplicate samples: " + std::to_string(r.refused) + " of " +
                                       std::to_string(r.samples) + " refused (mmwatch_history_refused_total)");
    }
    http::Response ok = http::Response::text(204, "");
    return ok;
}

// match[] (one or more selectors), start, end: every sample of the
// selected series in the range, one JSON line per series (more for long
// ones), built across loop turns up to --max-response-bytes
// (export_pacer.hpp).
http::Response Router::history_export(const http::Request& req) {
    const std::vector<std::string> texts = all_params(req.query, "match[]", "match%5B%5D");
    if (texts.empty()) return error_response(400, "missing match[]: e.g. match[]=up or match[]={job=\"node\"}");
    std::vector<std::vector<promql::Matcher>> selectors(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        std::string error;
        if (!parse_export_selector(texts[i], selectors[i], error))
            return error_response(400, "bad match[] " + texts[i] + ": " + error);
    }
    int64_t start = 0, end = 0;
    if (!time_param(req, "start", INT64_MIN, start) || !time_param(req, "end", INT64_MAX, end))
        return error_response(400, "start and end are Unix seconds, e.g. start=1700000000 or 1700000000.5");
    history::Store& store = history_->store();
    std::vector<history::SeriesId> ids;
    select_history(store, selectors, ids);
    return history_->exports().begin(std::move(ids), start, end);
}

}  // namespace mmwatch::daemon
