// libcurl's multi interface driven by the daemon's libuv loop, as curl's
// own multi-uv example does: curl tells which sockets to watch
// (CURLMOPT_SOCKETFUNCTION → uv_poll) and when to wake it
// (CURLMOPT_TIMERFUNCTION → uv_timer); the loop calls
// curl_multi_socket_action on readiness. No thread of mmwatch's, no
// blocking call: a slow or dead receiver only keeps its own transfer open.
#pragma once

#include <curl/curl.h>
#include <uv.h>

#include "base/guard.hpp"

#include <cstdint>
#include <functional>
#include <unordered_map>

namespace mmwatch::push {

class CurlLoop {
public:
    // Called once a transfer ends: curl's result and the HTTP status (0
    // when there was no answer).
    using Done = std::function<void(CURLcode result, long status)>;

    explicit CurlLoop(uv_loop_t* loop);
    ~CurlLoop();
    CurlLoop(const CurlLoop&) = delete;
    CurlLoop& operator=(const CurlLoop&) = delete;

    [[nodiscard]] bool valid() const noexcept { return multi_ != nullptr; }
    // Starts `easy` (configured by the caller, owned by it); `done` runs
    // from the loop when it ends. False if curl refused it.
    bool start(CURL* easy, Done done);
    // Abandons a transfer in progress (no callback); safe if it is not running.
    void cancel(CURL* easy);
    // Cancels everything and closes the loop handles; safe twice.
    void close();
    // Loop callbacks (curl's readiness and timer, and the Done callbacks
    // they run) that memory or an exception stopped; the transfer is then
    // failed by curl, or retried by its sender at its next turn.
    [[nodiscard]] uint64_t callback_failures() const noexcept { return callback_failures_; }
    // The policy at every push callback (base/guard.hpp): runs `work`,
    // counts what stopped it.
    template <typename F>
    void guarded(F&& work) noexcept {
        base::guarded(work, [this](base::Failure) { ++callback_failures_; });
    }

private:
    struct Socket {
        uv_poll_t poll;
        curl_socket_t fd;
        CurlLoop* owner;
    };
    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket);
    static int on_timer(CURLM* multi, long timeout_ms, void* self);
    static void on_poll(uv_poll_t* poll, int status, int events);
    static void on_timeout(uv_timer_t* timer);
    void finish_done();

    uv_loop_t* loop_;
    CURLM* multi_ = nullptr;
    uv_timer_t timer_{};
    bool timer_open_ = false;
    std::unordered_map<CURL*, Done> running_;
    uint64_t callback_failures_ = 0;
};

}  // namespace mmwatch::push
