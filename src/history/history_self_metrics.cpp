#include "history/history_self_metrics.hpp"

namespace mmwatch::history {

namespace {

constexpr std::string_view kCounter = "counter";
constexpr std::string_view kGauge = "gauge";

struct Rows {
    std::vector<MetricRow>& out;
    void add(std::string_view name, std::string_view type, std::string_view help, double v) {
        out.push_back({name, type, help, {}, {}, {}, {}, v});
    }
    void add(std::string_view name, std::string_view type, std::string_view help, std::string_view label,
             std::string_view value, double v) {
        out.push_back({name, type, help, label, value, {}, {}, v});
    }
};

void store_rows(Rows& r, const Store* store) {
    const StoreStats st = store ? store->stats() : StoreStats{};
    const StoreCounters c = store ? store->counters() : StoreCounters{};
    for (size_t t = 0; t < kTierCount; ++t)
        r.add("mmwatch_history_samples", kGauge, "Samples held, by tier (rows for the downsampled tiers).", "tier",
              tier_name(Tier(t)), double(st.samples[t]));
    for (size_t t = 0; t < kTierCount; ++t)
        r.add("mmwatch_history_bytes", kGauge, "Memory held by the history store's chunks and heads, by tier.",
              "tier", tier_name(Tier(t)), double(st.bytes[t]));
    r.add("mmwatch_history_index_bytes", kGauge,
          "Memory held by the history store's series, label strings and postings index.", double(st.index_bytes));
    r.add("mmwatch_history_feeder_bytes", kGauge,
          "Memory the history store's feeders hold per series for it (the sample pipeline's last batch, the OTLP "
          "series' history ids), part of mmwatch_history_index_bytes and the budget.",
          double(st.feeder_bytes));
    r.add("mmwatch_history_budget_bytes", kGauge, "The history store's memory budget (--history-bytes).",
          store ? double(store->config().max_bytes) : 0);
    r.add("mmwatch_history_series", kGauge, "Series the history store holds.", double(st.series));
    for (size_t t = 0; t < kTierCount; ++t)
        r.add("mmwatch_history_chunks", kGauge, "Sealed chunks held, by tier.", "tier", tier_name(Tier(t)),
              double(st.chunks[t]));
    r.add("mmwatch_history_appended_total", kCounter, "Samples stored in the history store.", double(c.appended));
    for (size_t i = 0; i < kRefusalCount; ++i)
        r.add("mmwatch_history_refused_total", kCounter, "Samples the history store refused, by reason.", "reason",
              refusal_name(Refusal(i)), double(c.refused[i]));
    for (size_t t = 0; t < kTierCount; ++t) {
        for (size_t e = 0; e < kEvictionCount; ++e) {
            r.out.push_back({"mmwatch_history_evicted_total", kCounter,
                             "Samples (rows for downsampled tiers) dropped to stay within the budget or the "
                             "retention, by tier and reason.",
                             "tier", tier_name(Tier(t)), "reason", eviction_name(Eviction(e)), double(c.evicted[t][e])});
        }
    }
    r.add("mmwatch_history_series_removed_total", kCounter, "Series forgotten once all their data was evicted.",
          double(c.series_removed));
    r.add("mmwatch_history_tier_late_total", kCounter,
          "Samples for a bucket already closed, stored raw but left out of the downsampled tiers.",
          double(c.tier_late));
    r.add("mmwatch_history_corrupt_chunks_total", kCounter, "Chunks in memory that failed to decode (a bug).",
          double(c.corrupt_chunks));
}

}  // namespace

void metric_rows(const MetricSources& in, std::vector<MetricRow>& out) {
    out.clear();
    Rows r{out};
    store_rows(r, in.store);
    const FlushCounters f = in.flush ? *in.flush : FlushCounters{};
    r.add("mmwatch_history_flushes_total", kCounter, "Flushes of new data to --history-dir completed.",
          double(f.flushes));
    r.add("mmwatch_history_flush_seconds_total", kCounter, "Time flushes took, first step to last, summed.",
          double(f.duration_ms) / 1000);
    r.add("mmwatch_history_last_flush_seconds", kGauge, "Time the last flush took, first step to last.",
          double(f.last_duration_ms) / 1000);
    r.add("mmwatch_history_flushed_samples_total", kCounter, "Raw samples written to --history-dir.",
          double(f.samples));
    const DiskCounters d = in.disk ? *in.disk : DiskCounters{};
    r.add("mmwatch_history_disk_bytes", kGauge, "Bytes of segments in --history-dir.", double(in.disk_bytes));
    r.add("mmwatch_history_disk_written_bytes_total", kCounter, "Bytes written to --history-dir.",
          double(d.bytes_written));
    r.add("mmwatch_history_disk_errors_total", kCounter, "Writes and syncs --history-dir refused, by kind.", "kind",
          "write", double(d.write_errors));
    r.add("mmwatch_history_disk_errors_total", kCounter, "Writes and syncs --history-dir refused, by kind.", "kind",
          "sync", double(d.sync_errors));
    r.add("mmwatch_history_segments_deleted_total", kCounter,
          "Segments deleted to stay within --history-disk-bytes.", double(d.segments_deleted));
    const LoadCounters l = in.load ? *in.load : LoadCounters{};
    const std::pair<std::string_view, uint64_t> skipped[] = {
        {"corrupt", l.corrupt}, {"torn", l.torn}, {"bad_record", l.bad_records}, {"unreadable", d.read_errors}};
    for (const auto& [reason, n] : skipped)
        r.add("mmwatch_history_segments_skipped_total", kCounter,
              "What the reload at start skipped in --history-dir, by reason.", "reason", reason, double(n));
    r.add("mmwatch_history_loaded_samples_total", kCounter, "Raw samples loaded from --history-dir at start.",
          double(l.samples));
    const RemoteWriteCounters w = in.remote_write ? *in.remote_write : RemoteWriteCounters{};
    for (size_t e = 0; e < kWriteErrorCount; ++e)
        r.add("mmwatch_history_remote_write_requests_total", kCounter,
              "Remote-write requests received, by outcome (none: accepted).", "error", write_error_name(WriteError(e)),
              double(w.requests[e]));
    r.add("mmwatch_history_remote_write_samples_total", kCounter, "Samples received by remote write.",
          double(w.samples));
    r.add("mmwatch_history_remote_write_histograms_total", kCounter,
          "Native histogram samples received by remote write and not stored.", double(w.histograms));
}

}  // namespace mmwatch::history
