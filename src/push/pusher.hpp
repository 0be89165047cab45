// remote_write as a whole: one sender per --remote-write URL on one curl
// loop, each with its spool directory, fed by the daemon's sample pipeline.
// Each batch it consumes becomes one sample per series plus a staleness
// marker for each series the last batch had and this one does not, handed
// to every sender one compressed request at a time: a PushStream, run in
// slices across loop turns (a uv_idle handle runs while a push does). It
// renders its own self-metrics (mmwatch_remote_write_*). The daemon owns one and adds it to its Sampler
// every --remote-write-interval (docs/scaling.md).
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/turn_budget.hpp"
#include "prom/samples.hpp"
#include "prom/writer.hpp"
#include "push/curl_loop.hpp"
#include "push/push_stream.hpp"
#include "push/sender.hpp"

namespace mmwatch::push {

struct PusherConfig {
    std::vector<std::string> urls;  // none: remote_write is off
    std::string ca_file;            // empty: the system's CAs
    std::string user;               // basic auth, empty: none
    std::string password_file;      // its first line is the password
    std::string bearer_token_file;  // read on each request, empty: none
    std::vector<std::string> headers;  // "Name: value"
    uint64_t timeout_ms = 0;
    uint64_t queue_bytes = 0;       // per URL
    std::string spool_dir;          // empty: no spool
    uint64_t spool_bytes = 0;       // per URL
    std::string user_agent;
};

// A receiver's refusal (4xx) of a batch, for the event log.
struct Refusal {
    std::string_view url;
    std::string_view message;
};

// A spool whose disk began refusing batches, or took back all that
// waited in memory: for stderr and the event log, once each.
struct SpoolNote {
    std::string_view url;
    std::string line;
};

class Pusher final : public prom::SampleSink {
public:
    explicit Pusher(PusherConfig config) : config_(std::move(config)) {}
    Pusher(const Pusher&) = delete;
    Pusher& operator=(const Pusher&) = delete;
    ~Pusher() { close(); }

    // Starts libcurl and one sender per URL, each with its spool directory
    // (created, named by a hash of the URL); on failure false with a
    // one-line `error`. Nothing to do when no URL is configured.
    [[nodiscard]] bool start(uv_loop_t* loop, std::string& error);
    [[nodiscard]] bool enabled() const noexcept { return !senders_.empty(); }
    // Each slice asks `budget` first (base/turn_budget.hpp); before this,
    // every slice runs.
    void share_turns(base::TurnBudget& budget) { turns_.join(budget, "push"); }
    // One batch of every series: queued at every sender, with staleness
    // markers for the series gone since the last batch. The first slice
    // runs now when the turn's budget lets it (a small push is then done
    // on return), the rest on the next loop turns. A batch that comes while a push is still running waits
    // for it (one at most: a newer one replaces it, its series counted as
    // skipped, reason overrun), so no callback runs more than a slice.
    void consume(std::shared_ptr<const prom::SampleBatch> batch) override;
    // Refusals new since the last call, one per sender at most (its
    // latest message): the daemon logs each once.
    [[nodiscard]] std::vector<Refusal> take_refusals();
    // Spool outages begun or ended since the last call. An outage is said
    // once: a disk that fills again while memory drains to it is the same.
    [[nodiscard]] std::vector<SpoolNote> take_spool_notes();
    void close();

    // mmwatch_remote_write_*, one series per URL (families written, empty,
    // when remote_write is off) and the names they reserve.
    void write_self_metrics(prom::Writer& out) const;
    [[nodiscard]] static std::vector<prom::Family> self_metric_families();

    [[nodiscard]] const std::vector<std::unique_ptr<Sender>>& senders() const noexcept { return senders_; }
    // Push callbacks stopped by memory or an exception (CurlLoop).
    [[nodiscard]] uint64_t callback_failures() const noexcept { return curl_ ? curl_->callback_failures() : 0; }
    // The test seam of CurlLoop::set_fault_injection; after start().
    void set_fault_injection(void (*hook)(std::string_view where)) noexcept {
        if (curl_) curl_->set_fault_injection(hook);
    }
    // The push's working memory now and at most so far (docs/operations.md).
    [[nodiscard]] size_t working_bytes() const noexcept {
        return stream_.working_bytes() + (waiting_ ? waiting_->memory_bytes() : 0);
    }
    [[nodiscard]] size_t peak_working_bytes() const noexcept { return peak_working_bytes_; }
    [[nodiscard]] const PushStreamCounters& stream_counters() const noexcept { return stream_.counters(); }

private:
    static void on_idle(uv_idle_t* h);
    bool run_slice();

    PusherConfig config_;
    std::unique_ptr<CurlLoop> curl_;
    std::vector<std::unique_ptr<Sender>> senders_;
    std::vector<uint64_t> refusals_reported_;  // per sender: rejections_seen() when last reported
    struct SpoolReported {
        uint64_t outages = 0;  // spool_outages() when last said
        bool failing = false;
    };
    std::vector<SpoolReported> spool_reported_;  // per sender
    PushStream stream_;
    std::shared_ptr<const prom::SampleBatch> waiting_;  // the next push, while one runs
    std::vector<Request> requests_;  // one slice's, reused
    size_t peak_working_bytes_ = 0;
    uv_idle_t idle_{};  // runs while a push is under way
    base::TurnShare turns_;
    bool idle_open_ = false;
};

// The spool directory of `url` under `spool_dir`: one per URL, named by a
// 64-bit FNV-1a hash of it in hex (the URL is written inside, for people).
[[nodiscard]] std::string spool_dir_for(const std::string& spool_dir, std::string_view url);

}  // namespace mmwatch::push
