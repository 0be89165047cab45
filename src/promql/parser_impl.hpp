// The parser's state, shared by parser.cpp (expressions, calls,
// aggregations) and parser_modifiers.cpp (selectors, binary modifiers,
// ranges, offset, @ and duration expressions). Private to src/promql.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "promql/parser.hpp"

namespace mmwatch::promql::detail {

class Parser {
public:
    Parser(std::string_view query, const ParseOptions& opts);
    Parsed run();
    // The label set of `name{a="b"}` (Prometheus's ParseMetric).
    bool metric(Labels& out);
    [[nodiscard]] const ParseError& error() const noexcept { return error_; }

private:
    struct DepthGuard {
        explicit DepthGuard(Parser& p) : p_(p) {
            if (++p_.depth_ > kMaxParseDepth)
                p_.fail({0, 0}, "expression nesting is deeper than " + std::to_string(kMaxParseDepth) + " levels");
        }
        ~DepthGuard() { --p_.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;
        Parser& p_;
    };

    [[nodiscard]] const Token& peek(size_t ahead = 0) const noexcept;
    Token next() noexcept;
    std::nullptr_t fail(PosRange pos, std::string message);
    std::nullptr_t unexpected(std::string_view context, std::string_view expected);
    [[nodiscard]] static PosRange span(const Token& t) noexcept {
        return {t.pos, t.pos + static_cast<uint32_t>(t.text.size())};
    }
    [[nodiscard]] static std::string go_quote(std::string_view s);

    ExprPtr expr(int min_prec);
    ExprPtr unary();
    ExprPtr primary();
    ExprPtr number_literal();
    ExprPtr call();
    bool call_body(std::vector<ExprPtr>& args);
    ExprPtr aggregate();
    bool grouping_labels(std::vector<std::string>& out);

    // parser_modifiers.cpp
    ExprPtr selector(const Token* name);
    bool label_matchers(VectorSelector& vs, uint32_t& end);
    bool label_matcher(VectorSelector& vs);
    bool bin_modifiers(BinaryExpr& b);
    bool fill_value(double& out);
    ExprPtr postfix(ExprPtr e);
    ExprPtr range_or_subquery(ExprPtr e);
    ExprPtr offset(ExprPtr e);
    ExprPtr at(ExprPtr e);
    ExprPtr extended(ExprPtr e, Tok which);
    ExprPtr duration(int min_prec);
    ExprPtr duration_primary();
    ExprPtr duration_call();
    ExprPtr offset_duration();
    ExprPtr signed_duration(const Token& sign, ExprPtr operand, bool wrapped);
    bool positive_duration(ExprPtr& d, int64_t& ns);
    bool plain_or_expr(ExprPtr& d, int64_t& ns, ExprPtr& expr_out, bool positive);
    bool label_set_item(std::vector<std::pair<std::string, std::string>>& pairs);

    std::string_view query_;
    ParseOptions opts_;
    Lexed lexed_;
    size_t at_ = 0;
    uint32_t last_closing_ = 0;
    int depth_ = 0;
    bool failed_ = false;
    bool in_brackets_ = false;
    ParseError error_;
};

}  // namespace mmwatch::promql::detail
