// The daemon's history store and its life cycle (docs/history.md): the one
// history::Store, fed by the sample pipeline every --history-interval (a
// prom::SampleSink, with Prometheus' staleness marker for each series that
// went away), by OTLP points at their own timestamps (otlp_history.hpp:
// those series are skipped in the pipeline's batches) and by remote_write
// receive. A sampled batch is taken in across loop turns, at most
// kHistoryIntakeStepSeries series a turn; with --history-dir, the reload
// at start and a flush every --history-flush-interval are cut into steps
// of bounded work too, one per loop turn (a uv_idle handle runs while
// there is work), and a last flush at SIGTERM. The query API reaches the
// store through store().
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/live_storage.hpp"
#include "base/turn_budget.hpp"
#include "history/flush.hpp"
#include "history/history_self_metrics.hpp"
#include "history/history_store.hpp"
#include "history/remote_write.hpp"
#include "daemon/export_pacer.hpp"
#include "daemon/otlp_history.hpp"
#include "history/segment_file.hpp"
#include "http/uv_handle.hpp"
#include "prom/samples.hpp"
#include "prom/writer.hpp"

namespace mmwatch::daemon {

struct HistoryConfig {
    history::StoreConfig store;
    uint64_t interval_ms = 0;        // --history-interval
    std::string dir;                 // --history-dir; empty: memory only
    uint64_t disk_bytes = 0;         // --history-disk-bytes
    uint64_t flush_interval_ms = 0;  // --history-flush-interval
    size_t max_body_bytes = 0;       // --max-body-bytes, a remote-write body after decompression
    size_t max_export_bytes = 0;     // --max-response-bytes, an export's body
};

// Why POST /api/v1/write was refused before its body was read (the body's
// own refusals are history::WriteError's).
enum class WriteRefusal : uint8_t {
    unsupported_media_type,  // Content-Type not application/x-protobuf (415)
    unsupported_encoding,    // Content-Encoding not snappy (415)
    loading,                 // the reload at start is still running (503, Retry-After)
    out_of_order,            // some samples were refused by the store: 400 as Prometheus answers
};
inline constexpr size_t kWriteRefusalCount = 4;
[[nodiscard]] std::string_view write_refusal_name(WriteRefusal r) noexcept;

class HistoryKeeper final : public prom::SampleSink {
public:
    explicit HistoryKeeper(HistoryConfig config);
    HistoryKeeper(const HistoryKeeper&) = delete;
    HistoryKeeper& operator=(const HistoryKeeper&) = delete;
    ~HistoryKeeper();

    // Opens --history-dir (when given) and starts the reload and the flush
    // timer. A directory that cannot be opened leaves the store in memory
    // only: `warning` says why (the daemon serves on).
    void start(uv_loop_t* loop, std::string& warning);
    // Its steps (intake, reload, flushes) and the exports' slices ask
    // `budget` first (base/turn_budget.hpp).
    void share_turns(base::TurnBudget& budget) {
        turns_.join(budget, "history");
        exports_.share_turns(budget);
    }
    // The sample pipeline's batch: each series appended at the batch's
    // time; each series of the last batch missing from this one gets a
    // staleness marker. Taken in across loop turns from the next one on
    // (intake_step()); a batch that comes while the reload runs or while
    // earlier ones are still taken in waits its turn (see
    // kHistoryPendingBatches). Before start() (no loop: tests, benchmarks)
    // the batch is taken in at once.
    void consume(std::shared_ptr<const prom::SampleBatch> batch) override;
    // True while a sampled batch is being taken in or waits to be.
    [[nodiscard]] bool taking_in() const noexcept { return intake_ || !pending_batches_.empty(); }
    // The tick's share of the store's upkeep (retention, sealing, forgetting).
    void tick(int64_t unix_ms);
    // SIGTERM: finishes any flush and writes what is new, then stops the
    // handles. What the process holds in memory is on disk after this.
    void close();

    // The store, for the query API (src/api/) and the export.
    [[nodiscard]] history::Store& store() noexcept { return store_; }
    [[nodiscard]] const history::Store& store() const noexcept { return store_; }
    [[nodiscard]] uint64_t interval_ms() const noexcept { return config_.interval_ms; }
    [[nodiscard]] bool loading() const noexcept { return loading_; }
    // GET /api/v1/export, built across loop turns (export_pacer.hpp).
    [[nodiscard]] ExportPacer& exports() noexcept { return exports_; }

    // The query API's live values at `t_ms` from `now` (a batch collected
    // just now): the series the store has not seen since t_ms, and those it
    // does not have (docs/query.md "Live values").
    [[nodiscard]] std::shared_ptr<const api::LivePoints> live_points(const prom::SampleBatch& now, int64_t t_ms);

    // POST /api/v1/write's body (snappy WriteRequest) into the store.
    history::WriteResult receive_write(std::string_view snappy_body);
    void count_refusal(WriteRefusal r) noexcept { ++write_refusals_[size_t(r)]; }

    // OTLP points in: the OTLP store's sink (otlp_history.hpp).
    [[nodiscard]] OtlpHistory& otlp() noexcept { return otlp_; }
    // A series fed at its own timestamps (OTLP): the sample pipeline's
    // copy of it is not appended, only its staleness marker when it goes.
    // (Kept in the series: history::Store::own_times.)
    void mark_own_timestamps(history::SeriesId id);
    // A series no longer fed at its own timestamps (its OTLP family lost
    // its name on /metrics): the sample pipeline samples it again.
    void clear_own_timestamps(history::SeriesId id) noexcept;
    // Tells the store what this keeper and its OTLP side hold for it.
    void count_feeder_bytes();

    // mmwatch_history_* on /metrics, every row on every call.
    void write_self_metrics(prom::Writer& w) const;
    // Every family write_self_metrics() writes (files may not use them).
    [[nodiscard]] static std::vector<prom::Family> self_metric_families();
    // The longest flush or reload step so far, in nanoseconds.
    [[nodiscard]] uint64_t longest_step_ns() const noexcept { return longest_step_ns_; }

private:
    static void on_work(uv_idle_t* h);
    static void on_flush_timer(uv_timer_t* t);
    void begin_intake();
    void intake_step();
    void take_in(const prom::SampleBatch& batch, size_t i);
    void mark_if_gone(history::SeriesId id);
    [[nodiscard]] bool has_work() const noexcept { return taking_in() || loading_ || flushing_; }
    [[nodiscard]] history::SeriesId series_of(std::string_view labels, bool create);
    void begin_reload();
    bool reload_step();
    void finish_reload();
    void begin_flush();
    bool flush_step();
    void step();
    void want_work();
    template <typename F>
    void guarded(F&& work) noexcept;
    bool lock_dir(std::string& error);

    HistoryConfig config_;
    history::Store store_;
    ExportPacer exports_{store_, config_.max_export_bytes};
    uv_loop_t* loop_ = nullptr;
    http::UvHandle<uv_idle_t> work_;
    base::TurnShare turns_;
    http::UvHandle<uv_timer_t> flush_timer_;
    // The sample pipeline: the last batch's series (for staleness; ids_
    // is the batch being appended; 4 bytes a series each, in the store's
    // budget), the batches' number (each series keeps the last it was in:
    // history::Store::last_batch), the batch being taken in, and the
    // batches that came while the reload ran or while one was taken in.
    std::vector<history::SeriesId> last_ids_, ids_;
    std::vector<uint64_t> in_batch_;  // ids_ as a bit set (a bit a slot), all zero between batches
    uint32_t batch_ = 0;
    // A batch's intake, in two passes, each from a cursor: its series
    // appended, then the last batch's series checked for a staleness
    // marker (only when some are gone).
    struct Intake {
        std::shared_ptr<const prom::SampleBatch> batch;
        uint32_t previous = 0;  // the last batch's number
        size_t kept = 0;        // series of the last batch in this one
        size_t next = 0, next_gone = 0;
    };
    std::optional<Intake> intake_;
    std::deque<std::shared_ptr<const prom::SampleBatch>> pending_batches_;
    uint64_t batches_dropped_ = 0;
    size_t held_batch_bytes_ = 0;  // of pending_batches_ and the intake's (count_feeder_bytes())
    uint64_t intake_steps_ = 0, batches_taken_in_ = 0;
    std::vector<history::LabelView> labels_;
    // OTLP points (the series they feed are marked in the store:
    // history::Store::own_times).
    OtlpHistory otlp_{*this};
    // --history-dir: the reload, then the flushes.
    std::unique_ptr<history::SegmentDir> dir_;
    int lock_fd_ = -1;
    std::optional<history::Loader> loader_;
    std::optional<history::SegmentReader> reader_;
    std::vector<std::string> paths_;
    size_t next_path_ = 0;
    bool loading_ = false;
    history::FlushBuilder flush_;
    bool flushing_ = false;
    bool closed_ = false;
    bool built_ = false;          // the builder has handed over its last records
    std::string pending_bytes_;   // records built and not yet written
    uint64_t longest_step_ns_ = 0;
    uint64_t alloc_failures_ = 0;
    // remote_write receive.
    history::WriteScratch scratch_;
    history::RemoteWriteCounters remote_write_;
    uint64_t write_refusals_[kWriteRefusalCount] = {};
    mutable std::vector<history::MetricRow> rows_;
};

}  // namespace mmwatch::daemon
