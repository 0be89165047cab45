// PromQL's lexer: the input cut into tokens with byte positions, following
// Prometheus's lexer state by state (keywords are case-insensitive; inside
// {} every word is an identifier; inside [] only durations, numbers,
// arithmetic and step()/range()/min_of/max_of), with its error messages.
// A pure function over the query text; the tokens view into it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mmwatch::promql {

enum class Tok : uint8_t {
    eof, error, identifier, metric_identifier, number, duration, string,
    left_paren, right_paren, left_brace, right_brace, left_bracket, right_bracket,
    comma, eql, colon,
    // Operators.
    add, sub, mul, div, mod, pow, eqlc, neq, lte, lss, gte, gtr, trim_upper, trim_lower,
    eql_regex, neq_regex, land, lor, lunless, atan2, at,
    // Aggregators.
    avg, bottomk, count, count_values, group, max, min, quantile, stddev, stdvar, sum, topk,
    limitk, limit_ratio,
    // Keywords.
    kw_bool, by, group_left, group_right, fill, fill_left, fill_right, ignoring, offset,
    smoothed, anchored, on, without,
    // Preprocessors.
    start, end, step, range, max_of, min_of,
};

struct Token {
    Tok type = Tok::eof;
    uint32_t pos = 0;       // byte offset of the first character
    std::string_view text;  // the characters (for errors: empty; see Lexed::error)
};

struct Lexed {
    std::vector<Token> tokens;  // ends with eof or error
    std::string error;          // the message of a trailing error token
};

[[nodiscard]] Lexed lex(std::string_view input);

[[nodiscard]] bool is_aggregator(Tok t) noexcept;
[[nodiscard]] bool is_keyword(Tok t) noexcept;
[[nodiscard]] bool is_operator(Tok t) noexcept;
[[nodiscard]] bool is_comparison(Tok t) noexcept;
[[nodiscard]] bool is_set_operator(Tok t) noexcept;
// The operator's or keyword's spelling ("+", "and", "sum", "by").
[[nodiscard]] std::string_view tok_text(Tok t) noexcept;
// How an unexpected token is named in parse errors, as Prometheus does
// ("<op:+>", "identifier \"foo\"", "end of input").
[[nodiscard]] std::string describe(const Token& t);

// Go-syntax numbers as Prometheus reads them: ParseInt(s, 0, 64) first
// (0x, 0o, 0b, leading-zero octal, underscores), then ParseFloat (Inf, NaN,
// hex floats). False when neither accepts `s`; *out_of_range then says
// whether it was too large rather than malformed.
[[nodiscard]] bool parse_go_number(std::string_view s, double& out, bool* out_of_range = nullptr);
// strconv.ParseFloat(s, 64) alone (classic histograms' le labels).
[[nodiscard]] bool parse_go_float(std::string_view s, double& out);
// Prometheus durations (1h30m, 5m, 10s, 100ms; 0 alone), in nanoseconds;
// the message of model.ParseDuration when invalid.
[[nodiscard]] bool parse_duration_ns(std::string_view s, int64_t& ns, std::string& error);
// A quoted string literal ("..", '..' or `..`) with its escapes resolved;
// false when an escape is invalid.
[[nodiscard]] bool unquote(std::string_view quoted, std::string& out);

}  // namespace mmwatch::promql
