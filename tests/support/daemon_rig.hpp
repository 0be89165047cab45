// The daemon's parts without the loop: a watcher on a temp dir, the page,
// the router and an OTLP store and receiver, wired as daemon.cpp wires
// them, driven by a fake clock.
#pragma once

#include <memory>
#include <string>

#include "daemon/metrics_page.hpp"
#include "daemon/routes.hpp"
#include "daemon/self_metrics.hpp"
#include "files/guarded_copy.hpp"
#include "files/watcher.hpp"
#include "otlp/exposition.hpp"
#include "otlp/otlp_self_metrics.hpp"
#include "support/otlp_test_util.hpp"
#include "support/rezl_builder.hpp"
#include "support/temp_dir.hpp"

namespace mmwatch::test {

struct DaemonRig {
    TempDir dir;
    files::EventLog events;
    std::unique_ptr<files::Watcher> watcher;
    std::unique_ptr<daemon::MetricsPage> page;
    std::unique_ptr<daemon::Router> router;
    OtlpRig otlp;
    http::ServerCounters listener;
    daemon::LoopStats loop;
    uint64_t t = 1000;

    explicit DaemonRig(size_t max_series = 100'000) {
        REQUIRE(files::install_fault_handler());
        files::WatcherConfig c{dir.path(), 500, 0, 100, {1 << 20, 1 << 30}, nullptr};
        watcher = std::make_unique<files::Watcher>(c, events);
        page = std::make_unique<daemon::MetricsPage>(daemon::PageConfig{3, max_series, 64 << 20}, *watcher, events);
        router = std::make_unique<daemon::Router>(*watcher, *page, "9.9.9");
        page->set_self_renderer([this](prom::Writer& out) {
            const daemon::Listener l[] = {{"metrics", &listener}};
            daemon::render_self_metrics({watcher->counters(), 0, loop, page->counters(), l, events, "9.9.9", 1'700'000'000'000'000'000},
                                out);
        });
        page->set_extra_renderer([this](prom::Writer& out, const daemon::MetricsPage::FamilyTaken& taken) {
            const otlp::ExpositionSkips skips = otlp::render_prometheus(otlp.store, out, taken, base::unix_ns_now());
            otlp::write_self_metrics(otlp.store, otlp.receiver.counters(), skips, out);
        });
    }
    base::Now now() const { return {t, int64_t(t) * 1'000'000}; }
    void open() {
        REQUIRE(watcher->open(now()) == 0);
        page->refresh_plan(now().unix_ms());
    }
    void tick(uint64_t advance_ms = 100) {
        t += advance_ms;
        watcher->tick(now());
        page->refresh_plan(now().unix_ms());
    }
    http::Response get(std::string_view path, std::string_view method = "GET") {
        TestRequest r(method, path, "", "");
        return router->route(r.req);
    }
};

inline std::vector<std::byte> gauge_file(std::string_view name, int64_t v) {
    auto b = build({{2, std::string(name)}});
    put_u64(b.bytes, b.offsets[0], uint64_t(v));
    return b.bytes;
}

inline bool has_line(const std::string& text, std::string_view line) {
    return text.starts_with(std::string(line) + "\n") || text.find("\n" + std::string(line) + "\n") != std::string::npos;
}

}  // namespace mmwatch::test
