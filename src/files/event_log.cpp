#include "files/event_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "base/enum_names.hpp"

namespace mmwatch::files {

namespace {

// Past this many buffered bytes (a burst of thousands of events in one
// tick) new lines are dropped and counted rather than growing memory.
constexpr size_t kMaxBufferedEventBytes = 1024 * 1024;

void append_field(std::string& out, std::string_view s) {
    for (char c : s) out += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
}

MMWATCH_ENUM_TABLE(EventKind, kKindNames) = {
    MMWATCH_ROW(discovered), MMWATCH_ROW(ready), MMWATCH_ROW(rejected),
    MMWATCH_ROW(removed), MMWATCH_ROW(replaced), MMWATCH_ROW(stale),
    MMWATCH_ROW(fresh), MMWATCH_ROW(read_fault), MMWATCH_ROW(type_conflict),
    MMWATCH_ROW(limit), MMWATCH_ROW(tls_reload), MMWATCH_ROW(spool), MMWATCH_ROW(reload),
};
static_assert(base::rows_match(kKindNames, kEventKindCount));

}  // namespace

std::string_view event_kind_name(EventKind k) noexcept { return base::name_of(kKindNames, k); }

EventLog::~EventLog() { close(); }

int EventLog::open(const std::string& path) {
    close();
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    return fd_ < 0 ? errno : 0;
}

void EventLog::record(EventKind kind, std::string_view source, std::string_view detail, int64_t unix_ms) {
    ++counts_[size_t(kind)];
    if (fd_ < 0) return;
    if (buffer_.size() > kMaxBufferedEventBytes) {
        ++lines_lost_;
        return;
    }
    const time_t secs = time_t(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char stamp[40];
    const size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    buffer_.append(stamp, n);
    char ms[8];
    snprintf(ms, sizeof ms, ".%03dZ", int(unix_ms % 1000));
    buffer_ += ms;
    buffer_ += '\t';
    buffer_ += event_kind_name(kind);
    buffer_ += '\t';
    append_field(buffer_, source);
    buffer_ += '\t';
    append_field(buffer_, detail);
    buffer_ += '\n';
    ++pending_lines_;
}

int EventLog::flush() {
    if (fd_ < 0 || buffer_.empty()) return 0;
    size_t done = 0;
    int err = 0;
    while (done < buffer_.size()) {
        const ssize_t w = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        done += size_t(w);
    }
    if (err) {
        ++write_errors_;
        lines_lost_ += pending_lines_;
    }
    buffer_.clear();
    pending_lines_ = 0;
    return err;
}

void EventLog::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace mmwatch::files
