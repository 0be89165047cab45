// The one RAII wrapper for libuv handles: the handle lives on the heap and
// is freed only in its close callback, never while libuv may still touch it.
#pragma once

#include <uv.h>

#include <utility>

namespace mmwatch::http {

template <typename T>
class UvHandle {
public:
    UvHandle() : h_(new T{}) {}
    ~UvHandle() { close(); }
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;
    UvHandle(UvHandle&& o) noexcept : h_(std::exchange(o.h_, nullptr)), inited_(o.inited_) {}

    T* get() const noexcept { return h_; }
    uv_handle_t* handle() const noexcept { return reinterpret_cast<uv_handle_t*>(h_); }
    // Call after a successful uv_*_init: from then on close() must uv_close.
    void mark_initialized() noexcept { inited_ = true; }

    // Safe to call twice.
    void close() noexcept {
        if (!h_) return;
        T* h = std::exchange(h_, nullptr);
        if (!inited_) {
            delete h;
            return;
        }
        auto* base = reinterpret_cast<uv_handle_t*>(h);
        if (uv_is_closing(base)) return;
        uv_close(base, [](uv_handle_t* p) { delete reinterpret_cast<T*>(p); });
    }

private:
    T* h_;
    bool inited_ = false;
};

}  // namespace mmwatch::http
