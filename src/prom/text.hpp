// The pieces of Prometheus text shared by every self-metrics writer (the
// daemon's and OTLP's): a family's HELP and TYPE lines, and a series name
// with at most one label, whose value the caller appends.
#pragma once

#include <string>
#include <string_view>

namespace mmwatch::prom {

inline void append_head(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// Appends `name{label="value"} ` (just `name ` when label is empty). The
// label value must already be valid label text (our own fixed names).
inline void append_series(std::string& out, std::string_view name, std::string_view label, std::string_view value) {
    out += name;
    if (!label.empty()) {
        out += '{';
        out += label;
        out += "=\"";
        out += value;
        out += "\"}";
    }
    out += ' ';
}

}  // namespace mmwatch::prom
