#include "daemon/sampler.hpp"

#include <algorithm>
#include <memory>

namespace mmwatch::daemon {

void Sampler::add(prom::SampleSink& sink, uint64_t interval_ms, uint64_t now_ms) {
    consumers_.push_back({&sink, interval_ms, now_ms + interval_ms});
}

void Sampler::run(uint64_t now_ms, int64_t unix_ms) {
    // Each consumer's next turn is set before anything is collected: when
    // memory runs out below, this round is skipped, not retried at once.
    due_.clear();
    for (Consumer& c : consumers_) {
        if (c.due_ms > now_ms) continue;
        due_.push_back(c.sink);
        c.due_ms = now_ms + c.interval_ms;
    }
    if (due_.empty()) return;
    last_ms_ = std::max(unix_ms, last_ms_ + 1);
    prom::SampleCollector collector(target_, external_);
    page_.render_into(collector);
    const auto batch = std::make_shared<const prom::SampleBatch>(std::move(collector), last_ms_);
    for (prom::SampleSink* sink : due_) sink->consume(batch);
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
