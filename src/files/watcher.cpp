// Discovery and lifecycle of sources. Files are opened read-only without
// following links; a source is its (device, inode): the same name with a
// new inode is a replacement, i.e. a new source.
#include "files/watcher.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <cstring>

#include "base/limits.hpp"

namespace mmwatch::files {

namespace {

constexpr uint32_t kWatchMask = IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_MODIFY | IN_DELETE |
                                IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

bool ignored_name(std::string_view name) { return name.empty() || name[0] == '.'; }

}  // namespace

Watcher::Watcher(WatcherConfig config, EventLog& events) : config_(std::move(config)), events_(events) {
    if (!config_.add_watch) config_.add_watch = ::inotify_add_watch;
}

Watcher::~Watcher() { close(); }

int Watcher::open(base::Now now) {
    dir_fd_ = ::open(config_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0) return errno;
    // Listing needs read permission; opening O_RDONLY succeeds without it
    // only for root, so probe with a real listing.
    DIR* probe = opendir(config_.dir.c_str());
    if (!probe) {
        const int err = errno;
        close();
        return err;
    }
    closedir(probe);
    if (inotify_fd_ < 0) inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) {
        const int err = errno;
        close();
        return err;
    }
    watch_ = config_.add_watch(inotify_fd_, config_.dir.c_str(), kWatchMask);
    if (watch_ < 0) {
        const int err = errno;
        close();
        return err;
    }
    check_filesystem(now);
    scan(now);
    return 0;
}

// Memory-mapped files on a disk-backed filesystem make the producers'
// stores wait on writeback (the JVM's hsperfdata pauses): the directory
// belongs on tmpfs. Counted and logged each time the directory is opened.
void Watcher::check_filesystem(base::Now now) {
    struct statfs fs;
    if (fstatfs(dir_fd_, &fs) != 0) return;
    // f_type is a signed int on 32-bit ARM, a long on 64-bit; magics are 32 bits.
    const auto type = uint32_t(fs.f_type);
    const bool memory = type == TMPFS_MAGIC || type == RAMFS_MAGIC;
    counters_.disk_backed = memory ? 0 : 1;
    if (memory) return;
    ++counters_.disk_backed_found;
    events_.record(EventKind::limit, "", "disk_backed: the directory is not on tmpfs; producers may stall on writeback",
                   now.unix_ms());
}

void Watcher::close() noexcept {
    for (auto& [name, s] : sources_) {
        s->unmap(mapped_total_);
        s->close();
    }
    sources_.clear();
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
    inotify_fd_ = dir_fd_ = watch_ = -1;
}

void Watcher::scan(base::Now now) {
    const int fd = openat(dir_fd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
    if (!d) {
        if (fd >= 0) ::close(fd);
        return;
    }
    std::map<std::string, bool> present;
    while (const dirent* e = readdir(d)) {
        if (!ignored_name(e->d_name)) present.emplace(e->d_name, true);
    }
    closedir(d);
    for (auto it = sources_.begin(); it != sources_.end();) {
        const std::string name = (it++)->first;
        if (!present.count(name)) remove(name, EventKind::removed, now);
    }
    skipped_files_ = false;
    fd_starved_ = false;
    counters_.waiting_for_fds = 0;
    waiting_.clear();
    for (const auto& [name, _] : present) consider(name, now);
    count_states();
}

void Watcher::consider(const std::string& name, base::Now now, bool written) {
    if (ignored_name(name)) return;
    auto known = sources_.find(name);
    if (known == sources_.end() && sources_.size() >= config_.max_fds && sources_.size() < config_.max_files) {
        starve(name, now);
        return;
    }
    const int fd = openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        starve(name, now);
        return;
    }
    waiting_.erase(name);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        const int err = fd < 0 ? errno : 0;
        if (fd >= 0) ::close(fd);
        consider_unopened(name, err, now);
        return;
    }
    auto it = known;
    if (it != sources_.end() && it->second->dev() == st.st_dev && it->second->ino() == st.st_ino) {
        Source& s = *it->second;
        if (s.state() == SourceState::active) {
            ::close(fd);
            // Producers update data through the mapping, which raises no
            // inotify event: a write, truncate or new size means the file
            // was rewritten, so validate it again from its header.
            if (written || uint64_t(st.st_size) != s.file_size()) revalidate(s, now);
            return;
        }
        s.reset_fd(fd);
        if (s.state() == SourceState::rejected) {
            // Changed since it was refused: give it a fresh ready window.
            s.restart_pending(now.mono_ms);
        }
        try_activate(s, now);
        return;
    }
    if (it != sources_.end()) remove(name, EventKind::replaced, now);
    if (Source* s = add_source(name, fd, st, now)) try_activate(*s, now);
}

void Watcher::revalidate(Source& s, base::Now now) {
    s.unmap(mapped_total_);
    ++generation_;
    s.restart_pending(now.mono_ms);
    try_activate(s, now);
}

// No fd for this file now: it stays unknown, counted, and the directory is
// scanned again every tick until it can be opened.
void Watcher::starve(const std::string& name, base::Now now) {
    if (!fd_starved_) events_.record(EventKind::limit, label_for(name), "open_fds: no file descriptor left", now.unix_ms());
    ++counters_.fd_exhausted;
    ++counters_.waiting_for_fds;
    if (waiting_.size() < config_.max_files) waiting_.insert(name);
    fd_starved_ = true;
}

void Watcher::consider_unopened(const std::string& name, int err, base::Now now) {
    // Gone, a symlink (ELOOP), a directory, a FIFO...: not a source.
    // An unreadable regular file is shown as rejected (open_failed).
    struct stat st;
    const bool unreadable_file = err == EACCES && fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                 S_ISREG(st.st_mode);
    auto it = sources_.find(name);
    if (!unreadable_file) {
        if (it != sources_.end()) remove(name, EventKind::removed, now);
        return;
    }
    if (it != sources_.end() && it->second->dev() == st.st_dev && it->second->ino() == st.st_ino) return;
    if (it != sources_.end()) remove(name, EventKind::replaced, now);
    if (Source* s = add_source(name, -1, st, now)) reject(*s, rezl::Reason::open_failed, now);
}

Source* Watcher::add_source(const std::string& name, int fd, const struct stat& st, base::Now now) {
    if (sources_.size() >= config_.max_files) {
        if (fd >= 0) ::close(fd);
        if (!skipped_files_) events_.record(EventKind::limit, label_for(name), "files: over --max-files", now.unix_ms());
        ++counters_.files_limit;
        skipped_files_ = true;
        return nullptr;
    }
    auto s = std::make_unique<Source>(next_id_++, name, fd, st.st_dev, st.st_ino, now.mono_ms);
    events_.record(EventKind::discovered, s->label(), name, now.unix_ms());
    Source* raw = s.get();
    sources_.emplace(name, std::move(s));
    return raw;
}

void Watcher::try_activate(Source& s, base::Now now) {
    const rezl::Reason why = s.activate(config_.limits, mapped_total_, now.mono_ms);
    if (why == rezl::Reason::none) {
        s.set_state(SourceState::active, why);
        ++generation_;
        events_.record(EventKind::ready, s.label(), s.file_name(), now.unix_ms());
        return;
    }
    s.unmap(mapped_total_);
    const bool may_still_be_written = why == rezl::Reason::not_ready || why == rezl::Reason::truncated;
    if (may_still_be_written && now.mono_ms - s.first_seen_ms() < config_.ready_timeout_ms) {
        s.set_state(SourceState::pending, why);
        return;
    }
    reject(s, why, now);
}

void Watcher::reject(Source& s, rezl::Reason why, base::Now now) {
    if (why == rezl::Reason::file_too_large) ++counters_.file_bytes_limit;
    if (why == rezl::Reason::mapped_bytes_limit) ++counters_.mapped_bytes_limit;
    if (s.state() == SourceState::active) ++generation_;
    s.unmap(mapped_total_);
    s.reset_fd(-1);
    s.set_state(SourceState::rejected, why);
    s.set_stale(false);
    ++counters_.rejections[size_t(why)];
    events_.record(why == rezl::Reason::read_fault ? EventKind::read_fault : EventKind::rejected, s.label(),
                   rezl::reason_name(why), now.unix_ms());
}

void Watcher::remove(const std::string& name, EventKind kind, base::Now now) {
    auto it = sources_.find(name);
    if (it == sources_.end()) return;
    Source& s = *it->second;
    if (s.state() == SourceState::active) ++generation_;
    events_.record(kind, s.label(), name, now.unix_ms());
    forgotten_.push_back(s.id());
    s.unmap(mapped_total_);
    s.close();
    sources_.erase(it);
    // A slot freed up: files skipped at --max-files get their turn.
    if (skipped_files_) need_rescan_ = true;
}

void Watcher::on_readable(base::Now now) {
    alignas(inotify_event) char buf[base::kInotifyReadBytes];
    const ssize_t n = read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) return;
    for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += ssize_t(sizeof(inotify_event) + ev->len);
        if (ev->mask & IN_Q_OVERFLOW) {
            ++counters_.inotify_overflow;
            need_rescan_ = true;
            continue;
        }
        if (ev->wd != watch_) continue;  // a watch we already dropped
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
            lose_directory(now);
            return;
        }
        if (ev->len == 0 || (ev->mask & IN_ISDIR)) continue;
        const std::string name(ev->name);
        if (ignored_name(name)) continue;
        if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) remove(name, EventKind::removed, now);
        else consider(name, now, (ev->mask & (IN_MODIFY | IN_CLOSE_WRITE)) != 0);
    }
    if (directory_unlinked()) {
        lose_directory(now);
        return;
    }
    if (need_rescan_ && dir_fd_ >= 0) {
        need_rescan_ = false;
        ++counters_.rescans;
        scan(now);
    }
    count_states();
}

bool Watcher::directory_unlinked() const {
    // Our open fd keeps a removed directory's inode alive, which holds back
    // IN_DELETE_SELF until we close it; a link count of 0 tells us at once.
    struct stat st;
    return dir_fd_ >= 0 && fstat(dir_fd_, &st) == 0 && st.st_nlink == 0;
}

bool Watcher::directory_replaced() const {
    // --dir as a symlink swapped to a new target (ln -sfn new current), or a
    // directory renamed away and another put in its place: the path no
    // longer names the directory we hold. Handled like a removal.
    struct stat held, named;
    if (dir_fd_ < 0 || fstat(dir_fd_, &held) != 0) return false;
    if (stat(config_.dir.c_str(), &named) != 0) return false;  // gone: noticed as removed
    return held.st_dev != named.st_dev || held.st_ino != named.st_ino;
}

void Watcher::lose_directory(base::Now now) {
    while (!sources_.empty()) remove(sources_.begin()->first, EventKind::removed, now);
    if (watch_ >= 0) inotify_rm_watch(inotify_fd_, watch_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
    dir_fd_ = watch_ = -1;
    count_states();
}

void Watcher::tick(base::Now now) {
    // Every tick makes the next /metrics render anew, even one that copies
    // nothing (no directory, no files): the self-metrics move on.
    ++snapshots_;
    if (directory_unlinked() || directory_replaced()) lose_directory(now);
    if (dir_fd_ < 0) {
        // The directory was removed or moved away: pick it up again once
        // it exists, as a new directory.
        recover_directory(now);
        if (dir_fd_ < 0) return;
    }
    if (need_rescan_ || fd_starved_) {
        need_rescan_ = false;
        ++counters_.rescans;
        scan(now);
    }
    // Pending files are validated a bounded number per tick, resuming after
    // the last one (the map is ordered by name).
    size_t activations = 0;
    auto it = activation_cursor_.empty() ? sources_.begin() : sources_.upper_bound(activation_cursor_);
    activation_cursor_.clear();
    for (size_t visited = 0; visited < sources_.size(); ++visited, ++it) {
        if (it == sources_.end()) it = sources_.begin();
        if (it->second->state() != SourceState::pending) continue;
        if (activations++ == base::kMaxActivationsPerTick) {
            ++counters_.snapshot_budget;
            activation_cursor_ = std::prev(it == sources_.begin() ? sources_.end() : it)->first;
            break;
        }
        try_activate(*it->second, now);
    }
    snapshot_active(now);
    count_states();
}

void Watcher::recover_directory(base::Now now) {
    const int fd = ::open(config_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    // Without a watch every later event would be lost and new files never
    // seen: hold the directory only once it is watched, else retry next tick.
    const int wd = config_.add_watch(inotify_fd_, config_.dir.c_str(), kWatchMask);
    if (wd < 0) {
        ::close(fd);
        ++counters_.watch_failures;
        return;
    }
    dir_fd_ = fd;
    watch_ = wd;
    ++counters_.rescans;
    check_filesystem(now);
    scan(now);
}

void Watcher::snapshot_active(base::Now now) {
    const uint64_t full = config_.snapshot_bytes_per_tick;
    uint64_t budget = full;
    // Resume after the source where the last tick's budget ran out.
    auto it = cursor_.empty() ? sources_.begin() : sources_.upper_bound(cursor_);
    cursor_.clear();
    for (size_t visited = 0; visited < sources_.size(); ++visited, ++it) {
        if (it == sources_.end()) it = sources_.begin();
        Source& s = *it->second;
        if (s.state() != SourceState::active) continue;
        const uint64_t bytes = s.layout().data_words * 8;
        if (bytes > budget && budget != full) {
            ++counters_.snapshot_budget;
            cursor_ = std::prev(it == sources_.begin() ? sources_.end() : it)->first;
            break;
        }
        budget -= std::min(budget, bytes);
        switch (s.snapshot(now.mono_ms)) {
            case Source::Copy::ok: update_stale(s, now); break;
            case Source::Copy::changed_size: revalidate(s, now); break;
            case Source::Copy::fault:
                ++counters_.read_faults;
                reject(s, rezl::Reason::read_fault, now);
                break;
        }
    }
}

void Watcher::update_stale(Source& s, base::Now now) {
    if (config_.stale_after_ms == 0) return;
    const bool stale = now.mono_ms - s.last_change_ms() >= config_.stale_after_ms;
    if (stale == s.stale()) return;
    s.set_stale(stale);
    events_.record(stale ? EventKind::stale : EventKind::fresh, s.label(), s.file_name(), now.unix_ms());
}

void Watcher::count_states() {
    counters_.sources = {};
    counters_.stale_sources = 0;
    for (const auto& [name, s] : sources_) {
        ++counters_.sources[size_t(s->state())];
        if (s->state() == SourceState::active && s->stale()) ++counters_.stale_sources;
    }
    counters_.mapped_bytes = mapped_total_;
}

std::vector<Source*> Watcher::active_in_discovery_order() const {
    std::vector<Source*> out;
    out.reserve(sources_.size());
    for (const auto& [name, s] : sources_) {
        if (s->state() == SourceState::active) out.push_back(s.get());
    }
    std::sort(out.begin(), out.end(), [](const Source* a, const Source* b) { return a->id() < b->id(); });
    return out;
}

}  // namespace mmwatch::files
