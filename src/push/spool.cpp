#include "push/spool.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace mmwatch::push {

namespace {

constexpr std::string_view kPrefix = "segment-";
constexpr std::string_view kSuffix = ".rws";

bool read_all(const std::string& path, std::string& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        ::close(fd);
        return false;
    }
    out.resize(size_t(st.st_size));
    size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n <= 0) break;
        got += size_t(n);
    }
    out.resize(got);
    ::close(fd);
    return true;
}

}  // namespace

std::unique_ptr<Spool> Spool::open(const std::string& dir, uint64_t max_bytes, std::string& error) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        error = "cannot create --remote-write-spool " + dir + ": " + std::strerror(errno);
        return nullptr;
    }
    std::unique_ptr<Spool> s(new Spool(dir, max_bytes));
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        error = "cannot read --remote-write-spool " + dir + ": " + std::strerror(errno);
        return nullptr;
    }
    std::vector<uint64_t> ids;
    while (const dirent* e = ::readdir(d)) {
        const std::string_view name = e->d_name;
        if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) continue;
        const std::string_view digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos || digits.size() > 18)
            continue;
        ids.push_back(std::stoull(std::string(digits)));
    }
    ::closedir(d);
    std::sort(ids.begin(), ids.end());
    for (uint64_t id : ids) s->index(id);
    s->tail_id_ = ids.empty() ? 1 : ids.back() + 1;  // appends go to a new segment after a restart
    while (s->bytes_ > s->max_bytes_ && !s->segments_.empty()) s->drop_oldest_segment();
    return s;
}

Spool::~Spool() {
    if (tail_fd_ >= 0) ::close(tail_fd_);
}

std::string Spool::path(uint64_t segment) const {
    char name[48];
    std::snprintf(name, sizeof name, "segment-%018llu.rws", static_cast<unsigned long long>(segment));
    return dir_ + "/" + name;
}

// Reads a segment left by an earlier run: every record up to the first
// torn or corrupt one is replayed, the rest counted and ignored.
void Spool::index(uint64_t id) {
    std::string bytes;
    if (!read_all(path(id), bytes)) return;
    Segment seg{id, bytes.size(), 0, 0};
    const bool whole = parse_spool_segment(bytes, [&](const SpoolRecord& r) {
        records_.push_back({id, r.offset, r.length, r.samples, r.crc});
        ++seg.records;
        seg.samples += r.samples;
    });
    if (!whole) ++counters_.corrupt_records;
    if (seg.records == 0) {
        ::unlink(path(id).c_str());
        return;
    }
    bytes_ += seg.bytes;
    samples_ += seg.samples;
    segments_.push_back(seg);
}

bool Spool::open_tail() {
    if (tail_fd_ >= 0) return true;
    tail_fd_ = ::open(path(tail_id_).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (tail_fd_ < 0) return false;
    segments_.push_back({tail_id_, 0, 0, 0});
    return true;
}

bool Spool::append(std::string_view body, uint32_t samples) {
    if (!segments_.empty() && segments_.back().id == tail_id_ && segments_.back().bytes >= segment_bytes_) {
        ::close(tail_fd_);
        tail_fd_ = -1;
        ++tail_id_;
    }
    if (!open_tail()) {
        ++counters_.write_errors;
        return false;
    }
    const std::string record = encode_spool_record(body, samples);
    Segment& seg = segments_.back();
    // One write(2) per record: in the page cache at once, so a SIGKILL of
    // mmwatch loses nothing (a power cut may lose the last seconds).
    const ssize_t n = ::write(tail_fd_, record.data(), record.size());
    if (n != ssize_t(record.size())) {
        ++counters_.write_errors;
        if (n > 0) {  // a torn record: later appends go to a new segment
            seg.bytes += uint64_t(n);
            bytes_ += uint64_t(n);
            ::close(tail_fd_);
            tail_fd_ = -1;
            ++tail_id_;
        }
        return false;
    }
    records_.push_back({seg.id, seg.bytes + kSpoolHeaderBytes, uint32_t(body.size()), samples, spool_crc(body, samples)});
    seg.bytes += record.size();
    ++seg.records;
    seg.samples += samples;
    bytes_ += record.size();
    samples_ += samples;
    while (bytes_ > max_bytes_ && segments_.size() > 1) drop_oldest_segment();
    return true;
}

bool Spool::front(std::string& body, uint32_t& samples) {
    while (!records_.empty()) {
        const Record& r = records_.front();
        const int fd = ::open(path(r.segment).c_str(), O_RDONLY | O_CLOEXEC);
        body.resize(r.length);
        const ssize_t n = fd >= 0 ? ::pread(fd, body.data(), r.length, off_t(r.offset)) : -1;
        if (fd >= 0) ::close(fd);
        // Checked again: the disk may have changed since it was indexed.
        if (n == ssize_t(r.length) && spool_crc(body, r.samples) == r.crc) {
            samples = r.samples;
            return true;
        }
        ++counters_.corrupt_records;  // the file went, shrank or changed under us
        pop();
    }
    return false;
}

void Spool::pop() {
    if (records_.empty()) return;
    const Record r = records_.front();
    records_.pop_front();
    samples_ -= r.samples;
    for (auto it = segments_.begin(); it != segments_.end(); ++it) {
        if (it->id != r.segment) continue;
        it->samples -= r.samples;
        if (--it->records == 0 && it->id != tail_id_) {
            bytes_ -= it->bytes;
            remove_segment(it->id);
            segments_.erase(it);
        }
        break;
    }
    if (records_.empty() && !segments_.empty()) {
        // Everything sent: start over with an empty spool directory.
        for (const Segment& s : segments_) {
            bytes_ -= s.bytes;
            remove_segment(s.id);
        }
        segments_.clear();
        if (tail_fd_ >= 0) ::close(tail_fd_);
        tail_fd_ = -1;
        ++tail_id_;
    }
}

void Spool::drop_oldest_segment() {
    const Segment seg = segments_.front();
    counters_.dropped_samples += seg.samples;
    samples_ -= seg.samples;
    bytes_ -= seg.bytes;
    while (!records_.empty() && records_.front().segment == seg.id) records_.pop_front();
    if (seg.id == tail_id_ && tail_fd_ >= 0) {
        ::close(tail_fd_);
        tail_fd_ = -1;
        ++tail_id_;
    }
    remove_segment(seg.id);
    segments_.pop_front();
}

void Spool::remove_segment(uint64_t id) { ::unlink(path(id).c_str()); }

}  // namespace mmwatch::push
