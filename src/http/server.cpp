// The listener: accepts, the connection cap and its two shares with
// shedding, and the response budget. Connections themselves are in
// connection.cpp.
#include "http/server.hpp"

#include <poll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "base/guard.hpp"
#include "base/limits.hpp"
#include "http/connection.hpp"
#include "http/h2_connection.hpp"
#include "http/tls.hpp"

namespace mmwatch::http {

Server::Server(uv_loop_t* loop, ServerConfig config, Handler& handler)
    : loop_(loop), config_(config), handler_(&handler) {
    split_cap();
}

Server::Server(uv_loop_t* loop, ServerConfig config, H2Listener& h2) : loop_(loop), config_(config), h2_(&h2) {
    split_cap();
}

// The cap, split between newcomers and proven connections.
void Server::split_cap() noexcept {
    newcomers_.share = std::max<size_t>(1, config_.max_connections * base::kUnprovenSharePercent / 100);
    proven_.share = config_.max_connections > newcomers_.share ? config_.max_connections - newcomers_.share : 0;
}

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
    if (listeners_.empty()) {
        uv_prepare_init(loop_, pacer_.get());
        pacer_.mark_initialized();
        pacer_.get()->data = this;
        uv_prepare_start(pacer_.get(), on_turn);
        uv_idle_init(loop_, writer_.get());
        writer_.mark_initialized();
        writer_.get()->data = this;
    }
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
    auto* server = static_cast<Server*>(listener->data);
    if (!server->accept_one(listener)) server->paused_.push_back(listener);
}

void Server::on_turn(uv_prepare_t* pacer) {
    auto* server = static_cast<Server*>(pacer->data);
    server->accepts_this_turn_ = 0;
    server->taken_this_turn_ = 0;
    while (!server->paused_.empty()) {
        uv_stream_t* listener = server->paused_.back();
        if (!server->accept_one(listener)) break;
        server->paused_.pop_back();
    }
}

void Server::want_write(Connection* c) noexcept {
    writes_.ready(*c, c->client);
    if (uv_handle_t* w = writer_.handle(); w && !uv_is_active(w)) uv_idle_start(writer_.get(), on_write_turn);
}

void Server::on_write_turn(uv_idle_t* writer) {
    auto* server = static_cast<Server*>(writer->data);
    if (server->writes_.run_turn(base::kWriteTurnBytes)) {
        ++server->counters_.write_turn_budget;
        return;
    }
    uv_idle_stop(writer);
}

// At most a quarter of the newcomers' share is admitted per loop turn
// (kMaxAcceptsPerTurn at most): a burst larger than the share never sheds
// a newcomer accepted in the same turn, before its first bytes were read.
// One whose client has already gone is closed at once, without a TLS
// session or shedding anyone, and counts only against kMaxTakenPerTurn:
// the backlog a flood leaves behind drains fast.
bool Server::accept_one(uv_stream_t* listener) {
    const size_t budget = std::clamp<size_t>(newcomers_.share / 4, 1, base::kMaxAcceptsPerTurn);
    if (accepts_this_turn_ >= budget || taken_this_turn_ >= base::kMaxTakenPerTurn) {
        ++counters_.accept_budget;
        return false;
    }
    auto* c = new (std::nothrow) Connection(this);
    if (!c) {
        ++counters_.alloc_failures;
        return false;
    }
    ++taken_this_turn_;
    uv_tcp_init(loop_, &c->tcp);
    uv_timer_init(loop_, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->sequence = ++accepted_;
    c->accepted_ms = uv_now(loop_);
    c->moved_ns = uv_hrtime();
    link(newcomers_, c);
    if (uv_accept(listener, c->stream()) != 0) {
        c->close();
        return true;
    }
    if (client_gone(c)) {
        ++counters_.client_gone;
        c->close();
        return true;
    }
    ++accepts_this_turn_;
    base::guarded([&] { admit(c); },
                  [&](base::Failure f) {
                      ++(f == base::Failure::out_of_memory ? counters_.alloc_failures : counters_.exceptions);
                      c->close();
                  });
    return true;
}

// A new connection: room is made in the newcomers' share, its TLS session
// made, and it waits for its first bytes.
void Server::admit(Connection* c) {
    uv_tcp_nodelay(&c->tcp, 1);
    c->client = client_address(c->tcp);
    newcomer_addresses_.add(c->client);
    c->address_counted = true;
    if (newcomers_.count > newcomers_.share && !shed_newcomer(c)) {
        // No other newcomer to make room: this one is told, and goes.
        ++counters_.connections_limit;
        c->turn_away();
        return;
    }
    if (config_.tls) {
        c->tls.reset(new (std::nothrow) TlsSession(config_.tls->for_new_connection(uv_now(loop_)), h2_ != nullptr));
        if (!c->tls || !c->tls->valid()) {
            ++counters_.alloc_failures;
            c->close();
            return;
        }
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

// The newcomers' share is full: newcomers from addresses never proven go
// before those from proven addresses (a Prometheus that opens a connection
// per scrape comes from the address its earlier scrapes proved); among
// proven ones, those whose address holds other newcomers before one that
// is its address's only one (AddressCounts); among one kind, the one
// that has waited on its client the longest goes (one
// lingering after its answer first; then by the time of its last byte in
// or write done, to the nanosecond, plus the credit of how far into its
// first request it is). Proven connections are never shed for a newcomer:
// a scraper's kept connection survives any flood of new ones.
bool Server::shed_newcomer(const Connection* arriving) {
    const bool arriving_proven = from_proven_address(arriving);
    for (size_t peeks = 0;; ++peeks) {
        Connection* victim = stalest_newcomer(arriving);
        if (!victim || (!arriving_proven && from_proven_address(victim))) return false;
        // One whose bytes wait unread in the kernel is not waiting on its
        // client: the loop is behind (a flood's turn reads many). It counts
        // as just moved and the next stalest is looked at, a few at most.
        if (peeks < base::kShedPeeksPerNewcomer && has_unread_bytes(victim)) {
            victim->moved_ns = uv_hrtime();
            continue;
        }
        ++counters_.shed_newcomers;
        victim->turn_away();
        return true;
    }
}

Server::Connection* Server::stalest_newcomer(const Connection* except) const noexcept {
    Connection* victim = nullptr;
    uint64_t victim_moved = 0;
    int victim_rank = 0;
    for (Connection* c = newcomers_.head; c; c = c->next) {
        if (c == except) continue;
        const uint64_t moved = c->shed_order();
        // Unknown addresses go first; then, among proven ones, an address
        // holding other newcomers before one holding only this one; among
        // one rank, the stalest.
        const int rank = !from_proven_address(c) ? 0 : newcomer_addresses_.count(c->client) > 1 ? 1 : 2;
        if (victim) {
            const bool staler = moved < victim_moved || (moved == victim_moved && c->sequence > victim->sequence);
            if (rank > victim_rank || (rank == victim_rank && !staler)) continue;
        }
        victim = c;
        victim_moved = moved;
        victim_rank = rank;
    }
    return victim;
}

// One already answered and lingering is not spared for its address: it
// has had its answer, and is the first to go anyway.
bool Server::from_proven_address(const Connection* c) const noexcept {
    return c->phase != Connection::Phase::lingering && proven_addresses_.contains(c->client);
}

bool Server::has_unread_bytes(const Connection* c) noexcept {
    uv_os_fd_t fd = -1;
    int n = 0;
    return uv_fileno(reinterpret_cast<const uv_handle_t*>(&c->tcp), &fd) == 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

// A TLS client that closed its side cannot finish its handshake (its
// next flight is still to come); a plain one that did so without a byte
// has nothing to answer. Either is closed before any work is done for it.
bool Server::client_gone(const Connection* c) const noexcept {
    uv_os_fd_t fd = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&c->tcp), &fd) != 0) return false;
    pollfd p{fd, POLLRDHUP, 0};
    if (poll(&p, 1, 0) != 1) return false;
    if (p.revents & (POLLHUP | POLLERR)) return true;  // reset, or closed both ways
    if (!(p.revents & POLLRDHUP)) return false;
    return config_.tls != nullptr || !has_unread_bytes(c);
}

bool Server::prove(Connection* c) {
    if (proven_.count >= proven_.share) {
        ++counters_.proven_limit;
        return false;
    }
    unlink(c);
    link(proven_, c);
    c->proven = true;
    return true;
}

void Server::link(Pool& pool, Connection* c) noexcept {
    c->pool = &pool;
    c->prev = nullptr;
    c->next = pool.head;
    if (pool.head) pool.head->prev = c;
    pool.head = c;
    ++pool.count;
    ++counters_.connections_open;
}

void Server::unlink(Connection* c) noexcept {
    if (c->address_counted) {
        newcomer_addresses_.remove(c->client);
        c->address_counted = false;
    }
    Pool& pool = *c->pool;
    if (c->prev) c->prev->next = c->next;
    else pool.head = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = nullptr;
    --pool.count;
    --counters_.connections_open;
}

template <typename F>
void Server::for_each_connection(F f) const {
    for (const Pool* p : {&proven_, &newcomers_}) {
        for (Connection* c = p->head; c; c = c->next) f(c);
    }
}

void Server::hold_response_budget(const std::string* newest) {
    // Each distinct body once: every scrape of one render shares it.
    struct Held {
        const std::string* body;
        Connection* reader;
    };
    std::vector<Held> held;
    for_each_connection([&](Connection* c) {
        if (c->phase == Connection::Phase::writing && c->body) held.push_back({c->body.get(), c});
    });
    std::sort(held.begin(), held.end(), [](const Held& a, const Held& b) { return a.body < b.body; });
    uint64_t bytes = tls_bytes_;
    for (size_t i = 0; i < held.size(); ++i) {
        if (i == 0 || held[i].body != held[i - 1].body) bytes += held[i].body->size();
    }
    if (bytes <= config_.response_memory) return;
    // Over: cut the slowest readers of older bodies, whose bodies only they
    // keep alive, then the slowest TLS readers of the newest (their records
    // are theirs alone), until the budget holds.
    const uint64_t now = uv_now(loop_);
    std::vector<Held> cut;
    for (const Held& h : held) {
        if (h.body != newest || h.reader->tls_counted) cut.push_back(h);
    }
    std::stable_sort(cut.begin(), cut.end(), [&](const Held& a, const Held& b) {
        if ((a.body == newest) != (b.body == newest)) return a.body != newest;
        return a.reader->rate(now) < b.reader->rate(now);
    });
    for (const Held& h : cut) {
        if (bytes <= config_.response_memory) break;
        const std::string* body = h.body;
        const bool last_reader = h.reader->body.use_count() == 1 && body != newest;
        const uint64_t records = h.reader->tls_counted;
        ++counters_.response_memory;
        h.reader->close();
        // The body's bytes are freed once its last reader is gone (the page
        // holds only the newest); a reader's records go with it.
        bytes -= records + (last_reader ? body->size() : 0);
    }
}

void Server::close() {
    for (auto& l : listeners_) l.close();
    listeners_.clear();
    paused_.clear();
    pacer_.close();
    writer_.close();
    while (proven_.head) proven_.head->close();
    while (newcomers_.head) newcomers_.head->close();
}

}  // namespace mmwatch::http
