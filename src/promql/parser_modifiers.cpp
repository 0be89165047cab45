// Selectors, binary-operator modifiers and the postfix modifiers: [range],
// [range:step], offset, @, anchored, smoothed, with duration expressions.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "promql/parser_impl.hpp"

namespace mmwatch::promql::detail {

namespace {

bool match_op(Tok t, MatchType& out) noexcept {
    switch (t) {
    case Tok::eql: out = MatchType::equal; return true;
    case Tok::neq: out = MatchType::not_equal; return true;
    case Tok::eql_regex: out = MatchType::regexp; return true;
    case Tok::neq_regex: out = MatchType::not_regexp; return true;
    default: return false;
    }
}

bool starts_duration(Tok t) noexcept {
    switch (t) {
    case Tok::number: case Tok::duration: case Tok::add: case Tok::sub: case Tok::left_paren:
    case Tok::step: case Tok::range: case Tok::min_of: case Tok::max_of:
        return true;
    default:
        return false;
    }
}

bool duration_out_of_range(double v) noexcept { return v > 9223372036.854775807 || v < -9223372036.854775808; }

int64_t seconds_to_ns(double s) noexcept { return static_cast<int64_t>(std::round(s * 1e9)); }

// Where offset and @ go on the nodes that take them (a selector, the
// selector of a range, a subquery); all null for any other node.
struct ModifierSlots {
    int64_t* offset_ns = nullptr;
    ExprPtr* offset_expr = nullptr;
    std::optional<int64_t>* timestamp_ms = nullptr;
    Tok* start_or_end = nullptr;
    uint32_t* end = nullptr;
};

ModifierSlots modifier_slots(Expr& e) {
    if (e.kind == NodeKind::vector_selector) {
        auto& vs = as<VectorSelector>(e);
        return {&vs.original_offset_ns, &vs.original_offset_expr, &vs.timestamp_ms, &vs.start_or_end, &vs.range.end};
    }
    if (e.kind == NodeKind::matrix_selector) {
        auto& m = as<MatrixSelector>(e);
        auto& vs = m.vs();
        return {&vs.original_offset_ns, &vs.original_offset_expr, &vs.timestamp_ms, &vs.start_or_end, &m.end_pos};
    }
    if (e.kind == NodeKind::subquery) {
        auto& sq = as<SubqueryExpr>(e);
        return {&sq.original_offset_ns, &sq.original_offset_expr, &sq.timestamp_ms, &sq.start_or_end, &sq.end_pos};
    }
    return {};
}

}  // namespace

std::string Parser::go_quote(std::string_view s) {
    std::string out;
    append_go_quoted(out, s);
    return out;
}

ExprPtr Parser::selector(const Token* name) {
    auto vs = std::make_unique<VectorSelector>();
    if (name) {
        vs->name = std::string(name->text);
        vs->range = span(*name);
    }
    if (peek().type == Tok::left_brace) {
        const uint32_t start = name ? name->pos : peek().pos;
        uint32_t end = 0;
        if (!label_matchers(*vs, end)) return nullptr;
        vs->range = {start, end};
    }
    if (name) {
        std::string ignored;
        vs->matchers.push_back(Matcher::make(MatchType::equal, std::string(kMetricNameLabel), vs->name, &ignored));
    }
    return vs;
}

bool Parser::label_matchers(VectorSelector& vs, uint32_t& end) {
    next();  // {
    while (peek().type != Tok::right_brace) {
        if (!label_matcher(vs)) return false;
        if (peek().type == Tok::comma) {
            next();
            continue;
        }
        if (peek().type != Tok::right_brace) {
            unexpected("label matching", "\",\" or \"}\"");
            return false;
        }
    }
    const Token close = next();
    end = close.pos + 1;
    return true;
}

bool Parser::label_matcher(VectorSelector& vs) {
    const Token label = peek();
    std::string name;
    if (label.type == Tok::identifier) {
        name = std::string(label.text);
    } else if (label.type == Tok::string) {
        if (!unquote(label.text, name)) return fail(span(label), "error unquoting string " + go_quote(label.text)), false;
    } else {
        unexpected("label matching", "identifier or \"}\"");
        return false;
    }
    next();
    MatchType type;
    if (!match_op(peek().type, type)) {
        if (label.type == Tok::string) {  // {"metric_name"}
            std::string ignored;
            vs.matchers.push_back(Matcher::make(MatchType::equal, std::string(kMetricNameLabel), name, &ignored));
            return true;
        }
        unexpected("label matching", "label matching operator");
        return false;
    }
    next();
    const Token value = peek();
    if (value.type != Tok::string) {
        unexpected("label matching", "string");
        return false;
    }
    next();
    std::string v, error;
    if (!unquote(value.text, v)) return fail(span(value), "error unquoting string " + go_quote(value.text)), false;
    Matcher m = Matcher::make(type, std::move(name), std::move(v), &error);
    if (!error.empty()) return fail({label.pos, value.pos + static_cast<uint32_t>(value.text.size())}, error), false;
    vs.matchers.push_back(std::move(m));
    return true;
}

bool Parser::bin_modifiers(BinaryExpr& b) {
    VectorMatching vm;
    if (peek().type == Tok::kw_bool) {
        next();
        b.return_bool = true;
    }
    if (peek().type == Tok::on || peek().type == Tok::ignoring) {
        vm.on = next().type == Tok::on;
        if (!grouping_labels(vm.matching_labels)) return false;
        if (peek().type == Tok::group_left || peek().type == Tok::group_right) {
            vm.card = next().type == Tok::group_left ? Card::many_to_one : Card::one_to_many;
            if (peek().type == Tok::left_paren && !grouping_labels(vm.include)) return false;
        }
    }
    for (int i = 0; i < 2; ++i) {
        const Tok t = peek().type;
        if (t != Tok::fill && t != Tok::fill_left && t != Tok::fill_right) break;
        if (t == Tok::fill && i > 0) break;
        next();
        double v = 0;
        if (!fill_value(v)) return false;
        if (t != Tok::fill_right) vm.fill_lhs = v;
        if (t != Tok::fill_left) vm.fill_rhs = v;
        if (t == Tok::fill) break;
    }
    b.matching = std::move(vm);
    return true;
}

bool Parser::fill_value(double& out) {
    if (peek().type != Tok::left_paren) return unexpected("", ""), false;
    next();
    bool negative = false;
    if (peek().type == Tok::add || peek().type == Tok::sub) negative = next().type == Tok::sub;
    if (peek().type != Tok::number && peek().type != Tok::duration) return unexpected("", ""), false;
    ExprPtr n = number_literal();
    if (!n) return false;
    out = as<NumberLiteral>(*n).val * (negative ? -1 : 1);
    if (peek().type != Tok::right_paren) return unexpected("", ""), false;
    next();
    return true;
}

ExprPtr Parser::postfix(ExprPtr e) {
    while (e && !failed_) {
        switch (peek().type) {
        case Tok::left_bracket: e = range_or_subquery(std::move(e)); break;
        case Tok::offset: e = offset(std::move(e)); break;
        case Tok::at: e = at(std::move(e)); break;
        case Tok::anchored:
        case Tok::smoothed: e = extended(std::move(e), peek().type); break;
        default: return e;
        }
    }
    return failed_ ? nullptr : std::move(e);
}

bool Parser::plain_or_expr(ExprPtr& d, int64_t& ns, ExprPtr& expr_out, bool positive) {
    if (d->kind == NodeKind::number) {
        const auto& n = as<NumberLiteral>(*d);
        if (positive && n.val <= 0) return fail(n.range, "duration must be greater than 0"), false;
        ns = seconds_to_ns(n.val);
        return true;
    }
    if (!opts_.duration_expressions) return fail(d->pos(), "experimental duration expression is not enabled"), false;
    expr_out = std::move(d);
    return true;
}

ExprPtr Parser::range_or_subquery(ExprPtr e) {
    const Token open = next();
    in_brackets_ = true;
    struct Reset {
        bool& flag;
        ~Reset() { flag = false; }
    } reset{in_brackets_};
    if (!starts_duration(peek().type))
        return unexpected("subquery or range selector", "number, duration, step(), or range()");
    ExprPtr range = duration(0);
    if (!range) return nullptr;
    if (peek().type == Tok::right_bracket) {
        const Token close = next();
        const char* problem = nullptr;
        if (e->kind != NodeKind::vector_selector) problem = "ranges only allowed for vector selectors";
        else if (as<VectorSelector>(*e).original_offset_ns != 0 || as<VectorSelector>(*e).original_offset_expr)
            problem = "no offset modifiers allowed before range";
        else if (as<VectorSelector>(*e).timestamp_ms) problem = "no @ modifiers allowed before range";
        if (problem) return fail({open.pos, close.pos + 1}, problem);
        auto m = std::make_unique<MatrixSelector>();
        if (!plain_or_expr(range, m->range_ns, m->range_expr, true)) return nullptr;
        m->vector_selector = std::move(e);
        m->end_pos = last_closing_;
        return m;
    }
    if (peek().type != Tok::colon) return unexpected("subquery or range", "\":\" or \"]\"");
    next();
    auto s = std::make_unique<SubqueryExpr>();
    if (!plain_or_expr(range, s->range_ns, s->range_expr, true)) return nullptr;
    if (peek().type != Tok::right_bracket) {
        if (!starts_duration(peek().type))
            return unexpected("subquery selector", "number, duration, step(), range(), or \"]\"");
        ExprPtr step = duration(0);
        if (!step) return nullptr;
        if (peek().type != Tok::right_bracket) return unexpected("subquery selector", "\"]\"");
        if (!plain_or_expr(step, s->step_ns, s->step_expr, true)) return nullptr;
    }
    const Token close = next();
    s->expr = std::move(e);
    s->end_pos = close.pos + 1;
    return s;
}

ExprPtr Parser::offset(ExprPtr e) {
    next();
    ExprPtr d = offset_duration();
    if (!d) return failed_ ? nullptr : unexpected("offset", "number, duration, step(), or range()");
    int64_t ns = 0;
    ExprPtr dexpr;
    if (!plain_or_expr(d, ns, dexpr, false)) return nullptr;
    const ModifierSlots m = modifier_slots(*e);
    if (!m.end)
        return fail(e->pos(), "offset modifier must be preceded by an instant vector selector or range vector "
                              "selector or a subquery");
    int64_t* original = m.offset_ns;
    ExprPtr* original_expr = m.offset_expr;
    uint32_t* end = m.end;
    if (*original != 0 || *original_expr) return fail(e->pos(), "offset may not be set multiple times");
    *original = ns;
    *original_expr = std::move(dexpr);
    *end = last_closing_;
    return e;
}

ExprPtr Parser::at(ExprPtr e) {
    next();
    Tok preprocessor = Tok::eof;
    double seconds = 0;
    const Token t = peek();
    if ((t.type == Tok::start || t.type == Tok::end) && peek(1).type == Tok::left_paren &&
        peek(2).type == Tok::right_paren) {
        preprocessor = t.type;
        next(), next(), next();
    } else {
        bool negative = false;
        if (t.type == Tok::add || t.type == Tok::sub) negative = next().type == Tok::sub;
        if (peek().type != Tok::number && peek().type != Tok::duration) return unexpected("@", "timestamp");
        ExprPtr n = number_literal();
        if (!n) return nullptr;
        seconds = as<NumberLiteral>(*n).val * (negative ? -1 : 1);
        if (!std::isfinite(seconds) || seconds >= 9.2233720368547758e18 || seconds <= -9.2233720368547758e18) {
            char buf[64];
            if (std::isnan(seconds)) std::snprintf(buf, sizeof buf, "NaN");
            else if (std::isinf(seconds)) std::snprintf(buf, sizeof buf, "%s", seconds > 0 ? "+Inf" : "-Inf");
            else std::snprintf(buf, sizeof buf, "%f", seconds);
            return fail(e->pos(), std::string("timestamp out of bounds for @ modifier: ") + buf);
        }
    }
    const ModifierSlots m = modifier_slots(*e);
    if (!m.end)
        return fail(e->pos(), "@ modifier must be preceded by an instant vector selector or range vector selector "
                              "or a subquery");
    std::optional<int64_t>* ts = m.timestamp_ms;
    Tok* start_or_end = m.start_or_end;
    uint32_t* end = m.end;
    if (*ts || *start_or_end != Tok::eof) return fail(e->pos(), "@ <timestamp> may not be set multiple times");
    if (preprocessor != Tok::eof) *start_or_end = preprocessor;
    else {
        // Go converts out-of-range floats to INT64_MIN on amd64; C++ must not.
        const double ms = std::round(seconds * 1000);
        *ts = ms < 9.2e18 && ms > -9.2e18 ? static_cast<int64_t>(ms) : INT64_MIN;
    }
    *end = last_closing_;
    return e;
}

ExprPtr Parser::extended(ExprPtr e, Tok which) {
    next();
    const std::string name = which == Tok::anchored ? "anchored" : "smoothed";
    if (!opts_.extended_range_selectors) return fail(e->pos(), name + " modifier is experimental and not enabled");
    VectorSelector* vs = nullptr;
    if (e->kind == NodeKind::vector_selector) vs = &as<VectorSelector>(*e);
    else if (e->kind == NodeKind::matrix_selector) vs = &as<MatrixSelector>(*e).vs();
    else if (e->kind == NodeKind::subquery) return fail(e->pos(), name + " modifier is not supported for subqueries");
    else return fail(e->pos(), name + " modifier not implemented");
    (which == Tok::anchored ? vs->anchored : vs->smoothed) = true;
    if (vs->anchored && vs->smoothed) return fail(e->pos(), "anchored and smoothed modifiers cannot be used together");
    return e;
}

// A duration expression inside [ ]: arithmetic over literals, step(),
// range(), min_of() and max_of(), with PromQL's precedence.
ExprPtr Parser::duration(int min_prec) {
    DepthGuard guard(*this);
    if (failed_) return nullptr;
    ExprPtr lhs;
    const Token first = peek();
    if (first.type == Tok::add || first.type == Tok::sub) {
        next();
        ExprPtr operand = duration(6);
        if (!operand) return nullptr;
        lhs = signed_duration(first, std::move(operand), false);
    } else {
        lhs = duration_primary();
    }
    while (lhs && !failed_) {
        const Token op = peek();
        int prec = -1;
        if (op.type == Tok::add || op.type == Tok::sub) prec = 4;
        else if (op.type == Tok::mul || op.type == Tok::div || op.type == Tok::mod) prec = 5;
        else if (op.type == Tok::pow) prec = 6;
        if (prec < 0 || prec < min_prec) break;
        next();
        ExprPtr rhs = duration(op.type == Tok::pow ? prec : prec + 1);
        if (!rhs) return failed_ ? nullptr : unexpected("", "");
        if (!opts_.duration_expressions) return fail(lhs->pos(), "experimental duration expression is not enabled");
        const bool zero = rhs->kind == NodeKind::number && as<NumberLiteral>(*rhs).val == 0;
        if (zero && op.type == Tok::div) return fail(span(op), "division by zero");
        if (zero && op.type == Tok::mod) return fail(span(op), "modulo by zero");
        auto d = std::make_unique<DurationExpr>();
        d->op = op.type;
        d->lhs = std::move(lhs);
        d->rhs = std::move(rhs);
        lhs = std::move(d);
    }
    return failed_ ? nullptr : std::move(lhs);
}

ExprPtr Parser::duration_primary() {
    const Token t = peek();
    if (t.type == Tok::number || t.type == Tok::duration) {
        ExprPtr n = number_literal();
        if (n && duration_out_of_range(as<NumberLiteral>(*n).val)) return fail(span(t), "duration out of range");
        return n;
    }
    if (t.type == Tok::left_paren) {
        next();
        ExprPtr inner = duration(0);
        if (!inner) return failed_ ? nullptr : unexpected("", "");
        if (peek().type != Tok::right_paren) return unexpected("", "");
        next();
        if (!opts_.duration_expressions) return fail(inner->pos(), "experimental duration expression is not enabled");
        if (inner->kind == NodeKind::duration) as<DurationExpr>(*inner).wrapped = true;
        return inner;
    }
    if (t.type == Tok::step || t.type == Tok::range || t.type == Tok::min_of || t.type == Tok::max_of)
        return duration_call();
    return unexpected("", "");
}

ExprPtr Parser::duration_call() {
    const Token name = next();
    auto d = std::make_unique<DurationExpr>();
    d->op = name.type;
    d->start = name.pos;
    if (peek().type != Tok::left_paren)
        return in_brackets_ ? unexpected("subquery or range selector", "number, duration, step(), or range()")
                            : unexpected("", "");
    next();
    if (name.type == Tok::min_of || name.type == Tok::max_of) {
        d->lhs = duration(0);
        if (!d->lhs) return failed_ ? nullptr : unexpected("", "");
        if (peek().type != Tok::comma) return unexpected("", "");
        next();
        d->rhs = duration(0);
        if (!d->rhs) return failed_ ? nullptr : unexpected("", "");
    }
    if (peek().type != Tok::right_paren) return unexpected("", "");
    d->end = next().pos + 1;
    if (!opts_.duration_expressions) return fail({d->start, d->end}, "experimental duration expression is not enabled");
    return d;
}

// After offset: one (signed) literal, step(), range(), min_of/max_of(...)
// or a parenthesised duration expression; what follows belongs to the
// enclosing expression (foo offset -2 ^ 2 is (foo offset -2) ^ 2).
ExprPtr Parser::offset_duration() {
    Token sign{};
    bool signed_ = false;
    if (peek().type == Tok::add || peek().type == Tok::sub) {
        sign = next();
        signed_ = true;
    }
    const Token t = peek();
    ExprPtr d;
    bool wrapped = false;
    if (t.type == Tok::number || t.type == Tok::duration) {
        d = number_literal();
    } else if (t.type == Tok::step || t.type == Tok::range || t.type == Tok::min_of || t.type == Tok::max_of) {
        d = duration_call();
    } else if (t.type == Tok::left_paren) {
        d = duration_primary();
        wrapped = true;
    } else {
        return nullptr;
    }
    if (!d) return nullptr;
    if (signed_) d = signed_duration(sign, std::move(d), wrapped);
    if (d && d->kind == NodeKind::number && duration_out_of_range(as<NumberLiteral>(*d).val))
        return fail(d->pos(), "duration out of range");
    return d;
}

ExprPtr Parser::signed_duration(const Token& sign, ExprPtr operand, bool wrapped) {
    if (!operand) return nullptr;
    if (operand->kind == NodeKind::number) {
        auto& n = as<NumberLiteral>(*operand);
        if (sign.type == Tok::sub) n.val = -n.val;
        if (duration_out_of_range(n.val)) return fail(span(sign), "duration out of range");
        n.range.start = sign.pos;
        return operand;
    }
    if (wrapped && operand->kind == NodeKind::duration) as<DurationExpr>(*operand).wrapped = true;
    if (sign.type == Tok::add) return operand;
    auto d = std::make_unique<DurationExpr>();
    d->op = Tok::sub;
    d->start = sign.pos;
    d->rhs = std::move(operand);
    return d;
}

// Prometheus's ParseMetric: an optional name then a label set.
bool Parser::metric(Labels& out) {
    std::vector<std::pair<std::string, std::string>> pairs;
    const Token first = peek();
    if (first.type != Tok::left_brace) {
        if (first.type == Tok::eof || first.type == Tok::error || first.type == Tok::string ||
            first.type == Tok::number)
            return unexpected("", ""), false;
        pairs.emplace_back(std::string(kMetricNameLabel), std::string(next().text));
    }
    if (peek().type == Tok::left_brace) {
        next();
        while (peek().type != Tok::right_brace) {
            if (!label_set_item(pairs)) return false;
            if (peek().type == Tok::comma) {
                next();
                continue;
            }
            if (peek().type != Tok::right_brace) return unexpected("label set", "\",\" or \"}\""), false;
        }
        next();
    }
    if (peek().type != Tok::eof) return unexpected("", ""), false;
    out = Labels::from_pairs(std::move(pairs));
    return true;
}

bool Parser::label_set_item(std::vector<std::pair<std::string, std::string>>& pairs) {
    const Token label = peek();
    std::string name;
    if (label.type == Tok::identifier) name = std::string(label.text);
    else if (label.type == Tok::string) {
        if (!unquote(label.text, name)) return fail(span(label), "error unquoting string " + go_quote(label.text)), false;
    } else {
        return unexpected("label set", "identifier or \"}\""), false;
    }
    next();
    if (peek().type != Tok::eql) {
        if (label.type == Tok::string) {
            pairs.emplace_back(std::string(kMetricNameLabel), std::move(name));
            return true;
        }
        return unexpected("label set", "\"=\""), false;
    }
    next();
    if (peek().type != Tok::string) return unexpected("label set", "string"), false;
    std::string value;
    const Token v = next();
    if (!unquote(v.text, value)) return fail(span(v), "error unquoting string " + go_quote(v.text)), false;
    pairs.emplace_back(std::move(name), std::move(value));
    return true;
}

}  // namespace mmwatch::promql::detail
