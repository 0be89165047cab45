// The listener: accepts, the connection cap with shedding, and the
// response budget. Connections themselves are in connection.cpp.
#include "http/server.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "base/limits.hpp"
#include "http/connection.hpp"
#include "http/h2_connection.hpp"
#include "http/tls.hpp"

namespace mmwatch::http {

Server::Server(uv_loop_t* loop, ServerConfig config, Handler& handler)
    : loop_(loop), config_(config), handler_(&handler) {}

Server::Server(uv_loop_t* loop, ServerConfig config, H2Listener& h2) : loop_(loop), config_(config), h2_(&h2) {}

Server::~Server() { close(); }

int Server::listen(const std::string& host, int port, std::string& bound) {
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

void Server::on_connection(uv_stream_t* listener, int status) {
    if (status < 0) return;
    static_cast<Server*>(listener->data)->accept_one(listener);
}

void Server::accept_one(uv_stream_t* listener) {
    auto* c = new (std::nothrow) Connection(this);
    if (!c) {
        ++counters_.alloc_failures;
        return;
    }
    uv_tcp_init(loop_, &c->tcp);
    uv_timer_init(loop_, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    if (counters_.connections_open >= config_.max_connections) (void)shed_one(uv_now(loop_));
    c->next = connections_;
    if (connections_) connections_->prev = c;
    connections_ = c;
    ++counters_.connections_open;
    if (uv_accept(listener, c->stream()) != 0) {
        c->close();
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    if (config_.tls) {
        c->tls.reset(new (std::nothrow) TlsSession(config_.tls->for_new_connection(uv_now(loop_)), h2_ != nullptr));
        if (!c->tls || !c->tls->valid()) {
            ++counters_.alloc_failures;
            c->close();
            return;
        }
    }
    if (counters_.connections_open > config_.max_connections) {
        // Full of connections that all earn their slot: answer 503 with one
        // non-blocking write and close.
        ++counters_.connections_limit;
        static constexpr std::string_view kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 34\r\n"
            "Connection: close\r\nRetry-After: 1\r\n\r\ntoo many connections, retry later\n";
        c->refuse(h2_ ? h2_too_many_connections() : kBusy);
        return;
    }
    if (h2_) {
        c->h2.reset(new (std::nothrow) H2Connection(*c, *h2_));
        if (!c->h2) {
            ++counters_.alloc_failures;
            c->close();
            return;
        }
    }
    c->wait_for_request();
}

bool Server::shed_one(uint64_t now) {
    // Idle the longest first (never sent a byte, or waiting between
    // keep-alive requests), then the one furthest behind its minimum rate.
    Connection* idle = nullptr;
    Connection* slow = nullptr;
    for (Connection* c = connections_; c; c = c->next) {
        if (c->idle()) {
            if (!idle || c->phase_start_ms < idle->phase_start_ms) idle = c;
        } else if (c->behind_minimum_rate(now)) {
            if (!slow || c->rate(now) < slow->rate(now)) slow = c;
        }
    }
    if (idle) {
        ++counters_.shed_idle;
        idle->close();
        return true;
    }
    if (slow) {
        ++counters_.shed_slow;
        slow->close();
        return true;
    }
    return false;
}

void Server::hold_response_budget(const std::string* newest) {
    // Each distinct body once: every scrape of one render shares it.
    struct Held {
        const std::string* body;
        Connection* reader;
    };
    std::vector<Held> held;
    for (Connection* c = connections_; c; c = c->next) {
        if (c->phase == Connection::Phase::writing && c->body) held.push_back({c->body.get(), c});
    }
    std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) { return a.body < b.body; });
    uint64_t bytes = 0;
    for (size_t i = 0; i < held.size(); ++i) {
        if (i == 0 || held[i].body != held[i - 1].body) bytes += held[i].body->size();
    }
    if (bytes <= config_.response_memory) return;
    // Over: cut the slowest readers of older bodies, whose bodies only they
    // keep alive, until the budget holds (the newest body is everyone's).
    const uint64_t now = uv_now(loop_);
    std::vector<Held> old;
    for (const Held& h : held) {
        if (h.body != newest) old.push_back(h);
    }
    std::sort(old.begin(), old.end(), [now](const Held& a, const Held& b) { return a.reader->rate(now) < b.reader->rate(now); });
    for (const Held& h : old) {
        if (bytes <= config_.response_memory) break;
        const std::string* body = h.body;
        const long users = h.reader->body.use_count();
        ++counters_.response_memory;
        h.reader->close();
        // The body's bytes are freed once its last reader is gone (the page
        // holds only the newest).
        if (users == 1) bytes -= body->size();
    }
}

void Server::close() {
    for (auto& l : listeners_) l.close();
    listeners_.clear();
    while (connections_) connections_->close();
}

}  // namespace mmwatch::http
