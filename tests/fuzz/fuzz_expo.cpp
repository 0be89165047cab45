// libFuzzer target: what a hostile metric or file name becomes in the
// Prometheus text. A sanitized name always matches the metric-name grammar;
// an escaped label value is valid UTF-8 with no raw newline, and unescapes
// back to the input whenever the input was valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "prom/file_plan.hpp"
#include "prom/text.hpp"
#include "fuzz_check.hpp"

using namespace mmwatch;

namespace {

// An independent oracle, not base/names.hpp: the fuzzer checks one against
// the other.
bool name_char(char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && c >= '0' && c <= '9');
}

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view s) {
    if (s.empty() || !name_char(s[0], true)) return false;
    for (char c : s.substr(1)) {
        if (!name_char(c, false)) return false;
    }
    return true;
}

// Undoes the three escapes of the text format; false on a stray backslash.
bool unescape(std::string_view s, std::string& out) {
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '"') return false;  // a raw quote would end the value
        if (s[i] != '\\') {
            out += s[i];
            continue;
        }
        if (++i == s.size()) return false;
        if (s[i] == '\\') out += '\\';
        else if (s[i] == '"') out += '"';
        else if (s[i] == 'n') out += '\n';
        else return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view raw(reinterpret_cast<const char*>(data), size);

    std::string name = "prefix_";
    prom::append_sanitized_name(raw, name);
    FUZZ_CHECK(valid_metric_name(name));
    name.clear();
    prom::append_sanitized_name(raw, name);
    // Names in a valid file are never empty; an empty input stays empty.
    FUZZ_CHECK(raw.empty() ? name.empty() : valid_metric_name(name));

    std::string label;
    prom::append_label_value(label, raw);
    FUZZ_CHECK(label.find('\n') == std::string::npos);
    FUZZ_CHECK(fuzz::reference_utf8(label));
    std::string back;
    FUZZ_CHECK(unescape(label, back));
    if (fuzz::reference_utf8(raw)) FUZZ_CHECK(back == raw);
    return 0;
}
