// Connections move through reading -> writing -> (reading again on
// keep-alive | lingering -> closed). One timer per connection enforces the
// phase's deadline; writes go out in chunks of kWriteChunkBytes, the next
// queued only when the last completed, so no callback does unbounded work.
#include "http/server.hpp"

#include <cstring>
#include <new>

#include "base/limits.hpp"

namespace mmwatch::http {

namespace {

// After the last response of a connection we send FIN and wait this long
// for the client to close, discarding what it still sends, so unread input
// does not turn our close into a reset that destroys the response.
constexpr uint64_t kLingerMs = 1'000;

}  // namespace

struct ScrapeServer::Connection {
    enum class Phase : uint8_t { reading, writing, lingering, closing };

    ScrapeServer* server;
    uv_tcp_t tcp{};
    uv_timer_t timer{};
    uv_write_t write_req{};
    uv_shutdown_t shutdown_req{};
    int open_handles = 0;
    Connection* prev = nullptr;
    Connection* next = nullptr;
    Phase phase = Phase::reading;
    std::string in;
    ParseState parse_state;  // resumes the parse of `in` as bytes arrive
    size_t consumed = 0;          // bytes of `in` taken by the request being answered
    bool keep_alive = false;
    std::string head;
    std::shared_ptr<const std::string> body;
    size_t body_sent = 0;
    bool head_sent = false;
    bool counted_chunks = false;

    explicit Connection(ScrapeServer* s) : server(s) {}
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

    void arm(uint64_t ms) { uv_timer_start(&timer, on_deadline, ms, 0); }
    void start_reading();
    void process_input();
    void respond(Response r, bool keep, bool head_only);
    void send_next();
    void finish_response();
    void linger();
    void out_of_memory();
    void close();

    static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf);
    static void on_written(uv_write_t* req, int status);
    static void on_shutdown(uv_shutdown_t* req, int status);
    static void on_deadline(uv_timer_t* t);
    static void on_closed(uv_handle_t* h);
};

using Connection = ScrapeServer::Connection;

void Connection::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    // One scratch buffer serves every read: the loop is single-threaded and
    // on_read copies what arrived before the next read can happen.
    static char scratch[kReadChunkBytes];
    *buf = uv_buf_init(scratch, sizeof scratch);
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
    if (c->phase != Phase::reading) return;  // lingering: discard
    try {
        c->in.append(buf->base, size_t(n));
        c->process_input();
    } catch (const std::bad_alloc&) {
        c->out_of_memory();
    }
}

// Memory ran out while reading, parsing or answering: a fixed answer that
// needs no allocation, and the connection goes (its buffers with it). The
// loop and every other connection go on.
void Connection::out_of_memory() {
    ++server->counters_.alloc_failures;
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
        "Connection: close\r\nRetry-After: 1\r\n\r\nout of memory, retry later\n";
    if (phase == Phase::reading) {
        uv_buf_t b = uv_buf_init(const_cast<char*>(kBusy.data()), unsigned(kBusy.size()));
        (void)uv_try_write(stream(), &b, 1);
    }
    close();
}

void Connection::process_input() {
    if (in.empty()) return;
    Request req;
    const auto r = parse_request(in, req, kMaxRequestHeadBytes, server->config_.max_body_bytes, parse_state);
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
    Response resp = server->handler_(req);
    respond(std::move(resp), req.keep_alive, req.method == "HEAD");
}

void Connection::respond(Response r, bool keep, bool head_only) {
    ServerCounters& m = server->counters_;
    ++m.requests;
    if (r.status >= 400) ++m.errors;
    keep_alive = keep;
    // A HEAD answer has GET's head, Content-Length included, and no body.
    head = render_head(r, keep);
    if (head_only) r.body.reset();
    body = std::move(r.body);
    body_sent = 0;
    head_sent = false;
    counted_chunks = false;
    phase = Phase::writing;
    arm(kResponseDeadlineMs);
    send_next();
}

void Connection::send_next() {
    uv_buf_t bufs[2];
    unsigned n = 0;
    if (!head_sent) bufs[n++] = uv_buf_init(head.data(), unsigned(head.size()));
    const size_t body_size = body ? body->size() : 0;
    const size_t chunk = std::min(body_size - body_sent, kWriteChunkBytes);
    if (chunk) bufs[n++] = uv_buf_init(const_cast<char*>(body->data() + body_sent), unsigned(chunk));
    if (body_sent + chunk < body_size && !counted_chunks) {
        ++server->counters_.write_chunks;
        counted_chunks = true;
    }
    head_sent = true;
    body_sent += chunk;
    if (uv_write(&write_req, stream(), bufs, n, on_written) != 0) close();
}

void Connection::on_written(uv_write_t* req, int status) {
    auto* c = static_cast<Connection*>(req->handle->data);
    if (c->phase == Phase::closing) return;
    if (status < 0) {
        c->close();
        return;
    }
    if (c->body && c->body_sent < c->body->size()) {
        c->send_next();
        return;
    }
    c->finish_response();
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
    if (in.capacity() > kKeepRequestBufferBytes) std::string(in).swap(in);
    arm(kRequestDeadlineMs);
    start_reading();
    try {
        process_input();  // a pipelined request may be waiting already
    } catch (const std::bad_alloc&) {
        out_of_memory();
    }
}

void Connection::linger() {
    phase = Phase::lingering;
    arm(kLingerMs);
    if (uv_shutdown(&shutdown_req, stream(), on_shutdown) != 0) close();
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) {
    auto* c = static_cast<Connection*>(req->handle->data);
    if (c->phase == Phase::closing) return;
    if (status < 0) {
        c->close();
        return;
    }
    uv_read_start(c->stream(), on_alloc, on_read);
}

void Connection::on_deadline(uv_timer_t* t) {
    auto* c = static_cast<Connection*>(t->data);
    ServerCounters& m = c->server->counters_;
    // An idle keep-alive connection timing out is normal, not a limit hit.
    if (c->phase == Phase::reading && !c->in.empty()) ++m.request_deadline;
    if (c->phase == Phase::writing) ++m.response_deadline;
    c->close();
}

void Connection::close() {
    if (phase == Phase::closing) return;
    phase = Phase::closing;
    ScrapeServer* s = server;
    if (prev) prev->next = next;
    else s->connections_ = next;
    if (next) next->prev = prev;
    --s->counters_.connections_open;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
}

void Connection::on_closed(uv_handle_t* h) {
    auto* c = static_cast<Connection*>(h->data);
    if (--c->open_handles == 0) delete c;
}

ScrapeServer::ScrapeServer(uv_loop_t* loop, ServerConfig config, Handler handler)
    : loop_(loop), config_(config), handler_(std::move(handler)) {}

ScrapeServer::~ScrapeServer() { close(); }

int ScrapeServer::listen(const std::string& host, int port, std::string& bound) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    uv_getaddrinfo_t req;
    const std::string service = std::to_string(port);
    // Synchronous (no callback): runs once at start-up, before the loop.
    int rc = uv_getaddrinfo(loop_, &req, nullptr, host.c_str(), service.c_str(), &hints);
    if (rc != 0) return rc;
    UvHandle<uv_tcp_t> l;
    rc = uv_tcp_init(loop_, l.get());
    if (rc == 0) {
        l.mark_initialized();
        rc = uv_tcp_bind(l.get(), req.addrinfo->ai_addr, 0);
    }
    uv_freeaddrinfo(req.addrinfo);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(l.get()), SOMAXCONN, on_connection);
    if (rc != 0) return rc;
    l.get()->data = this;
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getsockname(l.get(), reinterpret_cast<sockaddr*>(&ss), &len);
    char ip[64] = {0};
    int real_port = 0;
    if (ss.ss_family == AF_INET6) {
        const auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        uv_ip6_name(a, ip, sizeof ip);
        real_port = ntohs(a->sin6_port);
        bound = "[" + std::string(ip) + "]:" + std::to_string(real_port);
    } else {
        const auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        uv_ip4_name(a, ip, sizeof ip);
        real_port = ntohs(a->sin_port);
        bound = std::string(ip) + ":" + std::to_string(real_port);
    }
    listeners_.push_back(std::move(l));
    return 0;
}

void ScrapeServer::on_connection(uv_stream_t* listener, int status) {
    if (status < 0) return;
    static_cast<ScrapeServer*>(listener->data)->accept_one(listener);
}

void ScrapeServer::accept_one(uv_stream_t* listener) {
    auto* c = new Connection(this);
    uv_tcp_init(loop_, &c->tcp);
    uv_timer_init(loop_, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = connections_;
    if (connections_) connections_->prev = c;
    connections_ = c;
    ++counters_.connections_open;
    if (uv_accept(listener, c->stream()) != 0) {
        c->close();
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (counters_.connections_open > config_.max_connections) {
        // Over the cap: answer 503 with one non-blocking write and close.
        ++counters_.connections_limit;
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n"
            "Connection: close\r\nRetry-After: 1\r\n\r\ntoo many connections, retry later\n";
        uv_buf_t b = uv_buf_init(const_cast<char*>(kBusy.data()), unsigned(kBusy.size()));
        (void)uv_try_write(c->stream(), &b, 1);
        c->close();
        return;
    }
    c->arm(kRequestDeadlineMs);
    c->start_reading();
}

void ScrapeServer::close() {
    for (auto& l : listeners_) l.close();
    listeners_.clear();
    while (connections_) connections_->close();
}

}  // namespace mmwatch::http
