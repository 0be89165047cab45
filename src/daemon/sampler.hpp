// The sample pipeline: each tick's series, exactly as a scrape of /metrics
// sees them (the page composed into a prom::SampleCollector), collected
// once and handed as one prom::SampleBatch to every consumer that is due.
// Consumers are prom::SampleSinks, each with its own interval:
// remote_write's Pusher every --remote-write-interval now, the history
// store every --history-interval next. The daemon owns the sampler and its
// timer; no libuv here.
#pragma once

#include <cstdint>
#include <vector>

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
    // Hands every consumer due at `now_ms` the same batch, collected once
    // and stamped `unix_ms` (or 1 ms after the last batch, so each series'
    // timestamps only increase whatever the wall clock does).
    void run(uint64_t now_ms, int64_t unix_ms);
    // The series as they are now, handed to no consumer (the query API's
    // live values, docs/query.md): one render, as a scrape costs.
    [[nodiscard]] prom::SampleBatch collect(int64_t unix_ms) const;
    // Milliseconds from `now_ms` to the next consumer's turn.
    [[nodiscard]] uint64_t wait_ms(uint64_t now_ms) const noexcept;
    [[nodiscard]] bool empty() const noexcept { return consumers_.empty(); }

private:
    struct Consumer {
        prom::SampleSink* sink;
        uint64_t interval_ms;
        uint64_t due_ms;
    };

    MetricsPage& page_;
    Labels target_;
    Labels external_;
    std::vector<Consumer> consumers_;
    std::vector<prom::SampleSink*> due_;  // reused by run()
    int64_t last_ms_ = 0;
};

}  // namespace mmwatch::daemon
