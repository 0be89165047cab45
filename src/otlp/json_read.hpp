// The decoder's reading primitives over simdjson on-demand values: error
// mapping, field and element iteration, and scalar getters that accept
// what the protobuf JSON mapping allows (64-bit integers as strings, NaN
// and infinities as words, null as the default). Private to
// decoder.cpp; split out to keep that file about structure.
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "otlp/arena.hpp"
#include "base/try.hpp"
#include "otlp/decoded.hpp"

namespace mmwatch::otlp::json_read {

namespace od = simdjson::ondemand;
using simdjson::error_code;

using otlp::Arena;

struct Ctx {
    DecodedRequest& out;
    Arena& arena;
    std::string& tmp;
    std::string_view where;
};

inline DecodeError from_simdjson(error_code e) noexcept {
    switch (e) {
    case simdjson::INCORRECT_TYPE: return DecodeError::wrong_type;
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE: return DecodeError::bad_number;
    case simdjson::DEPTH_ERROR: return DecodeError::too_deep;
    default: return DecodeError::malformed_json;
    }
}

inline DecodeError fail(Ctx& ctx, error_code e, std::string_view where) noexcept {
    ctx.where = where;
    return from_simdjson(e);
}

inline DecodeError fail(Ctx& ctx, DecodeError e, std::string_view where) noexcept {
    ctx.where = where;
    return e;
}

// Keys are compared as they sit in the input (no copy); only a key with an
// escape sequence is unescaped, so "na\u006de" still means "name".
inline DecodeError field_key(od::field& f, std::string_view& key, Ctx& ctx, std::string_view where) {
    const char* raw = f.key().raw();
    size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') ++n;
    if (raw[n] == '"') {
        key = {raw, n};
        return DecodeError::none;
    }
    if (auto e = f.unescaped_key().get(key)) return fail(ctx, e, where);
    return DecodeError::none;
}

template <class F>
DecodeError for_each_field(od::value v, Ctx& ctx, std::string_view where, F&& on_field) {
    od::object obj;
    if (auto e = v.get_object().get(obj)) return fail(ctx, e, where);
    for (auto fr : obj) {
        od::field f;
        if (auto e = std::move(fr).get(f)) return fail(ctx, e, where);
        std::string_view key;
        MMWATCH_TRY(field_key(f, key, ctx, where));
        MMWATCH_TRY(on_field(key, f.value()));
    }
    return DecodeError::none;
}

template <class F>
DecodeError for_each_element(od::value v, Ctx& ctx, std::string_view where, F&& on_element) {
    od::array arr;
    if (auto e = v.get_array().get(arr)) return fail(ctx, e, where);
    for (auto er : arr) {
        od::value el;
        if (auto e = std::move(er).get(el)) return fail(ctx, e, where);
        MMWATCH_TRY(on_element(el));
    }
    return DecodeError::none;
}

// Marks `bit` in `seen`; a known field given twice is an error because its
// first occurrence would otherwise be silently dropped.
inline DecodeError once(uint32_t& seen, uint32_t bit, Ctx& ctx, std::string_view where) noexcept {
    if (seen & bit) return fail(ctx, DecodeError::duplicate_field, where);
    seen |= bit;
    return DecodeError::none;
}

inline DecodeError json_type_of(od::value& v, od::json_type& t, Ctx& ctx, std::string_view where) {
    if (auto e = v.type().get(t)) return fail(ctx, e, where);
    return DecodeError::none;
}

// Scalars try the expected type first and look at the JSON type only when
// that fails (null means "default"), saving a type() call per value.
inline bool is_null(od::value& v) {
    od::json_type t;
    return !v.type().get(t) && t == od::json_type::null;
}

inline DecodeError get_string(od::value v, std::string_view& out, Ctx& ctx, std::string_view where) {
    const error_code e = v.get_string().get(out);
    if (!e || (e == simdjson::INCORRECT_TYPE && is_null(v))) return DecodeError::none;
    return fail(ctx, e, where);
}

inline DecodeError get_bool(od::value v, bool& out, Ctx& ctx, std::string_view where) {
    od::json_type t;
    MMWATCH_TRY(json_type_of(v, t, ctx, where));
    if (t == od::json_type::null) return DecodeError::none;
    if (auto e = v.get_bool().get(out)) return fail(ctx, e, where);
    return DecodeError::none;
}

// 64-bit integers come as JSON numbers or, per the protobuf JSON mapping,
// as decimal strings.
template <class Int>
DecodeError get_int(od::value v, Int& out, Ctx& ctx, std::string_view where) {
    if constexpr (sizeof(Int) == 8) {  // the common case: a quoted 64-bit integer
        Int n = 0;
        const error_code e = std::is_signed_v<Int> ? v.get_int64_in_string().get(reinterpret_cast<int64_t&>(n))
                                                   : v.get_uint64_in_string().get(reinterpret_cast<uint64_t&>(n));
        if (!e) {
            out = n;
            return DecodeError::none;
        }
    }
    od::json_type t;
    MMWATCH_TRY(json_type_of(v, t, ctx, where));
    if (t == od::json_type::null) return DecodeError::none;
    if (t == od::json_type::number) {
        if constexpr (std::is_signed_v<Int>) {
            int64_t n = 0;
            if (auto e = v.get_int64().get(n)) return fail(ctx, e, where);
            if (n < int64_t(std::numeric_limits<Int>::min()) || n > int64_t(std::numeric_limits<Int>::max()))
                return fail(ctx, DecodeError::bad_number, where);
            out = Int(n);
        } else {
            uint64_t n = 0;
            if (auto e = v.get_uint64().get(n)) return fail(ctx, e, where);
            if (n > uint64_t(std::numeric_limits<Int>::max())) return fail(ctx, DecodeError::bad_number, where);
            out = Int(n);
        }
        return DecodeError::none;
    }
    if (t != od::json_type::string) return fail(ctx, DecodeError::wrong_type, where);
    // Parsed inside the quotes, without copying the string out first.
    if constexpr (std::is_signed_v<Int>) {
        int64_t n = 0;
        if (v.get_int64_in_string().get(n) || n < int64_t(std::numeric_limits<Int>::min()) ||
            n > int64_t(std::numeric_limits<Int>::max()))
            return fail(ctx, DecodeError::bad_number, where);
        out = Int(n);
    } else {
        uint64_t n = 0;
        if (v.get_uint64_in_string().get(n) || n > uint64_t(std::numeric_limits<Int>::max()))
            return fail(ctx, DecodeError::bad_number, where);
        out = Int(n);
    }
    return DecodeError::none;
}

inline DecodeError get_double(od::value v, double& out, Ctx& ctx, std::string_view where) {
    if (!v.get_double().get(out)) return DecodeError::none;
    od::json_type t;
    MMWATCH_TRY(json_type_of(v, t, ctx, where));
    if (t == od::json_type::null) return DecodeError::none;
    if (t == od::json_type::number) {
        if (auto e = v.get_double().get(out)) return fail(ctx, e, where);
        return DecodeError::none;
    }
    if (t != od::json_type::string) return fail(ctx, DecodeError::wrong_type, where);
    std::string_view s;
    if (auto e = v.get_string().get(s)) return fail(ctx, e, where);
    if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
    else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
    else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
    else {
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (ec != std::errc() || end != s.data() + s.size() || s.empty())
            return fail(ctx, DecodeError::bad_number, where);
    }
    return DecodeError::none;
}

inline DecodeError get_time(od::value v, int64_t& out, Ctx& ctx, std::string_view where) {
    uint64_t u = 0;
    MMWATCH_TRY(get_int(v, u, ctx, where));
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return fail(ctx, DecodeError::bad_number, where);
    out = int64_t(u);
    return DecodeError::none;
}

// Enums are integers in OTLP/JSON; the protobuf JSON mapping also allows
// the value's name, which some exporters send.
inline DecodeError get_temporality(od::value v, Temporality& out, Ctx& ctx) {
    constexpr std::string_view where = "aggregationTemporality";
    od::json_type t;
    MMWATCH_TRY(json_type_of(v, t, ctx, where));
    if (t == od::json_type::string) {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return fail(ctx, e, where);
        out = s == "AGGREGATION_TEMPORALITY_DELTA"        ? Temporality::delta
              : s == "AGGREGATION_TEMPORALITY_CUMULATIVE" ? Temporality::cumulative
                                                          : Temporality::unspecified;
        return DecodeError::none;
    }
    int64_t n = 0;
    MMWATCH_TRY(get_int(v, n, ctx, where));
    out = (n == 1 || n == 2) ? Temporality(n) : Temporality::unspecified;
    return DecodeError::none;
}

}  // namespace mmwatch::otlp::json_read
