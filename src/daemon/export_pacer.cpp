#include "daemon/export_pacer.hpp"

#include "base/enum_names.hpp"
#include "base/guard.hpp"
#include "base/limits.hpp"

namespace mmwatch::daemon {

namespace {

MMWATCH_ENUM_TABLE(ExportResult, kResultNames) = {
    MMWATCH_ROW(ok),
    MMWATCH_ROW(too_large),
    MMWATCH_ROW(busy),
    MMWATCH_ROW(abandoned),
};
static_assert(base::rows_match(kResultNames, kExportResultCount));

constexpr prom::Family kExports{"mmwatch_history_exports_total", prom::Kind::counter,
                                "GET /api/v1/export requests by result (built across loop turns)."};
constexpr prom::Family kRunning{"mmwatch_history_exports_running", prom::Kind::gauge,
                                "GET /api/v1/export answers being built now."};

}  // namespace

std::string_view export_result_name(ExportResult r) noexcept { return base::name_of(kResultNames, r); }

void ExportPacer::start(uv_loop_t* loop) {
    uv_idle_init(loop, idle_.get());
    idle_.mark_initialized();
    idle_.get()->data = this;
}

// SIGTERM: the exports still building are answered 503 (their clients retry).
void ExportPacer::close() {
    for (Running& r : running_) {
        if (r.answer->abandoned()) continue;
        r.answer->resolve(http::error_response(503, "shutting down; retry the export"));
    }
    running_.clear();
    idle_.close();
}

http::Response ExportPacer::begin(std::vector<history::SeriesId> ids, int64_t start_ms, int64_t end_ms) {
    if (running_.size() >= base::kHistoryMaxConcurrentExports) {
        ++counts_[size_t(ExportResult::busy)];
        http::Response r = http::error_response(503, "too many exports at once; retry shortly");
        r.extra_headers = "Retry-After: 1\r\n";
        return r;
    }
    auto answer = std::make_shared<http::Deferred>();
    running_.push_back({history::ExportCursor(store_, std::move(ids), start_ms, end_ms), {}, answer});
    if (idle_.get() && idle_.get()->loop && !uv_is_active(idle_.handle())) uv_idle_start(idle_.get(), on_idle);
    return http::Response::later(std::move(answer));
}

void ExportPacer::on_idle(uv_idle_t* h) {
    auto* p = static_cast<ExportPacer*>(h->data);
    if (!p->turns_.admit()) return;  // the next turn's
    bool more = false;
    base::guarded([&] { more = p->step(); }, [&](base::Failure f) {
        // The export being built is dropped, answered 503 (resolve is
        // idempotent: one already answered keeps its answer).
        if (!p->running_.empty()) {
            p->running_.front().answer->resolve(http::error_response(
                503, f == base::Failure::out_of_memory ? "out of memory building the export"
                                                       : "the export failed; retry it"));
            p->running_.pop_front();
        }
        more = !p->running_.empty();
    });
    if (!more) uv_idle_stop(h);
}

void ExportPacer::finish(Running& r, ExportResult result) {
    ++counts_[size_t(result)];
    if (result == ExportResult::too_large) {
        r.answer->resolve(
            http::error_response(422, "the export passes --max-response-bytes; narrow match[] or start and end"));
    } else if (result == ExportResult::ok) {
        http::Response ok = http::Response::text(200, std::move(r.body));
        ok.content_type = "application/stream+json";
        r.answer->resolve(std::move(ok));
    }
}

// The front export builds one slice, then goes to the back: exports share
// the turns, and each turn builds at most kHistoryExportStepBytes. Memory
// running out leaves the export at the front, for on_idle to answer.
bool ExportPacer::step() {
    if (running_.empty()) return false;
    Running& r = running_.front();
    if (r.answer->abandoned()) {
        finish(r, ExportResult::abandoned);
        running_.pop_front();
        return !running_.empty();
    }
    const bool done = r.cursor.write_some(store_, r.body, base::kHistoryExportStepBytes);
    if (r.body.size() > max_bytes_ || done) {
        finish(r, r.body.size() > max_bytes_ ? ExportResult::too_large : ExportResult::ok);
    } else {
        running_.push_back(std::move(r));
    }
    running_.pop_front();
    return !running_.empty();
}

std::vector<prom::Family> ExportPacer::self_metric_families() { return {kExports, kRunning}; }

void ExportPacer::write_self_metrics(prom::Writer& w) const {
    prom::head(w, kExports);
    for (size_t i = 0; i < kExportResultCount; ++i)
        prom::labelled(w, "result", export_result_name(ExportResult(i)), double(counts_[i]));
    prom::single(w, kRunning, double(running_.size()));
}

}  // namespace mmwatch::daemon
