// An HTTP server: the listening sockets of one address and their
// connections on the daemon's loop (the daemon runs one for --listen and
// one for --otlp-listen). Every connection has a deadline, a request-size
// cap and bounded writes; the server has a connection cap, split between
// proven connections (they completed a request, and authenticated where
// basic auth is on) and newcomers, which shed each other and never a
// proven one (docs/operations.md, "The serving contract"). A slow,
// stalled or hostile client only ever holds its own connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/address_counts.hpp"
#include "http/server_counters.hpp"
#include "http/handler.hpp"
#include "http/proven_addresses.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/uv_handle.hpp"
#include "http/write_scheduler.hpp"

namespace mmwatch::http {

class TlsContext;
class BasicAuth;
class H2Connection;
struct H2Listener;

struct ServerConfig {
    size_t max_connections = 0;
    uint64_t max_body_bytes = 0;
    // Bytes of response bodies connections hold (each distinct body once,
    // an old body a slow reader still holds included) and of TLS records
    // waiting to be written; over it the slowest reader of an old body,
    // then the slowest TLS reader, is cut.
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
    // The connections of one kind (proven or newcomers): an intrusive list
    // and its count.
    struct Pool {
        Connection* head = nullptr;
        size_t count = 0;
        size_t share = 0;  // the most it may hold
    };

    static void on_connection(uv_stream_t* listener, int status);
    // Every loop turn, before libuv polls: a new accept budget, and the
    // listeners paused for lack of it are served first.
    static void on_turn(uv_prepare_t* pacer);
    // While connections wait to write: one turn's grants (WriteScheduler),
    // from an idle handle, so the loop polls without blocking meanwhile.
    static void on_write_turn(uv_idle_t* writer);
    // `c` has a response chunk to send: it waits for its grant.
    void want_write(Connection* c) noexcept;
    // Takes the listener's pending connection; false when it could not
    // (the budget is spent, or memory for it is not there): the listener
    // pauses until the next turn.
    bool accept_one(uv_stream_t* listener);
    void split_cap() noexcept;
    void admit(Connection* c);
    // Room for `arriving` in the newcomers' share: closes the one that has
    // waited longest on its client, from an address never proven first;
    // false when `arriving` is to go instead (no other newcomer, or it is
    // from an unknown address and every other is from a proven one).
    bool shed_newcomer(const Connection* arriving);
    [[nodiscard]] Connection* stalest_newcomer(const Connection* except) const noexcept;
    [[nodiscard]] bool from_proven_address(const Connection* c) const noexcept;
    // Whether `c`'s client closed its side with nothing left for us to do:
    // before its TLS handshake (it cannot finish it), or before a byte.
    [[nodiscard]] bool client_gone(const Connection* c) const noexcept;
    // Whether the kernel holds bytes from `c` the loop has not read yet.
    [[nodiscard]] static bool has_unread_bytes(const Connection* c) noexcept;
    // A newcomer that completed a (authenticated) request joins the proven
    // connections; false when their share is full (it is answered with
    // Connection: close instead).
    bool prove(Connection* c);
    void link(Pool& pool, Connection* c) noexcept;
    void unlink(Connection* c) noexcept;
    // Cuts slow readers of old bodies, then slow TLS readers, while the
    // bodies and TLS records held pass the budget.
    void hold_response_budget(const std::string* newest);
    [[nodiscard]] bool request_memory_allows(size_t more) const noexcept {
        return request_bytes_ + more <= config_.request_memory;
    }
    template <typename F>
    void for_each_connection(F f) const;

    uv_loop_t* loop_;
    ServerConfig config_;
    ServerCounters counters_;
    Handler* handler_ = nullptr;  // HTTP/1 requests...
    H2Listener* h2_ = nullptr;    // ...or HTTP/2 connections
    std::vector<UvHandle<uv_tcp_t>> listeners_;
    UvHandle<uv_prepare_t> pacer_;
    UvHandle<uv_idle_t> writer_;    // runs on_write_turn while writes_ has waiters
    WriteScheduler writes_;         // the loop's output, shared by client address
    std::vector<uv_stream_t*> paused_;  // listeners with a connection not taken yet
    size_t accepts_this_turn_ = 0;  // admitted this turn (kMaxAcceptsPerTurn)
    size_t taken_this_turn_ = 0;    // taken from the backlog this turn, gone ones too (kMaxTakenPerTurn)
    Pool proven_;     // completed a request (authenticated, where auth is on)
    ProvenAddresses proven_addresses_;  // the clients such requests came from
    Pool newcomers_;  // still in their handshake or first request
    AddressCounts newcomer_addresses_;  // how many newcomers each address holds
    uint64_t accepted_ = 0;        // connections accepted, the newest's sequence number
    uint64_t request_bytes_ = 0;   // capacity of every connection's request buffer
    uint64_t tls_bytes_ = 0;       // capacity of every connection's TLS record buffers
    std::string tls_plain_;        // scratch: what a TLS read decrypted to (one loop, one at a time)
    friend struct Connection;
    friend class H2Connection;
};

}  // namespace mmwatch::http
