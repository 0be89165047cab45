#include "history/segment_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/segment_names.hpp"
#include "history/flush.hpp"
#include "history/segment.hpp"

namespace mmwatch::history {

namespace {

constexpr std::string_view kSuffix = ".hseg";

}  // namespace

std::unique_ptr<SegmentDir> SegmentDir::open(const std::string& dir, uint64_t max_bytes, std::string& error) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        error = "cannot create --history-dir " + dir + ": " + std::strerror(errno);
        return nullptr;
    }
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        error = "cannot read --history-dir " + dir + ": " + std::strerror(errno);
        return nullptr;
    }
    std::unique_ptr<SegmentDir> s(new SegmentDir(dir, max_bytes));
    while (const dirent* e = ::readdir(d)) {
        const auto id = base::segment_id(e->d_name, kSuffix);
        if (!id) continue;
        struct stat st {};
        const std::string full = dir + "/" + e->d_name;
        if (::stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        s->segments_.push_back({*id, uint64_t(st.st_size)});
        s->bytes_ += uint64_t(st.st_size);
    }
    ::closedir(d);
    std::sort(s->segments_.begin(), s->segments_.end(), [](const Segment& a, const Segment& b) { return a.id < b.id; });
    return s;
}

SegmentDir::~SegmentDir() { close_tail(); }

std::string SegmentDir::path(uint64_t id) const { return base::segment_path(dir_, id, kSuffix); }

std::vector<std::string> SegmentDir::paths() const {
    std::vector<std::string> out;
    for (const Segment& s : segments_) out.push_back(path(s.id));
    return out;
}

void SegmentDir::close_tail() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

bool SegmentDir::open_new() {
    close_tail();
    const uint64_t id = segments_.empty() ? 1 : segments_.back().id + 1;
    fd_ = ::open(path(id).c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0) return false;
    segments_.push_back({id, 0});
    return true;
}

bool SegmentDir::begin_flush() {
    failed_ = false;
    if (fd_ >= 0 && segments_.back().bytes < kSegmentBytes) return false;
    if (!open_new()) {
        ++counters_.write_errors;
        failed_ = true;
    }
    return true;
}

size_t SegmentDir::write_some(std::string_view pending, size_t max_bytes) {
    if (pending.empty()) return 0;
    if (failed_ || fd_ < 0) return pending.size();  // dropped: the flush already failed
    const size_t want = std::min(pending.size(), max_bytes);
    const ssize_t n = ::write(fd_, pending.data(), want);
    if (n < 0 && errno == EINTR) return 0;
    if (n <= 0) {
        // ENOSPC, EROFS, EIO: the rest of this flush is dropped, and the
        // next goes to a new segment rather than after a torn record.
        ++counters_.write_errors;
        failed_ = true;
        close_tail();
        return pending.size();
    }
    segments_.back().bytes += uint64_t(n);
    bytes_ += uint64_t(n);
    counters_.bytes_written += uint64_t(n);
    return size_t(n);
}

void SegmentDir::end_flush() {
    if (fd_ >= 0 && ::fdatasync(fd_) != 0) ++counters_.sync_errors;
    // The segment being written is never deleted.
    while (bytes_ > max_bytes_ && segments_.size() > 1) {
        const Segment old = segments_.front();
        ::unlink(path(old.id).c_str());
        bytes_ -= old.bytes;
        segments_.erase(segments_.begin());
        ++counters_.segments_deleted;
    }
}

SegmentReader::~SegmentReader() {
    if (fd_ >= 0) ::close(fd_);
}

bool SegmentReader::open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    return fd_ >= 0;
}

bool SegmentReader::step(Loader& loader, size_t max_bytes) {
    if (fd_ < 0) return false;
    if (!eof_) {
        const size_t have = buf_.size();
        buf_.resize(have + max_bytes);
        const ssize_t n = ::read(fd_, buf_.data() + have, max_bytes);
        buf_.resize(have + size_t(std::max<ssize_t>(n, 0)));
        if (n <= 0 && !(n < 0 && errno == EINTR)) eof_ = true;  // an unreadable tail ends the segment too
    }
    size_t at = 0;
    while (at < buf_.size()) {
        const Scan s = scan_record(std::string_view(buf_).substr(at));
        if (s.status == ScanStatus::need_more) break;
        if (s.status == ScanStatus::corrupt) loader.corrupt();
        else loader.apply(s);
        at += s.consumed;
    }
    buf_.erase(0, at);
    if (!eof_) return true;
    loader.end_segment(!buf_.empty());
    buf_.clear();
    buf_.shrink_to_fit();
    ::close(fd_);
    fd_ = -1;
    return false;
}

}  // namespace mmwatch::history
