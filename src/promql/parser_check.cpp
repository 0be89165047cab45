// Prometheus's checkAST: the type rules of the language, checked after
// parsing in the same order so the first complaint is the same one.
#include <algorithm>

#include "promql/parser_impl.hpp"

namespace mmwatch::promql {

namespace {

class Checker {
public:
    Checker(std::string_view query, ParseError& error) : query_(query), error_(error) {}
    bool failed() const noexcept { return failed_; }
    ValueType check(Expr& e);

private:
    void fail(PosRange pos, std::string message) {
        if (failed_) return;
        failed_ = true;
        error_ = {pos, std::move(message)};
    }
    void expect_type(Expr& e, ValueType want, std::string_view context) {
        const ValueType t = check(e);
        if (t != want)
            fail(e.pos(), "expected type " + std::string(documented_type(want)) + " in " + std::string(context) +
                              ", got " + std::string(documented_type(t)));
    }
    void aggregate(AggregateExpr& a);
    void binary(BinaryExpr& b);
    void call(Call& c);
    void vector_selector(VectorSelector& vs);
    PosRange operator_range(const BinaryExpr& b) const;

    std::string_view query_;
    ParseError& error_;
    bool failed_ = false;
};

ValueType Checker::check(Expr& e) {
    if (failed_) return e.type();
    switch (e.kind) {
    case NodeKind::aggregate: aggregate(as<AggregateExpr>(e)); break;
    case NodeKind::binary: binary(as<BinaryExpr>(e)); break;
    case NodeKind::call: call(as<Call>(e)); break;
    case NodeKind::paren: check(*as<ParenExpr>(e).expr); break;
    case NodeKind::unary: {
        auto& u = as<UnaryExpr>(e);
        const ValueType t = check(*u.expr);
        if (t != ValueType::scalar && t != ValueType::vector)
            fail(e.pos(), "unary expression only allowed on expressions of type scalar or instant vector, got \"" +
                              std::string(documented_type(t)) + "\"");
        break;
    }
    case NodeKind::subquery: {
        const ValueType t = check(*as<SubqueryExpr>(e).expr);
        if (t != ValueType::vector)
            fail(e.pos(), "subquery is only allowed on instant vector, got " +
                              std::string(t == ValueType::matrix ? "matrix" : documented_type(t)) + " instead");
        break;
    }
    case NodeKind::matrix_selector: check(*as<MatrixSelector>(e).vector_selector); break;
    case NodeKind::vector_selector: vector_selector(as<VectorSelector>(e)); break;
    case NodeKind::step_invariant: check(*as<StepInvariantExpr>(e).expr); break;
    case NodeKind::number:
    case NodeKind::string:
    case NodeKind::duration: break;
    }
    return e.type();
}

void Checker::aggregate(AggregateExpr& a) {
    expect_type(*a.expr, ValueType::vector, "aggregation expression");
    switch (a.op) {
    case Tok::topk: case Tok::bottomk: case Tok::quantile: case Tok::limitk: case Tok::limit_ratio:
        expect_type(*a.param, ValueType::scalar, "aggregation parameter");
        break;
    case Tok::count_values: expect_type(*a.param, ValueType::string, "aggregation parameter"); break;
    default: break;
    }
}

PosRange Checker::operator_range(const BinaryExpr& b) const {
    uint32_t start = b.lhs->pos().end, end = b.rhs->pos().start;
    while (start < query_.size() && (query_[start] == ' ' || query_[start] == '\t' || query_[start] == '\n' ||
                                     query_[start] == '\r'))
        ++start;
    if (end > 0) --end;
    while (end > start && end < query_.size() &&
           (query_[end] == ' ' || query_[end] == '\t' || query_[end] == '\n' || query_[end] == '\r'))
        --end;
    return {start, end};
}

void Checker::binary(BinaryExpr& b) {
    const ValueType lt = check(*b.lhs);
    const ValueType rt = check(*b.rhs);
    if (failed_) return;
    if (b.return_bool && !is_comparison(b.op)) fail(operator_range(b), "bool modifier can only be used on comparison operators");
    if (is_comparison(b.op) && !b.return_bool && lt == ValueType::scalar && rt == ValueType::scalar)
        fail(operator_range(b), "comparisons between scalars must use BOOL modifier");
    VectorMatching& vm = *b.matching;
    if (is_set_operator(b.op) && vm.card == Card::one_to_one) vm.card = Card::many_to_many;
    if (vm.on)
        for (const auto& l1 : vm.matching_labels)
            if (std::find(vm.include.begin(), vm.include.end(), l1) != vm.include.end())
                fail(operator_range(b), "label \"" + l1 + "\" must not occur in ON and GROUP clause at once");
    if (lt != ValueType::scalar && lt != ValueType::vector)
        fail(b.lhs->pos(), "binary expression must contain only scalar and instant vector types");
    if (rt != ValueType::scalar && rt != ValueType::vector)
        fail(b.rhs->pos(), "binary expression must contain only scalar and instant vector types");
    const std::string op = "\"" + std::string(tok_text(b.op)) + "\"";
    if (lt != ValueType::vector || rt != ValueType::vector) {
        if (!vm.matching_labels.empty()) fail(b.pos(), "vector matching only allowed between instant vectors");
        if (vm.fill_lhs || vm.fill_rhs) fail(b.pos(), "filling in missing series only allowed between instant vectors");
        b.matching.reset();
    } else if (is_set_operator(b.op)) {
        if (vm.card == Card::one_to_many || vm.card == Card::many_to_one)
            fail(b.pos(), "no grouping allowed for " + op + " operation");
        if (vm.card != Card::many_to_many) fail(b.pos(), "set operations must always be many-to-many");
        if (vm.fill_lhs || vm.fill_rhs) fail(b.pos(), "filling in missing series not allowed for set operators");
    }
    if ((lt == ValueType::scalar || rt == ValueType::scalar) && is_set_operator(b.op))
        fail(b.pos(), "set operator " + op + " not allowed in binary scalar expression");
}

void Checker::call(Call& c) {
    const Function& f = *c.func;
    const size_t n = f.arg_count, got = c.args.size();
    const std::string name = "\"" + std::string(f.name) + "\"";
    if (f.variadic == 0) {
        if (n != got)
            fail(c.range, "expected " + std::to_string(n) + " argument(s) in call to " + name + ", got " +
                              std::to_string(got));
    } else if (n - 1 > got) {
        fail(c.range, "expected at least " + std::to_string(n - 1) + " argument(s) in call to " + name + ", got " +
                          std::to_string(got));
    } else if (f.variadic > 0 && n - 1 + static_cast<size_t>(f.variadic) < got) {
        fail(c.range, "expected at most " + std::to_string(n - 1 + static_cast<size_t>(f.variadic)) +
                          " argument(s) in call to " + name + ", got " + std::to_string(got));
    }
    if (f.id == Fn::info && got > 1) {
        if (c.args[1]->type() != ValueType::vector)
            fail(c.range, "expected type instant vector in call to function \"info\", got " +
                              std::string(documented_type(c.args[1]->type())));
        if (c.args[1]->kind != NodeKind::vector_selector) fail(c.args[1]->pos(), "expected label selectors only");
        else if (!as<VectorSelector>(*c.args[1]).name.empty())
            fail(c.args[1]->pos(), "expected label selectors only, got vector selector instead");
        else as<VectorSelector>(*c.args[1]).bypass_empty_matcher_check = true;
    }
    for (size_t i = 0; i < got; ++i) {
        size_t k = i;
        if (k >= n) {
            if (f.variadic == 0) break;
            k = n - 1;
        }
        const ValueType t = check(*c.args[i]);
        if (t != f.arg_types[k])
            fail(c.args[i]->pos(), "expected type " + std::string(documented_type(f.arg_types[k])) +
                                       " in call to function " + name + ", got " + std::string(documented_type(t)));
    }
}

void Checker::vector_selector(VectorSelector& vs) {
    if (!vs.name.empty()) {
        for (size_t i = 0; i + 1 < vs.matchers.size(); ++i)
            if (vs.matchers[i].name() == kMetricNameLabel)
                fail(vs.range, "metric name must not be set twice: \"" + vs.name + "\" or \"" +
                                   vs.matchers[i].value() + "\"");
        return;
    }
    if (vs.bypass_empty_matcher_check) return;
    for (const Matcher& m : vs.matchers)
        if (!m.matches("")) return;
    fail(vs.range, "vector selector must contain at least one non-empty matcher");
}

}  // namespace

bool check_tree(Expr& e, std::string_view query, ParseError& error) {
    Checker c(query, error);
    const ValueType t = c.check(e);
    if (!c.failed() && t == ValueType::none)
        error = {e.pos(), "evaluation statement must have a valid expression type but got none"};
    return !c.failed() && t != ValueType::none;
}

bool parse_metric(std::string_view text, Labels& out, std::string& error) {
    detail::Parser p(text, {});
    if (p.metric(out)) return true;
    error = p.error().to_string(text);
    return false;
}

bool parse_selector(std::string_view text, std::vector<Matcher>& out, std::string& error) {
    Parsed p = parse(text);
    if (!p.ok()) {
        error = p.error.to_string(text);
        return false;
    }
    if (p.expr->kind != NodeKind::vector_selector) {
        error = "1:1: parse error: expected a selector";
        return false;
    }
    const auto& vs = as<VectorSelector>(*p.expr);
    if (vs.original_offset_ns != 0 || vs.timestamp_ms || vs.start_or_end != Tok::eof || vs.anchored || vs.smoothed) {
        error = "1:1: parse error: a selector takes no modifiers here";
        return false;
    }
    out = vs.matchers;
    return true;
}

}  // namespace mmwatch::promql
