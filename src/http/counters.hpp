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
};

}  // namespace mmwatch::http
