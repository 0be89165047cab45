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
#include <string_view>
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
    // counts what stopped it; false if something did. `where` names the
    // callback for the fault-injection seam.
    template <typename F>
    bool guarded(std::string_view where, F&& work) noexcept {
        bool stopped = false;
        base::guarded(
            [&] {
                if (fault_injection_) fault_injection_(where);
                work();
            },
            [&](base::Failure) {
                ++callback_failures_;
                stopped = true;
            });
        return !stopped;
    }
    // A seam for tests, as Daemon::set_fault_injection: called at the start
    // of every push callback's work ("push_socket", "push_timer",
    // "push_body", "push_backoff", "push_slice"); it may throw. Null in mmwatch.
    void set_fault_injection(void (*hook)(std::string_view where)) noexcept { fault_injection_ = hook; }

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
    void (*fault_injection_)(std::string_view where) = nullptr;
};

}  // namespace mmwatch::push
