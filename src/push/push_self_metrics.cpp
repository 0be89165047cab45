// mmwatch_remote_write_*: every sender's counters, one series per URL
// (user:password@ taken out of it), every family written even when
// remote_write is off, so a dashboard tells "off" from "no data".
#include "push/pusher.hpp"

#include "prom/writer.hpp"
#include "push/spool.hpp"

namespace mmwatch::push {

namespace {

using prom::Kind;

double spooled(const Sender& s, uint64_t (*of)(const Spool&)) { return s.spool() ? double(of(*s.spool())) : 0.0; }

// A family, in the order written, and what one URL's series reads; the
// dropped family (value null) has one series per URL and reason.
struct PerUrl {
    prom::Family family;
    double (*value)(const Sender& s);
};

constexpr PerUrl kFamilies[] = {
    {{"mmwatch_remote_write_samples_in_total", Kind::counter,
      "Samples handed to the URL's queue (each push's series and staleness markers): each is sent, dropped, pending "
      "or spooled, by URL."},
     [](const Sender& s) { return double(s.counters().samples_in); }},
    {{"mmwatch_remote_write_samples_sent_total", Kind::counter, "Samples the remote_write receiver accepted, by URL."},
     [](const Sender& s) { return double(s.counters().samples_sent); }},
    {{"mmwatch_remote_write_bytes_sent_total", Kind::counter,
      "Compressed request bytes the remote_write receiver accepted, by URL."},
     [](const Sender& s) { return double(s.counters().bytes_sent); }},
    {{"mmwatch_remote_write_samples_failed_total", Kind::counter,
      "Samples in sends that failed and are retried (5xx, 429, no answer), by URL."},
     [](const Sender& s) { return double(s.counters().samples_failed); }},
    {{"mmwatch_remote_write_samples_dropped_total", Kind::counter,
      "Samples given up, by URL and reason: queue_full (memory, oldest first), rejected (4xx), "
      "spool_full (oldest segments), spool_damaged (spooled, then not found intact on disk)."},
     nullptr},
    {{"mmwatch_remote_write_pending_samples", Kind::gauge, "Samples queued in memory for the receiver, by URL."},
     [](const Sender& s) { return double(s.counters().pending_samples); }},
    {{"mmwatch_remote_write_pending_bytes", Kind::gauge, "Compressed bytes queued in memory for the receiver, by URL."},
     [](const Sender& s) { return double(s.counters().pending_bytes); }},
    {{"mmwatch_remote_write_spool_bytes", Kind::gauge, "Bytes of batches waiting in --remote-write-spool, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.bytes(); }); }},
    {{"mmwatch_remote_write_spool_samples", Kind::gauge, "Samples waiting in --remote-write-spool, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.samples(); }); }},
    {{"mmwatch_remote_write_spool_corrupt_records_total", Kind::counter,
      "Damaged stretches of the spool skipped on replay: torn, failing a checksum or no record, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.counters().corrupt_records; }); }},
    {{"mmwatch_remote_write_spool_write_errors_total", Kind::counter,
      "Batches the spool's disk refused (full, read-only, I/O error); they wait in memory, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.counters().write_errors; }); }},
    {{"mmwatch_remote_write_spool_writable", Kind::gauge,
      "1 while the spool takes batches, 0 while its disk refuses them (or there is no spool), by URL."},
     [](const Sender& s) { return s.spool_writable() ? 1.0 : 0.0; }},
    {{"mmwatch_remote_write_spool_changed_segments_total", Kind::counter,
      "Times the segment being written was found truncated, replaced or removed, or its directory swapped; a new "
      "segment was started, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.counters().changed_segments; }); }},
    {{"mmwatch_remote_write_spool_skipped_segments_total", Kind::counter,
      "Segments found at start that could not fit within --remote-write-spool-bytes, not read and removed, by URL."},
     [](const Sender& s) { return spooled(s, [](const Spool& sp) { return sp.counters().skipped_segments; }); }},
    {{"mmwatch_remote_write_last_success_timestamp_seconds", Kind::gauge,
      "When the receiver last accepted a batch (0: never), by URL."},
     [](const Sender& s) { return double(s.counters().last_success_unix_ms) / 1000.0; }},
    {{"mmwatch_remote_write_requests_total", Kind::counter, "Send attempts, by URL."},
     [](const Sender& s) { return double(s.counters().requests); }},
    {{"mmwatch_remote_write_send_seconds_total", Kind::counter,
      "Time sends took, answered or not, by URL (divide by requests for the mean)."},
     [](const Sender& s) { return s.counters().send_seconds_sum; }},
};

// The URL as a label value, without user:password@ if one was given.
std::string redacted(std::string_view url) {
    const size_t scheme = url.find("://");
    const size_t at = url.find('@');
    const size_t path = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    if (scheme == std::string_view::npos || at == std::string_view::npos || (path != std::string_view::npos && at > path))
        return std::string(url);
    return std::string(url.substr(0, scheme + 3)) + std::string(url.substr(at + 1));
}

void write_dropped(const Sender& s, prom::Writer& out) {
    const SenderCounters& c = s.counters();
    const SpoolCounters none;
    const SpoolCounters& sc = s.spool() ? s.spool()->counters() : none;
    for (auto [reason, n] : {std::pair{"queue_full", c.samples_dropped[size_t(DropReason::queue_full)]},
                             std::pair{"rejected", c.samples_dropped[size_t(DropReason::rejected)]},
                             std::pair{"spool_full", sc.dropped_samples},
                             std::pair{"spool_damaged", sc.damaged_samples}}) {
        std::string labels;
        out.label(labels, "reason", reason);
        out.label(labels, "url", redacted(s.url()));
        out.metric(labels);
        out.value(double(n));
    }
}

// The push itself, one series each whatever the URLs (0 when off).
struct Whole {
    prom::Family family;
    double (*value)(const Pusher& p);
};

constexpr Whole kPushFamilies[] = {
    {{"mmwatch_remote_write_working_bytes", Kind::gauge,
      "Memory the push holds now: the batch while it is encoded, series identities and the last push's compressed "
      "requests (for staleness markers), scratch buffers; the queues' bytes are pending_bytes."},
     [](const Pusher& p) { return double(p.working_bytes()); }},
    {{"mmwatch_remote_write_working_peak_bytes", Kind::gauge, "The most working_bytes has been since start."},
     [](const Pusher& p) { return double(p.peak_working_bytes()); }},
    {{"mmwatch_remote_write_working_budget_bytes", Kind::gauge,
      "Compressed bytes of the last push kept for the labels of series that go away, at most (beyond: markers "
      "skipped, counted)."},
     [](const Pusher&) { return double(kMaxKeptRequestBytes); }},
    {{"mmwatch_remote_write_push_slices_total", Kind::counter,
      "Loop turns pushes were cut into (each at most one request's work)."},
     [](const Pusher& p) { return double(p.stream_counters().slices); }},
    {{"mmwatch_remote_write_stale_markers_total", Kind::counter,
      "Staleness markers pushed for series that went away."},
     [](const Pusher& p) { return double(p.stream_counters().stale_markers); }},
    {{"mmwatch_remote_write_stale_markers_skipped_total", Kind::counter,
      "Series that went away without a staleness marker: the last push's requests passed the kept budget."},
     [](const Pusher& p) { return double(p.stream_counters().stale_markers_skipped); }},
};

constexpr prom::Family kSeriesSkipped{
    "mmwatch_remote_write_series_skipped_total", Kind::counter,
    "Series left out of a push, by reason: out_of_memory (a request could not be made; those the last push had get "
    "a staleness marker), overrun (a batch replaced by a newer one while a push still ran)."};

}  // namespace

void Pusher::write_self_metrics(prom::Writer& out) const {
    for (const PerUrl& f : kFamilies) {
        prom::head(out, f.family);
        for (const auto& s : senders_) {
            if (f.value) prom::labelled(out, "url", redacted(s->url()), f.value(*s));
            else write_dropped(*s, out);
        }
    }
    for (const Whole& f : kPushFamilies) prom::single(out, f.family, f.value(*this));
    prom::head(out, kSeriesSkipped);
    for (size_t r = 0; r < std::size(kSkipReasonNames); ++r)
        prom::labelled(out, "reason", kSkipReasonNames[r], double(stream_.counters().series_skipped[r]));
}

std::vector<prom::Family> Pusher::self_metric_families() {
    std::vector<prom::Family> out;
    for (const PerUrl& f : kFamilies) out.push_back(f.family);
    for (const Whole& f : kPushFamilies) out.push_back(f.family);
    out.push_back(kSeriesSkipped);
    return out;
}

}  // namespace mmwatch::push
