#include "push/spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <vector>

#include "base/segment_names.hpp"

namespace mmwatch::push {

namespace {

constexpr std::string_view kSuffix = ".rws";
// Ids tried when a new segment's name is taken (a directory swapped for a
// copy of itself): then the next append tries again.
constexpr int kMaxSegmentNameTries = 16;

// The segment ids in `dir`, ascending; false if it cannot be read.
bool list_segments(const std::string& dir, std::vector<uint64_t>& ids) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return false;
    while (const dirent* e = ::readdir(d)) {
        if (const auto id = base::segment_id(e->d_name, kSuffix)) ids.push_back(*id);
    }
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    return true;
}

// What the segments are sized against: the bound, or the filesystem when
// it is smaller (a small tmpfs fills before the bound is reached).
uint64_t segment_bytes_for(const std::string& dir, uint64_t max_bytes) {
    uint64_t bound = max_bytes;
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) == 0 && fs.f_blocks > 0) bound = std::min<uint64_t>(bound, uint64_t(fs.f_blocks) * fs.f_frsize);
    return std::clamp(bound / kSpoolSegmentsPerBound, kMinSpoolSegmentBytes, kMaxSpoolSegmentBytes);
}

}  // namespace

std::unique_ptr<Spool> Spool::open(const std::string& dir, uint64_t max_bytes, std::string& error) noexcept {
    try {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            error = "cannot create --remote-write-spool " + dir + ": " + std::strerror(errno);
            return nullptr;
        }
        std::unique_ptr<Spool> s(new Spool(dir, max_bytes));
        s->segment_bytes_ = segment_bytes_for(dir, max_bytes);
        std::vector<uint64_t> ids;
        if (!list_segments(dir, ids)) {
            error = "cannot read --remote-write-spool " + dir + ": " + std::strerror(errno);
            return nullptr;
        }
        s->next_id_ = ids.empty() ? 1 : ids.back() + 1;  // appends go to a new segment after a restart
        // Newest first, the segments that fit within the bound together
        // are kept; the rest could not have been kept, and are not read.
        std::vector<std::pair<uint64_t, uint64_t>> keep;  // (id, size)
        uint64_t total = 0;
        for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
            struct stat st {};
            if (::stat(s->path(*it).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
            const auto size = uint64_t(st.st_size);
            if (size > max_bytes - std::min(total, max_bytes)) {
                ++s->counters_.skipped_segments;
                ::unlink(s->path(*it).c_str());
                continue;
            }
            total += size;
            keep.emplace_back(*it, size);
        }
        for (auto it = keep.rbegin(); it != keep.rend(); ++it) s->index(it->first, it->second);
        return s;
    } catch (const std::exception& e) {
        error = "cannot open --remote-write-spool " + dir + ": " + e.what();
        return nullptr;
    }
}

Spool::~Spool() { close_tail(); }

std::string Spool::path(uint64_t segment) const { return base::segment_path(dir_, segment, kSuffix); }

// Counts the records and samples of a segment left by an earlier run,
// reading it in chunks: damage is counted when it is replayed (or here,
// for a segment with no record, removed at once).
void Spool::index(uint64_t id, uint64_t size) {
    const int fd = ::open(path(id).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    Segment seg{id, size, 0, 0};
    bool any = false;
    SpoolScanner scan;
    std::string chunk(kSpoolReadChunkBytes, '\0');
    for (uint64_t at = 0; at < size;) {
        const ssize_t n = ::pread(fd, chunk.data(), size_t(std::min<uint64_t>(chunk.size(), size - at)), off_t(at));
        if (n <= 0) break;
        scan.feed(std::string_view(chunk.data(), size_t(n)), [&](const SpoolRecord& r) {
            seg.samples += r.samples;
            any = true;
        });
        at += uint64_t(n);
    }
    ::close(fd);
    if (!any) {  // never replayed: its damage is counted here
        scan.finish();
        counters_.corrupt_records += scan.damaged_stretches();
        ::unlink(path(id).c_str());
        return;
    }
    bytes_ += seg.bytes;
    samples_ += seg.samples;
    segments_.push_back(seg);
}

// The next record of `s` from its cursor, read and checked; damage on the
// way is counted and skipped (the cursor moves past it). False at its end.
bool Spool::next_record(Segment& s, std::string& body, SpoolRecord& r) {
    const int fd = ::open(path(s.id).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    std::string chunk(kSpoolReadChunkBytes, '\0');
    bool found = false;
    while (!found && s.cursor < s.bytes) {
        SpoolScanner scan(s.cursor);
        uint64_t damage = 0;
        for (uint64_t at = s.cursor; !found && at < s.bytes;) {
            const ssize_t n =
                ::pread(fd, chunk.data(), size_t(std::min<uint64_t>(chunk.size(), s.bytes - at)), off_t(at));
            if (n <= 0) break;
            scan.feed(std::string_view(chunk.data(), size_t(n)), [&](const SpoolRecord& rec) {
                if (found) return;
                found = true;
                r = rec;
                damage = scan.damaged_stretches();  // before this record; what follows is read again
            });
            at += uint64_t(n);
        }
        if (!found) {
            scan.finish();
            counters_.corrupt_records += scan.damaged_stretches();
            s.cursor = s.bytes;
            break;
        }
        counters_.corrupt_records += damage;
        body.resize(r.length);
        // Checked again: the file may have changed since it was scanned.
        if (::pread(fd, body.data(), r.length, off_t(r.offset)) != ssize_t(r.length) || spool_crc(body) != r.crc) {
            ++counters_.corrupt_records;
            s.cursor = r.end();
            found = false;
        }
    }
    ::close(fd);
    return found;
}

bool Spool::front(std::string& body, uint32_t& samples) {
    while (!segments_.empty()) {
        Segment& s = segments_.front();
        SpoolRecord r{};
        if (next_record(s, body, r)) {
            pending_segment_ = s.id;
            pending_end_ = r.end();
            pending_samples_ = r.samples;
            samples = r.samples;
            return true;
        }
        remove_front(counters_.damaged_samples);  // nothing more in it
    }
    return false;
}

void Spool::pop() {
    if (pending_end_ == 0 || segments_.empty() || segments_.front().id != pending_segment_) return;
    Segment& s = segments_.front();
    s.cursor = pending_end_;
    const uint64_t sent = std::min<uint64_t>(s.samples, pending_samples_);
    s.samples -= sent;
    samples_ -= sent;
    pending_end_ = 0;
    if (s.cursor >= s.bytes) remove_front(counters_.damaged_samples);  // all sent, the tail too: the next append starts anew
}

// The oldest segment leaves: sent, exhausted or damaged (what it still
// counted is counted in `lost`), or dropped for the bound.
void Spool::remove_front(uint64_t& lost) {
    const Segment s = segments_.front();
    lost += s.samples;
    samples_ -= s.samples;
    bytes_ -= s.bytes;
    if (segments_.size() == 1) close_tail();
    if (pending_segment_ == s.id) pending_end_ = 0;
    ::unlink(path(s.id).c_str());
    segments_.pop_front();
}

// The segment being written is still the file at its path, as long as
// this process wrote it: not truncated, replaced, removed, nor its
// directory swapped for another.
bool Spool::tail_intact() const noexcept {
    struct stat held {}, named {};
    if (::fstat(tail_fd_, &held) != 0 || ::stat(path(segments_.back().id).c_str(), &named) != 0) return false;
    return held.st_dev == named.st_dev && held.st_ino == named.st_ino &&
           uint64_t(held.st_size) == segments_.back().bytes;
}

int Spool::open_tail() noexcept {
    (void)::mkdir(dir_.c_str(), 0700);  // the directory may have been removed
    for (int i = 0; i < kMaxSegmentNameTries; ++i) {
        const uint64_t id = next_id_++;
        const int fd = ::open(path(id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            try {
                segments_.push_back({id, 0, 0, 0});
            } catch (const std::exception&) {
                ::close(fd);
                ::unlink(path(id).c_str());
                return ENOMEM;
            }
            tail_fd_ = fd;
            return 0;
        }
        if (errno != EEXIST) return errno;
    }
    return EEXIST;
}

void Spool::close_tail() noexcept {
    if (tail_fd_ >= 0) ::close(tail_fd_);
    tail_fd_ = -1;
}

int Spool::append(std::string_view body, uint32_t samples) noexcept {
    if (tail_fd_ >= 0 && !tail_intact()) {
        ++counters_.changed_segments;
        close_tail();
    }
    if (tail_fd_ >= 0 && segments_.back().bytes >= segment_bytes_) close_tail();
    const uint64_t size = kSpoolHeaderBytes + body.size();
    if (size > max_bytes_ || body.size() > kMaxSpoolRecordBytes) {
        ++counters_.write_errors;
        return EFBIG;
    }
    // Room first, so the directory never holds more than the bound.
    while (!segments_.empty() && bytes_ + size > max_bytes_) remove_front(counters_.dropped_samples);
    if (tail_fd_ < 0) {
        if (const int err = open_tail()) {
            ++counters_.write_errors;
            return err;
        }
    }
    Segment& t = segments_.back();
    std::string record;
    try {
        record = encode_spool_record(body, samples);
    } catch (const std::exception&) {
        ++counters_.write_errors;
        return ENOMEM;
    }
    // One write(2): in the page cache at once, so a SIGKILL of mmwatch
    // loses nothing (a power cut may lose what was not yet written back).
    const ssize_t n = ::write(tail_fd_, record.data(), record.size());
    if (n != ssize_t(record.size())) {
        const int err = n < 0 ? errno : ENOSPC;
        ++counters_.write_errors;
        // Undo a torn record; if that fails too, the reader skips it as damage.
        if (n > 0 && ::ftruncate(tail_fd_, off_t(t.bytes)) != 0) {
            t.bytes += uint64_t(n);
            bytes_ += uint64_t(n);
        }
        // The segment takes nothing more: it is freed as soon as it is sent.
        close_tail();
        if (t.bytes == 0) {
            ::unlink(path(t.id).c_str());
            segments_.pop_back();
        }
        return err;
    }
    t.bytes += size;
    t.samples += samples;
    bytes_ += size;
    samples_ += samples;
    return 0;
}

}  // namespace mmwatch::push
