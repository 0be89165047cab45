#include "prom/text.hpp"

#include <cmath>

#include "base/utf8.hpp"

namespace mmwatch::prom {

void append_help(std::string& out, std::string_view name, std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_help_text(out, help);
    out += '\n';
}

void append_type(std::string& out, std::string_view name, std::string_view type) {
    out += "# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

void append_label_value(std::string& out, std::string_view raw) {
    for (size_t i = 0; i < raw.size();) {
        const char c = raw[i];
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else if (static_cast<unsigned char>(c) < 0x80) out += c;
        else {
            const size_t n = base::utf8::sequence_length(raw, i);
            if (n) out.append(raw.substr(i, n));
            else out += base::utf8::kReplacement;
            i += n ? n : 1;
            continue;
        }
        ++i;
    }
}

void append_help_text(std::string& out, std::string_view text) {
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
}

void append_value(std::string& out, double v) {
    if (v == 0) out += '0';  // -0 too: one spelling of zero
    else if (std::isnan(v)) out += "NaN";
    else if (std::isinf(v)) out += v > 0 ? "+Inf" : "-Inf";
    else if (v == std::trunc(v) && std::fabs(v) < 9.2e18) append_int(out, int64_t(v));  // 1000000, not 1e+06
    else {
        char buf[32];
        out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }
}

void append_series(std::string& out, std::string_view name, std::string_view label, std::string_view value) {
    out += name;
    if (!label.empty()) {
        out += '{';
        out += label;
        out += "=\"";
        append_label_value(out, value);
        out += "\"}";
    }
    out += ' ';
}

}  // namespace mmwatch::prom
