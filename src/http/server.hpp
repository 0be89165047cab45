// The scrape server: TCP listeners and connections on the daemon's loop.
// Every connection has a deadline, a request-size cap and bounded writes;
// the server has a connection cap. A slow, stalled or hostile client only
// ever holds its own connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/counters.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/uv_handle.hpp"

namespace mmwatch::http {

struct ServerConfig {
    size_t max_connections = 0;
    uint64_t max_body_bytes = 0;
};

class ScrapeServer {
public:
    using Handler = std::function<Response(const Request&)>;

    ScrapeServer(uv_loop_t* loop, ServerConfig config, Handler handler);
    ~ScrapeServer();
    ScrapeServer(const ScrapeServer&) = delete;
    ScrapeServer& operator=(const ScrapeServer&) = delete;

    // Binds and listens on host:port (port 0 picks a free one). Returns 0 or
    // a libuv error; `bound` receives "HOST:PORT" with the real port.
    [[nodiscard]] int listen(const std::string& host, int port, std::string& bound);
    // Stops listening and closes every connection; safe twice.
    void close();

    [[nodiscard]] const ServerCounters& counters() const noexcept { return counters_; }

    struct Connection;

private:
    static void on_connection(uv_stream_t* listener, int status);
    void accept_one(uv_stream_t* listener);

    uv_loop_t* loop_;
    ServerConfig config_;
    ServerCounters counters_;
    Handler handler_;
    std::vector<UvHandle<uv_tcp_t>> listeners_;
    Connection* connections_ = nullptr;  // intrusive list, for close()
    friend struct Connection;
};

}  // namespace mmwatch::http
