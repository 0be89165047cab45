#include "daemon/metrics_page.hpp"

#include "http/gzip.hpp"
#include "prom/text.hpp"

#include <new>

namespace mmwatch::daemon {

MetricsPage::MetricsPage(PageConfig config, files::Watcher& watcher, files::EventLog& events)
    : config_(std::move(config)), watcher_(watcher), events_(events) {}

std::vector<prom::FileView> MetricsPage::views() {
    std::vector<prom::FileView> out;
    for (files::Source* s : watcher_.active_in_discovery_order()) {
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
    for (const prom::Drop& d : plan_.take_new_drops()) {
        switch (d.kind) {
            case prom::DropKind::type_conflict:
                ++counters_.type_conflicts;
                events_.record(files::EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case prom::DropKind::duplicate_series:
                ++counters_.duplicate_series;
                events_.record(files::EventKind::type_conflict, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
            case prom::DropKind::series_limit:
                ++counters_.series_limit;
                events_.record(files::EventKind::limit, d.label, d.metric + ": " + d.detail, unix_ms);
                break;
        }
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

std::shared_ptr<const std::string> MetricsPage::body(prom::Format format) {
    Rendition& r = renditions_[size_t(format)];
    const bool new_tick = r.snapshot != watcher_.snapshot_generation();
    if (r.body && !new_tick && !(r.dirty && !r.extra_render_used)) return r.body;
    r.extra_render_used = !new_tick;
    r.dirty = false;
    try {
        render(format, r);
    } catch (const std::bad_alloc&) {
        // Serve the last body (null before the first): memory may come back.
        ++counters_.render_alloc_failures;
        r.snapshot = watcher_.snapshot_generation();
    }
    return r.body;
}

void MetricsPage::render_rest(prom::Writer& w) {
    if (self_) self_(w);
    render_staleness(watcher_.active_in_discovery_order(), w);
    if (extra_) {
        extra_(w, [this](std::string_view name) {
            return plan_.has_family(name) || self_metric_names().count(std::string(name)) > 0;
        });
    }
}

void MetricsPage::render_into(prom::Writer& w) {
    (void)plan_.render(views(), config_.grouping_power, w, config_.max_response_bytes);
    render_rest(w);
    w.finish();
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
    r.snapshot = watcher_.snapshot_generation();
    auto text = std::make_shared<std::string>();
    // Reserve what the last render needed, so a render is one allocation.
    text->reserve(r.last_size + r.last_size / 8 + 4096);
    const std::unique_ptr<prom::Writer> w = prom::make_writer(format, *text);
    // Text formats take the file plan's direct path; protobuf goes through the writer.
    const bool complete =
        format == prom::Format::protobuf
            ? plan_.render(views(), config_.grouping_power, *w, config_.max_response_bytes)
            : plan_.render(views(), config_.grouping_power, *text, config_.max_response_bytes,
                           format == prom::Format::openmetrics);
    if (!complete) ++counters_.response_bytes_limit;
    ++counters_.renders[size_t(format)];
    render_rest(*w);
    w->finish();
    r.last_size = text->size();
    counters_.body_bytes[size_t(format)][0] = text->size();
    r.body = std::move(text);
    r.gzipped.reset();
}

}  // namespace mmwatch::daemon
