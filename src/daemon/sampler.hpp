// The sample pipeline: each tick's series, exactly as a scrape of /metrics
// sees them (the page composed into a prom::SampleCollector), collected
// once and handed as one prom::SampleBatch to every consumer that is due.
// Consumers are prom::SampleSinks, each with its own interval:
// remote_write's Pusher every --remote-write-interval, the history store
// every --history-interval. A collection is cut into slices across loop
// turns (base::kSampleSliceSamples a turn, the page's file families from a
// cursor), so 100,000 series never hold the loop for the whole of it; files
// changing under a collection begin it again, at most
// base::kMaxSampleRestarts times, and then it is made whole in one turn.
// The daemon owns the sampler, its timer and the idle handle that runs the
// slices; no libuv here.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/limits.hpp"
#include "daemon/metrics_page.hpp"
#include "prom/samples.hpp"

namespace mmwatch::daemon {

class Sampler {
public:
    using Labels = prom::SampleCollector::Labels;
    // `target` labels (job, instance) and `external` labels go on every
    // series as a scrape and Prometheus' external_labels set them.
    Sampler(MetricsPage& page, Labels target, Labels external)
        : page_(page), target_(std::move(target)), external_(std::move(external)) {}

    // `sink` gets a batch every `interval_ms`, the first `interval_ms` after
    // `now_ms` (loop time).
    void add(prom::SampleSink& sink, uint64_t interval_ms, uint64_t now_ms);
    // Begins collecting for every consumer due at `now_ms`, stamped
    // `unix_ms` (or 1 ms after the last batch, so each series' timestamps
    // only increase whatever the wall clock does), and runs its first
    // slice. With a collection under way it does nothing (its slices are
    // step()'s; who fell due meanwhile is collected for after it). Returns
    // collecting().
    bool run(uint64_t now_ms, int64_t unix_ms);
    // run() without the slice: the collection is begun (when a consumer is
    // due and none is under way) and its slices are all step()'s.
    bool begin(uint64_t now_ms, int64_t unix_ms);
    // One slice of the collection under way: at most about
    // base::kSampleSliceSamples samples (all of them once the collection
    // began again kMaxSampleRestarts times); the slice that finishes it
    // hands the batch to its consumers. Returns collecting().
    bool step();
    [[nodiscard]] bool collecting() const noexcept { return collection_ != nullptr; }
    // The series as they are now, handed to no consumer (the query API's
    // live values, docs/query.md): one render, as a scrape costs.
    [[nodiscard]] prom::SampleBatch collect(int64_t unix_ms) const;
    // Milliseconds from `now_ms` to the next consumer's turn.
    [[nodiscard]] uint64_t wait_ms(uint64_t now_ms) const noexcept;
    [[nodiscard]] bool empty() const noexcept { return consumers_.empty(); }
    [[nodiscard]] const SamplerCounters& counters() const noexcept { return counters_; }

private:
    struct Consumer {
        prom::SampleSink* sink;
        uint64_t interval_ms;
        uint64_t due_ms;
    };
    // One collection under way: who gets it, at what time, how far it is.
    struct Collection {
        Collection(std::vector<prom::SampleSink*> sinks, int64_t t, const Labels& target, const Labels& external,
                   unsigned begun_again)
            : due(std::move(sinks)), t_ms(t), collector(target, external), restarts(begun_again) {}
        std::vector<prom::SampleSink*> due;
        int64_t t_ms;
        prom::SampleCollector collector;
        PageCursor cursor;
        unsigned restarts;  // times the files changed under it
    };

    MetricsPage& page_;
    Labels target_;
    Labels external_;
    std::vector<Consumer> consumers_;
    std::unique_ptr<Collection> collection_;  // null between collections
    int64_t last_ms_ = 0;
    size_t last_series_ = 0, last_label_bytes_ = 0, last_compared_ = 0;  // the last batch's size
    SamplerCounters counters_;
};

}  // namespace mmwatch::daemon
