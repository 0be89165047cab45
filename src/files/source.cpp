// A source reads its header and catalog with pread (so validation can never
// fault) and touches the mapping only through guarded_copy.
#include "files/source.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "base/enum_names.hpp"
#include "files/guarded_copy.hpp"

namespace mmwatch::files {

namespace {
MMWATCH_ENUM_TABLE(SourceState, kStateNames) = {
    MMWATCH_ROW(pending), MMWATCH_ROW(active), MMWATCH_ROW(rejected),
};
static_assert(base::rows_match(kStateNames, kSourceStateCount));
}  // namespace

std::string_view state_name(SourceState s) noexcept { return base::name_of(kStateNames, s); }

std::string label_for(std::string_view file_name) {
    const size_t dot = file_name.rfind('.');
    return std::string(dot == 0 || dot == std::string_view::npos ? file_name : file_name.substr(0, dot));
}

Source::Source(uint64_t id, std::string name, int fd, dev_t dev, ino_t ino, uint64_t now_ms)
    : id_(id), file_name_(std::move(name)), label_(label_for(file_name_)), dev_(dev), ino_(ino),
      first_seen_ms_(now_ms), last_change_ms_(now_ms), fd_(fd) {}

Source::~Source() { close(); }

namespace {

// Reads exactly n bytes at offset, or fails.
bool pread_all(int fd, std::byte* buf, size_t n, off_t offset) {
    size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, buf + got, n - got, offset + off_t(got));
        if (r <= 0) return false;
        got += size_t(r);
    }
    return true;
}

}  // namespace

rezl::Reason Source::activate(const SourceLimits& limits, uint64_t& mapped_total, uint64_t now_ms) {
    struct stat st;
    if (fd_ < 0 || ::fstat(fd_, &st) != 0) return rezl::Reason::open_failed;
    file_size_ = uint64_t(st.st_size);
    if (file_size_ > limits.max_file_bytes) return rezl::Reason::file_too_large;
    std::byte head[rezl::kHeaderBytes];
    if (file_size_ < rezl::kHeaderBytes) return rezl::Reason::truncated;
    if (!pread_all(fd_, head, sizeof head, 0)) return rezl::Reason::truncated;
    const auto hdr = rezl::parse_header(head);
    if (!hdr.ok()) return hdr.reason;
    if (!hdr.value.ready()) return rezl::Reason::not_ready;
    // The producer sets ready with a release store after the catalog and
    // the zeroed data. This orders every later read (the catalog's pread,
    // the mapping's copies) after the read that saw ready = 1: a load-load
    // barrier on ARM (DMB ISHLD), nothing on x86. docs/format.md, "Memory order".
    std::atomic_thread_fence(std::memory_order_acquire);
    // Read no more than the file holds or a valid catalog can need;
    // parse_layout reports what is missing.
    const uint64_t want = std::min<uint64_t>({rezl::prefix_bytes(hdr.value), file_size_,
                                              rezl::kHeaderBytes + rezl::kMaxCatalogBytes});
    std::vector<std::byte> prefix(want);
    if (!pread_all(fd_, prefix.data(), prefix.size(), 0)) return rezl::Reason::truncated;
    auto parsed = rezl::parse_layout(prefix, file_size_);
    if (!parsed.ok()) return parsed.reason;
    if (mapped_total + file_size_ > limits.max_mapped_bytes) return rezl::Reason::mapped_bytes_limit;
    void* m = ::mmap(nullptr, file_size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) return rezl::Reason::open_failed;
    map_ = m;
    map_len_ = file_size_;
    mapped_total += file_size_;
    layout_ = std::move(parsed.value);
    data_.assign(layout_.data_words, 0);
    scratch_.assign(layout_.data_words, 0);
    ++activation_;
    stale_ = false;
    last_change_ms_ = now_ms;
    switch (snapshot(now_ms)) {
        case Copy::ok: return rezl::Reason::none;
        case Copy::changed_size: return rezl::Reason::size_mismatch;
        case Copy::fault: return rezl::Reason::read_fault;
    }
    return rezl::Reason::none;
}

Source::Copy Source::snapshot(uint64_t now_ms) {
    // Most truncations are caught here, without a fault; guarded_copy
    // handles the ones that race with us.
    struct stat st;
    if (::fstat(fd_, &st) != 0 || uint64_t(st.st_size) != file_size_) return Copy::changed_size;
    const auto* src = reinterpret_cast<const uint64_t*>(static_cast<const char*>(map_) + layout_.data_offset);
    if (!guarded_copy(scratch_.data(), src, scratch_.size())) return Copy::fault;
    // Not memcmp: a file with no metrics has empty vectors whose data() is
    // null, and memcmp on null is undefined even for 0 bytes (UBSan).
    if (scratch_ != data_) last_change_ms_ = now_ms;
    data_.swap(scratch_);
    return Copy::ok;
}

void Source::unmap(uint64_t& mapped_total) noexcept {
    if (map_) {
        ::munmap(map_, map_len_);
        mapped_total -= map_len_;
    }
    map_ = nullptr;
    map_len_ = 0;
}

void Source::reset_fd(int fd) noexcept {
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
}

void Source::close() noexcept {
    if (map_) ::munmap(map_, map_len_);
    map_ = nullptr;
    map_len_ = 0;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace mmwatch::files
