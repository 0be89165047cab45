#include "daemon/metrics_page.hpp"

#include <new>

#include "base/clock.hpp"
#include "daemon/history_keeper.hpp"
#include "daemon/grpc_self_metrics.hpp"
#include "otlp/exposition.hpp"
#include "otlp/otlp_self_metrics.hpp"
#include "prom/text.hpp"
#include "push/pusher.hpp"

namespace mmwatch::daemon {

MetricsPage::MetricsPage(PageConfig config, PageParts parts) : config_(std::move(config)), parts_(parts) {}

std::vector<prom::FileView> MetricsPage::views() {
    std::vector<prom::FileView> out;
    for (files::Source* s : parts_.watcher.active_in_discovery_order()) {
        out.push_back({s->id(), s->activation(), s->label(), &s->layout(), s->data()});
    }
    return out;
}

void MetricsPage::refresh_plan(int64_t unix_ms) {
    for (uint64_t id : parts_.watcher.take_forgotten()) plan_.forget_source(id);
    if (plan_generation_ == parts_.watcher.generation()) return;
    plan_generation_ = parts_.watcher.generation();
    invalidate();
    const auto files = views();
    plan_.rebuild(files, self_metric_names(), config_.max_series);
    counters_.series_exposed = plan_.series_count();
    for (const prom::Drop& d : plan_.take_new_drops()) {
        switch (d.kind) {
            case prom::DropKind::type_conflict:
                ++counters_.type_conflicts;
                parts_.events.record(files::EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case prom::DropKind::duplicate_series:
                ++counters_.duplicate_series;
                parts_.events.record(files::EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case prom::DropKind::series_limit:
                ++counters_.series_limit;
                parts_.events.record(files::EventKind::limit, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
        }
    }
}

void MetricsPage::release_outdated_bodies() noexcept {
    for (Rendition& r : renditions_) {
        if (r.snapshot == parts_.watcher.snapshot_generation()) continue;
        r.body.reset();
        r.gzipped.reset();
    }
}

namespace {

// Bodies under this are sent as they are: gzip would save a few hundred
// bytes at the cost of a compressor setup per render.
constexpr size_t kMinGzipBytes = 1024;

// One series per active file, so an alert can name the producer that
// stopped: 1 when its data has not changed for --stale-after.
void render_staleness(const std::vector<files::Source*>& active, prom::Writer& out) {
    out.family("mmwatch_source_stale", prom::Kind::gauge,
               "1 when the file's data has not changed for --stale-after (0 when off).");
    for (const files::Source* s : active) prom::labelled(out, "name", s->label(), s->stale() ? 1 : 0);
}

}  // namespace

bool MetricsPage::FilesAndSelfMetrics::taken(std::string_view name) const {
    return plan.has_family(name) || self_metric_names().count(std::string(name)) > 0;
}

// The page, top to bottom: the one place that decides what /metrics holds
// and, through the sample pipeline, what every consumer of samples gets.
void MetricsPage::compose(prom::Writer& w, std::string* text, Purpose purpose) {
    // The file families, from the plan of the active files (cut short at
    // --max-response-bytes: counted before the self-metrics show it).
    const std::vector<prom::FileView> files = views();
    const bool complete = text ? plan_.render(files, config_.grouping_power, *text, config_.max_response_bytes,
                                              w.format() == prom::Format::openmetrics)
                               : plan_.render(files, config_.grouping_power, w, config_.max_response_bytes);
    if (!complete && purpose == Purpose::body) ++counters_.response_bytes_limit;
    compose_rest(w);
}

MetricsPage::Slice MetricsPage::render_slice(prom::Writer& w, PageCursor& at, size_t budget_samples) {
    if (!at.begun) at = {true, plan_generation_, {}};
    if (at.plan_generation != plan_generation_) return Slice::plan_changed;
    const std::vector<prom::FileView> files = views();  // afresh each slice: the watcher may have copied anew
    const bool complete = plan_.render(files, config_.grouping_power, w, config_.max_response_bytes, at.files,
                                       budget_samples);
    if (complete && !plan_.done(at.files)) return Slice::more;
    compose_rest(w);
    return Slice::done;
}

void MetricsPage::compose_rest(prom::Writer& w) {
    // Each subsystem's self-metrics: the daemon's parts', then remote_write's.
    render_self_metrics(self_metrics_input(), w);
    parts_.pusher.write_self_metrics(w);
    if (parts_.history) parts_.history->write_self_metrics(w);
    if (query_api_) write_query_metrics(*query_api_, w);
    // One staleness series per active file.
    render_staleness(parts_.watcher.active_in_discovery_order(), w);
    // The OTLP series under names nothing above took, then OTLP's own
    // metrics (their skip counts are this body's).
    const otlp::ExpositionSkips skips = otlp::render_prometheus(parts_.otlp, w, taken_,
                                                                base::unix_ns_now(), config_.max_response_bytes);
    otlp::write_self_metrics(parts_.otlp, parts_.receiver.counters(), skips, w);
    // The gRPC listener's sessions and calls (at zero when it is off).
    render_grpc_metrics(parts_.daemon.grpc, parts_.grpc.counters(), w);
    w.finish();
}

SelfMetricsInput MetricsPage::self_metrics_input() const {
    const DaemonStats& d = parts_.daemon;
    return {parts_.watcher.counters(), d.tick_alloc_failures, d.tick_exceptions, parts_.pusher.callback_failures(),
            d.loop, counters_, d.listeners, parts_.events, d.version, d.start_unix_ns, d.tls, d.auth,
            d.web_config_reloads, d.sampler, d.turn_budget};
}

std::shared_ptr<const std::string> MetricsPage::body(prom::Format format) {
    Rendition& r = renditions_[size_t(format)];
    const bool new_tick = r.snapshot != parts_.watcher.snapshot_generation();
    if (r.body && !new_tick && !(r.dirty && !r.extra_render_used)) return r.body;
    r.extra_render_used = !new_tick;
    r.dirty = false;
    try {
        render(format, r);
    } catch (const std::bad_alloc&) {
        // Serve the last body if it is still held (null before the first
        // and once a newer snapshot let it go): memory may come back.
        ++counters_.render_alloc_failures;
        r.snapshot = parts_.watcher.snapshot_generation();
    }
    return r.body;
}

std::shared_ptr<const std::string> MetricsPage::serve(prom::Format format, bool gzip, bool& gzipped) {
    gzipped = false;
    std::shared_ptr<const std::string> plain = body(format);
    Rendition& r = renditions_[size_t(format)];
    if (gzip && plain && plain->size() >= kMinGzipBytes) {
        if (!r.gzipped) {
            r.gzipped = gzip_.encode(*plain);  // null if memory ran out: sent plain
            if (r.gzipped) {
                ++counters_.compressions[size_t(format)];
                counters_.body_bytes[size_t(format)][1] = r.gzipped->size();
            }
        }
        if (r.gzipped) {
            gzipped = true;
            ++counters_.scrapes[size_t(format)][1];
            return r.gzipped;
        }
    }
    ++counters_.scrapes[size_t(format)][0];
    return plain;
}

void MetricsPage::render(prom::Format format, Rendition& r) {
    r.snapshot = parts_.watcher.snapshot_generation();
    auto text = std::make_shared<std::string>();
    // Reserve what the last render needed, so a render is one allocation.
    text->reserve(r.last_size + r.last_size / 8 + 4096);
    const std::unique_ptr<prom::Writer> w = prom::make_writer(format, *text);
    // Text formats take the file plan's direct path; protobuf goes through the writer.
    ++counters_.renders[size_t(format)];
    compose(*w, format == prom::Format::protobuf ? nullptr : text.get(), Purpose::body);
    r.last_size = text->size();
    counters_.body_bytes[size_t(format)][0] = text->size();
    r.body = std::move(text);
    r.gzipped.reset();
}

}  // namespace mmwatch::daemon
