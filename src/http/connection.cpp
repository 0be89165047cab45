// A connection's life: reads are appended and parsed where the last parse
// stopped; answers go out kWriteChunkBytes at a time (kTlsWriteChunkBytes
// encrypted, on TLS), the next chunk queued only when the last completed
// and granted only when the server's WriteScheduler gives this connection
// its turn (kWriteTurnBytes a loop turn, shared by client address), so no
// callback does unbounded work and a stalled reader holds at most
// one chunk of its own. Every byte out, plain or TLS, goes through write()
// and comes back through on_written(). Every libuv callback runs its work
// through base::guarded(): out of memory or an exception ends this
// connection (with a 503 or 500 when it is between requests), never the
// loop.
#include "http/connection.hpp"

#include <algorithm>
#include <new>

#include "base/guard.hpp"
#include "base/limits.hpp"
#include "http/basic_auth.hpp"

namespace mmwatch::http {

namespace {

// After the last response of a connection we send FIN and wait this long
// for the client to close, discarding what it still sends, so unread input
// does not turn our close into a reset that destroys the response.
constexpr uint64_t kLingerMs = 1'000;

constexpr std::string_view kOutOfMemory =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\nout of memory, retry later\n";
constexpr std::string_view kRequestMemory =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 42\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\nrequest memory is in use, retry in a while\n";
constexpr std::string_view kInternalError =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n"
    "Connection: close\r\n\r\ninternal error\n";
// The listener has no room for this connection.
constexpr std::string_view kBusy =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\ntoo many connections, retry later\n";
// ...said to a TLS client before its handshake: a fatal internal_error
// alert as a plaintext record (TLS has no "busy" alert), which clients
// report as "tlsv1 alert internal error" or "remote error: tls: internal
// error" instead of a bare reset.
constexpr char kBusyAlert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};

uint64_t until(uint64_t deadline, uint64_t now) { return deadline > now ? deadline - now : 0; }

}  // namespace

using Connection = Server::Connection;

uint64_t client_address(const uv_tcp_t& tcp) noexcept {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (uv_tcp_getpeername(&tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
    if (ss.ss_family == AF_INET) return ntohl(reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr);
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    const size_t from = IN6_IS_ADDR_V4MAPPED(&a) ? 12 : 0;
    const size_t to = from ? 16 : 8;
    uint64_t key = 0;
    for (size_t i = from; i < to; ++i) key = key << 8 | a.s6_addr[i];
    return key;
}

double Connection::rate(uint64_t now) const noexcept {
    if (h2) return h2->receive_rate(now);
    const uint64_t since = phase == Phase::writing ? phase_start_ms : request_start_ms;
    const double seconds = double(now > since ? now - since : 1) / 1000.0;
    const double bytes = phase == Phase::writing ? double(body_acked) : double(in.size());
    return bytes / seconds;
}

bool Connection::behind_minimum_rate(uint64_t now) const noexcept {
    return phase == Phase::writing && now - phase_start_ms >= base::kRateGraceMs &&
           rate(now) < double(base::kMinSendBytesPerSec);
}

uint64_t Connection::shed_order() const noexcept {
    if (phase == Phase::lingering) return 0;  // answered already: the first to go
    return moved_ns + uint64_t(progress) * base::kNewcomerStepCreditMs * 1'000'000;
}

void Connection::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    // One scratch buffer serves every read: the loop is single-threaded and
    // on_read copies what arrived before the next read can happen.
    static char scratch[base::kReadChunkBytes];
    *buf = uv_buf_init(scratch, sizeof scratch);
}

// Between requests: a proven connection's next request may take the
// keep-alive idle time to start; a newcomer must speak within the
// first-byte timeout and be through its first request by its deadline.
void Connection::wait_for_request() {
    const uint64_t now = now_ms();
    phase_start_ms = now;
    request_start_ms = 0;
    if (proven) {
        arm(base::kKeepAliveIdleMs);
    } else {
        progress = tls && tls->established() ? Progress::established : Progress::none;
        const uint64_t left = until(accepted_ms + base::kFirstRequestDeadlineMs, now);
        arm(requests == 0 ? std::min(left, base::kFirstByteTimeoutMs) : left);
    }
    start_reading();
}

// The first byte of a request (or of a TLS handshake) arrived.
void Connection::arm_request_deadline() {
    if (proven) arm(base::kRequestDeadlineMs);
    else arm(until(accepted_ms + base::kFirstRequestDeadlineMs, now_ms()));
}

void Connection::start_reading() {
    phase = Phase::reading;
    uv_read_start(stream(), on_alloc, on_read);
}

void Connection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* c = static_cast<Connection*>(s->data);
    if (n < 0) {
        c->close();  // EOF or error; in lingering this is the client's close
        return;
    }
    if (c->phase != Phase::reading || n == 0) return;  // lingering: discard
    c->moved_ns = uv_hrtime();
    base::guarded(
        [&] {
            if (c->tls) c->received_tls(buf->base, size_t(n));
            else c->received(buf->base, size_t(n));
        },
        [c](base::Failure f) { c->failed(f); });
}

void Connection::received(const char* data, size_t n) {
    if (h2) {
        h2->received({data, n});
        return;
    }
    if (request_start_ms == 0) {
        // The first byte of a request: from now the request deadline runs.
        request_start_ms = now_ms();
        arm_request_deadline();
    }
    // Growing the buffer must fit the listener's request memory.
    const size_t grown = in.size() + n > in.capacity() ? std::max(in.capacity() * 2, in.size() + n) : in.capacity();
    if (grown > in_counted && !server->request_memory_allows(grown - in_counted)) {
        ++server->counters_.request_memory;
        refuse(kRequestMemory);
        return;
    }
    in.append(data, n);
    track_buffer();
    process_input();
}

// Ciphertext in: the handshake runs under the newcomer's deadline from its
// first byte, like a slow request head; what decrypts goes to received().
void Connection::received_tls(const char* data, size_t n) {
    TlsCounters& t = server->config_.tls->counters();
    const bool was_established = tls->established();
    if (!was_established && request_start_ms == 0) {
        request_start_ms = now_ms();
        arm_request_deadline();
        if (looks_like_plain_http(data[0])) {
            ++t.failures[size_t(HandshakeFailure::plain_http)];
            uv_buf_t b = uv_buf_init(const_cast<char*>(kPlainHttpOnTls.data()), unsigned(kPlainHttpOnTls.size()));
            (void)uv_try_write(stream(), &b, 1);
            close();
            return;
        }
    }
    if (!was_established && progress == Progress::none && server->client_gone(this)) {
        // A first flight whose sender closed its side before it heard our
        // answer (a replayer that has moved on; the loop reads it late when
        // it is behind): it can never finish, so no handshake is worked.
        ++server->counters_.client_gone;
        close();
        return;
    }
    std::string& plain = server->tls_plain_;
    plain.clear();
    const TlsSession::Status s = tls->feed(data, n, plain, tls_pending);
    if (!was_established && tls->established()) {
        ++t.handshakes;
        progress = std::max(progress, Progress::established);
    } else if (!was_established && !tls_pending.empty()) {
        progress = std::max(progress, Progress::hello_answered);
    }
    if (s != TlsSession::Status::ok) {
        if (s == TlsSession::Status::failed && !was_established) ++t.failures[size_t(tls->failure())];
        // The alert goes out if the socket takes it now; then the connection goes.
        if (!tls_pending.empty() && !writing) {
            uv_buf_t b = uv_buf_init(tls_pending.data(), unsigned(tls_pending.size()));
            (void)uv_try_write(stream(), &b, 1);
        }
        close();
        return;
    }
    if (!flush_tls()) {
        close();
        return;
    }
    if (plain.empty() || phase != Phase::reading) return;
    // received() may answer at once, and an answer encrypts into this
    // connection's own buffers, never into the shared scratch.
    received(plain.data(), plain.size());
}

// The one write path: a response chunk (head and/or a slice of the body)
// goes to the kernel as it is, or as TLS records queued behind what the
// session already has to send. False when the socket or the session failed.
bool Connection::write(std::string_view head_part, std::string_view body_part) {
    chunk_queued = true;
    if (tls) return tls->encrypt(head_part, tls_pending) && tls->encrypt(body_part, tls_pending) && flush_tls();
    uv_buf_t bufs[2];
    unsigned n = 0;
    for (std::string_view part : {head_part, body_part}) {
        if (!part.empty()) bufs[n++] = uv_buf_init(const_cast<char*>(part.data()), unsigned(part.size()));
    }
    writing = true;
    return uv_write(&write_req, stream(), bufs, n, on_written) == 0;
}

// TLS records waiting (handshake, alerts, response records) go out in one
// write, unless one is in flight: on_written() sends them next. The
// records in flight are the only ciphertext a connection holds long:
// tls_pending is handed over, not copied, and starts again empty.
bool Connection::flush_tls() {
    if (writing || tls_pending.empty() || phase == Phase::closing) {
        track_tls();
        return true;
    }
    tls_out = std::move(tls_pending);
    tls_pending = std::string();
    track_tls();
    writing = true;
    uv_buf_t b = uv_buf_init(tls_out.data(), unsigned(tls_out.size()));
    return uv_write(&write_req, stream(), &b, 1, on_written) == 0;
}

// What a connection's TLS buffers hold, kept in the server's total (part
// of --response-memory).
void Connection::track_tls() noexcept {
    const size_t now = tls_out.capacity() + tls_pending.capacity();
    server->tls_bytes_ += now;
    server->tls_bytes_ -= tls_counted;
    tls_counted = now;
}

void Connection::track_buffer() noexcept {
    server->request_bytes_ += in.capacity();
    server->request_bytes_ -= in_counted;
    in_counted = in.capacity();
}

void Connection::process_input() {
    if (in.empty()) return;
    Request req;
    const auto r = parse_request(in, req, base::kMaxRequestHeadBytes, server->config_.max_body_bytes, parse_state);
    ServerCounters& m = server->counters_;
    if (r.status == ParseStatus::incomplete) return;
    uv_read_stop(stream());
    if (r.status == ParseStatus::error) {
        if (r.error == Error::too_many_headers) ++m.headers_limit;
        if (r.error == Error::head_too_large) ++m.head_bytes_limit;
        if (r.error == Error::body_too_large) ++m.body_bytes_limit;
        respond(error_response(r.error_status(), r.message()), false, false, false);
        return;
    }
    consumed = r.consumed;
    join_chunked_body(in, req);  // handlers read the data, whatever the framing
    const bool head_only = req.method == "HEAD";
    bool authenticated = true;
    if (BasicAuth* auth = server->config_.auth) {
        const AuthResult a = auth->check(req, client, now_ms());
        if (a == AuthResult::missing || a == AuthResult::wrong || a == AuthResult::busy) {
            respond(BasicAuth::refusal(a), req.keep_alive, head_only, false);
            return;
        }
        authenticated = a != AuthResult::exempt;
    }
    Response resp = server->handler_->respond(req);
    if (resp.deferred) {
        // The handler answers later (a query in slices); nothing is read
        // meanwhile, and the handler's own deadline bounds the wait.
        phase = Phase::waiting;
        phase_start_ms = now_ms();
        uv_timer_stop(&timer);
        keep_alive = req.keep_alive;
        deferred_head_only = head_only;
        deferred_proves = authenticated;
        deferred = std::move(resp.deferred);
        const std::shared_ptr<Deferred> hold = deferred;  // resolved() at once drops the member
        hold->wait(this);
        return;
    }
    respond(std::move(resp), req.keep_alive, head_only, authenticated);
}

void Connection::resolved(Response r) {
    deferred.reset();
    if (phase != Phase::waiting) return;
    base::guarded([&] { respond(std::move(r), keep_alive, deferred_head_only, deferred_proves); },
                  [this](base::Failure f) { failed(f); });
}

// `proves`: the request was whole and authenticated (where auth is on), so
// a newcomer answered for it joins the proven connections; when their
// share is full it is answered with Connection: close instead.
void Connection::respond(Response r, bool keep, bool head_only, bool proves) {
    ServerCounters& m = server->counters_;
    ++m.requests;
    ++requests;
    if (r.status >= 400) ++m.errors;
    if (proves) server->proven_addresses_.remember(client);
    if (!proven && proves && !server->prove(this)) keep = false;
    keep_alive = keep;
    progress = Progress::answering;
    r.extra_headers += server->config_.response_headers;
    // A HEAD answer has GET's head, Content-Length included, and no body.
    head = render_head(r, keep);
    if (head_only) r.body.reset();
    body = std::move(r.body);
    body_sent = body_acked = 0;
    head_sent = false;
    counted_chunks = false;
    phase = Phase::writing;
    phase_start_ms = now_ms();
    arm(base::kSendCheckMs);
    if (body) server->hold_response_budget(body.get());
    if (phase == Phase::writing) server->want_write(this);  // the budget may have cut this one
}

// The scheduler's turn for this connection: the next chunk goes, and what
// it took of the response (head included) is charged to the loop turn.
size_t Connection::write_granted() noexcept {
    if (phase != Phase::writing) return 0;
    const size_t before = body_sent + (head_sent ? head.size() : 0);
    base::guarded([this] { send_next(); }, [this](base::Failure f) { failed(f); });
    return body_sent + (head_sent ? head.size() : 0) - before;
}

// The next chunk of the response (the head with the first): a TLS
// connection encrypts a smaller slice, since its ciphertext is its own.
// While the kernel takes a TLS slice's records whole at once, the next
// slice follows in the same callback, up to kWriteChunkBytes as on plain
// HTTP: a fast reader is not held to one record a loop turn (behind
// every other connection's), and a stalled one still holds one slice.
void Connection::send_next() {
    const size_t body_size = body ? body->size() : 0;
    const size_t most = tls ? base::kTlsWriteChunkBytes : base::kWriteChunkBytes;
    for (size_t this_turn = 0;;) {
        const size_t chunk = std::min(body_size - body_sent, most);
        const std::string_view head_part = head_sent ? std::string_view() : std::string_view(head);
        const std::string_view body_part = chunk ? std::string_view(body->data() + body_sent, chunk) : std::string_view();
        if (body_sent + chunk < body_size && !counted_chunks) {
            ++server->counters_.write_chunks;
            counted_chunks = true;
        }
        head_sent = true;
        body_sent += chunk;
        this_turn += chunk;
        const bool more = body_sent < body_size && this_turn < base::kWriteChunkBytes;
        if (!tls || h2 || writing || !tls_pending.empty() || !more) {
            if (!write(head_part, body_part)) close();
            return;
        }
        if (!tls->encrypt(head_part, tls_pending) || !tls->encrypt(body_part, tls_pending)) {
            close();
            return;
        }
        if (!written_at_once()) return;
        body_acked = body_sent;
    }
}

// The TLS records in tls_pending offered to the kernel now: true when it
// took them all (the buffer is empty again); otherwise what is left goes
// out as a write whose completion moves the response on.
bool Connection::written_at_once() {
    uv_buf_t b = uv_buf_init(tls_pending.data(), unsigned(tls_pending.size()));
    const int n = uv_try_write(stream(), &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
        close();
        return false;
    }
    if (n > 0) {
        tls_pending.erase(0, size_t(n));
        moved_ns = uv_hrtime();
    }
    if (tls_pending.empty()) {
        track_tls();
        return true;
    }
    chunk_queued = true;
    if (!flush_tls()) close();
    return false;
}

// Every write's completion. Queued TLS records go before the response
// moves on; a response chunk done brings the next one.
Connection* Connection::completed(uv_stream_t* handle, int status) {
    auto* c = static_cast<Connection*>(handle->data);
    if (c->phase == Phase::closing) return nullptr;
    if (status < 0) {
        c->close();
        return nullptr;
    }
    return c;
}

void Connection::on_written(uv_write_t* req, int status) {
    Connection* c = completed(req->handle, status);
    if (!c) return;
    c->writing = false;
    c->moved_ns = uv_hrtime();
    base::guarded(
        [c] {
            // The records written are done with: a stalled reader holds
            // only the chunk in flight, and an idle one none.
            std::string().swap(c->tls_out);
            if (!c->tls_pending.empty()) {
                if (!c->flush_tls()) c->close();
                return;
            }
            c->track_tls();
            if (c->chunk_queued) {
                c->chunk_queued = false;
                c->chunk_written();
            }
        },
        [c](base::Failure f) { c->failed(f); });
}

void Connection::chunk_written() {
    if (h2) {
        h2->written();
        return;
    }
    body_acked = body_sent;
    if (body && body_sent < body->size()) {
        server->want_write(this);
        return;
    }
    finish_response();
}

void Connection::finish_response() {
    body.reset();
    head.clear();
    if (!keep_alive) {
        linger();
        return;
    }
    in.erase(0, consumed);
    consumed = 0;
    parse_state = {};
    // A large request's buffer is given back, not kept through keep-alive.
    if (in.capacity() > base::kKeepRequestBufferBytes) {
        std::string(in).swap(in);
        track_buffer();
    }
    wait_for_request();
    if (in.empty()) return;
    // A pipelined request is waiting already: its clock started on arrival.
    request_start_ms = now_ms();
    arm_request_deadline();
    process_input();
}

void Connection::linger() {
    phase = Phase::lingering;
    arm(kLingerMs);
    if (tls) {
        tls->close_notify(tls_pending);  // written before the FIN: shutdown waits for writes
        if (!flush_tls()) {
            close();
            return;
        }
    }
    if (uv_shutdown(&shutdown_req, stream(), on_shutdown) != 0) close();
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) {
    if (Connection* c = completed(req->handle, status)) uv_read_start(c->stream(), on_alloc, on_read);
}

void Connection::on_timer(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    ServerCounters& m = c->server->counters_;
    const uint64_t now = c->now_ms();
    if (c->h2 && c->phase == Phase::reading) {
        c->h2->on_timer();
        return;
    }
    switch (c->phase) {
        case Phase::reading:
            // An idle keep-alive connection timing out is normal, not a limit hit.
            if (c->request_start_ms != 0 || (!c->proven && c->requests != 0)) ++m.request_deadline;
            else if (c->requests == 0) ++m.first_byte_timeout;
            break;
        case Phase::writing:
            if (now - c->phase_start_ms >= base::kResponseDeadlineMs) {
                ++m.response_deadline;
            } else if (c->behind_minimum_rate(now)) {
                ++m.send_rate;
            } else {
                c->arm(base::kSendCheckMs);
                return;
            }
            break;
        case Phase::waiting:
        case Phase::lingering:
        case Phase::closing: break;
    }
    c->close();
}

// A fixed answer that needs no allocation, then the connection goes (its
// buffers with it). The loop and every other connection go on.
void Connection::refuse(std::string_view canned) noexcept {
    std::string sealed;
    if (tls) {
        // Encrypted when the session is up; before that, nothing to say
        // (nor when memory for the record is what ran out).
        bool ok = false;
        if (tls->established() && !writing) base::guarded([&] { ok = tls->encrypt(canned, sealed); }, [](base::Failure) {});
        canned = ok ? std::string_view(sealed) : std::string_view();
    }
    if (!canned.empty()) {
        uv_buf_t b = uv_buf_init(const_cast<char*>(canned.data()), unsigned(canned.size()));
        (void)uv_try_write(stream(), &b, 1);
    }
    close();
}

// No room for this connection (a newcomer over the cap, or the newcomer
// shed for another): told so where the protocol allows it. A TLS client
// that has sent nothing yet gets the busy alert in the clear; one mid-way
// through its handshake can be told nothing; between requests, plain or
// TLS, it gets 503 with Retry-After; in the middle of an answer it is cut.
void Connection::turn_away() noexcept {
    if (server->config_.tls && (!tls || (!tls->established() && request_start_ms == 0))) {
        uv_buf_t b = uv_buf_init(const_cast<char*>(kBusyAlert), sizeof kBusyAlert);
        (void)uv_try_write(stream(), &b, 1);
        close();
        return;
    }
    if (phase == Phase::reading && (!tls || tls->established())) {
        // An HTTP/2 client reads SETTINGS and GOAWAY, not a 503.
        refuse(server->h2_ ? h2_too_many_connections() : kBusy);
        return;
    }
    close();
}

// The policy at this connection's callbacks (base/guard.hpp): memory ran
// out (503) or something threw (500) while serving it. Counted; between
// requests the client is told, in the middle of an answer it is cut; the
// connection goes, the loop and every other connection go on.
void Connection::failed(base::Failure f) noexcept {
    const bool oom = f == base::Failure::out_of_memory;
    ++(oom ? server->counters_.alloc_failures : server->counters_.exceptions);
    if (phase == Phase::reading) refuse(oom ? kOutOfMemory : kInternalError);
    else close();
}

void Connection::close() noexcept {
    if (phase == Phase::closing) return;
    phase = Phase::closing;
    Server* s = server;
    s->unlink(this);
    s->writes_.forget(*this);
    // Buffers go now, not in the close callback: the budgets free at once.
    s->request_bytes_ -= in_counted;
    in_counted = 0;
    std::string().swap(in);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    // After uv_close: no write of them can happen any more.
    body.reset();
    std::string().swap(tls_out);
    std::string().swap(tls_pending);
    track_tls();
    if (deferred) deferred->abandon();  // the handler stops its work
    deferred.reset();
}

void Connection::on_closed(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles == 0) delete c;
}

}  // namespace mmwatch::http
