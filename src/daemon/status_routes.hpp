// The status page's routes (docs/status-page.md): GET / and GET
// /ui/series. Fills ui::StatusInput from the parts the daemon owns (the
// watcher, the OTLP store, the pusher, its own counters), at most
// ui::kMaxListRows rows per list, and hands it with the history store to
// the renderers in src/ui/. Rendered in the request's callback: every part
// of it is bounded (docs/status-page.md, "Bounds"), and a body past
// --max-response-bytes is refused with 422 rather than sent.
#pragma once

#include <cstddef>
#include <cstdint>

#include "daemon/metrics_page.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "ui/status_model.hpp"

namespace mmwatch::daemon {

struct StatusConfig {
    size_t max_response_bytes = 0;  // --max-response-bytes
    uint64_t max_mapped_bytes = 0;  // --max-mapped-bytes
    uint64_t push_queue_bytes = 0;  // --remote-write-queue-bytes, per URL
};

class StatusRoutes {
public:
    StatusRoutes(StatusConfig config, PageParts parts, const MetricsPage& page)
        : config_(config), parts_(parts), page_(page) {}

    // GET /: ?match= filters the series, ?page= pages them.
    [[nodiscard]] http::Response status(const http::Request& req) const;
    // GET /ui/series?id=&gen=&range=: 404 when the series is gone.
    [[nodiscard]] http::Response series(const http::Request& req) const;

private:
    [[nodiscard]] ui::StatusInput input(int64_t now_unix_ms, uint64_t now_mono_ms) const;
    void add_files(ui::StatusInput& in, int64_t now_unix_ms, uint64_t now_mono_ms) const;
    void add_services(ui::StatusInput& in, int64_t now_unix_ns) const;
    void add_push(ui::StatusInput& in, int64_t now_unix_ms) const;
    void add_daemon(ui::StatusInput& in) const;
    [[nodiscard]] http::Response html(std::string body) const;

    StatusConfig config_;
    PageParts parts_;
    const MetricsPage& page_;
};

}  // namespace mmwatch::daemon
