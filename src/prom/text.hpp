// The Prometheus text primitives, one set for every writer of exposition
// text: the file exposition, the daemon's and OTLP's self-metrics, the OTLP
// translation and the in-process library's export. Label values and HELP
// text are escaped (and invalid UTF-8 repaired) the same way everywhere.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace mmwatch::prom {

// `# HELP name help` (help escaped: \ and newline) and `# TYPE name type`.
void append_help(std::string& out, std::string_view name, std::string_view help);
void append_type(std::string& out, std::string_view name, std::string_view type);
inline void append_head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    append_help(out, name, help);
    append_type(out, name, type);
}

// Appends `raw` escaped for a label value: \ " and newline are escaped and
// bytes that are not valid UTF-8 become U+FFFD, so the output always parses.
void append_label_value(std::string& out, std::string_view raw);

// HELP text escaping: \ and newline.
void append_help_text(std::string& out, std::string_view text);

// A sample value: shortest round-trip form; +Inf, -Inf and NaN spelled as
// the format wants them.
void append_value(std::string& out, double v);

template <typename T>
void append_int(std::string& out, T v) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// Appends `name{label="value"} ` (just `name ` when label is empty). The
// label value is escaped.
void append_series(std::string& out, std::string_view name, std::string_view label, std::string_view value);

}  // namespace mmwatch::prom
