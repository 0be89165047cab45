// The one policy at a loop callback's boundary: the callback's work runs
// inside guarded(); memory running out or any exception stops that work
// and calls `failed` with what happened, which does the callback's own
// recovery (answer 503 and close the connection, skip the rest of the
// tick) and counts it. Nothing escapes into libuv (a C library: an
// exception crossing it would end the process), and the loop goes on.
#pragma once

#include <cstdint>
#include <new>

namespace mmwatch::base {

enum class Failure : uint8_t { out_of_memory, exception };

template <typename Work, typename Failed>
void guarded(Work&& work, Failed&& failed) noexcept {
    try {
        work();
    } catch (const std::bad_alloc&) {
        failed(Failure::out_of_memory);
    } catch (...) {
        failed(Failure::exception);
    }
}

}  // namespace mmwatch::base
