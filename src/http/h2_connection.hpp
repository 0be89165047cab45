// One connection of an HTTP/2 listener (private to http/): the glue between
// the listener's connection (socket, TLS, timer, the one write path,
// lingering and closing; connection.cpp) and its H2Session (the framing).
// Plaintext in goes to the session; requests it hands over are checked
// against basic auth and answered by the listener's handler; frames out go
// through Connection::write(), one chunk of at most kWriteChunkBytes in
// flight at a time. The connection's timer runs the same limits as on the
// HTTP/1 listeners: first byte, keep-alive idle, the request deadline and
// the send rate and response deadline, each counted in ServerCounters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/h2_listener.hpp"
#include "http/h2_session.hpp"
#include "http/server.hpp"

namespace mmwatch::http {

class H2Connection {
public:
    H2Connection(Server::Connection& connection, H2Listener& listener);
    H2Connection(const H2Connection&) = delete;
    H2Connection& operator=(const H2Connection&) = delete;

    // Plaintext bytes from the peer (after TLS, when on).
    void received(std::string_view bytes);
    // The last chunk handed to Connection::write() has gone out.
    void written();
    // The connection's timer fired while it is open.
    void on_timer();
    // Bytes a second received since the connection last had a request
    // arriving (Connection::rate() while it is not idle: shedding).
    [[nodiscard]] double receive_rate(uint64_t now_ms) const noexcept;

    [[nodiscard]] const H2Session& session() const noexcept { return session_; }

private:
    void answer_ready();
    [[nodiscard]] H2Response answer(const H2Request& req);
    void flush();
    void note_activity(uint64_t now_ms, size_t bytes_in);
    [[nodiscard]] bool past_deadlines(uint64_t now_ms);
    void fail_out_of_memory();

    Server::Connection& c_;
    H2Listener& listener_;
    H2Session session_;
    std::string out_;              // the chunk being written (session frames)
    uint64_t busy_bytes_ = 0;      // received since the connection stopped being idle
    uint64_t write_start_ms_ = 0;  // when the chunk in flight was handed over (0: none)
    bool spoke_ = false;           // the peer has sent a byte
};

// The whole answer to a connection past the listener's cap, sent before
// closing it: the server preface (an empty SETTINGS) and GOAWAY
// ENHANCE_YOUR_CALM naming the reason, so an HTTP/2 client learns why
// rather than reading an HTTP/1 503.
[[nodiscard]] std::string_view h2_too_many_connections() noexcept;

}  // namespace mmwatch::http
