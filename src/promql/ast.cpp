#include "promql/ast.hpp"

#include "promql/format.hpp"
#include "promql/label_set.hpp"

namespace mmwatch::promql {

ValueType Expr::type() const noexcept {
    switch (kind) {
    case NodeKind::aggregate: return ValueType::vector;
    case NodeKind::call: {
        const auto& c = as<Call>(*this);
        return c.func ? c.func->return_type : ValueType::none;
    }
    case NodeKind::matrix_selector:
    case NodeKind::subquery: return ValueType::matrix;
    case NodeKind::number:
    case NodeKind::duration: return ValueType::scalar;
    case NodeKind::string: return ValueType::string;
    case NodeKind::vector_selector: return ValueType::vector;
    case NodeKind::paren: return as<ParenExpr>(*this).expr->type();
    case NodeKind::unary: return as<UnaryExpr>(*this).expr->type();
    case NodeKind::step_invariant: return as<StepInvariantExpr>(*this).expr->type();
    case NodeKind::binary: {
        const auto& b = as<BinaryExpr>(*this);
        return b.lhs->type() == ValueType::scalar && b.rhs->type() == ValueType::scalar ? ValueType::scalar
                                                                                           : ValueType::vector;
    }
    }
    return ValueType::none;
}

PosRange Expr::pos() const noexcept {
    switch (kind) {
    case NodeKind::aggregate: return as<AggregateExpr>(*this).range;
    case NodeKind::call: return as<Call>(*this).range;
    case NodeKind::number: return as<NumberLiteral>(*this).range;
    case NodeKind::string: return as<StringLiteral>(*this).range;
    case NodeKind::paren: return as<ParenExpr>(*this).range;
    case NodeKind::vector_selector: return as<VectorSelector>(*this).range;
    case NodeKind::matrix_selector: {
        const auto& m = as<MatrixSelector>(*this);
        return {m.vector_selector->pos().start, m.end_pos};
    }
    case NodeKind::subquery: {
        const auto& s = as<SubqueryExpr>(*this);
        return {s.expr->pos().start, s.end_pos};
    }
    case NodeKind::unary: {
        const auto& u = as<UnaryExpr>(*this);
        return {u.start, u.expr->pos().end};
    }
    case NodeKind::binary: {
        const auto& b = as<BinaryExpr>(*this);
        return {b.lhs->pos().start, b.rhs->pos().end};
    }
    case NodeKind::step_invariant: return as<StepInvariantExpr>(*this).expr->pos();
    case NodeKind::duration: {
        const auto& d = as<DurationExpr>(*this);
        const uint32_t start = d.lhs ? d.lhs->pos().start : d.start;
        const uint32_t end = d.rhs ? d.rhs->pos().end : d.end;
        return {start, end};
    }
    }
    return {};
}

std::vector<Expr*> children(Expr& e) {
    switch (e.kind) {
    case NodeKind::aggregate: {
        auto& a = as<AggregateExpr>(e);
        if (a.param) return {a.param.get(), a.expr.get()};
        return {a.expr.get()};
    }
    case NodeKind::binary: return {as<BinaryExpr>(e).lhs.get(), as<BinaryExpr>(e).rhs.get()};
    case NodeKind::call: {
        std::vector<Expr*> out;
        for (auto& a : as<Call>(e).args) out.push_back(a.get());
        return out;
    }
    case NodeKind::matrix_selector: return {as<MatrixSelector>(e).vector_selector.get()};
    case NodeKind::subquery: return {as<SubqueryExpr>(e).expr.get()};
    case NodeKind::paren: return {as<ParenExpr>(e).expr.get()};
    case NodeKind::unary: return {as<UnaryExpr>(e).expr.get()};
    case NodeKind::step_invariant: return {as<StepInvariantExpr>(e).expr.get()};
    default: return {};
    }
}

namespace {

void write(std::string& out, const Expr& e);

void write_labels(std::string& out, const std::vector<std::string>& names) {
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += ", ";
        if (is_legacy_label_name(names[i])) out += names[i];
        else append_go_quoted(out, names[i]);
    }
}

void write_at_offset(std::string& out, const std::optional<int64_t>& ts, Tok start_or_end, int64_t offset_ns,
                     const ExprPtr& offset_expr) {
    if (ts) out += " @ " + format_fixed3(static_cast<double>(*ts) / 1000.0);
    else if (start_or_end == Tok::start) out += " @ start()";
    else if (start_or_end == Tok::end) out += " @ end()";
    if (offset_expr) {
        out += " offset ";
        write(out, *offset_expr);
    } else if (offset_ns > 0) {
        out += " offset " + format_duration_ns(offset_ns);
    } else if (offset_ns < 0) {
        out += " offset -" + format_duration_ns(-offset_ns);
    }
}

void write_selector(std::string& out, const VectorSelector& vs) {
    out += vs.name;
    std::string matchers;
    for (const Matcher& m : vs.matchers) {
        if (!vs.name.empty() && m.name() == kMetricNameLabel && m.type() == MatchType::equal) continue;
        if (!matchers.empty()) matchers += ", ";
        matchers += m.to_string();
    }
    if (!matchers.empty() || vs.name.empty()) out += "{" + matchers + "}";
}

void write_binary(std::string& out, const BinaryExpr& b) {
    write(out, *b.lhs);
    out += ' ';
    out += tok_text(b.op);
    if (b.return_bool) out += " bool";
    if (b.matching) {
        const VectorMatching& vm = *b.matching;
        const bool grouped = vm.card == Card::many_to_one || vm.card == Card::one_to_many;
        if (!vm.matching_labels.empty() || vm.on || grouped) {
            out += vm.on ? " on (" : " ignoring (";
            write_labels(out, vm.matching_labels);
            out += ")";
        }
        if (grouped) {
            out += vm.card == Card::many_to_one ? " group_left (" : " group_right (";
            write_labels(out, vm.include);
            out += ")";
        }
        if (vm.fill_lhs && vm.fill_rhs && *vm.fill_lhs == *vm.fill_rhs) {
            out += " fill (" + format_go_g(*vm.fill_lhs) + ")";
        } else {
            if (vm.fill_lhs) out += " fill_left (" + format_go_g(*vm.fill_lhs) + ")";
            if (vm.fill_rhs) out += " fill_right (" + format_go_g(*vm.fill_rhs) + ")";
        }
    }
    out += ' ';
    write(out, *b.rhs);
}

void write_duration(std::string& out, const DurationExpr& d) {
    if (d.wrapped) out += '(';
    if (d.op == Tok::step) out += "step()";
    else if (d.op == Tok::range) out += "range()";
    else if (d.op == Tok::min_of || d.op == Tok::max_of) {
        out += d.op == Tok::min_of ? "min_of(" : "max_of(";
        write(out, *d.lhs);
        out += ", ";
        write(out, *d.rhs);
        out += ')';
    } else if (!d.lhs) {
        if (d.op == Tok::sub) out += '-';
        write(out, *d.rhs);
    } else {
        write(out, *d.lhs);
        out += ' ';
        out += tok_text(d.op);
        out += ' ';
        write(out, *d.rhs);
    }
    if (d.wrapped) out += ')';
}

void write_range(std::string& out, int64_t ns, const ExprPtr& expr) {
    if (expr) write(out, *expr);
    else out += format_duration_ns(ns);
}

void write(std::string& out, const Expr& e) {
    switch (e.kind) {
    case NodeKind::aggregate: {
        const auto& a = as<AggregateExpr>(e);
        out += tok_text(a.op);
        if (a.without || !a.grouping.empty()) {
            out += a.without ? " without (" : " by (";
            write_labels(out, a.grouping);
            out += ") ";
        }
        out += '(';
        if (a.param) {
            write(out, *a.param);
            out += ", ";
        }
        write(out, *a.expr);
        out += ')';
        return;
    }
    case NodeKind::binary: return write_binary(out, as<BinaryExpr>(e));
    case NodeKind::call: {
        const auto& c = as<Call>(e);
        out += c.func ? c.func->name : "?";
        out += '(';
        for (size_t i = 0; i < c.args.size(); ++i) {
            if (i > 0) out += ", ";
            write(out, *c.args[i]);
        }
        out += ')';
        return;
    }
    case NodeKind::matrix_selector: {
        const auto& m = as<MatrixSelector>(e);
        const auto& vs = m.vs();
        write_selector(out, vs);
        out += '[';
        write_range(out, m.range_ns, m.range_expr);
        out += ']';
        if (vs.anchored) out += " anchored";
        if (vs.smoothed) out += " smoothed";
        write_at_offset(out, vs.timestamp_ms, vs.start_or_end, vs.original_offset_ns, vs.original_offset_expr);
        return;
    }
    case NodeKind::subquery: {
        const auto& s = as<SubqueryExpr>(e);
        write(out, *s.expr);
        out += '[';
        write_range(out, s.range_ns, s.range_expr);
        out += ':';
        if (s.step_expr || s.step_ns != 0) write_range(out, s.step_ns, s.step_expr);
        out += ']';
        write_at_offset(out, s.timestamp_ms, s.start_or_end, s.original_offset_ns, s.original_offset_expr);
        return;
    }
    case NodeKind::number: out += format_go_g(as<NumberLiteral>(e).val); return;
    case NodeKind::string: append_go_quoted(out, as<StringLiteral>(e).val); return;
    case NodeKind::paren:
        out += '(';
        write(out, *as<ParenExpr>(e).expr);
        out += ')';
        return;
    case NodeKind::unary:
        out += tok_text(as<UnaryExpr>(e).op);
        write(out, *as<UnaryExpr>(e).expr);
        return;
    case NodeKind::vector_selector: {
        const auto& vs = as<VectorSelector>(e);
        write_selector(out, vs);
        if (vs.anchored) out += " anchored";
        if (vs.smoothed) out += " smoothed";
        write_at_offset(out, vs.timestamp_ms, vs.start_or_end, vs.original_offset_ns, vs.original_offset_expr);
        return;
    }
    case NodeKind::step_invariant: write(out, *as<StepInvariantExpr>(e).expr); return;
    case NodeKind::duration: write_duration(out, as<DurationExpr>(e)); return;
    }
}

}  // namespace

std::string to_string(const Expr& e) {
    std::string out;
    write(out, e);
    return out;
}

}  // namespace mmwatch::promql
