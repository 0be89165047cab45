// Enum-to-name tables, bounds-checked the same way everywhere: a value
// outside its table (a corrupt or future value) reads as "unknown", never
// past the end of the array.
#pragma once

#include <cstddef>
#include <string_view>

namespace mmwatch::base {

template <typename E, size_t N>
[[nodiscard]] constexpr std::string_view enum_name(const std::string_view (&names)[N], E e) noexcept {
    const auto i = static_cast<size_t>(e);
    return i < N ? names[i] : std::string_view("unknown");
}

// The same for tables of records ({name, message}, {status, message}):
// the entry of `e`, or null when `e` is outside the table.
template <typename T, size_t N, typename E>
[[nodiscard]] constexpr const T* enum_entry(const T (&table)[N], E e) noexcept {
    const auto i = static_cast<size_t>(e);
    return i < N ? &table[i] : nullptr;
}

// The common record: a reason's stable name and the sentence shown to users.
struct NameAndMessage {
    std::string_view name;
    std::string_view message;
};

template <size_t N, typename E>
[[nodiscard]] constexpr std::string_view name_of(const NameAndMessage (&table)[N], E e) noexcept {
    const NameAndMessage* r = enum_entry(table, e);
    return r ? r->name : std::string_view("unknown");
}

template <size_t N, typename E>
[[nodiscard]] constexpr std::string_view message_of(const NameAndMessage (&table)[N], E e) noexcept {
    const NameAndMessage* r = enum_entry(table, e);
    return r ? r->message : std::string_view("unknown");
}

}  // namespace mmwatch::base
