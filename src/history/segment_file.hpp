// The segments on disk (--history-dir): files of records (segment.hpp),
// written and read in small bounded steps so the daemon can slice a flush
// or a reload across loop turns. Plain POSIX calls; no loop here.
//
// Writing: each flush goes to the newest segment, a new one after a
// restart (the old tail may be torn) or a failed write, or once the
// newest passed kSegmentBytes; after a flush the file is fdatasync'd (so a
// power cut loses at most the flush in progress) and the oldest segments
// beyond --history-disk-bytes are deleted, counted. A full or read-only
// disk is counted, never fatal: the store goes on in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::history {

class Loader;

// A segment file is this large, about, before the next flush starts a new
// one: the unit the disk budget deletes, so small next to the budget.
inline constexpr uint64_t kSegmentBytes = 4u << 20;

struct DiskCounters {
    uint64_t bytes_written = 0;
    uint64_t write_errors = 0;      // writes the disk refused (the rest of that flush is dropped)
    uint64_t sync_errors = 0;
    uint64_t segments_deleted = 0;  // past the disk budget
    uint64_t read_errors = 0;       // segments that could not be opened or read at start
};

class SegmentDir {
public:
    // Opens (creating) `dir` and lists the segments in it.
    static std::unique_ptr<SegmentDir> open(const std::string& dir, uint64_t max_bytes, std::string& error);
    ~SegmentDir();
    SegmentDir(const SegmentDir&) = delete;
    SegmentDir& operator=(const SegmentDir&) = delete;

    // The segments found at open(), oldest first, for the reload.
    [[nodiscard]] std::vector<std::string> paths() const;

    // Starts writing a flush; true if it goes to a new segment (then the
    // FlushBuilder must start a new segment too).
    bool begin_flush();
    // Writes up to `max_bytes` from the front of `pending`; returns how many
    // bytes of it are done with (written, or dropped after a failed write).
    size_t write_some(std::string_view pending, size_t max_bytes);
    // Syncs the segment and deletes the oldest past the budget.
    void end_flush();

    [[nodiscard]] uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] size_t segments() const noexcept { return segments_.size(); }
    [[nodiscard]] const DiskCounters& counters() const noexcept { return counters_; }

private:
    struct Segment {
        uint64_t id;
        uint64_t bytes;
    };
    SegmentDir(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
    [[nodiscard]] std::string path(uint64_t id) const;
    bool open_new();
    void close_tail();

    std::string dir_;
    uint64_t max_bytes_;
    std::vector<Segment> segments_;  // oldest first; the last is being written when fd_ >= 0
    int fd_ = -1;
    bool failed_ = false;            // the current flush hit an error: the rest is dropped
    uint64_t bytes_ = 0;
    DiskCounters counters_;
};

// One segment read back, a step at a time.
class SegmentReader {
public:
    ~SegmentReader();
    // False if the file cannot be opened (counted by the caller).
    bool open(const std::string& path);
    // Reads up to `max_bytes` more and applies every whole record to
    // `loader`; false once the file is done (loader.end_segment called).
    bool step(Loader& loader, size_t max_bytes);

private:
    int fd_ = -1;
    std::string buf_;  // bytes read and not yet applied: under a record and a step
    bool eof_ = false;
};

}  // namespace mmwatch::history
