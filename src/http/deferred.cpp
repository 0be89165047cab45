#include "http/deferred.hpp"

#include <utility>

namespace mmwatch::http {

void Deferred::resolve(Response r) {
    if (resolved_ || abandoned_) return;
    resolved_ = true;
    if (Waiter* w = std::exchange(waiter_, nullptr)) w->resolved(std::move(r));
    else ready_ = std::move(r);
}

void Deferred::wait(Waiter* w) {
    if (ready_) {
        Response r = std::move(*ready_);
        ready_.reset();
        w->resolved(std::move(r));
        return;
    }
    waiter_ = w;
}

}  // namespace mmwatch::http
