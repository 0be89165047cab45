#include <doctest/doctest.h>

#include "promql/parser.hpp"

using namespace mmwatch::promql;

namespace {

const ParseOptions kAll{true, true, true, true};

std::string round_trip(std::string_view q, const ParseOptions& o = kAll) {
    Parsed p = parse(q, o);
    return p.ok() ? to_string(*p.expr) : "ERROR " + p.error.to_string(q);
}

std::string error_of(std::string_view q, const ParseOptions& o = {}) {
    Parsed p = parse(q, o);
    return p.ok() ? "no error" : p.error.to_string(q);
}

}  // namespace

TEST_CASE("precedence_follows_the_grammar") {
    // Printed trees show the grouping through the types they check to.
    Parsed p = parse("1 + 2 * 3 ^ 2 ^ 2");
    REQUIRE(p.ok());
    auto& add = as<BinaryExpr>(*p.expr);
    CHECK(add.op == Tok::add);
    auto& mul = as<BinaryExpr>(*add.rhs);
    CHECK(mul.op == Tok::mul);
    auto& pow = as<BinaryExpr>(*mul.rhs);
    CHECK(pow.op == Tok::pow);
    CHECK(pow.rhs->kind == NodeKind::binary);  // ^ is right-associative
    Parsed q = parse("a or b and c unless d");
    REQUIRE(q.ok());
    CHECK(as<BinaryExpr>(*q.expr).op == Tok::lor);
}

TEST_CASE("unary_minus_binds_like_multiplication") {
    Parsed p = parse("-2 ^ 2");
    REQUIRE(p.ok());
    REQUIRE(p.expr->kind == NodeKind::unary);  // -(2 ^ 2)
    Parsed n = parse("-2 * 3");
    REQUIRE(n.ok());
    CHECK(as<NumberLiteral>(*as<BinaryExpr>(*n.expr).lhs).val == -2);  // (-2) * 3, the literal folded
}

TEST_CASE("postfix_modifiers_bind_tightest") {
    CHECK(round_trip("foo offset -2 ^ 2") == "foo offset -2s ^ 2");
    Parsed p = parse("foo offset 100 + 2", kAll);
    REQUIRE(p.ok());
    CHECK(p.expr->kind == NodeKind::binary);  // (foo offset 100) + 2
    CHECK(round_trip("foo[5m] @ 100 offset 1m") == "foo[5m] @ 100.000 offset 1m");
    CHECK(round_trip("rate(x[5m])[30m:1m]") == "rate(x[5m])[30m:1m]");
}

TEST_CASE("selectors_aggregations_and_matching") {
    CHECK(round_trip(R"(sum without (a) (rate({__name__="x", b=~"c.*"}[1m])))") ==
          R"(sum without (a) (rate({__name__="x", b=~"c.*"}[1m])))");
    CHECK(round_trip("sum(x) by (a, b)") == "sum by (a, b) (x)");
    CHECK(round_trip("a * on (b) group_left (c) d") == "a * on (b) group_left (c) d");
    CHECK(round_trip("a > bool b") == "a > bool b");
    CHECK(round_trip("topk(3, x)") == "topk(3, x)");
    CHECK(round_trip("count_values(\"v\", x)") == "count_values(\"v\", x)");
    CHECK(round_trip("sum") == "sum");  // an aggregation's name alone is a metric
    CHECK(round_trip(R"({"foo.bar", a="b"})") == R"({__name__="foo.bar", a="b"})");
    CHECK(round_trip("x[90]") == "x[1m30s]");  // plain numbers are seconds
}

TEST_CASE("parse_errors_as_prometheus_reports_them") {
    CHECK(error_of("") == "unknown position: parse error: no expression found in input");
    CHECK(error_of("1+") == "1:3: parse error: unexpected end of input");
    CHECK(error_of("foo bar") == "1:5: parse error: unexpected identifier \"bar\"");
    CHECK(error_of("sum(x") == "1:6: parse error: unclosed left parenthesis");
    CHECK(error_of("(1))") == "1:5: parse error: unexpected right parenthesis ')'");
    CHECK(error_of("1 == 1") == "1:3: parse error: comparisons between scalars must use BOOL modifier");
    CHECK(error_of("1 and 1") == "1:1: parse error: set operator \"and\" not allowed in binary scalar expression");
    CHECK(error_of("rate(x)") ==
          "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector");
    CHECK(error_of("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
    CHECK(error_of("foo{}") == "no error");
    CHECK(error_of("{a=~\".*\"}") == "1:1: parse error: vector selector must contain at least one non-empty matcher");
    CHECK(error_of("foo offset 1s offset 2s") == "1:1: parse error: offset may not be set multiple times");
    CHECK(error_of("1 offset 1d") ==
          "1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector "
          "or a subquery");
    CHECK(error_of("foo[5m] offset 1m [5m]") == "1:19: parse error: ranges only allowed for vector selectors");
    CHECK(error_of("nonexistent(x)") == "1:1: parse error: unknown function with name \"nonexistent\"");
    CHECK(error_of("sort_by_label(x, \"a\")") == "1:1: parse error: function \"sort_by_label\" is not enabled");
    CHECK(error_of("limitk(1, x)") ==
          "1:1: parse error: limitk() is experimental and must be enabled with "
          "--enable-feature=promql-experimental-functions");
    CHECK(error_of("foo[5m+1m]") == "1:5: parse error: experimental duration expression is not enabled");
    CHECK(error_of("foo[0]") == "1:5: parse error: duration must be greater than 0");
    CHECK(error_of("x{a=~\"(\"}") .find("error parsing regexp: missing )") != std::string::npos);
    CHECK(error_of("sum(x,)") == "1:6: parse error: trailing commas not allowed in function call args");
    CHECK(error_of("foo @ +Inf") == "1:1: parse error: timestamp out of bounds for @ modifier: +Inf");
    CHECK(error_of("a - on(b) ignoring(c) d") == "1:11: parse error: unexpected <ignoring>");
}

TEST_CASE("error_positions_count_lines") {
    CHECK(error_of("foo +\n bar baz") == "2:6: parse error: unexpected identifier \"baz\"");
}

TEST_CASE("nesting_past_the_limit_is_refused_not_a_crash") {
    std::string deep(kMaxParseDepth + 10, '(');
    deep += "1";
    deep += std::string(kMaxParseDepth + 10, ')');
    CHECK(error_of(deep).find("nesting is deeper than") != std::string::npos);
    std::string ok(50, '(');
    ok += "1" + std::string(50, ')');
    CHECK(error_of(ok) == "no error");
}

TEST_CASE("parse_metric_and_parse_selector") {
    Labels ls;
    std::string err;
    REQUIRE(parse_metric(R"(up{job="a", "odd.name"="b"})", ls, err));
    CHECK(ls.to_string() == R"({__name__="up", job="a", "odd.name"="b"})");
    REQUIRE(parse_metric("{}", ls, err));
    CHECK(ls.empty());
    CHECK(!parse_metric("up{job=}", ls, err));
    std::vector<Matcher> ms;
    REQUIRE(parse_selector(R"(up{job=~"a|b"})", ms, err));
    REQUIRE(ms.size() == 2);
    CHECK(ms[0].matches("a"));
    CHECK(!ms[0].matches("ab"));  // regexes are fully anchored
    CHECK(!parse_selector("rate(up[5m])", ms, err));
}
