// Writing HTML by hand, safely: every piece of text that did not come
// from this folder (label names and values, file names, URLs, messages)
// goes through append_escaped(); every URL parameter built from outside
// text goes through append_url_encoded(). Numbers, sizes and ages are
// formatted here so each view writes them the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::ui {

// & < > " ' as character references: safe in text and in quoted attributes.
void append_escaped(std::string& out, std::string_view text);
// Percent-encodes all but unreserved characters (RFC 3986), for a query value.
void append_url_encoded(std::string& out, std::string_view text);
// How long ago `then_ms` was from `now_ms` (base::append_duration), e.g.
// "4s ago", "3m ago", "2h ago"; "never" when then_ms is 0.
void append_age(std::string& out, int64_t now_ms, int64_t then_ms);
// Unix milliseconds as "2026-12-06 16:35:02 UTC".
void append_utc(std::string& out, int64_t unix_ms);
// Unix milliseconds as "16:35" (UTC), for a chart's time axis.
void append_hh_mm(std::string& out, int64_t unix_ms);

}  // namespace mmwatch::ui
