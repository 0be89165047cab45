#include "http/h2_connection.hpp"

#include <new>

#include "base/limits.hpp"
#include "http/connection.hpp"

namespace mmwatch::http {

using Phase = Server::Connection::Phase;

H2Connection::H2Connection(Server::Connection& connection, H2Listener& listener)
    : c_(connection),
      listener_(listener),
      session_(listener.config, listener.counters, listener.budget, connection.now_ms()) {}

void H2Connection::received(std::string_view bytes) {
    const uint64_t now = c_.now_ms();
    if (!spoke_) {
        // From the first byte on, the timer runs the periodic checks
        // instead of the first-byte timeout.
        spoke_ = true;
        c_.arm(base::kSendCheckMs);
    }
    try {
        // False once refused: what is left is to send the GOAWAY (flush).
        if (session_.receive(bytes, now)) answer_ready();
        note_activity(now, bytes.size());
        flush();
    } catch (const std::bad_alloc&) {
        fail_out_of_memory();
    }
}

// Every request the session has ready, answered now: the handler does
// bounded work (one gRPC call, at most the message cap to decode).
void H2Connection::answer_ready() {
    ServerCounters& m = c_.server->counters_;
    while (H2Request* r = session_.next_request()) {
        const int32_t id = r->stream_id;
        H2Response response = answer(*r);
        ++m.requests;
        if (response.status >= 400) ++m.errors;
        session_.respond(id, std::move(response));
    }
}

// Basic auth as on the HTTP/1 listeners, the credentials from the request's
// `authorization` field. A stream already refused (too large, no memory)
// is answered as such without spending a password check on it. A whole,
// authenticated request proves the connection as on HTTP/1 (server.hpp);
// when the proven share is full it stays a newcomer, the one kind shed.
H2Response H2Connection::answer(const H2Request& req) {
    if (req.refusal != H2StreamRefusal::none) return listener_.handler.respond(req);
    bool authenticated = true;
    if (BasicAuth* auth = c_.server->config_.auth) {
        const AuthResult a = auth->check(req.header(":path"), req.header("authorization"), c_.client, c_.now_ms());
        if (a == AuthResult::missing || a == AuthResult::wrong || a == AuthResult::busy)
            return listener_.handler.refuse_credentials(req, a);
        authenticated = a != AuthResult::exempt;
    }
    if (authenticated) c_.server->proven_addresses_.remember(c_.client);
    if (!c_.proven && authenticated) (void)c_.server->prove(&c_);
    return listener_.handler.respond(req);
}

// The session's frames out through the connection's one write path, one
// chunk in flight at a time; once the session is finished (refused and its
// GOAWAY sent, or ended by both sides), the connection lingers and closes.
void H2Connection::flush() {
    if (c_.phase != Phase::reading || c_.chunk_queued) return;
    out_.clear();
    session_.produce(out_, base::kWriteChunkBytes);
    if (!out_.empty()) {
        write_start_ms_ = c_.now_ms();
        if (!c_.write(out_, {})) c_.close();
        return;
    }
    write_start_ms_ = 0;
    // A large chunk's buffer is given back: an idle connection holds little.
    if (out_.capacity() > base::kKeepRequestBufferBytes) std::string().swap(out_);
    if (session_.finished()) c_.linger();
}

void H2Connection::written() {
    write_start_ms_ = 0;
    try {
        // Responses sent close their streams: the connection may be idle now.
        note_activity(c_.now_ms(), 0);
        flush();
    } catch (const std::bad_alloc&) {
        fail_out_of_memory();
    }
}

// Idle (no stream open) or busy, in the terms Connection::idle() and
// rate() use for shedding: request_start_ms is when the connection last
// stopped being idle (0 while idle), phase_start_ms when it last became
// idle.
void H2Connection::note_activity(uint64_t now_ms, size_t bytes_in) {
    if (session_.idle()) {
        if (c_.request_start_ms != 0) {
            c_.request_start_ms = 0;
            c_.phase_start_ms = now_ms;
        }
        return;
    }
    if (c_.request_start_ms == 0) {
        c_.request_start_ms = now_ms;
        busy_bytes_ = 0;
    }
    busy_bytes_ += bytes_in;
}

double H2Connection::receive_rate(uint64_t now_ms) const noexcept {
    const uint64_t since = c_.request_start_ms;
    const double seconds = double(now_ms > since ? now_ms - since : 1) / 1000.0;
    return double(busy_bytes_) / seconds;
}

void H2Connection::on_timer() {
    const uint64_t now = c_.now_ms();
    if (!spoke_) {
        ++c_.server->counters_.first_byte_timeout;
        c_.close();
        return;
    }
    if (past_deadlines(now)) return;
    // Idle as long as a keep-alive connection may be: GOAWAY, then close.
    if (session_.idle() && !session_.want_write() && now - c_.phase_start_ms >= base::kKeepAliveIdleMs)
        session_.shutdown();
    // The preface deadline and responses held by the peer's window; a
    // refusal's GOAWAY goes out with the flush.
    (void)session_.check(now);
    try {
        flush();
    } catch (const std::bad_alloc&) {
        fail_out_of_memory();
        return;
    }
    if (c_.phase == Phase::reading) c_.arm(base::kSendCheckMs);
}

// The HTTP/1 listeners' deadlines, in HTTP/2's terms: a request must
// arrive whole within kRequestDeadlineMs of its HEADERS; a chunk handed to
// the socket must go out within kResponseDeadlineMs and, after the grace
// period, at kMinSendBytesPerSec. Past one, the connection is closed.
bool H2Connection::past_deadlines(uint64_t now_ms) {
    ServerCounters& m = c_.server->counters_;
    uint64_t* hit = nullptr;
    const uint64_t oldest = session_.oldest_unfinished_ms();
    if (oldest != UINT64_MAX && now_ms - oldest >= base::kRequestDeadlineMs) hit = &m.request_deadline;
    if (!hit && write_start_ms_ != 0) {
        const uint64_t t = now_ms - write_start_ms_;
        if (t >= base::kResponseDeadlineMs) hit = &m.response_deadline;
        else if (t >= base::kRateGraceMs && double(out_.size()) * 1000.0 / double(t) < double(base::kMinSendBytesPerSec))
            hit = &m.send_rate;
    }
    if (!hit) return false;
    ++*hit;
    c_.close();
    return true;
}

void H2Connection::fail_out_of_memory() {
    ++c_.server->counters_.alloc_failures;
    c_.close();
}

std::string_view h2_too_many_connections() noexcept {
    // SETTINGS (empty), then GOAWAY: last stream 0, ENHANCE_YOUR_CALM (0xb),
    // the reason as debug data (20 bytes: the payload is 28).
    static constexpr char kFrames[] =
        "\0\0\0\x04\0\0\0\0\0"
        "\0\0\x1c\x07\0\0\0\0\0"
        "\0\0\0\0"
        "\0\0\0\x0b"
        "too_many_connections";
    return {kFrames, sizeof kFrames - 1};
}

}  // namespace mmwatch::http
