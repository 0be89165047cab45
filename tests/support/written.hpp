// What an append-to-string writer writes: written(f, args...) calls
// f(out, args...) on an empty string and returns it.
#pragma once

#include <string>
#include <utility>

namespace mmwatch::test {

template <typename F, typename... Args>
std::string written(F&& f, Args&&... args) {
    std::string out;
    std::forward<F>(f)(out, std::forward<Args>(args)...);
    return out;
}

}  // namespace mmwatch::test
