// mmwatch's own counters: one for every rejection reason and every limit,
// all exported on /metrics from the first scrape, even at zero.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "event_log.hpp"
#include "mmwatch/rezl.hpp"
#include "source.hpp"

namespace mmwatch {

enum class Limit : uint8_t {
    files,              // --max-files: files past it are not watched
    file_bytes,         // --max-file-bytes
    mapped_bytes,       // --max-mapped-bytes
    series,             // --max-series
    connections,        // --max-connections: answered 503 and closed
    request_head_bytes, // kMaxRequestHeadBytes: 431
    request_headers,    // kMaxRequestHeaders: 431
    body_bytes,         // --max-body-bytes: 413
    request_deadline,   // kRequestDeadlineMs: connection closed
    response_deadline,  // kResponseDeadlineMs: connection closed
    response_bytes,     // --max-response-bytes: exposition cut short
    write_chunks,       // kWriteChunkBytes: response sent in several turns
    snapshot_budget,    // kMaxSnapshotBytesPerTick: copying resumed next tick
    inotify_overflow,   // kernel queue overflowed: full rescan
};
inline constexpr size_t kLimitCount = size_t(Limit::inotify_overflow) + 1;
[[nodiscard]] std::string_view limit_name(Limit l) noexcept;

struct SelfMetrics {
    std::array<uint64_t, rezl::kReasonCount> rejections{};
    std::array<uint64_t, kLimitCount> limit_hits{};
    std::array<uint64_t, kSourceStateCount> sources{};  // current count per state (a gauge)
    uint64_t read_faults = 0;
    uint64_t type_conflicts = 0;
    uint64_t duplicate_series = 0;
    uint64_t stale_sources = 0;   // gauge
    uint64_t rescans = 0;
    uint64_t http_requests = 0;
    uint64_t http_errors = 0;     // responses with status >= 400
    uint64_t scrapes = 0;         // GET /metrics served
    uint64_t renders = 0;         // expositions rendered (at most one per tick)
    uint64_t connections_open = 0;
    uint64_t series_exposed = 0;  // gauge, file series in the last plan
    uint64_t mapped_bytes = 0;    // gauge
    int64_t start_time_ms = 0;
};

// Family names of the self-metrics: files may not use them.
[[nodiscard]] const std::unordered_set<std::string>& self_metric_names();

// Appends every self-metric, with HELP and TYPE, plus process_* metrics
// read from /proc/self.
void render_self_metrics(const SelfMetrics& m, const EventLog& events, std::string_view version,
                         std::string& out);

}  // namespace mmwatch
