// One push, streamed: a tick's batch encoded and compressed one
// WriteRequest at a time, in slices of bounded work the Pusher runs across
// loop turns (kPushSliceSeries a turn), so a push of 100,000 series never
// holds the loop for the whole of it. Each request is handed out at its
// compressed size as soon as it is made.
//
// What outlives a push is only what the next one needs for staleness
// markers: each series' identity as a 64-bit hash of its label set
// (8 bytes a series), and the push's compressed requests as sent (about
// 10 bytes a series at 100,000), from which the labels of a series that
// went away are decoded when, and only when, some did. No label string is
// copied; the batch itself is let go when the push ends (docs/scaling.md).
// No libuv here: the Pusher calls step().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "prom/samples.hpp"
#include "push/write_request.hpp"

namespace mmwatch::push {

// Work per loop turn: series encoded, or series of the last push decoded
// while looking for the ones gone; one full request (kMaxBatchSamples) of
// either costs 1-2 ms in a release build, well under a scrape's patience.
inline constexpr size_t kPushSliceSeries = 5'000;
// When the series changed since the last push, this push's identities are
// sorted to find the ones gone: in runs of this many, one run sorted or
// two merged a turn (at 100,000 series one std::sort was a 7.3 ms slice;
// a run of 16,384 sorts in about 1 ms, a merge of all 100,000 in less).
inline constexpr size_t kPushSortRunIds = 16'384;
// The last push's requests are kept for the labels of series that go away,
// up to this many compressed bytes (100,000 series take about 1 MiB); past
// it they are let go and the series that go away before the next push get
// no staleness marker, counted (stale_markers_skipped).
inline constexpr size_t kMaxKeptRequestBytes = 16u << 20;

struct PushStreamCounters {
    uint64_t pushes = 0;
    uint64_t slices = 0;
    uint64_t stale_markers = 0;
    // Series gone whose labels were no longer kept (kMaxKeptRequestBytes),
    // or whose marker request memory ran out making.
    uint64_t stale_markers_skipped = 0;
    // Series left out of a push, by SkipReason.
    uint64_t series_skipped[2] = {};
};

// Why series were left out of a push (mmwatch_remote_write_series_skipped_total).
enum class SkipReason : uint8_t {
    // Memory ran out making a request: its series are not sent and count
    // as gone, so those the last push had get a staleness marker.
    out_of_memory,
    // A batch came while a push ran and another waited: the waiting one
    // is replaced by the newer (Pusher::consume).
    overrun,
};
inline constexpr const char* kSkipReasonNames[] = {"out_of_memory", "overrun"};

class PushStream {
public:
    // Starts pushing `batch`; the push before it must be done (active() false).
    void begin(std::shared_ptr<const prom::SampleBatch> batch);
    [[nodiscard]] bool active() const noexcept { return phase_ != Phase::idle; }
    // One turn's work, at most kPushSliceSeries series: every request made
    // is appended to `out` (for the senders). Returns active().
    bool step(std::vector<Request>& out);
    // Bytes this stream holds now: the batch while it is pushed, the
    // identities, the kept requests and the scratch buffers.
    [[nodiscard]] size_t working_bytes() const noexcept;
    [[nodiscard]] const PushStreamCounters& counters() const noexcept { return counters_; }
    // A batch of `series` that will not be pushed (SkipReason::overrun).
    void skip(size_t series) noexcept { counters_.series_skipped[size_t(SkipReason::overrun)] += series; }

private:
    enum class Phase : uint8_t { idle, series, sort, gone, stale };
    size_t encode_series(std::vector<Request>& out);
    void make_request(std::vector<Request>& out);
    size_t sort_step();
    size_t find_gone();
    size_t decode_stale(std::vector<Request>& out);
    size_t collect_gone(std::string_view request);
    void finish();
    Request compress(size_t samples);

    Phase phase_ = Phase::idle;
    std::shared_ptr<const prom::SampleBatch> batch_;  // held while pushed only
    size_t next_series_ = 0;
    int64_t t_ms_ = 0;
    std::vector<uint64_t> ids_;       // this push's series, hashed
    std::vector<std::string> sent_;   // this push's requests (not its markers)
    size_t sent_bytes_ = 0;
    uint64_t order_ = 0;              // ids_ folded in push order (fold())
    size_t sort_next_ = 0;            // ids_ sorted in runs of sort_width_ up to here
    size_t sort_width_ = 0;           // 0: not yet in sorted runs; >= ids_.size(): sorted
    std::vector<uint64_t> last_ids_;  // the last push's, sorted
    uint64_t last_order_ = 0;
    std::vector<std::string> last_sent_;
    std::vector<uint64_t> gone_;      // sorted: in last_ids_, not in ids_
    size_t next_request_ = 0;         // in last_sent_, while decoding
    size_t gone_found_ = 0;           // of gone_, markers made
    // Scratch, reused within a push and let go at its end.
    std::vector<TimedSample> samples_;
    std::string raw_, compressed_, decoded_, stale_labels_;
    std::vector<std::pair<size_t, size_t>> stale_spans_;
    PushStreamCounters counters_;
};

}  // namespace mmwatch::push
