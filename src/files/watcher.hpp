// The watcher owns the watched directory, its inotify fd and every source
// in it: discovery (initial scan, inotify events, rescans), the lifecycle
// pending -> active | rejected, replacement by rename, removal, and the
// periodic snapshot of active sources. It does no event-loop work itself:
// the daemon polls inotify_fd() and calls on_readable() and tick().
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/limits.hpp"
#include "files/file_counters.hpp"
#include "files/event_log.hpp"
#include "files/source.hpp"

namespace mmwatch::files {

struct WatcherConfig {
    std::string dir;
    uint64_t ready_timeout_ms = 0;
    uint64_t stale_after_ms = 0;  // 0: never mark stale
    size_t max_files = 0;
    SourceLimits limits;
    // The inotify_add_watch(2) call; a seam so tests can make it fail.
    int (*add_watch)(int fd, const char* path, uint32_t mask) = nullptr;
    // File descriptors sources may hold: what RLIMIT_NOFILE leaves after
    // the listeners' connections and a reserve. Past it a file waits
    // (counted), never silently forgotten, and sockets always have fds.
    size_t max_fds = SIZE_MAX;
    // Bytes copied from mappings per tick: kMaxSnapshotBytesPerSecond
    // scaled to the interval, at most kMaxSnapshotBytesPerTick.
    uint64_t snapshot_bytes_per_tick = base::kMaxSnapshotBytesPerTick;
};

class Watcher {
public:
    Watcher(WatcherConfig config, EventLog& events);
    ~Watcher();
    Watcher(const Watcher&) = delete;
    Watcher& operator=(const Watcher&) = delete;

    // Opens the directory and the inotify watch, then scans what is there.
    // Returns 0 or the errno that makes the directory unusable.
    [[nodiscard]] int open(base::Now now);
    void close() noexcept;

    [[nodiscard]] int inotify_fd() const noexcept { return inotify_fd_; }
    // Drains inotify events (one bounded read) and acts on them.
    void on_readable(base::Now now);
    // Re-checks pending sources, snapshots active ones (within the per-tick
    // budget), updates staleness, and recovers a removed directory.
    void tick(base::Now now);

    // Every source, ordered by file name.
    [[nodiscard]] const std::map<std::string, std::unique_ptr<Source>>& sources() const noexcept { return sources_; }
    // Files seen but not opened for lack of a file descriptor (retried
    // every tick), by name; at most max_files of them are named.
    [[nodiscard]] const std::set<std::string>& waiting_for_fds() const noexcept { return waiting_; }
    // Active sources in discovery order; the exposition's input.
    [[nodiscard]] std::vector<Source*> active_in_discovery_order() const;
    // Changes whenever the set of active sources changes.
    [[nodiscard]] uint64_t generation() const noexcept { return generation_; }
    // Changes on every tick (after which snapshots are new).
    [[nodiscard]] uint64_t snapshot_generation() const noexcept { return snapshots_; }
    [[nodiscard]] bool directory_present() const noexcept { return dir_fd_ >= 0; }
    [[nodiscard]] const FileCounters& counters() const noexcept { return counters_; }
    // Ids of sources dropped since the last call (for the exposition's bookkeeping).
    std::vector<uint64_t> take_forgotten() { return std::move(forgotten_); }

private:
    void scan(base::Now now);
    void consider(const std::string& name, base::Now now, bool written = false);
    void revalidate(Source& s, base::Now now);
    void consider_unopened(const std::string& name, int err, base::Now now);
    void starve(const std::string& name, base::Now now);
    // Adds a new source, or counts the files limit and returns null.
    Source* add_source(const std::string& name, int fd, const struct stat& st, base::Now now);
    void try_activate(Source& s, base::Now now);
    void reject(Source& s, rezl::Reason why, base::Now now);
    void remove(const std::string& name, EventKind kind, base::Now now);
    void snapshot_active(base::Now now);
    void update_stale(Source& s, base::Now now);
    void lose_directory(base::Now now);
    void recover_directory(base::Now now);
    void check_filesystem(base::Now now);
    [[nodiscard]] bool directory_unlinked() const;
    [[nodiscard]] bool directory_replaced() const;
    void count_states();

    WatcherConfig config_;
    FileCounters counters_;
    EventLog& events_;
    int dir_fd_ = -1;
    int inotify_fd_ = -1;
    int watch_ = -1;
    std::map<std::string, std::unique_ptr<Source>> sources_;
    std::set<std::string> waiting_;  // files that wait for an fd
    uint64_t next_id_ = 1;
    uint64_t generation_ = 0;
    uint64_t snapshots_ = 0;
    uint64_t mapped_total_ = 0;
    bool skipped_files_ = false;   // files were left out at --max-files: rescan when room frees up
    bool fd_starved_ = false;      // a file could not be opened for lack of fds: rescan every tick
    bool need_rescan_ = false;
    std::string cursor_;           // where the snapshot pass resumes when the budget ran out
    std::string activation_cursor_;  // where pending validation resumes
    std::vector<uint64_t> forgotten_;
};

}  // namespace mmwatch::files
