// mmwatch_remote_write_*: every sender's counters, one series per URL
// (user:password@ taken out of it), every family written even when
// remote_write is off, so a dashboard tells "off" from "no data".
#include "push/pusher.hpp"

#include "prom/writer.hpp"
#include "push/spool.hpp"

namespace mmwatch::push {

namespace {

using prom::Family;
using prom::head;
using prom::Kind;

constexpr Family kRwSent{"mmwatch_remote_write_samples_sent_total", Kind::counter,
                         "Samples the remote_write receiver accepted, by URL."};
constexpr Family kRwBytes{"mmwatch_remote_write_bytes_sent_total", Kind::counter,
                          "Compressed request bytes the remote_write receiver accepted, by URL."};
constexpr Family kRwFailed{"mmwatch_remote_write_samples_failed_total", Kind::counter,
                           "Samples in sends that failed and are retried (5xx, 429, no answer), by URL."};
constexpr Family kRwDropped{"mmwatch_remote_write_samples_dropped_total", Kind::counter,
                            "Samples given up, by URL and reason: queue_full (memory, oldest first), rejected (4xx), "
                            "spool_full (oldest segments), spool_write (the disk refused)."};
constexpr Family kRwSpoolBytes{"mmwatch_remote_write_spool_bytes", Kind::gauge,
                               "Bytes of batches waiting in --remote-write-spool, by URL."};
constexpr Family kRwSpoolSamples{"mmwatch_remote_write_spool_samples", Kind::gauge,
                                 "Samples waiting in --remote-write-spool, by URL."};
constexpr Family kRwSpoolCorrupt{"mmwatch_remote_write_spool_corrupt_records_total", Kind::counter,
                                 "Spool records skipped on replay: torn or failing their checksum, by URL."};
constexpr Family kRwPendingSamples{"mmwatch_remote_write_pending_samples", Kind::gauge,
                                   "Samples queued in memory for the receiver, by URL."};
constexpr Family kRwPendingBytes{"mmwatch_remote_write_pending_bytes", Kind::gauge,
                                 "Compressed bytes queued in memory for the receiver, by URL."};
constexpr Family kRwLastSuccess{"mmwatch_remote_write_last_success_timestamp_seconds", Kind::gauge,
                                "When the receiver last accepted a batch (0: never), by URL."};
constexpr Family kRwRequests{"mmwatch_remote_write_requests_total", Kind::counter, "Send attempts, by URL."};
constexpr Family kRwSeconds{"mmwatch_remote_write_send_seconds_total", Kind::counter,
                            "Time sends took, answered or not, by URL (divide by requests for the mean)."};

constexpr const Family* kFamilies[] = {&kRwSent,           &kRwBytes,         &kRwFailed,      &kRwDropped,
                                       &kRwSpoolBytes,     &kRwSpoolSamples,  &kRwSpoolCorrupt, &kRwPendingSamples,
                                       &kRwPendingBytes,   &kRwLastSuccess,   &kRwRequests,    &kRwSeconds};

// The URL as a label value, without user:password@ if one was given.
std::string redacted(std::string_view url) {
    const size_t scheme = url.find("://");
    const size_t at = url.find('@');
    const size_t path = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    if (scheme == std::string_view::npos || at == std::string_view::npos || (path != std::string_view::npos && at > path))
        return std::string(url);
    return std::string(url.substr(0, scheme + 3)) + std::string(url.substr(at + 1));
}

void render(const std::vector<std::unique_ptr<Sender>>& senders, prom::Writer& out) {
    const auto each = [&](const Family& f, auto value) {
        head(out, f);
        for (const auto& s : senders) prom::labelled(out, "url", redacted(s->url()), double(value(s->counters())));
    };
    each(kRwSent, [](const SenderCounters& c) { return c.samples_sent; });
    each(kRwBytes, [](const SenderCounters& c) { return c.bytes_sent; });
    each(kRwFailed, [](const SenderCounters& c) { return c.samples_failed; });
    head(out, kRwDropped);
    for (const auto& s : senders) {
        const SenderCounters& c = s->counters();
        const uint64_t spool_full = s->spool() ? s->spool()->counters().dropped_samples : 0;
        for (auto [reason, n] : {std::pair{"queue_full", c.samples_dropped[size_t(DropReason::queue_full)]},
                                 std::pair{"rejected", c.samples_dropped[size_t(DropReason::rejected)]},
                                 std::pair{"spool_full", spool_full},
                                 std::pair{"spool_write", c.samples_dropped[size_t(DropReason::spool_write)]}}) {
            std::string labels;
            out.label(labels, "reason", reason);
            out.label(labels, "url", redacted(s->url()));
            out.metric(labels);
            out.value(double(n));
        }
    }
    each(kRwPendingSamples, [](const SenderCounters& c) { return c.pending_samples; });
    each(kRwPendingBytes, [](const SenderCounters& c) { return c.pending_bytes; });
    const auto spool = [&](const Family& f, auto value) {
        head(out, f);
        for (const auto& s : senders)
            prom::labelled(out, "url", redacted(s->url()), s->spool() ? double(value(*s->spool())) : 0.0);
    };
    spool(kRwSpoolBytes, [](const Spool& sp) { return sp.bytes(); });
    spool(kRwSpoolSamples, [](const Spool& sp) { return sp.samples(); });
    spool(kRwSpoolCorrupt, [](const Spool& sp) { return sp.counters().corrupt_records; });
    head(out, kRwLastSuccess);
    for (const auto& s : senders)
        prom::labelled(out, "url", redacted(s->url()), double(s->counters().last_success_unix_ms) / 1000.0);
    each(kRwRequests, [](const SenderCounters& c) { return c.requests; });
    head(out, kRwSeconds);
    for (const auto& s : senders) prom::labelled(out, "url", redacted(s->url()), s->counters().send_seconds_sum);
}

}  // namespace

void Pusher::write_self_metrics(prom::Writer& out) const { render(senders_, out); }

std::span<const prom::Family* const> Pusher::self_metric_families() noexcept { return kFamilies; }

}  // namespace mmwatch::push
