// The daemon's parts without the loop: a watcher on a temp dir, an OTLP
// store and receiver, the gRPC service, a pusher with no URL, the page and
// the routers (HTTP/1 and gRPC), wired as daemon.cpp wires them, driven by
// a fake clock.
#pragma once

#include <memory>
#include <string>

#include "daemon/grpc_routes.hpp"
#include "daemon/metrics_page.hpp"
#include "daemon/routes.hpp"
#include "daemon/self_metrics.hpp"
#include "files/guarded_copy.hpp"
#include "files/watcher.hpp"
#include "push/pusher.hpp"
#include "support/otlp_test_util.hpp"
#include "support/rezl_builder.hpp"
#include "support/temp_dir.hpp"

namespace mmwatch::test {

struct DaemonRig {
    TempDir dir;
    files::EventLog events;
    std::unique_ptr<files::Watcher> watcher;
    OtlpRig otlp;
    grpc::MetricsService grpc_service{otlp.store, base::kDefaultGrpcMaxMessageBytes};
    push::Pusher pusher{push::PusherConfig{}};
    http::ServerCounters listener;
    daemon::DaemonStats stats;
    std::unique_ptr<daemon::MetricsPage> page;
    std::unique_ptr<daemon::Router> router;
    std::unique_ptr<daemon::GrpcRoutes> grpc_routes;
    uint64_t t = 1000;

    explicit DaemonRig(size_t max_series = 100'000, size_t max_fds = SIZE_MAX) {
        REQUIRE(files::install_fault_handler());
        files::WatcherConfig c{dir.path(), 500, 0, 100, {1 << 20, 1 << 30}, nullptr, max_fds};
        watcher = std::make_unique<files::Watcher>(c, events);
        stats.version = "9.9.9";
        stats.start_unix_ns = 1'700'000'000'000'000'000;
        stats.listeners.push_back({"metrics", &listener});
        page = std::make_unique<daemon::MetricsPage>(daemon::PageConfig{3, max_series, 64 << 20},
                                                     daemon::PageParts{*watcher, events, stats, pusher, otlp.store,
                                                                       otlp.receiver, grpc_service});
        router = std::make_unique<daemon::Router>(*watcher, *page, "9.9.9");
        grpc_routes = std::make_unique<daemon::GrpcRoutes>(grpc_service, *page);
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
