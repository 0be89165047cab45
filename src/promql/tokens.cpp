// What the parser and its error messages ask of tokens: their kinds, and a
// token described as Prometheus's messages describe it (texts: lexer.cpp).
#include <string>

#include "promql/lexer.hpp"

namespace mmwatch::promql {

bool is_aggregator(Tok t) noexcept { return t >= Tok::avg && t <= Tok::limit_ratio; }
bool is_keyword(Tok t) noexcept { return t >= Tok::kw_bool && t <= Tok::without; }
bool is_operator(Tok t) noexcept { return t >= Tok::add && t <= Tok::at; }
bool is_comparison(Tok t) noexcept {
    return t == Tok::eqlc || t == Tok::neq || t == Tok::lte || t == Tok::lss || t == Tok::gte || t == Tok::gtr;
}
bool is_set_operator(Tok t) noexcept { return t == Tok::land || t == Tok::lor || t == Tok::lunless; }

namespace {
std::string go_quote_ascii(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}
}  // namespace

std::string describe(const Token& t) {
    switch (t.type) {
    case Tok::eof: return "end of input";
    case Tok::identifier: return "identifier " + go_quote_ascii(t.text);
    case Tok::metric_identifier: return "metric identifier " + go_quote_ascii(t.text);
    case Tok::number: return "number " + go_quote_ascii(t.text);
    case Tok::duration: return "duration " + go_quote_ascii(t.text);
    case Tok::string: {
        std::string q = go_quote_ascii(t.text);
        if (t.text.size() > 10) q = go_quote_ascii(t.text.substr(0, 10)) + "...";
        return "string " + q;
    }
    default: break;
    }
    if (is_keyword(t.type)) return "<" + std::string(t.text) + ">";
    if (is_operator(t.type) || t.type == Tok::atan2 || is_set_operator(t.type)) return "<op:" + std::string(t.text) + ">";
    if (is_aggregator(t.type)) return "<aggr:" + std::string(t.text) + ">";
    return go_quote_ascii(t.text);
}

}  // namespace mmwatch::promql
