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

#include "base/clock.hpp"
#include "promql/code_place.hpp"

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

// The allowance of one slice: units of work (samples and steps touched)
// and, when a time is set, a deadline on a monotonic clock. Units alone
// measure hot caches: eight queries at once take turns and find theirs
// cold, where a unit costs several times more (docs/query.md "Slicing"),
// so every kClockCheckUnits units spent the clock is read and a slice past
// its time ends at the next tick.
class Budget {
public:
    // Nanoseconds on a monotonic clock (a test gives its own).
    using Clock = uint64_t (*)() noexcept;
    static constexpr int64_t kClockCheckUnits = 512;

    explicit Budget(int64_t per_slice, uint64_t slice_ns = 0, Clock clock = nullptr) noexcept
        : per_slice_(per_slice), left_(per_slice), slice_ns_(slice_ns), clock_(clock ? clock : base::mono_ns_now) {}

    struct Tick {
        Budget& b;
        CodePlace where;
        bool await_ready() const noexcept { return b.left_ > 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept {
            b.parked_ = h;
            b.parked_at_ = where;
        }
        void await_resume() const noexcept {}
    };
    // Spends `n` units; suspends the query when the slice's allowance is
    // gone (the loop gets its turn back). Always co_await the result.
    [[nodiscard]] Tick tick(int64_t n = 1, const char* file = __builtin_FILE(), unsigned line = __builtin_LINE()) noexcept {
        left_ -= n;
        unchecked_ += n;
        if (slice_ns_ && unchecked_ >= kClockCheckUnits && left_ > 0) {
            unchecked_ = 0;
            if (clock_() >= deadline_ns_) {
                left_ = 0;
                ++timed_out_;
            }
        }
        return Tick{*this, CodePlace{file, line}};
    }

    // Starts a new slice. Returns the coroutine parked at the end of the
    // last one (null before the first).
    std::coroutine_handle<> refill() noexcept {
        left_ = per_slice_;
        unchecked_ = 0;
        if (slice_ns_) deadline_ns_ = clock_() + slice_ns_;
        ++slices_;
        return std::exchange(parked_, {});
    }
    [[nodiscard]] int64_t per_slice() const noexcept { return per_slice_; }
    [[nodiscard]] uint64_t slices() const noexcept { return slices_; }
    // Slices ended by their time rather than their units.
    [[nodiscard]] uint64_t timed_out() const noexcept { return timed_out_; }
    // Where the last slice stopped (the tick that suspended it): names the
    // part of a query a long slice was in (tools/bench/promql_slices).
    [[nodiscard]] const CodePlace& parked_at() const noexcept { return parked_at_; }

private:
    int64_t per_slice_;
    int64_t left_;
    int64_t unchecked_ = 0;
    uint64_t slice_ns_;
    Clock clock_;
    uint64_t deadline_ns_ = 0;
    uint64_t slices_ = 0;
    uint64_t timed_out_ = 0;
    std::coroutine_handle<> parked_;
    CodePlace parked_at_;
};

}  // namespace mmwatch::promql
