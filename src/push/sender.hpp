// One --remote-write URL: compressed batches written ahead to the spool
// (when there is one) or held in a bounded memory queue, one request in
// flight at a time (so batches arrive in order), retries of 5xx, 429 and
// transport errors with exponential backoff and jitter honouring
// Retry-After, and every outcome counted (docs/scaling.md).
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "push/curl_loop.hpp"
#include "push/spool.hpp"
#include "push/write_request.hpp"

namespace mmwatch::push {

struct SenderConfig {
    std::string url;
    std::string ca_file;             // empty: the system's CAs
    std::string basic_auth;          // "user:password", empty: none
    std::string bearer_token_file;   // read on each request, empty: none
    std::vector<std::string> headers;  // "Name: value"
    uint64_t timeout_ms = 30'000;
    uint64_t queue_bytes = 64u << 20;  // compressed batches waiting, at most
    std::string user_agent;
};

// Backoff after a failed send: doubling from the first to the last.
inline constexpr uint64_t kFirstBackoffMs = 500;
inline constexpr uint64_t kMaxBackoffMs = 5 * 60'000;

// Why samples were given up (samples dropped from the spool are counted by
// the spool: spool_full, spool_damaged).
enum class DropReason : uint8_t { queue_full, rejected };
inline constexpr size_t kDropReasonCount = 2;

struct SenderCounters {
    // Every sample handed in is, at any time, sent, dropped (by reason),
    // pending in memory or in the spool: nothing is lost uncounted.
    uint64_t samples_in = 0;
    uint64_t samples_sent = 0;
    uint64_t bytes_sent = 0;      // compressed request bodies the receiver accepted
    uint64_t samples_failed = 0;  // in attempts that failed (they stay queued and are retried)
    uint64_t samples_dropped[kDropReasonCount] = {};
    uint64_t requests = 0;
    uint64_t pending_samples = 0;
    uint64_t pending_bytes = 0;
    int64_t last_success_unix_ms = 0;
    double send_seconds_sum = 0;
    uint64_t send_count = 0;
};

class Sender {
public:
    // With a spool, every batch is written to it before it is sent; while
    // the spool cannot be written, batches wait in memory (docs/scaling.md).
    Sender(uv_loop_t* loop, CurlLoop& curl, SenderConfig config, std::unique_ptr<Spool> spool = nullptr);
    ~Sender();
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // Keeps one compressed request (a PushStream's): in the spool, or in
    // memory, where the oldest go when the queue passes its bytes
    // (counted as queue_full).
    void enqueue(Request request);
    void close();

    [[nodiscard]] const SenderCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const Spool* spool() const noexcept { return spool_.get(); }
    [[nodiscard]] const std::string& url() const noexcept { return config_.url; }
    // The receiver's message for the last batch it refused (4xx), and how
    // many distinct ones there were: Pusher::take_refusals() reports each
    // new one once, for the event log.
    [[nodiscard]] const std::string& last_rejection() const noexcept { return last_rejection_; }
    [[nodiscard]] uint64_t rejections_seen() const noexcept { return rejections_seen_; }
    // Whether the spool took the last batch offered; how many times it
    // began refusing (the daemon logs each once) and the errno of the last
    // refusal.
    [[nodiscard]] bool spool_writable() const noexcept { return spool_ && spool_writable_; }
    [[nodiscard]] uint64_t spool_outages() const noexcept { return spool_outages_; }
    [[nodiscard]] int spool_last_error() const noexcept { return spool_last_error_; }

private:
    struct Batch {
        std::string body;
        size_t samples;
    };
    static size_t on_body(char* data, size_t size, size_t n, void* self);
    static size_t on_header(char* data, size_t size, size_t n, void* self);
    static void on_backoff(uv_timer_t* t);
    void pump();
    void done(CURLcode result, long status);
    void back_off(uint64_t retry_after_ms);
    void keep(Batch b);
    void drop_front(DropReason why);
    void trim_memory();
    void spill();
    bool to_spool(const Batch& b);
    void sent_front(bool delivered);

    uv_loop_t* loop_;
    CurlLoop& curl_;
    SenderConfig config_;
    CURL* easy_ = nullptr;
    curl_slist* headers_ = nullptr;
    uv_timer_t backoff_timer_{};
    bool timer_open_ = false;
    std::deque<Batch> queue_;
    std::unique_ptr<Spool> spool_;
    bool spool_writable_ = true;
    uint64_t spool_outages_ = 0;
    int spool_last_error_ = 0;
    bool from_spool_ = false;  // the request in flight is the spool's oldest record
    std::string spool_body_;
    uint32_t spool_samples_ = 0;
    bool in_flight_ = false;
    bool backing_off_ = false;
    uint64_t backoff_ms_ = 0;
    uint64_t retry_after_ms_ = 0;
    uint64_t started_ms_ = 0;
    std::string response_;
    std::string last_rejection_;
    uint64_t rejections_seen_ = 0;
    std::minstd_rand jitter_{12345};
    SenderCounters counters_;
};

}  // namespace mmwatch::push
