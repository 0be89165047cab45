#include "daemon/sampler.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace mmwatch::daemon {

void Sampler::add(prom::SampleSink& sink, uint64_t interval_ms, uint64_t now_ms) {
    consumers_.push_back({&sink, interval_ms, now_ms + interval_ms});
}

bool Sampler::run(uint64_t now_ms, int64_t unix_ms) {
    // One under way goes on in its own slices (step()), not here too: a
    // consumer falling due meanwhile waits for its end.
    if (collection_) return true;
    return begin(now_ms, unix_ms) && step();
}

bool Sampler::begin(uint64_t now_ms, int64_t unix_ms) {
    if (collection_) return true;
    // Each consumer's next turn is set before anything is collected:
    // when memory runs out below, this round is skipped, not retried
    // at once.
    std::vector<prom::SampleSink*> due;
    for (Consumer& c : consumers_) {
        if (c.due_ms > now_ms) continue;
        due.push_back(c.sink);
        c.due_ms = now_ms + c.interval_ms;
    }
    if (due.empty()) return false;
    last_ms_ = std::max(unix_ms, last_ms_ + 1);
    collection_ = std::make_unique<Collection>(std::move(due), last_ms_, target_, external_, 0);
    // Sized as the last batch was, and a sixteenth: no buffer grows (and
    // copies) on the way unless the series grew more than that (pages
    // reserved and never written cost no memory).
    collection_->collector.reserve(last_series_ + last_series_ / 16, last_label_bytes_ + last_label_bytes_ / 16,
                                   last_compared_ + last_compared_ / 16);
    return true;
}

// A slice that fails (memory, an exception) abandons the collection, so
// the next round starts clean; the failure goes on to the daemon's guard,
// which counts it.
bool Sampler::step() {
    if (!collection_) return false;
    ++counters_.slices;
    MetricsPage::Slice slice = MetricsPage::Slice::more;
    // Begun again kMaxSampleRestarts times: this time whole, in this turn,
    // where no change of the files can come between.
    const bool whole = collection_->restarts >= base::kMaxSampleRestarts;
    try {
        slice = page_.render_slice(collection_->collector, collection_->cursor,
                                   whole ? SIZE_MAX : base::kSampleSliceSamples);
    } catch (...) {
        collection_.reset();
        ++counters_.failures;
        throw;
    }
    if (slice == MetricsPage::Slice::plan_changed) {
        // Files came or went: the series collected so far are of the old
        // plan's order, so the collection starts over on the next turn.
        Collection& c = *collection_;
        collection_ = std::make_unique<Collection>(std::move(c.due), c.t_ms, target_, external_, c.restarts + 1);
        ++counters_.restarts;
        return true;
    }
    if (slice == MetricsPage::Slice::more) return true;
    if (whole) ++counters_.whole;
    const std::unique_ptr<Collection> done = std::move(collection_);
    last_compared_ = done->collector.compared_count();
    const auto batch = std::make_shared<const prom::SampleBatch>(std::move(done->collector), done->t_ms);
    last_series_ = batch->size();
    last_label_bytes_ = batch->label_bytes();
    ++counters_.batches;
    for (prom::SampleSink* sink : done->due) sink->consume(batch);
    return false;
}

prom::SampleBatch Sampler::collect(int64_t unix_ms) const {
    prom::SampleCollector collector(target_, external_);
    page_.render_into(collector);
    return prom::SampleBatch(std::move(collector), unix_ms);
}

uint64_t Sampler::wait_ms(uint64_t now_ms) const noexcept {
    uint64_t next = UINT64_MAX;
    for (const Consumer& c : consumers_) next = std::min(next, c.due_ms);
    return next > now_ms ? next - now_ms : 0;
}

}  // namespace mmwatch::daemon
