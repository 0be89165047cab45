// What one listener counts: requests, errors, its open connections and the
// limits it enforces. Each listener has its own (--listen and --otlp-listen
// have separate connection caps); the self-metrics add them up and also
// show them per listener.
#pragma once

#include <cstdint>

namespace mmwatch::http {

struct ServerCounters {
    uint64_t requests = 0;
    uint64_t errors = 0;             // responses with status >= 400
    uint64_t connections_open = 0;   // gauge
    // Limit hits (mmwatch_limit_hits_total).
    uint64_t connections_limit = 0;  // --max-connections: answered 503 and closed
    uint64_t head_bytes_limit = 0;   // kMaxRequestHeadBytes: 431
    uint64_t headers_limit = 0;      // kMaxRequestHeaders: 431
    uint64_t body_bytes_limit = 0;   // --max-body-bytes: 413
    uint64_t request_deadline = 0;   // kRequestDeadlineMs: connection closed
    uint64_t response_deadline = 0;  // kResponseDeadlineMs: connection closed
    uint64_t write_chunks = 0;       // kWriteChunkBytes: response sent in several turns
    uint64_t alloc_failures = 0;     // memory ran out serving a request: 503 and closed
    // Connections closed to make room or to keep budgets (mmwatch_http_shed_connections_total).
    uint64_t shed_idle = 0;          // idle (nothing sent, or between keep-alive requests) at the cap
    uint64_t shed_slow = 0;          // furthest behind its minimum rate at the cap
    uint64_t first_byte_timeout = 0; // connected and sent nothing for kFirstByteTimeoutMs
    uint64_t send_rate = 0;          // read its response slower than kMinSendBytesPerSec
    uint64_t response_memory = 0;    // a slow reader of an old body cut at the response budget
    uint64_t request_memory = 0;     // answered 503 at the request budget
};

}  // namespace mmwatch::http
