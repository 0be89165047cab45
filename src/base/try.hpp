// The one early-return macro for error codes: an enum class of reasons
// whose zero value is `none` (DecodeError, ...). Parsers return such a
// code from every step; MMWATCH_TRY(step(...)) returns it on failure.
#pragma once

namespace mmwatch::base {

// True when `e`, an error code, is not its zero value (none).
template <typename E>
[[nodiscard]] constexpr bool failed(E e) noexcept {
    return e != E{};
}

}  // namespace mmwatch::base

#define MMWATCH_CAT2(a, b) a##b
#define MMWATCH_CAT(a, b) MMWATCH_CAT2(a, b)
// The temporary's name is unique per expansion: expansions nest inside
// lambdas passed to other expansions, and -Wshadow is an error.
#define MMWATCH_TRY(expr) MMWATCH_TRY_AS(expr, MMWATCH_CAT(mmwatch_try_, __COUNTER__))
#define MMWATCH_TRY_AS(expr, name)                                                \
    do {                                                                          \
        if (const auto name = (expr); ::mmwatch::base::failed(name)) return name; \
    } while (0)
