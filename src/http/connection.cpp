// A connection's life: reads are appended and parsed where the last parse
// stopped; answers go out kWriteChunkBytes at a time, the next chunk queued
// only when the last completed, so no callback does unbounded work. Every
// byte out, plain or TLS, goes through write() and comes back through
// on_written().
#include "http/connection.hpp"

#include <new>

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

}  // namespace

using Connection = Server::Connection;

double Connection::rate(uint64_t now) const noexcept {
    if (h2) return h2->receive_rate(now);
    const uint64_t since = phase == Phase::writing ? phase_start_ms : request_start_ms;
    const double seconds = double(now > since ? now - since : 1) / 1000.0;
    const double bytes = phase == Phase::writing ? double(body_acked) : double(in.size());
    return bytes / seconds;
}

bool Connection::behind_minimum_rate(uint64_t now) const noexcept {
    if (phase == Phase::writing) {
        return now - phase_start_ms >= base::kRateGraceMs && rate(now) < double(base::kMinSendBytesPerSec);
    }
    return phase == Phase::reading && request_start_ms != 0 && now - request_start_ms >= base::kRateGraceMs &&
           rate(now) < double(base::kMinReceiveBytesPerSec);
}

void Connection::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    // One scratch buffer serves every read: the loop is single-threaded and
    // on_read copies what arrived before the next read can happen.
    static char scratch[base::kReadChunkBytes];
    *buf = uv_buf_init(scratch, sizeof scratch);
}

// Between requests: a new connection must speak within the first-byte
// timeout, a keep-alive one within the idle time.
void Connection::wait_for_request() {
    phase_start_ms = now_ms();
    request_start_ms = 0;
    arm(requests ? base::kKeepAliveIdleMs : base::kFirstByteTimeoutMs);
    start_reading();
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
    try {
        if (c->tls) c->received_tls(buf->base, size_t(n));
        else c->received(buf->base, size_t(n));
    } catch (const std::bad_alloc&) {
        c->out_of_memory();
    }
}

void Connection::received(const char* data, size_t n) {
    if (h2) {
        h2->received({data, n});
        return;
    }
    if (request_start_ms == 0) {
        // The first byte of a request: from now the request deadline runs.
        request_start_ms = now_ms();
        arm(base::kRequestDeadlineMs);
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

// Ciphertext in: the handshake runs under the request deadline from its
// first byte, like a slow request head; what decrypts goes to received().
void Connection::received_tls(const char* data, size_t n) {
    TlsCounters& t = server->config_.tls->counters();
    const bool was_established = tls->established();
    if (!was_established && request_start_ms == 0) {
        request_start_ms = now_ms();
        arm(base::kRequestDeadlineMs);
        if (looks_like_plain_http(data[0])) {
            ++t.failures[size_t(HandshakeFailure::plain_http)];
            uv_buf_t b = uv_buf_init(const_cast<char*>(kPlainHttpOnTls.data()), unsigned(kPlainHttpOnTls.size()));
            (void)uv_try_write(stream(), &b, 1);
            close();
            return;
        }
    }
    tls_plain.clear();
    const TlsSession::Status s = tls->feed(data, n, tls_plain, tls_pending);
    if (!was_established && tls->established()) ++t.handshakes;
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
    if (tls_plain.empty() || phase != Phase::reading) return;
    std::string plain;
    plain.swap(tls_plain);
    received(plain.data(), plain.size());
    if (tls_plain.empty()) plain.swap(tls_plain);  // keep the scratch's capacity
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
// write, unless one is in flight: on_written() sends them next.
bool Connection::flush_tls() {
    if (writing || tls_pending.empty() || phase == Phase::closing) return true;
    tls_out.clear();
    tls_out.swap(tls_pending);
    writing = true;
    uv_buf_t b = uv_buf_init(tls_out.data(), unsigned(tls_out.size()));
    return uv_write(&write_req, stream(), &b, 1, on_written) == 0;
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
        respond(error_response(r.error_status(), r.message()), false, false);
        return;
    }
    consumed = r.consumed;
    join_chunked_body(in, req);  // handlers read the data, whatever the framing
    if (BasicAuth* auth = server->config_.auth) {
        const AuthResult a = auth->check(req, now_ms());
        if (a == AuthResult::missing || a == AuthResult::wrong || a == AuthResult::busy) {
            respond(BasicAuth::refusal(a), req.keep_alive, req.method == "HEAD");
            return;
        }
    }
    Response resp = server->handler_->respond(req);
    respond(std::move(resp), req.keep_alive, req.method == "HEAD");
}

void Connection::respond(Response r, bool keep, bool head_only) {
    ServerCounters& m = server->counters_;
    ++m.requests;
    ++requests;
    if (r.status >= 400) ++m.errors;
    keep_alive = keep;
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
    if (phase == Phase::writing) send_next();  // the budget may have cut this one
}

// The next kWriteChunkBytes of the response (the head with the first).
void Connection::send_next() {
    const size_t body_size = body ? body->size() : 0;
    const size_t chunk = std::min(body_size - body_sent, base::kWriteChunkBytes);
    const std::string_view head_part = head_sent ? std::string_view() : std::string_view(head);
    const std::string_view body_part = chunk ? std::string_view(body->data() + body_sent, chunk) : std::string_view();
    if (body_sent + chunk < body_size && !counted_chunks) {
        ++server->counters_.write_chunks;
        counted_chunks = true;
    }
    head_sent = true;
    body_sent += chunk;
    if (!write(head_part, body_part)) close();
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
    if (!c->tls_pending.empty()) {
        if (!c->flush_tls()) c->close();
        return;
    }
    if (c->chunk_queued) {
        c->chunk_queued = false;
        c->chunk_written();
    }
}

void Connection::chunk_written() {
    if (h2) {
        h2->written();
        return;
    }
    body_acked = body_sent;
    if (body && body_sent < body->size()) {
        send_next();
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
    arm(base::kRequestDeadlineMs);
    try {
        process_input();
    } catch (const std::bad_alloc&) {
        out_of_memory();
    }
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
            if (c->request_start_ms != 0) ++m.request_deadline;
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
        case Phase::lingering:
        case Phase::closing: break;
    }
    c->close();
}

// A fixed answer that needs no allocation, then the connection goes (its
// buffers with it). The loop and every other connection go on.
void Connection::refuse(std::string_view canned) {
    std::string sealed;
    if (tls) {
        // Encrypted when the session is up; before that, nothing to say.
        if (tls->established() && !writing && tls->encrypt(canned, sealed)) canned = sealed;
        else canned = {};
    }
    if (!canned.empty()) {
        uv_buf_t b = uv_buf_init(const_cast<char*>(canned.data()), unsigned(canned.size()));
        (void)uv_try_write(stream(), &b, 1);
    }
    close();
}

void Connection::out_of_memory() {
    ++server->counters_.alloc_failures;
    if (phase == Phase::reading) refuse(kOutOfMemory);
    else close();
}

void Connection::close() {
    if (phase == Phase::closing) return;
    phase = Phase::closing;
    Server* s = server;
    if (prev) prev->next = next;
    else s->connections_ = next;
    if (next) next->prev = prev;
    --s->counters_.connections_open;
    // Buffers go now, not in the close callback: the budgets free at once.
    s->request_bytes_ -= in_counted;
    in_counted = 0;
    std::string().swap(in);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    body.reset();  // after uv_close: no write of it can happen any more
}

void Connection::on_closed(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles == 0) delete c;
}

}  // namespace mmwatch::http
