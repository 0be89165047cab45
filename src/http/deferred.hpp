// A response that comes later: a handler whose answer needs loop turns (a
// query evaluated in slices) returns Response::later(d) and calls
// d->resolve(response) when it is ready. The connection reads nothing
// meanwhile. If the connection goes first, it abandons the Deferred, and
// the producer, seeing abandoned(), stops its work.
#pragma once

#include <memory>
#include <optional>

#include "http/response.hpp"

namespace mmwatch::http {

class Deferred {
public:
    // Who sends the response once it is resolved (the connection).
    class Waiter {
    public:
        virtual void resolved(Response r) = 0;

    protected:
        ~Waiter() = default;
    };

    // Hands the answer over, once; ignored when abandoned.
    void resolve(Response r);
    [[nodiscard]] bool abandoned() const noexcept { return abandoned_; }
    [[nodiscard]] bool resolved() const noexcept { return resolved_; }

    // The connection's side: waits (called at once when already resolved),
    // or gives up.
    void wait(Waiter* w);
    void abandon() noexcept {
        abandoned_ = true;
        waiter_ = nullptr;
    }

private:
    Waiter* waiter_ = nullptr;
    std::optional<Response> ready_;
    bool resolved_ = false;
    bool abandoned_ = false;
};

}  // namespace mmwatch::http
