// --remote-write-spool: batches a receiver did not take, on disk, so they
// survive an outage longer than memory holds and a restart or SIGKILL of
// mmwatch. Append-only segment files of checksummed records, replayed in
// order; a torn or corrupt record ends its segment's replay (counted),
// never the process; the directory never holds more than its bytes
// (oldest segments go first, counted). docs/scaling.md, "The spool".
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "push/spool_parse.hpp"

namespace mmwatch::push {

// Bytes per segment file, about: a segment is deleted whole once sent.
inline constexpr uint64_t kSpoolSegmentBytes = 4u << 20;

struct SpoolCounters {
    uint64_t corrupt_records = 0;     // records (or torn tails) skipped on replay
    uint64_t dropped_samples = 0;     // in segments deleted to stay within the bytes
    uint64_t write_errors = 0;        // appends the disk refused (the batch is dropped)
};

class Spool {
public:
    // Opens (creating) `dir` and indexes the segments already there.
    static std::unique_ptr<Spool> open(const std::string& dir, uint64_t max_bytes, std::string& error);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    [[nodiscard]] bool empty() const noexcept { return records_.empty(); }
    // Appends one batch; false (counted) if the disk refused it.
    bool append(std::string_view body, uint32_t samples);
    // The oldest record not yet sent, read from disk; false if empty or
    // unreadable (then it is skipped, counted).
    bool front(std::string& body, uint32_t& samples);
    // The oldest record was sent: forget it, and its segment once done.
    void pop();

    [[nodiscard]] uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] uint64_t samples() const noexcept { return samples_; }
    [[nodiscard]] const SpoolCounters& counters() const noexcept { return counters_; }

private:
    struct Record {
        uint64_t segment;
        uint64_t offset;  // of the body
        uint32_t length;
        uint32_t samples;
        uint32_t crc;
    };
    struct Segment {
        uint64_t id;
        uint64_t bytes;
        uint64_t records;  // not yet sent
        uint64_t samples;
    };
    Spool(std::string dir, uint64_t max_bytes)
        : dir_(std::move(dir)), max_bytes_(max_bytes), segment_bytes_(std::min(kSpoolSegmentBytes, max_bytes / 4)) {}
    [[nodiscard]] std::string path(uint64_t segment) const;
    void index(uint64_t segment);
    void drop_oldest_segment();
    bool open_tail();
    void remove_segment(uint64_t id);

    std::string dir_;
    uint64_t max_bytes_;
    uint64_t segment_bytes_;  // at most a quarter of the bound, so dropping a segment frees room
    std::deque<Record> records_;
    std::deque<Segment> segments_;
    int tail_fd_ = -1;
    uint64_t tail_id_ = 0;
    uint64_t bytes_ = 0;
    uint64_t samples_ = 0;
    SpoolCounters counters_;
};

}  // namespace mmwatch::push
