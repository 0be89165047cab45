#include "push/curl_loop.hpp"

#include <new>

namespace mmwatch::push {

namespace {
// After a readiness or timer callback that memory or an exception stopped
// before curl ran: curl is woken again this soon (its timeout action
// checks every transfer), so no transfer waits for an event that already
// came and went. Short: the loop is not held meanwhile.
constexpr uint64_t kRetryAfterFailureMs = 10;
}  // namespace

CurlLoop::CurlLoop(uv_loop_t* loop) : loop_(loop) {
    multi_ = curl_multi_init();
    if (!multi_) return;
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    timer_open_ = true;
}

CurlLoop::~CurlLoop() { close(); }

void CurlLoop::close() {
    if (!multi_) return;
    for (auto& [easy, done] : running_) curl_multi_remove_handle(multi_, easy);
    running_.clear();
    curl_multi_cleanup(multi_);  // removes its sockets through on_socket
    multi_ = nullptr;
    if (timer_open_) {
        uv_timer_stop(&timer_);
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
        timer_open_ = false;
    }
}

bool CurlLoop::start(CURL* easy, Done done) {
    if (!multi_ || curl_multi_add_handle(multi_, easy) != CURLM_OK) return false;
    running_[easy] = std::move(done);
    return true;
}

void CurlLoop::cancel(CURL* easy) {
    if (!multi_ || running_.erase(easy) == 0) return;
    curl_multi_remove_handle(multi_, easy);
}

int CurlLoop::on_socket(CURL*, curl_socket_t fd, int what, void* self, void* socket) {
    auto* loop = static_cast<CurlLoop*>(self);
    auto* s = static_cast<Socket*>(socket);
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close(reinterpret_cast<uv_handle_t*>(&s->poll),
                     [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
            curl_multi_assign(loop->multi_, fd, nullptr);
        }
        return 0;
    }
    if (!s) {
        s = new (std::nothrow) Socket{{}, fd, loop};
        if (!s) return -1;
        if (uv_poll_init_socket(loop->loop_, &s->poll, fd) != 0) {
            delete s;
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(loop->multi_, fd, s);
    }
    int events = 0;
    if (what & CURL_POLL_IN) events |= UV_READABLE;
    if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

int CurlLoop::on_timer(CURLM*, long timeout_ms, void* self) {
    auto* loop = static_cast<CurlLoop*>(self);
    if (timeout_ms < 0) uv_timer_stop(&loop->timer_);
    else uv_timer_start(&loop->timer_, on_timeout, uint64_t(timeout_ms), 0);
    return 0;
}

void CurlLoop::on_poll(uv_poll_t* poll, int status, int events) {
    auto* s = static_cast<Socket*>(poll->data);
    CurlLoop* loop = s->owner;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    const bool ran = loop->guarded("push_socket", [&] {
        int running = 0;
        curl_multi_socket_action(loop->multi_, s->fd, flags, &running);
        loop->finish_done();
    });
    if (!ran) uv_timer_start(&loop->timer_, on_timeout, kRetryAfterFailureMs, 0);
}

void CurlLoop::on_timeout(uv_timer_t* timer) {
    auto* loop = static_cast<CurlLoop*>(timer->data);
    const bool ran = loop->guarded("push_timer", [&] {
        int running = 0;
        curl_multi_socket_action(loop->multi_, CURL_SOCKET_TIMEOUT, 0, &running);
        loop->finish_done();
    });
    if (!ran) uv_timer_start(&loop->timer_, on_timeout, kRetryAfterFailureMs, 0);
}

// Hands every finished transfer to its callback, after taking it off the
// multi handle (the callback may start a new one on the same easy handle).
void CurlLoop::finish_done() {
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL* easy = m->easy_handle;
        const CURLcode result = m->data.result;
        long status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(multi_, easy);
        auto it = running_.find(easy);
        if (it == running_.end()) continue;
        Done done = std::move(it->second);
        running_.erase(it);
        done(result, status);
    }
}

}  // namespace mmwatch::push
