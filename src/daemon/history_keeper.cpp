#include "daemon/history_keeper.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "base/clock.hpp"
#include "base/limits.hpp"

namespace mmwatch::daemon {

using history::kNoSeries;
using history::SeriesId;

std::string_view write_refusal_name(WriteRefusal r) noexcept {
    switch (r) {
        case WriteRefusal::unsupported_media_type: return "unsupported_media_type";
        case WriteRefusal::unsupported_encoding: return "unsupported_encoding";
        case WriteRefusal::loading: return "loading";
        case WriteRefusal::out_of_order: return "out_of_order";
    }
    return "unknown";
}

HistoryKeeper::HistoryKeeper(HistoryConfig config) : config_(std::move(config)), store_(config_.store) {}

HistoryKeeper::~HistoryKeeper() {
    work_.close();
    flush_timer_.close();
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

// One mmwatch per --history-dir: two writing the same segments would
// spoil each other's. The lock goes with the process, SIGKILL included.
bool HistoryKeeper::lock_dir(std::string& error) {
    const std::string path = config_.dir + "/lock";
    lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        error = errno == EWOULDBLOCK ? "another mmwatch is using it" : std::strerror(errno);
        return false;
    }
    return true;
}

void HistoryKeeper::start(uv_loop_t* loop, std::string& warning) {
    loop_ = loop;
    exports_.start(loop);
    uv_idle_init(loop, work_.get());
    work_.mark_initialized();
    work_.get()->data = this;
    if (config_.dir.empty()) return;
    std::string error;
    dir_ = history::SegmentDir::open(config_.dir, config_.disk_bytes, error);
    if (dir_ && !lock_dir(error)) dir_.reset();
    if (!dir_) {
        warning = "--history-dir " + config_.dir + ": " + error + "; history is kept in memory only";
        return;
    }
    uv_timer_init(loop, flush_timer_.get());
    flush_timer_.mark_initialized();
    flush_timer_.get()->data = this;
    uv_timer_start(flush_timer_.get(), on_flush_timer, config_.flush_interval_ms, config_.flush_interval_ms);
    begin_reload();
}

// --- the sample pipeline ---------------------------------------------------------

void HistoryKeeper::consume(std::shared_ptr<const prom::SampleBatch> batch) {
    pending_batches_.push_back(std::move(batch));
    if (pending_batches_.size() > base::kHistoryPendingBatches) {
        pending_batches_.pop_front();
        ++batches_dropped_;
    }
    count_feeder_bytes();
    if (loop_) {
        want_work();  // the intake's steps begin on the next loop turn
        return;
    }
    if (!loading_)
        while (taking_in()) guarded([this] { intake_step(); });
}

// A sample's labels come sorted and unique (prom::Sample): found without
// canonicalize() when the store has the series; a new one is checked.
SeriesId HistoryKeeper::series_of(std::string_view labels, bool create) {
    labels_.clear();
    prom::for_each_label(labels, [&](std::string_view n, std::string_view v) { labels_.push_back({n, v}); });
    const bool sorted = history::is_canonical(labels_);
    if (sorted) {
        const SeriesId id = store_.find(labels_);
        if (id != kNoSeries || !create) return id;
    }
    if (history::canonicalize(labels_) != history::LabelError::none) {
        if (create) store_.count_refused(history::Refusal::bad_labels, 1);
        return kNoSeries;
    }
    if (!sorted) {
        const SeriesId id = store_.find(labels_);
        if (id != kNoSeries || !create) return id;
    }
    return store_.series(labels_).id;  // a refusal is counted by the store
}

// The next waiting batch becomes the one taken in. Each series is marked
// with the batch's number as it is appended (the mark lives in the series:
// no byte per series here but the lists). What can run out of memory runs
// first: the batch stays waiting until it is begun.
void HistoryKeeper::begin_intake() {
    const prom::SampleBatch& next = *pending_batches_.front();
    ids_.clear();
    ids_.reserve(next.size());
    // OTLP families that lost their names to a file metric stop feeding
    // their series first, so this batch samples the file's.
    otlp_.refresh_names(next.t_ms() * 1'000'000);
    intake_.emplace();
    intake_->batch = std::move(pending_batches_.front());
    pending_batches_.pop_front();
    intake_->previous = batch_;
    batch_ = batch_ == UINT32_MAX ? 1 : batch_ + 1;
    count_feeder_bytes();
}

// One step of the intake (beginning it if none is under way): at most
// kHistoryIntakeStepSeries series, counting both passes together.
// Each cursor moves before its series is handled, so a step cut short
// (memory) goes on with the next series, never repeats one.
void HistoryKeeper::intake_step() {
    if (!intake_) begin_intake();
    ++intake_steps_;
    Intake& in = *intake_;
    const prom::SampleBatch& batch = *in.batch;
    size_t budget = base::kHistoryIntakeStepSeries;
    for (; budget > 0 && in.next < batch.size(); --budget) take_in(batch, in.next++);
    if (in.next < batch.size()) return;
    // Gone since the last batch: one staleness marker each, as Prometheus
    // writes when a target stops exposing a series. When every series of
    // the last batch is in this one (the usual case) none is looked at.
    if (in.kept < last_ids_.size()) {
        for (; budget > 0 && in.next_gone < last_ids_.size(); --budget) mark_if_gone(last_ids_[in.next_gone++]);
        if (in.next_gone < last_ids_.size()) return;
    }
    // A bit a slot: 1,563 words at 100,000 series, cleared at once.
    std::fill(in_batch_.begin(), in_batch_.end(), 0);
    std::swap(last_ids_, ids_);
    intake_.reset();
    ++batches_taken_in_;
    count_feeder_bytes();  // the batch let go
}

void HistoryKeeper::take_in(const prom::SampleBatch& batch, size_t i) {
    const SeriesId id = series_of(batch.labels(i), true);
    if (id == kNoSeries) return;
    // A series fed OTLP points at their own times is not sampled again,
    // but it is in ids_, so it gets its marker when it leaves the page.
    if (!store_.own_times(id)) (void)store_.append(id, batch.t_ms(), history::value_bits(batch.value(i)));
    const uint32_t seen = store_.last_batch(id);
    if (seen == batch_) return;  // twice in the batch: listed once
    if (id / 64 >= in_batch_.size()) in_batch_.resize(id / 64 + 1, 0);
    if (seen == intake_->previous) ++intake_->kept;
    store_.set_last_batch(id, batch_);
    ids_.push_back(id);  // reserved for the whole batch
    in_batch_[id / 64] |= uint64_t(1) << (id % 64);
}

// A series of the last batch still carries its number only if this batch
// did not have it; a slot reused since carries 0 or this batch's. The bit
// set of this batch's ids (a bit a slot) skips those still here without
// reading their series.
void HistoryKeeper::mark_if_gone(SeriesId id) {
    if (id / 64 < in_batch_.size() && (in_batch_[id / 64] >> (id % 64) & 1) != 0) return;
    if (store_.live(id) && store_.last_batch(id) == intake_->previous)
        (void)store_.append(id, intake_->batch->t_ms(), history::kStaleNaNBits);
}

// What this keeper holds per series for the store, in its budget: the
// two batch lists and the OTLP side's (otlp_history.hpp). The sampled
// batches it holds, waiting and being taken in (up to
// kHistoryPendingBatches + 1), are counted apart
// (mmwatch_history_sample_batch_bytes), not in --history-bytes: counted
// there, each batch's arrival (about 7 MB at 100,000 series) would make
// the store evict that much in one call, a long turn at every batch,
// until eviction itself runs in slices (docs/operations.md).
void HistoryKeeper::count_feeder_bytes() {
    held_batch_bytes_ = intake_ ? intake_->batch->memory_bytes() : 0;
    for (const auto& b : pending_batches_) held_batch_bytes_ += b->memory_bytes();
    store_.set_feeder_bytes((ids_.capacity() + last_ids_.capacity()) * sizeof(SeriesId) +
                            in_batch_.capacity() * sizeof(uint64_t) + otlp_.memory_bytes());
}

std::shared_ptr<const api::LivePoints> HistoryKeeper::live_points(const prom::SampleBatch& now, int64_t t_ms) {
    auto out = std::make_shared<api::LivePoints>();
    out->t_ms = t_ms;
    for (size_t i = 0; i < now.size(); ++i) {
        const SeriesId id = series_of(now.labels(i), false);
        if (id == kNoSeries) {
            std::vector<std::pair<std::string, std::string>> pairs;
            prom::for_each_label(now.labels(i), [&](std::string_view n, std::string_view v) { pairs.emplace_back(n, v); });
            out->fresh.emplace_back(promql::Labels::from_pairs(std::move(pairs)), now.value(i));
            continue;
        }
        // A series fed OTLP points keeps their own times: no point is made
        // up for it at the query's time.
        if (store_.own_times(id)) continue;
        const history::Series& s = store_.at(id);
        if (s.has_last && s.last_t >= t_ms) continue;
        out->stored.emplace_back(api::HistoryStorage::make_ref(id, store_.generation(id)), now.value(i));
    }
    std::sort(out->stored.begin(), out->stored.end());
    return out;
}

void HistoryKeeper::mark_own_timestamps(SeriesId id) { store_.set_own_times(id, true); }

void HistoryKeeper::clear_own_timestamps(SeriesId id) noexcept { store_.set_own_times(id, false); }

void HistoryKeeper::tick(int64_t unix_ms) { (void)store_.maintain(unix_ms, base::kHistoryMaintainSeriesPerTick); }

// --- remote_write receive ---------------------------------------------------------

history::WriteResult HistoryKeeper::receive_write(std::string_view snappy_body) {
    const history::WriteLimits limits{config_.max_body_bytes, base::kMaxRemoteWriteSeriesPerRequest};
    history::WriteResult r = history::receive_write_request(snappy_body, limits, store_, scratch_);
    remote_write_.add(r);
    if (r.error == history::WriteError::none && r.refused > 0) count_refusal(WriteRefusal::out_of_order);
    scratch_.trim();
    return r;
}

// --- the work in steps: reload, then flushes ----------------------------------------

void HistoryKeeper::want_work() {
    if (work_.get() && !uv_is_active(work_.handle())) uv_idle_start(work_.get(), on_work);
}

void HistoryKeeper::on_work(uv_idle_t* h) {
    auto* k = static_cast<HistoryKeeper*>(h->data);
    if (!k->turns_.admit()) return;  // the next turn's
    const uint64_t t0 = uv_hrtime();
    k->guarded([k] { k->step(); });
    k->longest_step_ns_ = std::max(k->longest_step_ns_, uv_hrtime() - t0);
}

// Memory running out in a step skips the rest of it (counted); the next
// turn goes on from where the step's owner left off.
template <typename F>
void HistoryKeeper::guarded(F&& work) noexcept {
    try {
        work();
    } catch (const std::bad_alloc&) {
        ++alloc_failures_;
    }
}

// One bounded step of whatever is under way, a sampled batch's intake
// first (about a hundred turns at 100,000 series; a flush waits
// meanwhile); the idle handle stops when nothing is.
void HistoryKeeper::step() {
    if (intake_ || (!loading_ && !pending_batches_.empty())) {
        intake_step();
    } else if (loading_) {
        if (!reload_step()) finish_reload();
    } else if (flushing_) {
        (void)flush_step();
    }
    if (!has_work() && work_.get()) uv_idle_stop(work_.get());
}

void HistoryKeeper::begin_reload() {
    paths_ = dir_->paths();
    next_path_ = 0;
    loader_.emplace(store_, base::unix_ns_now() / 1'000'000);
    loading_ = true;
    want_work();
}

// One read of kHistoryReloadStepBytes from the current segment (or the opening
// of the next); false once every segment is read.
bool HistoryKeeper::reload_step() {
    if (!reader_) {
        if (next_path_ == paths_.size()) return false;
        reader_.emplace();
        if (!reader_->open(paths_[next_path_++])) {
            reader_.reset();
            return true;  // counted by the segment directory's read errors
        }
        loader_->begin_segment();
    }
    if (!reader_->step(*loader_, base::kHistoryReloadStepBytes)) reader_.reset();
    return true;
}

// The batches that came during the reload are taken in next, in order,
// after what was loaded (step()).
void HistoryKeeper::finish_reload() {
    loading_ = false;
    paths_.clear();
}

void HistoryKeeper::on_flush_timer(uv_timer_t* t) {
    auto* k = static_cast<HistoryKeeper*>(t->data);
    if (!k->flushing_ && !k->loading_) k->guarded([k] { k->begin_flush(); });
}

void HistoryKeeper::begin_flush() {
    if (dir_->begin_flush()) flush_.new_segment();
    flush_.begin(store_, uv_now(loop_));
    flushing_ = true;
    built_ = false;
    want_work();
}

// Writes what was built, else builds more; ends the flush when both are
// done. Each half is bounded: kHistoryIoStepBytes written, or
// kHistoryFlushStepSeries series and about kHistoryFlushStepSamples
// samples encoded.
bool HistoryKeeper::flush_step() {
    if (!pending_bytes_.empty()) {
        const size_t done = dir_->write_some(pending_bytes_, base::kHistoryIoStepBytes);
        pending_bytes_.erase(0, done);
        return true;
    }
    if (!built_) {
        built_ = flush_.step(store_, base::kHistoryFlushStepSeries, base::kHistoryFlushStepSamples, pending_bytes_, uv_now(loop_));
        return true;
    }
    dir_->end_flush();
    flushing_ = false;
    return false;
}

void HistoryKeeper::close() {
    if (closed_) return;
    closed_ = true;
    if (!loading_) {
        // The batch being taken in and those waiting go in whole first.
        while (taking_in()) guarded([this] { intake_step(); });
    }
    if (dir_ && !loading_) {
        // Whatever flush was running goes on to its end, then one more
        // takes what came since it began.
        guarded([this] {
            while (flushing_) (void)flush_step();
            begin_flush();
            while (flushing_) (void)flush_step();
        });
    }
    exports_.close();
    work_.close();
    flush_timer_.close();
}

// --- self-metrics --------------------------------------------------------------------

namespace {

constexpr prom::Family kRemoteWriteRefused{
    "mmwatch_history_remote_write_refused_total", prom::Kind::counter,
    "POST /api/v1/write requests refused before their body was read, or with samples the store refused, by reason."};
constexpr prom::Family kBatchesDropped{
    "mmwatch_history_pending_batches_dropped_total", prom::Kind::counter,
    "Sample batches dropped while waiting (the oldest first): more than a few came during the reload at start or "
    "while earlier ones were still being taken in."};
constexpr prom::Family kBatchBytes{
    "mmwatch_history_sample_batch_bytes", prom::Kind::gauge,
    "Memory of the sampled batches the history store holds, waiting or being taken in (not in --history-bytes)."};
constexpr prom::Family kIntakeSteps{
    "mmwatch_history_intake_steps_total", prom::Kind::counter,
    "Loop turns that took in a share of a sampled batch (about a thousand series at most each)."};
constexpr prom::Family kBatchesTakenIn{"mmwatch_history_batches_taken_in_total", prom::Kind::counter,
                                       "Sampled batches taken into the history store whole."};
constexpr prom::Family kLoading{"mmwatch_history_loading", prom::Kind::gauge,
                                "1 while the reload of --history-dir at start is running."};
constexpr prom::Family kAllocFailures{
    "mmwatch_history_alloc_failures_total", prom::Kind::counter,
    "Intake, flush or reload steps cut short because memory ran out (the next step goes on)."};
constexpr prom::Family kLongestStep{
    "mmwatch_history_longest_step_seconds", prom::Kind::gauge,
    "The longest single step of a batch's intake, a flush or the reload since start (the loop's longest wait on "
    "them)."};

prom::Kind kind_of(std::string_view type) { return type == "counter" ? prom::Kind::counter : prom::Kind::gauge; }

}  // namespace

std::vector<prom::Family> HistoryKeeper::self_metric_families() {
    std::vector<history::MetricRow> rows;
    history::metric_rows({}, rows);
    std::vector<prom::Family> out;
    for (const history::MetricRow& r : rows)
        if (out.empty() || out.back().name != r.name) out.push_back({r.name, kind_of(r.type), r.help});
    for (const prom::Family& f :
         {kRemoteWriteRefused, kBatchesDropped, kBatchBytes, kIntakeSteps, kBatchesTakenIn, kLoading, kAllocFailures, kLongestStep}) out.push_back(f);
    out.push_back(OtlpHistory::self_metric_family());
    for (const prom::Family& f : ExportPacer::self_metric_families()) out.push_back(f);
    return out;
}

void HistoryKeeper::write_self_metrics(prom::Writer& w) const {
    history::MetricSources in;
    in.store = &store_;
    in.remote_write = &remote_write_;
    if (dir_) {
        in.flush = &flush_.counters();
        in.disk = &dir_->counters();
        in.disk_bytes = dir_->bytes();
    }
    if (loader_) in.load = &loader_->counters();
    history::metric_rows(in, rows_);
    std::string_view family;
    std::string labels;
    for (const history::MetricRow& r : rows_) {
        if (r.name != family) {
            family = r.name;
            w.family(r.name, kind_of(r.type), r.help);
        }
        labels.clear();
        if (!r.label.empty()) w.label(labels, r.label, r.label_value);
        if (!r.label2.empty()) w.label(labels, r.label2, r.label2_value);
        w.metric(labels);
        w.value(r.value);
    }
    prom::head(w, kRemoteWriteRefused);
    for (size_t i = 0; i < kWriteRefusalCount; ++i)
        prom::labelled(w, "reason", write_refusal_name(WriteRefusal(i)), double(write_refusals_[i]));
    prom::single(w, kBatchesDropped, double(batches_dropped_));
    prom::single(w, kBatchBytes, double(held_batch_bytes_));
    prom::single(w, kIntakeSteps, double(intake_steps_));
    prom::single(w, kBatchesTakenIn, double(batches_taken_in_));
    prom::single(w, kLoading, loading_ ? 1 : 0);
    prom::single(w, kAllocFailures, double(alloc_failures_));
    prom::single(w, kLongestStep, double(longest_step_ns_) / 1e9);
    otlp_.write_self_metrics(w);
    exports_.write_self_metrics(w);
}

}  // namespace mmwatch::daemon
