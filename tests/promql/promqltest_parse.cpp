// Reading promqltest scripts (promqltest/test.go's parse, parseLoad,
// parseEval, parseSeries), line by line.
#include <re2/re2.h>

#include <cctype>
#include <cmath>

#include "promql/lexer.hpp"
#include "promql/parser.hpp"
#include "promql/value.hpp"
#include "promqltest.hpp"

namespace mmwatch::promql::test {

namespace {


// A value token of a series description, without repetition suffixes.
bool scan_value(std::string_view& s, double& v) {
    size_t i = 0;
    double sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    size_t j = i;
    if (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) {
        while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j])) && s[j] != 'x') ++j;
        const std::string word(s.substr(i, j - i));
        std::string lower;
        for (const char c : word) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "inf") v = INFINITY;
        else if (lower == "nan") v = NAN;
        else if (lower == "stale" && sign > 0 && i == 0) v = stale_nan();
        else return false;
        if (lower != "stale") v *= sign;
        s.remove_prefix(j);
        return true;
    }
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_')) ++j;
    if (j < s.size() && (s[j] == 'e' || s[j] == 'E') && j + 1 < s.size() &&
        (std::isdigit(static_cast<unsigned char>(s[j + 1])) || s[j + 1] == '+' || s[j + 1] == '-')) {
        j += 2;
        while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    }
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k])) && s[k] != 'x') ++k;
    if (k > j) {  // a duration: seconds
        int64_t ms;
        if (!duration_ms(std::string(s.substr(i, k - i)), ms)) return false;
        v = sign * static_cast<double>(ms) / 1000;
        s.remove_prefix(k);
        return true;
    }
    if (j == i || !parse_go_float(s.substr(i, j - i), v)) return false;
    v *= sign;
    s.remove_prefix(j);
    return true;
}

bool repetition(std::string_view s, uint64_t& n) {
    if (s.empty() || s[0] != 'x' || s.size() == 1) return false;
    n = 0;
    for (size_t i = 1; i < s.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        n = n * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    return true;
}

bool parse_token(std::string_view tok, std::vector<SeqValue>& out) {
    if (tok == "_") return out.push_back({true, false, 0}), true;
    uint64_t n = 0;
    if (tok.size() > 1 && tok[0] == '_') {
        if (!repetition(tok.substr(1), n)) return false;
        for (uint64_t i = 0; i < n; ++i) out.push_back({true, false, 0});
        return true;
    }
    if (tok.substr(0, 2) == "{{") {  // native histograms: counted, never loaded
        const size_t close = tok.rfind("}}");
        n = 0;
        if (close != std::string_view::npos && close + 2 < tok.size() && !repetition(tok.substr(close + 2), n)) return false;
        for (uint64_t i = 0; i <= n; ++i) out.push_back({false, true, 0});
        return true;
    }
    double base;
    if (!scan_value(tok, base)) return false;
    if (tok.empty()) return out.push_back({false, false, base}), true;
    if (tok[0] == 'x') {
        if (!repetition(tok, n)) return false;
        for (uint64_t i = 0; i <= n; ++i) out.push_back({false, false, base});
        return true;
    }
    double inc;
    if ((tok[0] != '+' && tok[0] != '-') || !scan_value(tok, inc) || !repetition(tok, n)) return false;
    for (uint64_t i = 0; i <= n; ++i) {
        out.push_back({false, false, base});
        base += inc;
    }
    return true;
}

// Splits value tokens on whitespace, keeping {{ ... }} together.
std::vector<std::string> value_tokens(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
        if (i >= s.size()) break;
        size_t j = i;
        int depth = 0;
        while (j < s.size() && (depth > 0 || !std::isspace(static_cast<unsigned char>(s[j])))) {
            if (s.compare(j, 2, "{{") == 0) ++depth, ++j;
            else if (s.compare(j, 2, "}}") == 0 && depth > 0) --depth, ++j;
            ++j;
        }
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

// Where the metric part of a series line ends: after its label braces,
// or at the first space.
size_t metric_end(const std::string& s) {
    char quote = 0;
    bool braces = false;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quote) {
            if (c == '\\') ++i;
            else if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'' || c == '`') {
            quote = c;
        } else if (c == '{') {
            braces = true;
        } else if (c == '}' && braces) {
            return i + 1;
        } else if (!braces && std::isspace(static_cast<unsigned char>(c))) {
            return i;
        }
    }
    return s.size();
}

}  // namespace

bool duration_ms(const std::string& s, int64_t& ms) {
    int64_t ns;
    std::string err;
    if (!parse_duration_ns(s, ns, err)) return false;
    ms = ns / 1'000'000;
    return true;
}

bool parse_series_line(const std::string& line, SeriesLine& out, std::string& error) {
    const size_t end = metric_end(line);
    if (!parse_metric(line.substr(0, end), out.labels, error)) return false;
    out.values.clear();
    for (const std::string& tok : value_tokens(line.substr(end))) {
        if (!parse_token(tok, out.values)) {
            error = "bad series value \"" + tok + "\"";
            return false;
        }
    }
    return true;
}

}  // namespace mmwatch::promql::test
