// The /metrics body: file metrics, then mmwatch's own metrics, then OTLP's,
// in the format a scrape negotiated. Each format is rendered at most once
// per snapshot, and gzipped at most once per render, then shared by every
// scrape until the next one, so a scrape storm costs no extra reading,
// formatting or compression.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/gzip.hpp"
#include "prom/file_plan.hpp"
#include "prom/writer.hpp"
#include "daemon/self_metrics.hpp"
#include "files/watcher.hpp"

namespace mmwatch::daemon {

struct PageConfig {
    unsigned grouping_power = 0;
    size_t max_series = 0;
    size_t max_response_bytes = 0;
};

class MetricsPage {
public:
    MetricsPage(PageConfig config, files::Watcher& watcher, files::EventLog& events);

    // Rebuilds the family plan if the active files changed: counts and logs
    // dropped series. The daemon calls it after every watcher activity.
    void refresh_plan(int64_t unix_ms);
    // The current body in `format`, rendered if a snapshot was taken since
    // the last one. Null only if memory ran out before the first render.
    [[nodiscard]] std::shared_ptr<const std::string> body(prom::Format format = prom::Format::text);
    // The body for a scrape, gzipped when `gzip` is asked and the body is
    // big enough to gain (then `gzipped` is set); counted in
    // mmwatch_scrapes_total by format and encoding.
    [[nodiscard]] std::shared_ptr<const std::string> serve(prom::Format format, bool gzip, bool& gzipped);
    [[nodiscard]] const PageCounters& counters() const noexcept { return counters_; }
    // The same content as a body, written to `w` now (remote_write samples
    // its series this way); not cached, not counted as a render.
    void render_into(prom::Writer& w);
    // Asks for a render before the next tick's (new OTLP points, a new
    // plan). Renders stay bounded however often this is called: one per
    // tick, plus at most one asked for this way.
    void invalidate() noexcept {
        for (Rendition& r : renditions_) r.dirty = true;
    }

    // Appended after the file metrics: the self-metrics (the daemon knows
    // every owner of a counter).
    using SelfRenderer = std::function<void(prom::Writer& out)>;
    void set_self_renderer(SelfRenderer r) { self_ = std::move(r); }
    // Appended after the self-metrics (the OTLP exposition). `family_taken`
    // says which names the files and self-metrics already own.
    using FamilyTaken = std::function<bool(std::string_view)>;
    using ExtraRenderer = std::function<void(prom::Writer& out, const FamilyTaken& family_taken)>;
    void set_extra_renderer(ExtraRenderer r) { extra_ = std::move(r); }

private:
    // One format's cached body and its render budget.
    struct Rendition {
        uint64_t snapshot = UINT64_MAX;
        bool dirty = false;
        bool extra_render_used = false;  // this tick's one render on request
        size_t last_size = 0;
        std::shared_ptr<const std::string> body;
        std::shared_ptr<const std::string> gzipped;  // made on the first gzip scrape of this body
    };

    std::vector<prom::FileView> views();
    void render(prom::Format format, Rendition& r);
    void render_rest(prom::Writer& w);

    PageConfig config_;
    files::Watcher& watcher_;
    files::EventLog& events_;
    PageCounters counters_;
    prom::FilePlan plan_;
    uint64_t plan_generation_ = UINT64_MAX;
    Rendition renditions_[prom::kFormatCount];
    http::GzipEncoder gzip_;
    SelfRenderer self_;
    ExtraRenderer extra_;
};

}  // namespace mmwatch::daemon
