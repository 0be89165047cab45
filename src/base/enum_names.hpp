// Enum tables, in one style:
//
//     MMWATCH_ENUM_TABLE(Reason, kReasons) = {
//         MMWATCH_ROW(none, "accepted"),
//         MMWATCH_ROW(bad_magic, "file does not start with the magic bytes REZL"),
//     };
//     static_assert(base::rows_match(kReasons, kReasonCount));
//
// Every row names the value it describes ({Reason::bad_magic, "bad_magic",
// "..."}, the name spelled from the identifier so the two cannot
// disagree), and the static_assert checks that row i describes value i and
// that every value has its row, so a reordered or extended enum fails to
// build instead of mislabelling a counter. A value outside its table (a
// corrupt or future value) reads as "unknown", never past the end.
#pragma once

#include <cstddef>
#include <string_view>

// A table of EnumRow<E> called `name`, whose rows are MMWATCH_ROW(value,
// message) or MMWATCH_ROW(value): the value, its name, and the message
// when there is one. One such table per namespace scope (it declares the
// alias TableEnum its rows use).
#define MMWATCH_ENUM_TABLE(E, name) \
    using TableEnum = E;            \
    constexpr ::mmwatch::base::EnumRow<E> name[]
#define MMWATCH_ROW(value, ...) {TableEnum::value, #value __VA_OPT__(, ) __VA_ARGS__}

namespace mmwatch::base {

// A value's stable name (metrics, the event log, JSON answers) and the
// sentence shown to users (empty where none is).
template <typename E>
struct EnumRow {
    E value;
    std::string_view name;
    std::string_view message = {};
};

// True when row i of `table` describes value i and the table has `count`
// rows. Works on any row type with a `value` member (a status code table
// has other columns).
template <typename Row, size_t N>
[[nodiscard]] constexpr bool rows_match(const Row (&table)[N], size_t count) noexcept {
    if (N != count) return false;
    for (size_t i = 0; i < N; ++i) {
        if (static_cast<size_t>(table[i].value) != i) return false;
    }
    return true;
}

// The row of `e`, or null when `e` is outside the table.
template <typename Row, size_t N, typename E>
[[nodiscard]] constexpr const Row* enum_row(const Row (&table)[N], E e) noexcept {
    const auto i = static_cast<size_t>(e);
    return i < N ? &table[i] : nullptr;
}

template <typename E, size_t N>
[[nodiscard]] constexpr std::string_view name_of(const EnumRow<E> (&table)[N], E e) noexcept {
    const EnumRow<E>* r = enum_row(table, e);
    return r ? r->name : std::string_view("unknown");
}

template <typename E, size_t N>
[[nodiscard]] constexpr std::string_view message_of(const EnumRow<E> (&table)[N], E e) noexcept {
    const EnumRow<E>* r = enum_row(table, e);
    return r ? r->message : std::string_view("unknown");
}

}  // namespace mmwatch::base
