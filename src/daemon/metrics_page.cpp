#include "daemon/metrics_page.hpp"

#include "prom/text.hpp"

#include <new>

namespace mmwatch {

MetricsPage::MetricsPage(PageConfig config, Watcher& watcher, EventLog& events)
    : config_(std::move(config)), watcher_(watcher), events_(events) {}

std::vector<expo::FileView> MetricsPage::views() {
    std::vector<expo::FileView> out;
    for (Source* s : watcher_.active_in_discovery_order()) {
        out.push_back({s->id(), s->activation(), s->label(), &s->layout(), s->data()});
    }
    return out;
}

void MetricsPage::refresh_plan(int64_t unix_ms) {
    for (uint64_t id : watcher_.take_forgotten()) plan_.forget_source(id);
    if (plan_generation_ == watcher_.generation()) return;
    plan_generation_ = watcher_.generation();
    invalidate();
    const auto files = views();
    plan_.rebuild(files, self_metric_names(), config_.max_series);
    counters_.series_exposed = plan_.series_count();
    for (const expo::Drop& d : plan_.take_new_drops()) {
        switch (d.kind) {
            case expo::DropKind::type_conflict:
                ++counters_.type_conflicts;
                events_.record(EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case expo::DropKind::duplicate_series:
                ++counters_.duplicate_series;
                events_.record(EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case expo::DropKind::series_limit:
                ++counters_.series_limit;
                events_.record(EventKind::limit, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
        }
    }
}

namespace {

// One series per active file, so an alert can name the producer that
// stopped: 1 when its data has not changed for --stale-after.
void render_staleness(const std::vector<Source*>& active, std::string& out) {
    out += "# HELP mmwatch_source_stale 1 when the file's data has not changed for --stale-after (0 when off).\n"
           "# TYPE mmwatch_source_stale gauge\n";
    for (const Source* s : active) {
        out += "mmwatch_source_stale{name=\"";
        prom::append_label_value(out, s->label());
        out += s->stale() ? "\"} 1\n" : "\"} 0\n";
    }
}

}  // namespace

std::shared_ptr<const std::string> MetricsPage::body() {
    const bool new_tick = rendered_snapshot_ != watcher_.snapshot_generation();
    if (body_ && !new_tick && !(dirty_ && !extra_render_used_)) return body_;
    extra_render_used_ = !new_tick;
    dirty_ = false;
    try {
        render();
    } catch (const std::bad_alloc&) {
        // Serve the last body (null before the first): memory may come back.
        ++counters_.render_alloc_failures;
        rendered_snapshot_ = watcher_.snapshot_generation();
    }
    return body_;
}

void MetricsPage::render() {
    rendered_snapshot_ = watcher_.snapshot_generation();
    auto text = std::make_shared<std::string>();
    // Reserve what the last render needed, so a render is one allocation.
    text->reserve(last_size_ + last_size_ / 8 + 4096);
    const auto files = views();
    if (!plan_.render(files, config_.grouping_power, *text, config_.max_response_bytes)) {
        ++counters_.response_bytes_limit;
    }
    ++counters_.renders;
    if (self_) self_(*text);
    render_staleness(watcher_.active_in_discovery_order(), *text);
    if (extra_) {
        extra_(*text, [this](std::string_view name) {
            return plan_.has_family(name) || self_metric_names().count(std::string(name)) > 0;
        });
    }
    last_size_ = text->size();
    body_ = std::move(text);
}

}  // namespace mmwatch
