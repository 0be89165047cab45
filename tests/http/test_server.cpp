// http::Server on a real libuv loop and real loopback sockets, driven one
// loop turn at a time from the test: the connection cap's two shares (who
// is shed, who is kept, who is told), and the guard at every connection
// callback, shown by a handler that throws.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http/server.hpp"

using namespace mmwatch;
using namespace mmwatch::http;

namespace {

// Answers 200 "ok", or throws what the test asks for.
struct Answers final : Handler {
    enum class Throw { nothing, runtime_error, bad_alloc } next = Throw::nothing;
    Response respond(const Request&) override {
        const Throw t = next;
        next = Throw::nothing;
        if (t == Throw::runtime_error) throw std::runtime_error("injected");
        if (t == Throw::bad_alloc) throw std::bad_alloc();
        return Response::text(200, "ok\n");
    }
};

struct Rig {
    uv_loop_t loop{};
    Answers answers;
    std::unique_ptr<Server> server;
    int port = 0;

    explicit Rig(size_t max_connections) {
        REQUIRE(uv_loop_init(&loop) == 0);
        ServerConfig c;
        c.max_connections = max_connections;
        c.max_body_bytes = 1 << 20;
        server = std::make_unique<Server>(&loop, c, answers);
        std::string bound;
        REQUIRE(server->listen("127.0.0.1", 0, bound) == 0);
        port = std::stoi(bound.substr(bound.rfind(':') + 1));
    }
    ~Rig() {
        server->close();
        uv_run(&loop, UV_RUN_DEFAULT);
        server.reset();
        uv_run(&loop, UV_RUN_DEFAULT);
        (void)uv_loop_close(&loop);
    }
    // A few loop turns: what the sockets have to say is read and answered.
    void turns(int n = 20) {
        for (int i = 0; i < n; ++i) {
            uv_run(&loop, UV_RUN_NOWAIT);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    // From `source` (127.0.0.1 by default; Linux routes all of 127/8 to lo),
    // accepted by the loop.
    int connect(const char* source = nullptr) {
        const int fd = dial(source);
        turns(3);  // accepted
        return fd;
    }
    // Connected, waiting in the listener's backlog until the loop turns.
    int dial(const char* source = nullptr) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (source) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            REQUIRE(::inet_pton(AF_INET, source, &from.sin_addr) == 1);
            REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
        }
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(uint16_t(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        return fd;
    }
};

void send_all(int fd, std::string_view s) { REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size())); }

// What the server sent so far ("" if nothing; "EOF" appended once closed).
std::string received(Rig& rig, int fd) {
    rig.turns();
    std::string out;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) != 1) break;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            out += "EOF";
            break;
        }
        out.append(buf, size_t(n));
    }
    return out;
}

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

}  // namespace

TEST_CASE("a_handler_that_throws_is_answered_500_or_503_and_the_server_goes_on") {
    Rig rig(16);
    int fd = rig.connect();
    rig.answers.next = Answers::Throw::runtime_error;
    send_all(fd, kGet);
    std::string r = received(rig, fd);
    CHECK(r.starts_with("HTTP/1.1 500 "));
    CHECK(r.ends_with("EOF"));
    ::close(fd);
    fd = rig.connect();
    rig.answers.next = Answers::Throw::bad_alloc;
    send_all(fd, kGet);
    r = received(rig, fd);
    CHECK(r.starts_with("HTTP/1.1 503 "));
    ::close(fd);
    fd = rig.connect();
    send_all(fd, kGet);
    CHECK(received(rig, fd).starts_with("HTTP/1.1 200 "));
    ::close(fd);
    CHECK(rig.server->counters().exceptions == 1);
    CHECK(rig.server->counters().alloc_failures == 1);
}

// --max-connections 8: two newcomers, six proven. A scraper that completed a
// request is never shed for newcomers, however many come.
TEST_CASE("a_proven_connection_outlives_a_flood_of_newcomers") {
    Rig rig(8);
    const int scraper = rig.connect();
    send_all(scraper, kGet);
    REQUIRE(received(rig, scraper).starts_with("HTTP/1.1 200 "));
    std::vector<int> flood;
    for (int i = 0; i < 20; ++i) {
        flood.push_back(rig.connect());
        send_all(flood.back(), "G");  // one byte, then silence
        rig.turns(2);
    }
    CHECK(rig.server->counters().shed_newcomers >= 18);
    CHECK(rig.server->counters().connections_open == 3);  // the scraper and two newcomers
    send_all(scraper, kGet);
    CHECK(received(rig, scraper).starts_with("HTTP/1.1 200 "));
    // The shed ones were told: 503 with Retry-After, then closed.
    const std::string told = received(rig, flood.front());
    CHECK(told.starts_with("HTTP/1.1 503 "));
    CHECK(told.find("Retry-After: 1\r\n") != std::string::npos);
    for (int fd : flood) ::close(fd);
    ::close(scraper);
}

// A new connection per scrape from an address that completed a request is
// shed only after every newcomer from an address never seen: a flood from
// 127.0.0.2 while the scraper's next connection (127.0.0.1) waits the
// longest of all. One from an unknown address, when every other newcomer
// is from a proven one, is the one told to go.
TEST_CASE("a_newcomer_from_a_proven_address_outlives_a_flood_from_unknown_ones") {
    Rig rig(8);  // two newcomers, six proven
    int scraper = rig.connect();
    send_all(scraper, kGet);
    REQUIRE(received(rig, scraper).starts_with("HTTP/1.1 200 "));
    ::close(scraper);
    rig.turns();
    scraper = rig.connect();  // a new connection, silent for now: the stalest
    std::vector<int> flood;
    for (int i = 0; i < 20; ++i) {
        flood.push_back(rig.connect("127.0.0.2"));
        send_all(flood.back(), "G");
        rig.turns(2);
    }
    CHECK(rig.server->counters().shed_newcomers >= 19);
    send_all(scraper, kGet);
    CHECK(received(rig, scraper).starts_with("HTTP/1.1 200 "));
    for (int fd : flood) ::close(fd);
    rig.turns();
    // Two newcomers from the proven address fill the share: a third from
    // an unknown one is turned away, not them.
    const int second = rig.connect();
    const int third = rig.connect();
    const uint64_t refused = rig.server->counters().connections_limit;
    const int stranger = rig.connect("127.0.0.3");
    CHECK(received(rig, stranger).starts_with("HTTP/1.1 503 "));
    CHECK(rig.server->counters().connections_limit == refused + 1);
    for (int fd : {second, third}) {
        send_all(fd, kGet);
        CHECK(received(rig, fd).starts_with("HTTP/1.1 200 "));
    }
    for (int fd : {scraper, second, third, stranger}) ::close(fd);
}

// The newcomer that has waited longest on its client goes first; one that
// has its request answered earns credit over one that sent nothing.
TEST_CASE("the_newcomer_waiting_longest_is_shed_first") {
    Rig rig(8);
    const int old_silent = rig.connect();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int fresh = rig.connect();
    const int newcomer = rig.connect();  // over the share of two: old_silent goes
    CHECK(received(rig, old_silent).ends_with("EOF"));
    CHECK(received(rig, fresh).empty());
    CHECK(received(rig, newcomer).empty());
    for (int fd : {old_silent, fresh, newcomer}) ::close(fd);
}

// When the proven share is full, a newcomer is still served, with
// Connection: close, and counted: new scrapers are never locked out by
// connections that hold proven slots.
TEST_CASE("a_newcomer_past_the_full_proven_share_is_answered_and_closed") {
    Rig rig(4);  // one newcomer, three proven
    std::vector<int> kept;
    for (int i = 0; i < 3; ++i) {
        kept.push_back(rig.connect());
        send_all(kept.back(), kGet);
        REQUIRE(received(rig, kept.back()).find("Connection: keep-alive") != std::string::npos);
    }
    const int late = rig.connect();
    send_all(late, kGet);
    const std::string r = received(rig, late);
    CHECK(r.starts_with("HTTP/1.1 200 "));
    CHECK(r.find("Connection: close") != std::string::npos);
    CHECK(rig.server->counters().proven_limit == 1);
    // `late`, answered and lingering, is the first newcomer shed for the
    // next one (the one looked at first: it was a crash once).
    const int next = rig.connect();
    send_all(next, kGet);
    CHECK(received(rig, next).starts_with("HTTP/1.1 200 "));
    CHECK(received(rig, late).ends_with("EOF"));
    ::close(next);
    for (int fd : kept) {
        send_all(fd, kGet);
        CHECK(received(rig, fd).starts_with("HTTP/1.1 200 "));
        ::close(fd);
    }
    ::close(late);
}

// More connections at once than a turn accepts: the rest wait in the
// backlog for the next turns (counted), and every one is served.
TEST_CASE("a_burst_is_accepted_a_few_per_turn_and_all_served") {
    Rig rig(256);  // newcomers' share 64: 16 accepted per turn
    std::vector<int> burst;
    for (int i = 0; i < 40; ++i) {
        const int fd = rig.dial();
        send_all(fd, kGet);
        burst.push_back(fd);
    }
    rig.turns(1);
    CHECK(rig.server->counters().accept_budget >= 1);
    for (int fd : burst) {
        CHECK(received(rig, fd).starts_with("HTTP/1.1 200 "));
        ::close(fd);
    }
}

// Connections whose clients closed their side before saying anything (a
// flood that gave up on them while they waited in the backlog) are closed
// as they are taken, counted, and shed no live newcomer; one that sent
// its whole request before closing its side is still answered.
TEST_CASE("connections_whose_client_has_gone_are_closed_at_once_and_shed_no_one") {
    Rig rig(8);  // newcomers' share 2: the live one and the whole request
    const int live = rig.connect();
    std::vector<int> gone;
    for (int i = 0; i < 10; ++i) {
        gone.push_back(rig.dial());
        REQUIRE(::shutdown(gone.back(), SHUT_WR) == 0);
    }
    const int whole = rig.dial();
    send_all(whole, kGet);
    REQUIRE(::shutdown(whole, SHUT_WR) == 0);
    rig.turns();
    CHECK(rig.server->counters().client_gone == 10);
    CHECK(rig.server->counters().shed_newcomers == 0);
    for (int fd : gone) {
        CHECK(received(rig, fd) == "EOF");
        ::close(fd);
    }
    CHECK(received(rig, whole).starts_with("HTTP/1.1 200 "));
    send_all(live, kGet);
    CHECK(received(rig, live).starts_with("HTTP/1.1 200 "));
    ::close(live);
    ::close(whole);
}

// Among newcomers from proven addresses, one whose address holds other
// newcomers goes before one that is its address's only one, stalest or
// not: a flood from one proven address (pullers behind one NAT) sheds
// itself, not the scraper that opens a connection per scrape.
TEST_CASE("a_lone_newcomer_outlives_a_crowd_from_another_proven_address") {
    Rig rig(8);  // newcomers' share 2
    for (const char* source : {"127.0.0.1", "127.0.0.2"}) {
        const int fd = rig.connect(source);
        send_all(fd, kGet);
        REQUIRE(received(rig, fd).starts_with("HTTP/1.1 200 "));
        ::close(fd);
    }
    rig.turns();
    const int lone = rig.connect("127.0.0.1");  // silent: the stalest
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const int crowd_a = rig.connect("127.0.0.2");
    const int crowd_b = rig.connect("127.0.0.2");  // over the share: crowd_a goes
    CHECK(received(rig, crowd_a).ends_with("EOF"));
    CHECK(received(rig, crowd_b).empty());
    CHECK(received(rig, lone).empty());
    send_all(lone, kGet);
    CHECK(received(rig, lone).starts_with("HTTP/1.1 200 "));
    for (int fd : {lone, crowd_a, crowd_b}) ::close(fd);
}
