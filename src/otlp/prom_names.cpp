#include "otlp/prom_names.hpp"

#include "base/names.hpp"
#include "base/strings.hpp"

namespace mmwatch::otlp {

namespace {

struct UnitName {
    std::string_view unit;
    std::string_view name;
};

constexpr UnitName kUnits[] = {
    {"d", "days"},         {"h", "hours"},        {"min", "minutes"},    {"s", "seconds"},
    {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
    {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"TiBy", "tebibytes"},
    {"KBy", "kilobytes"},   {"MBy", "megabytes"},   {"GBy", "gigabytes"},  {"TBy", "terabytes"},
    {"m", "meters"},        {"V", "volts"},         {"A", "amperes"},      {"J", "joules"},
    {"W", "watts"},         {"g", "grams"},         {"Cel", "celsius"},    {"Hz", "hertz"},
    {"%", "percent"},       {"1", ""},
};

constexpr UnitName kPerUnits[] = {
    {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
    {"w", "week"},   {"mo", "month"}, {"y", "year"},
};

bool alnum(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Drops {annotations}: "{packets}/s" -> "/s", "{request}" -> "".
std::string strip_annotations(std::string_view unit) {
    std::string out;
    int depth = 0;
    for (char c : unit) {
        if (c == '{') ++depth;
        else if (c == '}' && depth > 0) --depth;
        else if (depth == 0) out += c;
    }
    return out;
}

std::string unit_word(std::string_view u, const UnitName* table, size_t n) {
    u = base::trim(u, " ");
    for (size_t i = 0; i < n; ++i)
        if (table[i].unit == u) return std::string(table[i].name);
    std::string out;  // unknown unit: keep its letters and digits
    for (char c : u)
        if (alnum(c)) out += c;
    return out;
}

bool has_token(std::string_view name, std::string_view word) {
    if (word.empty()) return true;
    size_t pos = 0;
    while ((pos = name.find(word, pos)) != std::string_view::npos) {
        const bool start_ok = pos == 0 || name[pos - 1] == '_';
        const bool end_ok = pos + word.size() == name.size() || name[pos + word.size()] == '_';
        if (start_ok && end_ok) return true;
        ++pos;
    }
    return false;
}

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
    std::string out;
    out.reserve(name.size() + 1);
    for (char c : name) {
        const char x = base::metric_name_char(c, false) ? c : '_';
        if (x == '_' && (out.empty() || out.back() == '_')) continue;
        out += x;
    }
    while (!out.empty() && out.back() == '_') out.pop_back();
    if (!out.empty() && out[0] >= '0' && out[0] <= '9') out.insert(out.begin(), '_');
    return out;
}

std::string unit_suffix(std::string_view unit) {
    const std::string u = strip_annotations(unit);
    const size_t slash = u.find('/');
    std::string main = unit_word(std::string_view(u).substr(0, slash), kUnits, std::size(kUnits));
    if (slash == std::string::npos) return main;
    const std::string per = unit_word(std::string_view(u).substr(slash + 1), kPerUnits, std::size(kPerUnits));
    if (per.empty()) return main;
    return main.empty() ? "per_" + per : main + "_per_" + per;
}

std::string prometheus_name(std::string_view name, std::string_view unit, MetricKind kind, bool monotonic) {
    std::string out = sanitize_metric_name(name);
    if (out.empty()) out = "_";
    const std::string suffix = sanitize_metric_name(unit_suffix(unit));
    if (!suffix.empty() && !has_token(out, suffix)) out += "_" + suffix;
    if (kind == MetricKind::gauge && base::trim(unit, " ") == "1" && !has_token(out, "ratio")) out += "_ratio";
    if (kind == MetricKind::sum && monotonic && !out.ends_with("_total")) out += "_total";
    return out;
}

std::string sanitize_label_name(std::string_view key) {
    std::string out;
    out.reserve(key.size() + 4);
    for (char c : key) out += base::label_name_char(c, false) ? c : '_';
    if (out.empty()) return out;
    if (out[0] >= '0' && out[0] <= '9') out.insert(0, "key_");
    else if (out[0] == '_') out.insert(0, "key");  // "__" is reserved to Prometheus: "key__x"
    return out;
}

}  // namespace mmwatch::otlp
