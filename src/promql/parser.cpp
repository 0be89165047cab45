// Recursive descent over Prometheus's yacc grammar (generated_parser.y):
// binary operators by precedence (or < and/unless < comparisons < +,- <
// *,/,%,atan2 < ^, ^ right-associative), unary +/- binding like *, and the
// postfix modifiers ([range], [range:step], offset, @, anchored, smoothed)
// binding tightest, as the grammar's precedence declarations make them.
#include "promql/parser.hpp"

#include <cmath>

#include "promql/parser_impl.hpp"

namespace mmwatch::promql {

std::string ParseError::to_string(std::string_view query) const {
    if (query.empty()) return "unknown position: parse error: " + message;
    const size_t p = std::min<size_t>(pos.start, query.size());
    size_t line = 1, last_break = 0;
    bool seen_break = false;
    for (size_t i = 0; i < p; ++i) {
        if (query[i] == '\n') {
            ++line;
            last_break = i;
            seen_break = true;
        }
    }
    const size_t col = seen_break ? p - last_break : p + 1;
    return std::to_string(line) + ":" + std::to_string(col) + ": parse error: " + message;
}

namespace detail {

namespace {

int binary_precedence(Tok t) noexcept {
    switch (t) {
    case Tok::lor: return 1;
    case Tok::land:
    case Tok::lunless: return 2;
    case Tok::eqlc: case Tok::neq: case Tok::lte: case Tok::lss: case Tok::gte: case Tok::gtr:
    case Tok::trim_upper: case Tok::trim_lower: return 3;
    case Tok::add: case Tok::sub: return 4;
    case Tok::mul: case Tok::div: case Tok::mod: case Tok::atan2: return 5;
    case Tok::pow: return 6;
    default: return -1;
    }
}
constexpr int kUnaryOperandPrecedence = 6;  // unary binds like *, so ^ is inside it

bool metric_identifier(Tok t) noexcept {
    switch (t) {
    case Tok::identifier: case Tok::metric_identifier: case Tok::by: case Tok::without:
    case Tok::fill: case Tok::fill_left: case Tok::fill_right: case Tok::land: case Tok::lor:
    case Tok::lunless: case Tok::offset: case Tok::start: case Tok::end: case Tok::step:
    case Tok::range: case Tok::anchored: case Tok::smoothed: case Tok::max_of: case Tok::min_of:
        return true;
    default:
        return is_aggregator(t);
    }
}

}  // namespace

Parser::Parser(std::string_view query, const ParseOptions& opts) : query_(query), opts_(opts), lexed_(lex(query)) {}

const Token& Parser::peek(size_t ahead) const noexcept {
    const size_t i = std::min(at_ + ahead, lexed_.tokens.size() - 1);
    return lexed_.tokens[i];
}

Token Parser::next() noexcept {
    Token t = peek();
    if (at_ < lexed_.tokens.size() - 1) ++at_;
    switch (t.type) {
    case Tok::right_brace: case Tok::right_paren: case Tok::right_bracket: case Tok::duration: case Tok::number:
        last_closing_ = t.pos + static_cast<uint32_t>(t.text.size());
        break;
    default: break;
    }
    return t;
}

std::nullptr_t Parser::fail(PosRange pos, std::string message) {
    if (!failed_) {
        failed_ = true;
        error_ = {pos, std::move(message)};
    }
    return nullptr;
}

std::nullptr_t Parser::unexpected(std::string_view context, std::string_view expected) {
    const Token& t = peek();
    if (t.type == Tok::error) return fail({t.pos, static_cast<uint32_t>(query_.size())}, lexed_.error);
    std::string msg = "unexpected " + describe(t);
    if (!context.empty()) msg += " in " + std::string(context);
    if (!expected.empty()) msg += ", expected " + std::string(expected);
    return fail({t.pos, t.pos + static_cast<uint32_t>(t.text.size())}, std::move(msg));
}

Parsed Parser::run() {
    Parsed out;
    if (peek().type == Tok::eof) {
        out.error = {{0, 0}, "no expression found in input"};
        return out;
    }
    ExprPtr e = expr(0);
    if (e && peek().type != Tok::eof) unexpected("", "");
    if (failed_ || !e) {
        out.error = error_;
        return out;
    }
    if (!check_tree(*e, query_, out.error)) return out;
    out.expr = std::move(e);
    return out;
}

ExprPtr Parser::expr(int min_prec) {
    DepthGuard guard(*this);
    if (failed_) return nullptr;
    ExprPtr lhs = unary();
    while (lhs && !failed_) {
        const Token op = peek();
        const int prec = binary_precedence(op.type);
        if (prec < 0 || prec < min_prec) break;
        next();
        auto bin = std::make_unique<BinaryExpr>();
        bin->op = op.type;
        if (!bin_modifiers(*bin)) return nullptr;
        ExprPtr rhs = expr(op.type == Tok::pow ? prec : prec + 1);
        if (!rhs) return failed_ ? nullptr : unexpected("", "");
        bin->lhs = std::move(lhs);
        bin->rhs = std::move(rhs);
        if (!opts_.fill_modifiers && bin->matching && (bin->matching->fill_lhs || bin->matching->fill_rhs))
            return fail(bin->pos(), "binop fill modifiers are experimental and not enabled");
        lhs = std::move(bin);
    }
    return failed_ ? nullptr : std::move(lhs);
}

ExprPtr Parser::unary() {
    const Token op = peek();
    if (op.type != Tok::add && op.type != Tok::sub) return postfix(primary());
    next();
    ExprPtr operand = expr(kUnaryOperandPrecedence);
    if (!operand) return nullptr;
    if (operand->kind == NodeKind::number) {
        auto& n = as<NumberLiteral>(*operand);
        if (op.type == Tok::sub) n.val = -n.val;
        n.range.start = op.pos;
        return operand;
    }
    auto u = std::make_unique<UnaryExpr>();
    u->op = op.type;
    u->start = op.pos;
    u->expr = std::move(operand);
    return u;
}

ExprPtr Parser::primary() {
    if (failed_) return nullptr;
    const Token t = peek();
    switch (t.type) {
    case Tok::number:
    case Tok::duration: return number_literal();
    case Tok::string: {
        next();
        auto s = std::make_unique<StringLiteral>();
        if (!unquote(t.text, s->val)) return fail(span(t), "error unquoting string " + go_quote(t.text));
        s->range = span(t);
        return s;
    }
    case Tok::left_paren: {
        next();
        ExprPtr inner = expr(0);
        if (!inner) return failed_ ? nullptr : unexpected("", "");
        if (peek().type != Tok::right_paren) return unexpected("", "");
        const Token close = next();
        auto p = std::make_unique<ParenExpr>();
        p->expr = std::move(inner);
        p->range = {t.pos, close.pos + 1};
        return p;
    }
    case Tok::left_brace: return selector(nullptr);
    default: break;
    }
    const Tok after = peek(1).type;
    if (is_aggregator(t.type) && (after == Tok::left_paren || after == Tok::by || after == Tok::without))
        return aggregate();
    if (after == Tok::left_paren &&
        (t.type == Tok::identifier || t.type == Tok::start || t.type == Tok::end || t.type == Tok::step ||
         t.type == Tok::range || t.type == Tok::max_of || t.type == Tok::min_of))
        return call();
    if (metric_identifier(t.type)) {
        next();
        return selector(&t);
    }
    return unexpected("", "");
}

ExprPtr Parser::number_literal() {
    const Token t = next();
    auto n = std::make_unique<NumberLiteral>();
    n->range = span(t);
    if (t.type == Tok::duration) {
        int64_t ns = 0;
        std::string err;
        if (!parse_duration_ns(t.text, ns, err)) return fail(span(t), err);
        n->val = static_cast<double>(ns) / 1e9;
        n->duration = true;
        return n;
    }
    bool out_of_range = false;
    if (!parse_go_number(t.text, n->val, &out_of_range))
        return fail(span(t), std::string("error parsing number: strconv.ParseFloat: parsing ") + go_quote(t.text) +
                                 (out_of_range ? ": value out of range" : ": invalid syntax"));
    return n;
}

ExprPtr Parser::call() {
    const Token name = next();
    std::vector<ExprPtr> args;
    if (!call_body(args)) return nullptr;
    const Function* f = find_function(name.text);
    if (!f) return fail(span(name), "unknown function with name " + go_quote(name.text));
    if (f->experimental && !opts_.experimental_functions)
        return fail(span(name), "function " + go_quote(name.text) + " is not enabled");
    auto c = std::make_unique<Call>();
    c->func = f;
    c->args = std::move(args);
    c->range = {name.pos, last_closing_};
    return c;
}

bool Parser::call_body(std::vector<ExprPtr>& args) {
    if (peek().type != Tok::left_paren) return unexpected("", "") , false;
    next();
    if (peek().type == Tok::right_paren) {
        next();
        return true;
    }
    while (true) {
        ExprPtr a = expr(0);
        if (!a) return failed_ ? false : (unexpected("", ""), false);
        args.push_back(std::move(a));
        if (peek().type == Tok::comma) {
            const Token comma = next();
            if (peek().type == Tok::right_paren) {
                fail(span(comma), "trailing commas not allowed in function call args");
                return false;
            }
            continue;
        }
        if (peek().type == Tok::right_paren) {
            next();
            return true;
        }
        unexpected("", "");
        return false;
    }
}

ExprPtr Parser::aggregate() {
    const Token op = next();
    auto a = std::make_unique<AggregateExpr>();
    a->op = op.type;
    std::vector<ExprPtr> args;
    if (peek().type == Tok::by || peek().type == Tok::without) {
        a->without = next().type == Tok::without;
        if (!grouping_labels(a->grouping) || !call_body(args)) return nullptr;
    } else {
        if (!call_body(args)) return nullptr;
        if (peek().type == Tok::by || peek().type == Tok::without) {
            a->without = next().type == Tok::without;
            if (!grouping_labels(a->grouping)) return nullptr;
        }
    }
    a->range = {op.pos, last_closing_};
    if (args.empty()) return fail(a->range, "no arguments for aggregate expression provided");
    const bool with_param = op.type == Tok::topk || op.type == Tok::bottomk || op.type == Tok::count_values ||
                            op.type == Tok::quantile || op.type == Tok::limitk || op.type == Tok::limit_ratio;
    if (with_param && (op.type == Tok::limitk || op.type == Tok::limit_ratio) && !opts_.experimental_functions)
        return fail(a->range, std::string(tok_text(op.type)) +
                                  "() is experimental and must be enabled with "
                                  "--enable-feature=promql-experimental-functions");
    const size_t want = with_param ? 2 : 1;
    if (args.size() != want)
        return fail(a->range, "wrong number of arguments for aggregate expression provided, expected " +
                                  std::to_string(want) + ", got " + std::to_string(args.size()));
    if (with_param) a->param = std::move(args[0]);
    a->expr = std::move(args[want - 1]);
    return a;
}

bool Parser::grouping_labels(std::vector<std::string>& out) {
    if (peek().type != Tok::left_paren) return unexpected("grouping opts", "\"(\""), false;
    next();
    while (peek().type != Tok::right_paren) {
        const Token t = peek();
        std::string name;
        if (t.type == Tok::string) {
            if (!unquote(t.text, name)) return fail(span(t), "error unquoting string " + go_quote(t.text)), false;
        } else if (t.type == Tok::identifier || t.type == Tok::metric_identifier || is_keyword(t.type) ||
                   is_aggregator(t.type) || is_set_operator(t.type) || t.type == Tok::atan2 ||
                   (t.type >= Tok::start && t.type <= Tok::min_of)) {
            name = std::string(t.text);
        } else {
            return unexpected("grouping opts", "label"), false;
        }
        if (!is_valid_label_name(name))
            return fail(span(t), "invalid label name for grouping: " + go_quote(name)), false;
        next();
        out.push_back(std::move(name));
        if (peek().type == Tok::comma) {
            next();
            continue;
        }
        if (peek().type != Tok::right_paren) return unexpected("grouping opts", "\",\" or \")\""), false;
    }
    next();
    return true;
}

}  // namespace detail

Parsed parse(std::string_view query, const ParseOptions& opts) { return detail::Parser(query, opts).run(); }

}  // namespace mmwatch::promql
