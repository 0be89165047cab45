// One connection of a listener (private to http/): its phase, buffers,
// timer and the rates that decide whether it is worth its slot.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "base/guard.hpp"
#include "http/deferred.hpp"
#include "http/h2_connection.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"

namespace mmwatch::http {

// Phases: reading → (waiting, for a handler's deferred answer →) writing
// → (reading again on keep-alive | lingering → closed). A connection starts as a newcomer and is proven once it has
// completed a request (authenticated, where basic auth is on); the two
// have their own shares of the cap and their own deadlines. One timer per
// connection enforces the phase's deadline: a newcomer's first byte and
// its handshake and first request; a proven connection's keep-alive idle
// time and request deadline; while writing, a check each second of the
// send rate and the response deadline. Each chunk of an answer waits for
// its grant from the server's WriteScheduler (fair by client address).
struct Server::Connection final : Deferred::Waiter, WriteScheduler::Waiter {
    enum class Phase : uint8_t { reading, waiting, writing, lingering, closing };
    // How far a newcomer has come, in kNewcomerStepCreditMs steps. A done
    // handshake earns no more than an answered ClientHello: a real client
    // sends its request at once, so only an attacker waits there.
    enum class Progress : uint8_t { none = 0, hello_answered = 1, established = 1, answering = 4 };

    Server* server;
    uv_tcp_t tcp{};
    uv_timer_t timer{};
    uv_write_t write_req{};        // the one write in flight (see write())
    uv_shutdown_t shutdown_req{};
    int open_handles = 0;
    Pool* pool = nullptr;          // the server's newcomers or proven connections
    Connection* prev = nullptr;
    Connection* next = nullptr;
    uint64_t sequence = 0;         // accept order: among equals the newest newcomer is shed
    uint64_t client = 0;           // the peer's address (IPv6: its /64), for basic auth's fair shares
    bool proven = false;
    bool address_counted = false;  // in the server's newcomer_addresses_
    Phase phase = Phase::reading;
    Progress progress = Progress::none;
    std::string in;
    size_t in_counted = 0;         // in.capacity() as counted in the server's request bytes
    ParseState parse_state;        // resumes the parse of `in` as bytes arrive
    size_t consumed = 0;           // bytes of `in` taken by the request being answered
    uint64_t requests = 0;         // answered on this connection
    uint64_t accepted_ms = 0;      // when it connected: a newcomer's deadlines count from here
    uint64_t moved_ns = 0;         // the last byte in or write completed (uv_hrtime): newcomers are shed stalest first
    uint64_t phase_start_ms = 0;   // when the current wait, request or response began
    uint64_t request_start_ms = 0; // first byte of the current request (0: none yet)
    bool keep_alive = false;
    std::string head;
    std::shared_ptr<const std::string> body;
    // While waiting: the handler's answer to come, and how to send it.
    std::shared_ptr<Deferred> deferred;
    bool deferred_head_only = false;
    bool deferred_proves = false;
    size_t body_sent = 0;          // queued to the kernel
    size_t body_acked = 0;         // written (the kernel took it)
    bool head_sent = false;
    bool counted_chunks = false;
    // Output: one write in flight at a time, completed by on_written().
    bool writing = false;
    bool chunk_queued = false;      // a response chunk is written or waits in tls_pending
    // TLS (null on a plain listener): records are encrypted into
    // tls_pending and written from tls_out, a kTlsWriteChunkBytes slice of
    // the response at a time; plaintext goes out as it is.
    std::unique_ptr<TlsSession> tls;
    std::string tls_out;
    std::string tls_pending;
    size_t tls_counted = 0;         // both buffers' capacity as counted in the server's TLS bytes
    std::string tls_plain;          // scratch: what the last record decrypted to
    // On an HTTP/2 listener: the session, fed what received() gets, whose
    // frames go out through write(); the timer's checks are its own.
    std::unique_ptr<H2Connection> h2;

    explicit Connection(Server* s) : server(s) {}
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
    [[nodiscard]] uint64_t now_ms() const { return uv_now(server->loop_); }

    // Bytes a second since the current request or response began; what is
    // compared against the minimum send rate.
    [[nodiscard]] double rate(uint64_t now) const noexcept;
    [[nodiscard]] bool behind_minimum_rate(uint64_t now) const noexcept;
    // When a newcomer last moved, plus the credit of its progress (ns);
    // the smallest goes first when newcomers must make room.
    [[nodiscard]] uint64_t shed_order() const noexcept;

    void arm(uint64_t ms) { uv_timer_start(&timer, on_timer, ms, 0); }
    void arm_request_deadline();
    void wait_for_request();
    void start_reading();
    void received(const char* data, size_t n);
    void received_tls(const char* data, size_t n);
    [[nodiscard]] bool write(std::string_view head_part, std::string_view body_part);
    [[nodiscard]] bool flush_tls();
    [[nodiscard]] bool written_at_once();
    void track_tls() noexcept;
    void chunk_written();
    void process_input();
    void respond(Response r, bool keep, bool head_only, bool proves);
    void resolved(Response r) override;
    // A response chunk goes when the server's WriteScheduler grants it.
    size_t write_granted() noexcept override;
    void send_next();
    void finish_response();
    void linger();
    void refuse(std::string_view canned) noexcept;
    void turn_away() noexcept;
    void failed(base::Failure f) noexcept;
    void track_buffer() noexcept;
    void close() noexcept;

    static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
    // The connection a write or shutdown completed for; null when it is
    // closing, or when the request failed (it is then closed).
    static Connection* completed(uv_stream_t* handle, int status);
    static void on_written(uv_write_t* req, int status);
    static void on_shutdown(uv_shutdown_t* req, int status);
    static void on_timer(uv_timer_t* t);
    static void on_closed(uv_handle_t* h);
};

// The peer's address as one number: IPv4 (and IPv4-mapped IPv6) as itself,
// IPv6 as its /64, which one host usually holds whole.
[[nodiscard]] uint64_t client_address(const uv_tcp_t& tcp) noexcept;

}  // namespace mmwatch::http
