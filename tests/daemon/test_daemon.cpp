// The daemon's own callbacks under the one guard policy (base/guard.hpp),
// shown by injection: a hook that throws inside the tick, the way a bug or
// memory running out would. The tick is skipped and counted; the loop, and
// the ticks after it, go on.
#include <doctest/doctest.h>

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

}  // namespace

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
