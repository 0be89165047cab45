// The event log: one tab-separated line per event, appended to the file
// given with --event-log, buffered and written once per tick.
//   <RFC 3339 UTC time>\t<kind>\t<source name>\t<detail>\n
// Tabs and newlines inside fields are replaced by spaces so a line is
// always one event. The schema is documented in docs/operations.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::files {

enum class EventKind : uint8_t {
    discovered, ready, rejected, removed, replaced, stale, fresh, read_fault, type_conflict, limit, tls_reload, spool, reload,
};
inline constexpr size_t kEventKindCount = size_t(EventKind::reload) + 1;
[[nodiscard]] std::string_view event_kind_name(EventKind k) noexcept;

class EventLog {
public:
    EventLog() = default;
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    // Opens `path` for appending; returns errno on failure (0 when ok).
    [[nodiscard]] int open(const std::string& path);
    void record(EventKind kind, std::string_view source, std::string_view detail, int64_t unix_ms);
    // Writes the buffered lines. Returns errno of a failed write (the lines
    // are dropped and counted), or 0.
    [[nodiscard]] int flush();
    void close() noexcept;

    [[nodiscard]] uint64_t recorded(EventKind k) const noexcept { return counts_[size_t(k)]; }
    [[nodiscard]] uint64_t write_errors() const noexcept { return write_errors_; }
    [[nodiscard]] uint64_t lines_lost() const noexcept { return lines_lost_; }

private:
    int fd_ = -1;
    std::string buffer_;
    uint64_t pending_lines_ = 0;
    uint64_t counts_[kEventKindCount] = {};
    uint64_t write_errors_ = 0;
    uint64_t lines_lost_ = 0;
};

}  // namespace mmwatch::files
