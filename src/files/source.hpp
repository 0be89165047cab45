// One file in the watched directory: its identity (device, inode), its
// state, the read-only mapping and the last snapshot of its data section.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rezl/rezl.hpp"

namespace mmwatch::files {

enum class SourceState : uint8_t { pending, active, rejected };
inline constexpr size_t kSourceStateCount = size_t(SourceState::rejected) + 1;
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

    // The lifecycle, driven by the watcher.
    // Pending again with a fresh ready window (a changed or rewritten file).
    void restart_pending(uint64_t now_ms) noexcept {
        state_ = SourceState::pending;
        first_seen_ms_ = now_ms;
    }
    void set_state(SourceState state, rezl::Reason why) noexcept {
        state_ = state;
        reason_ = why;
    }
    void set_stale(bool stale) noexcept { stale_ = stale; }

    [[nodiscard]] uint64_t id() const noexcept { return id_; }
    [[nodiscard]] const std::string& file_name() const noexcept { return file_name_; }
    // The file name without its last extension: the `name` label.
    [[nodiscard]] const std::string& label() const noexcept { return label_; }
    [[nodiscard]] dev_t dev() const noexcept { return dev_; }
    [[nodiscard]] ino_t ino() const noexcept { return ino_; }
    [[nodiscard]] SourceState state() const noexcept { return state_; }
    [[nodiscard]] rezl::Reason reason() const noexcept { return reason_; }
    [[nodiscard]] uint64_t file_size() const noexcept { return file_size_; }
    // Start of the current ready window.
    [[nodiscard]] uint64_t first_seen_ms() const noexcept { return first_seen_ms_; }
    // Last time the data differed from the snapshot before.
    [[nodiscard]] uint64_t last_change_ms() const noexcept { return last_change_ms_; }
    [[nodiscard]] bool stale() const noexcept { return stale_; }
    [[nodiscard]] const rezl::Layout& layout() const noexcept { return layout_; }
    // The latest snapshot of the data section.
    [[nodiscard]] const std::vector<uint64_t>& data() const noexcept { return data_; }
    // Counts successful validations: a new value means a new layout.
    [[nodiscard]] uint64_t activation() const noexcept { return activation_; }

private:
    const uint64_t id_;
    const std::string file_name_;
    const std::string label_;
    const dev_t dev_;
    const ino_t ino_;
    SourceState state_ = SourceState::pending;
    rezl::Reason reason_ = rezl::Reason::none;
    uint64_t file_size_ = 0;
    uint64_t first_seen_ms_;
    uint64_t last_change_ms_;
    bool stale_ = false;
    uint64_t activation_ = 0;
    rezl::Layout layout_;
    std::vector<uint64_t> data_;
    int fd_ = -1;
    void* map_ = nullptr;
    size_t map_len_ = 0;
    std::vector<uint64_t> scratch_;
};

[[nodiscard]] std::string label_for(std::string_view file_name);

}  // namespace mmwatch::files
