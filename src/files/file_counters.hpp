// What the files path counts: every rejection reason, every limit it
// enforces, and the gauges of the directory's state. Owned by the watcher,
// read by the daemon's self-metrics.
#pragma once

#include <array>
#include <cstdint>

#include "files/source.hpp"
#include "rezl/rezl.hpp"

namespace mmwatch::files {

struct FileCounters {
    std::array<uint64_t, rezl::kReasonCount> rejections{};
    std::array<uint64_t, kSourceStateCount> sources{};  // current count per state (a gauge)
    uint64_t read_faults = 0;
    uint64_t stale_sources = 0;     // gauge
    uint64_t rescans = 0;
    uint64_t mapped_bytes = 0;      // gauge
    uint64_t watch_failures = 0;    // inotify_add_watch refused on recovery: retried next tick
    // Limit hits (mmwatch_limit_hits_total).
    uint64_t files_limit = 0;       // --max-files: files past it are not watched
    uint64_t file_bytes_limit = 0;  // --max-file-bytes
    uint64_t mapped_bytes_limit = 0;  // --max-mapped-bytes
    uint64_t snapshot_budget = 0;   // kMaxSnapshotBytesPerTick: copying resumed next tick
    uint64_t inotify_overflow = 0;  // kernel queue overflowed: full rescan
    uint64_t fd_exhausted = 0;      // no fd to open a file (RLIMIT_NOFILE): retried every tick
    uint64_t waiting_for_fds = 0;   // gauge: files seen in the last scan that wait for an fd
    uint64_t disk_backed = 0;       // gauge: 1 when the watched directory is not on tmpfs or ramfs
    uint64_t disk_backed_found = 0; // times the directory was (re)opened on a disk-backed filesystem
};

}  // namespace mmwatch::files
