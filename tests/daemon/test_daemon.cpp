// The daemon's own callbacks under the one guard policy (base/guard.hpp),
// shown by injection: a hook that throws inside the tick or a push
// callback, the way a bug or memory running out would. The callback's work
// is skipped and counted; the loop, and the callbacks after it, go on.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <new>
#include <stdexcept>
#include <string>

#include "daemon/daemon.hpp"
#include "daemon/options.hpp"
#include "support/temp_dir.hpp"

using namespace mmwatch;

namespace {

int ticks_seen = 0;

// Ticks 1 and 2 throw (an exception, then out of memory); tick 5 ends the run.
void throw_in_ticks(std::string_view where) {
    if (where != "tick") return;
    ++ticks_seen;
    if (ticks_seen == 1) throw std::runtime_error("injected");
    if (ticks_seen == 2) throw std::bad_alloc();
    if (ticks_seen == 5) std::raise(SIGTERM);  // the daemon's signal handler stops the loop
}

// The push test: its daemon, the push callbacks that threw, and the ticks
// it may run before it gives up (a transfer that never ends).
const daemon::Daemon* pushing = nullptr;
int push_throws = 0;
int push_ticks = 0;
constexpr int kMaxPushTicks = 6000;  // 60 s at 10 ms: only reached if the push hangs

// The first curl timer and socket callbacks throw (an exception, then out
// of memory); the run ends once a push was accepted after them.
void throw_in_push(std::string_view where) {
    if (where == "push_timer" && push_throws == 0) {
        ++push_throws;
        throw std::runtime_error("injected");
    }
    if (where == "push_socket" && push_throws == 1) {
        ++push_throws;
        throw std::bad_alloc();
    }
    if (where != "tick") return;
    const push::SenderCounters& c = pushing->pusher().senders().front()->counters();
    if ((push_throws == 2 && c.last_success_unix_ms != 0) || ++push_ticks == kMaxPushTicks) std::raise(SIGTERM);
}

// A port free on 127.0.0.1 now (the daemon binds it next).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

}  // namespace

// The daemon pushes to its own POST /api/v1/write: a push accepted after
// the injected failures shows both the sender and the listener went on.
TEST_CASE("an_exception_in_a_push_callback_is_counted_and_the_push_and_the_server_go_on") {
    test::TempDir dir;
    std::string error;
    const std::string addr = "127.0.0.1:" + std::to_string(free_port());
    const auto options = daemon::parse_options({"--dir", dir.path(), "--listen", addr, "--interval", "10ms",
                                                "--remote-write", "http://" + addr + "/api/v1/write",
                                                "--remote-write-interval", "1s", "--remote-write-job", "pushed"},
                                               error);
    REQUIRE(options);
    daemon::Daemon d(*options);
    REQUIRE(d.start(error));
    pushing = &d;
    push_throws = push_ticks = 0;
    d.set_fault_injection(throw_in_push);
    d.run();
    CHECK(push_ticks < kMaxPushTicks);
    CHECK(push_throws == 2);
    CHECK(d.pusher().callback_failures() == 2);
    CHECK(d.pusher().senders().front()->counters().last_success_unix_ms != 0);
    CHECK(d.stats().tick_exceptions == 0);
}

TEST_CASE("an_exception_in_a_tick_is_counted_and_the_loop_goes_on") {
    test::TempDir dir;
    std::string error;
    const auto options = daemon::parse_options({"--dir", dir.path(), "--listen", "127.0.0.1:0", "--interval", "10ms"}, error);
    REQUIRE(options);
    daemon::Daemon d(*options);
    REQUIRE(d.start(error));
    ticks_seen = 0;
    d.set_fault_injection(throw_in_ticks);
    d.run();
    CHECK(ticks_seen == 5);  // ticks 3 to 5 ran after the two that threw
    CHECK(d.stats().tick_exceptions == 1);
    CHECK(d.stats().tick_alloc_failures == 1);
}
