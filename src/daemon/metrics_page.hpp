// The /metrics body: file metrics, then mmwatch's own metrics, rendered at
// most once per snapshot and shared by every scrape until the next one, so
// a scrape storm costs no extra reading or formatting.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "prom/file_plan.hpp"
#include "daemon/self_metrics.hpp"
#include "files/watcher.hpp"

namespace mmwatch {

struct PageConfig {
    unsigned grouping_power = 0;
    size_t max_series = 0;
    size_t max_response_bytes = 0;
};

class MetricsPage {
public:
    MetricsPage(PageConfig config, Watcher& watcher, EventLog& events);

    // Rebuilds the family plan if the active files changed: counts and logs
    // dropped series. The daemon calls it after every watcher activity.
    void refresh_plan(int64_t unix_ms);
    // The current body, rendered if a snapshot was taken since the last one.
    // Null only if memory ran out before the first render.
    [[nodiscard]] std::shared_ptr<const std::string> body();
    // body() for a scrape: counted in mmwatch_scrapes_total.
    [[nodiscard]] std::shared_ptr<const std::string> serve() {
        ++counters_.scrapes;
        return body();
    }
    [[nodiscard]] const PageCounters& counters() const noexcept { return counters_; }
    // Asks for a render before the next tick's (new OTLP points, a new
    // plan). Renders stay bounded however often this is called: one per
    // tick, plus at most one asked for this way.
    void invalidate() noexcept { dirty_ = true; }

    // Appended after the file metrics: the self-metrics (the daemon knows
    // every owner of a counter).
    using SelfRenderer = std::function<void(std::string& out)>;
    void set_self_renderer(SelfRenderer r) { self_ = std::move(r); }
    // Appended after the self-metrics (the OTLP exposition). `family_taken`
    // says which names the files and self-metrics already own.
    using FamilyTaken = std::function<bool(std::string_view)>;
    using ExtraRenderer = std::function<void(std::string& out, const FamilyTaken& family_taken)>;
    void set_extra_renderer(ExtraRenderer r) { extra_ = std::move(r); }

private:
    std::vector<expo::FileView> views();
    void render();

    PageConfig config_;
    Watcher& watcher_;
    EventLog& events_;
    PageCounters counters_;
    expo::FilePlan plan_;
    uint64_t plan_generation_ = UINT64_MAX;
    uint64_t rendered_snapshot_ = UINT64_MAX;
    bool dirty_ = false;
    bool extra_render_used_ = false;  // this tick's one render on request
    size_t last_size_ = 0;
    std::shared_ptr<const std::string> body_;
    SelfRenderer self_;
    ExtraRenderer extra_;
};

}  // namespace mmwatch
