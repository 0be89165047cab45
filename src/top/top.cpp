#include "top/top.hpp"

#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <langinfo.h>
#include <thread>
#include <unistd.h>

#include "base/limits.hpp"
#include "top/client.hpp"
#include "top/layout.hpp"
#include "top/poller.hpp"
#include "top/screen.hpp"

namespace mmwatch::top {
namespace {

double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

State initial_state(const Options& o) {
    State s;
    for (size_t i = 0; i < kViewCount; ++i)
        if (o.view == view_name(View(i)))
            s.view = View(i);
    s.filter = o.filter;
    return s;
}

// Plain tables: --once, or stdout not a terminal, or a terminal ncurses
// cannot drive (TERM=dumb has no cursor addressing).
int run_plain(const Options& o) {
    Client client(o);
    State state = initial_state(o);
    Snapshot snap;
    snap.url = o.url;
    for (;;) {
        const double now = unix_now();
        poll(client, state, snap, base::kTopPlainRateRows, now);
        if (!snap.connected)
            std::fprintf(stderr, "mmwatch top: disconnected from %s: %s\n", o.url.c_str(), snap.error.c_str());
        else if (!snap.query_error.empty())
            std::fprintf(stderr, "mmwatch top: %s\n", snap.query_error.c_str());
        else
            std::fputs(plain_table(state, snap, now).c_str(), stdout);
        std::fflush(stdout);
        if (o.once)
            return snap.connected && snap.query_error.empty() ? 0 : 1;
        std::fputc('\n', stdout);
        std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
    }
}

int run_screen(const Options& o, Glyphs glyphs, bool color) {
    Screen screen;
    if (!screen.start(color)) {
        std::fputs("mmwatch top: this terminal cannot be driven (TERM); use --once\n", stderr);
        return 2;
    }
    Client client(o);
    State state = initial_state(o);
    Snapshot snap;
    snap.url = o.url;
    double next_poll = 0;
    while (!state.quit) {
        const double now = unix_now();
        auto [cols, lines] = screen.size();
        const size_t page = page_rows(lines);
        if ((!state.paused && now >= next_poll) || state.refresh_now || next_poll == 0) {
            poll(client, state, snap, page, now);
            next_poll = now + double(o.interval_ms) / 1000;
            state.refresh_now = false;
        }
        clamp(state, row_count(state, snap), page);
        screen.draw(layout(state, snap, cols, lines, glyphs, unix_now()));
        const double wait_s = state.paused ? 1.0 : next_poll - unix_now();
        const Key key = screen.read_key(wait_s > 0 ? int(wait_s * 1000) + 1 : 0);
        if (key.kind != Key::none)
            handle_key(state, key, row_count(state, snap), page_rows(screen.size().second));
    }
    return 0;
}

}  // namespace

int run(const std::vector<std::string_view>& args) {
    std::string error;
    const auto options = parse_options(args, error);
    if (!options) {
        std::fprintf(stderr, "mmwatch top: %s\n", error.c_str());
        return 2;
    }
    if (options->help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    std::setlocale(LC_ALL, "");
    const Glyphs glyphs = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? Glyphs::utf8 : Glyphs::ascii;
    const char* term = std::getenv("TERM");
    const bool dumb = !term || !*term || std::strcmp(term, "dumb") == 0;
    if (options->once || dumb || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
        return run_plain(*options);
    const char* no_color = std::getenv("NO_COLOR");
    return run_screen(*options, glyphs, !(no_color && *no_color));
}

}  // namespace mmwatch::top
