// GET /api/v1/export built across loop turns (docs/history.md, "Export"):
// each running export appends kHistoryExportStepBytes of JSON lines a
// turn, one export a turn in turn, from a uv_idle that runs only while one
// is under way; when its cursor is done the body is handed to the waiting
// connection (an http::Deferred), which writes it in bounded pieces as
// every body. So a large export never holds the loop for more than one
// slice: a scrape sent meanwhile is answered between slices. The body is
// still held whole until sent, bounded by --max-response-bytes (past it:
// 422) and by kHistoryMaxConcurrentExports exports at once (past it: 503).
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/turn_budget.hpp"
#include "history/history_export.hpp"
#include "history/history_store.hpp"
#include "http/deferred.hpp"
#include "http/response.hpp"
#include "http/uv_handle.hpp"
#include "prom/writer.hpp"

namespace mmwatch::daemon {

// What became of an export, each counted.
enum class ExportResult : uint8_t {
    ok,         // sent whole
    too_large,  // passed --max-response-bytes: 422
    busy,       // kHistoryMaxConcurrentExports were running: 503
    abandoned,  // the client went before it was done
};
inline constexpr size_t kExportResultCount = 4;
[[nodiscard]] std::string_view export_result_name(ExportResult r) noexcept;

class ExportPacer {
public:
    ExportPacer(const history::Store& store, size_t max_bytes) : store_(store), max_bytes_(max_bytes) {}
    ExportPacer(const ExportPacer&) = delete;
    ExportPacer& operator=(const ExportPacer&) = delete;
    ~ExportPacer() { idle_.close(); }

    void start(uv_loop_t* loop);
    // Slices from the idle handle ask `budget` first (base/turn_budget.hpp).
    void share_turns(base::TurnBudget& budget) { turns_.join(budget, "export"); }
    void close();
    // The answer to come (Response::later), or 503 now when busy.
    http::Response begin(std::vector<history::SeriesId> ids, int64_t start_ms, int64_t end_ms);
    // One turn's slice, for the idle handle (and tests without a loop):
    // false once no export is running.
    bool step();

    [[nodiscard]] size_t running() const noexcept { return running_.size(); }
    [[nodiscard]] uint64_t count(ExportResult r) const noexcept { return counts_[size_t(r)]; }
    void write_self_metrics(prom::Writer& w) const;
    [[nodiscard]] static std::vector<prom::Family> self_metric_families();

private:
    struct Running {
        history::ExportCursor cursor;
        std::string body;
        std::shared_ptr<http::Deferred> answer;
    };
    static void on_idle(uv_idle_t* h);
    void finish(Running& r, ExportResult result);

    const history::Store& store_;
    size_t max_bytes_;
    http::UvHandle<uv_idle_t> idle_;
    base::TurnShare turns_;
    std::deque<Running> running_;  // front: the one whose turn it is
    uint64_t counts_[kExportResultCount] = {};
};

}  // namespace mmwatch::daemon
