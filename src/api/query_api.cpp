#include "api/query_api.hpp"

#include <algorithm>
#include <chrono>

#include "api/lookup.hpp"
#include "api/params.hpp"
#include "base/json.hpp"
#include "promql/label_set.hpp"
#include "promql/parser.hpp"

namespace mmwatch::api {

namespace {

constexpr std::string_view kRefusalNames[kRefusalCount] = {
    "bad_request", "max_samples", "timeout", "concurrency", "execution", "client_gone",
};
constexpr std::string_view kEndpointNames[kEndpointCount] = {
    "query", "query_range", "series", "labels", "label_values", "buildinfo", "metadata",
};
constexpr std::string_view kWorkNames[kWorkCount] = {"parse", "live", "evaluate", "answer", "lookup", "release"};
constexpr std::string_view kTooManySamples =
    "query processing would load too many samples into memory in query execution";

http::Response json(int status, std::string body) { return http::Response::json(status, std::move(body)); }

// The query string, and a form body (POST) after it.
bool read_params(const http::Request& req, Params& p) {
    if (!p.add(req.query)) return false;
    if (req.method == "POST" && req.header("Content-Type").starts_with("application/x-www-form-urlencoded"))
        return p.add(req.body);
    return true;
}

std::string invalid_param(std::string_view name, std::string_view why) {
    return "invalid parameter \"" + std::string(name) + "\": " + std::string(why);
}

// A time parameter, or `fallback` when absent.
bool time_param(const Params& p, std::string_view name, int64_t fallback, int64_t& out, std::string& error) {
    const std::string* v = p.get(name);
    if (!v) {
        out = fallback;
        return true;
    }
    std::string why;
    if (parse_time_ms(*v, out, why)) return true;
    error = invalid_param(name, why);
    return false;
}

}  // namespace

std::string_view refusal_name(Refusal r) noexcept { return kRefusalNames[size_t(r)]; }
std::string_view endpoint_name(Endpoint e) noexcept { return kEndpointNames[size_t(e)]; }
std::string_view work_name(Work w) noexcept { return kWorkNames[size_t(w)]; }

QueryApi::QueryApi(history::Store& store, uv_loop_t* loop, ApiOptions options)
    : store_(store), storage_(store), loop_(loop), options_(std::move(options)) {
    if (loop_ && uv_idle_init(loop_, idle_.get()) == 0) {
        idle_.mark_initialized();
        idle_.get()->data = this;
    }
}

QueryApi::~QueryApi() {
    // Shutting down: whoever still waits gets an answer, not silence.
    for (Running& r : running_) r.answer->resolve(json(503, error(ApiError::unavailable, "mmwatch is shutting down")));
}

int64_t QueryApi::now_ms() const {
    if (fixed_now_ms_ != INT64_MIN) return fixed_now_ms_;
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

http::Response QueryApi::respond(const http::Request& req) {
    if (req.method != "GET" && req.method != "POST" && req.method != "HEAD") {
        http::Response r = http::error_response(405, "method not allowed");
        r.extra_headers = "Allow: GET, POST\r\n";
        return r;
    }
    const std::string_view path = req.path;
    if (path == "/api/v1/query") return query(req, false);
    if (path == "/api/v1/query_range") return query(req, true);
    if (path == "/api/v1/series") return series(req);
    if (path == "/api/v1/labels") return labels(req, {});
    constexpr std::string_view kLabel = "/api/v1/label/", kValues = "/values";
    if (path.starts_with(kLabel) && path.ends_with(kValues) && path.size() > kLabel.size() + kValues.size())
        return labels(req, path.substr(kLabel.size(), path.size() - kLabel.size() - kValues.size()));
    if (path == "/api/v1/status/buildinfo") return buildinfo();
    if (path == "/api/v1/metadata") return metadata(req);
    return http::error_response(404, "not found");
}

http::Response QueryApi::metadata(const http::Request& req) {
    ++counters_.requests[size_t(Endpoint::metadata)];
    Params p;
    if (!read_params(req, p)) return refuse(Refusal::bad_request, ApiError::bad_data, "malformed form encoding");
    std::vector<MetricMetadata> families;
    if (options_.metadata) options_.metadata(families);
    std::string data, err;
    if (!metadata_json(p, std::move(families), data, err)) return refuse(Refusal::bad_request, ApiError::bad_data, err);
    return json(200, success(data));
}

http::Response QueryApi::refuse(Refusal why, ApiError type, std::string_view message) {
    ++counters_.refused[size_t(why)];
    return json(api_error_status(type), error(type, message));
}

http::Response QueryApi::query(const http::Request& req, bool range) {
    ++counters_.requests[size_t(range ? Endpoint::query_range : Endpoint::query)];
    Params p;
    if (!read_params(req, p)) return refuse(Refusal::bad_request, ApiError::bad_data, "malformed form encoding");
    std::string err;
    int64_t start = 0, end = 0, step = 0;
    if (range) {
        if (!time_param(p, "start", INT64_MIN, start, err) || !time_param(p, "end", INT64_MIN, end, err))
            return refuse(Refusal::bad_request, ApiError::bad_data, err);
        if (!p.get("start")) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("start", "cannot parse \"\" to a valid timestamp"));
        if (!p.get("end")) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("end", "cannot parse \"\" to a valid timestamp"));
        if (end < start) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("end", "end timestamp must not be before start time"));
        std::string why;
        const std::string* s = p.get("step");
        if (!parse_duration_ms(s ? *s : "", step, why))
            return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("step", why));
        if (step <= 0)
            return refuse(Refusal::bad_request, ApiError::bad_data,
                          invalid_param("step", "zero or negative query resolution step widths are not accepted. Try a positive integer"));
        if ((end - start) / step > base::kMaxQueryRangePoints)
            return refuse(Refusal::bad_request, ApiError::bad_data,
                          "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
    } else {
        if (!time_param(p, "time", now_ms(), start, err)) return refuse(Refusal::bad_request, ApiError::bad_data, err);
        end = start;
    }
    promql::EngineOptions o;
    o.max_samples = options_.max_samples;
    o.timeout_ms = options_.timeout_ms;
    o.work_per_slice = options_.work_per_slice;
    o.slice_ns = options_.slice_ns;
    if (const std::string* t = p.get("timeout")) {
        int64_t ms;
        std::string why;
        if (!parse_duration_ms(*t, ms, why)) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("timeout", why));
        if (ms > 0) o.timeout_ms = std::min(o.timeout_ms, ms);
    }
    if (running_.size() >= options_.max_concurrent) return too_many();
    const std::string text = p.get("query") ? *p.get("query") : std::string();
    promql::Parsed parsed;
    {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::parse)]);
        parsed = promql::parse(text, o.parse);
    }
    if (!parsed.ok()) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("query", parsed.error.to_string(text)));
    // Only a query that parsed pays for the live values.
    std::unique_ptr<LiveStorage> live;
    {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::live)]);
        live = live_storage(end);
    }
    promql::Storage& storage = live ? static_cast<promql::Storage&>(*live) : storage_;
    promql::QueryError qe;
    std::unique_ptr<promql::Query> q;
    {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::parse)]);
        q = promql::Query::from_tree(storage, std::move(parsed.expr), start, end, range ? step : 0, o, &qe);
    }
    if (!q) return refuse(Refusal::bad_request, ApiError::bad_data, invalid_param("query", qe.message));
    return start_query(std::move(q), std::move(live));
}

// A query ending within kLiveQueryWindowMs of now sees the live values,
// stamped at its end when that is earlier than now (Grafana's "now" lags
// the server's by its round trip): see docs/query.md "Live values".
// Queries asking for the same moment in the same loop turn (a dashboard's
// panels) share one copy while any of them runs.
std::unique_ptr<LiveStorage> QueryApi::live_storage(int64_t end_ms) {
    if (!options_.live) return nullptr;
    const int64_t now = now_ms();
    if (end_ms < now - base::kLiveQueryWindowMs) return nullptr;
    const int64_t t_ms = std::min(now, end_ms);
    const uint64_t turn = loop_ ? uv_now(loop_) : 0;
    std::shared_ptr<const LivePoints> points = shared_live_.points.lock();
    if (!loop_ || !points || shared_live_.turn != turn || shared_live_.t_ms != t_ms) {
        points = options_.live(t_ms);
        shared_live_ = {turn, t_ms, points};
    }
    if (!points || (points->stored.empty() && points->fresh.empty())) return nullptr;
    ++counters_.live_queries;
    return std::make_unique<LiveStorage>(storage_, std::move(points));
}

http::Response QueryApi::too_many() {
    return refuse(Refusal::concurrency, ApiError::unavailable,
                  "too many concurrent queries (--query-max-concurrency " + std::to_string(options_.max_concurrent) +
                      "): try again");
}

http::Response QueryApi::start(Running r) {
    r.answer = std::make_shared<http::Deferred>();
    auto answer = r.answer;
    running_.push_back(std::move(r));
    if (idle_.get() && loop_ && running_.size() == 1) uv_idle_start(idle_.get(), on_idle);
    return http::Response::later(std::move(answer));
}

http::Response QueryApi::start_query(std::unique_ptr<promql::Query> q, std::unique_ptr<LiveStorage> storage) {
    Running r;
    r.storage = std::move(storage);
    r.query = std::move(q);
    return start(std::move(r));
}

http::Response QueryApi::start_lookup(std::unique_ptr<Lookup> l) {
    if (running_.size() >= options_.max_concurrent) return too_many();
    Running r;
    r.lookup = std::move(l);
    return start(std::move(r));
}

void QueryApi::on_idle(uv_idle_t* h) {
    auto* self = static_cast<QueryApi*>(h->data);
    if (!self->turns_.admit()) return;  // the next turn's
    if (!self->step_all(uv_now(self->loop_))) uv_idle_stop(h);
}

// Slices round robin, from where the last turn stopped, until the turn's
// time is spent (base::kQueryTurnNs, at least one slice): eight queries at
// once make more turns, not longer ones.
bool QueryApi::step_all(uint64_t now_ms) {
    const uint64_t began = uv_hrtime();
    const size_t n = running_.size();
    for (size_t k = 0; k < n; ++k) {
        step_one(running_[(next_ + k) % n], now_ms);
        if (uv_hrtime() - began >= base::kQueryTurnNs) {
            next_ = (next_ + k + 1) % n;
            break;
        }
    }
    if (std::any_of(running_.begin(), running_.end(), [](const Running& r) { return r.done; })) {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::release)]);
        std::erase_if(running_, [](const Running& r) { return r.done; });
    }
    if (next_ >= running_.size()) next_ = 0;
    return !running_.empty();
}

void QueryApi::step_one(Running& r, uint64_t now_ms) {
    ++counters_.slices;
    if (r.lookup) {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::lookup)]);
        if (r.answer->abandoned()) {
            ++counters_.refused[size_t(Refusal::client_gone)];
            r.done = true;
        } else if (r.lookup->step()) {
            r.answer->resolve(json(200, success(r.lookup->data_json())));
            r.done = true;
        }
        return;
    }
    if (r.freeing) {
        free_part(r);
        return;
    }
    if (r.writing) {
        if (write_answer(r)) free_part(r);
        return;
    }
    if (r.answer->abandoned()) r.query->cancel();  // the client left: stop at the next slice
    bool finished;
    {
        base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::evaluate)]);
        finished = r.query->step(now_ms);
    }
    if (finished) finish(r);
}

void QueryApi::finish(Running& r) {
    const promql::Query& q = *r.query;
    counters_.samples_peak_max = std::max(counters_.samples_peak_max, uint64_t(std::max<int64_t>(0, q.peak_samples())));
    if (r.answer->abandoned()) {
        ++counters_.refused[size_t(Refusal::client_gone)];
        free_part(r);
        return;
    }
    if (const promql::QueryError* e = q.error()) {
        Refusal why = Refusal::execution;
        if (e->type == promql::ErrorType::timeout) why = Refusal::timeout;
        else if (e->message == kTooManySamples) why = Refusal::max_samples;
        else if (e->type == promql::ErrorType::bad_data) why = Refusal::bad_request;
        r.answer->resolve(refuse(why, api_error_of(e->type), e->message));
        free_part(r);
        return;
    }
    r.writing = true;
    if (write_answer(r)) free_part(r);
}

// A part of the answer's JSON, base::kAnswerPointsPerSlice points a turn:
// a range query's answer can be megabytes. True once written (or the
// client gone).
bool QueryApi::write_answer(Running& r) {
    base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::answer)]);
    if (r.answer->abandoned()) {
        ++counters_.refused[size_t(Refusal::client_gone)];
        return true;
    }
    if (!append_query_success(r.body, r.query->result(), r.cursor, base::kAnswerPointsPerSlice)) return false;
    r.answer->resolve(json(200, std::move(r.body)));
    return true;
}

// Answered, refused or abandoned: the answer is freed a part a turn from
// now on (the first part in this one); done once nothing is left.
void QueryApi::free_part(Running& r) {
    base::ScopedCpuTime cpu(counters_.work_cpu[size_t(Work::release)]);
    r.freeing = true;
    r.done = r.query->free_result(base::kAnswerFreeSeriesPerTurn, base::kAnswerFreePointsPerTurn);
}

namespace {

// match[] as matcher lists; false with Prometheus's message.
bool matcher_sets(const Params& p, std::vector<std::vector<promql::Matcher>>& sets, std::string& error) {
    for (const std::string& m : p.all("match[]")) {
        std::vector<promql::Matcher> ms;
        if (!promql::parse_selector(m, ms, error)) return false;
        if (std::all_of(ms.begin(), ms.end(), [](const promql::Matcher& x) { return x.matches(""); })) {
            error = "match[] must contain at least one non-empty matcher";
            return false;
        }
        sets.push_back(std::move(ms));
    }
    return true;
}

bool time_range(const Params& p, int64_t& start, int64_t& end, std::string& error) {
    return time_param(p, "start", INT64_MIN, start, error) && time_param(p, "end", INT64_MAX, end, error);
}

}  // namespace

http::Response QueryApi::series(const http::Request& req) {
    ++counters_.requests[size_t(Endpoint::series)];
    Params p;
    std::string err;
    std::vector<std::vector<promql::Matcher>> sets;
    int64_t start, end;
    if (!read_params(req, p)) return refuse(Refusal::bad_request, ApiError::bad_data, "malformed form encoding");
    if (p.all("match[]").empty()) return refuse(Refusal::bad_request, ApiError::bad_data, "no match[] parameter provided");
    if (!matcher_sets(p, sets, err) || !time_range(p, start, end, err))
        return refuse(Refusal::bad_request, ApiError::bad_data, err);
    return start_lookup(std::make_unique<Lookup>(storage_, std::move(sets), start, end, Lookup::Kind::series, ""));
}

// /api/v1/labels (value_of empty) and /api/v1/label/<name>/values.
http::Response QueryApi::labels(const http::Request& req, std::string_view value_of) {
    ++counters_.requests[size_t(value_of.empty() ? Endpoint::labels : Endpoint::label_values)];
    Params p;
    std::string err;
    std::vector<std::vector<promql::Matcher>> sets;
    int64_t start, end;
    if (!read_params(req, p)) return refuse(Refusal::bad_request, ApiError::bad_data, "malformed form encoding");
    std::string name;
    if (!value_of.empty()) {
        Params n;  // the name as a path segment, percent-escaped
        if (!n.add("n=" + std::string(value_of)) || !promql::is_valid_label_name(*n.get("n")))
            return refuse(Refusal::bad_request, ApiError::bad_data, "invalid label name: \"" + std::string(value_of) + "\"");
        name = *n.get("n");
    }
    if (!matcher_sets(p, sets, err) || !time_range(p, start, end, err))
        return refuse(Refusal::bad_request, ApiError::bad_data, err);
    const auto kind = value_of.empty() ? Lookup::Kind::label_names : Lookup::Kind::label_values;
    return start_lookup(std::make_unique<Lookup>(storage_, std::move(sets), start, end, kind, std::move(name)));
}

http::Response QueryApi::buildinfo() {
    ++counters_.requests[size_t(Endpoint::buildinfo)];
    std::string data = "{\"version\":";
    base::json::append_string(data, options_.version);
    data += ",\"revision\":\"\",\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\",\"goVersion\":\"\"}";
    return json(200, success(data));
}

}  // namespace mmwatch::api
