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
    uint64_t connections_limit = 0;  // --max-connections: told (503, or a TLS alert) and closed
    uint64_t head_bytes_limit = 0;   // kMaxRequestHeadBytes: 431
    uint64_t headers_limit = 0;      // kMaxRequestHeaders: 431
    uint64_t body_bytes_limit = 0;   // --max-body-bytes: 413
    uint64_t request_deadline = 0;   // kRequestDeadlineMs, kFirstRequestDeadlineMs: connection closed
    uint64_t response_deadline = 0;  // kResponseDeadlineMs: connection closed
    uint64_t write_chunks = 0;       // kWriteChunkBytes: response sent in several turns
    uint64_t write_turn_budget = 0;  // kWriteTurnBytes: a loop turn ended with connections still waiting to write
    uint64_t accept_budget = 0;      // kMaxAcceptsPerTurn: a listener's next connection waited a turn
    uint64_t alloc_failures = 0;     // memory ran out serving a request: 503 and closed
    uint64_t exceptions = 0;         // an exception stopped a connection's callback: 500 and closed
    // A newcomer answered while the proven connections' share was full:
    // Connection: close instead of keep-alive (limit="proven_connections").
    uint64_t proven_limit = 0;
    // Connections closed to make room or to keep budgets (mmwatch_http_shed_connections_total).
    uint64_t shed_newcomers = 0;     // the newcomer waiting longest on its client, for a newer one
    uint64_t client_gone = 0;        // its client closed its side before the handshake or a first byte
    uint64_t first_byte_timeout = 0; // connected and sent nothing for kFirstByteTimeoutMs
    uint64_t send_rate = 0;          // read its response slower than kMinSendBytesPerSec
    uint64_t response_memory = 0;    // a slow reader of an old body cut at the response budget
    uint64_t request_memory = 0;     // answered 503 at the request budget
};

}  // namespace mmwatch::http
