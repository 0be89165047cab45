// The /metrics page: what it holds, composed in one function (compose(),
// top to bottom: file families, each subsystem's self-metrics, staleness,
// OTLP), and its bodies. Each format is rendered at most once per
// snapshot, and gzipped at most once per render, then shared by every
// scrape until the next one, so a scrape storm costs no extra reading,
// formatting or compression. The sample pipeline (sampler.hpp) composes
// the same page into a collector, so a consumer of samples sees exactly
// what a scrape sees.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/self_metrics.hpp"
#include "files/watcher.hpp"
#include "http/gzip.hpp"
#include "otlp/exposition.hpp"
#include "prom/file_plan.hpp"
#include "prom/writer.hpp"

namespace mmwatch::otlp {
class Store;
class Receiver;
}  // namespace mmwatch::otlp

namespace mmwatch::grpc {
class MetricsService;
}  // namespace mmwatch::grpc

namespace mmwatch::push {
class Pusher;
}  // namespace mmwatch::push

namespace mmwatch::api {
class QueryApi;
}  // namespace mmwatch::api

namespace mmwatch::daemon {

class HistoryKeeper;

struct PageConfig {
    unsigned grouping_power = 0;
    size_t max_series = 0;
    size_t max_response_bytes = 0;
};

// The owners of what /metrics shows, handed to the page once (they all
// outlive it); compose() reads each in turn.
struct PageParts {
    files::Watcher& watcher;
    files::EventLog& events;
    const DaemonStats& daemon;
    const push::Pusher& pusher;
    const otlp::Store& otlp;
    const otlp::Receiver& receiver;
    const grpc::MetricsService& grpc;
    const HistoryKeeper* history = nullptr;  // null in tests that run no store
};

// Where a render_slice() series stands: the plan it renders from and how
// far into the file families it is.
struct PageCursor {
    bool begun = false;
    uint64_t plan_generation = 0;
    prom::RenderCursor files;
};

class MetricsPage {
public:
    enum class Slice : uint8_t { more, done, plan_changed };

    MetricsPage(PageConfig config, PageParts parts);
    MetricsPage(const MetricsPage&) = delete;  // taken_ refers to plan_
    MetricsPage& operator=(const MetricsPage&) = delete;

    // Rebuilds the family plan if the active files changed: counts and logs
    // dropped series. The daemon calls it after every watcher activity.
    void refresh_plan(int64_t unix_ms);
    // Lets go of bodies rendered before the watcher's latest snapshot: the
    // next scrape renders anew anyway, and a body of 100,000 series is
    // several MiB held for nothing by an instance scraped rarely (or only
    // pushing). The daemon calls it after every watcher activity.
    void release_outdated_bodies() noexcept;
    // The current body in `format`, rendered if a snapshot was taken since
    // the last one. Null only if memory ran out before the first render.
    [[nodiscard]] std::shared_ptr<const std::string> body(prom::Format format = prom::Format::text);
    // The body for a scrape, gzipped when `gzip` is asked and the body is
    // big enough to gain (then `gzipped` is set); counted in
    // mmwatch_scrapes_total by format and encoding.
    [[nodiscard]] std::shared_ptr<const std::string> serve(prom::Format format, bool gzip, bool& gzipped);
    [[nodiscard]] const PageCounters& counters() const noexcept { return counters_; }
    // The same content as a body, written to `w` now (the sample pipeline
    // collects each tick's series this way); not cached, not counted as a
    // render.
    void render_into(prom::Writer& w) { compose(w, nullptr, Purpose::samples); }
    // The same in slices across loop turns (the sample pipeline's): the
    // file families from `at`, about `budget_samples` samples a slice; the
    // slice that finishes them writes the rest of the page (self-metrics,
    // staleness, OTLP) too and says done. plan_changed: the files' plan
    // was rebuilt since the first slice, so what `w` holds is of the old
    // one: start again with a fresh writer and cursor.
    Slice render_slice(prom::Writer& w, PageCursor& at, size_t budget_samples);
    // Asks for a render before the next tick's (new OTLP points, a new
    // plan). Renders stay bounded however often this is called: one per
    // tick, plus at most one asked for this way.
    // The query API's counters join the page once it exists (null: none).
    void attach_query_api(const api::QueryApi* api) noexcept { query_api_ = api; }
    void invalidate() noexcept {
        for (Rendition& r : renditions_) r.dirty = true;
    }
    // The names the OTLP part may not write (the file families', the
    // self-metrics'): the history store asks the same (otlp_history.hpp).
    [[nodiscard]] const otlp::TakenNames& taken_names() const noexcept { return taken_; }

private:
    // What the OTLP part may not write: the file families' names and the
    // self-metrics'.
    struct FilesAndSelfMetrics final : otlp::TakenNames {
        const prom::FilePlan& plan;
        explicit FilesAndSelfMetrics(const prom::FilePlan& p) : plan(p) {}
        [[nodiscard]] bool taken(std::string_view name) const override;
    };

    // One format's cached body and its render budget.
    struct Rendition {
        uint64_t snapshot = UINT64_MAX;
        bool dirty = false;
        bool extra_render_used = false;  // this tick's one render on request
        size_t last_size = 0;
        std::shared_ptr<const std::string> body;
        std::shared_ptr<const std::string> gzipped;  // made on the first gzip scrape of this body
    };

    // A body for scrapes counts its renders and limit hits; the sample
    // pipeline's copy counts nothing.
    enum class Purpose : uint8_t { body, samples };

    std::vector<prom::FileView> views();
    void render(prom::Format format, Rendition& r);
    // Writes the whole page to `w`; `text`, when given, is w's output in a
    // text format (the file families are written into it directly).
    void compose(prom::Writer& w, std::string* text, Purpose purpose);
    // What follows the file families, to the end of the page.
    void compose_rest(prom::Writer& w);
    [[nodiscard]] SelfMetricsInput self_metrics_input() const;

    PageConfig config_;
    PageParts parts_;
    PageCounters counters_;
    prom::FilePlan plan_;
    FilesAndSelfMetrics taken_{plan_};
    uint64_t plan_generation_ = UINT64_MAX;
    Rendition renditions_[prom::kFormatCount];
    http::GzipEncoder gzip_;
    const api::QueryApi* query_api_ = nullptr;
};

// mmwatch_api_*: the query API's requests, refusals by reason (every one,
// even at zero), queries running, slices and peak samples.
void write_query_metrics(const api::QueryApi& api, prom::Writer& w);

}  // namespace mmwatch::daemon
