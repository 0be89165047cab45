// One file in the watched directory: its identity (device, inode), its
// state, the read-only mapping and the last snapshot of its data section.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mmwatch/rezl.hpp"

namespace mmwatch {

enum class SourceState : uint8_t { pending, active, rejected };
inline constexpr size_t kSourceStateCount = 3;
[[nodiscard]] std::string_view state_name(SourceState s) noexcept;

struct SourceLimits {
    uint64_t max_file_bytes = 0;
    uint64_t max_mapped_bytes = 0;
};

class Source {
public:
    Source(uint64_t id, std::string file_name, int fd, dev_t dev, ino_t ino, uint64_t now_ms);
    ~Source();
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;

    // Validates header and catalog (read with pread, never via the mapping)
    // and on success maps the file and takes a first snapshot. `mapped_total`
    // is the bytes mapped by all sources; it is updated on success.
    [[nodiscard]] rezl::Reason activate(const SourceLimits& limits, uint64_t& mapped_total, uint64_t now_ms);

    enum class Copy : uint8_t { ok, changed_size, fault };
    // Copies the data section into the snapshot. `changed_size` means the
    // file is no longer the size it was validated at (re-validate it).
    [[nodiscard]] Copy snapshot(uint64_t now_ms);

    // Unmaps and gives back the mapped bytes; the fd stays (for re-checks).
    void unmap(uint64_t& mapped_total) noexcept;
    // Replaces the fd with a freshly opened one of the same file.
    void reset_fd(int fd) noexcept;
    // Unmaps (caller accounts mapped bytes first) and closes; safe twice.
    void close() noexcept;

    [[nodiscard]] bool mapped() const noexcept { return map_ != nullptr; }

    const uint64_t id;
    const std::string file_name;
    const std::string label;  // file name without its last extension
    const dev_t dev;
    const ino_t ino;
    SourceState state = SourceState::pending;
    rezl::Reason reason = rezl::Reason::none;
    uint64_t file_size = 0;
    uint64_t first_seen_ms;   // start of the current ready window
    uint64_t last_change_ms;  // last time the data differed from the snapshot before
    bool stale = false;
    rezl::Layout layout;
    std::vector<uint64_t> data;                 // latest snapshot of the data section
    std::vector<std::vector<uint64_t>> sticky;  // per metric: histogram buckets ever emitted

private:
    int fd_ = -1;
    void* map_ = nullptr;
    size_t map_len_ = 0;
    std::vector<uint64_t> scratch_;
};

[[nodiscard]] std::string label_for(std::string_view file_name);

}  // namespace mmwatch
