// The evaluator's coroutines. Task<T> is a lazily started coroutine whose
// result its caller co_awaits; control passes between caller and callee by
// symmetric transfer, so a deep tree costs no stack. Budget is the work
// allowance of one slice: inner loops `co_await budget.tick(n)` and, once
// the allowance is spent, the whole chain of awaiting coroutines suspends
// at that point and control returns to whoever resumed the query (one loop
// turn). The next turn refills the budget and resumes exactly there, so
// the evaluator reads top to bottom like Prometheus's engine while never
// holding the loop for more than one slice.
//
// A query that fails, times out or is cancelled is never resumed again:
// destroying its top Task destroys every suspended frame under it.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

namespace mmwatch::promql {

template <class T>
class [[nodiscard]] Task {
public:
    struct promise_type {
        std::optional<T> value;
        std::coroutine_handle<> continuation;
        std::exception_ptr error;

        Task get_return_object() noexcept { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct Final {
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
                auto c = h.promise().continuation;
                return c ? c : std::noop_coroutine();
            }
            void await_resume() noexcept {}
        };
        Final final_suspend() noexcept { return {}; }
        template <class U>
        void return_value(U&& v) {
            value.emplace(std::forward<U>(v));
        }
        // The evaluator reports errors by failing the query, not by
        // throwing; what does get here (std::bad_alloc) is passed up to the
        // top, where Query::step() makes it an internal error.
        void unhandled_exception() noexcept { error = std::current_exception(); }
    };

    Task() noexcept = default;
    explicit Task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() {
        if (h_) h_.destroy();
    }

    // Awaiting a task starts it and resumes the awaiting coroutine with its
    // value when it finishes.
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h_.promise().continuation = awaiting;
        return h_;
    }
    T await_resume() {
        if (h_.promise().error) std::rethrow_exception(h_.promise().error);
        return std::move(*h_.promise().value);
    }

    // For the top level (the query): start or resume from outside a
    // coroutine, then look at the outcome.
    [[nodiscard]] std::coroutine_handle<promise_type> handle() const noexcept { return h_; }
    [[nodiscard]] bool done() const noexcept { return h_ && h_.done(); }

private:
    std::coroutine_handle<promise_type> h_;
};

// The work allowance of one slice, in units of samples and steps touched.
class Budget {
public:
    explicit Budget(int64_t per_slice) noexcept : per_slice_(per_slice), left_(per_slice) {}

    struct Tick {
        Budget& b;
        bool await_ready() const noexcept { return b.left_ > 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept { b.parked_ = h; }
        void await_resume() const noexcept {}
    };
    // Spends `n` units; suspends the query when the slice's allowance is
    // gone (the loop gets its turn back). Always co_await the result.
    [[nodiscard]] Tick tick(int64_t n = 1) noexcept {
        left_ -= n;
        return Tick{*this};
    }

    // Starts a new slice. Returns the coroutine parked at the end of the
    // last one (null before the first).
    std::coroutine_handle<> refill() noexcept {
        left_ = per_slice_;
        ++slices_;
        return std::exchange(parked_, {});
    }
    [[nodiscard]] int64_t per_slice() const noexcept { return per_slice_; }
    [[nodiscard]] uint64_t slices() const noexcept { return slices_; }

private:
    int64_t per_slice_;
    int64_t left_;
    uint64_t slices_ = 0;
    std::coroutine_handle<> parked_;
};

}  // namespace mmwatch::promql
