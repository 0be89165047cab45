// An HTTP server: the listening sockets of one address and their
// connections on the daemon's loop (the daemon runs one for --listen and
// one for --otlp-listen). Every connection has a deadline, a request-size
// cap and bounded writes; the server has a connection cap. A slow, stalled
// or hostile client only ever holds its own connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/server_counters.hpp"
#include "http/handler.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/uv_handle.hpp"

namespace mmwatch::http {

class TlsContext;
class BasicAuth;
class H2Connection;
struct H2Listener;

struct ServerConfig {
    size_t max_connections = 0;
    uint64_t max_body_bytes = 0;
    // Bytes of response bodies connections hold (each distinct body once,
    // an old body a slow reader still holds included); over it the slowest
    // reader of an old body is cut.
    uint64_t response_memory = UINT64_MAX;
    // Bytes of request buffers connections hold; a request that would take
    // them past it is answered 503 with Retry-After (OTLP exporters retry).
    uint64_t request_memory = UINT64_MAX;
    // TLS for every connection (null: plain HTTP); owned by the daemon,
    // may be shared by listeners.
    TlsContext* tls = nullptr;
    // Basic auth for every request (null: none); owned by the daemon.
    BasicAuth* auth = nullptr;
    // Header lines ("Name: value\r\n") added to every response.
    std::string response_headers;
};

class Server {
public:
    // `handler` outlives the server.
    Server(uv_loop_t* loop, ServerConfig config, Handler& handler);
    // A listener that speaks HTTP/2 (h2c with prior knowledge, or TLS with
    // ALPN h2; h2_connection.hpp): `h2` and its handler outlive the server.
    Server(uv_loop_t* loop, ServerConfig config, H2Listener& h2);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens on host:port (port 0 picks a free one). Returns 0 or
    // a libuv error; `bound` receives "HOST:PORT" with the real port.
    [[nodiscard]] int listen(const std::string& host, int port, std::string& bound);
    // Stops listening and closes every connection; safe twice.
    void close();

    [[nodiscard]] const ServerCounters& counters() const noexcept { return counters_; }
    // SIGHUP: the header lines added to responses from then on.
    void set_response_headers(std::string headers) { config_.response_headers = std::move(headers); }

    struct Connection;

private:
    static void on_connection(uv_stream_t* listener, int status);
    void accept_one(uv_stream_t* listener);
    // At the cap: closes the connection that holds its slot least usefully
    // (idle, or furthest behind its minimum rate); false when none does.
    bool shed_one(uint64_t now_ms);
    // Cuts slow readers of old bodies while the bodies held pass the budget.
    void hold_response_budget(const std::string* newest);
    [[nodiscard]] bool request_memory_allows(size_t more) const noexcept {
        return request_bytes_ + more <= config_.request_memory;
    }

    uv_loop_t* loop_;
    ServerConfig config_;
    ServerCounters counters_;
    Handler* handler_ = nullptr;  // HTTP/1 requests...
    H2Listener* h2_ = nullptr;    // ...or HTTP/2 connections
    std::vector<UvHandle<uv_tcp_t>> listeners_;
    Connection* connections_ = nullptr;  // intrusive list, for close() and shedding
    uint64_t request_bytes_ = 0;          // capacity of every connection's request buffer
    friend struct Connection;
    friend class H2Connection;
};

}  // namespace mmwatch::http
