// --remote-write-spool: a write-ahead log of batches, so a batch is on disk
// before it is sent and an outage longer than memory holds, a restart or a
// SIGKILL of mmwatch loses nothing sampled. Append-only segment files of
// records framed for resynchronisation (spool_parse.hpp), read back from
// the oldest; a segment is deleted once all of it was sent. The directory
// never holds more than its bytes (oldest segments go first, counted).
// Damage costs only what is damaged; the writer notices a segment
// truncated or replaced, or the directory swapped, and starts a new one.
// docs/scaling.md, "The spool".
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "push/spool_parse.hpp"

namespace mmwatch::push {

// Segment size: a sixteenth of the spool's bound (or of its filesystem, if
// smaller), so space is freed in steps as data is sent; at least enough
// for a few batches, at most what is re-sent if a crash repeats a segment.
inline constexpr uint64_t kMinSpoolSegmentBytes = 64u << 10;
inline constexpr uint64_t kMaxSpoolSegmentBytes = 4u << 20;
inline constexpr uint64_t kSpoolSegmentsPerBound = 16;
// Bytes read per read(2) while scanning a segment: start-up and replay
// hold this and one record, never a whole segment.
inline constexpr size_t kSpoolReadChunkBytes = 64u << 10;

struct SpoolCounters {
    uint64_t corrupt_records = 0;   // damaged stretches skipped on replay
    uint64_t damaged_samples = 0;   // indexed or appended, then not found intact on disk
    uint64_t dropped_samples = 0;   // in segments deleted to stay within the bytes
    uint64_t write_errors = 0;      // appends the disk refused (the batch stays in memory)
    uint64_t changed_segments = 0;  // the segment written was truncated, replaced, gone or its directory swapped
    uint64_t skipped_segments = 0;  // at start: larger than the bound, or past it behind newer ones
};

class Spool {
public:
    // Opens (creating) `dir` and indexes the segments already there in
    // bounded memory and time. Never throws: null with `error` set.
    static std::unique_ptr<Spool> open(const std::string& dir, uint64_t max_bytes, std::string& error) noexcept;
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    [[nodiscard]] bool empty() const noexcept { return segments_.empty(); }
    // Appends one batch; 0, or the errno the disk answered (counted).
    [[nodiscard]] int append(std::string_view body, uint32_t samples) noexcept;
    // The oldest record not yet sent, read from disk; false when there is
    // none (damage met on the way is skipped, counted).
    bool front(std::string& body, uint32_t& samples);
    // The record front() returned was sent: forget it (if it is still
    // there: its segment may have gone to keep within the bytes).
    void pop();

    [[nodiscard]] uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] uint64_t samples() const noexcept { return samples_; }
    [[nodiscard]] uint64_t segment_bytes() const noexcept { return segment_bytes_; }
    [[nodiscard]] const SpoolCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

private:
    struct Segment {
        uint64_t id;
        uint64_t bytes;    // on disk, as far as this process knows
        uint64_t samples;  // in records not yet sent
        uint64_t cursor;   // where the next unsent record starts
    };
    Spool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
    [[nodiscard]] std::string path(uint64_t segment) const;
    void open_existing(uint64_t first_free_id);
    void index(uint64_t id, uint64_t size);
    bool next_record(Segment& s, std::string& body, SpoolRecord& r);
    void remove_front(uint64_t& lost);
    [[nodiscard]] bool tail_intact() const noexcept;
    int open_tail() noexcept;
    void close_tail() noexcept;

    std::string dir_;
    uint64_t max_bytes_;
    uint64_t segment_bytes_ = kMaxSpoolSegmentBytes;
    std::deque<Segment> segments_;  // oldest first; the last is the tail while tail_fd_ is open
    int tail_fd_ = -1;
    uint64_t next_id_ = 1;
    // The record front() returned: (segment, end), until pop().
    uint64_t pending_segment_ = 0;
    uint64_t pending_end_ = 0;
    uint32_t pending_samples_ = 0;
    uint64_t bytes_ = 0;
    uint64_t samples_ = 0;
    SpoolCounters counters_;
};

}  // namespace mmwatch::push
