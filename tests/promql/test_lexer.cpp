#include <doctest/doctest.h>

#include <cmath>

#include "promql/lexer.hpp"

using namespace mmwatch::promql;

namespace {

std::vector<Tok> types(std::string_view in) {
    std::vector<Tok> out;
    for (const Token& t : lex(in).tokens) out.push_back(t.type);
    return out;
}

}  // namespace

TEST_CASE("keywords_are_case_insensitive_and_words_inside_braces_are_identifiers") {
    CHECK(types("SUM BY (a)") == std::vector{Tok::sum, Tok::by, Tok::left_paren, Tok::identifier, Tok::right_paren, Tok::eof});
    CHECK(types("{sum=\"x\"}") == std::vector{Tok::left_brace, Tok::identifier, Tok::eql, Tok::string, Tok::right_brace, Tok::eof});
    CHECK(types("a:b") == std::vector{Tok::metric_identifier, Tok::eof});
    CHECK(types("Inf nan") == std::vector{Tok::number, Tok::number, Tok::eof});
}

TEST_CASE("fill_is_a_keyword_only_before_a_parenthesis") {
    CHECK(types("fill") == std::vector{Tok::identifier, Tok::eof});
    CHECK(types("fill (0)")[0] == Tok::fill);
}

TEST_CASE("numbers_and_durations") {
    CHECK(types("1.5e3 .5 0x1F 1_000 5m 1h30m 100ms") ==
          std::vector{Tok::number, Tok::number, Tok::number, Tok::number, Tok::duration, Tok::duration, Tok::duration,
                      Tok::eof});
    const Lexed bad = lex("2.5.");
    REQUIRE(bad.tokens.back().type == Tok::error);
    CHECK(bad.error == "bad number or duration syntax: \"2.5.\"");
}

TEST_CASE("operators_and_comparisons") {
    CHECK(types("a != b =~ c !~ d <= e >= f == g ^ h") ==
          std::vector{Tok::identifier, Tok::neq, Tok::identifier, Tok::error});  // =~ only inside braces
    CHECK(types("a <= b >= c == d ^ e % f") ==
          std::vector{Tok::identifier, Tok::lte, Tok::identifier, Tok::gte, Tok::identifier, Tok::eqlc, Tok::identifier,
                      Tok::pow, Tok::identifier, Tok::mod, Tok::identifier, Tok::eof});
}

TEST_CASE("lexer_errors_carry_prometheus_messages") {
    CHECK(lex("\"abc").error == "unterminated quoted string");
    CHECK(lex("`abc").error == "unterminated raw string");
    CHECK(lex("\"\\q\"").error == "unknown escape sequence U+0071 'q'");
    CHECK(lex("(1))").error == "unexpected right parenthesis ')'");
    CHECK(lex("foo[5m").error == "unclosed left bracket");
    CHECK(lex("sum(x").error == "unclosed left parenthesis");
    CHECK(lex("{a=\"b\"").error == "unexpected end of input inside braces");
    CHECK(lex("foo[x]").error == "unexpected character in duration expression: 'x'");
    CHECK(lex("a $ b").error == "unexpected character: '$'");
}

TEST_CASE("comments_are_skipped") {
    CHECK(types("foo # a comment\n+ bar") == std::vector{Tok::identifier, Tok::add, Tok::identifier, Tok::eof});
}

TEST_CASE("go_numbers_read_as_prometheus_reads_them") {
    double v;
    CHECK((parse_go_number("010", v) && v == 8));  // ParseInt with base 0: octal
    CHECK((parse_go_number("0x1F", v) && v == 31));
    CHECK((parse_go_number("1_000", v) && v == 1000));
    CHECK((parse_go_number("09", v) && v == 9));  // not octal: ParseFloat takes it
    CHECK((parse_go_number("1e3", v) && v == 1000));
    CHECK((parse_go_number("0x1p-2", v) && v == 0.25));
    CHECK((parse_go_number("inf", v) && std::isinf(v)));
    CHECK((parse_go_number("NaN", v) && std::isnan(v)));
    bool range = false;
    CHECK(!parse_go_number("1e999", v, &range));
    CHECK(range);
    CHECK(!parse_go_number("1__0", v));
    CHECK(!parse_go_number("0x", v));
    CHECK(!parse_go_float("010x", v));
    CHECK((parse_go_float("010", v) && v == 10));  // le labels are decimal
}

TEST_CASE("durations_as_model_parse_duration") {
    int64_t ns;
    std::string err;
    CHECK((parse_duration_ns("1h30m", ns, err) && ns == 5'400'000'000'000));
    CHECK((parse_duration_ns("100ms", ns, err) && ns == 100'000'000));
    CHECK((parse_duration_ns("1y", ns, err) && ns == 365LL * 24 * 3600 * 1'000'000'000));
    CHECK((parse_duration_ns("0", ns, err) && ns == 0));
    CHECK(!parse_duration_ns("30m1h", ns, err));
    CHECK(err == "not a valid duration string: \"30m1h\"");
    CHECK(!parse_duration_ns("5x", ns, err));
    CHECK(err == "unknown unit \"x\" in duration \"5x\"");
    CHECK(!parse_duration_ns("300000000y", ns, err));
    CHECK(err == "duration out of range");
}

TEST_CASE("string_literals_unquote_like_go") {
    std::string s;
    CHECK((unquote(R"("a\nb\x41\u00e9")", s) && s == "a\nbAé"));
    CHECK((unquote(R"('it\'s')", s) && s == "it's"));
    CHECK((unquote("`raw\\n`", s) && s == "raw\\n"));
    CHECK(!unquote(R"("\'")", s));  // \' only in single quotes
    CHECK(!unquote(R"("\x4")", s));
}

TEST_CASE("describe_names_tokens_as_prometheus_errors_do") {
    const Lexed l = lex("sum + foo 5 \"s\" by");
    CHECK(describe(l.tokens[0]) == "<aggr:sum>");
    CHECK(describe(l.tokens[1]) == "<op:+>");
    CHECK(describe(l.tokens[2]) == "identifier \"foo\"");
    CHECK(describe(l.tokens[3]) == "number \"5\"");
    CHECK(describe(l.tokens[4]) == "string \"\\\"s\\\"\"");
    CHECK(describe(l.tokens[5]) == "<by>");
    CHECK(describe(l.tokens.back()) == "end of input");
}
